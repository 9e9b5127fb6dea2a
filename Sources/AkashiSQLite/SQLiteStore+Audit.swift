import AkashiAudit
import AkashiDomain
import AkashiStorage
import Foundation
import GRDB
import GRDBSQLite

/// The audit's tables: one finding per access (keyed by access ID) and the incremental checkpoint.
/// Findings are derived data (the ledger keeps the `audit.finding` journal entries of flagged accesses).
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

    public func accessEvents(fromSeq seq: UInt64, limit: Int) throws -> [LedgerAccess] {
        try pool.read { db in
            try Self.ledgerAccesses(db, sql: "SELECT seq, entry FROM event WHERE seq >= ?1 AND type = 'access' ORDER BY seq LIMIT ?2",
                                    bind: [Int64(seq), Int64(limit)])
        }
    }

    public func accessEvents(registers: [String], staff: [String], cases: [String], fromMillis: Int64, toMillis: Int64,
                             upToSeq: UInt64) throws -> [LedgerAccess] {
        try pool.read { db in
            var out: [UInt64: [UInt8]] = [:]
            let conn = db.sqliteConnection!
            let byRegister = try RawStatement(conn, """
                SELECT seq, entry FROM event WHERE register = ?1 AND at >= ?2 AND at <= ?3 AND seq <= ?4 AND type = 'access'
                """)
            for r in registers {
                byRegister.bind(1, r)
                try Self.collect(byRegister, from: fromMillis, to: toMillis, upTo: upToSeq, into: &out)
            }
            let byStaff = try RawStatement(conn, """
                SELECT seq, entry FROM event WHERE staff = ?1 AND at >= ?2 AND at <= ?3 AND seq <= ?4 AND type = 'access'
                    AND register IS NULL
                """)
            for s in staff {
                byStaff.bind(1, s)
                try Self.collect(byStaff, from: fromMillis, to: toMillis, upTo: upToSeq, into: &out)
            }
            let byCase = try RawStatement(conn, """
                SELECT seq, entry FROM event WHERE case_id = ?1 AND at >= ?2 AND at <= ?3 AND seq <= ?4 AND type = 'access'
                """)
            for c in cases {
                byCase.bind(1, c)
                // A named case explains whenever it is named: no time bound on these.
                try Self.collect(byCase, from: Int64.min, to: Int64.max, upTo: upToSeq, into: &out)
            }
            return out.keys.sorted().map { LedgerAccess(seq: $0, entry: out[$0]!) }
        }
    }

    private static func collect(_ stmt: RawStatement, from: Int64, to: Int64, upTo: UInt64,
                                into out: inout [UInt64: [UInt8]]) throws {
        stmt.bind(2, from)
        stmt.bind(3, to)
        stmt.bind(4, Int64(clamping: upTo))
        defer { sqlite3_reset(stmt.handle) }
        while true {
            let rc = sqlite3_step(stmt.handle)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw StoreError(.sqlite, "SQLite: \(String(cString: sqlite3_errmsg(stmt.db)))") }
            let seq = UInt64(sqlite3_column_int64(stmt.handle, 0))
            let n = Int(sqlite3_column_bytes(stmt.handle, 1))
            out[seq] = n > 0 ? [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt.handle, 1), count: n)) : []
        }
    }

    private static func ledgerAccesses(_ db: Database, sql: String, bind: [Int64]) throws -> [LedgerAccess] {
        let conn = db.sqliteConnection!
        let stmt = try RawStatement(conn, sql)
        for (k, v) in bind.enumerated() { stmt.bind(Int32(k + 1), v) }
        var out: [LedgerAccess] = []
        while true {
            let rc = sqlite3_step(stmt.handle)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw StoreError(.sqlite, "SQLite: \(String(cString: sqlite3_errmsg(conn)))") }
            let n = Int(sqlite3_column_bytes(stmt.handle, 1))
            let entry = n > 0 ? [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt.handle, 1), count: n)) : []
            out.append(LedgerAccess(seq: UInt64(sqlite3_column_int64(stmt.handle, 0)), entry: entry))
        }
        return out
    }

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

    public func saveFindings(_ findings: [StoredFinding]) throws {
        guard !findings.isEmpty else { return }
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let stmt = try RawStatement(db.sqliteConnection!, """
                    INSERT INTO audit_finding(access, seq, staff, at, at_text, person, register, office, explained, rule,
                        case_id, strength, score, flagged, reasons, journaled)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0)
                    ON CONFLICT(access) DO UPDATE SET seq = excluded.seq, staff = excluded.staff, at = excluded.at,
                        at_text = excluded.at_text, person = excluded.person, register = excluded.register,
                        office = excluded.office, explained = excluded.explained, rule = excluded.rule,
                        case_id = excluded.case_id, strength = excluded.strength, score = excluded.score,
                        flagged = excluded.flagged, reasons = excluded.reasons,
                        journaled = CASE WHEN excluded.flagged = 1 AND audit_finding.flagged = 1
                                         THEN audit_finding.journaled ELSE 0 END
                    """)
                for s in findings {
                    let f = s.finding
                    stmt.bind(1, f.access)
                    stmt.bind(2, Int64(clamping: s.seq))
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
                    try stmt.run()
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
            }
            return out.sorted { $0.seq < $1.seq }
        }
    }

    public func forEachFinding(_ filter: FindingFilter, _ body: (StoredFinding) throws -> Void) throws {
        var clauses: [String] = []
        var args = StatementArguments()
        if let s = filter.staff {
            clauses.append("staff = ?")
            args += [s]
        }
        if let p = filter.person {
            clauses.append("person = ?")
            args += [p]
        }
        if let r = filter.register {
            clauses.append("register = ?")
            args += [r]
        }
        if let o = filter.office {
            clauses.append("office = ?")
            args += [o]
        }
        if let f = filter.from {
            clauses.append("at >= ?")
            args += [f.millis]
        }
        if let t = filter.to {
            clauses.append("at < ?")
            args += [t.millis]
        }
        if filter.flaggedOnly { clauses.append("flagged = 1") }
        let order = filter.order == .time ? "at, seq" : "score DESC, at, seq"
        try pool.read { db in
            var sql = Self.selectFindings + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
                + " ORDER BY " + order
            if let limit = filter.limit {
                sql += " LIMIT ? OFFSET ?"
                args += [max(0, limit), max(0, filter.offset)]
            }
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
            let totals = try Row.fetchCursor(db, sql: """
                SELECT staff, count(*), sum(explained), sum(flagged), max(score), sum(score),
                    count(DISTINCT coalesce(person, register)) FROM audit_finding f\(whereSQL) GROUP BY staff
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
                SELECT count(*), coalesce(sum(explained), 0), (SELECT count(*) FROM audit_finding WHERE flagged = 1)
                FROM audit_finding
                """) {
                c.total = r[0]
                c.explained = r[1]
                c.flagged = r[2]
            }
            return c
        }
    }

    public func resetAudit() throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM audit_finding; DELETE FROM audit_state")
        }
    }

    // MARK: Row mapping

    static let selectFindings = """
        SELECT access, seq, staff, at_text, person, register, office, explained, rule, case_id, strength, score, flagged,
            reasons, at FROM audit_finding
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
