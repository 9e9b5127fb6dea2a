import AkashiDomain
import AkashiSQLite
import AkashiStorage
import Foundation
import Synchronization
import Testing

/// Two writers on one store: what `akashi serve` and an `akashi audit` in another shell are. Each `SQLiteStore` opened
/// on the same directory has its own connections and its own sequencer, as a second process would.
@Suite("Two writers on one ledger")
struct TwoWriterTests {
    static func events(_ prefix: String, _ n: Int, from: Int = 0) -> [JournalEvent] {
        (from..<(from + n)).map {
            JournalEvent(id: "\(prefix)\($0)", at: Timestamp(millis: 1_300_000_000_000 + Int64($0)), kind: "signin",
                         staff: "S0001", office: "27128")
        }
    }

    @Test("a second store appending in between does not make the first collide; the ledger verifies",
          arguments: LedgerStoreKind.all)
    func interleaved(_ kind: LedgerStoreKind) async throws {
        try await withTempDir { dir in
            let a = try kind.open(dir)
            let b = try kind.open(dir)  // opened before a appends: its sequencer is at size 0
            let first = try await a.appendJournal(Self.events("A", 3))
            #expect(first == [0, 1, 2])
            // b has not seen a's appends: it must find the stored size, not reuse 0.
            let second = try await b.appendJournal(Self.events("B", 2))
            #expect(second == [3, 4])
            // a again, across a full level-0 tile (256 entries), then b again.
            let third = try await a.appendJournal(Self.events("A", 300, from: 3))
            #expect(third.first == 5 && third.last == 304)
            let fourth = try await b.appendJournal(Self.events("B", 10, from: 2))
            #expect(fourth == Array(305..<315))
            #expect(try await a.ledgerSize() == 315)
            #expect(try await b.ledgerSize() == 315)
            // A third store, opened afresh, verifies the whole ledger from what is stored.
            let c = try kind.open(dir)
            let report = try await LedgerService(store: c).verify()
            #expect(report.entries == 315)
        }
    }

    @Test("two writers appending at the same time: every entry gets its own index, none is lost", .timeLimit(.minutes(8)),
          arguments: LedgerStoreKind.all)
    func concurrent(_ kind: LedgerStoreKind) async throws {
        let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try kind.open(dir)
        let b = try kind.open(dir)
        func run(_ store: any AkashiStore, _ prefix: String) -> Task<[UInt64], any Error> {
            Task.detached {
                var got: [UInt64] = []
                for k in 0..<40 { await got += try store.appendJournal(Self.events(prefix, 5, from: k * 5)) }
                return got
            }
        }
        let ta = run(a, "A"), tb = run(b, "B")
        let ia = try await ta.value, ib = try await tb.value
        #expect(ia.count == 200 && ib.count == 200)
        #expect(Set(ia).isDisjoint(with: Set(ib)))
        #expect(Set(ia + ib) == Set(0..<400))
        let report = try await LedgerService(store: try kind.open(dir)).verify()
        #expect(report.entries == 400)
    }

    @Test("two akashi processes appending to one store at once both finish; every entry is in the ledger once",
          .timeLimit(.minutes(8)))
    func twoProcesses() async throws {
        let bin = try akashiExecutable()
        try await withTempDir { dir in
            let storeDir = dir + "/store"
            await #expect(try runAkashi(["ledger", "stress-append", "--store", storeDir, "--batches", "1", "--batch-size", "3"]).status == 0)
            func start() throws -> (Process, Pipe) {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: bin)
                p.arguments = ["ledger", "stress-append", "--store", storeDir, "--batches", "250", "--batch-size", "7"]
                let err = Pipe()
                p.standardOutput = FileHandle.nullDevice
                p.standardError = err
                try p.run()
                return (p, err)
            }
            let (a, errA) = try start(), (b, errB) = try start()
            let (statusA, statusB, messageA, messageB) = try await onThread {
                let messageA = String(decoding: errA.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let messageB = String(decoding: errB.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                a.waitUntilExit()
                b.waitUntilExit()
                return (a.terminationStatus, b.terminationStatus, messageA, messageB)
            }
            #expect(statusA == 0 && statusB == 0, "\(messageA) \(messageB)")
            let store = try SQLiteStore(directory: storeDir)
            #expect(try store.ledgerSize() == 3 + 2 * 250 * 7)
            #expect(try await LedgerService(store: store).verify().entries == 3 + 2 * 250 * 7)
        }
    }

    @Test("only one process holds a lease at a time; it is free again once released; the leases are independent",
          arguments: LedgerStoreKind.all)
    func leases(_ kind: LedgerStoreKind) async throws {
        try await withTempDir { dir in
            let a = try kind.open(dir), b = try kind.open(dir)
            for lease in StoreLease.allCases {
                let inside = try await a.withLease(lease) { try await b.withLease(lease) { "b too" } }
                #expect(inside == .some(nil), "while a holds the \(lease) lease, b must be refused at once")
                await #expect(try b.withLease(lease) { "b" } == "b")
                await #expect(try a.withLease(lease) { "a" } == "a")
            }
            let other = try await a.withLease(.signer) { try await b.withLease(.audit) { "b audits" } }
            #expect(other == .some("b audits"), "the signer lease must not hold up the audit lease")
        }
    }
}

extension TwoWriterTests {
    @Test("an audit waits for the audit lease another process holds, says so once, and runs when it is free",
          .timeLimit(.minutes(8)), arguments: LedgerStoreKind.all)
    func auditWaitsForTheLease(_ kind: LedgerStoreKind) async throws {
        let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let holder = try kind.open(dir)
        guard let store = try kind.open(dir) as? any AkashiStore & FindingStore else {
            Issue.record("the store keeps no findings")
            return
        }
        try await store.appendJournal(Self.events("J", 3))
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        Thread {
            _ = try? StoreThreads.wait {
                try await holder.withLease(.audit) {
                    held.signal()
                    release.wait()
                }
            }
        }.start()
        // Waited for without blocking a cooperative thread (the audit below needs one).
        while held.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(5)) }
        let told = Mutex(0)
        let audit = Task { try await AuditService(store: store).runHoldingLease(waiting: { told.withLock { $0 += 1 } }) }
        // However loaded the machine: until the audit says it waits (at most a minute), then a while longer.
        for _ in 0..<12_000 where told.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(600))
        #expect(told.withLock { $0 } == 1, "the waiting audit must say so, once")
        release.signal()
        _ = try await audit.value
        #expect(told.withLock { $0 } == 1)
        await #expect(try store.auditCheckpoint() != nil, "the audit ran once the lease was free")
    }
}
