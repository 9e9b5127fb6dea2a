import AkashiDomain
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

@Suite("group commit")
struct GroupCommitterTests {
    static func event(_ n: Int) -> JournalEvent {
        JournalEvent(id: "J\(n)", at: Timestamp(millis: 1_300_000_000_000 + Int64(n)), kind: "signin", staff: "S0001",
                     office: "27128")
    }

    /// Appends event `n` without waiting for it; the returned task gives its ledger index.
    static func start(_ c: GroupCommitter, _ n: Int) -> Task<UInt64, any Error> {
        Task.detached { try await c.append(event(n)) }
    }

    @Test("events that arrive together share a commit; every caller gets its own index, in ledger order")
    func batches() async throws {
        let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        let c = GroupCommitter(store: store)
        let tasks = (0..<50).map { Self.start(c, $0) }
        var indexes: [UInt64] = []
        for t in tasks { indexes.append(try await t.value) }
        #expect(Set(indexes) == Set(0..<50))
        #expect(try store.ledgerSize() == 50)
        #expect(c.batches >= 1 && c.batches <= 50)
    }

    @Test("with a linger, a commit right after another waits for more events; after an idle spell it does not wait")
    func linger() async throws {
        let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        // Wide margins: the linger (2 s) is far longer than the 50 ms between the two events, and the busy window
        // (10 s) far longer than a commit and a task hop.
        let c = GroupCommitter(store: store, linger: .seconds(2), busyWindow: .seconds(10))

        // The log has been idle (never committed): the first event is committed at once.
        let clock = ContinuousClock()
        let t0 = clock.now
        _ = try await c.append(Self.event(0))
        #expect(t0.duration(to: clock.now) < .seconds(2), "an idle log does not linger")
        #expect(c.batches == 1)

        // Right after that commit: the next one lingers, so an event 50 ms later joins it.
        let first = Self.start(c, 1)
        try await Task.sleep(for: .milliseconds(50))
        let second = Self.start(c, 2)
        let a = try await first.value
        let b = try await second.value
        #expect(Set([a, b]) == [1, 2])
        #expect(c.batches == 2, "events 1 and 2 shared one commit")

        // maxBatch cuts the wait short: a full batch is committed without waiting out the linger.
        let full = GroupCommitter(store: store, maxBatch: 4, linger: .seconds(30), busyWindow: .seconds(60))
        _ = try await full.append(Self.event(10))
        let t1 = clock.now
        let four = (11..<15).map { Self.start(full, $0) }
        for t in four { _ = try await t.value }
        #expect(t1.duration(to: clock.now) < .seconds(30), "a full batch does not wait for the linger")
        #expect(full.batches == 2)
        #expect(try store.ledgerSize() == 8)
    }

    @Test("without a linger (the default), an event arriving while nothing is being committed is committed alone")
    func noLinger() async throws {
        let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        let c = GroupCommitter(store: store)
        #expect(c.linger == .zero)
        _ = try await c.append(Self.event(0))
        // The same pattern as with a linger, with a wider gap (a one-event commit takes a few milliseconds).
        let first = Self.start(c, 1)
        try await Task.sleep(for: .milliseconds(300))
        let second = Self.start(c, 2)
        _ = try await first.value
        _ = try await second.value
        #expect(c.batches == 3, "events 1 and 2 were committed separately")
    }
}
