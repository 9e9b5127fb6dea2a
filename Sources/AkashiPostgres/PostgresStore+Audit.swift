import AkashiAudit
import AkashiDomain
import AkashiStorage
import Foundation
import NIOCore
import PostgresNIO

extension PostgresSchema {
    /// The audit's tables (see the SQLite store's `AuditSchema` and its v7 slim `audit_plain`). Findings are derived
    /// data (the ledger keeps the `audit.finding` journal entries of flagged accesses), each access in exactly one of:
    /// - `audit_finding`: one row per access that is not plainly explained (flagged, scored, weakly explained, or with
    ///   reasons; any finding saved by a re-audit), with the indexes the worklist, journal and reads need;
    /// - `audit_plain`: the accesses a full sweep found strongly explained with no reason and score 0 (the vast
    ///   majority), holding only what the sweep worked out (rule, case, person, office); ID, staff and register come
    ///   from the event. Unlike the SQLite table it is keyed by (time, ledger index), the event's own `at` copied from
    ///   `event_key`: the sweep appends in time order, so the key costs no more than SQLite's rowid, and a page of
    ///   findings in time order (``PostgresStore/forEachFinding(_:_:)`` reads page by page) is an index range, not a
    ///   sort of every plain row. Its rows are found by ledger index through `event_key` (muni, seq → at).
    /// And the incremental checkpoint (`audit_state`, one row per municipality).
    static let audit: [Migration] = [
        Migration(name: "pg5-audit", sql: [
            """
            CREATE TABLE audit_finding(muni text NOT NULL, seq bigint NOT NULL, access text NOT NULL, staff text NOT NULL,
                at bigint NOT NULL, at_text text NOT NULL, person text, register text, office text, explained boolean NOT NULL,
                rule text, case_id text, strength text, score double precision NOT NULL, flagged boolean NOT NULL,
                reasons text NOT NULL, journaled boolean NOT NULL DEFAULT false, PRIMARY KEY(muni, seq))
            """,
            "CREATE UNIQUE INDEX audit_finding_access ON audit_finding(muni, access)",
            "CREATE INDEX audit_finding_worklist ON audit_finding(muni, flagged, score)",
            "CREATE INDEX audit_finding_staff_at ON audit_finding(muni, staff, at)",
            "CREATE INDEX audit_finding_person ON audit_finding(muni, person, at) WHERE person IS NOT NULL",
            "CREATE INDEX audit_finding_register ON audit_finding(muni, register, at) WHERE register IS NOT NULL",
            "CREATE INDEX audit_finding_unjournaled ON audit_finding(muni, seq) WHERE flagged AND NOT journaled",
            // Pages in time order (the plain rows' key is in the same order).
            "CREATE INDEX audit_finding_at ON audit_finding(muni, at, seq)",
            """
            CREATE TABLE audit_plain(muni text NOT NULL, at bigint NOT NULL, seq bigint NOT NULL, rule text NOT NULL,
                case_id text, person text, office text, PRIMARY KEY(muni, at, seq))
            """,
            """
            CREATE TABLE audit_state(muni text NOT NULL, last_seq bigint, last_case_row bigint NOT NULL, state text NOT NULL,
                PRIMARY KEY(muni))
            """,
            // A person filter reaches plain rows through the registers the person heads.
            "CREATE INDEX register_head ON register(muni, head) WHERE head IS NOT NULL",
        ]),
    ]
}

/// Finding columns bound as arrays and written with one `unnest` per chunk ("" stands for NULL in the optional text
/// columns: an empty ID, rule or strength never means anything).
private struct FindingColumns {
    var seq: [Int64] = [], access: [String] = [], staff: [String] = [], at: [Int64] = [], atText: [String] = []
    var person: [String] = [], register: [String] = [], office: [String] = [], explained: [Bool] = []
    var rule: [String] = [], caseID: [String] = [], strength: [String] = [], score: [Double] = [], flagged: [Bool] = []
    var reasons: [String] = []

    init(_ findings: some Collection<StoredFinding>) {
        for s in findings {
            let f = s.finding
            seq.append(Int64(clamping: s.seq))
            access.append(f.access)
            staff.append(f.staff)
            at.append(f.at.millis)
            atText.append(f.at.description)
            person.append(f.person ?? "")
            register.append(f.register ?? "")
            office.append(f.office ?? "")
            explained.append(f.explained)
            rule.append(f.explanation?.rule ?? "")
            caseID.append(f.explanation?.caseID ?? "")
            strength.append(f.explanation?.strength.rawValue ?? "")
            score.append(f.score)
            flagged.append(f.flagged)
            reasons.append(f.reasons.isEmpty ? "[]" : f.reasonsJSON)
        }
    }

    /// Inserts or replaces the rows (by ledger index). A finding that becomes flagged is marked as not yet
    /// journaled; one that stays flagged keeps its mark.
    func upsert(_ s: BlockingSession, _ muni: String) throws {
        guard !seq.isEmpty else { return }
        try s.execute("""
            INSERT INTO audit_finding(muni, seq, access, staff, at, at_text, person, register, office, explained, rule,
                case_id, strength, score, flagged, reasons, journaled)
            SELECT \(muni), q, a, st, t, tt, NULLIF(p, ''), NULLIF(r, ''), NULLIF(o, ''), x, NULLIF(ru, ''), NULLIF(c, ''),
                NULLIF(sg, ''), sc, fl, rs, false
            FROM unnest(\(seq)::bigint[], \(access)::text[], \(staff)::text[], \(at)::bigint[], \(atText)::text[],
                \(person)::text[], \(register)::text[], \(office)::text[], \(explained)::boolean[], \(rule)::text[],
                \(caseID)::text[], \(strength)::text[], \(score)::double precision[], \(flagged)::boolean[], \(reasons)::text[])
                AS u(q, a, st, t, tt, p, r, o, x, ru, c, sg, sc, fl, rs)
            ON CONFLICT (muni, seq) DO UPDATE SET access = EXCLUDED.access, staff = EXCLUDED.staff, at = EXCLUDED.at,
                at_text = EXCLUDED.at_text, person = EXCLUDED.person, register = EXCLUDED.register,
                office = EXCLUDED.office, explained = EXCLUDED.explained, rule = EXCLUDED.rule,
                case_id = EXCLUDED.case_id, strength = EXCLUDED.strength, score = EXCLUDED.score,
                flagged = EXCLUDED.flagged, reasons = EXCLUDED.reasons,
                journaled = CASE WHEN EXCLUDED.flagged AND audit_finding.flagged THEN audit_finding.journaled ELSE false END
            """)
    }
}

/// A statement assembled from this file's own SQL fragments, every value bound as the next `$n`.
struct BoundSQL {
    var sql = ""
    var binds = PostgresBindings()

    /// Binds a value and returns its placeholder.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable & Sendable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

extension PostgresStore: FindingStore {
    /// Rows written per statement (one `unnest` each), all of one call in one transaction.
    static let findingChunk = 20_000
    /// Rows read per page by ``forEachFinding(_:_:)`` (no connection is held while the body runs).
    static let findingPage = 5_000

    // MARK: Checkpoint

    public func auditCheckpoint() async throws -> AuditCheckpoint? {
        let row = try await connections.run { s in
            try await s.rows("SELECT last_seq, last_case_row, state FROM audit_state WHERE muni = \(muni)").first
                .map { try $0.decode((Int64?, Int64, String).self) }
        }
        guard let (lastSeq, lastCase, text) = row else { return nil }
        let state = try JSONDecoder().decode(AuditState.self, from: Data(text.utf8))
        return AuditCheckpoint(lastSeq: lastSeq.map { UInt64($0) }, lastCaseRow: lastCase, state: state)
    }

    public func saveAuditCheckpoint(_ c: AuditCheckpoint) async throws {
        try await offBlocking {
            let text = String(decoding: try JSONEncoder().encode(c.state), as: UTF8.self)
            let lastSeq = c.lastSeq.map { Int64(clamping: $0) }
            try connections.blocking { s in
                try s.execute("""
                    INSERT INTO audit_state(muni, last_seq, last_case_row, state) VALUES (\(muni), \(lastSeq), \(c.lastCaseRow), \(text))
                    ON CONFLICT (muni) DO UPDATE SET last_seq = EXCLUDED.last_seq, last_case_row = EXCLUDED.last_case_row,
                        state = EXCLUDED.state
                    """)
            }
        }
    }

    // MARK: What to audit

    /// Arrival rows are the `cases.arrival` identity: one sequence for the database, so a municipality's rows are
    /// increasing but not consecutive (cases are inserted under the municipality's ledger lock, so in arrival order).
    public func latestCaseRow() async throws -> Int64 {
        try await offBlocking {
            try connections.blocking { s in
                try s.rows("SELECT coalesce(max(arrival), 0) FROM cases WHERE muni = \(muni)").first?.decode(Int64.self) ?? 0
            }
        }
    }

    public func casesArrived(after row: Int64) async throws -> [ArrivedCase] {
        try await offBlocking {
            try connections.blocking { s in
                try s.rows("SELECT arrival, doc FROM cases WHERE muni = \(muni) AND arrival > \(row) ORDER BY arrival").map { r in
                    let (arrival, doc) = try r.decode((Int64, ByteBuffer).self)
                    return ArrivedCase(row: arrival, doc: doc.bytes)
                }
            }
        }
    }

    // MARK: Findings

    /// The findings with one per ledger index, the last given winning (as when they are written one after another).
    private static func lastPerSeq(_ findings: [StoredFinding]) -> [StoredFinding] {
        var at: [UInt64: Int] = [:]
        at.reserveCapacity(findings.count)
        for (k, f) in findings.enumerated() { at[f.seq] = k }
        if at.count == findings.count { return findings }
        return findings.enumerated().filter { at[$0.element.seq] == $0.offset }.map(\.element)
    }

    public func saveFindings(_ findings: [StoredFinding]) async throws {
        try await offBlocking {
            guard !findings.isEmpty else { return }
            let rows = Self.lastPerSeq(findings)
            try connections.blocking { s in
                try s.transaction {
                    for start in stride(from: 0, to: rows.count, by: Self.findingChunk) {
                        let chunk = rows[start..<min(rows.count, start + Self.findingChunk)]
                        try unplain(s, chunk)
                        try FindingColumns(chunk).upsert(s, muni)
                    }
                }
            }
        }
    }

    /// Plainly explained findings go to `audit_plain`, the rest to `audit_finding`. An access that already has a
    /// full row (a sweep resumed after a crash) keeps one.
    public func saveSweepFindings(_ findings: [StoredFinding]) async throws {
        try await offBlocking {
            guard !findings.isEmpty else { return }
            let rows = Self.lastPerSeq(findings).sorted { $0.seq < $1.seq }
            try connections.blocking { s in
                try s.transaction {
                    for start in stride(from: 0, to: rows.count, by: Self.findingChunk) {
                        let chunk = rows[start..<min(rows.count, start + Self.findingChunk)]
                        let candidates = chunk.filter(\.finding.isPlainlyExplained).map { Int64(clamping: $0.seq) }
                        var full = Set<Int64>()
                        if !candidates.isEmpty {
                            for r in try s.rows("SELECT seq FROM audit_finding WHERE muni = \(muni) AND seq = ANY(\(candidates)::bigint[])") {
                                full.insert(try r.decode(Int64.self))
                            }
                        }
                        var plain: [StoredFinding] = [], other: [StoredFinding] = []
                        for f in chunk {
                            if f.finding.isPlainlyExplained, !full.contains(Int64(clamping: f.seq)) { plain.append(f) } else { other.append(f) }
                        }
                        if !plain.isEmpty {
                            // The rest of the row (ID, staff, time, register) is the event's, read through `seq`.
                            let seqs = plain.map { Int64(clamping: $0.seq) }
                            let rules = plain.map { $0.finding.explanation?.rule ?? "" }
                            let cases = plain.map { $0.finding.explanation?.caseID ?? "" }
                            let persons = plain.map { $0.finding.person ?? "" }
                            let offices = plain.map { $0.finding.office ?? "" }
                            // The time is the event's (its key in `event_key`), so the row is found again by ledger index.
                            try s.execute("""
                                INSERT INTO audit_plain(muni, at, seq, rule, case_id, person, office)
                                SELECT k.muni, k.at, k.seq, ru, NULLIF(c, ''), NULLIF(p, ''), NULLIF(o, '')
                                FROM unnest(\(seqs)::bigint[], \(rules)::text[], \(cases)::text[], \(persons)::text[], \(offices)::text[])
                                    AS u(q, ru, c, p, o)
                                JOIN event_key k ON k.muni = \(muni) AND k.seq = u.q
                                ON CONFLICT (muni, at, seq) DO UPDATE SET rule = EXCLUDED.rule, case_id = EXCLUDED.case_id,
                                    person = EXCLUDED.person, office = EXCLUDED.office
                                """)
                        }
                        if !other.isEmpty {
                            try unplain(s, other)
                            try FindingColumns(other).upsert(s, muni)
                        }
                    }
                }
            }
        }
    }

    /// Removes the plain rows of these accesses (by ledger index, through `event_key`).
    private func unplain(_ s: BlockingSession, _ findings: some Collection<StoredFinding>) throws {
        try s.execute("""
            DELETE FROM audit_plain p USING event_key k
            WHERE k.muni = \(muni) AND k.seq = ANY(\(findings.map { Int64(clamping: $0.seq) })::bigint[])
                AND p.muni = k.muni AND p.at = k.at AND p.seq = k.seq
            """)
    }

    public func unjournaledFindings(limit: Int) async throws -> [StoredFinding] {
        try await offBlocking {
            try connections.blocking { s in
                try s.rows(PostgresQuery(unsafeSQL: Self.selectFindings + """
                     WHERE muni = $1 AND flagged AND NOT journaled ORDER BY seq LIMIT $2
                    """, binds: Self.bindings(muni, Int64(max(0, limit))))).map(Self.finding)
            }
        }
    }

    public func markJournaled(_ accessIDs: [String]) async throws {
        try await offBlocking {
            guard !accessIDs.isEmpty else { return }
            try connections.blocking { s in
                try s.execute("UPDATE audit_finding SET journaled = true WHERE muni = \(muni) AND access = ANY(\(accessIDs)::text[])")
            }
        }
    }

    public func findings(accessIDs: [String]) async throws -> [StoredFinding] {
        guard !accessIDs.isEmpty else { return [] }
        return try await connections.run { s in
            var out: [StoredFinding] = []
            for start in stride(from: 0, to: accessIDs.count, by: Self.findingChunk) {
                let chunk = Array(accessIDs[start..<min(accessIDs.count, start + Self.findingChunk)])
                // Full rows by access ID; plain ones (keyed by ledger index) through the event key.
                let sql = Self.selectFindings + " WHERE muni = $1 AND access = ANY($2::text[]) UNION ALL "
                    + Self.selectPlain(from: """
                    SELECT * FROM audit_plain WHERE muni = $1
                    AND (at, seq) IN (SELECT at, seq FROM event_key WHERE muni = $1 AND id = ANY($2::text[]))
                    """)
                out += try await s.rows(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(muni, chunk))).map(Self.finding)
            }
            return out.sorted { $0.seq < $1.seq }
        }
    }

    /// The statement reading one page of a filter's findings (both tables, in the filter's order) after `cursor`
    /// (the sort key of the last row read), at most `count` rows, skipping `skip`.
    func findingsPage(_ filter: FindingFilter, after cursor: (score: Double, at: Int64, seq: Int64)?, count: Int,
                      skip: Int) -> PostgresQuery {
        var q = BoundSQL()
        let m = q.bind(muni)
        var full: [String] = [], plain: [String] = []
        // The plain rows have no index of their own: a subject narrows them through the event table's indexes.
        var range = ""
        if let f = filter.from {
            let p = q.bind(f.millis)
            full.append("at >= \(p)")
            plain.append("at >= \(p)")
            range += " AND at >= \(p)"
        }
        if let t = filter.to {
            let p = q.bind(t.millis)
            full.append("at < \(p)")
            plain.append("at < \(p)")
            range += " AND at < \(p)"
        }
        if let s = filter.staff {
            let p = q.bind(s)
            full.append("staff = \(p)")
            // (The event's staff is the subquery's: a ledger index names one event.)
            plain.append("seq IN (SELECT seq FROM event WHERE muni = \(m) AND staff = \(p)\(range))")
        }
        if let r = filter.register {
            let p = q.bind(r)
            full.append("register = \(p)")
            plain.append("seq IN (SELECT seq FROM event WHERE muni = \(m) AND register = \(p)\(range))")
        }
        if let person = filter.person {
            // A finding's person is the access's person, or else the head of the register opened.
            let p = q.bind(person)
            full.append("person = \(p)")
            plain.append("""
                person = \(p) AND seq IN (SELECT seq FROM event WHERE muni = \(m) AND person = \(p)\(range) UNION ALL
                    SELECT seq FROM event WHERE muni = \(m) AND register IN
                        (SELECT id FROM register WHERE muni = \(m) AND head = \(p))\(range))
                """)
        }
        if let o = filter.office {
            let p = q.bind(o)
            full.append("office = \(p)")
            plain.append("office = \(p)")
        }
        if filter.flaggedOnly { full.append("flagged") }
        if let cursor {
            let sc = q.bind(cursor.score), a = q.bind(cursor.at), n = q.bind(cursor.seq)
            switch filter.order {
            case .time:
                full.append("(at, seq) > (\(a), \(n))")
                plain.append("(at, seq) > (\(a), \(n))")
            case .score:
                full.append("(score < \(sc) OR (score = \(sc) AND (at, seq) > (\(a), \(n))))")
                // Every plain row scores 0.
                plain.append("(\(sc) > 0 OR (\(sc) = 0 AND (at, seq) > (\(a), \(n))))")
            case .newest:
                full.append("(at, seq) < (\(a), \(n))")
                plain.append("(at, seq) < (\(a), \(n))")
            }
        }
        let order = switch filter.order {
        case .time: "at, seq"
        case .score: "score DESC, at, seq"
        case .newest: "at DESC, seq DESC"
        }
        // Each table gives at most the page (and what it skips) in the page's order, through its (at, seq) index;
        // only then are the plain rows joined to their events (a few index lookups, not a join of every event).
        let limit = q.bind(Int64(count)), inner = q.bind(Int64(count) + Int64(skip))
        q.sql = Self.selectFindings + " WHERE muni = \(m)" + full.map { " AND " + $0 }.joined()
        if !filter.flaggedOnly {
            q.sql = "(" + q.sql + " ORDER BY \(order) LIMIT \(inner))"
            // (The municipality is the first value bound: `$1`, as the plain rows' statement names it.)
            let plainOrder = filter.order == .newest ? "at DESC, seq DESC" : "at, seq"
            q.sql += " UNION ALL (" + Self.selectPlain(from: "SELECT * FROM audit_plain WHERE muni = \(m)"
                + plain.map { " AND " + $0 }.joined() + " ORDER BY \(plainOrder) LIMIT \(inner)") + ")"
        }
        q.sql += " ORDER BY \(order) LIMIT \(limit)"
        if skip > 0 {
            let offset = q.bind(Int64(skip))
            q.sql += " OFFSET " + offset
        }
        return q.query
    }

    public func forEachFinding(_ filter: FindingFilter, _ body: (StoredFinding) throws -> Void) async throws {
        try await forEachFinding(filter, pageSize: Self.findingPage, body)
    }

    /// Reads a page, gives the connection back, runs `body` over the page, and so on (keyset pages in the filter's
    /// order; the body may call back into the store). A limit counts the rows of every page together; an offset,
    /// as in the embedded store, applies only with a limit.
    func forEachFinding(_ filter: FindingFilter, pageSize: Int, _ body: (StoredFinding) throws -> Void) async throws {
        var remaining = filter.limit.map { max(0, $0) } ?? Int.max
        var skip = filter.limit == nil ? 0 : max(0, filter.offset)
        var cursor: (score: Double, at: Int64, seq: Int64)?
        while remaining > 0 {
            let count = min(max(1, pageSize), remaining)
            let query = findingsPage(filter, after: cursor, count: count, skip: skip)
            let page = try await connections.run { s in try await s.rows(query).map(Self.finding) }
            for f in page { try body(f) }
            guard page.count == count, let last = page.last else { return }
            remaining -= count
            skip = 0
            cursor = (last.finding.score, last.finding.at.millis, Int64(clamping: last.seq))
        }
    }

    public func staffSummaries(from: Timestamp?, to: Timestamp?, topK: Int) async throws -> [StaffSummary] {
        var q = BoundSQL()
        let m = q.bind(muni)
        var range = ""
        if let f = from { range += " AND f.at >= \(q.bind(f.millis))" }
        if let t = to { range += " AND f.at < \(q.bind(t.millis))" }
        let base = q
        return try await connections.run { s in
            var byStaff: [String: StaffSummary] = [:]
            // Plain rows: explained, not flagged, score 0, no reasons.
            var totals = base
            totals.sql = """
                SELECT staff, count(*), count(*) FILTER (WHERE explained), count(*) FILTER (WHERE flagged), max(score),
                    sum(score), count(DISTINCT coalesce(person, register)) FROM (
                        SELECT staff, at, person, register, explained, flagged, score FROM audit_finding WHERE muni = \(m)
                        UNION ALL SELECT e.staff, e.at, p.person, e.register, true, false, 0.0::double precision
                            FROM audit_plain p JOIN event e ON e.muni = p.muni AND e.seq = p.seq AND e.at = p.at
                            WHERE p.muni = \(m)) f
                WHERE true\(range)
                GROUP BY staff
                """
            for r in try await s.rows(totals.query) {
                let (staff, total, explained, flagged, maxScore, sumScore, subjects) =
                    try r.decode((String, Int64, Int64, Int64, Double, Double, Int64).self)
                var summary = StaffSummary(staff: staff)
                summary.total = Int(total)
                summary.explained = Int(explained)
                summary.unexplained = summary.total - summary.explained
                summary.flagged = Int(flagged)
                summary.maxScore = maxScore
                summary.sumScore = sumScore
                summary.subjectCount = Int(subjects)
                byStaff[staff] = summary
            }
            var top = base
            let k = top.bind(Int64(topK))
            top.sql = """
                SELECT staff, score FROM (SELECT f.staff, f.score,
                    row_number() OVER (PARTITION BY f.staff ORDER BY f.score DESC) AS k
                    FROM audit_finding f WHERE f.muni = \(m) AND f.score > 0\(range)) t
                WHERE k <= \(k) ORDER BY staff, score DESC
                """
            for r in try await s.rows(top.query) {
                let (staff, score) = try r.decode((String, Double).self)
                byStaff[staff]?.topScores.append(score)
            }
            var reasons = base
            reasons.sql = """
                SELECT f.staff, j ->> 'code', count(*) FROM audit_finding f, json_array_elements(f.reasons::json) j
                WHERE f.muni = \(m) AND f.reasons <> '[]'\(range) GROUP BY 1, 2
                """
            for r in try await s.rows(reasons.query) {
                let (staff, code, n) = try r.decode((String, String?, Int64).self)
                if let code { byStaff[staff]?.reasonCounts[code] = Int(n) }
            }
            return Array(byStaff.values)
        }
    }

    public func findingCounts() async throws -> FindingCounts {
        try await connections.run { s in
            var c = FindingCounts()
            if let r = try await s.rows("""
                SELECT count(*), count(*) FILTER (WHERE explained), count(*) FILTER (WHERE flagged),
                    (SELECT count(*) FROM audit_plain WHERE muni = $1)
                FROM audit_finding WHERE muni = $1
                """.bound(muni)).first {
                let (rows, explained, flagged, plain) = try r.decode((Int64, Int64, Int64, Int64).self)
                c.total = Int(rows + plain)
                c.explained = Int(explained + plain)
                c.flagged = Int(flagged)
            }
            return c
        }
    }

    public func resetAudit() async throws {
        try await offBlocking {
            try connections.blocking { s in
                try s.transaction {
                    try s.execute("DELETE FROM audit_finding WHERE muni = \(muni)")
                    try s.execute("DELETE FROM audit_plain WHERE muni = \(muni)")
                    try s.execute("DELETE FROM audit_state WHERE muni = \(muni)")
                }
            }
        }
    }

    // MARK: Row mapping

    static let selectFindings = """
        SELECT access, seq, staff, at_text, person, register, office, explained, rule, case_id, strength, score, flagged,
            reasons, at FROM audit_finding
        """

    /// The plain rows `source` selects from `audit_plain`, in the columns of ``selectFindings``: strongly explained,
    /// score 0, not flagged, no reasons. A plain row keeps only what the sweep worked out: the rule, the case, the
    /// person and office it settled on; the rest is the event's, the time's text as the entry gives it. (`source` is
    /// this file's own SQL.)
    static func selectPlain(from source: String) -> String {
        """
        SELECT e.id AS access, p.seq AS seq, e.staff AS staff, convert_from(e.entry, 'UTF8')::json ->> 'at' AS at_text,
            p.person AS person, e.register AS register, p.office AS office, true AS explained, p.rule AS rule,
            p.case_id AS case_id, 'strong'::text AS strength, 0.0::double precision AS score, false AS flagged,
            '[]'::text AS reasons, p.at AS at
        FROM (\(source)) p JOIN event e ON e.muni = p.muni AND e.seq = p.seq AND e.at = p.at
        """
    }

    static func bindings(_ values: any PostgresDynamicTypeEncodable & Sendable...) -> PostgresBindings {
        var b = PostgresBindings()
        for v in values { b.append(v) }
        return b
    }

    static func finding(_ row: PostgresRow) throws -> StoredFinding {
        let c = row.makeRandomAccess()
        let atText = try c[3].decode(String?.self)
        let atMillis = try c[14].decode(Int64.self)
        let at = atText.flatMap { Timestamp($0) } ?? Timestamp(millis: atMillis)
        let rule = try c[8].decode(String?.self)
        let strength = try c[10].decode(String?.self)
        let reasonsText = try c[13].decode(String.self)
        let reasons = reasonsText == "[]" ? [] : try JSONDecoder().decode([Reason].self, from: Data(reasonsText.utf8))
        let caseID = try c[9].decode(String?.self)
        let explanation = rule.map {
            Explanation(rule: $0, caseID: caseID, strength: ExplanationStrength(rawValue: strength ?? "") ?? .strong)
        }
        let seq = try c[1].decode(Int64.self)
        let f = AccessFinding(access: try c[0].decode(String.self), staff: try c[2].decode(String.self), at: at,
                              explained: try c[7].decode(Bool.self), explanation: explanation,
                              score: try c[11].decode(Double.self), flagged: try c[12].decode(Bool.self), reasons: reasons,
                              register: try c[5].decode(String?.self), person: try c[4].decode(String?.self),
                              office: try c[6].decode(String?.self))
        return StoredFinding(seq: UInt64(seq), finding: f)
    }
}
