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
    public var databasePath: String { directory + "/" + Self.databaseFile }
    /// The database file's name inside a store directory (its presence marks the directory as a store).
    public static let databaseFile = "akashi.sqlite"
    /// The quarantine file (rejected lines kept verbatim).
    public var quarantinePath: String { directory + "/quarantine.jsonl" }
    public var quarantineLocation: String { quarantinePath }

    let pool: DatabasePool
    /// Key lookups on the request path, outside GRDB's per-read transaction (see ``PointReads``).
    let points: PointReads
    /// Reference records decoded on the request path, by document bytes (see ``DecodedRecords``).
    let decodedRecords = DecodedRecords()
    // Guards the writer connection's prepared statements (`rawWriter`) for every write of this process.
    private let writeLock = NSLock()
    /// Sequences ledger appends (the same code for every store; see ``LedgerWriter``).
    private let ledger = LedgerWriter<SQLiteStore>()
    // Background WAL checkpoints (automatic checkpoints are off: they stall commits).
    private(set) var checkpointer: Checkpointer?
    // The writer connection's prepared statements, kept across transactions (guarded by `writeLock`).
    private var rawWriter: RawWriter?

    /// The prepared writer for the pool's writer connection, prepared once.
    private func writer(_ db: Database) throws -> RawWriter {
        let conn = db.sqliteConnection!
        if let w = rawWriter, w.connection == conn { return w }
        let w = try RawWriter(conn)
        rawWriter = w
        return w
    }
    /// WAL frames (pages) after which a commit checkpoints the WAL itself (``walHook``): 16,384 pages = 64 MiB.
    static let walRestartFrames: Int32 = 16_384

    /// The store holds every register, the ledger and the password hashes: readable by its owner only (security
    /// retest N-6: the database files were 0644 and the directory 0755, so any local account could read them
    /// unrecorded). The directory becomes 0700 and the database files 0600, on every open (an older store too), where
    /// they allow more. Best effort: a store this process may not change (another owner's, on read-only media) is
    /// left as it is, and opening it fails or not for its own reasons.
    static func restrictPermissions(_ directory: String) {
        let fm = FileManager.default
        func tighten(_ path: String, to mode: Int) {
            guard let now = (try? fm.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber,
                  now.intValue & 0o077 != 0 else { return }
            try? fm.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
        tighten(directory, to: 0o700)
        for suffix in ["", "-wal", "-shm"] { tighten(directory + "/" + databaseFile + suffix, to: 0o600) }
    }

    /// Why this process cannot write to the store in `directory` (an existing directory): it is on a read-only file
    /// system, or the directory or a database file is not this user's to write; nil when it can.
    public static func unwritable(_ directory: String) -> String? {
        var fs = statvfs()
        if statvfs(directory, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 { return "is on a read-only file system" }
        for path in [directory] + ["", "-wal", "-shm"].map({ directory + "/" + databaseFile + $0 })
        where FileManager.default.fileExists(atPath: path) && access(path, W_OK) != 0 {
            return errno == EROFS ? "is on a read-only file system" : "is not writable by this user"
        }
        return nil
    }

    /// The error for a command that writes, given a store it cannot write (``unwritable(_:)``).
    static func readOnlyError(_ directory: String, _ problem: String) -> StoreError {
        StoreError(.readOnly, "the store \(directory) \(problem): this command writes to the store and cannot run "
                   + "(the reading commands can: stats, export, ledger verify, ledger check, audit --no-run)")
    }

    /// Opens (creating when needed) the store in `directory`; a store this process cannot write is a ``StoreError``
    /// `readOnly` naming why. With `readOnly`, opens an existing store for reading only: nothing is written (no
    /// checkpoint, no migration, no permission change), so reading works on a read-only file system, on a store
    /// another user owns, and on a full disk. A store on a read-only file system is opened immutable (nothing can
    /// change it there), so SQLite needs no shared-memory file beside it.
    public init(directory: String, readOnly: Bool = false) throws {
        self.directory = directory
        var config = Configuration()
        if readOnly {
            guard FileManager.default.fileExists(atPath: directory + "/" + Self.databaseFile) else {
                throw StoreError(.database, "no Akashi store in \(directory)")
            }
            config.readonly = true
            config.label = "akashi-read"
            config.busyMode = .timeout(10)
            let path = directory + "/" + Self.databaseFile
            func reader(_ path: String) throws -> DatabasePool {
                let pool = try DatabasePool(path: path, configuration: config)
                guard try pool.read(Schema.migrator.hasCompletedMigrations) else {
                    throw StoreError(.readOnly, "the store \(directory) was made by an older Akashi and needs upgrading, "
                                     + "which only a command that writes can do (e.g. akashi import of nothing new)")
                }
                return pool
            }
            func failure(_ e: DatabaseError, _ why: String = "") -> StoreError {
                StoreError(.database, "cannot read the store \(directory)" + (Self.unwritable(directory).map { " (it \($0))" } ?? "")
                           + why + ": \(e.message ?? "\(e.resultCode)")", cause: e)
            }
            var opened = path
            let readers: DatabasePool
            do {
                readers = try reader(path)
            } catch let e as DatabaseError {
                // The first reader of a WAL database builds the log's index in its shared-memory file
                // (akashi.sqlite-shm), and cannot on a read-only file system, as a user who may not write the
                // directory, or on a full disk. When the write-ahead log is empty (a writer that closed normally left
                // it so), the database file alone is the whole store, which SQLite can read as immutable, without it.
                let walBytes = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
                guard walBytes == 0 else {
                    throw failure(e, "; its write-ahead log holds commits a reader cannot apply here "
                                  + "(open it once where it can be written, or copy the directory somewhere writable)")
                }
                opened = Self.immutableURI(path)
                do { readers = try reader(opened) } catch let e as DatabaseError { throw failure(e) }
            }
            pool = readers
            points = PointReads(path: opened, readOnly: true)
            checkpointer = nil
            Self.restrictPermissions(directory)
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let problem = Self.unwritable(directory) { throw Self.readOnlyError(directory, problem) }
        config.label = "akashi"
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // Durable commits: an acknowledged append survives power loss (WAL is fsynced on commit). The WAL is
            // checkpointed in the background by `Checkpointer`; a commit finishes the job only when the WAL is large.
            // No memory map: the file grows with every checkpoint and each connection then remaps it, and the
            // remaps' TLB shootdowns stalled both cores (workspace p50 1.7–3.2 → 1.1–1.3 ms, p99 median 9.5 → 5.0 ms
            // in alternated runs); reads go through SQLite's own 256 MiB page cache instead.
            try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA cache_size = -262144; PRAGMA mmap_size = 0; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0")
            // After the pragma, which clears the hook.
            sqlite3_wal_hook(db.sqliteConnection, walHook, nil)
        }
        pool = try DatabasePool(path: directory + "/" + Self.databaseFile, configuration: config)
        // GRDB switches its writer to `synchronous = NORMAL` when it turns WAL on, after `prepareDatabase`: in WAL mode
        // that skips the fsync at commit, so an acknowledged append could be lost in a power cut. Put FULL back.
        try Self.requireFullSync(pool)
        try Schema.migrator.migrate(pool)
        Self.restrictPermissions(directory)
        points = PointReads(path: directory + "/" + Self.databaseFile)
        checkpointer = Checkpointer(path: directory + "/" + Self.databaseFile)
        // An import that stopped (or was killed) between its commits and its last indexing pass left events without
        // lookup rows: add them before anyone reads through the indexes.
        try catchUpLookupIndexes()
    }

    /// An SQLite URI for a database file no one can change while it is open (on a read-only file system).
    static func immutableURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?immutable=1"
    }

    deinit { finishWriting() }

    /// ``AkashiStore/close()``: the last checkpoint and an empty write-ahead log, now.
    public func close() async { finishWriting() }

    private let closeLock = NSLock()

    /// Stops the background checkpointer after its last checkpoint and empties the write-ahead log (once).
    private func finishWriting() {
        closeLock.lock()
        defer { closeLock.unlock() }
        // The last checkpoint, then its connection closes (before the pool's connections close).
        checkpointer?.stop()
        // Leave the write-ahead log empty where no one else is reading (never waiting for those who are): a reader
        // that comes when no process has the store open can then read the database file alone, even where nothing
        // can be written (a full disk, a read-only copy), instead of rebuilding the log's index in a new file.
        if checkpointer != nil {
            try? pool.writeWithoutTransaction { db in
                sqlite3_busy_timeout(db.sqliteConnection, 0)
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
            checkpointer = nil
        }
    }

    /// How many events a bulk import may leave without lookup-index rows before they are indexed: bounds the sorter's
    /// memory (about 40 bytes an event per index) and how long another process waits to see an import's events in
    /// per-person or per-register lookups. Indexing 1M events in one sorted pass writes each index page once, where
    /// indexing every 8 MiB batch rewrote nearly all of them every time.
    public static let maxDeferredLookupEvents: UInt64 = 1 << 20

    /// The first ledger index whose lookup-index rows a bulk import left for later (`ledger_meta.lookup_pending`),
    /// or `nil` when every event has them. The marker is written once when an import starts deferring and removed by
    /// the pass that catches up, so a workspace commit, which indexes its own events, writes no ledger_meta page.
    private func lookupPending(_ db: Database) throws -> UInt64? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM ledger_meta WHERE key = 'lookup_pending'"))
            .flatMap { UInt64($0) }
    }

    /// Indexes this transaction's events (`from` up to `size`) and any an import left pending, inside the caller's
    /// transaction, and clears the marker.
    private func indexLookups(_ db: Database, _ w: RawWriter, from: UInt64, upTo size: UInt64) throws {
        let pending = try w.pendingLookups()
        let start = min(pending ?? from, from)
        if start < size { try w.indexLookups(start..<size) }
        if pending != nil { try db.cachedStatement(sql: "DELETE FROM ledger_meta WHERE key = 'lookup_pending'").execute() }
    }

    public func catchUpLookupIndexes() throws {
        writeLock.lock()
        defer { writeLock.unlock() }
        guard try pool.read({ db in try lookupPending(db) }) != nil else { return }
        let size = try pool.read(Self.storedSize)
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try indexLookups(db, try writer(db), from: size, upTo: size)
                return .commit
            }
        }
    }

    /// The stored ledger size (the next index), as of `db`'s snapshot or transaction.
    static func storedSize(_ db: Database) throws -> UInt64 {
        UInt64(try Int64.fetchOne(db.cachedStatement(sql: "SELECT coalesce(max(seq) + 1, 0) FROM event")) ?? 0)
    }

    // MARK: Ingest

    /// One write transaction on the writer connection, as ``LedgerWriter`` sees it.
    public struct LedgerTransaction {
        let db: Database
        let writer: RawWriter
    }

    /// Tiles read inside a write transaction (the ledger lock is held, so they match the stored size).
    struct TransactionTiles: TileSource, @unchecked Sendable {
        let db: Database
        func tile(level: Int, index: UInt64) throws -> Tile? { try SQLiteStore.tile(db, level: level, index: index) }
    }

    /// Stores a batch in one durable transaction, lookup indexes included (synchronously: this store's own callers).
    public func ingest(_ items: [IngestItem]) throws -> [IngestOutcome] {
        try ingest(items, deferLookupIndexes: false)
    }

    public func ingest(_ items: [IngestItem], deferLookupIndexes: Bool) throws -> [IngestOutcome] {
        writeLock.lock()
        defer { writeLock.unlock() }
        return try ledger.append(to: self) { tx, first in
            let (db, w) = (tx.db, tx.writer)
            var outcomes = [IngestOutcome](repeating: .duplicate, count: items.count)
            var entries: [[UInt8]] = []
            var next = first
            for (k, item) in items.enumerated() {
                outcomes[k] = try w.put(item, seq: next)
                if case .inserted(ledgerIndex: .some) = outcomes[k] {
                    entries.append(item.canonical)
                    next += 1
                }
            }
            if deferLookupIndexes {
                if let pending = try w.pendingLookups() {
                    if next - pending >= Self.maxDeferredLookupEvents { try indexLookups(db, w, from: first, upTo: next) }
                } else if next > first {
                    try db.cachedStatement(sql: "INSERT INTO ledger_meta(key, value) VALUES ('lookup_pending', ?)")
                        .execute(arguments: [String(first)])
                }
            } else {
                try indexLookups(db, w, from: first, upTo: next)
            }
            return (entries, outcomes)
        }
    }

    @discardableResult
    public func appendJournal(_ events: [JournalEvent]) throws -> [UInt64] {
        guard !events.isEmpty else { return [] }
        writeLock.lock()
        defer { writeLock.unlock() }
        return try ledger.append(to: self) { tx, first in
            let (db, w) = (tx.db, tx.writer)
            let stmt = w.journalEvent
            var entries: [[UInt8]] = []
            for (k, e) in events.enumerated() {
                let entry = e.canonicalJSON
                stmt.bind(1, Int64(first) + Int64(k))
                stmt.bind(2, e.id)
                stmt.bind(3, e.at.millis)
                stmt.bind(4, Int64(e.at.jstDate.day))
                stmt.bind(5, e.staff)
                stmt.bind(6, e.office)
                stmt.bind(7, blob: entry)
                try stmt.run()
                entries.append(entry)
            }
            // Also indexes anything a bulk import in this process left for later.
            try indexLookups(db, w, from: first, upTo: first + UInt64(events.count))
            return (entries, (0..<UInt64(events.count)).map { first + $0 })
        }
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

    public func danglingReferences(fromLedgerIndex from: UInt64, referenceRecords: Bool, limit: Int) throws
        -> (count: Int, examples: [DanglingReference]) {
        // From the new events (office, staff, register, person, case, a search's results).
        let fromEvents = """
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
            UNION ALL SELECT 'access ' || e.id, 'office', e.office FROM event e
                WHERE e.seq >= ?1 AND e.type = 'access' AND e.office IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM office o WHERE o.code = e.office)
            UNION ALL SELECT 'access ' || e.id, 'results', j.value FROM event e, json_each(CAST(e.entry AS TEXT), '$.results') j
                WHERE e.seq >= ?1 AND e.type = 'access' AND j.type = 'text'
                AND NOT EXISTS (SELECT 1 FROM register r WHERE r.id = j.value)
            """
        // From every reference record, to the records they name.
        let fromRecords = """
            SELECT 'person ' || p.id, 'register', p.register FROM person p
                WHERE NOT EXISTS (SELECT 1 FROM register r WHERE r.id = p.register)
            UNION ALL SELECT 'case ' || c.case_id, 'registers', c.register FROM case_register c
                WHERE NOT EXISTS (SELECT 1 FROM register r WHERE r.id = c.register)
            UNION ALL SELECT 'staff ' || s.id, 'person', s.person FROM staff s
                WHERE s.person IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person p WHERE p.id = s.person)
            UNION ALL SELECT 'staff ' || s.id, 'assignments[].office', json_extract(j.value, '$.office')
                FROM staff s, json_each(CAST(s.doc AS TEXT), '$.assignments') j
                WHERE NOT EXISTS (SELECT 1 FROM office o WHERE o.code = json_extract(j.value, '$.office'))
            UNION ALL SELECT 'register ' || r.id, 'office', r.office FROM register r
                WHERE NOT EXISTS (SELECT 1 FROM office o WHERE o.code = r.office)
            UNION ALL SELECT 'register ' || r.id, 'head', r.head FROM register r
                WHERE r.head IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person p WHERE p.id = r.head)
            UNION ALL SELECT 'register ' || m.register, 'members', m.person FROM register_member m
                WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.id = m.person)
            UNION ALL SELECT 'register ' || r.id, 'predecessors', j.value FROM register r, json_each(CAST(r.doc AS TEXT), '$.predecessors') j
                WHERE NOT EXISTS (SELECT 1 FROM register x WHERE x.id = j.value)
            UNION ALL SELECT 'register ' || r.id, 'successors', j.value FROM register r, json_each(CAST(r.doc AS TEXT), '$.successors') j
                WHERE NOT EXISTS (SELECT 1 FROM register x WHERE x.id = j.value)
            UNION ALL SELECT 'person ' || p.id, 'relations[].person', json_extract(j.value, '$.person')
                FROM person p, json_each(CAST(p.doc AS TEXT), '$.relations') j
                WHERE NOT EXISTS (SELECT 1 FROM person x WHERE x.id = json_extract(j.value, '$.person'))
            UNION ALL SELECT 'case ' || c.id, 'office', c.office FROM cases c
                WHERE NOT EXISTS (SELECT 1 FROM office o WHERE o.code = c.office)
            UNION ALL SELECT 'case ' || c.case_id, 'persons', c.person FROM case_person c
                WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.id = c.person)
            UNION ALL SELECT 'case ' || c.case_id, 'staff', c.staff FROM case_staff c
                WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = c.staff)
            UNION ALL SELECT 'protection ' || x.key, 'person', x.person FROM protection x
                WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.id = x.person)
            UNION ALL SELECT 'self_report ' || x.key, 'staff', x.staff FROM self_report x
                WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = x.staff)
            """
        let sql = referenceRecords ? fromEvents + "\nUNION ALL " + fromRecords : fromEvents
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

    /// The stored ledger size, as committed by any process on this store.
    public func ledgerSize() throws -> UInt64 {
        try pool.read(Self.storedSize)
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
        try pool.read { db in try Self.tile(db, level: level, index: index) }
    }

    /// A tile as `db`'s snapshot or transaction sees it (a partial level-0 tile completed from the entries).
    static func tile(_ db: Database, level: Int, index: UInt64) throws -> Tile? {
        let stored = try Data.fetchOne(db.cachedStatement(sql: "SELECT hashes FROM ledger_tile WHERE level = ? AND idx = ?"),
                                       arguments: [level, Int64(index)])
            .map { Tile(level: level, index: index, hashes: [UInt8]($0)) }
        return level == 0 ? try completed(db, stored, index: index) : stored
    }

    /// Whether a tile changed by an append is written to `ledger_tile`. Every tile is, except a partial level-0
    /// tile: its hashes are the leaf hashes of the entries after the last full tile, which ``completed(_:_:index:)``
    /// derives from the entries when it is read. Rewriting that tile (up to 8 KiB, in overflow pages) in every
    /// commit was the largest part of a one-event commit (about 110 of 250 µs CPU, measured by leaving it out).
    /// Upper levels change only when a level-0 tile fills, and are written then.
    static func persisted(_ t: Tile) -> Bool { t.level > 0 || t.width == 256 }

    /// Level-0 tile `index` as the entries committed so far give it: the stored hashes (a full tile, or the partial
    /// tile a store written before ``persisted(_:)`` kept), extended by the leaf hashes of the later entries of the
    /// tile's range. Read in the caller's transaction, so the tile and the entries are of the same commit.
    static func completed(_ db: Database, _ stored: Tile?, index: UInt64) throws -> Tile? {
        let have = stored?.width ?? 0
        guard have < 256 else { return stored }
        let from = index * 256 + UInt64(have)
        var hashes = stored?.hashes ?? []
        try RawReader.forEachBlob(db.sqliteConnection!, sql: "SELECT entry FROM event WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
                                  bind: [Int64(from), Int64(index * 256 + 256)]) { entry in
            hashes.append(contentsOf: MerkleHash.leaf(entry).bytes)
        }
        guard !hashes.isEmpty else { return nil }
        return Tile(level: 0, index: index, hashes: hashes)
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

    public func forEachEvent(_ body: (StoredEvent) throws -> Void) throws {
        // Read in chunks so that `body` may call back into the store (GRDB reads are not reentrant).
        var next: UInt64 = 0
        while true {
            let chunk = try storedEvents(fromSeq: next, limit: 8192)
            for e in chunk { try body(e) }
            guard let last = chunk.last, chunk.count == 8192 else { return }
            next = last.seq + 1
        }
    }

    /// Up to `limit` stored events with ledger index ≥ `fromSeq`, in ledger order.
    public func storedEvents(fromSeq: UInt64, limit: Int) throws -> [StoredEvent] {
        try pool.read { db in
            let conn = db.sqliteConnection!
            let stmt = try RawStatement(conn, """
                SELECT seq, id, type, at, staff, office, register, person, case_id, entry FROM event
                WHERE seq >= ?1 ORDER BY seq LIMIT ?2
                """)
            stmt.bind(1, Int64(fromSeq))
            stmt.bind(2, Int64(limit))
            // With its length: a value holding a NUL (stored before IDs were checked for control characters) must
            // read back whole, not cut at the NUL, or the column would seem to differ from the entry.
            func text(_ i: Int32) -> String? {
                guard let p = sqlite3_column_text(stmt.handle, i) else { return nil }
                let n = Int(sqlite3_column_bytes(stmt.handle, i))
                return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
            }
            var out: [StoredEvent] = []
            out.reserveCapacity(limit)
            while true {
                let rc = sqlite3_step(stmt.handle)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw StoreError(.database, "SQLite: \(String(cString: sqlite3_errmsg(conn)))") }
                let n = Int(sqlite3_column_bytes(stmt.handle, 9))
                let entry = n > 0 ? [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt.handle, 9), count: n)) : []
                out.append(StoredEvent(
                    seq: UInt64(sqlite3_column_int64(stmt.handle, 0)), id: text(1) ?? "", type: text(2) ?? "",
                    atMillis: sqlite3_column_int64(stmt.handle, 3), staff: text(4), office: text(5), register: text(6),
                    person: text(7), caseID: text(8), entry: entry))
            }
            return out
        }
    }

    public func forEachTile(_ body: (Tile) throws -> Void) throws {
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT level, idx, hashes FROM ledger_tile ORDER BY level, idx")
            while let row = try rows.next() {
                let level: Int = row[0]
                let idx: Int64 = row[1]
                let data: Data = row[2]
                try body(Tile(level: level, index: UInt64(idx), hashes: [UInt8](data)))
            }
        }
    }

    public func lookupRowsPending() throws -> UInt64? {
        try pool.read { db in try lookupPending(db) }
    }

    public func forEachLookupRow(_ body: (LookupRow) throws -> Void) throws {
        // Keys as bytes: a key holding a NUL (an old store's ID) must read back whole, as the entry has it.
        let queries: [(LookupRow.Table, String)] = [
            (.staff, "SELECT CAST(staff AS BLOB), at, seq FROM ix_staff"),
            (.register, "SELECT CAST(register AS BLOB), at, seq FROM ix_register"),
            (.person, "SELECT CAST(person AS BLOB), at, seq FROM ix_person"),
            (.case, "SELECT CAST(case_id AS BLOB), 0, seq FROM ix_case"),
            (.office, "SELECT CAST(office AS BLOB), day, seq FROM ix_office"),
        ]
        try pool.read { db in
            for (table, sql) in queries {
                let rows = try Row.fetchCursor(db, sql: sql)
                while let row = try rows.next() {
                    let seq: Int64 = row[2]
                    let key = String(decoding: (row[0] as Data?) ?? Data(), as: UTF8.self)
                    try body(LookupRow(table: table, key: key, at: row[1], seq: UInt64(seq)))
                }
            }
        }
    }

    public func integrityProblems() throws -> [String] {
        try pool.read { db in
            let rows = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            return rows == ["ok"] ? [] : rows
        }
    }

    public func recordedVerifierKey() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'verifier'") }
    }

    public func recordVerifierKey(_ text: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO ledger_meta(key, value) VALUES ('verifier', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [text])
        }
    }

    /// An exclusive `flock` on `DIR/<lease>.lock`, tried without waiting; the kernel drops it when the process dies.
    public func withLease<T: Sendable>(_ lease: StoreLease, _ body: () async throws -> T) async throws -> T? {
        let fd = try leaseFile(lease)
        defer { Glibc.close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return nil }
        defer { flock(fd, LOCK_UN) }
        return try await body()
    }

    /// The lease, for synchronous work on this store (see ``withLease(_:_:)-async``).
    public func withLease<T>(_ lease: StoreLease, _ body: () throws -> T) throws -> T? {
        let fd = try leaseFile(lease)
        defer { Glibc.close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return nil }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private func leaseFile(_ lease: StoreLease) throws -> Int32 {
        let fd = open(directory + "/\(lease.rawValue).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError(.database, "cannot open the \(lease.rawValue) lock in the store directory (errno \(errno))") }
        return fd
    }

    public func saveCheckpoint(_ c: StoredCheckpoint) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO ledger_checkpoint(size, root, note) VALUES (?, ?, ?) ON CONFLICT(size) DO NOTHING",
                           arguments: [Int64(c.size), Data(c.root.bytes), c.note])
        }
    }
}

/// Keeps the WAL bounded under a writer that never pauses (a bulk import, or the workspace at thousands of requests a
/// second). The background ``Checkpointer`` copies the WAL back while the writer goes on, but SQLite starts the WAL
/// again from the beginning only when a write finds it fully copied, which a busy writer never lets happen: the WAL
/// grew without bound (43 GB importing a 10M-event city) and every page lookup, which searches the WAL's hash index,
/// got slower. So when a commit leaves more than ``SQLiteStore/walRestartFrames`` frames, that commit checkpoints on
/// the writer connection itself: most frames are already copied back, so this copies the remainder, and the next
/// write restarts the WAL.
private let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    _, db, name, frames in
    if frames >= SQLiteStore.walRestartFrames {
        _ = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }
    return SQLITE_OK
}

extension SQLiteStore: LedgerTransactions {
    /// `BEGIN IMMEDIATE` on the writer connection: SQLite's one write lock, across every process on the file. The
    /// caller holds `writeLock` (this process's writer connection and its prepared statements).
    public func withLedgerLock<T>(_ body: (LedgerTransaction) throws -> T) throws -> T {
        var result: T?
        try pool.writeWithoutTransaction { db in
            let w = try writer(db)
            try w.transaction { result = try body(LedgerTransaction(db: db, writer: w)) }
        }
        return result!
    }

    public func storedLedgerSize(in tx: LedgerTransaction) throws -> UInt64 { try Self.storedSize(tx.db) }

    public func ledgerTiles(in tx: LedgerTransaction) -> any TileSource { TransactionTiles(db: tx.db) }

    public func persistTiles(_ tiles: [Tile], in tx: LedgerTransaction) throws {
        for t in tiles where Self.persisted(t) { try tx.writer.putTile(t) }
    }
}

extension SQLiteStore {
    /// Sets the pool's writer connection to `synchronous = FULL` (the WAL is fsynced at every commit) and checks it.
    static func requireFullSync(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            guard try Int.fetchOne(db, sql: "PRAGMA synchronous") == 2 else {
                throw StoreError(.database, "the store's writer could not be set to synchronous = FULL")
            }
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL): for the durability test.
    func writerSynchronousForTesting() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Every self-report key, for the key-migration test.
    func selfReportKeysForTesting() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT key FROM self_report") }
    }

    /// Runs raw SQL against the store: for tests that prove the store refuses tampering. Not used by the product.
    func executeForTesting(_ sql: String) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: sql) }
    }
}

/// The benchmark baseline: the same event rows into the same table shape through the same statement path,
/// with no ledger (no hashing, no tiles). Not used by the product.
public final class PlainInserter {
    let pool: DatabasePool

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        pool = try DatabasePool(path: directory + "/plain.sqlite", configuration: config)
        try SQLiteStore.requireFullSync(pool)
        try Schema.migrator.migrate(pool)
    }

    /// Inserts the rows of one batch in one transaction; the lookup indexes wait for ``finish()``, as in a bulk import.
    public func insert(_ items: [IngestItem]) throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let w = try RawWriter(db.sqliteConnection!)
                var seq = try SQLiteStore.storedSize(db)
                for item in items {
                    if case .inserted = try w.put(item, seq: seq) { seq += 1 }
                }
                return .commit
            }
        }
    }

    /// Fills the lookup indexes of every inserted row in one sorted pass.
    public func finish() throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let size = try SQLiteStore.storedSize(db)
                try RawWriter(db.sqliteConnection!).indexLookups(0..<size)
                return .commit
            }
        }
    }
}
