import AkashiDomain
import AkashiStorage
import Foundation
import GRDB

/// Issue 19 (the pages after a POST): the form submissions of post/redirect/get, the note a supervisor writes with a
/// decision, and a lookup of a staff member's own approval requests. None of them holds a ledger entry.
enum SubmissionSchema {
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v10-submissions-approval-notes") { db in
            try db.execute(sql: """
                CREATE TABLE ws_submission(key TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, kind TEXT NOT NULL,
                    created INTEGER NOT NULL, expires INTEGER NOT NULL, result TEXT) WITHOUT ROWID;
                CREATE INDEX ws_submission_expires ON ws_submission(expires);
                ALTER TABLE ws_approval ADD COLUMN note TEXT;
                CREATE INDEX ws_approval_staff ON ws_approval(staff, requested);
                """)
        }
    }
}

extension SQLiteStore {
    // MARK: Form submissions

    public func claimSubmission(_ s: FormSubmission) throws -> FormSubmission? {
        try pool.write { db in
            // One statement: a new key is inserted; a key whose submission has expired is taken over; a live one is
            // left alone (no row changed) and returned.
            try db.execute(sql: """
                INSERT INTO ws_submission(key, owner, kind, created, expires, result) VALUES (?, ?, ?, ?, ?, NULL)
                ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, kind = excluded.kind, created = excluded.created,
                    expires = excluded.expires, result = NULL
                WHERE ws_submission.expires <= excluded.created
                """, arguments: [s.key, s.owner, s.kind, s.created, s.expires])
            if db.changesCount == 1 { return nil }
            return try Self.submission(db, key: s.key)
        }
    }

    public func completeSubmission(key: String, owner: String, result: String, expires: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE ws_submission SET result = ?, expires = ? WHERE key = ? AND owner = ?",
                           arguments: [result, expires, key, owner])
        }
    }

    public func renewSubmissions(keys: [String], expires: Int64) throws {
        guard !keys.isEmpty else { return }
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "UPDATE ws_submission SET expires = ? WHERE key = ? AND result IS NULL")
            for key in keys { try statement.execute(arguments: [expires, key]) }
        }
    }

    public func releaseSubmission(key: String, owner: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM ws_submission WHERE key = ? AND owner = ? AND result IS NULL",
                           arguments: [key, owner])
        }
    }

    public func submission(key: String) throws -> FormSubmission? {
        try pool.read { db in try Self.submission(db, key: key) }
    }

    public func deleteSubmissions(expiredBefore millis: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM ws_submission WHERE expires < ?", arguments: [millis])
        }
    }

    private static func submission(_ db: Database, key: String) throws -> FormSubmission? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT key, owner, kind, created, expires, result FROM ws_submission WHERE key = ?
            """), arguments: [key]).map {
            FormSubmission(key: $0[0], owner: $0[1], kind: $0[2], created: $0[3], expires: $0[4], result: $0[5])
        }
    }

    // MARK: Surveys

    public func surveys() throws -> [SurveyCount] {
        try pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT survey, count(*) FROM self_report GROUP BY survey ORDER BY survey
                """)).map { SurveyCount(survey: $0[0], answers: $0[1]) }
        }
    }
}
