import Foundation
import Logging

/// Akashi's log lines: `time level label: key=value … [source] message`, one write each (standard error by default).
///
/// swift-log's `StreamLogHandler` formats all of its metadata again each time one key is set, and Hummingbird sets a
/// request ID on the logger of every request: about 1.4 % of a register view's CPU under load, for lines that at the
/// default level are never written. This handler keeps metadata as given and formats it only for a line it writes.
/// Nothing here adds to what is logged: the same metadata, the same messages (never a password or a token).
public struct AkashiLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil,
                write: @escaping @Sendable (String) -> Void = AkashiLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    /// UTC with milliseconds.
    static let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Writes a line to standard error in one call.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let given = event.metadata { all.merge(given) { _, new in new } }
        var line = Self.time.format(Date()) + " \(event.level) " + label + ":"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(event.source)] \(event.message)"
        write(Self.oneLine(line) + "\n")
    }

    /// Control characters escaped (`\n` → `\u{0A}`), so that nothing logged, a typed value included, can start a
    /// line of its own and pass for another entry.
    static func oneLine(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if isControl(u) {
                out.append(contentsOf: "\\u{\(String(u.value, radix: 16, uppercase: true).leftPadded(2))}".unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    private static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
