import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiStorage
import Foundation
import GRDB

/// The reports' tables: the search-result index (derived from the ledger entries), 本人通知 registrations and
/// notices, and one-time access codes (hashes only). None of them holds a ledger entry.
enum ReportSchema {
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v5-reports") { db in
            try db.execute(sql: """
                CREATE TABLE rp_search(register TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY(register, at, seq)) WITHOUT ROWID;
                CREATE TABLE rp_meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE rp_notice_registration(person TEXT PRIMARY KEY NOT NULL, registered TEXT NOT NULL,
                    address TEXT NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE rp_notice(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    person TEXT NOT NULL,
                    case_id TEXT NOT NULL,
                    issued TEXT NOT NULL,
                    office TEXT NOT NULL,
                    certificate TEXT NOT NULL,
                    copies INTEGER,
                    requester TEXT NOT NULL,
                    produced TEXT NOT NULL,
                    journal_id TEXT NOT NULL UNIQUE,
                    journaled INTEGER NOT NULL DEFAULT 0,
                    sent TEXT,
                    UNIQUE(person, case_id));
                CREATE TABLE rp_access_code(
                    hash TEXT PRIMARY KEY NOT NULL,
                    person TEXT NOT NULL,
                    from_day TEXT NOT NULL,
                    to_day TEXT NOT NULL,
                    created TEXT NOT NULL,
                    expires INTEGER NOT NULL,
                    expires_text TEXT NOT NULL,
                    used TEXT) WITHOUT ROWID;
                """)
        }
    }
}

extension SQLiteStore: ReportStore {
    // MARK: Reference records

    private func docs(_ sql: String, _ arguments: StatementArguments) throws -> [AkashiDomain.Record] {
        try pool.read { db in
            var out: [AkashiDomain.Record] = []
            let rows = try Data.fetchCursor(try db.cachedStatement(sql: sql), arguments: arguments)
            while let d = try rows.next() {
                if case let .record(r, _) = try RecordDecoder.decodeStored(line: [UInt8](d)) { out.append(r) }
            }
            return out
        }
    }

    /// A list bound as one parameter: a JSON array for `IN (SELECT value FROM json_each(?))`, so each query has one
    /// text whatever the list's length and its prepared statement is reused (preparing dominated short reports).
    private static func jsonList(_ values: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
    }

    private static func jsonList(_ values: some Sequence<Int64>) -> String {
        "[" + values.map(String.init).joined(separator: ",") + "]"
    }

    public func registerIDs(member person: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT register FROM register_member WHERE person = ? ORDER BY register"),
                                arguments: [person])
        }
    }

    public func cases(person: String?, registers: [String]) throws -> [Case] {
        var ids = Set<String>()
        let list = try Self.jsonList(registers)
        try pool.read { db in
            if let person {
                for id in try String.fetchAll(db.cachedStatement(sql: "SELECT case_id FROM case_person WHERE person = ?"),
                                              arguments: [person]) {
                    ids.insert(id)
                }
            }
            for id in try String.fetchAll(db.cachedStatement(sql: """
                SELECT case_id FROM case_register WHERE register IN (SELECT value FROM json_each(?))
                """), arguments: [list]) {
                ids.insert(id)
            }
        }
        return try cases(ids: ids.sorted())
    }

    public func offices() throws -> [Office] {
        try docs("SELECT doc FROM office ORDER BY code", []).compactMap { if case let .office(o) = $0 { o } else { nil } }
    }

    public func selfReports(survey: String) throws -> [SelfReport] {
        try docs("SELECT doc FROM self_report WHERE survey = ? ORDER BY staff", [survey])
            .compactMap { if case let .selfReport(s) = $0 { s } else { nil } }
    }

    // MARK: Events

    @discardableResult
    public func refreshReportIndex() throws -> Int {
        let (done, top) = try pool.read { db in
            (try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM rp_meta WHERE key = 'search_seq'")) ?? -1,
             try Int64.fetchOne(db.cachedStatement(sql: "SELECT coalesce(max(seq), -1) FROM event")) ?? -1)
        }
        guard top > done else { return 0 }
        return try pool.write { db in
            // Re-read inside the write transaction: another process may have caught up meanwhile.
            let from = try Int64.fetchOne(db, sql: "SELECT value FROM rp_meta WHERE key = 'search_seq'") ?? -1
            let to = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), -1) FROM event") ?? -1
            guard to > from else { return 0 }
            try db.execute(sql: """
                INSERT OR IGNORE INTO rp_search(register, at, seq)
                SELECT j.value, e.at, e.seq FROM event e, json_each(CAST(e.entry AS TEXT), '$.results') j
                WHERE e.seq > ? AND e.seq <= ? AND e.type = 'access' AND e.register IS NULL AND j.type = 'text'
                """, arguments: [from, to])
            let added = db.changesCount
            try db.execute(sql: """
                INSERT INTO rp_meta(key, value) VALUES ('search_seq', ?)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value
                """, arguments: [to])
            return added
        }
    }

    /// Only the two columns a disclosure needs (not the whole finding with its reasons), in chunks of bound
    /// parameters. An explanation is recorded with its rule; `case_id` is null for one without a case.
    public func explainingCases(accessIDs: [String]) throws -> [String: String] {
        guard !accessIDs.isEmpty else { return [:] }
        let list = try Self.jsonList(accessIDs)
        return try pool.read { db in
            var out: [String: String] = [:]
            // Full findings by access ID; plainly explained ones (`audit_plain`, keyed by ledger index) through the event.
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT access, case_id FROM audit_finding
                WHERE access IN (SELECT value FROM json_each(?1)) AND rule IS NOT NULL AND case_id IS NOT NULL
                UNION ALL
                SELECT e.id, p.case_id FROM event e JOIN audit_plain p ON p.seq = e.seq
                WHERE e.id IN (SELECT value FROM json_each(?1)) AND p.case_id IS NOT NULL
                """), arguments: [list])
            while let row = try rows.next() { out[row[0]] = row[1] }
            return out
        }
    }

    /// Hash tiles in one read transaction, 500 bound indexes per statement (a report's receipts need tiles from
    /// all over the log).
    public func tiles(level: Int, indexes: [UInt64]) throws -> [Tile] {
        guard !indexes.isEmpty else { return [] }
        let list = Self.jsonList(indexes.map { Int64(bitPattern: $0) })
        return try pool.read { db in
            var out: [Tile] = []
            out.reserveCapacity(indexes.count)
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT idx, hashes FROM ledger_tile WHERE level = ? AND idx IN (SELECT value FROM json_each(?))
                """), arguments: [Int64(level), list])
            while let row = try rows.next() {
                let index: Int64 = row[0]
                let hashes: Data = row[1]
                out.append(Tile(level: level, index: UInt64(bitPattern: index), hashes: [UInt8](hashes)))
            }
            guard level == 0 else { return out }
            // A level-0 tile is stored once full; a partial one (or the rest of one) comes from the entries.
            var complete: [Tile] = []
            complete.reserveCapacity(out.count + 1)
            let stored = Dictionary(out.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
            for index in Set(indexes) where stored[index]?.width ?? 0 < 256 {
                if let t = try Self.completed(db, stored[index], index: index) { complete.append(t) }
            }
            return out.filter { $0.width == 256 } + complete
        }
    }

    public func personIndexCount(person: String, fromMillis: Int64, toMillis: Int64) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM ix_person WHERE person = ? AND at >= ? AND at < ?",
                             arguments: [person, fromMillis, toMillis]) ?? 0
        }
    }

    public func samplePersonIDs(limit: Int, seed: UInt64) throws -> [String] {
        try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM person") ?? 0
            guard total > 0, limit > 0 else { return [] }
            var rng = SeededGenerator(seed: seed)
            var out: [String] = []
            for _ in 0..<limit {
                let k = Int(rng.next() % UInt64(total))
                if let id = try String.fetchOne(db, sql: "SELECT id FROM person ORDER BY id LIMIT 1 OFFSET ?", arguments: [k]) {
                    out.append(id)
                }
            }
            return out
        }
    }

    // MARK: 本人通知

    public func saveNoticeRegistration(_ r: NoticeRegistration) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO rp_notice_registration(person, registered, address, updated) VALUES (?, ?, ?, ?)
                ON CONFLICT(person) DO UPDATE SET registered = excluded.registered, address = excluded.address,
                    updated = excluded.updated
                """, arguments: [r.person, r.registered.description, r.address, Int64(Date().timeIntervalSince1970 * 1000)])
        }
    }

    public func noticeRegistrations() throws -> [NoticeRegistration] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT person, registered, address FROM rp_notice_registration ORDER BY person")
                .compactMap { row in
                    let day: String = row[1]
                    guard let d = LocalDate(day) else { return nil }
                    return NoticeRegistration(person: row[0], registered: d, address: row[2])
                }
        }
    }

    private static let noticeColumns = """
        id, person, case_id, issued, office, certificate, copies, requester, produced, journal_id, journaled, sent
        """

    private static func notice(_ row: Row) -> ResidentNotice? {
        let issued: String = row[3], produced: String = row[8]
        let sent: String? = row[11]
        guard let i = Timestamp(issued), let p = Timestamp(produced) else { return nil }
        let journaled: Int64 = row[10]
        return ResidentNotice(id: row[0], person: row[1], caseID: row[2], issued: i, office: row[4], certificate: row[5],
                              copies: row[6], requester: row[7], produced: p, journalID: row[9],
                              journaled: journaled != 0, sent: sent.flatMap { Timestamp($0) })
    }

    public func insertNotice(_ n: ResidentNotice) throws -> (notice: ResidentNotice, inserted: Bool) {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO rp_notice(person, case_id, issued, office, certificate, copies, requester, produced, journal_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, arguments: [n.person, n.caseID, n.issued.description, n.office, n.certificate, n.copies, n.requester,
                                 n.produced.description, n.journalID])
            let inserted = db.changesCount > 0
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.noticeColumns) FROM rp_notice WHERE person = ? AND case_id = ?",
                                             arguments: [n.person, n.caseID]),
                  let stored = Self.notice(row) else {
                throw StoreError(.damaged, "notice for \(n.person) / \(n.caseID) could not be read back")
            }
            return (stored, inserted)
        }
    }

    public func notices(pendingOnly: Bool) throws -> [ResidentNotice] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.noticeColumns) FROM rp_notice"
                                 + (pendingOnly ? " WHERE sent IS NULL" : "") + " ORDER BY id").compactMap(Self.notice)
        }
    }

    public func unjournaledNotices() throws -> [ResidentNotice] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.noticeColumns) FROM rp_notice WHERE journaled = 0 ORDER BY id")
                .compactMap(Self.notice)
        }
    }

    public func markNoticesJournaled(ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try pool.write { db in
            for id in ids { try db.execute(sql: "UPDATE rp_notice SET journaled = 1 WHERE id = ?", arguments: [id]) }
        }
    }

    public func markNoticeSent(id: Int64, at: Timestamp) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE rp_notice SET sent = ? WHERE id = ? AND sent IS NULL", arguments: [at.description, id])
            return db.changesCount > 0
        }
    }

    // MARK: One-time access codes

    public func saveAccessCode(_ c: AccessCodeRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO rp_access_code(hash, person, from_day, to_day, created, expires, expires_text, used)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [c.hash, c.person, c.from.description, c.to.description, c.created.description,
                                 c.expires.millis, c.expires.description, c.used?.description])
        }
    }

    private static func accessCode(_ row: Row) -> AccessCodeRecord? {
        let from: String = row[2], to: String = row[3], created: String = row[4], expires: String = row[5]
        let used: String? = row[6]
        guard let f = LocalDate(from), let t = LocalDate(to), let c = Timestamp(created), let e = Timestamp(expires)
        else { return nil }
        return AccessCodeRecord(hash: row[0], person: row[1], from: f, to: t, created: c, expires: e,
                                used: used.flatMap { Timestamp($0) })
    }

    public func consumeAccessCode(hash: String, at: Timestamp) throws -> AccessCodeRecord? {
        try pool.write { db in
            try db.execute(sql: "UPDATE rp_access_code SET used = ? WHERE hash = ? AND used IS NULL AND expires > ?",
                           arguments: [at.description, hash, at.millis])
            guard db.changesCount == 1 else { return nil }
            return try Row.fetchOne(db, sql: """
                SELECT hash, person, from_day, to_day, created, expires_text, used FROM rp_access_code WHERE hash = ?
                """, arguments: [hash]).flatMap(Self.accessCode)
        }
    }

    public func revokeAccessCode(hash: String, at: Timestamp) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE rp_access_code SET expires = ?, expires_text = ? WHERE hash = ? AND expires > ?",
                           arguments: [at.millis, at.description, hash, at.millis])
            return db.changesCount == 1
        }
    }

    public func accessCodes(person: String, limit: Int) throws -> [AccessCodeRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT hash, person, from_day, to_day, created, expires_text, used FROM rp_access_code WHERE person = ?
                ORDER BY expires DESC, hash LIMIT ?
                """, arguments: [person, max(0, limit)]).compactMap(Self.accessCode)
        }
    }

    public func accessCode(hash: String) throws -> AccessCodeRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT hash, person, from_day, to_day, created, expires_text, used FROM rp_access_code WHERE hash = ?
                """, arguments: [hash]).flatMap(Self.accessCode)
        }
    }
}
