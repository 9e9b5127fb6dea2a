import AkashiDomain
import AkashiLedger
import AkashiStorage
import GRDBSQLite

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement on the raw SQLite API: the import hot path binds values without boxing them.
final class RawStatement {
    let handle: OpaquePointer
    let db: OpaquePointer

    init(_ db: OpaquePointer, _ sql: String) throws {
        self.db = db
        var h: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &h, nil)
        guard rc == SQLITE_OK, let h else { throw StoreError(.database, "prepare failed: \(String(cString: sqlite3_errmsg(db)))") }
        handle = h
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ i: Int32, _ s: String?) {
        guard var s else { sqlite3_bind_null(handle, i); return }
        s.withUTF8 { u in _ = sqlite3_bind_text(handle, i, u.baseAddress, Int32(u.count), transient) }
    }

    func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(handle, i, v) }

    func bind(_ i: Int32, blob: [UInt8]) {
        blob.withUnsafeBytes { b in _ = sqlite3_bind_blob(handle, i, b.baseAddress, Int32(b.count), transient) }
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    func run() throws -> Int32 {
        defer { sqlite3_reset(handle) }
        let rc = sqlite3_step(handle)
        guard rc == SQLITE_DONE else { throw StoreError(.database, "SQLite: \(String(cString: sqlite3_errmsg(db)))") }
        return sqlite3_changes(db)
    }

    /// Runs a query and returns column 0 of the first row as bytes.
    func firstBlob() throws -> [UInt8]? {
        defer { sqlite3_reset(handle) }
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw StoreError(.database, "SQLite: \(String(cString: sqlite3_errmsg(db)))") }
        let n = Int(sqlite3_column_bytes(handle, 0))
        guard n > 0, let p = sqlite3_column_blob(handle, 0) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// Writes ingested records with raw prepared statements inside the caller's transaction.
final class RawWriter {
    let event, eventEntry, journalEvent: RawStatement
    /// Fill the lookup indexes from the event rows of a ledger range, each in key order (see ``indexLookups(_:)``).
    let ixStaff, ixRegister, ixPerson, ixCase, ixOffice: RawStatement
    let office, officeDoc, staff, staffDoc, register, registerDoc, member, person, personDoc: RawStatement
    let protection, protectionDoc, caseRow, caseDoc, caseRegister, casePerson, caseStaff, selfReport, selfReportDoc: RawStatement
    let tile: RawStatement
    /// The transaction around a commit, and the lookup-pending marker: prepared once (through GRDB each was parsed
    /// again on every commit of the workspace's one-event transactions).
    let begin, commit, rollback, lookupPending: RawStatement

    /// The connection the statements belong to.
    let connection: OpaquePointer

    init(_ db: OpaquePointer) throws {
        connection = db
        begin = try RawStatement(db, "BEGIN IMMEDIATE")
        commit = try RawStatement(db, "COMMIT")
        rollback = try RawStatement(db, "ROLLBACK")
        lookupPending = try RawStatement(db, "SELECT value FROM ledger_meta WHERE key = 'lookup_pending'")
        event = try RawStatement(db, """
            INSERT INTO event(seq, id, type, at, day, staff, office, register, person, case_id, entry)
            VALUES (?1, ?2, 'access', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO NOTHING
            """)
        eventEntry = try RawStatement(db, "SELECT entry FROM event WHERE id = ?1")
        journalEvent = try RawStatement(db, """
            INSERT INTO event(seq, id, type, at, day, staff, office, register, person, case_id, entry)
            VALUES (?1, ?2, 'journal', ?3, ?4, ?5, ?6, NULL, NULL, NULL, ?7)
            """)
        func fill(_ table: String, _ columns: String, from: String, key: String) throws -> RawStatement {
            try RawStatement(db, """
                INSERT OR IGNORE INTO \(table)(\(columns)) SELECT \(from) FROM event
                WHERE seq >= ?1 AND seq < ?2 AND \(key) IS NOT NULL ORDER BY \(from)
                """)
        }
        ixStaff = try fill("ix_staff", "staff, at, seq", from: "staff, at, seq", key: "staff")
        ixRegister = try fill("ix_register", "register, at, seq", from: "register, at, seq", key: "register")
        ixPerson = try fill("ix_person", "person, at, seq", from: "person, at, seq", key: "person")
        ixCase = try fill("ix_case", "case_id, seq", from: "case_id, seq", key: "case_id")
        ixOffice = try fill("ix_office", "office, day, seq", from: "office, day, seq", key: "office")
        office = try RawStatement(db, "INSERT INTO office(code, doc) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
        officeDoc = try RawStatement(db, "SELECT doc FROM office WHERE code = ?1")
        staff = try RawStatement(db, "INSERT INTO staff(id, person, doc) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
        staffDoc = try RawStatement(db, "SELECT doc FROM staff WHERE id = ?1")
        register = try RawStatement(db, """
            INSERT INTO register(id, kind, office, honseki, head, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING
            """)
        registerDoc = try RawStatement(db, "SELECT doc FROM register WHERE id = ?1")
        member = try RawStatement(db, "INSERT OR IGNORE INTO register_member(register, person) VALUES (?1, ?2)")
        person = try RawStatement(db, """
            INSERT INTO person(id, register, name, kana, birth, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING
            """)
        personDoc = try RawStatement(db, "SELECT doc FROM person WHERE id = ?1")
        protection = try RawStatement(db, "INSERT INTO protection(key, person, kind, doc) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
        protectionDoc = try RawStatement(db, "SELECT doc FROM protection WHERE key = ?1")
        caseRow = try RawStatement(db, "INSERT INTO cases(id, office, received, doc) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
        caseDoc = try RawStatement(db, "SELECT doc FROM cases WHERE id = ?1")
        caseRegister = try RawStatement(db, "INSERT OR IGNORE INTO case_register(register, case_id) VALUES (?1, ?2)")
        casePerson = try RawStatement(db, "INSERT OR IGNORE INTO case_person(person, case_id) VALUES (?1, ?2)")
        caseStaff = try RawStatement(db, "INSERT OR IGNORE INTO case_staff(staff, case_id) VALUES (?1, ?2)")
        selfReport = try RawStatement(db, "INSERT INTO self_report(key, survey, staff, doc) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
        selfReportDoc = try RawStatement(db, "SELECT doc FROM self_report WHERE key = ?1")
        tile = try RawStatement(db, """
            INSERT INTO ledger_tile(level, idx, hashes) VALUES (?1, ?2, ?3)
            ON CONFLICT(level, idx) DO UPDATE SET hashes = excluded.hashes WHERE hashes IS NOT excluded.hashes
            """)
    }

    /// Inserts one record, or tells whether the existing one with its key is the same (duplicate) or not (conflict).
    func put(_ item: IngestItem, seq: UInt64) throws -> IngestOutcome {
        let doc = item.canonical
        switch item.record {
        case let .access(a):
            event.bind(1, Int64(seq))
            event.bind(2, a.id)
            event.bind(3, a.at.millis)
            event.bind(4, Int64(a.at.jstDate.day))
            event.bind(5, a.staff)
            event.bind(6, a.office)
            event.bind(7, a.register)
            event.bind(8, a.person)
            event.bind(9, a.caseID)
            event.bind(10, blob: doc)
            guard try event.run() == 1 else { return try compare(eventEntry, a.id, doc) }
            return .inserted(ledgerIndex: seq)
        case let .office(o):
            office.bind(1, o.code)
            office.bind(2, blob: doc)
            if try office.run() == 1 { return .inserted(ledgerIndex: nil) }
            return try compare(officeDoc, o.code, doc)
        case let .staff(s):
            staff.bind(1, s.id)
            staff.bind(2, s.person)
            staff.bind(3, blob: doc)
            if try staff.run() == 1 { return .inserted(ledgerIndex: nil) }
            return try compare(staffDoc, s.id, doc)
        case let .register(r):
            register.bind(1, r.id)
            register.bind(2, r.kind.rawValue)
            register.bind(3, r.office)
            register.bind(4, r.honseki)
            register.bind(5, r.head)
            register.bind(6, blob: doc)
            guard try register.run() == 1 else { return try compare(registerDoc, r.id, doc) }
            for m in r.members {
                member.bind(1, r.id)
                member.bind(2, m)
                try member.run()
            }
            return .inserted(ledgerIndex: nil)
        case let .person(p):
            person.bind(1, p.id)
            person.bind(2, p.register)
            person.bind(3, p.name)
            person.bind(4, p.kana)
            person.bind(5, p.birth?.description)
            person.bind(6, blob: doc)
            guard try person.run() == 1 else { return try compare(personDoc, p.id, doc) }
            member.bind(1, p.register)
            member.bind(2, p.id)
            try member.run()
            return .inserted(ledgerIndex: nil)
        case let .protection(p):
            protection.bind(1, p.key)
            protection.bind(2, p.person)
            protection.bind(3, p.kind.rawValue)
            protection.bind(4, blob: doc)
            if try protection.run() == 1 { return .inserted(ledgerIndex: nil) }
            return try compare(protectionDoc, p.key, doc)
        case let .case(c):
            caseRow.bind(1, c.id)
            caseRow.bind(2, c.office)
            caseRow.bind(3, c.received.millis)
            caseRow.bind(4, blob: doc)
            guard try caseRow.run() == 1 else { return try compare(caseDoc, c.id, doc) }
            for (stmt, list) in [(caseRegister, c.registers), (casePerson, c.persons), (caseStaff, c.staff)] {
                for v in list {
                    stmt.bind(1, v)
                    stmt.bind(2, c.id)
                    try stmt.run()
                }
            }
            return .inserted(ledgerIndex: nil)
        case let .selfReport(s):
            selfReport.bind(1, s.key)
            selfReport.bind(2, s.survey)
            selfReport.bind(3, s.staff)
            selfReport.bind(4, blob: doc)
            if try selfReport.run() == 1 { return .inserted(ledgerIndex: nil) }
            return try compare(selfReportDoc, s.key, doc)
        }
    }

    /// Adds the lookup-index rows (by staff, register, person, case, office and day) of the events with ledger index
    /// in `range`, from the event rows' own columns. Each index is filled in key order, so a large range touches each
    /// B-tree page once: indexing an import in a few large ranges instead of per batch is what keeps its write volume
    /// proportional to the data (per-batch indexing rewrote nearly every index page on every batch).
    func indexLookups(_ range: Range<UInt64>) throws {
        guard !range.isEmpty else { return }
        for stmt in [ixStaff, ixRegister, ixPerson, ixCase, ixOffice] {
            stmt.bind(1, Int64(range.lowerBound))
            stmt.bind(2, Int64(range.upperBound))
            try stmt.run()
        }
    }

    /// Runs `body` in one immediate (write-locked) transaction: committed when it returns, rolled back when it throws.
    func transaction(_ body: () throws -> Void) throws {
        try begin.run()
        do {
            try body()
            try commit.run()
        } catch {
            if sqlite3_get_autocommit(connection) == 0 { _ = try? rollback.run() }
            throw error
        }
    }

    /// The first ledger index an import left without lookup rows (`ledger_meta.lookup_pending`), if any.
    func pendingLookups() throws -> UInt64? {
        try lookupPending.firstBlob().flatMap { UInt64(String(decoding: $0, as: UTF8.self)) }
    }

    private func compare(_ stmt: RawStatement, _ key: String, _ doc: [UInt8]) throws -> IngestOutcome {
        stmt.bind(1, key)
        return try stmt.firstBlob() == doc ? .duplicate : .conflict
    }

    func putTile(_ t: Tile) throws {
        tile.bind(1, Int64(t.level))
        tile.bind(2, Int64(t.index))
        tile.bind(3, blob: t.hashes)
        try tile.run()
    }
}

/// Streams query results without boxing every value.
enum RawReader {
    static func forEachBlob(_ db: OpaquePointer, sql: String, bind: [Int64] = [], _ body: ([UInt8]) throws -> Void) throws {
        let stmt = try RawStatement(db, sql)
        for (k, v) in bind.enumerated() { stmt.bind(Int32(k + 1), v) }
        while true {
            let rc = sqlite3_step(stmt.handle)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw StoreError(.database, "SQLite: \(String(cString: sqlite3_errmsg(db)))") }
            let n = Int(sqlite3_column_bytes(stmt.handle, 0))
            if n > 0, let p = sqlite3_column_blob(stmt.handle, 0) {
                try body([UInt8](UnsafeRawBufferPointer(start: p, count: n)))
            } else {
                try body([])
            }
        }
    }
}
