import AkashiDomain
import AkashiInterchange
import AkashiStorage
import Foundation
import NIOCore
import PostgresNIO

extension PostgresSchema {
    /// The clerk workspace's tables (see the SQLite store's `WorkspaceSchema`): accounts, sessions, banner versions,
    /// counters, case details, issuance records and approvals. None of them holds a ledger entry.
    static let workspace: [Migration] = [
        Migration(name: "pg2-workspace", sql: [
            """
            CREATE TABLE ws_account(muni text NOT NULL, staff text NOT NULL, hash text NOT NULL,
                failures bigint NOT NULL DEFAULT 0, locked_until bigint, PRIMARY KEY(muni, staff))
            """,
            """
            CREATE TABLE ws_session(muni text NOT NULL, token_hash text NOT NULL, staff text NOT NULL, kind text NOT NULL,
                csrf text NOT NULL, terminal text NOT NULL, created bigint NOT NULL, last_seen bigint NOT NULL,
                banner_version text, PRIMARY KEY(muni, token_hash))
            """,
            "CREATE INDEX ws_session_staff ON ws_session(muni, staff)",
            // Idle sessions are ended by their last use.
            "CREATE INDEX ws_session_last_seen ON ws_session(muni, last_seen)",
            // id: the order versions were saved in (the newest is the current one).
            """
            CREATE TABLE ws_banner(muni text NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, version text NOT NULL,
                ja text NOT NULL, en text NOT NULL, created bigint NOT NULL, PRIMARY KEY(muni, id), UNIQUE(muni, version))
            """,
            "CREATE TABLE ws_counter(muni text NOT NULL, name text NOT NULL, value bigint NOT NULL, PRIMARY KEY(muni, name))",
            "CREATE TABLE ws_case_detail(muni text NOT NULL, case_id text NOT NULL, json text NOT NULL, PRIMARY KEY(muni, case_id))",
            // at_text: the instant as written (with its offset); at: its epoch milliseconds.
            """
            CREATE TABLE ws_issuance(muni text NOT NULL, number text NOT NULL, case_id text NOT NULL, register text NOT NULL,
                certificate text NOT NULL, copies bigint NOT NULL, requester text, at bigint NOT NULL, at_text text NOT NULL,
                staff text NOT NULL, office text NOT NULL, event_id text NOT NULL, PRIMARY KEY(muni, number))
            """,
            "CREATE INDEX ws_issuance_case ON ws_issuance(muni, case_id)",
            // requested, decided: timestamps as written (with their offsets).
            """
            CREATE TABLE ws_approval(muni text NOT NULL, id text NOT NULL, staff text NOT NULL, office text NOT NULL,
                register text NOT NULL, record text NOT NULL, case_id text, reason text, requested text NOT NULL,
                status text NOT NULL, approver text, decided text, PRIMARY KEY(muni, id))
            """,
            "CREATE INDEX ws_approval_office ON ws_approval(muni, office, status)",
        ]),
    ]
}

// MARK: - Decoded records


extension PostgresStore {
    /// The decoded-record cache every PostgreSQL store of the process shares (keyed by content, so sharing is safe).
    static let decodedDocuments = DecodedRecords()

    /// The record a stored document holds.
    func decodedRecord(_ doc: [UInt8]) throws -> AkashiDomain.Record? { try Self.decodedDocuments.record(doc) }

    /// The `doc` column (the first) of every row of a query.
    func documents(_ q: PostgresQuery) async throws -> [[UInt8]] {
        try await connections.run { s in try await s.rows(q).map { try $0.decode(ByteBuffer.self).bytes } }
    }

    /// The documents with the given keys, in the order of `ids` (each as often as asked, missing ones left out).
    /// `sql` selects `key, doc` with `$1` the municipality and `$2` the keys (`= ANY($2::text[])`): one statement,
    /// one snapshot, whatever the list's length.
    func documents(_ sql: StaticString, keys ids: [String]) async throws -> [[UInt8]] {
        // PostgreSQL text cannot hold NUL, so no stored key has one (and binding one is an error).
        let wanted = Array(Set(ids.filter(Self.storable)))
        guard !wanted.isEmpty else { return [] }
        var q = PostgresQuery(unsafeSQL: "\(sql)")
        q.binds.append(muni)
        q.binds.append(wanted)
        let rows: [(String, [UInt8])] = try await connections.run { s in
            try await s.rows(q).map { row in
                let (k, d) = try row.decode((String, ByteBuffer).self)
                return (k, d.bytes)
            }
        }
        var byID: [String: [UInt8]] = [:]
        for (k, d) in rows { byID[k] = d }
        return ids.compactMap { byID[$0] }
    }

    /// Whether a text can be stored in (and so looked up in) PostgreSQL: any text without NUL.
    static func storable(_ s: String) -> Bool { !s.utf8.contains(0) }
}

// MARK: - Reference records

extension PostgresStore: ReferenceStore {
    public func staffMember(id: String) async throws -> Staff? {
        guard Self.storable(id) else { return nil }
        for d in try await documents("SELECT doc FROM staff WHERE muni = \(muni) AND id = \(id)") {
            if case let .staff(s)? = try decodedRecord(d) { return s }
        }
        return nil
    }

    public func staffMembers(office: String?, role: StaffRole?) async throws -> [Staff] {
        try await documents("SELECT doc FROM staff WHERE muni = \(muni) ORDER BY id COLLATE \"C\"").compactMap { d -> Staff? in
            guard case let .staff(s)? = try decodedRecord(d) else { return nil }
            if let role, s.role != role { return nil }
            if let office, s.assignments.last?.office != office { return nil }
            return s
        }
    }

    public func office(code: String) async throws -> Office? {
        guard Self.storable(code) else { return nil }
        for d in try await documents("SELECT doc FROM office WHERE muni = \(muni) AND code = \(code)") {
            if case let .office(o)? = try decodedRecord(d) { return o }
        }
        return nil
    }

    public func offices() async throws -> [Office] {
        try await documents("SELECT doc FROM office WHERE muni = \(muni) ORDER BY code COLLATE \"C\"").compactMap { d -> Office? in
            if case let .office(o)? = try decodedRecord(d) { return o }
            return nil
        }
    }

    public func register(id: String) async throws -> Register? {
        guard Self.storable(id) else { return nil }
        for d in try await documents("SELECT doc FROM register WHERE muni = \(muni) AND id = \(id)") {
            if case let .register(r)? = try decodedRecord(d) { return r }
        }
        return nil
    }

    public func registers(ids: [String]) async throws -> [Register] {
        try await documents("SELECT id, doc FROM register WHERE muni = $1 AND id = ANY($2::text[])", keys: ids)
            .compactMap { d -> Register? in
                if case let .register(r)? = try decodedRecord(d) { return r }
                return nil
            }
    }

    public func registerIDs(member person: String) async throws -> [String] {
        guard Self.storable(person) else { return [] }
        return try await connections.run { s in
            try await s.rows("""
                SELECT register FROM register_member WHERE muni = \(muni) AND person = \(person) ORDER BY register COLLATE "C"
                """).map { try $0.decode(String.self) }
        }
    }

    public func person(id: String) async throws -> Person? {
        guard Self.storable(id) else { return nil }
        for d in try await documents("SELECT doc FROM person WHERE muni = \(muni) AND id = \(id)") {
            if case let .person(p)? = try decodedRecord(d) { return p }
        }
        return nil
    }

    public func persons(ids: [String]) async throws -> [Person] {
        try await documents("SELECT id, doc FROM person WHERE muni = $1 AND id = ANY($2::text[])", keys: ids)
            .compactMap { d -> Person? in
                if case let .person(p)? = try decodedRecord(d) { return p }
                return nil
            }
    }

    public func protections(person: String) async throws -> [Protection] {
        guard Self.storable(person) else { return [] }
        return try await documents("SELECT doc FROM protection WHERE muni = \(muni) AND person = \(person) ORDER BY key COLLATE \"C\"")
            .compactMap { d -> Protection? in
                if case let .protection(p)? = try decodedRecord(d) { return p }
                return nil
            }
    }

    public func caseRecord(id: String) async throws -> Case? {
        guard Self.storable(id) else { return nil }
        for d in try await documents("SELECT doc FROM cases WHERE muni = \(muni) AND id = \(id)") {
            if case let .case(c)? = try decodedRecord(d) { return c }
        }
        return nil
    }

    public func cases(ids: [String]) async throws -> [Case] {
        try await documents("SELECT id, doc FROM cases WHERE muni = $1 AND id = ANY($2::text[])", keys: ids)
            .compactMap { d -> Case? in
                if case let .case(c)? = try decodedRecord(d) { return c }
                return nil
            }
    }

    public func cases(person: String?, registers: [String]) async throws -> [Case] {
        let person = person.flatMap { Self.storable($0) ? $0 : nil }
        let registers = Array(Set(registers.filter(Self.storable)))
        guard person != nil || !registers.isEmpty else { return [] }
        // One statement (one snapshot): the cases naming the person or one of the registers, each once.
        let rows: [(String, [UInt8])] = try await connections.run { s in
            try await s.rows("""
                SELECT c.id, c.doc FROM cases c WHERE c.muni = \(muni) AND c.id IN (
                    SELECT case_id FROM case_person WHERE muni = \(muni) AND person = \(person)::text
                    UNION SELECT case_id FROM case_register WHERE muni = \(muni) AND register = ANY(\(registers)::text[]))
                """).map { row in
                let (id, doc) = try row.decode((String, ByteBuffer).self)
                return (id, doc.bytes)
            }
        }
        // In ID order, sorted as the embedded store sorts them.
        return try rows.sorted { $0.0 < $1.0 }.compactMap { row -> Case? in
            if case let .case(c)? = try decodedRecord(row.1) { return c }
            return nil
        }
    }


    /// ASCII letters in lower case, others unchanged: with ``fold(_:)`` in SQL, LIKE ignores the case of ASCII
    /// letters only, as SQLite's LIKE does (the embedded store's search is the reference).
    private static func foldASCII(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            out.append(u.value >= 0x41 && u.value <= 0x5A ? Unicode.Scalar(UInt8(u.value + 0x20)) : u)
        }
        return String(out)
    }

    /// The SQL of a column with its ASCII letters in lower case (the column expression is this file's own text).
    private static func fold(_ column: String) -> String {
        "translate(\(column), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
    }

    public func searchRegisters(_ q: RegisterQuery, limit: Int) async throws -> [Register] {
        guard !q.isEmpty else { return [] }
        func norm(_ s: String?) -> String? {
            guard let s else { return nil }
            let t = s.replacingOccurrences(of: "\u{3000}", with: " ").trimmingCharacters(in: .whitespaces)
            return t.isEmpty ? nil : t
        }
        let name = norm(q.name), kana = norm(q.kana), birth = norm(q.birth), honseki = norm(q.honseki)
        // Only blanks is empty, and empty matches nothing.
        guard name != nil || kana != nil || birth != nil || honseki != nil else { return [] }
        // No stored text holds NUL: a field with one matches nothing.
        guard [name, kana, birth, honseki].allSatisfy({ $0.map(Self.storable) ?? true }) else { return [] }
        // The SQL is this function's own text; every value is bound ($1 the municipality, then one per pattern).
        var binds = PostgresBindings()
        binds.append(muni)
        func bind(_ v: String) -> String {
            binds.append(v)
            return "$\(binds.count)"
        }
        var personFilters: [String] = []
        if let name {
            // With or without the space between family and given name.
            personFilters.append("(\(Self.fold("p.name")) LIKE \(bind(Self.foldASCII(LikePattern.contains(name)))) ESCAPE '\\' OR "
                + "\(Self.fold("replace(p.name, ' ', '')")) LIKE \(bind(Self.foldASCII(LikePattern.contains(name.replacingOccurrences(of: " ", with: ""))))) ESCAPE '\\')")
        }
        if let kana {
            personFilters.append("(\(Self.fold("p.kana")) LIKE \(bind(Self.foldASCII(LikePattern.contains(kana)))) ESCAPE '\\' OR "
                + "\(Self.fold("replace(p.kana, ' ', '')")) LIKE \(bind(Self.foldASCII(LikePattern.contains(kana.replacingOccurrences(of: " ", with: ""))))) ESCAPE '\\')")
        }
        if let birth {
            personFilters.append("\(Self.fold("p.birth")) LIKE \(bind(Self.foldASCII(LikePattern.prefix(birth)))) ESCAPE '\\'")
        }
        var sql: String
        if personFilters.isEmpty, let honseki {
            // 本籍 alone: by ID.
            sql = "SELECT doc FROM register WHERE muni = $1 AND \(Self.fold("honseki")) LIKE \(bind(Self.foldASCII(LikePattern.contains(honseki)))) ESCAPE '\\'"
                + " ORDER BY id COLLATE \"C\""
        } else {
            sql = """
                SELECT r.doc FROM register r WHERE r.muni = $1 AND r.id IN (
                    SELECT m.register FROM register_member m JOIN person p ON p.muni = m.muni AND p.id = m.person
                    WHERE m.muni = $1 AND \(personFilters.joined(separator: " AND ")))
                """
            if let honseki {
                sql += " AND \(Self.fold("r.honseki")) LIKE \(bind(Self.foldASCII(LikePattern.contains(honseki)))) ESCAPE '\\'"
            }
            sql += " ORDER BY (r.kind = 'current') DESC, r.id COLLATE \"C\""
        }
        // A negative limit is no limit (as SQLite's LIMIT takes it).
        binds.append(limit < 0 ? nil : Int64(limit))
        sql += " LIMIT $\(binds.count)::bigint"
        return try await documents(PostgresQuery(unsafeSQL: sql, binds: binds)).compactMap { d -> Register? in
            if case let .register(r)? = try decodedRecord(d) { return r }
            return nil
        }
    }

    public func selfReports(survey: String) async throws -> [SelfReport] {
        guard Self.storable(survey) else { return [] }
        return try await documents("SELECT doc FROM self_report WHERE muni = \(muni) AND survey = \(survey) ORDER BY staff COLLATE \"C\"")
            .compactMap { d -> SelfReport? in
                if case let .selfReport(s)? = try decodedRecord(d) { return s }
                return nil
            }
    }
}

// MARK: - Issuance

extension PostgresStore: IssuanceStore {
    public func saveIssuance(_ i: IssuanceRecord) async throws {
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO ws_issuance(muni, number, case_id, register, certificate, copies, requester, at, at_text, staff,
                    office, event_id)
                VALUES (\(muni), \(i.number), \(i.caseID), \(i.register), \(i.certificate), \(Int64(i.copies)), \(i.requester),
                    \(i.at.millis), \(i.at.description), \(i.staff), \(i.office), \(i.eventID))
                """)
        }
    }

    public func issuances(caseID: String) async throws -> [IssuanceRecord] {
        try await connections.run { s in
            try await s.rows("""
                SELECT number, case_id, register, certificate, copies, requester, at_text, staff, office, event_id
                FROM ws_issuance WHERE muni = \(muni) AND case_id = \(caseID) ORDER BY number COLLATE "C"
                """).map { row in
                let (number, caseID, register, certificate, copies, requester, at, staff, office, eventID) =
                    try row.decode((String, String, String, String, Int64, String?, String, String, String, String).self)
                return IssuanceRecord(number: number, caseID: caseID, register: register, certificate: certificate,
                                      copies: Int(copies), requester: requester, at: Timestamp(at) ?? Timestamp(millis: 0),
                                      staff: staff, office: office, eventID: eventID)
            }
        }
    }
}

// MARK: - Workspace

/// What the clerk workspace keeps beyond the records and the ledger (``WorkspaceStore``'s own requirements; the
/// conformance is declared with the rest of the server store).
extension PostgresStore {
    // MARK: Accounts and sessions

    public func account(staff: String) async throws -> WorkspaceAccount? {
        try await connections.run { s in
            try await s.rows("""
                SELECT staff, hash, failures, locked_until, window_start FROM ws_account WHERE muni = \(muni) AND staff = \(staff)
                """).first.map(Self.account)
        }
    }

    private static func account(_ row: PostgresRow) throws -> WorkspaceAccount {
        let (staff, hash, failures, locked, window) = try row.decode((String, String, Int64, Int64?, Int64?).self)
        return WorkspaceAccount(staff: staff, passwordHash: hash, failures: Int(failures), lockedUntil: locked, windowStart: window)
    }

    public func setPasswordHash(staff: String, hash: String) async throws {
        try await connections.run { s in
            try await s.transaction {
                try await s.execute("""
                    INSERT INTO ws_account(muni, staff, hash, failures, locked_until, window_start)
                    VALUES (\(muni), \(staff), \(hash), 0, NULL, NULL)
                    ON CONFLICT (muni, staff) DO UPDATE SET hash = EXCLUDED.hash, failures = 0, locked_until = NULL, window_start = NULL
                    """)
                try await s.execute("DELETE FROM ws_signin_failure WHERE muni = \(muni) AND staff = \(staff)")
            }
        }
    }

    /// One transaction that first locks the account's row (`FOR UPDATE`): the claims of one account take turns across
    /// every server on the database. The address's count and lock are then one upsert, the account's one update,
    /// each deciding its lock from the count it writes.
    public func claimSignIn(staff: String, address: String, at now: Int64, limits: SignInLimits) async throws -> SignInClaim {
        guard Self.storable(staff), Self.storable(address) else { return .noAccount }
        return try await connections.run { s in
            try await s.transaction { () async throws -> SignInClaim in
                guard try await !s.rows("""
                    SELECT 1 FROM ws_account WHERE muni = \(muni) AND staff = \(staff) FOR UPDATE
                    """).isEmpty else { return .noAccount }
                // Claims cut off by a killed server give their counts back first (on the address and the account).
                var open = OpenSignInChecks(try await s.rows("""
                    SELECT open_at FROM ws_signin_failure WHERE muni = \(muni) AND staff = \(staff) AND address = \(address)
                    FOR UPDATE
                    """).first.map { try $0.decode(String.self) })
                let cut = Int64(open.cutOff(at: now, after: limits.cutOffMillis, before: limits.cutOffBefore))
                if cut > 0 {
                    try await s.execute("""
                        UPDATE ws_signin_failure SET failures = greatest(failures - \(cut), 0), open_at = \(open.text),
                            locked_until = CASE WHEN failures - \(cut) < \(Int64(limits.perAddress)) THEN NULL ELSE locked_until END
                        WHERE muni = \(muni) AND staff = \(staff) AND address = \(address)
                        """)
                    try await s.execute("""
                        UPDATE ws_account SET failures = greatest(failures - \(cut), 0),
                            locked_until = CASE WHEN failures - \(cut) < \(Int64(limits.perAccount)) THEN NULL ELSE locked_until END
                        WHERE muni = \(muni) AND staff = \(staff)
                        """)
                }
                open.claim(at: now)
                let openText = open.text
                guard let row = try await s.rows("""
                    SELECT locked_until FROM ws_account WHERE muni = \(muni) AND staff = \(staff)
                    """).first else { return .noAccount }
                if let until = try row.decode(Int64?.self), until > now { return .locked(.account, until: until) }
                let (limit, window, lock) = (Int64(limits.perAddress), limits.addressWindowMillis, limits.addressLockMillis)
                // A window that has passed, or a lock that has expired, starts the count afresh.
                guard let mine = try await s.rows("""
                    INSERT INTO ws_signin_failure AS f (muni, staff, address, failures, window_start, locked_until, open_at)
                    VALUES (\(muni), \(staff), \(address), 1, \(now), CASE WHEN 1 >= \(limit) THEN \(now) + \(lock) END, \(openText))
                    ON CONFLICT (muni, staff, address) DO UPDATE SET
                        open_at = \(openText),
                        failures = CASE WHEN f.locked_until IS NOT NULL OR \(now) - f.window_start >= \(window) THEN 1
                                        ELSE f.failures + 1 END,
                        window_start = CASE WHEN f.locked_until IS NOT NULL OR \(now) - f.window_start >= \(window) THEN \(now)
                                            ELSE f.window_start END,
                        locked_until = CASE WHEN (CASE WHEN f.locked_until IS NOT NULL OR \(now) - f.window_start >= \(window) THEN 1
                                                       ELSE f.failures + 1 END) >= \(limit) THEN \(now) + \(lock) END
                    WHERE f.locked_until IS NULL OR f.locked_until <= \(now)
                    RETURNING failures, locked_until
                    """).first else {
                    let until = try await s.rows("""
                        SELECT locked_until FROM ws_signin_failure WHERE muni = \(muni) AND staff = \(staff) AND address = \(address)
                        """).first.flatMap { try $0.decode(Int64?.self) } ?? now
                    return .locked(.address, until: until)
                }
                let (addressFailures, addressLock) = try mine.decode((Int64, Int64?).self)
                let (all, allWindow, allLock) = (Int64(limits.perAccount), limits.accountWindowMillis, limits.accountLockMillis)
                guard let account = try await s.rows("""
                    UPDATE ws_account SET
                        failures = CASE WHEN window_start IS NULL OR locked_until IS NOT NULL OR \(now) - window_start >= \(allWindow)
                                        THEN 1 ELSE failures + 1 END,
                        window_start = CASE WHEN window_start IS NULL OR locked_until IS NOT NULL OR \(now) - window_start >= \(allWindow)
                                            THEN \(now) ELSE window_start END,
                        locked_until = CASE WHEN (CASE WHEN window_start IS NULL OR locked_until IS NOT NULL
                                                            OR \(now) - window_start >= \(allWindow)
                                                       THEN 1 ELSE failures + 1 END) >= \(all) THEN \(now) + \(allLock) END
                    WHERE muni = \(muni) AND staff = \(staff) AND (locked_until IS NULL OR locked_until <= \(now))
                    RETURNING failures, locked_until
                    """).first else {
                    throw StoreError(.database, "sign-in: the account row changed while it was locked for update")
                }
                let (accountFailures, accountLock) = try account.decode((Int64, Int64?).self)
                // Addresses whose window has passed and that are not locked count for nothing any more.
                try await s.execute("""
                    DELETE FROM ws_signin_failure WHERE muni = \(muni) AND staff = \(staff) AND address <> \(address)
                        AND (locked_until IS NULL OR locked_until <= \(now)) AND \(now) - window_start >= \(window)
                    """)
                return .granted(addressFailures: Int(addressFailures), accountFailures: Int(accountFailures),
                                locks: accountLock != nil ? .account : addressLock != nil ? .address : nil)
            }
        }
    }

    public func recordFailedSignIn(staff: String, address: String) async throws {
        guard Self.storable(staff), Self.storable(address) else { return }
        try await connections.run { s in
            try await s.transaction {
                var open = OpenSignInChecks(try await s.rows("""
                    SELECT open_at FROM ws_signin_failure WHERE muni = \(muni) AND staff = \(staff) AND address = \(address)
                    FOR UPDATE
                    """).first.map { try $0.decode(String.self) })
                open.resolveOne()
                try await s.execute("""
                    UPDATE ws_signin_failure SET open_at = \(open.text)
                    WHERE muni = \(muni) AND staff = \(staff) AND address = \(address)
                    """)
            }
        }
    }

    public func recordSuccessfulSignIn(staff: String, address: String, limits: SignInLimits) async throws {
        try await connections.run { s in
            try await s.transaction {
                try await s.execute("""
                    UPDATE ws_account SET failures = greatest(failures - 1, 0),
                        locked_until = CASE WHEN failures - 1 < \(Int64(limits.perAccount)) THEN NULL ELSE locked_until END
                    WHERE muni = \(muni) AND staff = \(staff)
                    """)
                try await s.execute("DELETE FROM ws_signin_failure WHERE muni = \(muni) AND staff = \(staff) AND address = \(address)")
            }
        }
    }

    public func clearFailedSignIns(staff: String) async throws {
        try await connections.run { s in
            try await s.transaction {
                try await s.execute("""
                    UPDATE ws_account SET failures = 0, locked_until = NULL, window_start = NULL WHERE muni = \(muni) AND staff = \(staff)
                    """)
                try await s.execute("DELETE FROM ws_signin_failure WHERE muni = \(muni) AND staff = \(staff)")
            }
        }
    }

    public func failedSignIns(staff: String) async throws -> [AddressSignInFailures] {
        try await connections.run { s in
            try await s.rows("""
                SELECT staff, address, failures, window_start, locked_until FROM ws_signin_failure
                WHERE muni = \(muni) AND staff = \(staff) ORDER BY address COLLATE "C"
                """).map { row in
                let (staff, address, failures, window, locked) = try row.decode((String, String, Int64, Int64, Int64?).self)
                return AddressSignInFailures(staff: staff, address: address, failures: Int(failures), windowStart: window,
                                             lockedUntil: locked)
            }
        }
    }

    public func lockedAccounts(at millis: Int64) async throws -> [WorkspaceAccount] {
        try await connections.run { s in
            try await s.rows("""
                SELECT staff, hash, failures, locked_until, window_start FROM ws_account
                WHERE muni = \(muni) AND locked_until > \(millis) ORDER BY staff COLLATE "C"
                """).map(Self.account)
        }
    }

    public func createSession(_ session: WorkspaceSession) async throws {
        let x = session
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO ws_session(muni, token_hash, staff, kind, csrf, terminal, created, last_seen, banner_version)
                VALUES (\(muni), \(x.tokenHash), \(x.staff), \(x.kind), \(x.csrf), \(x.terminal), \(x.created), \(x.lastSeen),
                    \(x.bannerVersion))
                """)
        }
    }

    public func session(tokenHash: String) async throws -> WorkspaceSession? {
        try await connections.run { s in
            try await s.rows("""
                SELECT token_hash, staff, kind, csrf, terminal, created, last_seen, banner_version
                FROM ws_session WHERE muni = \(muni) AND token_hash = \(tokenHash)
                """).first.map { row in
                let (token, staff, kind, csrf, terminal, created, lastSeen, banner) =
                    try row.decode((String, String, String, String, String, Int64, Int64, String?).self)
                return WorkspaceSession(tokenHash: token, staff: staff, kind: kind, csrf: csrf, terminal: terminal,
                                        created: created, lastSeen: lastSeen, bannerVersion: banner)
            }
        }
    }

    public func touchSession(tokenHash: String, at millis: Int64) async throws {
        try await connections.run { s in
            try await s.execute("UPDATE ws_session SET last_seen = \(millis) WHERE muni = \(muni) AND token_hash = \(tokenHash)")
        }
    }

    public func acknowledgeBanner(tokenHash: String, version: String) async throws {
        try await connections.run { s in
            try await s.execute("UPDATE ws_session SET banner_version = \(version) WHERE muni = \(muni) AND token_hash = \(tokenHash)")
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await connections.run { s in
            try await s.execute("DELETE FROM ws_session WHERE muni = \(muni) AND token_hash = \(tokenHash)")
        }
    }

    public func deleteSessions(idleSince millis: Int64) async throws {
        try await connections.run { s in
            try await s.execute("DELETE FROM ws_session WHERE muni = \(muni) AND last_seen < \(millis)")
        }
    }

    // MARK: Banner

    public func currentBanner() async throws -> BannerText? {
        try await connections.run { s in
            try await s.rows("SELECT version, ja, en FROM ws_banner WHERE muni = \(muni) ORDER BY id DESC LIMIT 1").first.map { row in
                let (version, ja, en) = try row.decode((String, String, String).self)
                return BannerText(version: version, ja: ja, en: en)
            }
        }
    }

    public func saveBanner(_ banner: BannerText, at millis: Int64) async throws {
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO ws_banner(muni, version, ja, en, created) VALUES (\(muni), \(banner.version), \(banner.ja), \(banner.en), \(millis))
                """)
        }
    }

    // MARK: Cases

    public func closedCases(staff: String, limit: Int) async throws -> [Case] {
        try await cases(staff: staff, limit: limit) { c in c.closed != nil || (c.status != nil && c.status != .open) }
    }

    public func openCases(staff: String, limit: Int) async throws -> [Case] {
        try await cases(staff: staff, limit: limit) { c in c.closed == nil && (c.status == nil || c.status == .open) }
    }

    /// A staff member's cases that pass `keep`, newest received first, at most `limit`: read a page at a time until
    /// enough are found (the others are skipped in between).
    private func cases(staff: String, limit: Int, keep: (Case) -> Bool) async throws -> [Case] {
        guard limit > 0, Self.storable(staff) else { return [] }
        let page = Int64(limit) * 4
        var kept: [Case] = []
        var offset: Int64 = 0
        while kept.count < limit {
            let docs = try await documents("""
                SELECT c.doc FROM cases c JOIN case_staff s ON s.muni = c.muni AND s.case_id = c.id
                WHERE s.muni = \(muni) AND s.staff = \(staff) ORDER BY c.received DESC, c.id COLLATE "C"
                LIMIT \(page) OFFSET \(offset)
                """)
            for d in docs {
                guard case let .case(c)? = try decodedRecord(d), keep(c) else { continue }
                kept.append(c)
            }
            guard Int64(docs.count) == page else { break }
            offset += page
        }
        return Array(kept.prefix(limit))
    }

    public func updateCase(_ c: Case) async throws {
        let doc = AkashiDomain.Record.case(c).canonicalJSON
        try await connections.run { s in
            try await s.execute("UPDATE cases SET doc = \(doc.buffer) WHERE muni = \(muni) AND id = \(c.id)")
        }
    }

    /// One statement: of several servers asking at once, each gets its own value.
    public func nextCounter(_ name: String) async throws -> Int {
        try await connections.run { s in
            let rows = try await s.rows("""
                INSERT INTO ws_counter(muni, name, value) VALUES (\(muni), \(name), 1)
                ON CONFLICT (muni, name) DO UPDATE SET value = ws_counter.value + 1
                RETURNING value
                """)
            guard let row = rows.first else { throw StoreError(.database, "PostgreSQL returned no counter value for \(name)") }
            return Int(try row.decode(Int64.self))
        }
    }

    public func saveCaseDetails(caseID: String, json: String) async throws {
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO ws_case_detail(muni, case_id, json) VALUES (\(muni), \(caseID), \(json))
                ON CONFLICT (muni, case_id) DO NOTHING
                """)
        }
    }

    public func caseDetails(caseID: String) async throws -> String? {
        try await connections.run { s in
            try await s.rows("SELECT json FROM ws_case_detail WHERE muni = \(muni) AND case_id = \(caseID)").first.map { try $0.decode(String.self) }
        }
    }

    // MARK: Approvals

    public func saveApproval(_ approval: ApprovalRequest) async throws {
        let a = approval
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO ws_approval(muni, id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note)
                VALUES (\(muni), \(a.id), \(a.staff), \(a.office), \(a.register), \(a.record), \(a.caseID), \(a.reason),
                    \(a.requested.description), \(a.status.rawValue), \(a.approver), \(a.decided?.description), \(a.note))
                ON CONFLICT (muni, id) DO UPDATE SET status = EXCLUDED.status, approver = EXCLUDED.approver, decided = EXCLUDED.decided,
                    note = EXCLUDED.note
                """)
        }
    }

    static func approval(_ row: PostgresRow) throws -> ApprovalRequest {
        let (id, staff, office, register, record, caseID, reason, requested, status, approver, decided, note) =
            try row.decode((String, String, String, String, String, String?, String?, String, String, String?, String?, String?).self)
        return ApprovalRequest(id: id, staff: staff, office: office, register: register, record: record, caseID: caseID,
                               reason: reason, requested: Timestamp(requested) ?? Timestamp(millis: 0),
                               status: ApprovalRequest.Status(rawValue: status) ?? .pending, approver: approver,
                               decided: decided.flatMap { Timestamp($0) }, note: note)
    }

    public func approval(id: String) async throws -> ApprovalRequest? {
        try await connections.run { s in
            try await s.rows("""
                SELECT id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note
                FROM ws_approval WHERE muni = \(muni) AND id = \(id)
                """).first.map(Self.approval)
        }
    }

    /// One conditional write (`UPDATE … WHERE status = 'approved'`): of two simultaneous uses, the second waits for
    /// the first's row lock, finds the status changed and changes nothing.
    public func spendApproval(id: String, staff: String) async throws -> Bool {
        try await connections.run { s in
            try await s.execute("""
                UPDATE ws_approval SET status = \(ApprovalRequest.Status.used.rawValue)
                WHERE muni = \(muni) AND id = \(id) AND staff = \(staff) AND status = \(ApprovalRequest.Status.approved.rawValue)
                """) == 1
        }
    }

    /// One conditional write (`UPDATE … WHERE status = 'pending'`): of two simultaneous decisions only one takes effect.
    public func decideApproval(id: String, status: ApprovalRequest.Status, approver: String, decided: Timestamp,
                               note: String?) async throws -> Bool {
        try await connections.run { s in
            try await s.execute("""
                UPDATE ws_approval SET status = \(status.rawValue), approver = \(approver), decided = \(decided.description),
                    note = \(note)
                WHERE muni = \(muni) AND id = \(id) AND status = \(ApprovalRequest.Status.pending.rawValue)
                """) == 1
        }
    }

    public func pendingApprovals(office: String) async throws -> [ApprovalRequest] {
        try await connections.run { s in
            try await s.rows("""
                SELECT id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note
                FROM ws_approval WHERE muni = \(muni) AND office = \(office) AND status = \(ApprovalRequest.Status.pending.rawValue)
                ORDER BY requested COLLATE "C", id COLLATE "C"
                """).map(Self.approval)
        }
    }
}
