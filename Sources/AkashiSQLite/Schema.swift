import GRDB

/// The embedded store's schema, only through named migrations.
enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-records-ledger") { db in
            // Reference records: the canonical JSON is the record; columns are for lookups.
            // (cases keeps a rowid: its order of arrival, so the audit can find cases that came since its last run.)
            try db.execute(sql: """
                CREATE TABLE office(code TEXT PRIMARY KEY NOT NULL, doc BLOB NOT NULL) WITHOUT ROWID;
                CREATE TABLE staff(id TEXT PRIMARY KEY NOT NULL, person TEXT, doc BLOB NOT NULL) WITHOUT ROWID;
                CREATE TABLE register(id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, office TEXT NOT NULL,
                    honseki TEXT NOT NULL, head TEXT, doc BLOB NOT NULL) WITHOUT ROWID;
                CREATE INDEX register_honseki ON register(honseki);
                CREATE TABLE register_member(register TEXT NOT NULL, person TEXT NOT NULL,
                    PRIMARY KEY(person, register)) WITHOUT ROWID;
                CREATE TABLE person(id TEXT PRIMARY KEY NOT NULL, register TEXT NOT NULL, name TEXT NOT NULL,
                    kana TEXT, birth TEXT, doc BLOB NOT NULL) WITHOUT ROWID;
                CREATE INDEX person_register ON person(register);
                CREATE INDEX person_name ON person(name);
                CREATE INDEX person_kana ON person(kana);
                CREATE TABLE protection(key TEXT PRIMARY KEY NOT NULL, person TEXT NOT NULL, kind TEXT NOT NULL,
                    doc BLOB NOT NULL) WITHOUT ROWID;
                CREATE INDEX protection_person ON protection(person);
                CREATE TABLE cases(id TEXT PRIMARY KEY NOT NULL, office TEXT NOT NULL, received INTEGER NOT NULL,
                    doc BLOB NOT NULL);
                CREATE INDEX cases_office_received ON cases(office, received);
                CREATE TABLE case_register(register TEXT NOT NULL, case_id TEXT NOT NULL,
                    PRIMARY KEY(register, case_id)) WITHOUT ROWID;
                CREATE TABLE case_person(person TEXT NOT NULL, case_id TEXT NOT NULL,
                    PRIMARY KEY(person, case_id)) WITHOUT ROWID;
                CREATE TABLE case_staff(staff TEXT NOT NULL, case_id TEXT NOT NULL,
                    PRIMARY KEY(staff, case_id)) WITHOUT ROWID;
                CREATE TABLE self_report(key TEXT PRIMARY KEY NOT NULL, survey TEXT NOT NULL, staff TEXT NOT NULL,
                    doc BLOB NOT NULL) WITHOUT ROWID;
                """)
            // The ledger: every event, in order. seq is the ledger index; entry the exact leaf bytes.
            try db.execute(sql: """
                CREATE TABLE event(
                    seq INTEGER PRIMARY KEY NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    staff TEXT,
                    office TEXT,
                    register TEXT,
                    person TEXT,
                    case_id TEXT,
                    entry BLOB NOT NULL);
                CREATE UNIQUE INDEX event_id ON event(id);
                -- Lookup indexes as covering side tables, filled in key order per batch (sorted inserts keep the
                -- B-trees' pages hot, which is what lets an import run at several hundred thousand events/s).
                CREATE TABLE ix_staff(staff TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY(staff, at, seq)) WITHOUT ROWID;
                CREATE TABLE ix_register(register TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY(register, at, seq)) WITHOUT ROWID;
                CREATE TABLE ix_person(person TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY(person, at, seq)) WITHOUT ROWID;
                CREATE TABLE ix_case(case_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(case_id, seq)) WITHOUT ROWID;
                CREATE TABLE ix_office(office TEXT NOT NULL, day INTEGER NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY(office, day, seq)) WITHOUT ROWID;
                CREATE TRIGGER event_no_update BEFORE UPDATE ON event
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: an event cannot be changed'); END;
                CREATE TRIGGER event_no_delete BEFORE DELETE ON event
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: an event cannot be deleted'); END;
                CREATE TRIGGER ix_staff_no_delete BEFORE DELETE ON ix_staff BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_staff_no_update BEFORE UPDATE ON ix_staff BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_register_no_delete BEFORE DELETE ON ix_register BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_register_no_update BEFORE UPDATE ON ix_register BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_person_no_delete BEFORE DELETE ON ix_person BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_person_no_update BEFORE UPDATE ON ix_person BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_case_no_delete BEFORE DELETE ON ix_case BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_case_no_update BEFORE UPDATE ON ix_case BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_office_no_delete BEFORE DELETE ON ix_office BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TRIGGER ix_office_no_update BEFORE UPDATE ON ix_office BEGIN SELECT RAISE(ABORT, 'append-only'); END;
                CREATE TABLE ledger_tile(level INTEGER NOT NULL, idx INTEGER NOT NULL, hashes BLOB NOT NULL,
                    PRIMARY KEY(level, idx)) WITHOUT ROWID;
                CREATE TRIGGER ledger_tile_grow_only BEFORE UPDATE ON ledger_tile
                    WHEN length(NEW.hashes) < length(OLD.hashes)
                      OR substr(NEW.hashes, 1, length(OLD.hashes)) IS NOT OLD.hashes
                    BEGIN SELECT RAISE(ABORT, 'ledger tiles only grow'); END;
                CREATE TRIGGER ledger_tile_no_delete BEFORE DELETE ON ledger_tile
                    BEGIN SELECT RAISE(ABORT, 'ledger tiles cannot be deleted'); END;
                CREATE TABLE ledger_checkpoint(size INTEGER PRIMARY KEY NOT NULL, root BLOB NOT NULL,
                    note TEXT NOT NULL);
                CREATE TRIGGER ledger_checkpoint_no_update BEFORE UPDATE ON ledger_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                CREATE TRIGGER ledger_checkpoint_no_delete BEFORE DELETE ON ledger_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                CREATE TABLE quarantine(id INTEGER PRIMARY KEY, file TEXT NOT NULL, line INTEGER NOT NULL,
                    reason TEXT NOT NULL, raw BLOB NOT NULL, UNIQUE(raw, reason));
                """)
        }
        m.registerMigration("v2-ledger-meta") { db in
            try db.execute(sql: "CREATE TABLE ledger_meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID")
        }
        WorkspaceSchema.register(&m)
        AuditSchema.register(&m)
        ReportSchema.register(&m)
        ConsoleSchema.register(&m)
        m.registerMigration("v3-lookup-watermark") { db in
            // Events below this ledger index have their lookup-index rows (until now every commit indexed its own).
            try db.execute(sql: """
                INSERT OR IGNORE INTO ledger_meta(key, value)
                SELECT 'lookup_indexed', CAST(coalesce(max(seq) + 1, 0) AS TEXT) FROM event
                """)
        }
        m.registerMigration("v6-lookup-pending") { db in
            // The watermark, rewritten by every commit, becomes a marker present only while an import's events wait
            // for their lookup rows.
            try db.execute(sql: """
                INSERT OR IGNORE INTO ledger_meta(key, value)
                SELECT 'lookup_pending', value FROM ledger_meta WHERE key = 'lookup_indexed'
                    AND CAST(value AS INTEGER) < (SELECT coalesce(max(seq) + 1, 0) FROM event);
                DELETE FROM ledger_meta WHERE key = 'lookup_indexed';
                """)
        }
        m.registerMigration("v7-audit-plain-slim") { db in
            // A plain explained access keeps only what the sweep worked out (rule, case, the person and office it
            // settled on); its ID, staff, time and register are the event's own, read through the ledger index.
            try db.execute(sql: """
                CREATE TABLE audit_plain_v7(
                    seq INTEGER PRIMARY KEY NOT NULL,
                    rule TEXT NOT NULL,
                    case_id TEXT,
                    person TEXT,
                    office TEXT);
                INSERT INTO audit_plain_v7(seq, rule, case_id, person, office)
                    SELECT seq, rule, case_id, person, office FROM audit_plain ORDER BY seq;
                DROP TABLE audit_plain;
                ALTER TABLE audit_plain_v7 RENAME TO audit_plain;
                """)
        }
        m.registerMigration("v8-self-report-key") { db in try db.execute(sql: selfReportKeys) }
        m.registerMigration("v9-suppression-no-delete") { db in
            // Suppressions were protected from updates only; docs/console.md promises they cannot be removed either.
            try db.execute(sql: """
                CREATE TRIGGER console_suppression_no_delete BEFORE DELETE ON console_suppression
                    BEGIN SELECT RAISE(ABORT, 'suppressions are append-only'); END;
                """)
        }
        SubmissionSchema.register(&m)
        m.registerMigration("v11-signin-by-address") { db in
            // Issue 18, F-6: failed sign-ins are counted per account and client address (a stranger's guesses lock
            // out only the stranger's address), under a ceiling per account over a longer window (window_start).
            // A lock set before this migration stays until it expires.
            try db.execute(sql: """
                ALTER TABLE ws_account ADD COLUMN window_start INTEGER;
                CREATE TABLE ws_signin_failure(staff TEXT NOT NULL, address TEXT NOT NULL, failures INTEGER NOT NULL,
                    window_start INTEGER NOT NULL, locked_until INTEGER, PRIMARY KEY(staff, address)) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v12-suppression-confirmation") { db in
            // Issue 18, F-14: a suppression across staff needs a second auditor. The decision is a row of its own,
            // appended; the suppression is never changed. Suppressions made before this migration stay in effect.
            try db.execute(sql: """
                ALTER TABLE console_suppression ADD COLUMN needs_confirmation INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE console_suppression_decision(suppression INTEGER PRIMARY KEY NOT NULL, decision TEXT NOT NULL,
                    decided_by TEXT NOT NULL, at TEXT NOT NULL, journal TEXT NOT NULL);
                CREATE TRIGGER console_suppression_decision_no_update BEFORE UPDATE ON console_suppression_decision
                    BEGIN SELECT RAISE(ABORT, 'suppression decisions are append-only'); END;
                CREATE TRIGGER console_suppression_decision_no_delete BEFORE DELETE ON console_suppression_decision
                    BEGIN SELECT RAISE(ABORT, 'suppression decisions are append-only'); END;
                """)
        }
        m.registerMigration("v13-console-held-findings") { db in
            // Issue 19 (auditor console), A-4: an investigation opened from a worklist group holds every finding of
            // the group. Appended only: a finding, once held, stays held.
            try db.execute(sql: """
                CREATE TABLE console_held_finding(investigation TEXT NOT NULL, access TEXT NOT NULL,
                    PRIMARY KEY(investigation, access)) WITHOUT ROWID;
                CREATE INDEX console_held_finding_access ON console_held_finding(access);
                CREATE TRIGGER console_held_finding_no_update BEFORE UPDATE ON console_held_finding
                    BEGIN SELECT RAISE(ABORT, 'held findings are append-only'); END;
                CREATE TRIGGER console_held_finding_no_delete BEFORE DELETE ON console_held_finding
                    BEGIN SELECT RAISE(ABORT, 'held findings are append-only'); END;
                """)
        }
        m.registerMigration("v14-signin-open-claims") { db in
            // Issue 18 (fault test): a claimed password check stays open until its outcome is recorded (`open_at`, the
            // claim times of the open ones); one still open long after it was made was cut off by a killed server,
            // and is given back.
            try db.execute(sql: "ALTER TABLE ws_signin_failure ADD COLUMN open_at TEXT NOT NULL DEFAULT ''")
        }
        return m
    }

    /// Rewrites self-report keys as `SelfReport.key` makes them now, escaping `|` and `\` inside the survey and staff
    /// IDs: "A|B" + "C" and "A" + "B|C" shared the key "A|B|C". Only keys of IDs holding either character change.
    static let selfReportKeys = #"""
        UPDATE self_report SET key =
            replace(replace(survey, '\', '\\'), '|', '\|') || '|' || replace(replace(staff, '\', '\\'), '|', '\|')
        WHERE instr(survey, '|') > 0 OR instr(survey, '\') > 0 OR instr(staff, '|') > 0 OR instr(staff, '\') > 0
        """#
}
