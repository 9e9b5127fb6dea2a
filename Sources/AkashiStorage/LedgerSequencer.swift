import AkashiLedger

/// The one place that assigns ledger indexes and grows the Merkle tree.
///
/// A store owns exactly one sequencer and calls it inside the write transaction that stores the events:
/// the sequencer hashes the new entries (on all cores), extends the tree and returns the tiles to persist in the
/// same transaction. If the transaction fails the store calls ``rollback()``; a PostgreSQL store serialises its
/// writers on one sequencer the same way (one writer holds the sequence at a time).
public struct LedgerSequencer: Sendable {
    private var appender: TileAppender
    private var saved: TileAppender

    /// The next index to assign (= current tree size).
    public var size: UInt64 { appender.size }
    /// The current root.
    public var root: LedgerHash { appender.root }

    /// Rebuilds the sequencer's right edge from the stored tiles at `size`.
    public init(size: UInt64, tiles: some TileSource) throws {
        appender = try TileAppender(size: size, source: tiles)
        saved = appender
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

    /// Makes the appends since the last commit permanent in memory (call after the transaction commits).
    public mutating func commit() { saved = appender }

    /// Forgets the appends since the last commit (call when the transaction rolled back).
    public mutating func rollback() { appender = saved }
}
