import AkashiDomain
import AkashiStorage
import Foundation
import GRDB
import GRDBSQLite

/// The event log read through the lookup tables (`ix_staff`, `ix_register`, `ix_person`, `ix_case`, `ix_office`,
/// and `rp_search` for the registers a search listed): each selection collects ledger indexes from its table, and
/// the entries are then read once each, in ledger order.
extension SQLiteStore: EventLogReader {
    public func accessEvents(from: UInt64, limit: Int) throws -> [LedgerEntryRow] {
        guard limit > 0 else { return [] }
        return try pool.read { db in
            try Self.rows(db, sql: "SELECT seq, entry FROM event WHERE seq >= ?1 AND type = 'access' ORDER BY seq LIMIT ?2",
                          bind: [Int64(clamping: from), Int64(limit)])
        }
    }

    public func accessEvents(_ selections: [EventSelection], below: UInt64?) throws -> [LedgerEntryRow] {
        guard !selections.isEmpty else { return [] }
        // The search-result table is derived from the entries: bring it up to date before reading through it.
        if selections.contains(where: { if case .searchResult = $0.key { true } else { false } }) {
            try refreshReportIndex()
        }
        let bound = Int64(clamping: below ?? UInt64(Int64.max))
        return try pool.read { db in
            var seqs = Set<Int64>()
            for s in selections {
                let (sql, key) = Self.lookup(s)
                var arguments: StatementArguments = [key, s.fromMillis, s.toMillis, bound]
                if case .office = s.key { arguments += [Self.day(s.fromMillis), Self.day(s.toMillis)] }
                let cursor = try Int64.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
                while let seq = try cursor.next() { seqs.insert(seq) }
            }
            guard !seqs.isEmpty else { return [] }
            let list = "[" + seqs.sorted().map(String.init).joined(separator: ",") + "]"
            return try Self.rows(db, sql: """
                SELECT seq, entry FROM event WHERE seq IN (SELECT value FROM json_each(?1)) AND type = 'access' ORDER BY seq
                """, text: list)
        }
    }

    /// The statement that collects one selection's ledger indexes (`?1` key, `?2`…`?3` the period, `?4` the bound;
    /// `?5`…`?6` the JST days of the period for the office table, which is keyed by day), and its key. The event row
    /// is joined only where the lookup table cannot answer alone: searches only, or a period over a table without time.
    static func lookup(_ s: EventSelection) -> (sql: String, key: String) {
        let searches = s.searchesOnly ? " AND e.register IS NULL" : ""
        func through(_ table: String, _ column: String, _ key: String) -> (String, String) {
            let join = s.searchesOnly ? " JOIN event e ON e.seq = x.seq" : ""
            return ("SELECT x.seq FROM \(table) x\(join) WHERE x.\(column) = ?1 AND x.at >= ?2 AND x.at < ?3 AND x.seq < ?4" + searches, key)
        }
        switch s.key {
        case let .staff(k): return through("ix_staff", "staff", k)
        case let .register(k): return through("ix_register", "register", k)
        case let .person(k): return through("ix_person", "person", k)
        case let .searchResult(k): return through("rp_search", "register", k)
        case let .case(k):
            return ("""
                SELECT x.seq FROM ix_case x JOIN event e ON e.seq = x.seq
                WHERE x.case_id = ?1 AND e.at >= ?2 AND e.at < ?3 AND x.seq < ?4
                """ + searches, k)
        case let .office(k):
            return ("""
                SELECT x.seq FROM ix_office x JOIN event e ON e.seq = x.seq
                WHERE x.office = ?1 AND e.at >= ?2 AND e.at < ?3 AND x.seq < ?4 AND x.day >= ?5 AND x.day <= ?6
                """ + searches, k)
        }
    }

    /// The JST day number of an instant, for the office table (the open ends stay open).
    static func day(_ millis: Int64) -> Int64 {
        if millis == .min { return .min }
        if millis == .max { return .max }
        return Int64(Timestamp(millis: millis).jstDate.day)
    }

    /// `seq, entry` rows of a statement bound with integers, or with one text.
    private static func rows(_ db: Database, sql: String, bind: [Int64] = [], text: String? = nil) throws -> [LedgerEntryRow] {
        let conn = db.sqliteConnection!
        let stmt = try RawStatement(conn, sql)
        for (k, v) in bind.enumerated() { stmt.bind(Int32(k + 1), v) }
        if let text { stmt.bind(1, text) }
        var out: [LedgerEntryRow] = []
        while true {
            let rc = sqlite3_step(stmt.handle)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw StoreError(.database, "SQLite: \(String(cString: sqlite3_errmsg(conn)))") }
            let n = Int(sqlite3_column_bytes(stmt.handle, 1))
            let entry = n > 0 ? [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt.handle, 1), count: n)) : []
            out.append(LedgerEntryRow(seq: UInt64(sqlite3_column_int64(stmt.handle, 0)), entry: entry))
        }
        return out
    }
}
