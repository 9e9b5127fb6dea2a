import AkashiDomain
import AkashiInterchange
import Foundation

/// Writes a store back out in akashi-interchange/1, one file per record type; importing the result
/// into an empty store gives the same store (same records, same ledger order, same root).
public struct Exporter: Sendable {
    public var store: any AkashiStore

    public init(store: any AkashiStore) { self.store = store }

    /// The file each record type is written to.
    public static func fileName(_ type: RecordType) -> String {
        switch type {
        case .office: "offices.jsonl"
        case .staff: "staff.jsonl"
        case .register: "registers.jsonl"
        case .person: "persons.jsonl"
        case .protection: "protections.jsonl"
        case .case: "cases.jsonl"
        case .access: "access.jsonl"
        case .self_report: "self_reports.jsonl"
        }
    }

    /// Writes every record type into `directory` (created if needed); returns the number of lines per file.
    @discardableResult
    public func run(to directory: String, gzip: Bool = false) async throws -> [(file: String, lines: Int)] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [(String, Int)] = []
        for type in RecordType.allCases {
            let path = directory + "/" + Self.fileName(type) + (gzip ? ".gz" : "")
            let w = try LineWriter(path: path)
            var n = 0
            try await store.forEachRecord(type) { doc in
                try w.write(line: doc)
                n += 1
            }
            try w.close(durable: true)
            written.append((path, n))
        }
        return written
    }
}
