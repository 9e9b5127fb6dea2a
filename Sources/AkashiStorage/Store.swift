import AkashiDomain
import AkashiInterchange
import AkashiLedger
import Foundation

/// One decoded record on its way into a store, with where it came from.
public struct IngestItem: Sendable {
    public var record: Record
    /// The record's canonical JSON (what the store keeps and compares; for events, the ledger entry).
    public var canonical: [UInt8]
    /// The line exactly as read, kept for the quarantine if the store refuses it (a slice of the read buffer: no copy).
    public var raw: ArraySlice<UInt8>
    public var file: String
    public var line: Int

    public init(record: Record, canonical: [UInt8], raw: ArraySlice<UInt8>, file: String, line: Int) {
        self.record = record
        self.canonical = canonical
        self.raw = raw
        self.file = file
        self.line = line
    }
}

/// What a store did with one ingested record.
public enum IngestOutcome: Sendable, Equatable {
    /// New: stored (events: appended to the ledger at this index).
    case inserted(ledgerIndex: UInt64?)
    /// Already there with the same content: nothing changed.
    case duplicate
    /// The same type and ID with other content: refused, the first version kept.
    case conflict
}

/// A rejected line kept verbatim, with its file, line number and reason.
public struct QuarantineItem: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var reason: String
    public var raw: [UInt8]

    public init(file: String, line: Int, reason: String, raw: [UInt8]) {
        self.file = file
        self.line = line
        self.reason = reason
        self.raw = raw
    }
}

/// Counts per record type, as `akashi stats` prints them.
public struct StoreStats: Sendable, Equatable, Codable {
    public var offices = 0
    public var staff = 0
    public var registers = 0
    public var persons = 0
    public var protections = 0
    public var cases = 0
    public var access = 0
    public var selfReports = 0
    public var quarantined = 0
    /// Entries in the ledger (access events and the workspace's own events); not part of the JSON form.
    public var ledgerSize = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case offices, staff, registers, persons, protections, cases, access
        case selfReports = "self_reports"
        case quarantined
    }
}

/// A reference to an ID that no record of the store carries (yet).
public struct DanglingReference: Sendable, Equatable {
    /// The referring record, e.g. `access E000123`.
    public var from: String
    /// The field, e.g. `register`.
    public var field: String
    /// The missing ID.
    public var id: String

    public init(from: String, field: String, id: String) {
        self.from = from
        self.field = field
        self.id = id
    }
}

/// One stored event: its ledger index, exact entry bytes and the columns the store looks it up by.
public struct StoredEvent: Sendable {
    public var seq: UInt64
    public var id: String
    public var type: String
    public var atMillis: Int64
    public var staff: String?
    public var office: String?
    public var register: String?
    public var person: String?
    public var caseID: String?
    public var entry: [UInt8]

    public init(seq: UInt64, id: String, type: String, atMillis: Int64, staff: String?, office: String?,
                register: String?, person: String?, caseID: String?, entry: [UInt8]) {
        self.seq = seq
        self.id = id
        self.type = type
        self.atMillis = atMillis
        self.staff = staff
        self.office = office
        self.register = register
        self.person = person
        self.caseID = caseID
        self.entry = entry
    }
}

/// One row of a lookup index: which table, its key, its time component (ms; the JST day for `office`;
/// 0 for `case`) and the event's ledger index.
public struct LookupRow: Sendable, Hashable {
    public enum Table: String, Sendable, CaseIterable { case staff, register, person, `case`, office }
    public var table: Table
    public var key: String
    public var at: Int64
    public var seq: UInt64

    public init(table: Table, key: String, at: Int64, seq: UInt64) {
        self.table = table
        self.key = key
        self.at = at
        self.seq = seq
    }

    /// The rows an event must have in the lookup indexes.
    public static func expected(for e: StoredEvent) -> [LookupRow] {
        var rows: [LookupRow] = []
        if let k = e.staff { rows.append(LookupRow(table: .staff, key: k, at: e.atMillis, seq: e.seq)) }
        if let k = e.register { rows.append(LookupRow(table: .register, key: k, at: e.atMillis, seq: e.seq)) }
        if let k = e.person { rows.append(LookupRow(table: .person, key: k, at: e.atMillis, seq: e.seq)) }
        if let k = e.caseID { rows.append(LookupRow(table: .case, key: k, at: 0, seq: e.seq)) }
        if let k = e.office {
            let day = Timestamp(millis: e.atMillis).jstDate.day
            rows.append(LookupRow(table: .office, key: k, at: Int64(day), seq: e.seq))
        }
        return rows
    }

    /// A 64-bit digest of the row (FNV-1a), summed over a table to compare multisets of rows in one pass.
    public var digest: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        for b in table.rawValue.utf8 { mix(b) }
        mix(0)
        for b in key.utf8 { mix(b) }
        mix(0)
        withUnsafeBytes(of: at.littleEndian) { $0.forEach(mix) }
        withUnsafeBytes(of: seq.littleEndian) { $0.forEach(mix) }
        return h
    }
}

/// A signed checkpoint as stored.
public struct StoredCheckpoint: Sendable, Equatable {
    public var size: UInt64
    public var root: LedgerHash
    /// The whole signed note.
    public var note: String

    public init(size: UInt64, root: LedgerHash, note: String) {
        self.size = size
        self.root = root
        self.note = note
    }
}

/// Where Akashi keeps its data: records, the ledger and its tiles. The embedded SQLite store implements it; a
/// PostgreSQL store is to stand beside it (issue 17).
///
/// Every write that adds events goes through ``ingest(_:)`` in one durable transaction (group commit) and
/// sequences the new entries through the store's ``LedgerWriter``, the one place that assigns ledger indexes.
/// No method can change or remove an event once stored.
public protocol AkashiStore: EventLogReader {
    /// Stores a batch in one durable transaction and returns what happened to each item, in order.
    ///
    /// With `deferLookupIndexes` (bulk import) the store may leave the new events' lookup-index rows (by staff,
    /// register, person, case, office) for a later commit, up to a bound of its own, and fill them in one sorted pass;
    /// ``catchUpLookupIndexes()`` fills whatever is left. The events themselves are durable either way.
    func ingest(_ items: [IngestItem], deferLookupIndexes: Bool) async throws -> [IngestOutcome]
    /// Adds every lookup-index row that a deferred ingest (or a crash after one) left out.
    func catchUpLookupIndexes() async throws
    /// Ends this process's writing to the store, leaving its files as a later reader needs them (SQLite: the
    /// write-ahead log copied into the database file and emptied, so that a copy on a read-only file system or a full
    /// disk reads without writing). Idempotent; reads still work after it. A command that wrote calls it before it
    /// exits, rather than trusting the store to be released in time (a thread still holding it at exit skips that).
    func close() async
    /// Appends Akashi's own events (sign-ins, acknowledgements, auditor actions) to the ledger in one durable
    /// transaction; returns their ledger indexes.
    @discardableResult
    func appendJournal(_ events: [JournalEvent]) async throws -> [UInt64]
    /// Keeps rejected lines; a line already quarantined for the same reason is not kept twice. Returns how many were new.
    @discardableResult
    func quarantine(_ items: [QuarantineItem]) async throws -> Int
    /// Where the quarantined lines can be read, for a message to the operator (a file, or a table and its store).
    var quarantineLocation: String { get }
    /// Counts per record type.
    func stats() async throws -> StoreStats
    /// Calls `body` with the canonical JSON of every record of a type (events in ledger order).
    func forEachRecord(_ type: RecordType, _ body: ([UInt8]) throws -> Void) async throws
    /// References to IDs the store does not hold: from events with ledger index ≥ `fromLedgerIndex`, and, with
    /// `referenceRecords`, from every reference record (staff, registers, persons, cases, protections, self-reports).
    /// An import that stored no reference record passes `false`: new events cannot resolve or add such references.
    func danglingReferences(fromLedgerIndex: UInt64, referenceRecords: Bool, limit: Int) async throws
        -> (count: Int, examples: [DanglingReference])

    // MARK: Ledger
    /// Entries in the ledger.
    func ledgerSize() async throws -> UInt64
    /// A tile as of the last commit (full or partial). A store need not write a partial level-0 tile on every
    /// commit: its hashes are the leaf hashes of the entries after the last full tile, and it may derive them from
    /// the entries when the tile is read (the SQLite store does). Every other tile is stored when it changes.
    func tile(level: Int, index: UInt64) async throws -> Tile?
    /// The stored tiles among `indexes` at `level` (missing ones left out), in one read where the store can.
    func tiles(level: Int, indexes: [UInt64]) async throws -> [Tile]
    /// The newest signed checkpoint.
    func latestCheckpoint() async throws -> StoredCheckpoint?
    /// Up to `limit` stored events with ledger index ≥ `fromSeq`, in ledger order, with the columns the store indexes
    /// them by (for verification).
    func storedEvents(fromSeq: UInt64, limit: Int) async throws -> [StoredEvent]
    /// Every row of the lookup indexes (by staff, register, person, case, office), for verification.
    func forEachLookupRow(_ body: (LookupRow) throws -> Void) async throws
    /// The first ledger index whose events still wait for their lookup-index rows (a bulk import that stopped before
    /// its indexing pass; the next writer to open the store makes them), or nil when every event has them.
    func lookupRowsPending() async throws -> UInt64?
    /// Every stored tile, ordered by level then index (for verification).
    func forEachTile(_ body: (Tile) throws -> Void) async throws
    /// The store's own consistency check (e.g. SQLite's integrity check); an empty list when sound.
    func integrityProblems() async throws -> [String]
    /// The verifier key the store's checkpoints were signed with, as recorded when signing (public, not trusted by itself).
    func recordedVerifierKey() async throws -> String?
    /// Records the verifier key (public) of the signer, replacing the one recorded before.
    func recordVerifierKey(_ text: String) async throws
    /// All stored checkpoints, oldest first.
    func checkpoints() async throws -> [StoredCheckpoint]
    /// Stores a signed checkpoint (append-only): one of a size already stored is ignored, the first one stays.
    func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws
    /// Runs `body` while holding one of the store's leases, or returns nil at once when another holder (a process,
    /// or another connection of this one) has it: with several servers on one store, only the holder of
    /// ``StoreLease/signer`` signs checkpoints and only the holder of ``StoreLease/audit`` runs the background audit.
    /// A lease dies with its holder (a killed process never keeps it), so another server takes over at its next turn.
    func withLease<T: Sendable>(_ lease: StoreLease, _ body: () async throws -> T) async throws -> T?
}

/// The background duties of which one server at a time takes care (see ``AkashiStore/withLease(_:_:)``).
public enum StoreLease: String, Sendable, CaseIterable {
    /// Signing checkpoints.
    case signer
    /// Auditing new accesses in the background.
    case audit
}

extension AkashiStore {
    /// Stores with nothing to leave behind (a server's connections close on their own) need do nothing.
    public func close() async {}

    /// Stores a batch in one durable transaction, lookup indexes included; returns what happened to each item, in order.
    public func ingest(_ items: [IngestItem]) async throws -> [IngestOutcome] {
        try await ingest(items, deferLookupIndexes: false)
    }

    /// Every stored event in ledger order (``storedEvents(fromSeq:limit:)`` page by page).
    public func forEachEvent(_ body: (StoredEvent) throws -> Void) async throws {
        var next: UInt64 = 0
        while true {
            let page = try await storedEvents(fromSeq: next, limit: 8192)
            for e in page { try body(e) }
            guard let last = page.last, page.count == 8192 else { return }
            next = last.seq + 1
        }
    }

}

/// The tile source behind ``LedgerService/hashes``: proofs are synchronous arithmetic over tiles, and the store's reads
/// are async, so a tile the shared cache lacks is not read here: asking for it throws ``TilesNeeded``, and
/// ``LedgerService/proving(_:)`` reads it from the store, hands it over with ``provide(level:asked:tiles:)`` and runs
/// the proof again. A tile handed over is given out once (the shared cache keeps it from then on).
final class FetchedTiles: TileSource, @unchecked Sendable {
    private let lock = NSLock()
    /// Tiles read for a proof and not yet taken; `nil`: asked for, and the store has none.
    private var ready: [Int: [UInt64: Tile?]] = [:]

    func provide(level: Int, asked: [UInt64], tiles: [Tile]) {
        lock.withLock {
            for i in asked { ready[level, default: [:]][i] = .some(nil) }
            for t in tiles where t.level == level { ready[level, default: [:]][t.index] = .some(t) }
        }
    }

    func tile(level: Int, index: UInt64) throws -> Tile? {
        try tiles(level: level, indexes: [index]).first
    }

    func tiles(level: Int, indexes: [UInt64]) throws -> [Tile] {
        try lock.withLock {
            let missing = indexes.filter { ready[level]?[$0] == nil }
            guard missing.isEmpty else { throw TilesNeeded(level: level, indexes: missing) }
            var out: [Tile] = []
            for i in indexes {
                if case let .some(.some(t)) = ready[level]?.removeValue(forKey: i) { out.append(t) }
            }
            return out
        }
    }
}

/// Tiles a proof needs that are not in the shared cache (see ``FetchedTiles``).
struct TilesNeeded: Error {
    var level: Int
    var indexes: [UInt64]
}
