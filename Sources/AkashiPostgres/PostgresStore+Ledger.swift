import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiStorage
import Crypto
import Foundation
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresStore: LedgerTransactions {
    /// One transaction on one connection, holding the municipality's ledger lock.
    public typealias LedgerTransaction = BlockingSession

    /// `pg_advisory_xact_lock` on the municipality's ledger: every process and server appending to this
    /// municipality's ledger waits here; the lock goes with the transaction (commit, rollback, or a dead process's
    /// closed connection), so a killed writer never leaves it held.
    public func withLedgerLock<T>(_ body: (BlockingSession) throws -> T) throws -> T {
        try connections.blocking { s in
            try s.transaction {
                try s.execute("SELECT pg_advisory_xact_lock(hashtextextended('akashi-ledger:' || \(muni), 0))")
                return try body(s)
            }
        }
    }

    public func storedLedgerSize(in s: BlockingSession) throws -> UInt64 {
        try Self.size(s, muni)
    }

    public func ledgerTiles(in s: BlockingSession) -> any TileSource { SessionTiles(session: s, muni: muni) }

    public func persistTiles(_ tiles: [Tile], in s: BlockingSession) throws {
        guard !tiles.isEmpty else { return }
        try s.execute("""
            INSERT INTO ledger_tile(muni, level, idx, hashes)
            SELECT \(muni), l, i, h FROM unnest(\(tiles.map { Int64($0.level) })::bigint[], \(tiles.map { Int64($0.index) })::bigint[],
                \(tiles.map { $0.hashes.buffer })::bytea[]) AS u(l, i, h)
            ON CONFLICT (muni, level, idx) DO UPDATE SET hashes = EXCLUDED.hashes WHERE ledger_tile.hashes <> EXCLUDED.hashes
            """)
    }

    static func size(_ s: BlockingSession, _ muni: String) throws -> UInt64 {
        let rows = try s.rows("SELECT size FROM ledger_head WHERE muni = \(muni)")
        return try rows.first.map { UInt64(try $0.decode(Int64.self)) } ?? 0
    }

    static func setSize(_ s: BlockingSession, _ muni: String, _ size: UInt64) throws {
        try s.execute("""
            INSERT INTO ledger_head(muni, size) VALUES (\(muni), \(Int64(size)))
            ON CONFLICT (muni) DO UPDATE SET size = EXCLUDED.size WHERE ledger_head.size <> EXCLUDED.size
            """)
    }
}

/// Tiles as one open transaction sees them.
struct SessionTiles: TileSource, @unchecked Sendable {
    let session: BlockingSession
    let muni: String
    func tile(level: Int, index: UInt64) throws -> Tile? {
        try session.rows("SELECT hashes FROM ledger_tile WHERE muni = \(muni) AND level = \(Int64(level)) AND idx = \(Int64(index))")
            .first.map { Tile(level: level, index: index, hashes: try $0.decode(ByteBuffer.self).bytes) }
    }
}

/// Columns of new event rows, bound as arrays and inserted with one `unnest`.
struct EventColumns {
    var seq: [Int64] = [], id: [String] = [], type: [String] = [], at: [Int64] = [], day: [Int64] = []
    // "" stands for NULL (an empty ID never names anything: spec, "empty is unknown").
    var staff: [String] = [], office: [String] = [], register: [String] = [], person: [String] = [], caseID: [String] = []
    var entry: [ByteBuffer] = []
    // The registers searches listed.
    var resultRegister: [String] = [], resultAt: [Int64] = [], resultSeq: [Int64] = []

    mutating func add(seq: UInt64, id: String, type: String, at: Timestamp, staff: String?, office: String?,
                      register: String?, person: String?, caseID: String?, entry: [UInt8]) {
        self.seq.append(Int64(seq))
        self.id.append(id)
        self.type.append(type)
        self.at.append(at.millis)
        day.append(Int64(at.jstDate.day))
        self.staff.append(staff ?? "")
        self.office.append(office ?? "")
        self.register.append(register ?? "")
        self.person.append(person ?? "")
        self.caseID.append(caseID ?? "")
        self.entry.append(entry.buffer)
    }

    /// Batches of at least this many events are written with `COPY … FROM STDIN` (text format); smaller ones (a
    /// workspace commit of a few events) with `INSERT … SELECT … FROM unnest`, one round trip a table where COPY
    /// takes two.
    static let copyMinimumRows = 64

    func insert(_ s: BlockingSession, _ muni: String) throws {
        guard !seq.isEmpty else { return }
        if seq.count >= Self.copyMinimumRows { return try copy(s, muni) }
        try s.execute("""
            INSERT INTO event(muni, seq, id, type, at, day, staff, office, register, person, case_id, entry)
            SELECT \(muni), q, i, t, a, d, NULLIF(st, ''), NULLIF(o, ''), NULLIF(r, ''), NULLIF(p, ''), NULLIF(c, ''), e
            FROM unnest(\(seq)::bigint[], \(id)::text[], \(type)::text[], \(at)::bigint[], \(day)::bigint[],
                \(staff)::text[], \(office)::text[], \(register)::text[], \(person)::text[], \(caseID)::text[],
                \(entry)::bytea[]) AS u(q, i, t, a, d, st, o, r, p, c, e)
            """)
        try s.execute("""
            INSERT INTO event_key(muni, id, seq, at)
            SELECT \(muni), i, q, a FROM unnest(\(id)::text[], \(seq)::bigint[], \(at)::bigint[]) AS u(i, q, a)
            """)
        if !resultSeq.isEmpty {
            try s.execute("""
                INSERT INTO search_result(muni, register, at, seq)
                SELECT \(muni), r, a, q FROM unnest(\(resultRegister)::text[], \(resultAt)::bigint[], \(resultSeq)::bigint[]) AS u(r, a, q)
                ON CONFLICT DO NOTHING
                """)
        }
    }
}

extension EventColumns {
    /// The same rows as ``insert(_:_:)`` writes, through text-format COPY into the event table (PostgreSQL routes
    /// each row to its month's partition), the ID table and the search results. Empty IDs are NULL, as there.
    /// Throws ``EventCopyError`` naming the row whose value COPY cannot carry (nothing is sent then).
    func copy(_ s: BlockingSession, _ muni: String) throws {
        var events = CopyTextRows(), keys = CopyTextRows(), results = CopyTextRows()
        var k = 0
        do {
            func optionalID(_ v: String) throws {
                if v.isEmpty { events.null() } else { try events.text(v) }
            }
            while k < seq.count {
                try events.text(muni)
                events.int(seq[k])
                try events.text(self.id[k])
                try events.text(type[k])
                events.int(at[k])
                events.int(day[k])
                try optionalID(staff[k])
                try optionalID(office[k])
                try optionalID(register[k])
                try optionalID(person[k])
                try optionalID(caseID[k])
                events.bytea(entry[k])
                events.endRow()
                try keys.text(muni)
                try keys.text(self.id[k])
                keys.int(seq[k])
                keys.int(at[k])
                keys.endRow()
                k += 1
            }
            for r in resultSeq.indices {
                k = Int(resultSeq[r] - seq[0]) // the rows' ledger indexes are consecutive
                try results.text(muni)
                try results.text(resultRegister[r])
                results.int(resultAt[r])
                results.int(resultSeq[r])
                results.endRow()
            }
        } catch {
            throw EventCopyError(row: k, reason: "\(error)", cause: error)
        }
        do {
            try s.copy(into: "event", columns: ["muni", "seq", "id", "type", "at", "day", "staff", "office", "register",
                                                "person", "case_id", "entry"], events)
            try s.copy(into: "event_key", columns: ["muni", "id", "seq", "at"], keys)
        } catch let e as CopyRowError {
            guard seq.indices.contains(e.row) else { throw e.error }
            throw EventCopyError(row: e.row, reason: e.error.message, cause: e.error)
        }
        do {
            try s.copy(into: "search_result", columns: ["muni", "register", "at", "seq"], results)
        } catch let e as CopyRowError {
            guard resultSeq.indices.contains(e.row) else { throw e.error }
            throw EventCopyError(row: Int(resultSeq[e.row] - seq[0]), reason: e.error.message, cause: e.error)
        }
    }
}

/// An event that could not be written: a value the text COPY format cannot carry (a NUL in an ID), or a row the
/// server refused. `row` is the event's place in the batch.
struct EventCopyError: Error {
    let row: Int
    let reason: String
    let cause: any Error
}

extension PostgresStore: AkashiStore {
    public func ingest(_ items: [IngestItem], deferLookupIndexes: Bool) async throws -> [IngestOutcome] {
        try await offBlocking {
            // Partitions first, outside the ledger lock (creating one locks the event table).
            var instants: [Int64] = []
            for item in items { if case let .access(a) = item.record { instants.append(a.at.millis) } }
            try ensurePartitions(forMillis: instants)
            let outcomes = try ledger.append(to: self) { s, first in
                var outcomes = [IngestOutcome](repeating: .duplicate, count: items.count)
                var entries: [[UInt8]] = []
                var events = EventColumns()
                var eventItems: [Int] = [] // the item of each event row
                var next = first
                // Existing rows with the batch's keys, per type: key → canonical bytes.
                let existing = try existingDocs(s, items)
                var seen: [RecordType: [String: [UInt8]]] = [:]
                var fresh: [RecordType: [IngestItem]] = [:]
                for (k, item) in items.enumerated() {
                    let type = item.record.type
                    let key = item.record.key
                    if let old = existing[type]?[key] ?? seen[type]?[key] {
                        outcomes[k] = old == item.canonical ? .duplicate : .conflict
                        continue
                    }
                    seen[type, default: [:]][key] = item.canonical
                    if case let .access(a) = item.record {
                        events.add(seq: next, id: a.id, type: "access", at: a.at, staff: a.staff, office: a.office,
                                   register: a.register, person: a.person, caseID: a.caseID, entry: item.canonical)
                        if a.register == nil, let results = a.results {
                            for r in Set(results) where !r.isEmpty {
                                events.resultRegister.append(r)
                                events.resultAt.append(a.at.millis)
                                events.resultSeq.append(Int64(next))
                            }
                        }
                        outcomes[k] = .inserted(ledgerIndex: next)
                        eventItems.append(k)
                        entries.append(item.canonical)
                        next += 1
                    } else {
                        fresh[type, default: []].append(item)
                        outcomes[k] = .inserted(ledgerIndex: nil)
                    }
                }
                do { try events.insert(s, muni) } catch let e as EventCopyError {
                    // Named by the line it came from (the batch's rows are the events in order).
                    let item = items[eventItems[e.row]]
                    throw StoreError(.database, "\(item.file):\(item.line): the access event cannot be written to PostgreSQL: \(e.reason); nothing of this batch was stored",
                                     cause: e.cause)
                }
                try insertReferenceRecords(s, fresh)
                if next > first { try Self.setSize(s, muni, next) }
                return (entries, outcomes)
            }
            if deferLookupIndexes {
                // What this batch wrote (it committed), for the statistics' catch-up at the end of the import.
                var written: [String: Int] = [:]
                for (item, outcome) in zip(items, outcomes) {
                    if case .inserted = outcome { Self.countRows(of: item.record, into: &written) }
                }
                bulkLoaded.withLock { $0.merge(written) { $0 + $1 } }
            }
            return outcomes
        }
    }

    /// The stored canonical bytes of the records that share a key with the batch's, by type and key.
    private func existingDocs(_ s: BlockingSession, _ items: [IngestItem]) throws -> [RecordType: [String: [UInt8]]] {
        var keys: [RecordType: Set<String>] = [:]
        for item in items { keys[item.record.type, default: []].insert(item.record.key) }
        var out: [RecordType: [String: [UInt8]]] = [:]
        for (type, set) in keys {
            // A key with NUL is stored nowhere (PostgreSQL text cannot hold one), and binding it would be an error.
            let list = Array(set.filter(Self.storable))
            let rows: [PostgresRow]
            switch type {
            case .office: rows = try s.rows("SELECT code, doc FROM office WHERE muni = \(muni) AND code = ANY(\(list)::text[])")
            case .staff: rows = try s.rows("SELECT id, doc FROM staff WHERE muni = \(muni) AND id = ANY(\(list)::text[])")
            case .register: rows = try s.rows("SELECT id, doc FROM register WHERE muni = \(muni) AND id = ANY(\(list)::text[])")
            case .person: rows = try s.rows("SELECT id, doc FROM person WHERE muni = \(muni) AND id = ANY(\(list)::text[])")
            case .protection: rows = try s.rows("SELECT key, doc FROM protection WHERE muni = \(muni) AND key = ANY(\(list)::text[])")
            case .case: rows = try s.rows("SELECT id, doc FROM cases WHERE muni = \(muni) AND id = ANY(\(list)::text[])")
            case .self_report: rows = try s.rows("SELECT key, doc FROM self_report WHERE muni = \(muni) AND key = ANY(\(list)::text[])")
            case .access:
                // IDs first (event_key, one small index); then the entries only of those already stored, in one query
                // whose times, bound as values, let the planner read only their months' partitions. A join of
                // event_key to the partitioned event table was planned over every partition on every commit (about
                // 8 ms with five years of months), which a workspace commit of one event paid; one query per stored
                // event was a round trip each, 2.4 s for a re-import of 3,000 events.
                var stored: [(id: String, seq: Int64, at: Int64)] = []
                for row in try s.rows("SELECT id, seq, at FROM event_key WHERE muni = \(muni) AND id = ANY(\(list)::text[])") {
                    let (id, seq, at) = try row.decode((String, Int64, Int64).self)
                    stored.append((id, seq, at))
                }
                var entries: [Int64: (at: Int64, entry: [UInt8])] = [:]
                if !stored.isEmpty {
                    let seqs = stored.map(\.seq), times = Array(Set(stored.map(\.at)))
                    for row in try s.rows("""
                        SELECT seq, at, entry FROM event WHERE muni = \(muni) AND at = ANY(\(times)::bigint[]) AND seq = ANY(\(seqs)::bigint[])
                        """) {
                        let (seq, at, entry) = try row.decode((Int64, Int64, ByteBuffer).self)
                        entries[seq] = (at, entry.bytes)
                    }
                }
                var map: [String: [UInt8]] = [:]
                for k in stored {
                    map[k.id] = entries[k.seq].flatMap { $0.at == k.at ? $0.entry : nil } ?? []
                }
                out[type] = map
                continue
            }
            var map: [String: [UInt8]] = [:]
            for row in rows {
                let (k, doc) = try row.decode((String, ByteBuffer).self)
                map[k] = doc.bytes
            }
            out[type] = map
        }
        return out
    }

    /// Inserts new reference records (no key among them is stored yet), with their link rows.
    private func insertReferenceRecords(_ s: BlockingSession, _ fresh: [RecordType: [IngestItem]]) throws {
        func docs(_ items: [IngestItem]) -> [ByteBuffer] { items.map { $0.canonical.buffer } }
        if let items = fresh[.office] {
            let codes = items.map { if case let .office(o) = $0.record { o.code } else { "" } }
            try s.execute("""
                INSERT INTO office(muni, code, doc) SELECT \(muni), c, d FROM unnest(\(codes)::text[], \(docs(items))::bytea[]) AS u(c, d)
                """)
        }
        if let items = fresh[.staff] {
            var ids: [String] = [], persons: [String] = []
            for item in items { if case let .staff(v) = item.record { ids.append(v.id); persons.append(v.person ?? "") } }
            try s.execute("""
                INSERT INTO staff(muni, id, person, doc)
                SELECT \(muni), i, NULLIF(p, ''), d FROM unnest(\(ids)::text[], \(persons)::text[], \(docs(items))::bytea[]) AS u(i, p, d)
                """)
        }
        if let items = fresh[.register] {
            var ids: [String] = [], kinds: [String] = [], offices: [String] = [], honseki: [String] = [], heads: [String] = []
            var memberRegister: [String] = [], memberPerson: [String] = []
            for item in items {
                guard case let .register(r) = item.record else { continue }
                ids.append(r.id)
                kinds.append(r.kind.rawValue)
                offices.append(r.office)
                honseki.append(r.honseki)
                heads.append(r.head ?? "")
                for m in r.members { memberRegister.append(r.id); memberPerson.append(m) }
            }
            try s.execute("""
                INSERT INTO register(muni, id, kind, office, honseki, head, doc)
                SELECT \(muni), i, k, o, h, NULLIF(hd, ''), d FROM unnest(\(ids)::text[], \(kinds)::text[], \(offices)::text[],
                    \(honseki)::text[], \(heads)::text[], \(docs(items))::bytea[]) AS u(i, k, o, h, hd, d)
                """)
            try insertLinks(s, "register_member", "register", "person", memberRegister, memberPerson)
        }
        if let items = fresh[.person] {
            var ids: [String] = [], registers: [String] = [], names: [String] = [], kanas: [String] = [], births: [String] = []
            for item in items {
                guard case let .person(p) = item.record else { continue }
                ids.append(p.id)
                registers.append(p.register)
                names.append(p.name)
                kanas.append(p.kana ?? "")
                births.append(p.birth?.description ?? "")
            }
            try s.execute("""
                INSERT INTO person(muni, id, register, name, kana, birth, doc)
                SELECT \(muni), i, r, n, NULLIF(k, ''), NULLIF(b, ''), d FROM unnest(\(ids)::text[], \(registers)::text[],
                    \(names)::text[], \(kanas)::text[], \(births)::text[], \(docs(items))::bytea[]) AS u(i, r, n, k, b, d)
                """)
            try insertLinks(s, "register_member", "register", "person", registers, ids)
        }
        if let items = fresh[.protection] {
            var keys: [String] = [], persons: [String] = [], kinds: [String] = []
            for item in items {
                guard case let .protection(p) = item.record else { continue }
                keys.append(p.key)
                persons.append(p.person)
                kinds.append(p.kind.rawValue)
            }
            try s.execute("""
                INSERT INTO protection(muni, key, person, kind, doc)
                SELECT \(muni), k, p, t, d FROM unnest(\(keys)::text[], \(persons)::text[], \(kinds)::text[], \(docs(items))::bytea[]) AS u(k, p, t, d)
                """)
        }
        if let items = fresh[.case] {
            var ids: [String] = [], offices: [String] = [], received: [Int64] = []
            var links: [(String, [String], [String])] = [("case_register", [], []), ("case_person", [], []), ("case_staff", [], [])]
            for item in items {
                guard case let .case(c) = item.record else { continue }
                ids.append(c.id)
                offices.append(c.office)
                received.append(c.received.millis)
                for (k, list) in [c.registers, c.persons, c.staff].enumerated() {
                    for v in list { links[k].1.append(v); links[k].2.append(c.id) }
                }
            }
            // In batch order, so that `arrival` follows the order cases came in.
            try s.execute("""
                INSERT INTO cases(muni, id, office, received, doc)
                SELECT \(muni), i, o, r, d FROM unnest(\(ids)::text[], \(offices)::text[], \(received)::bigint[], \(docs(items))::bytea[])
                    WITH ORDINALITY AS u(i, o, r, d, n) ORDER BY n
                """)
            try insertLinks(s, "case_register", "register", "case_id", links[0].1, links[0].2)
            try insertLinks(s, "case_person", "person", "case_id", links[1].1, links[1].2)
            try insertLinks(s, "case_staff", "staff", "case_id", links[2].1, links[2].2)
        }
        if let items = fresh[.self_report] {
            var keys: [String] = [], surveys: [String] = [], staff: [String] = []
            for item in items {
                guard case let .selfReport(r) = item.record else { continue }
                keys.append(r.key)
                surveys.append(r.survey)
                staff.append(r.staff)
            }
            try s.execute("""
                INSERT INTO self_report(muni, key, survey, staff, doc)
                SELECT \(muni), k, v, st, d FROM unnest(\(keys)::text[], \(surveys)::text[], \(staff)::text[], \(docs(items))::bytea[]) AS u(k, v, st, d)
                """)
        }
    }

    /// Link rows (register members, a case's registers, persons and staff); repeats are ignored.
    private func insertLinks(_ s: BlockingSession, _ table: String, _ a: String, _ b: String, _ first: [String], _ second: [String]) throws {
        guard !first.isEmpty else { return }
        // The table and column names are this file's own constants, never input.
        var q = PostgresQuery(unsafeSQL: "INSERT INTO \(table)(muni, \(a), \(b)) SELECT $1, x, y FROM unnest($2::text[], $3::text[]) AS u(x, y) ON CONFLICT DO NOTHING")
        q.binds.append(muni)
        q.binds.append(first)
        q.binds.append(second)
        try s.execute(q)
    }

    /// The lookups are indexes on the event table, which PostgreSQL maintains with each row: nothing is deferred.
    /// What a bulk import does leave behind is stale planner statistics (autovacuum analyzes tables only later, and a
    /// partitioned table such as `event` never): with a freshly loaded event table still counted as nearly empty, the
    /// planner chose nested loops over full partition scans, and the import's own dangling-reference check ran for
    /// over ten minutes on 250,000 events. So after a bulk import (an ingest that deferred its lookups), the tables
    /// it wrote are analyzed here — but only those whose statistics it made stale (``staleTables(written:stats:)``):
    /// analyzing `event` reads a sample of every monthly partition, about 2 s with five years of a small city,
    /// which an import of ten events into a loaded store paid in full.
    public func catchUpLookupIndexes() async throws {
        try await offBlocking {
            let written = bulkLoaded.withLock { let v = $0; $0 = [:]; return v }
            guard !written.isEmpty else { return }
            try connections.blocking { s in
                // What the statistics count now: each table's rows at its last ANALYZE (-1: never analyzed), the
                // changes counted since (autovacuum's own measure; reported by other sessions up to a second late),
                // and the rows of the event table now, exactly (every ledger entry is one event row).
                var stats: [String: TableStatistics] = [:]
                var eventRows: Int64 = 0
                for row in try s.rows("""
                    SELECT c.relname::text, c.reltuples::float8, coalesce(pg_stat_get_mod_since_analyze(c.oid), 0)::int8,
                        (SELECT coalesce(sum(size), 0) FROM ledger_head)::int8
                    FROM pg_class c WHERE c.relname = ANY(\(Array(written.keys))::text[]) AND pg_table_is_visible(c.oid)
                    """) {
                    let (name, tuples, changed, rows) = try row.decode((String, Double, Int64, Int64).self)
                    stats[name] = TableStatistics(rows: tuples, changedSince: Int(changed))
                    eventRows = rows
                }
                if var event = stats["event"] {
                    // The partitioned table keeps no change count of its own: the rows added since its statistics are
                    // the event rows now less the rows they counted.
                    event.changedSince = Int(max(0, Double(eventRows) - max(event.rows, 0)))
                    stats["event"] = event
                }
                let stale = Self.staleTables(written: written, stats: stats)
                lastAnalyzed.withLock { $0 = stale }
                guard !stale.isEmpty else { return }
                logger.debug("analyzing \(stale.joined(separator: ", ")) after the import")
                // The names are this file's own constants (``countRows(of:into:)``) and partition names computed
                // from month numbers, never input.
                try s.execute(PostgresQuery(unsafeSQL: "ANALYZE " + stale.joined(separator: ", ")))
            }
        }
    }

    /// A table's planner statistics as the catalog has them: `rows` counted at the last ANALYZE (or VACUUM; -1 when
    /// never analyzed), `changedSince` the rows inserted, updated or deleted since.
    struct TableStatistics: Equatable {
        var rows: Double
        var changedSince: Int
    }

    /// Whether a table's statistics are stale: never gathered, or more rows changed since than autovacuum's own
    /// default threshold for analyzing a table (`autovacuum_analyze_threshold` 50 plus
    /// `autovacuum_analyze_scale_factor` 0.1 of its rows). Below it, the planner's picture stays close: it scales a
    /// table's row count by the table's current size in pages anyway, and the value distributions describe at least
    /// nine tenths of the rows.
    static func isStale(_ t: TableStatistics) -> Bool {
        t.rows < 0 || Double(t.changedSince) > 50 + 0.1 * t.rows
    }

    /// The tables to analyze after an import wrote `written` rows (by table, the event partitions by name) into
    /// tables whose statistics are `stats`. A table's change count is at least what this import wrote (another
    /// session's count may still lack it). The partitioned event table is analyzed whole (which gathers every
    /// partition's statistics too) when the event rows outgrew its statistics, including every earlier import
    /// that did not analyze it; otherwise only the partitions whose own statistics went stale (a month the import
    /// started, say). A table missing from `stats` (not created yet) is left out.
    static func staleTables(written: [String: Int], stats: [String: TableStatistics]) -> [String] {
        var stale: [String] = []
        let wholeEvent = stats["event"].map(isStale) ?? false
        for (name, rows) in written.sorted(by: { $0.key < $1.key }) {
            guard var t = stats[name] else { continue }
            if name == "event" {
                if wholeEvent { stale.append(name) }
                continue
            }
            if name.hasPrefix("event_m") && wholeEvent { continue }
            t.changedSince = max(t.changedSince, rows)
            if isStale(t) { stale.append(name) }
        }
        return stale
    }

    /// Counts the rows an ingested record wrote, by table (``catchUpLookupIndexes()``).
    static func countRows(of record: Record, into written: inout [String: Int]) {
        func add(_ table: String, _ n: Int = 1) { if n > 0 { written[table, default: 0] += n } }
        switch record {
        case let .access(a):
            add("event")
            add(partitionName(ofMonth: month(ofMillis: a.at.millis)))
            add("event_key")
            if a.register == nil, let results = a.results { add("search_result", Set(results.filter { !$0.isEmpty }).count) }
        case .office: add("office")
        case .staff: add("staff")
        case let .register(r):
            add("register")
            add("register_member", r.members.count)
        case .person:
            add("person")
            add("register_member")
        case .protection: add("protection")
        case let .case(c):
            add("cases")
            add("case_register", c.registers.count)
            add("case_person", c.persons.count)
            add("case_staff", c.staff.count)
        case .selfReport: add("self_report")
        }
    }

    @discardableResult
    public func appendJournal(_ events: [JournalEvent]) async throws -> [UInt64] {
        try await offBlocking {
            guard !events.isEmpty else { return [] }
            try ensurePartitions(forMillis: events.map(\.at.millis))
            return try ledger.append(to: self) { s, first in
                var columns = EventColumns()
                var entries: [[UInt8]] = []
                for (k, e) in events.enumerated() {
                    let entry = e.canonicalJSON
                    columns.add(seq: first + UInt64(k), id: e.id, type: "journal", at: e.at, staff: e.staff, office: e.office,
                                register: nil, person: nil, caseID: nil, entry: entry)
                    entries.append(entry)
                }
                do { try columns.insert(s, muni) } catch let e as EventCopyError {
                    throw StoreError(.database, "journal event \(e.row + 1) of \(events.count) cannot be written to PostgreSQL: \(e.reason); nothing was appended",
                                     cause: e.cause)
                }
                try Self.setSize(s, muni, first + UInt64(events.count))
                return (entries, (0..<UInt64(events.count)).map { first + $0 })
            }
        }
    }

    @discardableResult
    public func quarantine(_ items: [QuarantineItem]) async throws -> Int {
        try await offBlocking {
            guard !items.isEmpty else { return 0 }
            var digests: [ByteBuffer] = []
            for q in items {
                var h = SHA256()
                h.update(data: Array(q.reason.utf8))
                h.update(data: [0])
                h.update(data: q.raw)
                digests.append(ByteBuffer(bytes: Array(h.finalize())))
            }
            return try connections.blocking { s in
                try s.execute("""
                    INSERT INTO quarantine(muni, file, line, reason, raw, digest)
                    SELECT \(muni), f, l, r, w, g FROM unnest(\(items.map(\.file))::text[], \(items.map { Int64($0.line) })::bigint[],
                        \(items.map(\.reason))::text[], \(items.map { $0.raw.buffer })::bytea[], \(digests)::bytea[])
                        WITH ORDINALITY AS u(f, l, r, w, g, n)
                    ORDER BY n
                    ON CONFLICT DO NOTHING
                    """)
            }
        }
    }

    public func stats() async throws -> StoreStats {
        try await offBlocking {
            try connections.blocking { s in
                let row = try s.rows("""
                    SELECT (SELECT count(*) FROM office WHERE muni = $1), (SELECT count(*) FROM staff WHERE muni = $1),
                        (SELECT count(*) FROM register WHERE muni = $1), (SELECT count(*) FROM person WHERE muni = $1),
                        (SELECT count(*) FROM protection WHERE muni = $1), (SELECT count(*) FROM cases WHERE muni = $1),
                        (SELECT count(*) FROM event_key k WHERE muni = $1), (SELECT count(*) FROM self_report WHERE muni = $1),
                        (SELECT count(*) FROM quarantine WHERE muni = $1),
                        (SELECT count(*) FROM event WHERE muni = $1 AND type = 'journal'),
                        coalesce((SELECT size FROM ledger_head WHERE muni = $1), 0)
                    """.bound(muni))
                guard let r = row.first else { return StoreStats() }
                let v = try r.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
                var st = StoreStats()
                st.offices = Int(v.0)
                st.staff = Int(v.1)
                st.registers = Int(v.2)
                st.persons = Int(v.3)
                st.protections = Int(v.4)
                st.cases = Int(v.5)
                st.access = Int(v.6 - v.9)
                st.selfReports = Int(v.7)
                st.quarantined = Int(v.8)
                st.ledgerSize = Int(v.10)
                return st
            }
        }
    }

    public func forEachRecord(_ type: RecordType, _ body: ([UInt8]) throws -> Void) async throws {
        if type == .access {
            // Events in ledger order, in chunks (the body may call back into the store).
            var next: UInt64 = 0
            while true {
                let chunk = try await accessEvents(from: next, limit: 8192)
                for e in chunk { try body(e.entry) }
                guard let last = chunk.last, chunk.count == 8192 else { return }
                next = last.seq + 1
            }
        }
        let (table, key) = switch type {
        case .office: ("office", "code")
        case .staff: ("staff", "id")
        case .register: ("register", "id")
        case .person: ("person", "id")
        case .protection: ("protection", "key")
        case .case: ("cases", "id")
        case .self_report: ("self_report", "key")
        case .access: ("", "")
        }
        // Keyset pages in key order (COLLATE "C": byte order, as the embedded store sorts).
        var after: String?
        while true {
            let page: [(String, [UInt8])] = try connections.blocking { s in
                var q = PostgresQuery(unsafeSQL: after == nil
                    ? "SELECT \(key), doc FROM \(table) WHERE muni = $1 ORDER BY \(key) COLLATE \"C\" LIMIT 4096"
                    : "SELECT \(key), doc FROM \(table) WHERE muni = $1 AND \(key) COLLATE \"C\" > $2 ORDER BY \(key) COLLATE \"C\" LIMIT 4096")
                q.binds.append(muni)
                if let after { q.binds.append(after) }
                return try s.rows(q).map { row in
                    let (k, d) = try row.decode((String, ByteBuffer).self)
                    return (k, d.bytes)
                }
            }
            for (_, doc) in page { try body(doc) }
            guard page.count == 4096, let last = page.last else { return }
            after = last.0
        }
    }

    public func danglingReferences(fromLedgerIndex from: UInt64, referenceRecords: Bool, limit: Int) async throws
        -> (count: Int, examples: [DanglingReference]) {
        try await offBlocking {
            // The new access events, read from the event table once (one scan, planned once; the five checks below
            // and the search results read it) and only in the months they fall in: their times come from the ID
            // table first (its (muni, seq) index), and the bounds, bound as values, let the planner leave the other
            // partitions out. Planning five scans of the event table over every monthly partition took 50–80 ms
            // however few the new events, and each check scanned them again.
            let fromEvents = """
                SELECT 'access ' || e.id, 'staff', e.staff FROM e
                    WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.muni = $1 AND s.id = e.staff)
                UNION ALL SELECT 'access ' || e.id, 'register', e.register FROM e
                    WHERE e.register IS NOT NULL AND NOT EXISTS (SELECT 1 FROM register r WHERE r.muni = $1 AND r.id = e.register)
                UNION ALL SELECT 'access ' || e.id, 'person', e.person FROM e
                    WHERE e.person IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person p WHERE p.muni = $1 AND p.id = e.person)
                UNION ALL SELECT 'access ' || e.id, 'case', e.case_id FROM e
                    WHERE e.case_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.muni = $1 AND c.id = e.case_id)
                UNION ALL SELECT 'access ' || e.id, 'office', e.office FROM e
                    WHERE e.office IS NOT NULL AND NOT EXISTS (SELECT 1 FROM office o WHERE o.muni = $1 AND o.code = e.office)
                UNION ALL SELECT 'access ' || k.id, 'results', x.register FROM search_result x JOIN event_key k
                    ON k.muni = x.muni AND k.seq = x.seq
                    WHERE x.muni = $1 AND x.seq >= $2 AND x.at >= $3 AND x.at <= $4
                    AND NOT EXISTS (SELECT 1 FROM register r WHERE r.muni = $1 AND r.id = x.register)
                """
            let newEvents = """
                WITH e AS MATERIALIZED (SELECT e.id, e.staff, e.register, e.person, e.case_id, e.office FROM event e
                    WHERE e.muni = $1 AND e.seq >= $2 AND e.at >= $3 AND e.at <= $4 AND e.type = 'access')
                """
            let j = "convert_from(%@.doc, 'UTF8')::jsonb"
            func doc(_ alias: String) -> String { j.replacingOccurrences(of: "%@", with: alias) }
            let fromRecords = """
                SELECT 'person ' || p.id, 'register', p.register FROM person p
                    WHERE p.muni = $1 AND NOT EXISTS (SELECT 1 FROM register r WHERE r.muni = $1 AND r.id = p.register)
                UNION ALL SELECT 'case ' || c.case_id, 'registers', c.register FROM case_register c
                    WHERE c.muni = $1 AND NOT EXISTS (SELECT 1 FROM register r WHERE r.muni = $1 AND r.id = c.register)
                UNION ALL SELECT 'staff ' || s.id, 'person', s.person FROM staff s
                    WHERE s.muni = $1 AND s.person IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person p WHERE p.muni = $1 AND p.id = s.person)
                UNION ALL SELECT 'staff ' || s.id, 'assignments[].office', a.value ->> 'office'
                    FROM staff s, jsonb_array_elements(CASE WHEN jsonb_typeof(\(doc("s")) -> 'assignments') = 'array'
                        THEN \(doc("s")) -> 'assignments' ELSE '[]'::jsonb END) a
                    WHERE s.muni = $1 AND NOT EXISTS (SELECT 1 FROM office o WHERE o.muni = $1 AND o.code = a.value ->> 'office')
                UNION ALL SELECT 'register ' || r.id, 'office', r.office FROM register r
                    WHERE r.muni = $1 AND NOT EXISTS (SELECT 1 FROM office o WHERE o.muni = $1 AND o.code = r.office)
                UNION ALL SELECT 'register ' || r.id, 'head', r.head FROM register r
                    WHERE r.muni = $1 AND r.head IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person p WHERE p.muni = $1 AND p.id = r.head)
                UNION ALL SELECT 'register ' || m.register, 'members', m.person FROM register_member m
                    WHERE m.muni = $1 AND NOT EXISTS (SELECT 1 FROM person p WHERE p.muni = $1 AND p.id = m.person)
                UNION ALL SELECT 'register ' || r.id, 'predecessors', x.value FROM register r,
                    jsonb_array_elements_text(CASE WHEN jsonb_typeof(\(doc("r")) -> 'predecessors') = 'array'
                        THEN \(doc("r")) -> 'predecessors' ELSE '[]'::jsonb END) x
                    WHERE r.muni = $1 AND NOT EXISTS (SELECT 1 FROM register y WHERE y.muni = $1 AND y.id = x.value)
                UNION ALL SELECT 'register ' || r.id, 'successors', x.value FROM register r,
                    jsonb_array_elements_text(CASE WHEN jsonb_typeof(\(doc("r")) -> 'successors') = 'array'
                        THEN \(doc("r")) -> 'successors' ELSE '[]'::jsonb END) x
                    WHERE r.muni = $1 AND NOT EXISTS (SELECT 1 FROM register y WHERE y.muni = $1 AND y.id = x.value)
                UNION ALL SELECT 'person ' || p.id, 'relations[].person', x.value ->> 'person' FROM person p,
                    jsonb_array_elements(CASE WHEN jsonb_typeof(\(doc("p")) -> 'relations') = 'array'
                        THEN \(doc("p")) -> 'relations' ELSE '[]'::jsonb END) x
                    WHERE p.muni = $1 AND NOT EXISTS (SELECT 1 FROM person y WHERE y.muni = $1 AND y.id = x.value ->> 'person')
                UNION ALL SELECT 'case ' || c.id, 'office', c.office FROM cases c
                    WHERE c.muni = $1 AND NOT EXISTS (SELECT 1 FROM office o WHERE o.muni = $1 AND o.code = c.office)
                UNION ALL SELECT 'case ' || c.case_id, 'persons', c.person FROM case_person c
                    WHERE c.muni = $1 AND NOT EXISTS (SELECT 1 FROM person p WHERE p.muni = $1 AND p.id = c.person)
                UNION ALL SELECT 'case ' || c.case_id, 'staff', c.staff FROM case_staff c
                    WHERE c.muni = $1 AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.muni = $1 AND s.id = c.staff)
                UNION ALL SELECT 'protection ' || x.key, 'person', x.person FROM protection x
                    WHERE x.muni = $1 AND NOT EXISTS (SELECT 1 FROM person p WHERE p.muni = $1 AND p.id = x.person)
                UNION ALL SELECT 'self_report ' || x.key, 'staff', x.staff FROM self_report x
                    WHERE x.muni = $1 AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.muni = $1 AND s.id = x.staff)
                """
            return try connections.blocking { s in
                let from = Int64(clamping: from)
                let span = try s.rows("SELECT min(at), max(at) FROM event_key WHERE muni = \(muni) AND seq >= \(from)").first
                    .map { try $0.decode((Int64?, Int64?).self) }
                // The statement is this file's own text; the municipality, the index and the time bounds are bound.
                var q: PostgresQuery
                if let span, let low = span.0, let high = span.1 {
                    q = PostgresQuery(unsafeSQL: newEvents + "SELECT * FROM (" + fromEvents
                        + (referenceRecords ? "\nUNION ALL " + fromRecords : "") + ") d")
                    q.binds.append(muni)
                    q.binds.append(from)
                    q.binds.append(low)
                    q.binds.append(high)
                } else if referenceRecords {
                    // No new event: only the records are checked.
                    q = PostgresQuery(unsafeSQL: "SELECT * FROM (" + fromRecords + ") d")
                    q.binds.append(muni)
                } else {
                    return (0, [])
                }
                let rows = try s.rows(q)
                var examples: [DanglingReference] = []
                for row in rows.prefix(max(0, limit)) {
                    let (a, b, c) = try row.decode((String, String, String).self)
                    examples.append(DanglingReference(from: a, field: b, id: c))
                }
                return (rows.count, examples)
            }
        }
    }

    // MARK: Ledger reads

    public func ledgerSize() async throws -> UInt64 {
        try await connections.run { s in
            try await s.rows("SELECT size FROM ledger_head WHERE muni = \(muni)").first.map { UInt64(try $0.decode(Int64.self)) } ?? 0
        }
    }

    public func tile(level: Int, index: UInt64) async throws -> Tile? {
        try await tiles(level: level, indexes: [index]).first
    }

    public func tiles(level: Int, indexes: [UInt64]) async throws -> [Tile] {
        guard !indexes.isEmpty else { return [] }
        return try await connections.run { s in
            try await s.rows("""
                SELECT idx, hashes FROM ledger_tile WHERE muni = \(muni) AND level = \(Int64(level))
                AND idx = ANY(\(indexes.map { Int64($0) })::bigint[]) ORDER BY idx
                """).map { row in
                let (i, h) = try row.decode((Int64, ByteBuffer).self)
                return Tile(level: level, index: UInt64(i), hashes: h.bytes)
            }
        }
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await connections.run { s in
            try await s.rows("SELECT size, root, note FROM ledger_checkpoint WHERE muni = \(muni) ORDER BY size DESC LIMIT 1")
                .first.flatMap(Self.checkpoint)
        }
    }

    public func checkpoints() async throws -> [StoredCheckpoint] {
        try await connections.run { s in
            try await s.rows("SELECT size, root, note FROM ledger_checkpoint WHERE muni = \(muni) ORDER BY size").compactMap(Self.checkpoint)
        }
    }

    private static func checkpoint(_ row: PostgresRow) throws -> StoredCheckpoint? {
        let (size, root, note) = try row.decode((Int64, ByteBuffer, String).self)
        guard let hash = LedgerHash(bytes: root.bytes) else { return nil }
        return StoredCheckpoint(size: UInt64(size), root: hash, note: note)
    }

    public func saveCheckpoint(_ c: StoredCheckpoint) async throws {
        try await offBlocking {
            try connections.blocking { s in
                try s.execute("""
                    INSERT INTO ledger_checkpoint(muni, size, root, note) VALUES (\(muni), \(Int64(c.size)), \(c.root.bytes.buffer), \(c.note))
                    ON CONFLICT (muni, size) DO NOTHING
                    """)
            }
        }
    }

    /// A session advisory lock on the municipality's lease, tried without waiting, held on one connection for the
    /// length of `body`; PostgreSQL releases it when that connection ends (a killed server's lease goes with it).
    public func withLease<T: Sendable>(_ lease: StoreLease, _ body: () async throws -> T) async throws -> T? {
        let name = "akashi-\(lease.rawValue):" + muni
        let c = try await connections.checkout()
        let session = AsyncSession(connection: c, logger: connections.logger, location: connections.location)
        let held: Bool
        do {
            held = try await session.rows("SELECT pg_try_advisory_lock(hashtextextended(\(name), 0))").first?.decode(Bool.self) == true
        } catch {
            connections.checkin(c)
            throw error
        }
        guard held else {
            connections.checkin(c)
            return nil
        }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        if (try? await session.execute("SELECT pg_advisory_unlock(hashtextextended(\(name), 0))")) == nil {
            // A lease that could not be given back must not stay with a pooled connection: closing it releases it.
            try? await c.close()
        }
        connections.checkin(c)
        return try result.get()
    }

    public func recordedVerifierKey() async throws -> String? {
        try await connections.run { s in
            try await s.rows("SELECT value FROM ledger_meta WHERE muni = \(muni) AND key = 'verifier'").first.map { try $0.decode(String.self) }
        }
    }

    public func recordVerifierKey(_ text: String) async throws {
        try await offBlocking {
            try connections.blocking { s in
                try s.execute("""
                    INSERT INTO ledger_meta(muni, key, value) VALUES (\(muni), 'verifier', \(text))
                    ON CONFLICT (muni, key) DO UPDATE SET value = EXCLUDED.value
                    """)
            }
        }
    }

    public func storedEvents(fromSeq: UInt64, limit: Int) async throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        return try await connections.run { s in
            try await s.rows("""
                SELECT seq, id, type, at, staff, office, register, person, case_id, entry FROM event
                WHERE muni = \(muni) AND seq >= \(Int64(clamping: fromSeq)) ORDER BY seq LIMIT \(Int64(limit))
                """).map { row in
                let (seq, id, type, at, staff, office) = try row.decode((Int64, String, String, Int64, String?, String?).self)
                let columns = row.makeRandomAccess()
                return StoredEvent(seq: UInt64(seq), id: id, type: type, atMillis: at, staff: staff, office: office,
                                   register: try columns[6].decode(String?.self), person: try columns[7].decode(String?.self),
                                   caseID: try columns[8].decode(String?.self), entry: try columns[9].decode(ByteBuffer.self).bytes)
            }
        }
    }

    /// The lookups are the event table's own indexes: their rows are the indexed columns of every event, read here
    /// through those indexes, so `akashi ledger verify` compares what the indexes hold with the entries.
    /// Nothing waits: the lookups are the event table's own indexes, kept by PostgreSQL in every commit.
    public func lookupRowsPending() -> UInt64? { nil }

    public func forEachLookupRow(_ body: (LookupRow) throws -> Void) throws {
        let queries: [(LookupRow.Table, String)] = [
            (.staff, "SELECT staff, at, seq FROM event WHERE muni = $1 AND staff IS NOT NULL"),
            (.register, "SELECT register, at, seq FROM event WHERE muni = $1 AND register IS NOT NULL"),
            (.person, "SELECT person, at, seq FROM event WHERE muni = $1 AND person IS NOT NULL"),
            (.case, "SELECT case_id, 0::bigint, seq FROM event WHERE muni = $1 AND case_id IS NOT NULL"),
            (.office, "SELECT office, day, seq FROM event WHERE muni = $1 AND office IS NOT NULL"),
        ]
        for (table, sql) in queries {
            var q = PostgresQuery(unsafeSQL: sql)
            q.binds.append(muni)
            let rows = try connections.blocking { s in
                try s.rows(q).map { row in
                    let (k, at, seq) = try row.decode((String, Int64, Int64).self)
                    return LookupRow(table: table, key: k, at: at, seq: UInt64(seq))
                }
            }
            for r in rows { try body(r) }
        }
    }

    public func forEachTile(_ body: (Tile) throws -> Void) throws {
        let tiles = try connections.blocking { s in
            try s.rows("SELECT level, idx, hashes FROM ledger_tile WHERE muni = \(muni) ORDER BY level, idx").map { row in
                let (l, i, h) = try row.decode((Int64, Int64, ByteBuffer).self)
                return Tile(level: Int(l), index: UInt64(i), hashes: h.bytes)
            }
        }
        for t in tiles { try body(t) }
    }

    /// PostgreSQL's own check of the store's B-tree indexes, where the `amcheck` extension is installed
    /// (`CREATE EXTENSION amcheck`, by a superuser); without it, nothing to report.
    public func integrityProblems() async throws -> [String] {
        try await offBlocking {
            try connections.blocking { s in
                guard try !s.rows("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").isEmpty else { return [] }
                let indexes = try s.rows("""
                    SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
                    JOIN pg_class t ON t.oid = i.indrelid
                    WHERE a.amname = 'btree' AND c.relkind = 'i' AND t.relnamespace = 'public'::regnamespace
                    """).map { try $0.decode(String.self) }
                var problems: [String] = []
                for name in indexes {
                    do { try s.execute("SELECT bt_index_check(\(name)::regclass)") } catch {
                        problems.append("index \(name): \((error as? StoreError)?.message ?? "\(error)")")
                    }
                }
                return problems
            }
        }
    }
}
