import AkashiLedger
import Foundation

/// Index assignment and tree growth: a pure value, the arithmetic of ``LedgerWriter``.
///
/// It hashes new entries (on all cores), extends the tree, and returns the tiles that changed. It holds no lock and
/// touches no database: ``LedgerWriter`` works on a copy inside the store's transaction and keeps the copy only once
/// that transaction has committed.
public struct LedgerSequencer: Sendable {
    private var appender: TileAppender

    /// The next index to assign (= current tree size).
    public var size: UInt64 { appender.size }
    /// The current root.
    public var root: LedgerHash { appender.root }

    /// Rebuilds the sequencer's right edge from the stored tiles at `size`.
    public init(size: UInt64, tiles: some TileSource) throws {
        appender = try TileAppender(size: size, source: tiles)
    }

    /// Appends entries; returns the index of the first and the tiles that changed. Refuses the whole call, appending
    /// nothing, when an entry is longer than an entry bundle can carry (``EntryBundle/maxEntryLength``): such a leaf
    /// could never be published, so no verifier could rebuild the tree from the published files.
    public mutating func append(_ entries: [[UInt8]]) throws -> (first: UInt64, tiles: [Tile]) {
        let first = appender.size
        guard !entries.isEmpty else { return (first, []) }
        if let k = entries.firstIndex(where: { $0.count > EntryBundle.maxEntryLength }) {
            throw LedgerError(.entryTooLarge, "entry for ledger index \(first + UInt64(k)) has \(entries[k].count) bytes, more than the \(EntryBundle.maxEntryLength) an entry bundle allows; nothing was appended")
        }
        let hashes = MerkleHash.leaves(entries)
        let tiles = try appender.append(hashes)
        return (first, tiles)
    }
}

/// What a store provides so that ``LedgerWriter`` can sequence its appends: one transaction that holds the store's
/// ledger lock (SQLite: `BEGIN IMMEDIATE`, the database's single writer lock; PostgreSQL: a transaction-scoped
/// advisory lock), and, inside it, the stored ledger size, the stored tiles and a place to put changed ones.
public protocol LedgerTransactions: AnyObject, Sendable {
    /// The store's handle on one open transaction.
    associatedtype LedgerTransaction
    /// Runs `body` in one transaction holding the ledger lock from before it reads the stored size until it commits;
    /// commits when `body` returns, rolls back (writing nothing) when it throws.
    func withLedgerLock<T>(_ body: (LedgerTransaction) throws -> T) throws -> T
    /// The number of entries stored, as `transaction` sees it (under the lock: no other writer can change it).
    func storedLedgerSize(in transaction: LedgerTransaction) throws -> UInt64
    /// The stored tiles, as `transaction` sees them (to rebuild the tree's right edge when another writer moved it).
    func ledgerTiles(in transaction: LedgerTransaction) -> any TileSource
    /// Stores the tiles an append changed, in `transaction` (a store may leave out tiles it derives when read).
    func persistTiles(_ tiles: [Tile], in transaction: LedgerTransaction) throws
}

/// The one place that sequences ledger appends, for every store and every process on it:
/// lock → read the stored size → assign indexes from it → persist tiles → commit → publish.
///
/// The store's lock (``LedgerTransactions/withLedgerLock(_:)``) serialises writers across processes and servers;
/// the writer's own lock serialises this process's callers on its cached ``LedgerSequencer``. The cache is only a
/// shortcut: the size is read again under the store's lock on every append, and when another writer (a second
/// process, another server on the same database) appended since, the sequencer is rebuilt from the stored tiles
/// inside the same transaction. So no two writers can assign the same index, and a writer that dies mid-append
/// leaves nothing behind but a rolled-back transaction.
public final class LedgerWriter<Store: LedgerTransactions>: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`; published only after the transaction that extended it committed.
    private var sequencer: LedgerSequencer?

    public init() {}

    /// Appends in one transaction of `store`: `body` gets the transaction and the first index it may assign, writes
    /// its rows there, and returns the entries it appended (in index order, starting at that index) and its result.
    /// Their tiles are persisted in the same transaction. Returns `body`'s result once the transaction committed.
    public func append<T>(to store: Store,
                          _ body: (Store.LedgerTransaction, _ first: UInt64) throws -> (entries: [[UInt8]], result: T))
        throws -> T {
        lock.lock()
        defer { lock.unlock() }
        var extended: LedgerSequencer?
        let result = try store.withLedgerLock { tx -> T in
            let stored = try store.storedLedgerSize(in: tx)
            var seq: LedgerSequencer
            if let cached = sequencer, cached.size == stored {
                seq = cached
            } else {
                do {
                    seq = try LedgerSequencer(size: stored, tiles: store.ledgerTiles(in: tx))
                } catch {
                    throw StoreError(.ledgerUnavailable,
                                     "the ledger cannot be extended: the stored tiles at size \(stored) could not be read",
                                     cause: error)
                }
            }
            let (entries, result) = try body(tx, stored)
            let (_, tiles) = try seq.append(entries)
            try store.persistTiles(tiles, in: tx)
            extended = seq
            return result
        }
        sequencer = extended
        return result
    }

    /// The size this process last sequenced to (`nil` before its first append): for tests and diagnostics only; the
    /// stored size is what counts.
    public var cachedSize: UInt64? {
        lock.lock()
        defer { lock.unlock() }
        return sequencer?.size
    }
}
