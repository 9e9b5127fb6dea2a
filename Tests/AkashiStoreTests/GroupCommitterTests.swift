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

    /// Runs `body` on a fresh store in a temporary directory, removed afterwards.
    static func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await body(try SQLiteStore(directory: dir))
    }

    /// Appends event `n` without waiting for it; the returned task gives its ledger index.
    static func start(_ c: GroupCommitter, _ n: Int) -> Task<UInt64, any Error> {
        Task.detached { try await c.append(event(n)) }
    }

    @Test("events that arrive together share a commit; every caller gets its own index")
    func batches() async throws {
        try await Self.withStore { store in
            let c = GroupCommitter(store: store)
            let tasks = (0..<50).map { Self.start(c, $0) }
            var indexes: [UInt64] = []
            for t in tasks { indexes.append(try await t.value) }
            #expect(Set(indexes) == Set(0..<50))
            #expect(try store.ledgerSize() == 50)
            #expect(c.batches >= 1 && c.batches <= 50)
        }
    }

    // The limit guards against a hang, not a speed: with PostgreSQL suites importing and auditing cities beside it on
    // two cores, this test waits minutes for a cooperative thread between its steps (its own work takes 0.3 s).
    @Test("with a linger, a commit right after another waits for more events (until a full batch); after an idle spell it does not wait",
          .timeLimit(.minutes(8)))
    func linger() async throws {
        try await Self.withStore { store in
            // A linger and a busy window of an hour, cut short by the full batch (2), so a starved test thread changes
            // nothing; the only timing is that 0.2 s of sleep outlasts the 50 ms busy window of the idle case.
            let c = GroupCommitter(store: store, maxBatch: 2, linger: .seconds(3600), busyWindow: .seconds(3600))

            // The log has never committed: the first event is committed at once, without waiting.
            _ = try await c.append(Self.event(0))
            #expect(c.batches == 1)
            #expect(c.lingeredBatches == 0)

            // Right after that commit, the next one waits: event 2, 50 ms later, joins event 1 and fills the batch.
            let first = Self.start(c, 1)
            try await Task.sleep(for: .milliseconds(50))
            let second = Self.start(c, 2)
            let a = try await first.value
            let b = try await second.value
            #expect(Set([a, b]) == [1, 2])
            #expect(c.batches == 2, "events 1 and 2 shared one commit")
            #expect(c.lingeredBatches == 1)

            // After an idle spell longer than the busy window, an event is committed at once again.
            let idle = GroupCommitter(store: store, maxBatch: 2, linger: .seconds(3600), busyWindow: .milliseconds(50))
            _ = try await idle.append(Self.event(10))
            try await Task.sleep(for: .milliseconds(200))
            _ = try await idle.append(Self.event(11))
            #expect(idle.batches == 2)
            #expect(idle.lingeredBatches == 0)
            #expect(try store.ledgerSize() == 5)
        }
    }

    @Test("without a linger (the default), no commit waits, busy or not")
    func noLinger() async throws {
        try await Self.withStore { store in
            let c = GroupCommitter(store: store)
            #expect(c.linger == .zero)
            for n in 0..<5 { _ = try await c.append(Self.event(n)) }
            let tasks = (5..<20).map { Self.start(c, $0) }
            for t in tasks { _ = try await t.value }
            #expect(c.lingeredBatches == 0)
            #expect(c.batches >= 6)
            #expect(try store.ledgerSize() == 20)
        }
    }
}

extension GroupCommitterTests {
    @Test("retest R2-3: `ledger verify` while a server appends finds nothing wrong (what is appended meanwhile waits for the next run)")
    func verifyWhileAppending() async throws {
        try await Self.withStore { store in
            let c = GroupCommitter(store: store)
            func access(_ n: Int) -> AccessEvent {
                AccessEvent(id: "A\(n)", at: Timestamp(millis: 1_300_000_000_000 + Int64(n) * 1_000), staff: "S000\(n % 7)",
                            office: "27128", action: .view, record: .current, register: "R\(n % 50)", person: "P\(n % 30)",
                            caseID: n % 3 == 0 ? "C\(n % 11)" : nil)
            }
            for n in 0..<600 { _ = try await c.append(access(n)) }
            let writer = Task.detached {
                for n in 600..<4_600 { _ = try await c.append(access(n)) }
            }
            var runs = 0
            while !writer.isCancelled, runs < 200 {
                let report = try await LedgerService(store: store).verify()
                #expect(report.entries >= 600)
                runs += 1
                if report.entries >= 4_600 { break }
            }
            try await writer.value
            #expect(runs >= 2, "verify ran \(runs) times while the writer appended")
            #expect(try await LedgerService(store: store).verify().entries == 4_600)
        }
    }
}
