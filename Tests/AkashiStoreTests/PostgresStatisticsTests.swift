import AkashiDomain
import AkashiInterchange
@testable import AkashiPostgres
import AkashiStorage
import Foundation
import PostgresNIO
import Synchronization
import Testing

// After a bulk import the PostgreSQL store analyzes the tables whose planner statistics the import made stale, and
// only those (PostgresStore.catchUpLookupIndexes): analyzing the partitioned event table reads a sample of every
// monthly partition, seconds that an import of ten events into a loaded store used to pay in full.

@Suite("PostgreSQL statistics after an import: which tables are analyzed")
struct PostgresStaleTablesTests {
    typealias T = PostgresStore.TableStatistics

    @Test("never analyzed: analyzed; the whole event table when it is, and then not its partitions one by one")
    func neverAnalyzed() {
        let written = ["event": 600, "event_m201205": 300, "event_m201206": 300, "event_key": 600, "search_result": 400]
        let stats: [String: T] = ["event": T(rows: -1, changedSince: 600), "event_m201205": T(rows: -1, changedSince: 0),
                                  "event_m201206": T(rows: -1, changedSince: 0), "event_key": T(rows: -1, changedSince: 0),
                                  "search_result": T(rows: 0, changedSince: 0)]
        #expect(PostgresStore.staleTables(written: written, stats: stats) == ["event", "event_key", "search_result"])
    }

    @Test("a small import into a loaded store analyzes nothing; past autovacuum's threshold (50 + 10 %) it does")
    func threshold() {
        let written = ["event": 20, "event_m201003": 20, "event_key": 20, "search_result": 9]
        var stats: [String: T] = ["event": T(rows: 255_739, changedSince: 20), "event_m201003": T(rows: 4_500, changedSince: 20),
                                  "event_key": T(rows: 255_739, changedSince: 0), "search_result": T(rows: 105_115, changedSince: 9)]
        #expect(PostgresStore.staleTables(written: written, stats: stats).isEmpty)
        // 50 + 450 rows changed in the partition since its statistics (earlier imports, reported by the server).
        stats["event_m201003"] = T(rows: 4_500, changedSince: 501)
        #expect(PostgresStore.staleTables(written: written, stats: stats) == ["event_m201003"])
        // Earlier imports that analyzed nothing add up: the event table counts 10 % more rows than its statistics.
        stats["event"] = T(rows: 255_739, changedSince: 25_625)
        #expect(PostgresStore.staleTables(written: written, stats: stats) == ["event"])
    }

    @Test("a month the import started is analyzed alone while the event table's statistics still hold")
    func newMonth() {
        let written = ["event": 100, "event_m201404": 100, "event_key": 100]
        let stats: [String: T] = ["event": T(rows: 28_460, changedSince: 100), "event_m201404": T(rows: -1, changedSince: 0),
                                  "event_key": T(rows: 28_460, changedSince: 0)]
        #expect(PostgresStore.staleTables(written: written, stats: stats) == ["event_m201404"])
    }

    @Test("what this import wrote counts even before the server reports it; a table the catalog lacks is left out")
    func ownRowsAndMissing() {
        let written = ["cases": 700, "case_staff": 10]
        let stats: [String: T] = ["cases": T(rows: 6_000, changedSince: 0)]
        #expect(PostgresStore.staleTables(written: written, stats: stats) == ["cases"])
    }

    @Test("the rows each record writes, by table and month")
    func counted() {
        var written: [String: Int] = [:]
        let at = Timestamp(millis: 1_335_830_400_000) // 2012-05-01T00:00Z
        PostgresStore.countRows(of: .access(AccessEvent(id: "E1", at: at, staff: "S1", office: nil, action: .search,
                                                        record: .current, register: nil, person: nil, caseID: nil,
                                                        results: ["R1", "R2", "R1", ""])), into: &written)
        PostgresStore.countRows(of: .access(AccessEvent(id: "E2", at: at, staff: "S1", office: nil, action: .view,
                                                        record: .current, register: "R1", person: nil, caseID: nil,
                                                        results: nil)), into: &written)
        #expect(written == ["event": 2, "event_m201205": 2, "event_key": 2, "search_result": 2])
    }
}

@Suite("PostgreSQL statistics after an import, on a real server", .enabled(if: TestPostgres.url != nil, "\(TestPostgres.skipReason)"))
struct PostgresImportStatisticsTests {
    /// Access events in `month` (1 = January 2012), IDs with `prefix`, every other one a search listing two
    /// registers (none of them imported).
    private func events(_ n: Int, prefix: String, month: Int) -> [IngestItem] {
        (0..<n).map { k in
            let a = AccessEvent(id: "\(prefix)\(k)", at: Timestamp(millis: PostgresStore.startMillis(ofMonth: 2012 * 12 + month - 1) + Int64(k) * 1_000),
                                staff: "S\(k % 7)", office: "O1", action: k % 2 == 0 ? .search : .view, record: .current,
                                register: k % 2 == 0 ? nil : "R\(k % 11)", person: nil, caseID: nil,
                                results: k % 2 == 0 ? ["R\(k % 11)", "Q\(k % 13)"] : nil)
            let record = Record.access(a)
            return IngestItem(record: record, canonical: record.canonicalJSON, raw: record.canonicalJSON[...], file: "e.jsonl", line: k + 1)
        }
    }

    @Test("a fresh database: the first import analyzes what it wrote, a small one nothing, a new month its partition alone",
          .timeLimit(.minutes(5)))
    func analyzedTables() async throws {
        // A database of its own: the shared test database's event table holds every other test's events.
        guard let url = TestPostgres.url, let slash = url.lastIndex(of: "/") else { return }
        let database = "akashi_stats_" + TestPostgres.freshName()
        let admin = try TestPostgres.store(TestPostgres.freshName())
        try admin.connections.blocking { s in _ = try s.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)")) }
        defer {
            _ = try? admin.connections.blocking { s in try s.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")) }
        }
        let store = try PostgresStore(location: PostgresLocation.parse(String(url[..<slash]) + "/" + database + "?municipality=271004"))
        // 2,000 events over two months into nothing: everything it wrote had no statistics.
        _ = try await store.ingest(events(1_000, prefix: "A", month: 1) + events(1_000, prefix: "B", month: 2), deferLookupIndexes: true)
        try await store.catchUpLookupIndexes()
        #expect(store.lastAnalyzed.withLock { $0 } == ["event", "event_key", "search_result"])
        // 20 more in those months: below every threshold, nothing is analyzed.
        _ = try await store.ingest(events(20, prefix: "C", month: 1), deferLookupIndexes: true)
        try await store.catchUpLookupIndexes()
        #expect(store.lastAnalyzed.withLock { $0 }.isEmpty)
        // 100 in a new month: its partition alone (the event table grew by 6 %).
        _ = try await store.ingest(events(100, prefix: "D", month: 3), deferLookupIndexes: true)
        try await store.catchUpLookupIndexes()
        #expect(store.lastAnalyzed.withLock { $0 } == ["event_m201203"])
        // 300 more: the event table has now grown past 10 % of what its statistics count (2,000 + 420 > 50 + 200).
        _ = try await store.ingest(events(300, prefix: "F", month: 2), deferLookupIndexes: true)
        try await store.catchUpLookupIndexes()
        #expect(store.lastAnalyzed.withLock { $0 }.contains("event"))
        // Every reference is dangling (no staff, register or office was imported), counted as before.
        let d = try await store.danglingReferences(fromLedgerIndex: 2_020, referenceRecords: false, limit: 3)
        // 400 events: staff and office each, registers of the 200 views, two results of each of the 200 searches.
        #expect(d.count == 400 + 400 + 200 + 400 && d.examples.count == 3)
        #expect(try await store.danglingReferences(fromLedgerIndex: 2_420, referenceRecords: false, limit: 3).count == 0)
    }
}
