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
}
