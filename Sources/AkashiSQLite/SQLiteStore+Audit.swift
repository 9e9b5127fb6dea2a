import AkashiAudit
import AkashiDomain
import AkashiStorage
import Foundation
import GRDB
import GRDBSQLite

/// The audit's tables. Findings are derived data (the ledger keeps the `audit.finding` journal entries of flagged
/// accesses), kept in two places, each access in exactly one:
/// - `audit_finding`: one row per access that is not plainly explained (flagged, scored, weakly explained, or with
///   reasons; any finding saved by a re-audit), with the indexes the worklist, journal and reads need;
/// - `audit_plain`: the accesses a full sweep found strongly explained with no reason and score 0 (the vast majority),
///   as a rowid table keyed by ledger index with no secondary index (appended in ledger order, so writing it is cheap),
///   holding only what the sweep worked out (rule, case, person, office); ID, staff, time and register come from the
///   event through the ledger index (`selectPlain`).
///   Reads by staff, register or person find its rows through the ledger's lookup tables (`ix_staff`, `ix_register`,
///   `ix_person`).
/// And the incremental checkpoint (`audit_state`).
enum AuditSchema {
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v4-audit-findings") { db in
            try db.execute(sql: """
                CREATE TABLE audit_finding(
                    access TEXT PRIMARY KEY NOT NULL,
                    seq INTEGER NOT NULL,
                    staff TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    at_text TEXT NOT NULL,
                    person TEXT,
                    register TEXT,
                    office TEXT,
                    explained INTEGER NOT NULL,
                    rule TEXT,
                    case_id TEXT,
                    strength TEXT,
                    score REAL NOT NULL,
                    flagged INTEGER NOT NULL,
                    reasons TEXT NOT NULL,
                    journaled INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
                CREATE INDEX audit_finding_worklist ON audit_finding(flagged, score);
                CREATE INDEX audit_finding_staff_at ON audit_finding(staff, at);
                CREATE INDEX audit_finding_person ON audit_finding(person, at) WHERE person IS NOT NULL;
                CREATE INDEX audit_finding_register ON audit_finding(register, at) WHERE register IS NOT NULL;
                CREATE INDEX audit_finding_unjournaled ON audit_finding(seq) WHERE flagged = 1 AND journaled = 0;
                CREATE TABLE audit_state(
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    last_seq INTEGER,
                    last_case_row INTEGER NOT NULL,
                    state TEXT NOT NULL);
                """)
        }
        // Findings keyed by ledger index, plainly explained accesses of a sweep kept compactly. The findings stored so
        // far move over as they are (all in `audit_finding`, journal marks kept), so the checkpoint stays valid.
        m.registerMigration("v5-audit-compact") { db in
            try db.execute(sql: """
                ALTER TABLE audit_finding RENAME TO audit_finding_v4;
                DROP INDEX audit_finding_worklist;
                DROP INDEX audit_finding_staff_at;
                DROP INDEX audit_finding_person;
                DROP INDEX audit_finding_register;
                DROP INDEX audit_finding_unjournaled;
                CREATE TABLE audit_finding(
                    seq INTEGER PRIMARY KEY NOT NULL,
                    access TEXT NOT NULL,
                    staff TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    at_text TEXT NOT NULL,
                    person TEXT,
                    register TEXT,
                    office TEXT,
                    explained INTEGER NOT NULL,
                    rule TEXT,
                    case_id TEXT,
                    strength TEXT,
                    score REAL NOT NULL,
                    flagged INTEGER NOT NULL,
                    reasons TEXT NOT NULL,
                    journaled INTEGER NOT NULL DEFAULT 0);
                INSERT INTO audit_finding(seq, access, staff, at, at_text, person, register, office, explained, rule,
                    case_id, strength, score, flagged, reasons, journaled)
                    SELECT seq, access, staff, at, at_text, person, register, office, explained, rule, case_id,
                        strength, score, flagged, reasons, journaled FROM audit_finding_v4 ORDER BY seq;
                DROP TABLE audit_finding_v4;
                CREATE UNIQUE INDEX audit_finding_access ON audit_finding(access);
                CREATE INDEX audit_finding_worklist ON audit_finding(flagged, score);
                CREATE INDEX audit_finding_staff_at ON audit_finding(staff, at);
                CREATE INDEX audit_finding_person ON audit_finding(person, at) WHERE person IS NOT NULL;
                CREATE INDEX audit_finding_register ON audit_finding(register, at) WHERE register IS NOT NULL;
                CREATE INDEX audit_finding_unjournaled ON audit_finding(seq) WHERE flagged = 1 AND journaled = 0;
                CREATE TABLE audit_plain(
                    seq INTEGER PRIMARY KEY NOT NULL,
                    access TEXT NOT NULL,
                    staff TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    at_text TEXT NOT NULL,
                    person TEXT,
                    register TEXT,
                    office TEXT,
                    rule TEXT NOT NULL,
                    case_id TEXT);
                CREATE INDEX audit_register_head ON register(head) WHERE head IS NOT NULL;
                """)
        }
    }
}

extension SQLiteStore: FindingStore {
    // MARK: Checkpoint

    public func auditCheckpoint() throws -> AuditCheckpoint? {
        let row = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT last_seq, last_case_row, state FROM audit_state WHERE id = 1")
        }
        guard let row else { return nil }
        let lastSeq: Int64? = row[0]
        let lastCase: Int64 = row[1]
        let text: String = row[2]
        let state = try JSONDecoder().decode(AuditState.self, from: Data(text.utf8))
        return AuditCheckpoint(lastSeq: lastSeq.map { UInt64($0) }, lastCaseRow: lastCase, state: state)
    }

    public func saveAuditCheckpoint(_ c: AuditCheckpoint) throws {
        let text = String(decoding: try JSONEncoder().encode(c.state), as: UTF8.self)
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO audit_state(id, last_seq, last_case_row, state) VALUES (1, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET last_seq = excluded.last_seq, last_case_row = excluded.last_case_row,
                    state = excluded.state
                """, arguments: [c.lastSeq.map { Int64($0) }, c.lastCaseRow, text])
        }
    }

    // MARK: What to audit

    public func latestCaseRow() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(rowid), 0) FROM cases") } ?? 0
    }

    public func casesArrived(after row: Int64) throws -> [ArrivedCase] {
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT rowid, doc FROM cases WHERE rowid > ? ORDER BY rowid",
                                           arguments: [row])
            var out: [ArrivedCase] = []
            while let r = try rows.next() {
                let doc: Data = r[1]
                out.append(ArrivedCase(row: r[0], doc: [UInt8](doc)))
            }
            return out
        }
    }

    // MARK: Findings

    /// The upsert of a full finding row (by ledger index). A finding that becomes flagged is marked as not yet
    /// journaled; one that stays flagged keeps its mark.
    static let upsertFinding = """
        INSERT INTO audit_finding(seq, access, staff, at, at_text, person, register, office, explained, rule,
            case_id, strength, score, flagged, reasons, journaled)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0)
        ON CONFLICT(seq) DO UPDATE SET access = excluded.access, staff = excluded.staff, at = excluded.at,
            at_text = excluded.at_text, person = excluded.person, register = excluded.register,
            office = excluded.office, explained = excluded.explained, rule = excluded.rule,
            case_id = excluded.case_id, strength = excluded.strength, score = excluded.score,
            flagged = excluded.flagged, reasons = excluded.reasons,
            journaled = CASE WHEN excluded.flagged = 1 AND audit_finding.flagged = 1
                             THEN audit_finding.journaled ELSE 0 END
        """

    static func bindFinding(_ stmt: RawStatement, _ s: StoredFinding) {
        let f = s.finding
        stmt.bind(1, Int64(clamping: s.seq))
        stmt.bind(2, f.access)
        stmt.bind(3, f.staff)
        stmt.bind(4, f.at.millis)
        stmt.bind(5, f.at.description)
        stmt.bind(6, f.person)
        stmt.bind(7, f.register)
        stmt.bind(8, f.office)
        stmt.bind(9, f.explained ? 1 : 0)
        stmt.bind(10, f.explanation?.rule)
        stmt.bind(11, f.explanation?.caseID)
        stmt.bind(12, f.explanation?.strength.rawValue)
        sqlite3_bind_double(stmt.handle, 13, f.score)
        stmt.bind(14, f.flagged ? 1 : 0)
        stmt.bind(15, f.reasons.isEmpty ? "[]" : f.reasonsJSON)
    }

    public func saveFindings(_ findings: [StoredFinding]) throws {
        guard !findings.isEmpty else { return }
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let conn = db.sqliteConnection!
                let unplain = try RawStatement(conn, "DELETE FROM audit_plain WHERE seq = ?1")
                let upsert = try RawStatement(conn, Self.upsertFinding)
                for s in findings {
                    unplain.bind(1, Int64(clamping: s.seq))
                    try unplain.run()
                    Self.bindFinding(upsert, s)
                    try upsert.run()
                }
                return .commit
            }
        }
    }

    /// Plainly explained findings go to `audit_plain` (appended in ledger order), the rest to `audit_finding`. An
    /// access that already has a full row (a sweep resumed after a crash) keeps one.
    public func saveSweepFindings(_ findings: [StoredFinding]) throws {
        guard !findings.isEmpty else { return }
        let sorted = findings.sorted { $0.seq < $1.seq }
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let conn = db.sqliteConnection!
                var full = Set<UInt64>()
                let existing = try RawStatement(conn, "SELECT seq FROM audit_finding WHERE seq BETWEEN ?1 AND ?2")
                existing.bind(1, Int64(clamping: sorted.first!.seq))
                existing.bind(2, Int64(clamping: sorted.last!.seq))
                defer { sqlite3_reset(existing.handle) }
                while sqlite3_step(existing.handle) == SQLITE_ROW {
                    full.insert(UInt64(sqlite3_column_int64(existing.handle, 0)))
                }
                let plain = try RawStatement(conn, """
                    INSERT OR REPLACE INTO audit_plain(seq, rule, case_id, person, office) VALUES (?1, ?2, ?3, ?4, ?5)
                    """)
                let unplain = try RawStatement(conn, "DELETE FROM audit_plain WHERE seq = ?1")
                let upsert = try RawStatement(conn, Self.upsertFinding)
                for s in sorted {
                    let f = s.finding
                    if f.isPlainlyExplained, !full.contains(s.seq) {
                        // The rest of the row (ID, staff, time, register) is the event's, read through `seq`.
                        plain.bind(1, Int64(clamping: s.seq))
                        plain.bind(2, f.explanation?.rule)
                        plain.bind(3, f.explanation?.caseID)
                        plain.bind(4, f.person)
                        plain.bind(5, f.office)
                        try plain.run()
                    } else {
                        unplain.bind(1, Int64(clamping: s.seq))
                        try unplain.run()
                        Self.bindFinding(upsert, s)
                        try upsert.run()
                    }
                }
                return .commit
            }
        }
    }

    public func unjournaledFindings(limit: Int) throws -> [StoredFinding] {
        try pool.read { db in
            try Self.fetchFindings(db, where: "flagged = 1 AND journaled = 0", order: "seq", limit: limit, offset: 0,
                                   arguments: [])
        }
    }

    public func markJournaled(_ accessIDs: [String]) throws {
        guard !accessIDs.isEmpty else { return }
        try pool.write { db in
            let stmt = try db.cachedStatement(sql: "UPDATE audit_finding SET journaled = 1 WHERE access = ?")
            for id in accessIDs { try stmt.execute(arguments: [id]) }
        }
    }

    public func findings(accessIDs: [String]) throws -> [StoredFinding] {
        guard !accessIDs.isEmpty else { return [] }
        return try pool.read { db in
            var out: [StoredFinding] = []
            for start in stride(from: 0, to: accessIDs.count, by: 500) {
                let chunk = Array(accessIDs[start..<min(accessIDs.count, start + 500)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                out += try Self.fetchFindings(db, where: "access IN (\(marks))", order: nil, limit: nil, offset: 0,
                                              arguments: StatementArguments(chunk))
                let rows = try Row.fetchCursor(db, sql: Self.selectPlain + """
                     WHERE seq IN (SELECT seq FROM event WHERE id IN (\(marks)))
                    """, arguments: StatementArguments(chunk))
                while let r = try rows.next() { out.append(try Self.finding(r)) }
            }
            return out.sorted { $0.seq < $1.seq }
        }
    }

    /// The SQL of a filter over both tables: the union's text and its arguments.
    static func findingsQuery(_ filter: FindingFilter) -> (String, StatementArguments) {
        var full: [String] = [], plain: [String] = []
        var fullArgs = StatementArguments(), plainArgs = StatementArguments()
        // The plain rows have no index of their own: a subject narrows them through the ledger's lookup tables.
        var range = ""
        var rangeArgs = StatementArguments()
        if let f = filter.from {
            full.append("at >= ?")
            fullArgs += [f.millis]
            plain.append("at >= ?")
            plainArgs += [f.millis]
            range += " AND at >= ?"
            rangeArgs += [f.millis]
        }
        if let t = filter.to {
            full.append("at < ?")
            fullArgs += [t.millis]
            plain.append("at < ?")
            plainArgs += [t.millis]
            range += " AND at < ?"
            rangeArgs += [t.millis]
        }
        if let s = filter.staff {
            full.append("staff = ?")
            fullArgs += [s]
            plain.append("staff = ? AND seq IN (SELECT seq FROM ix_staff WHERE staff = ?\(range))")
            plainArgs += [s, s]
            plainArgs += rangeArgs
        }
        if let r = filter.register {
            full.append("register = ?")
            fullArgs += [r]
            plain.append("register = ? AND seq IN (SELECT seq FROM ix_register WHERE register = ?\(range))")
            plainArgs += [r, r]
            plainArgs += rangeArgs
        }
        if let p = filter.person {
            // A finding's person is the access's person, or else the head of the register opened.
            full.append("person = ?")
            fullArgs += [p]
            plain.append("""
                person = ? AND seq IN (SELECT seq FROM ix_person WHERE person = ?\(range) UNION ALL
                    SELECT seq FROM ix_register WHERE register IN (SELECT id FROM register WHERE head = ?)\(range))
                """)
            plainArgs += [p, p]
            plainArgs += rangeArgs
            plainArgs += [p]
            plainArgs += rangeArgs
        }
        if let o = filter.office {
            full.append("office = ?")
            fullArgs += [o]
            plain.append("office = ?")
            plainArgs += [o]
        }
        if filter.flaggedOnly { full.append("flagged = 1") }
        var sql = selectFindings + (full.isEmpty ? "" : " WHERE " + full.joined(separator: " AND "))
        var args = fullArgs
        if !filter.flaggedOnly {
            sql += " UNION ALL " + selectPlain + (plain.isEmpty ? "" : " WHERE " + plain.joined(separator: " AND "))
            args += plainArgs
        }
        let order = switch filter.order {
        case .time: "15, 2"
        case .score: "12 DESC, 15, 2"
        case .newest: "15 DESC, 2 DESC"
        }
        sql += " ORDER BY " + order
        if let limit = filter.limit {
            sql += " LIMIT ? OFFSET ?"
            args += [max(0, limit), max(0, filter.offset)]
        }
        return (sql, args)
    }

    public func forEachFinding(_ filter: FindingFilter, _ body: (StoredFinding) throws -> Void) throws {
        let (sql, args) = Self.findingsQuery(filter)
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: args)
            while let r = try rows.next() { try body(try Self.finding(r)) }
        }
    }

    public func staffSummaries(from: Timestamp?, to: Timestamp?, topK: Int) throws -> [StaffSummary] {
        var clauses: [String] = []
        var args = StatementArguments()
        if let f = from {
            clauses.append("f.at >= ?")
            args += [f.millis]
        }
        if let t = to {
            clauses.append("f.at < ?")
            args += [t.millis]
        }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let andSQL = clauses.isEmpty ? "" : " AND " + clauses.joined(separator: " AND ")
        return try pool.read { db in
            var byStaff: [String: StaffSummary] = [:]
            // Plain rows: explained, not flagged, score 0, no reasons.
            let totals = try Row.fetchCursor(db, sql: """
                SELECT staff, count(*), sum(explained), sum(flagged), max(score), sum(score),
                    count(DISTINCT coalesce(person, register)) FROM (
                        SELECT staff, at, person, register, explained, flagged, score FROM audit_finding
                        UNION ALL SELECT e.staff, e.at, p.person, e.register, 1, 0, 0.0
                            FROM audit_plain p JOIN event e ON e.seq = p.seq) f\(whereSQL)
                GROUP BY staff
                """, arguments: args)
            while let r = try totals.next() {
                var s = StaffSummary(staff: r[0])
                s.total = r[1]
                s.explained = r[2]
                s.unexplained = s.total - s.explained
                s.flagged = r[3]
                s.maxScore = r[4]
                s.sumScore = r[5]
                s.subjectCount = r[6]
                byStaff[s.staff] = s
            }
            let top = try Row.fetchCursor(db, sql: """
                SELECT staff, score FROM (SELECT staff, score,
                    row_number() OVER (PARTITION BY staff ORDER BY score DESC) AS k
                    FROM audit_finding f WHERE score > 0\(andSQL)) WHERE k <= ? ORDER BY staff, score DESC
                """, arguments: args + [topK])
            while let r = try top.next() {
                let staff: String = r[0]
                byStaff[staff]?.topScores.append(r[1])
            }
            let reasons = try Row.fetchCursor(db, sql: """
                SELECT f.staff, json_extract(j.value, '$.code'), count(*) FROM audit_finding f, json_each(f.reasons) j
                WHERE f.reasons <> '[]'\(andSQL) GROUP BY 1, 2
                """, arguments: args)
            while let r = try reasons.next() {
                let staff: String = r[0]
                let code: String = r[1]
                byStaff[staff]?.reasonCounts[code] = r[2]
            }
            return Array(byStaff.values)
        }
    }

    public func findingCounts() throws -> FindingCounts {
        try pool.read { db in
            var c = FindingCounts()
            if let r = try Row.fetchOne(db, sql: """
                SELECT count(*), coalesce(sum(explained), 0), (SELECT count(*) FROM audit_finding WHERE flagged = 1),
                    (SELECT count(*) FROM audit_plain)
                FROM audit_finding
                """) {
                let rows: Int = r[0], explained: Int = r[1], flagged: Int = r[2], plain: Int = r[3]
                c.total = rows + plain
                c.explained = explained + plain
                c.flagged = flagged
            }
            return c
        }
    }

    public func resetAudit() throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM audit_finding; DELETE FROM audit_plain; DELETE FROM audit_state")
        }
    }

    // MARK: Row mapping

    static let selectFindings = """
        SELECT access, seq, staff, at_text, person, register, office, explained, rule, case_id, strength, score, flagged,
            reasons, at FROM audit_finding
        """

    /// A plain row in the columns of ``selectFindings``: strongly explained, score 0, not flagged, no reasons.
    /// (A plain row keeps only what the sweep worked out: the rule, the case, the person and office it settled on;
    /// the rest is the event's. Filters name the derived table's columns.)
    static let selectPlain = """
        SELECT access, seq, staff, at_text, person, register, office, 1, rule, case_id, 'strong', 0.0, 0, '[]', at FROM (
            SELECT e.id AS access, p.seq AS seq, e.staff AS staff, json_extract(CAST(e.entry AS TEXT), '$.at') AS at_text,
                p.person AS person, e.register AS register, p.office AS office, p.rule AS rule, p.case_id AS case_id,
                e.at AS at
            FROM audit_plain p JOIN event e ON e.seq = p.seq)
        """

    static func fetchFindings(_ db: Database, where clause: String, order: String?, limit: Int?, offset: Int,
                              arguments: StatementArguments) throws -> [StoredFinding] {
        var sql = selectFindings + " WHERE " + clause
        if let order { sql += " ORDER BY " + order }
        var arguments = arguments
        if let limit {
            sql += " LIMIT ? OFFSET ?"
            arguments += [max(0, limit), max(0, offset)]
        }
        var out: [StoredFinding] = []
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let r = try rows.next() { out.append(try finding(r)) }
        return out
    }

    static func finding(_ r: Row) throws -> StoredFinding {
        let atText: String = r[3]
        let atMillis: Int64 = r[14]
        let at = Timestamp(atText) ?? Timestamp(millis: atMillis)
        let rule: String? = r[8]
        let strength: String? = r[10]
        let reasonsText: String = r[13]
        let reasons = reasonsText == "[]" ? [] : try JSONDecoder().decode([Reason].self, from: Data(reasonsText.utf8))
        let explanation = rule.map {
            Explanation(rule: $0, caseID: r[9], strength: ExplanationStrength(rawValue: strength ?? "") ?? .strong)
        }
        let seq: Int64 = r[1]
        let f = AccessFinding(access: r[0], staff: r[2], at: at, explained: r[7], explanation: explanation,
                              score: r[11], flagged: r[12], reasons: reasons, register: r[5], person: r[4],
                              office: r[6])
        return StoredFinding(seq: UInt64(seq), finding: f)
    }
}

extension SQLiteStore {
    /// How the findings are kept: full rows (`audit_finding`) and plain explained accesses (`audit_plain`).
    public func findingLayout() throws -> (rows: Int, plain: Int) {
        try pool.read { db in
            let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_finding") ?? 0
            let plain = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_plain") ?? 0
            return (rows, plain)
        }
    }

    /// The benchmark baseline: how many accesses name a case that lists the opened register (the direct-case
    /// explanation alone, as one SQL join).
    public func directCaseJoinCount() throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM event e JOIN case_register cr ON cr.case_id = e.case_id AND cr.register = e.register
                WHERE e.type = 'access'
                """) ?? 0
        }
    }
}
