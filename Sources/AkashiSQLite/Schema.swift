import GRDB

/// The embedded store's schema, only through named migrations.
enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-records-ledger") { db in
            // Reference records: the canonical JSON is the record; columns are for lookups.
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
                    doc BLOB NOT NULL) WITHOUT ROWID;
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
                CREATE INDEX event_staff_at ON event(staff, at);
                CREATE INDEX event_register_at ON event(register, at) WHERE register IS NOT NULL;
                CREATE INDEX event_person_at ON event(person, at) WHERE person IS NOT NULL;
                CREATE INDEX event_case ON event(case_id) WHERE case_id IS NOT NULL;
                CREATE INDEX event_office_day ON event(office, day);
                CREATE TRIGGER event_no_update BEFORE UPDATE ON event
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: an event cannot be changed'); END;
                CREATE TRIGGER event_no_delete BEFORE DELETE ON event
                    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: an event cannot be deleted'); END;
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
        return m
    }
}
