import AkashiDomain
import AkashiStorage
import NIOCore
import PostgresNIO

/// The event log read through the event table's indexes (by staff, register, person, case, office and day) and the
/// `search_result` table: each selection collects ledger indexes, then the entries are read once each, in order.
extension PostgresStore: EventLogReader {
    public func ledgerEntries(_ range: Range<UInt64>) async throws -> [[UInt8]] {
        guard !range.isEmpty else { return [] }
        return try await connections.run { s in
            // Through event_key, whose `at` takes each index to its partition (the partitions are by time).
            try await s.rows("""
                SELECT entry FROM akashi_entries(\(muni), \(Int64(clamping: range.lowerBound)), \(Int64(clamping: range.upperBound)),
                    false, \(Int64.max))
                """).map { try $0.decode(ByteBuffer.self).bytes }
        }
    }

    public func ledgerIndex(ofEvent id: String) async throws -> UInt64? {
        try await connections.run { s in
            try await s.rows("SELECT seq FROM event_key WHERE muni = \(muni) AND id = \(id)").first.map { UInt64(try $0.decode(Int64.self)) }
        }
    }

    public func accessEvents(from: UInt64, limit: Int) async throws -> [LedgerEntryRow] {
        guard limit > 0 else { return [] }
        return try await connections.run { s in
            try Self.entryRows(await s.rows("""
                SELECT seq, entry FROM akashi_entries(\(muni), \(Int64(clamping: from)), \(Int64.max), true, \(Int64(limit)))
                """))
        }
    }

    /// Each selection's query returns the entries themselves, read through its index: a second query by ledger index
    /// would have to probe every monthly partition for every index (the partitions are by time, not by index), which
    /// made a disclosure 20× slower.
    public func accessEvents(_ selections: [EventSelection], below: UInt64?) async throws -> [LedgerEntryRow] {
        guard !selections.isEmpty else { return [] }
        let bound = Int64(clamping: below ?? UInt64(Int64.max))
        return try await connections.run { s in
            var bySeq: [Int64: [UInt8]] = [:]
            for sel in selections {
                for row in try await s.rows(Self.lookup(sel, muni: muni, below: bound)) {
                    let (seq, entry) = try row.decode((Int64, ByteBuffer).self)
                    if bySeq[seq] == nil { bySeq[seq] = entry.bytes }
                }
            }
            return bySeq.keys.sorted().map { LedgerEntryRow(seq: UInt64($0), entry: bySeq[$0]!) }
        }
    }

    /// The call that returns one selection's access events (`seq, entry`) through `akashi_lookup` (a cached plan: see
    /// ``PostgresSchema/lookups``). Every value is bound.
    static func lookup(_ sel: EventSelection, muni: String, below: Int64) -> PostgresQuery {
        let (kind, key): (String, String) = switch sel.key {
        case let .staff(k): ("staff", k)
        case let .register(k): ("register", k)
        case let .person(k): ("person", k)
        case let .case(k): ("case", k)
        case let .office(k): ("office", k)
        case let .searchResult(k): ("search_result", k)
        }
        return """
            SELECT seq, entry FROM akashi_lookup(\(muni), \(kind), \(key), \(sel.fromMillis), \(sel.toMillis), \(below),
                \(sel.searchesOnly), \(day(sel.fromMillis)), \(day(sel.toMillis)))
            """
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
