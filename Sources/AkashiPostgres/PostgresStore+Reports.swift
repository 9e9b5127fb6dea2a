import AkashiDomain
import AkashiStorage
import Foundation
import NIOCore
import PostgresNIO

extension PostgresSchema {
    /// The reports' tables (see the SQLite store's `ReportSchema`): 本人通知 registrations and notices, and one-time
    /// access codes (hashes only). None of them holds a ledger entry. SQLite's search-result index (`rp_search`,
    /// `rp_meta`) has no counterpart: this store fills `search_result` as it ingests.
    static let reports: [Migration] = [
        Migration(name: "pg4-reports", sql: [
            """
            CREATE TABLE rp_notice_registration(muni text NOT NULL, person text NOT NULL, registered text NOT NULL,
                address text NOT NULL, updated bigint NOT NULL, PRIMARY KEY(muni, person))
            """,
            // id: the order notices were produced (one sequence for the database, increasing within a municipality).
            """
            CREATE TABLE rp_notice(muni text NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, person text NOT NULL,
                case_id text NOT NULL, issued text NOT NULL, office text NOT NULL, certificate text NOT NULL, copies bigint,
                requester text NOT NULL, produced text NOT NULL, journal_id text NOT NULL,
                journaled boolean NOT NULL DEFAULT false, sent text,
                PRIMARY KEY(muni, id), UNIQUE(muni, person, case_id), UNIQUE(muni, journal_id))
            """,
            "CREATE INDEX rp_notice_unjournaled ON rp_notice(muni, id) WHERE NOT journaled",
            """
            CREATE TABLE rp_access_code(muni text NOT NULL, hash text NOT NULL, person text NOT NULL, from_day text NOT NULL,
                to_day text NOT NULL, created text NOT NULL, expires bigint NOT NULL, expires_text text NOT NULL, used text,
                PRIMARY KEY(muni, hash))
            """,
        ]),
    ]
}

/// The report store's own reads and writes (the rest of `ReportStore` comes from the protocols it refines).
extension PostgresStore {
    // MARK: Findings

    /// Only the two columns a disclosure needs (not the whole finding with its reasons). An explanation is recorded
    /// with its rule; `case_id` is null for one without a case.
    public func explainingCases(accessIDs: [String]) async throws -> [String: String] {
        guard !accessIDs.isEmpty else { return [:] }
        return try await connections.run { s in
            var out: [String: String] = [:]
            // Full findings by access ID; plainly explained ones (keyed by time and ledger index) through the event key.
            let rows = try await s.rows("""
                SELECT access, case_id FROM audit_finding
                WHERE muni = $1 AND access = ANY($2::text[]) AND rule IS NOT NULL AND case_id IS NOT NULL
                UNION ALL
                SELECT k.id, p.case_id FROM event_key k JOIN audit_plain p ON p.muni = k.muni AND p.at = k.at AND p.seq = k.seq
                WHERE k.muni = $1 AND k.id = ANY($2::text[]) AND p.case_id IS NOT NULL
                """.bound(muni, accessIDs))
            for row in rows {
                let (access, caseID) = try row.decode((String, String).self)
                out[access] = caseID
            }
            return out
        }
    }

    // MARK: 本人通知

    /// Creates or replaces a person's registration.
    public func saveNoticeRegistration(_ r: NoticeRegistration) async throws {
        let updated = Int64(Date().timeIntervalSince1970 * 1000)
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO rp_notice_registration(muni, person, registered, address, updated)
                VALUES (\(muni), \(r.person), \(r.registered.description), \(r.address), \(updated))
                ON CONFLICT (muni, person) DO UPDATE SET registered = EXCLUDED.registered, address = EXCLUDED.address,
                    updated = EXCLUDED.updated
                """)
        }
    }

    /// Every registration, in person-ID order (byte order, as the embedded store sorts).
    public func noticeRegistrations() async throws -> [NoticeRegistration] {
        try await connections.run { s in
            try await s.rows("""
                SELECT person, registered, address FROM rp_notice_registration WHERE muni = \(muni) ORDER BY person COLLATE "C"
                """).compactMap { row in
                let (person, day, address) = try row.decode((String, String, String).self)
                guard let d = LocalDate(day) else { return nil }
                return NoticeRegistration(person: person, registered: d, address: address)
            }
        }
    }

    private static let noticeColumns = """
        id, person, case_id, issued, office, certificate, copies, requester, produced, journal_id, journaled, sent
        """

    private static func notice(_ row: PostgresRow) throws -> ResidentNotice? {
        let c = row.makeRandomAccess()
        guard let issued = Timestamp(try c[3].decode(String.self)), let produced = Timestamp(try c[8].decode(String.self))
        else { return nil }
        return ResidentNotice(id: try c[0].decode(Int64.self), person: try c[1].decode(String.self),
                              caseID: try c[2].decode(String.self), issued: issued, office: try c[4].decode(String.self),
                              certificate: try c[5].decode(String.self), copies: try c[6].decode(Int64?.self).map { Int($0) },
                              requester: try c[7].decode(String.self), produced: produced,
                              journalID: try c[9].decode(String.self), journaled: try c[10].decode(Bool.self),
                              sent: try c[11].decode(String?.self).flatMap { Timestamp($0) })
    }

    /// Stores a notice unless one exists for the same person and case; returns the stored notice (new or old) and
    /// whether it is new. The insert reports its own row; when it inserts nothing, the read that follows is a new
    /// statement, so it sees a notice another process committed meanwhile.
    public func insertNotice(_ n: ResidentNotice) async throws -> (notice: ResidentNotice, inserted: Bool) {
        let copies = n.copies.map { Int64($0) }
        return try await connections.run { s in
            var q: PostgresQuery = """
                INSERT INTO rp_notice(muni, person, case_id, issued, office, certificate, copies, requester, produced, journal_id)
                VALUES (\(muni), \(n.person), \(n.caseID), \(n.issued.description), \(n.office), \(n.certificate), \(copies),
                    \(n.requester), \(n.produced.description), \(n.journalID))
                ON CONFLICT DO NOTHING RETURNING
                """
            q.sql += " " + Self.noticeColumns
            if let row = try await s.rows(q).first {
                guard let stored = try Self.notice(row) else {
                    throw StoreError(.damaged, "notice for \(n.person) / \(n.caseID) could not be read back")
                }
                return (stored, true)
            }
            var read: PostgresQuery = "SELECT"
            read.sql += " " + Self.noticeColumns + " FROM rp_notice WHERE muni = $1 AND person = $2 AND case_id = $3"
            read.binds.append(muni)
            read.binds.append(n.person)
            read.binds.append(n.caseID)
            guard let row = try await s.rows(read).first, let stored = try Self.notice(row) else {
                throw StoreError(.damaged, "notice for \(n.person) / \(n.caseID) could not be read back")
            }
            return (stored, false)
        }
    }

    /// Notices in the order they were produced; only those not yet mailed when `pendingOnly`.
    public func notices(pendingOnly: Bool) async throws -> [ResidentNotice] {
        let sql = "SELECT " + Self.noticeColumns + " FROM rp_notice WHERE muni = $1"
            + (pendingOnly ? " AND sent IS NULL" : "") + " ORDER BY id"
        return try await connections.run { s in try await s.rows(sql.bound(muni)).compactMap(Self.notice) }
    }

    /// Notices whose journal event is not (known to be) in the ledger, in the order they were produced.
    public func unjournaledNotices() async throws -> [ResidentNotice] {
        let sql = "SELECT " + Self.noticeColumns + " FROM rp_notice WHERE muni = $1 AND NOT journaled ORDER BY id"
        return try await connections.run { s in try await s.rows(sql.bound(muni)).compactMap(Self.notice) }
    }

    public func markNoticesJournaled(ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await connections.run { s in
            try await s.execute("UPDATE rp_notice SET journaled = true WHERE muni = \(muni) AND id = ANY(\(ids)::bigint[])")
        }
    }

    /// Marks a notice as mailed; `false` when there is no such notice or it was marked already.
    public func markNoticeSent(id: Int64, at: Timestamp) async throws -> Bool {
        try await connections.run { s in
            try await s.execute("""
                UPDATE rp_notice SET sent = \(at.description) WHERE muni = \(muni) AND id = \(id) AND sent IS NULL
                """) > 0
        }
    }

    // MARK: One-time access codes

    public func saveAccessCode(_ c: AccessCodeRecord) async throws {
        try await connections.run { s in
            try await s.execute("""
                INSERT INTO rp_access_code(muni, hash, person, from_day, to_day, created, expires, expires_text, used)
                VALUES (\(muni), \(c.hash), \(c.person), \(c.from.description), \(c.to.description), \(c.created.description),
                    \(c.expires.millis), \(c.expires.description), \(c.used?.description))
                """)
        }
    }

    private static let accessCodeColumns = "hash, person, from_day, to_day, created, expires_text, used"

    private static func accessCode(_ row: PostgresRow) throws -> AccessCodeRecord? {
        let (hash, person, from, to, created, expires, used) =
            try row.decode((String, String, String, String, String, String, String?).self)
        guard let f = LocalDate(from), let t = LocalDate(to), let c = Timestamp(created), let e = Timestamp(expires)
        else { return nil }
        return AccessCodeRecord(hash: hash, person: person, from: f, to: t, created: c, expires: e,
                                used: used.flatMap { Timestamp($0) })
    }

    /// Atomically marks the code as used at `at` if it exists, is unused and has not expired: one statement, so that
    /// of several servers presenting the same code at once exactly one gets it back.
    public func consumeAccessCode(hash: String, at: Timestamp) async throws -> AccessCodeRecord? {
        var q: PostgresQuery = """
            UPDATE rp_access_code SET used = \(at.description)
            WHERE muni = \(muni) AND hash = \(hash) AND used IS NULL AND expires > \(at.millis) RETURNING
            """
        q.sql += " " + Self.accessCodeColumns
        return try await connections.run { s in try await s.rows(q).first.flatMap(Self.accessCode) }
    }

    public func revokeAccessCode(hash: String, at: Timestamp) async throws -> Bool {
        try await connections.run { s in
            try await s.execute("""
                UPDATE rp_access_code SET expires = \(at.millis), expires_text = \(at.description)
                WHERE muni = \(muni) AND hash = \(hash) AND expires > \(at.millis)
                """) == 1
        }
    }

    public func accessCodes(person: String, limit: Int) async throws -> [AccessCodeRecord] {
        let sql = "SELECT " + Self.accessCodeColumns
            + " FROM rp_access_code WHERE muni = $1 AND person = $2 ORDER BY expires DESC, hash COLLATE \"C\" LIMIT $3"
        return try await connections.run { s in
            try await s.rows(sql.bound(muni, person, max(0, limit))).compactMap { try Self.accessCode($0) }
        }
    }

    public func accessCode(hash: String) async throws -> AccessCodeRecord? {
        let sql = "SELECT " + Self.accessCodeColumns + " FROM rp_access_code WHERE muni = $1 AND hash = $2"
        return try await connections.run { s in try await s.rows(sql.bound(muni, hash)).first.flatMap(Self.accessCode) }
    }
}

extension String {
    /// The statement with `$1`, `$2`, … bound to `values` in order.
    func bound(_ values: any PostgresDynamicTypeEncodable & Sendable...) -> PostgresQuery {
        var q = PostgresQuery(unsafeSQL: self)
        for v in values { q.binds.append(v) }
        return q
    }
}
