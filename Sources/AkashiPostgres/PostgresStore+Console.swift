import AkashiDomain
import AkashiStorage
import NIOCore
import PostgresNIO

extension PostgresSchema {
    /// The auditor console's tables (see the SQLite store's `ConsoleSchema` and its v9 migration): investigations and
    /// their steps (with optional uploaded interview files), suppressions, alerts and small settings. None of them
    /// holds a ledger entry; every change is journaled by the web app. Steps and suppressions are append-only.
    ///
    /// Reason codes and alert kinds are `text[]` (the embedded store joins them with commas).
    static let console: [Migration] = [
        Migration(name: "pg3-console", sql: [
            // opened, decided: timestamps as written (with their offsets); opened_ms orders the list.
            """
            CREATE TABLE console_investigation(muni text NOT NULL, id text NOT NULL, finding text, staff text NOT NULL,
                register text, reasons text[] NOT NULL, title text NOT NULL, status text NOT NULL, assignee text,
                opened_by text NOT NULL, opened text NOT NULL, opened_ms bigint NOT NULL, disposition text, rule text,
                decided_by text, decided text, PRIMARY KEY(muni, id))
            """,
            "CREATE INDEX console_investigation_staff ON console_investigation(muni, staff)",
            "CREATE INDEX console_investigation_finding ON console_investigation(muni, finding)",
            "CREATE INDEX console_investigation_opened ON console_investigation(muni, opened_ms)",
            """
            CREATE TABLE console_entry(muni text NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, investigation text NOT NULL,
                kind text NOT NULL, author text NOT NULL, at text NOT NULL, text text NOT NULL, file_name text, file bytea,
                journal text NOT NULL, PRIMARY KEY(muni, id))
            """,
            "CREATE INDEX console_entry_investigation ON console_entry(muni, investigation, id)",
            "CREATE TRIGGER console_entry_append_only BEFORE UPDATE OR DELETE ON console_entry FOR EACH ROW EXECUTE FUNCTION akashi_append_only()",
            """
            CREATE TABLE console_suppression(muni text NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, investigation text NOT NULL,
                staff text, register text, reasons text[] NOT NULL, rule text NOT NULL, created_by text NOT NULL,
                created text NOT NULL, PRIMARY KEY(muni, id))
            """,
            "CREATE TRIGGER console_suppression_append_only BEFORE UPDATE OR DELETE ON console_suppression FOR EACH ROW EXECUTE FUNCTION akashi_append_only()",
            """
            CREATE TABLE console_alert(muni text NOT NULL, seq bigint NOT NULL, access text NOT NULL, at text NOT NULL,
                staff text NOT NULL, office text, register text, kinds text[] NOT NULL, reason text, PRIMARY KEY(muni, seq))
            """,
            "CREATE TABLE console_meta(muni text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY(muni, key))",
        ]),
    ]
}

extension PostgresStore: ConsoleStore {
    /// The columns ``investigation(_:)`` reads, in its order.
    private static let investigationColumns = """
        id, finding, staff, register, reasons, title, status, assignee, opened_by, opened, disposition, rule, decided_by, decided
        """

    private static func investigation(_ row: PostgresRow) throws -> Investigation {
        let (id, finding, staff, register, reasons, title, status, assignee, openedBy, opened, disposition, rule, decidedBy, decided) =
            try row.decode((String, String?, String, String?, [String], String, String, String?, String, String, String?, String?,
                            String?, String?).self)
        return Investigation(id: id, finding: finding, staff: staff, register: register, reasonCodes: reasons, title: title,
                             status: status, assignee: assignee, openedBy: openedBy,
                             opened: Timestamp(opened) ?? Timestamp(millis: 0),
                             disposition: disposition.flatMap(Disposition.init(rawValue:)), rule: rule, decidedBy: decidedBy,
                             decided: decided.flatMap { Timestamp($0) })
    }

    public func saveInvestigation(_ i: Investigation) async throws {
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO console_investigation(muni, id, finding, staff, register, reasons, title, status, assignee,
                    opened_by, opened, opened_ms, disposition, rule, decided_by, decided)
                VALUES (\(muni), \(i.id), \(i.finding), \(i.staff), \(i.register), \(i.reasonCodes)::text[], \(i.title),
                    \(i.status), \(i.assignee), \(i.openedBy), \(i.opened.description), \(i.opened.millis),
                    \(i.disposition?.rawValue), \(i.rule), \(i.decidedBy), \(i.decided?.description))
                ON CONFLICT (muni, id) DO UPDATE SET finding = EXCLUDED.finding, staff = EXCLUDED.staff,
                    register = EXCLUDED.register, reasons = EXCLUDED.reasons, title = EXCLUDED.title, status = EXCLUDED.status,
                    assignee = EXCLUDED.assignee, opened_by = EXCLUDED.opened_by, opened = EXCLUDED.opened,
                    opened_ms = EXCLUDED.opened_ms, disposition = EXCLUDED.disposition, rule = EXCLUDED.rule,
                    decided_by = EXCLUDED.decided_by, decided = EXCLUDED.decided
                """)
        }
    }

    public func investigation(id: String) async throws -> Investigation? {
        var q = PostgresQuery(unsafeSQL: "SELECT \(Self.investigationColumns) FROM console_investigation WHERE muni = $1 AND id = $2")
        q.binds.append(muni)
        q.binds.append(id)
        return try await connections.run { s in try await s.rows(q).first.map(Self.investigation) }
    }

    public func investigations(status: String?, staff: String?, finding: String?) async throws -> [Investigation] {
        var q = PostgresQuery(unsafeSQL: """
            SELECT \(Self.investigationColumns) FROM console_investigation
            WHERE muni = $1 AND ($2::text IS NULL OR status = $2::text) AND ($3::text IS NULL OR staff = $3::text)
                AND ($4::text IS NULL OR finding = $4::text)
            ORDER BY opened_ms DESC, id COLLATE "C" DESC
            """)
        q.binds.append(muni)
        q.binds.append(status)
        q.binds.append(staff)
        q.binds.append(finding)
        return try await connections.run { s in try await s.rows(q).map(Self.investigation) }
    }

    @discardableResult
    public func addInvestigationEntry(_ e: InvestigationEntry, file: [UInt8]?) async throws -> Int64 {
        try await connections.run { s in
            let rows = try await s.rows("""
                INSERT INTO console_entry(muni, investigation, kind, author, at, text, file_name, file, journal)
                VALUES (\(muni), \(e.investigation), \(e.kind), \(e.author), \(e.at.description), \(e.text), \(e.fileName),
                    \(file?.buffer)::bytea, \(e.journal))
                RETURNING id
                """)
            guard let row = rows.first else { throw StoreError(.database, "PostgreSQL returned no ID for a new investigation step") }
            return try row.decode(Int64.self)
        }
    }

    public func investigationEntries(investigation: String) async throws -> [InvestigationEntry] {
        try await connections.run { s in
            try await s.rows("""
                SELECT id, investigation, kind, author, at, text, file_name, octet_length(file)::bigint, journal
                FROM console_entry WHERE muni = \(muni) AND investigation = \(investigation) ORDER BY id
                """).map { row in
                let (id, investigation, kind, author, at, text, fileName, size, journal) =
                    try row.decode((Int64, String, String, String, String, String, String?, Int64?, String).self)
                return InvestigationEntry(id: id, investigation: investigation, kind: kind, author: author,
                                          at: Timestamp(at) ?? Timestamp(millis: 0), text: text, fileName: fileName,
                                          fileSize: size.map { Int($0) }, journal: journal)
            }
        }
    }

    public func investigationFile(entry: Int64) async throws -> (name: String, bytes: [UInt8])? {
        let found: (String?, [UInt8])? = try await connections.run { s in
            try await s.rows("""
                SELECT file_name, file FROM console_entry WHERE muni = \(muni) AND id = \(entry) AND file IS NOT NULL
                """).first.map { row in
                let (name, file) = try row.decode((String?, ByteBuffer).self)
                return (name, file.bytes)
            }
        }
        return found.map { (name: $0.0 ?? "file", bytes: $0.1) }
    }

    @discardableResult
    public func addSuppression(_ x: Suppression) async throws -> Int64 {
        try await connections.run { s in
            let rows = try await s.rows("""
                INSERT INTO console_suppression(muni, investigation, staff, register, reasons, rule, created_by, created,
                    needs_confirmation)
                VALUES (\(muni), \(x.investigation), \(x.staff), \(x.register), \(x.reasonCodes)::text[], \(x.rule), \(x.createdBy),
                    \(x.created.description), \(x.needsConfirmation))
                RETURNING id
                """)
            guard let row = rows.first else { throw StoreError(.database, "PostgreSQL returned no ID for a new suppression") }
            return try row.decode(Int64.self)
        }
    }

    public func suppressions() async throws -> [Suppression] {
        try await connections.run { s in
            try await s.rows("""
                SELECT s.id, s.investigation, s.staff, s.register, s.reasons, s.rule, s.created_by, s.created,
                    s.needs_confirmation, d.decision, d.decided_by, d.at, d.journal
                FROM console_suppression s
                LEFT JOIN console_suppression_decision d ON d.muni = s.muni AND d.suppression = s.id
                WHERE s.muni = \(muni) ORDER BY s.id
                """).map { row in
                let (id, investigation, staff, register, reasons, rule, createdBy, created, needs, kind, by, at, journal) =
                    try row.decode((Int64, String, String?, String?, [String], String, String, String, Bool, String?, String?,
                                    String?, String?).self)
                var decision: SuppressionDecision?
                if let kind = kind.flatMap(SuppressionDecision.Kind.init(rawValue:)), let by, let at, let journal {
                    decision = SuppressionDecision(kind: kind, by: by, at: Timestamp(at) ?? Timestamp(millis: 0), journal: journal)
                }
                return Suppression(id: id, investigation: investigation, staff: staff, register: register, reasonCodes: reasons,
                                   rule: rule, createdBy: createdBy, created: Timestamp(created) ?? Timestamp(millis: 0),
                                   needsConfirmation: needs, decision: decision)
            }
        }
    }

    /// One statement: the decision row is inserted only from a suppression that needs one and was made by someone
    /// else, and the primary key keeps the first of two decisions at once.
    public func decideSuppression(id: Int64, _ d: SuppressionDecision) async throws -> Bool {
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO console_suppression_decision(muni, suppression, decision, decided_by, at, journal)
                SELECT muni, id, \(d.kind.rawValue), \(d.by), \(d.at.description), \(d.journal) FROM console_suppression
                WHERE muni = \(muni) AND id = \(id) AND needs_confirmation AND created_by <> \(d.by)
                ON CONFLICT (muni, suppression) DO NOTHING
                """) > 0
        }
    }

    public func consoleValue(_ key: String) async throws -> String? {
        try await connections.run { s in
            try await s.rows("SELECT value FROM console_meta WHERE muni = \(muni) AND key = \(key)").first.map { try $0.decode(String.self) }
        }
    }

    public func setConsoleValue(_ key: String, _ value: String) async throws {
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO console_meta(muni, key, value) VALUES (\(muni), \(key), \(value))
                ON CONFLICT (muni, key) DO UPDATE SET value = EXCLUDED.value
                """)
        }
    }

    /// One transaction: every alert of the call is stored, or none.
    public func saveAlerts(_ alerts: [ConsoleAlert]) async throws {
        guard !alerts.isEmpty else { return }
        try await connections.run { s in
            try await s.transaction {
                for a in alerts {
                    try await s.execute("""
                        INSERT INTO console_alert(muni, seq, access, at, staff, office, register, kinds, reason)
                        VALUES (\(muni), \(Int64(clamping: a.seq)), \(a.access), \(a.at.description), \(a.staff), \(a.office),
                            \(a.register), \(a.kinds)::text[], \(a.reason))
                        ON CONFLICT (muni, seq) DO NOTHING
                        """)
                }
            }
        }
    }

    public func alerts(limit: Int) async throws -> [ConsoleAlert] { try await alerts(limit: limit, below: nil) }

    public func alerts(limit: Int, below seq: UInt64?) async throws -> [ConsoleAlert] {
        // A negative limit is no limit (as SQLite's LIMIT takes it).
        let bound: Int64? = limit < 0 ? nil : Int64(limit)
        let below: Int64? = seq.map { Int64(clamping: $0) }
        return try await connections.run { s in
            try await s.rows("""
                SELECT seq, access, at, staff, office, register, kinds, reason FROM console_alert
                WHERE muni = \(muni) AND (\(below)::bigint IS NULL OR seq < \(below)::bigint)
                ORDER BY seq DESC LIMIT \(bound)::bigint
                """).map { row in
                let (seq, access, at, staff, office, register, kinds, reason) =
                    try row.decode((Int64, String, String, String, String?, String?, [String], String?).self)
                return ConsoleAlert(seq: UInt64(seq), access: access, at: Timestamp(at) ?? Timestamp(millis: 0), staff: staff,
                                    office: office, register: register, kinds: kinds, reason: reason)
            }
        }
    }

    /// One transaction: every pair of the call is held, or none.
    public func holdFindings(investigation: String, accesses: [String]) async throws {
        guard !accesses.isEmpty else { return }
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO console_held_finding(muni, investigation, access)
                SELECT \(muni), \(investigation), a FROM unnest(\(accesses)::text[]) AS a
                ON CONFLICT (muni, investigation, access) DO NOTHING
                """)
        }
    }

    public func heldFindings(investigation: String?, access: String?) async throws -> [HeldFinding] {
        try await connections.run { s in
            try await s.rows("""
                SELECT investigation, access FROM console_held_finding
                WHERE muni = \(muni) AND (\(investigation)::text IS NULL OR investigation = \(investigation)::text)
                    AND (\(access)::text IS NULL OR access = \(access)::text)
                ORDER BY investigation COLLATE "C", access COLLATE "C"
                """).map { row in
                let (i, a) = try row.decode((String, String).self)
                return HeldFinding(investigation: i, access: a)
            }
        }
    }
}
