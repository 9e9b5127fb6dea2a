import AkashiDomain
import AkashiInterchange
import AkashiStorage
import Foundation
import GRDB

/// The clerk workspace's tables: accounts, sessions, banner versions, case details, counters, issuance records and
/// approvals. None of them holds a ledger entry; the ledger's tables keep their append-only triggers.
enum WorkspaceSchema {
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-workspace") { db in
            try db.create(table: "ws_account", options: [.withoutRowID]) { t in
                t.primaryKey("staff", .text).notNull()
                t.column("hash", .text).notNull()
                t.column("failures", .integer).notNull().defaults(to: 0)
                t.column("locked_until", .integer)
            }
            try db.create(table: "ws_session", options: [.withoutRowID]) { t in
                t.primaryKey("token_hash", .text).notNull()
                t.column("staff", .text).notNull().indexed()
                t.column("kind", .text).notNull()
                t.column("csrf", .text).notNull()
                t.column("terminal", .text).notNull()
                t.column("created", .integer).notNull()
                t.column("last_seen", .integer).notNull()
                t.column("banner_version", .text)
            }
            try db.create(table: "ws_banner") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("version", .text).notNull().unique()
                t.column("ja", .text).notNull()
                t.column("en", .text).notNull()
                t.column("created", .integer).notNull()
            }
            try db.create(table: "ws_counter", options: [.withoutRowID]) { t in
                t.primaryKey("name", .text).notNull()
                t.column("value", .integer).notNull()
            }
            try db.create(table: "ws_case_detail", options: [.withoutRowID]) { t in
                t.primaryKey("case_id", .text).notNull()
                t.column("json", .text).notNull()
            }
            try db.create(table: "ws_issuance", options: [.withoutRowID]) { t in
                t.primaryKey("number", .text).notNull()
                t.column("case_id", .text).notNull().indexed()
                t.column("register", .text).notNull()
                t.column("certificate", .text).notNull()
                t.column("copies", .integer).notNull()
                t.column("requester", .text)
                t.column("at", .integer).notNull()
                t.column("at_text", .text).notNull()
                t.column("staff", .text).notNull()
                t.column("office", .text).notNull()
                t.column("event_id", .text).notNull()
            }
            try db.create(table: "ws_approval", options: [.withoutRowID]) { t in
                t.primaryKey("id", .text).notNull()
                t.column("staff", .text).notNull()
                t.column("office", .text).notNull().indexed()
                t.column("register", .text).notNull()
                t.column("record", .text).notNull()
                t.column("case_id", .text)
                t.column("reason", .text)
                t.column("requested", .text).notNull()
                t.column("status", .text).notNull()
                t.column("approver", .text)
                t.column("decided", .text)
            }
        }
    }
}

extension SQLiteStore: WorkspaceStore {
    // MARK: Accounts and sessions

    public func account(staff: String) throws -> WorkspaceAccount? {
        try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT staff, hash, failures, locked_until, window_start FROM ws_account WHERE staff = ?
                """), arguments: [staff]).map {
                WorkspaceAccount(staff: $0[0], passwordHash: $0[1], failures: $0[2], lockedUntil: $0[3], windowStart: $0[4])
            }
        }
    }

    public func setPasswordHash(staff: String, hash: String) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO ws_account(staff, hash, failures, locked_until, window_start) VALUES (?, ?, 0, NULL, NULL)
                ON CONFLICT(staff) DO UPDATE SET hash = excluded.hash, failures = 0, locked_until = NULL, window_start = NULL
                """, arguments: [staff, hash])
            try db.execute(sql: "DELETE FROM ws_signin_failure WHERE staff = ?", arguments: [staff])
        }
    }

    /// One write transaction (IMMEDIATE: writers on the file, in this process or another, take turns): the address's
    /// count and lock are one upsert, the account's one update, each deciding its lock from the count it writes.
    public func claimSignIn(staff: String, address: String, at now: Int64, limits: SignInLimits) throws -> SignInClaim {
        try pool.write { db -> SignInClaim in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM ws_account WHERE staff = ?", arguments: [staff]) != nil else {
                return .noAccount
            }
            // Claims cut off by a killed server give their counts back first (on the address and the account).
            var open = OpenSignInChecks(try String.fetchOne(db, sql: """
                SELECT open_at FROM ws_signin_failure WHERE staff = ? AND address = ?
                """, arguments: [staff, address]))
            let cut = open.cutOff(at: now, after: limits.cutOffMillis, before: limits.cutOffBefore)
            if cut > 0 {
                try db.execute(sql: """
                    UPDATE ws_signin_failure SET failures = max(failures - ?, 0), open_at = ?,
                        locked_until = CASE WHEN failures - ? < ? THEN NULL ELSE locked_until END
                    WHERE staff = ? AND address = ?
                    """, arguments: [cut, open.text, cut, limits.perAddress, staff, address])
                try db.execute(sql: """
                    UPDATE ws_account SET failures = max(failures - ?, 0),
                        locked_until = CASE WHEN failures - ? < ? THEN NULL ELSE locked_until END
                    WHERE staff = ?
                    """, arguments: [cut, cut, limits.perAccount, staff])
            }
            open.claim(at: now)
            guard let row = try Row.fetchOne(db, sql: "SELECT locked_until FROM ws_account WHERE staff = ?", arguments: [staff]) else {
                return .noAccount
            }
            if let until: Int64 = row[0], until > now { return .locked(.account, until: until) }
            let args: StatementArguments = ["staff": staff, "address": address, "now": now, "limit": limits.perAddress,
                                            "window": limits.addressWindowMillis, "lock": limits.addressLockMillis,
                                            "open": open.text]
            // A window that has passed, or a lock that has expired, starts the count afresh.
            guard let mine = try Row.fetchOne(db, sql: """
                INSERT INTO ws_signin_failure(staff, address, failures, window_start, locked_until, open_at)
                VALUES (:staff, :address, 1, :now, CASE WHEN 1 >= :limit THEN :now + :lock END, :open)
                ON CONFLICT(staff, address) DO UPDATE SET
                    open_at = :open,
                    failures = CASE WHEN locked_until IS NOT NULL OR :now - window_start >= :window THEN 1 ELSE failures + 1 END,
                    window_start = CASE WHEN locked_until IS NOT NULL OR :now - window_start >= :window THEN :now ELSE window_start END,
                    locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL OR :now - window_start >= :window THEN 1
                                                   ELSE failures + 1 END) >= :limit THEN :now + :lock END
                WHERE locked_until IS NULL OR locked_until <= :now
                RETURNING failures, locked_until
                """, arguments: args) else {
                let until = try Int64.fetchOne(db, sql: "SELECT locked_until FROM ws_signin_failure WHERE staff = ? AND address = ?",
                                               arguments: [staff, address]) ?? now
                return .locked(.address, until: until)
            }
            let accountArgs: StatementArguments = ["staff": staff, "now": now, "limit": limits.perAccount,
                                                   "window": limits.accountWindowMillis, "lock": limits.accountLockMillis]
            guard let all = try Row.fetchOne(db, sql: """
                UPDATE ws_account SET
                    failures = CASE WHEN window_start IS NULL OR locked_until IS NOT NULL OR :now - window_start >= :window
                                    THEN 1 ELSE failures + 1 END,
                    window_start = CASE WHEN window_start IS NULL OR locked_until IS NOT NULL OR :now - window_start >= :window
                                        THEN :now ELSE window_start END,
                    locked_until = CASE WHEN (CASE WHEN window_start IS NULL OR locked_until IS NOT NULL OR :now - window_start >= :window
                                                   THEN 1 ELSE failures + 1 END) >= :limit THEN :now + :lock END
                WHERE staff = :staff AND (locked_until IS NULL OR locked_until <= :now)
                RETURNING failures, locked_until
                """, arguments: accountArgs) else {
                throw StoreError(.database, "sign-in: the account row changed inside its write transaction")
            }
            // Addresses whose window has passed and that are not locked count for nothing any more.
            try db.execute(sql: """
                DELETE FROM ws_signin_failure WHERE staff = ? AND address <> ? AND (locked_until IS NULL OR locked_until <= ?)
                    AND ? - window_start >= ?
                """, arguments: [staff, address, now, now, limits.addressWindowMillis])
            let accountLocked = (all[1] as Int64?) != nil
            let addressLocked = (mine[1] as Int64?) != nil
            return .granted(addressFailures: mine[0], accountFailures: all[0],
                            locks: accountLocked ? .account : addressLocked ? .address : nil)
        }
    }

    public func recordFailedSignIn(staff: String, address: String) throws {
        try pool.write { db in
            var open = OpenSignInChecks(try String.fetchOne(db, sql: """
                SELECT open_at FROM ws_signin_failure WHERE staff = ? AND address = ?
                """, arguments: [staff, address]))
            open.resolveOne()
            try db.execute(sql: "UPDATE ws_signin_failure SET open_at = ? WHERE staff = ? AND address = ?",
                           arguments: [open.text, staff, address])
        }
    }

    public func recordSuccessfulSignIn(staff: String, address: String, limits: SignInLimits) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM ws_signin_failure WHERE staff = ? AND address = ?", arguments: [staff, address])
            try db.execute(sql: """
                UPDATE ws_account SET failures = max(failures - 1, 0),
                    locked_until = CASE WHEN failures - 1 < ? THEN NULL ELSE locked_until END
                WHERE staff = ?
                """, arguments: [limits.perAccount, staff])
        }
    }

    public func clearFailedSignIns(staff: String) throws {
        try pool.write { db in
            try db.cachedStatement(sql: "UPDATE ws_account SET failures = 0, locked_until = NULL, window_start = NULL WHERE staff = ?")
                .execute(arguments: [staff])
            try db.execute(sql: "DELETE FROM ws_signin_failure WHERE staff = ?", arguments: [staff])
        }
    }

    public func failedSignIns(staff: String) throws -> [AddressSignInFailures] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT staff, address, failures, window_start, locked_until FROM ws_signin_failure WHERE staff = ? ORDER BY address
                """, arguments: [staff]).map {
                AddressSignInFailures(staff: $0[0], address: $0[1], failures: $0[2], windowStart: $0[3], lockedUntil: $0[4])
            }
        }
    }

    public func lockedAccounts(at millis: Int64) throws -> [WorkspaceAccount] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT staff, hash, failures, locked_until, window_start FROM ws_account WHERE locked_until > ? ORDER BY staff
                """, arguments: [millis]).map {
                WorkspaceAccount(staff: $0[0], passwordHash: $0[1], failures: $0[2], lockedUntil: $0[3], windowStart: $0[4])
            }
        }
    }

    public func createSession(_ s: WorkspaceSession) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO ws_session(token_hash, staff, kind, csrf, terminal, created, last_seen, banner_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [s.tokenHash, s.staff, s.kind, s.csrf, s.terminal, s.created, s.lastSeen, s.bannerVersion])
        }
    }

    public func session(tokenHash: String) throws -> WorkspaceSession? {
        try points.with { c in
            let s = try c.statement("""
                SELECT token_hash, staff, kind, csrf, terminal, created, last_seen, banner_version
                FROM ws_session WHERE token_hash = ?1
                """)
            s.bind(1, tokenHash)
            var found: WorkspaceSession?
            try c.rows(s) { r in
                found = WorkspaceSession(tokenHash: r.text(0) ?? "", staff: r.text(1) ?? "", kind: r.text(2) ?? "",
                                         csrf: r.text(3) ?? "", terminal: r.text(4) ?? "", created: r.int64(5),
                                         lastSeen: r.int64(6), bannerVersion: r.text(7))
            }
            return found
        }
    }

    public func touchSession(tokenHash: String, at millis: Int64) throws {
        try pool.write { db in
            try db.cachedStatement(sql: "UPDATE ws_session SET last_seen = ? WHERE token_hash = ?").execute(arguments: [millis, tokenHash])
        }
    }

    public func acknowledgeBanner(tokenHash: String, version: String) throws {
        try pool.write { db in
            try db.cachedStatement(sql: "UPDATE ws_session SET banner_version = ? WHERE token_hash = ?").execute(arguments: [version, tokenHash])
        }
    }

    public func deleteSession(tokenHash: String) throws {
        try pool.write { db in try db.cachedStatement(sql: "DELETE FROM ws_session WHERE token_hash = ?").execute(arguments: [tokenHash]) }
    }

    public func deleteSessions(idleSince millis: Int64) throws {
        try pool.write { db in try db.cachedStatement(sql: "DELETE FROM ws_session WHERE last_seen < ?").execute(arguments: [millis]) }
    }

    // MARK: Banner

    public func currentBanner() throws -> BannerText? {
        try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT version, ja, en FROM ws_banner ORDER BY id DESC LIMIT 1")).map {
                BannerText(version: $0[0], ja: $0[1], en: $0[2])
            }
        }
    }

    public func saveBanner(_ b: BannerText, at millis: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO ws_banner(version, ja, en, created) VALUES (?, ?, ?, ?)",
                           arguments: [b.version, b.ja, b.en, millis])
        }
    }

    // MARK: Reference records

    private func decoded(_ data: Data?) throws -> AkashiDomain.Record? {
        guard let data else { return nil }
        return try decoded([UInt8](data))
    }

    private func decoded(_ bytes: [UInt8]?) throws -> AkashiDomain.Record? {
        guard let bytes else { return nil }
        return try decodedRecords.record(bytes)
    }

    /// The documents of `table` with the given keys (`key IN` the list bound as one JSON array: one statement, one
    /// snapshot), in the order of `ids`; missing ones left out.
    private func docs(_ table: StaticString, key: StaticString, _ ids: [String]) throws -> [[UInt8]] {
        guard !ids.isEmpty else { return [] }
        var list = CanonicalWriter(capacity: ids.count * 16)
        list.value(.array(ids.map { .string($0) }))
        let json = String(decoding: list.bytes, as: UTF8.self)
        var byID: [String: [UInt8]] = [:]
        try points.with { c in
            let s = try c.statement("SELECT \(key), doc FROM \(table) WHERE \(key) IN (SELECT value FROM json_each(?1))")
            s.bind(1, json)
            try c.rows(s) { r in byID[r.text(0) ?? ""] = r.bytes(1) }
        }
        return ids.compactMap { byID[$0] }
    }

    public func staffMember(id: String) throws -> Staff? {
        let doc = try points.blob("SELECT doc FROM staff WHERE id = ?1", id)
        if case let .staff(s)? = try decoded(doc) { return s }
        return nil
    }

    public func staffMembers(office: String?, role: StaffRole?) throws -> [Staff] {
        let docs = try pool.read { db in try Data.fetchAll(db.cachedStatement(sql: "SELECT doc FROM staff ORDER BY id")) }
        return try docs.compactMap { d -> Staff? in
            guard case let .staff(s)? = try decoded(d) else { return nil }
            if let role, s.role != role { return nil }
            if let office, s.assignments.last?.office != office { return nil }
            return s
        }
    }

    public func office(code: String) throws -> Office? {
        let doc = try points.blob("SELECT doc FROM office WHERE code = ?1", code)
        if case let .office(o)? = try decoded(doc) { return o }
        return nil
    }

    public func register(id: String) throws -> Register? {
        let doc = try points.blob("SELECT doc FROM register WHERE id = ?1", id)
        if case let .register(r)? = try decoded(doc) { return r }
        return nil
    }

    public func registers(ids: [String]) throws -> [Register] {
        try docs("register", key: "id", ids).compactMap { d -> Register? in
            if case let .register(r)? = try decoded(d) { return r }
            return nil
        }
    }

    public func person(id: String) throws -> Person? {
        let doc = try points.blob("SELECT doc FROM person WHERE id = ?1", id)
        if case let .person(p)? = try decoded(doc) { return p }
        return nil
    }

    public func persons(ids: [String]) throws -> [Person] {
        try docs("person", key: "id", ids).compactMap { d -> Person? in
            if case let .person(p)? = try decoded(d) { return p }
            return nil
        }
    }

    public func protections(person: String) throws -> [Protection] {
        var docs: [[UInt8]] = []
        try points.with { c in
            let s = try c.statement("SELECT doc FROM protection WHERE person = ?1")
            s.bind(1, person)
            try c.rows(s) { r in docs.append(r.bytes(0)) }
        }
        return try docs.compactMap { d -> Protection? in
            if case let .protection(p)? = try decoded(d) { return p }
            return nil
        }
    }


    public func searchRegisters(_ q: RegisterQuery, limit: Int) throws -> [Register] {
        guard !q.isEmpty else { return [] }
        func norm(_ s: String?) -> String? {
            guard let s else { return nil }
            let t = s.replacingOccurrences(of: "\u{3000}", with: " ").trimmingCharacters(in: .whitespaces)
            return t.isEmpty ? nil : t
        }
        var personFilters: [String] = []
        var arguments = StatementArguments()
        if let name = norm(q.name) {
            // Match with or without the space between family and given name.
            personFilters.append("(name LIKE ? ESCAPE '\\' OR replace(name, ' ', '') LIKE ? ESCAPE '\\')")
            _ = arguments.append(contentsOf: [LikePattern.contains(name), LikePattern.contains(name.replacingOccurrences(of: " ", with: ""))])
        }
        if let kana = norm(q.kana) {
            personFilters.append("(kana LIKE ? ESCAPE '\\' OR replace(kana, ' ', '') LIKE ? ESCAPE '\\')")
            _ = arguments.append(contentsOf: [LikePattern.contains(kana), LikePattern.contains(kana.replacingOccurrences(of: " ", with: ""))])
        }
        if let birth = norm(q.birth) {
            personFilters.append("birth LIKE ? ESCAPE '\\'")
            _ = arguments.append(contentsOf: [LikePattern.prefix(birth)])
        }
        let honseki = norm(q.honseki)
        // Only blanks is empty, and empty matches nothing (a query of spaces once reached SQL with no condition).
        guard !personFilters.isEmpty || honseki != nil else { return [] }
        let docs: [Data] = try pool.read { db in
            if personFilters.isEmpty, let honseki {
                return try Data.fetchAll(db.cachedStatement(sql: "SELECT doc FROM register WHERE honseki LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?"),
                                         arguments: [LikePattern.contains(honseki), limit])
            }
            var sql = """
                SELECT r.doc FROM register r WHERE r.id IN (
                    SELECT m.register FROM register_member m JOIN person p ON p.id = m.person
                    WHERE \(personFilters.joined(separator: " AND ")))
                """
            var args = arguments
            if let honseki {
                sql += " AND r.honseki LIKE ? ESCAPE '\\'"
                _ = args.append(contentsOf: [LikePattern.contains(honseki)])
            }
            sql += " ORDER BY (r.kind = 'current') DESC, r.id LIMIT ?"
            _ = args.append(contentsOf: [limit])
            return try Data.fetchAll(db, sql: sql, arguments: args)
        }
        return try docs.compactMap { d -> Register? in
            if case let .register(r)? = try decoded(d) { return r }
            return nil
        }
    }

    // MARK: Cases

    public func caseRecord(id: String) throws -> Case? {
        let doc = try points.blob("SELECT doc FROM cases WHERE id = ?1", id)
        if case let .case(c)? = try decoded(doc) { return c }
        return nil
    }

    public func cases(ids: [String]) throws -> [Case] {
        try docs("cases", key: "id", ids).compactMap { d -> Case? in
            if case let .case(c)? = try decoded(d) { return c }
            return nil
        }
    }

    public func openCases(staff: String, limit: Int) throws -> [Case] {
        let docs = try pool.read { db in
            try Data.fetchAll(db.cachedStatement(sql: """
                SELECT c.doc FROM cases c JOIN case_staff s ON s.case_id = c.id
                WHERE s.staff = ? ORDER BY c.received DESC LIMIT ?
                """), arguments: [staff, limit * 4])
        }
        let open = try docs.compactMap { d -> Case? in
            guard case let .case(c)? = try decoded(d), c.closed == nil, c.status == nil || c.status == .open else { return nil }
            return c
        }
        return Array(open.prefix(limit))
    }

    public func closedCases(staff: String, limit: Int) throws -> [Case] {
        guard limit > 0 else { return [] }
        var out: [Case] = []
        var offset = 0
        let page = limit * 4
        while out.count < limit {
            let docs = try pool.read { db in
                try Data.fetchAll(db.cachedStatement(sql: """
                    SELECT c.doc FROM cases c JOIN case_staff s ON s.case_id = c.id
                    WHERE s.staff = ? ORDER BY c.received DESC, c.id LIMIT ? OFFSET ?
                    """), arguments: [staff, page, offset])
            }
            for d in docs {
                guard case let .case(c)? = try decoded(d), c.closed != nil || (c.status != nil && c.status != .open) else { continue }
                out.append(c)
            }
            guard docs.count == page else { break }
            offset += page
        }
        return Array(out.prefix(limit))
    }

    public func updateCase(_ c: Case) throws {
        let doc = AkashiDomain.Record.case(c).canonicalJSON
        try pool.write { db in
            try db.cachedStatement(sql: "UPDATE cases SET doc = ? WHERE id = ?").execute(arguments: [Data(doc), c.id])
        }
    }

    public func nextCounter(_ name: String) throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO ws_counter(name, value) VALUES (?, 1)
                ON CONFLICT(name) DO UPDATE SET value = value + 1
                """, arguments: [name])
            return try Int.fetchOne(db.cachedStatement(sql: "SELECT value FROM ws_counter WHERE name = ?"), arguments: [name]) ?? 1
        }
    }

    public func saveCaseDetails(caseID: String, json: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO ws_case_detail(case_id, json) VALUES (?, ?) ON CONFLICT(case_id) DO NOTHING",
                           arguments: [caseID, json])
        }
    }

    public func caseDetails(caseID: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT json FROM ws_case_detail WHERE case_id = ?"), arguments: [caseID]) }
    }

    // MARK: Issuance and approvals

    public func saveIssuance(_ i: IssuanceRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO ws_issuance(number, case_id, register, certificate, copies, requester, at, at_text, staff,
                    office, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [i.number, i.caseID, i.register, i.certificate, i.copies, i.requester, i.at.millis,
                                 i.at.description, i.staff, i.office, i.eventID])
        }
    }

    public func issuances(caseID: String) throws -> [IssuanceRecord] {
        try pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT number, case_id, register, certificate, copies, requester, at_text, staff, office, event_id
                FROM ws_issuance WHERE case_id = ? ORDER BY number
                """), arguments: [caseID]).map {
                IssuanceRecord(number: $0[0], caseID: $0[1], register: $0[2], certificate: $0[3], copies: $0[4],
                               requester: $0[5], at: Timestamp($0[6] as String) ?? Timestamp(millis: 0),
                               staff: $0[7], office: $0[8], eventID: $0[9])
            }
        }
    }

    public func saveApproval(_ a: ApprovalRequest) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO ws_approval(id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET status = excluded.status, approver = excluded.approver, decided = excluded.decided,
                    note = excluded.note
                """, arguments: [a.id, a.staff, a.office, a.register, a.record, a.caseID, a.reason, a.requested.description,
                                 a.status.rawValue, a.approver, a.decided?.description, a.note])
        }
    }

    private static func approval(_ row: Row) -> ApprovalRequest {
        ApprovalRequest(id: row[0], staff: row[1], office: row[2], register: row[3], record: row[4], caseID: row[5],
                        reason: row[6], requested: Timestamp(row[7] as String) ?? Timestamp(millis: 0),
                        status: ApprovalRequest.Status(rawValue: row[8]) ?? .pending, approver: row[9],
                        decided: (row[10] as String?).flatMap { Timestamp($0) }, note: row[11])
    }

    public func approval(id: String) throws -> ApprovalRequest? {
        try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note
                FROM ws_approval WHERE id = ?
                """), arguments: [id]).map(Self.approval)
        }
    }

    public func spendApproval(id: String, staff: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE ws_approval SET status = ? WHERE id = ? AND staff = ? AND status = ?
                """, arguments: [ApprovalRequest.Status.used.rawValue, id, staff, ApprovalRequest.Status.approved.rawValue])
            return db.changesCount == 1
        }
    }

    public func decideApproval(id: String, status: ApprovalRequest.Status, approver: String, decided: Timestamp,
                               note: String?) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE ws_approval SET status = ?, approver = ?, decided = ?, note = ? WHERE id = ? AND status = ?
                """, arguments: [status.rawValue, approver, decided.description, note, id, ApprovalRequest.Status.pending.rawValue])
            return db.changesCount == 1
        }
    }

    public func pendingApprovals(office: String) throws -> [ApprovalRequest] {
        try pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note
                FROM ws_approval WHERE office = ? AND status = 'pending' ORDER BY requested
                """), arguments: [office]).map(Self.approval)
        }
    }

    public func approvals(staff: String?, office: String?, limit: Int) throws -> [ApprovalRequest] {
        try pool.read { db in
            // `requested` is written with its offset; every workspace writes it in JST, so text order is time order
            // (as for pendingApprovals).
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note
                FROM ws_approval WHERE (?1 IS NULL OR staff = ?1) AND (?2 IS NULL OR office = ?2)
                ORDER BY requested DESC, id DESC LIMIT ?3
                """), arguments: [staff, office, max(0, limit)]).map(Self.approval)
        }
    }
}
