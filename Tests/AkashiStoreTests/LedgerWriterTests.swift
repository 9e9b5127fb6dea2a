import AkashiLedger
import AkashiStorage
import Foundation
import Testing

/// `LedgerWriter` alone, on a database of a few arrays: the sequencing every store shares, without SQLite.
/// Each `LedgerWriter` stands for one process (or one server) with its own cached sequencer; the fake's lock stands
/// for the database's (SQLite's write lock, PostgreSQL's advisory lock).
@Suite("Ledger writer: the one place that sequences appends")
struct LedgerWriterTests {
    /// A database that commits or rolls back whole transactions, with one lock across all its writers.
    final class FakeLedgerDatabase: LedgerTransactions, @unchecked Sendable {
        final class Transaction {
            var entries: [[UInt8]] = []
            var tiles: [Tile] = []
        }

        private let lock = NSLock()
        private(set) var entries: [[UInt8]] = []
        let tiles = InMemoryTileStore()
        /// How many transactions committed, and how many rolled back.
        private(set) var commits = 0
        private(set) var rollbacks = 0

        func withLedgerLock<T>(_ body: (Transaction) throws -> T) throws -> T {
            lock.lock()
            defer { lock.unlock() }
            let tx = Transaction()
            do {
                let result = try body(tx)
                entries += tx.entries
                tiles.upsert(tx.tiles)
                commits += 1
                return result
            } catch {
                rollbacks += 1
                throw error
            }
        }

        func storedLedgerSize(in _: Transaction) throws -> UInt64 { UInt64(entries.count) }
        func ledgerTiles(in _: Transaction) -> any TileSource { tiles }
        func persistTiles(_ tiles: [Tile], in tx: Transaction) throws { tx.tiles += tiles }

        /// Appends through `writer` the way a store's `appendJournal` does: rows at the indexes given, entries back.
        @discardableResult
        func append(_ writer: LedgerWriter<FakeLedgerDatabase>, _ names: [String], failAfterWriting: Bool = false) throws -> [UInt64] {
            try writer.append(to: self) { tx, first in
                let new = names.map { Array($0.utf8) }
                tx.entries += new
                if failAfterWriting { throw Failure() }
                return (new, (0..<UInt64(new.count)).map { first + $0 })
            }
        }

        /// The root of every committed entry, computed from scratch (no tiles).
        func rootFromEntries() throws -> LedgerHash {
            var s = try LedgerSequencer(size: 0, tiles: InMemoryTileStore())
            _ = try s.append(entries)
            return s.root
        }

        /// The root as the stored tiles give it at the stored size.
        func rootFromTiles() throws -> LedgerHash {
            try LedgerSequencer(size: UInt64(entries.count), tiles: tiles).root
        }
    }

    struct Failure: Error {}

    @Test("two writers take turns: each starts at the stored size, never at its cached one; tiles give the root of all entries")
    func interleaved() throws {
        let db = FakeLedgerDatabase()
        let a = LedgerWriter<FakeLedgerDatabase>(), b = LedgerWriter<FakeLedgerDatabase>()
        #expect(try db.append(a, ["a0", "a1", "a2"]) == [0, 1, 2])
        #expect(try db.append(b, ["b0", "b1"]) == [3, 4])
        // Across a full level-0 tile (256 entries) and back.
        let big = try db.append(a, (0..<300).map { "a\($0 + 3)" })
        #expect(big.first == 5 && big.last == 304)
        #expect(try db.append(b, ["b2"]) == [305])
        #expect(a.cachedSize == 305 && b.cachedSize == 306)
        #expect(try db.rootFromTiles() == db.rootFromEntries())
    }

    @Test("a transaction that fails writes nothing and leaves the writer's next append right")
    func failedTransaction() throws {
        let db = FakeLedgerDatabase()
        let a = LedgerWriter<FakeLedgerDatabase>()
        try db.append(a, ["x0", "x1"])
        #expect(throws: Failure.self) { try db.append(a, ["lost0", "lost1", "lost2"], failAfterWriting: true) }
        #expect(db.entries.count == 2 && db.rollbacks == 1)
        #expect(a.cachedSize == 2)  // the failed append's sequencer was never published
        #expect(try db.append(a, ["x2"]) == [2])
        #expect(try db.rootFromTiles() == db.rootFromEntries())
    }

    @Test("four writers on four threads, 2,000 appends: every index once, in one tree")
    func concurrent() throws {
        let db = FakeLedgerDatabase()
        let writers = (0..<4).map { _ in LedgerWriter<FakeLedgerDatabase>() }
        let lock = NSLock()
        nonisolated(unsafe) var assigned: [UInt64] = []
        nonisolated(unsafe) var failures = 0
        DispatchQueue.concurrentPerform(iterations: writers.count) { w in
            for k in 0..<500 {
                // Batches of 1 to 3 entries, as the group committer makes them.
                let names = (0..<(k % 3 + 1)).map { "w\(w)-\(k)-\($0)" }
                let got = try? db.append(writers[w], names)
                lock.withLock { if let got { assigned += got } else { failures += 1 } }
            }
        }
        #expect(failures == 0)
        #expect(assigned.sorted() == (0..<UInt64(db.entries.count)).map { $0 })
        let perWriter = (0..<500).reduce(0) { $0 + $1 % 3 + 1 }
        #expect(db.entries.count == 4 * perWriter)
        #expect(try db.rootFromTiles() == db.rootFromEntries())
    }

    @Test("tiles that cannot be read stop the append with ledgerUnavailable, writing nothing")
    func unreadableTiles() throws {
        // A writer that must rebuild its sequencer from tiles that are gone, and cannot.
        let broken = BrokenTiles(size: 1)
        let b = LedgerWriter<BrokenTiles>()
        let error = #expect(throws: StoreError.self) {
            try b.append(to: broken) { (_: BrokenTiles.Tx, _: UInt64) -> (entries: [[UInt8]], result: Int) in
                ([Array("z1".utf8)], 1)
            }
        }
        #expect(error?.code == .ledgerUnavailable)
        #expect(broken.committed == false)
    }

    /// A database with one stored entry and no tiles.
    final class BrokenTiles: LedgerTransactions, @unchecked Sendable {
        let size: UInt64
        var committed = false
        init(size: UInt64) { self.size = size }
        struct Tx {}
        func withLedgerLock<T>(_ body: (Tx) throws -> T) throws -> T {
            let r = try body(Tx())
            committed = true
            return r
        }
        func storedLedgerSize(in _: Tx) throws -> UInt64 { size }
        func ledgerTiles(in _: Tx) -> any TileSource { InMemoryTileStore() }
        func persistTiles(_ tiles: [Tile], in _: Tx) throws {}
    }
}
