import AkashiDomain
import AkashiStorage
import Foundation
import PostgresNIO

extension PostgresSchema {
    /// Issue 19 (the pages after a POST; see the SQLite store's `SubmissionSchema`): form submissions of
    /// post/redirect/get, the note a supervisor writes with a decision, and a staff member's own approval requests.
    static let submissions: [Migration] = [
        Migration(name: "pg7-submissions-approval-notes", sql: [
            """
            CREATE TABLE ws_submission(muni text NOT NULL, key text NOT NULL, owner text NOT NULL, kind text NOT NULL,
                created bigint NOT NULL, expires bigint NOT NULL, result text, PRIMARY KEY(muni, key))
            """,
            "CREATE INDEX ws_submission_expires ON ws_submission(muni, expires)",
            "ALTER TABLE ws_approval ADD COLUMN note text",
            "CREATE INDEX ws_approval_staff ON ws_approval(muni, staff, requested)",
        ]),
    ]
}

extension PostgresStore {
    // MARK: Approvals of a staff member or an office

    public func approvals(staff: String?, office: String?, limit: Int) async throws -> [ApprovalRequest] {
        if let staff, !Self.storable(staff) { return [] }
        if let office, !Self.storable(office) { return [] }
        return try await connections.run { s in
            try await s.rows("""
                SELECT id, staff, office, register, record, case_id, reason, requested, status, approver, decided, note
                FROM ws_approval WHERE muni = \(muni) AND (\(staff)::text IS NULL OR staff = \(staff)::text)
                    AND (\(office)::text IS NULL OR office = \(office)::text)
                ORDER BY requested COLLATE "C" DESC, id COLLATE "C" DESC LIMIT \(Int64(max(0, limit)))
                """).map(Self.approval)
        }
    }

    // MARK: Form submissions

    /// One conditional write (`INSERT … ON CONFLICT DO UPDATE … WHERE expired`): of two simultaneous claims the second
    /// waits for the first's row lock, finds a live submission and changes nothing.
    public func claimSubmission(_ sub: FormSubmission) async throws -> FormSubmission? {
        let claimed = try await connections.run { s in
            try await s.execute("""
                INSERT INTO ws_submission(muni, key, owner, kind, created, expires, result)
                VALUES (\(muni), \(sub.key), \(sub.owner), \(sub.kind), \(sub.created), \(sub.expires), NULL)
                ON CONFLICT (muni, key) DO UPDATE SET owner = EXCLUDED.owner, kind = EXCLUDED.kind, created = EXCLUDED.created,
                    expires = EXCLUDED.expires, result = NULL
                WHERE ws_submission.expires <= EXCLUDED.created
                """) == 1
        }
        if claimed { return nil }
        return try await submission(key: sub.key)
    }

    public func completeSubmission(key: String, owner: String, result: String, expires: Int64) async throws {
        try await connections.run { s in
            try await s.execute("""
                UPDATE ws_submission SET result = \(result), expires = \(expires)
                WHERE muni = \(muni) AND key = \(key) AND owner = \(owner)
                """)
        }
    }

    public func renewSubmissions(keys: [String], expires: Int64) async throws {
        let keys = keys.filter(Self.storable)
        guard !keys.isEmpty else { return }
        try await connections.run { s in
            try await s.execute("""
                UPDATE ws_submission SET expires = \(expires)
                WHERE muni = \(muni) AND key = ANY(\(keys)) AND result IS NULL
                """)
        }
    }

    public func releaseSubmission(key: String, owner: String) async throws {
        try await connections.run { s in
            try await s.execute("""
                DELETE FROM ws_submission WHERE muni = \(muni) AND key = \(key) AND owner = \(owner) AND result IS NULL
                """)
        }
    }

    public func submission(key: String) async throws -> FormSubmission? {
        guard Self.storable(key) else { return nil }
        return try await connections.run { s in
            try await s.rows("""
                SELECT key, owner, kind, created, expires, result FROM ws_submission WHERE muni = \(muni) AND key = \(key)
                """).first.map { row in
                let (key, owner, kind, created, expires, result) = try row.decode((String, String, String, Int64, Int64, String?).self)
                return FormSubmission(key: key, owner: owner, kind: kind, created: created, expires: expires, result: result)
            }
        }
    }

    public func deleteSubmissions(expiredBefore millis: Int64) async throws {
        try await connections.run { s in
            try await s.execute("DELETE FROM ws_submission WHERE muni = \(muni) AND expires < \(millis)")
        }
    }

    // MARK: Surveys

    public func surveys() async throws -> [SurveyCount] {
        try await connections.run { s in
            try await s.rows("""
                SELECT survey, count(*) FROM self_report WHERE muni = \(muni) GROUP BY survey ORDER BY survey COLLATE "C"
                """).map { row in
                let (survey, n) = try row.decode((String, Int64).self)
                return SurveyCount(survey: survey, answers: Int(n))
            }
        }
    }
}
