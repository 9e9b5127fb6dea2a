import AkashiDomain
import AkashiStorage
import Foundation
import GRDB

/// The auditor console's tables: investigations and their steps (with optional uploaded interview files),
/// suppressions, alerts and small settings. None of them holds a ledger entry; every change is journaled by the web
/// app. Steps and suppressions are append-only.
enum ConsoleSchema {
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v6-console") { db in
            try db.execute(sql: """
                CREATE TABLE console_investigation(id TEXT PRIMARY KEY NOT NULL, finding TEXT, staff TEXT NOT NULL,
                    register TEXT, reasons TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL, assignee TEXT,
                    opened_by TEXT NOT NULL, opened TEXT NOT NULL, opened_ms INTEGER NOT NULL, disposition TEXT,
                    rule TEXT, decided_by TEXT, decided TEXT) WITHOUT ROWID;
                CREATE INDEX console_investigation_staff ON console_investigation(staff);
                CREATE INDEX console_investigation_finding ON console_investigation(finding);
                CREATE TABLE console_entry(id INTEGER PRIMARY KEY, investigation TEXT NOT NULL, kind TEXT NOT NULL,
                    author TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL, file_name TEXT, file BLOB,
                    journal TEXT NOT NULL);
                CREATE INDEX console_entry_investigation ON console_entry(investigation, id);
                CREATE TRIGGER console_entry_no_update BEFORE UPDATE ON console_entry
                    BEGIN SELECT RAISE(ABORT, 'investigation steps are append-only'); END;
                CREATE TRIGGER console_entry_no_delete BEFORE DELETE ON console_entry
                    BEGIN SELECT RAISE(ABORT, 'investigation steps are append-only'); END;
                CREATE TABLE console_suppression(id INTEGER PRIMARY KEY, investigation TEXT NOT NULL, staff TEXT,
                    register TEXT, reasons TEXT NOT NULL, rule TEXT NOT NULL, created_by TEXT NOT NULL,
                    created TEXT NOT NULL);
                CREATE TRIGGER console_suppression_no_update BEFORE UPDATE ON console_suppression
                    BEGIN SELECT RAISE(ABORT, 'suppressions are append-only'); END;
                CREATE TABLE console_alert(seq INTEGER PRIMARY KEY NOT NULL, access TEXT NOT NULL, at TEXT NOT NULL,
                    staff TEXT NOT NULL, office TEXT, register TEXT, kinds TEXT NOT NULL, reason TEXT);
                CREATE TABLE console_meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
    }
}

extension SQLiteStore: ConsoleStore {
    static func codes(_ s: String) -> [String] { s.split(separator: ",").map(String.init) }

    static func investigation(_ r: Row) -> Investigation {
        Investigation(id: r["id"], finding: r["finding"], staff: r["staff"], register: r["register"],
                      reasonCodes: codes(r["reasons"]), title: r["title"], status: r["status"], assignee: r["assignee"],
                      openedBy: r["opened_by"], opened: Timestamp(r["opened"] as String) ?? Timestamp(millis: 0),
                      disposition: (r["disposition"] as String?).flatMap(Disposition.init(rawValue:)), rule: r["rule"],
                      decidedBy: r["decided_by"], decided: (r["decided"] as String?).flatMap { Timestamp($0) })
    }

    public func saveInvestigation(_ i: Investigation) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO console_investigation(id, finding, staff, register, reasons, title, status, assignee,
                    opened_by, opened, opened_ms, disposition, rule, decided_by, decided)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [i.id, i.finding, i.staff, i.register, i.reasonCodes.joined(separator: ","), i.title,
                                 i.status, i.assignee, i.openedBy, i.opened.description, i.opened.millis,
                                 i.disposition?.rawValue, i.rule, i.decidedBy, i.decided?.description])
        }
    }

    public func investigation(id: String) throws -> Investigation? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM console_investigation WHERE id = ?", arguments: [id]).map(Self.investigation)
        }
    }

    public func investigations(status: String?, staff: String?, finding: String?) throws -> [Investigation] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM console_investigation
                WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR staff = ?2) AND (?3 IS NULL OR finding = ?3)
                ORDER BY opened_ms DESC, id DESC
                """, arguments: [status, staff, finding]).map(Self.investigation)
        }
    }

    @discardableResult
    public func addInvestigationEntry(_ e: InvestigationEntry, file: [UInt8]?) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO console_entry(investigation, kind, author, at, text, file_name, file, journal)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [e.investigation, e.kind, e.author, e.at.description, e.text, e.fileName,
                                 file.map { Data($0) }, e.journal])
            return db.lastInsertedRowID
        }
    }

    public func investigationEntries(investigation: String) throws -> [InvestigationEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, investigation, kind, author, at, text, file_name, length(file) AS size, journal
                FROM console_entry WHERE investigation = ? ORDER BY id
                """, arguments: [investigation]).map { r in
                InvestigationEntry(id: r["id"], investigation: r["investigation"], kind: r["kind"], author: r["author"],
                                   at: Timestamp(r["at"] as String) ?? Timestamp(millis: 0), text: r["text"],
                                   fileName: r["file_name"], fileSize: r["size"], journal: r["journal"])
            }
        }
    }

    public func investigationFile(entry: Int64) throws -> (name: String, bytes: [UInt8])? {
        try pool.read { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT file_name, file FROM console_entry WHERE id = ? AND file IS NOT NULL",
                                           arguments: [entry]) else { return nil }
            let data: Data = r["file"]
            return ((r["file_name"] as String?) ?? "file", [UInt8](data))
        }
    }

    @discardableResult
    public func addSuppression(_ s: Suppression) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO console_suppression(investigation, staff, register, reasons, rule, created_by, created,
                    needs_confirmation)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [s.investigation, s.staff, s.register, s.reasonCodes.joined(separator: ","), s.rule,
                                 s.createdBy, s.created.description, s.needsConfirmation])
            return db.lastInsertedRowID
        }
    }

    public func suppressions() throws -> [Suppression] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.*, d.decision, d.decided_by, d.at AS decided_at, d.journal AS decision_journal
                FROM console_suppression s LEFT JOIN console_suppression_decision d ON d.suppression = s.id
                ORDER BY s.id
                """).map { r in
                var decision: SuppressionDecision?
                if let kind = (r["decision"] as String?).flatMap(SuppressionDecision.Kind.init(rawValue:)) {
                    decision = SuppressionDecision(kind: kind, by: r["decided_by"],
                                                   at: Timestamp(r["decided_at"] as String) ?? Timestamp(millis: 0),
                                                   journal: r["decision_journal"])
                }
                return Suppression(id: r["id"], investigation: r["investigation"], staff: r["staff"], register: r["register"],
                                   reasonCodes: Self.codes(r["reasons"]), rule: r["rule"], createdBy: r["created_by"],
                                   created: Timestamp(r["created"] as String) ?? Timestamp(millis: 0),
                                   needsConfirmation: r["needs_confirmation"], decision: decision)
            }
        }
    }

    public func decideSuppression(id: Int64, _ d: SuppressionDecision) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO console_suppression_decision(suppression, decision, decided_by, at, journal)
                SELECT id, ?, ?, ?, ? FROM console_suppression WHERE id = ? AND needs_confirmation AND created_by <> ?
                ON CONFLICT(suppression) DO NOTHING
                """, arguments: [d.kind.rawValue, d.by, d.at.description, d.journal, id, d.by])
            return db.changesCount > 0
        }
    }

    public func consoleValue(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM console_meta WHERE key = ?", arguments: [key]) }
    }

    public func setConsoleValue(_ key: String, _ value: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO console_meta(key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    public func saveAlerts(_ alerts: [ConsoleAlert]) throws {
        guard !alerts.isEmpty else { return }
        try pool.write { db in
            for a in alerts {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO console_alert(seq, access, at, staff, office, register, kinds, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [Int64(a.seq), a.access, a.at.description, a.staff, a.office, a.register,
                                     a.kinds.joined(separator: ","), a.reason])
            }
        }
    }

    public func alerts(limit: Int) throws -> [ConsoleAlert] { try alerts(limit: limit, below: nil) }

    public func alerts(limit: Int, below seq: UInt64?) throws -> [ConsoleAlert] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM console_alert WHERE (? IS NULL OR seq < ?) ORDER BY seq DESC LIMIT ?",
                             arguments: [seq.map { Int64(clamping: $0) }, seq.map { Int64(clamping: $0) }, limit]).map { r in
                ConsoleAlert(seq: UInt64(r["seq"] as Int64), access: r["access"],
                             at: Timestamp(r["at"] as String) ?? Timestamp(millis: 0), staff: r["staff"],
                             office: r["office"], register: r["register"], kinds: Self.codes(r["kinds"]), reason: r["reason"])
            }
        }
    }

    public func holdFindings(investigation: String, accesses: [String]) throws {
        guard !accesses.isEmpty else { return }
        try pool.write { db in
            for a in accesses {
                try db.execute(sql: "INSERT OR IGNORE INTO console_held_finding(investigation, access) VALUES (?, ?)",
                               arguments: [investigation, a])
            }
        }
    }

    public func heldFindings(investigation: String?, access: String?) throws -> [HeldFinding] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT investigation, access FROM console_held_finding
                WHERE (? IS NULL OR investigation = ?) AND (? IS NULL OR access = ?) ORDER BY investigation, access
                """, arguments: [investigation, investigation, access, access]).map {
                HeldFinding(investigation: $0["investigation"], access: $0["access"])
            }
        }
    }
}
