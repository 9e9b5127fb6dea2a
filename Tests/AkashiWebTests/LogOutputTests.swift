import Foundation
import Logging
import Synchronization
import Testing
@testable import AkashiWeb

@Suite("log output")
struct LogOutputTests {
    /// Counts how often its description is asked for (that is, formatted).
    final class Counted: CustomStringConvertible, Sendable {
        let count = Mutex(0)
        var description: String { count.withLock { $0 += 1 }; return "R42" }
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    @Test("metadata is formatted only for a line that is written; lines carry level, label, metadata, source, message")
    func lazyMetadata() {
        let out = Lines()
        var logger = Logger(label: "akashi.test") { label in
            AkashiLogHandler(label: label) { line in out.lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .warning
        let id = Counted()
        // What Hummingbird does for every request.
        logger[metadataKey: "hb.request.id"] = .stringConvertible(id)
        logger.info("not written")
        #expect(id.count.withLock { $0 } == 0)
        #expect(out.all.isEmpty)

        logger.warning("written", metadata: ["office": "271276"], source: "Test")
        #expect(id.count.withLock { $0 } == 1)
        #expect(out.all.count == 1)
        let line = out.all[0]
        #expect(line.hasSuffix(" warning akashi.test: hb.request.id=R42 office=271276 [Test] written\n"))
        #expect(line.first?.isNumber == true)

        // Value semantics: a copy's metadata does not leak back.
        var copy = logger
        copy[metadataKey: "extra"] = "x"
        logger.error("again", source: "Test")
        #expect(!out.all[1].contains("extra"))
        #expect(copy[metadataKey: "extra"] == "x")
    }

    @Test("a typed value cannot start a log line of its own: control characters are escaped")
    func oneLine() {
        let out = Lines()
        let logger = Logger(label: "akashi.test") { label in
            AkashiLogHandler(label: label) { line in out.lines.withLock { $0.append(line) } }
        }
        logger.warning("refused", metadata: ["reason": "業務\n2026-12-04T00:00:00Z info akashi.web: forged\r\u{2028}"],
                       source: "Test")
        #expect(out.all.count == 1)
        let line = out.all[0]
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"))
        #expect(!line.contains("\r") && !line.contains("\u{2028}"))
        #expect(line.contains("reason=業務\\u{0A}2026-12-04T00:00:00Z info akashi.web: forged\\u{0D}\\u{2028}"))
        #expect(AkashiLogHandler.oneLine("山田 太郎") == "山田 太郎")
    }
}
