import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiStorage
import Foundation
import GRDB
import GRDBSQLite

/// The embedded default store: one SQLite database (WAL) in a directory, plus the quarantine file beside it.
///
/// Layout of `DIR`: `akashi.sqlite` (records, events, ledger tiles, checkpoints), `quarantine.jsonl` (rejected
/// lines, verbatim). Writes are serialised; reads run in parallel (``DatabasePool``).
public final class SQLiteStore: AkashiStore, @unchecked Sendable {
    /// The store directory.
    public let directory: String
    /// The database file.
    public var databasePath: String { directory + "/akashi.sqlite" }
    /// The quarantine file (rejected lines kept verbatim).
    public var quarantinePath: String { directory + "/quarantine.jsonl" }

    let pool: DatabasePool
    // Guards `sequencer`; held for the whole of a write so sequencing and the transaction are one step.
    private let writeLock = NSLock()
    private var sequencer: LedgerSequencer?
    private var sequencerError: (any Error)?

    /// Opens (creating when needed) the store in `directory`.
    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = Configuration()
        config.label = "akashi"
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // Durable commits: an acknowledged append survives power loss (WAL is fsynced on commit).
            try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY")
        }
        pool = try DatabasePool(path: directory + "/akashi.sqlite", configuration: config)
        try Schema.migrator.migrate(pool)
        reloadSequencer()
    }

    private func reloadSequencer() {
        do {
            let size = try pool.read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq) + 1, 0) FROM event") } ?? 0
            sequencer = try LedgerSequencer(size: UInt64(size), tiles: StoreTileSource(store: self))
            sequencerError = nil
        } catch {
            sequencer = nil
            sequencerError = error
        }
    }

    // MARK: Ingest

    public func ingest(_ items: [IngestItem]) throws -> [IngestOutcome] {
        writeLock.lock()
        defer { writeLock.unlock() }
        guard var seq = sequencer else {
            throw StoreError(.ledgerUnreadable, "the ledger cannot be extended: \(sequencerError.map { "\($0)" } ?? "unknown")")
        }
        var outcomes = [IngestOutcome](repeating: .duplicate, count: items.count)
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let w = try RawWriter(db.sqliteConnection!)
                    var entries: [[UInt8]] = []
                    var next = seq.size
                    for (k, item) in items.enumerated() {
                        outcomes[k] = try w.put(item, seq: next)
                        if case .inserted(ledgerIndex: .some) = outcomes[k] {
                            entries.append(item.canonical)
                            next += 1
                        }
                    }
                    let (_, tiles) = try seq.append(entries)
                    for t in tiles { try w.putTile(t) }
                    return .commit
                }
            }
        } catch {
            throw error
        }
        seq.commit()
        sequencer = seq
        return outcomes
    }

    @discardableResult
    public func quarantine(_ items: [QuarantineItem]) throws -> Int {
        guard !items.isEmpty else { return 0 }
        writeLock.lock()
        defer { writeLock.unlock() }
        var fresh: [QuarantineItem] = []
        try pool.write { db in
            let stmt = try db.cachedStatement(
                sql: "INSERT INTO quarantine(file, line, reason, raw) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
            for q in items {
                try stmt.execute(arguments: [q.file, q.line, q.reason, Data(q.raw)])
                if db.changesCount > 0 { fresh.append(q) }
            }
        }
        if !fresh.isEmpty {
            let fm = FileManager.default
            if !fm.fileExists(atPath: quarantinePath) { _ = fm.createFile(atPath: quarantinePath, contents: nil) }
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: quarantinePath))
            defer { try? h.close() }
            try h.seekToEnd()
            var bytes: [UInt8] = []
            for q in fresh {
                bytes.append(contentsOf: q.raw)
                bytes.append(0x0A)
            }
            try h.write(contentsOf: bytes)
            try h.synchronize()
        }
        return fresh.count
    }

    // MARK: Reading

    public func stats() throws -> StoreStats {
        try pool.read { db in
            var s = StoreStats()
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            s.offices = try count("SELECT count(*) FROM office")
            s.staff = try count("SELECT count(*) FROM staff")
            s.registers = try count("SELECT count(*) FROM register")
            s.persons = try count("SELECT count(*) FROM person")
            s.protections = try count("SELECT count(*) FROM protection")
            s.cases = try count("SELECT count(*) FROM cases")
            s.access = try count("SELECT count(*) FROM event WHERE type = 'access'")
            s.selfReports = try count("SELECT count(*) FROM self_report")
            s.quarantined = try count("SELECT count(*) FROM quarantine")
            s.ledgerSize = try count("SELECT coalesce(max(seq) + 1, 0) FROM event")
            return s
        }
    }

    public func forEachRecord(_ type: RecordType, _ body: ([UInt8]) throws -> Void) throws {
        let sql = switch type {
        case .office: "SELECT doc FROM office ORDER BY code"
        case .staff: "SELECT doc FROM staff ORDER BY id"
        case .register: "SELECT doc FROM register ORDER BY id"
        case .person: "SELECT doc FROM person ORDER BY id"
        case .protection: "SELECT doc FROM protection ORDER BY key"
        case .case: "SELECT doc FROM cases ORDER BY id"
        case .access: "SELECT entry FROM event WHERE type = 'access' ORDER BY seq"
        case .self_report: "SELECT doc FROM self_report ORDER BY key"
        }
        try pool.read { db in
            try RawReader.forEachBlob(db.sqliteConnection!, sql: sql, body)
        }
    }

    public func danglingReferences(fromLedgerIndex from: UInt64, limit: Int) throws
        -> (count: Int, examples: [DanglingReference]) {
        let sql = """
            SELECT 'access ' || e.id, 'staff', e.staff FROM event e WHERE e.seq >= ?1 AND e.type = 'access'
                AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = e.staff)
            UNION ALL SELECT 'access ' || e.id, 'register', e.register FROM event e
                WHERE e.seq >= ?1 AND e.type = 'access' AND e.register IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM register r WHERE r.id = e.register)
            UNION ALL SELECT 'access ' || e.id, 'person', e.person FROM event e
                WHERE e.seq >= ?1 AND e.type = 'access' AND e.person IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM person p WHERE p.id = e.person)
            UNION ALL SELECT 'access ' || e.id, 'case', e.case_id FROM event e
                WHERE e.seq >= ?1 AND e.type = 'access' AND e.case_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)
            UNION ALL SELECT 'person ' || p.id, 'register', p.register FROM person p
                WHERE NOT EXISTS (SELECT 1 FROM register r WHERE r.id = p.register)
            UNION ALL SELECT 'case ' || c.case_id, 'registers', c.register FROM case_register c
                WHERE NOT EXISTS (SELECT 1 FROM register r WHERE r.id = c.register)
            UNION ALL SELECT 'staff ' || s.id, 'person', s.person FROM staff s
                WHERE s.person IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person p WHERE p.id = s.person)
            """
        return try pool.read { db in
            var count = 0
            var examples: [DanglingReference] = []
            let rows = try Row.fetchCursor(db, sql: sql, arguments: [Int64(from)])
            while let row = try rows.next() {
                count += 1
                if examples.count < limit {
                    examples.append(DanglingReference(from: row[0], field: row[1], id: row[2]))
                }
            }
            return (count, examples)
        }
    }

    // MARK: Ledger

    public func ledgerSize() throws -> UInt64 {
        writeLock.lock()
        defer { writeLock.unlock() }
        if let s = sequencer { return s.size }
        let n = try pool.read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq) + 1, 0) FROM event") } ?? 0
        return UInt64(n)
    }

    public func ledgerEntries(_ range: Range<UInt64>) throws -> [[UInt8]] {
        try pool.read { db in
            var out: [[UInt8]] = []
            out.reserveCapacity(range.count)
            try RawReader.forEachBlob(db.sqliteConnection!, sql: "SELECT entry FROM event WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
                                      bind: [Int64(range.lowerBound), Int64(range.upperBound)]) { out.append($0) }
            return out
        }
    }

    public func ledgerIndex(ofEvent id: String) throws -> UInt64? {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM event WHERE id = ?", arguments: [id]) }
            .map { UInt64($0) }
    }

    public func tile(level: Int, index: UInt64) throws -> Tile? {
        try pool.read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT hashes FROM ledger_tile WHERE level = ? AND idx = ?",
                                               arguments: [level, Int64(index)]) else { return nil }
            return Tile(level: level, index: index, hashes: [UInt8](data))
        }
    }

    public func latestCheckpoint() throws -> StoredCheckpoint? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT size, root, note FROM ledger_checkpoint ORDER BY size DESC LIMIT 1")
                .flatMap(Self.checkpoint)
        }
    }

    public func checkpoints() throws -> [StoredCheckpoint] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT size, root, note FROM ledger_checkpoint ORDER BY size").compactMap(Self.checkpoint)
        }
    }

    private static func checkpoint(_ row: Row) -> StoredCheckpoint? {
        let size: Int64 = row[0]
        let root: Data = row[1]
        guard let hash = LedgerHash(bytes: root) else { return nil }
        return StoredCheckpoint(size: UInt64(size), root: hash, note: row[2])
    }

    public func saveCheckpoint(_ c: StoredCheckpoint) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO ledger_checkpoint(size, root, note) VALUES (?, ?, ?) ON CONFLICT(size) DO NOTHING",
                           arguments: [Int64(c.size), Data(c.root.bytes), c.note])
        }
    }
}

/// Store errors with a code and a plain message.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case ledgerUnreadable, sqlite }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

extension SQLiteStore {
    /// Runs raw SQL against the store: for tests that prove the store refuses tampering. Not used by the product.
    func executeForTesting(_ sql: String) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: sql) }
    }
}
