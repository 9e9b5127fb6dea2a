import AkashiDomain
import AkashiStorage
import NIOCore
import PostgresNIO

/// The event log read through the event table's indexes (by staff, register, person, case, office and day) and the
/// `search_result` table: each selection collects ledger indexes, then the entries are read once each, in order.
extension PostgresStore: EventLogReader {
    public func ledgerEntries(_ range: Range<UInt64>) throws -> [[UInt8]] {
        guard !range.isEmpty else { return [] }
        return try connections.blocking { s in
            try s.rows("""
                SELECT entry FROM event WHERE muni = \(muni) AND seq >= \(Int64(clamping: range.lowerBound))
                AND seq < \(Int64(clamping: range.upperBound)) ORDER BY seq
                """).map { try $0.decode(ByteBuffer.self).bytes }
        }
    }

    public func ledgerIndex(ofEvent id: String) throws -> UInt64? {
        try connections.blocking { s in
            try s.rows("SELECT seq FROM event_key WHERE muni = \(muni) AND id = \(id)").first.map { UInt64(try $0.decode(Int64.self)) }
        }
    }

    public func accessEvents(from: UInt64, limit: Int) throws -> [LedgerEntryRow] {
        guard limit > 0 else { return [] }
        return try connections.blocking { s in
            try Self.entryRows(s.rows("""
                SELECT seq, entry FROM event WHERE muni = \(muni) AND seq >= \(Int64(clamping: from)) AND type = 'access'
                ORDER BY seq LIMIT \(Int64(limit))
                """))
        }
    }

    public func accessEvents(_ selections: [EventSelection], below: UInt64?) throws -> [LedgerEntryRow] {
        guard !selections.isEmpty else { return [] }
        let bound = Int64(clamping: below ?? UInt64(Int64.max))
        return try connections.blocking { s in
            var seqs = Set<Int64>()
            for sel in selections {
                for row in try s.rows(Self.lookup(sel, muni: muni, below: bound)) { seqs.insert(try row.decode(Int64.self)) }
            }
            guard !seqs.isEmpty else { return [] }
            return try Self.entryRows(s.rows("""
                SELECT seq, entry FROM event WHERE muni = \(muni) AND seq = ANY(\(Array(seqs))::bigint[]) AND type = 'access'
                ORDER BY seq
                """))
        }
    }

    /// The query that collects one selection's ledger indexes. Every value is bound; the SQL text is chosen from
    /// this function's own constants by the kind of key.
    static func lookup(_ sel: EventSelection, muni: String, below: Int64) -> PostgresQuery {
        let searches = sel.searchesOnly ? " AND register IS NULL" : ""
        let sql: String
        switch sel.key {
        case .staff: sql = "SELECT seq FROM event WHERE muni = $1 AND staff = $2 AND at >= $3 AND at < $4 AND seq < $5" + searches
        case .register: sql = "SELECT seq FROM event WHERE muni = $1 AND register = $2 AND at >= $3 AND at < $4 AND seq < $5" + searches
        case .person: sql = "SELECT seq FROM event WHERE muni = $1 AND person = $2 AND at >= $3 AND at < $4 AND seq < $5" + searches
        case .case: sql = "SELECT seq FROM event WHERE muni = $1 AND case_id = $2 AND at >= $3 AND at < $4 AND seq < $5" + searches
        case .office:
            sql = "SELECT seq FROM event WHERE muni = $1 AND office = $2 AND at >= $3 AND at < $4 AND seq < $5 AND day >= $6 AND day <= $7"
                + searches
        case .searchResult:
            // Only searches are in search_result (events that opened no register).
            sql = "SELECT seq FROM search_result WHERE muni = $1 AND register = $2 AND at >= $3 AND at < $4 AND seq < $5"
        }
        let key: String = switch sel.key {
        case let .staff(k), let .register(k), let .person(k), let .case(k), let .office(k), let .searchResult(k): k
        }
        var q = PostgresQuery(unsafeSQL: sql)
        q.binds.append(muni)
        q.binds.append(key)
        q.binds.append(sel.fromMillis)
        q.binds.append(sel.toMillis)
        q.binds.append(below)
        if case .office = sel.key {
            q.binds.append(day(sel.fromMillis))
            q.binds.append(day(sel.toMillis))
        }
        return q
    }

    /// The JST day number of an instant (the open ends stay open).
    static func day(_ millis: Int64) -> Int64 {
        if millis == .min { return .min }
        if millis == .max { return .max }
        return Int64(Timestamp(millis: millis).jstDate.day)
    }

    static func entryRows(_ rows: [PostgresRow]) throws -> [LedgerEntryRow] {
        try rows.map { row in
            let (seq, entry) = try row.decode((Int64, ByteBuffer).self)
            return LedgerEntryRow(seq: UInt64(seq), entry: entry.bytes)
        }
    }
}
