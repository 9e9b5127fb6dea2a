import AkashiAudit
import AkashiCity
import AkashiDomain
@testable import AkashiPostgres
@testable import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

/// The PostgreSQL server these tests use (a URL such as postgres://postgres@127.0.0.1:55432/akashi_b), from
/// AKASHI_TEST_POSTGRES; `nil` when the variable is unset.
private let postgresURL = ProcessInfo.processInfo.environment["AKASHI_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

/// A store in a municipality of its own (a fresh name per call), so that tests need no cleanup and never see each
/// other's rows.
private func freshPostgresStore(maxConnections: Int = 8) throws -> PostgresStore {
    let name = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24).lowercased()
    return try PostgresStore(location: PostgresLocation.parse((postgresURL ?? "") + "?municipality=" + name),
                             maxConnections: maxConnections)
}

/// A second store on the same municipality as `store` (another server process, as far as the database can tell).
private func sameMunicipality(as store: PostgresStore) throws -> PostgresStore {
    try PostgresStore(location: PostgresLocation.parse((postgresURL ?? "") + "?municipality=" + store.muni))
}


private func all(_ store: some FindingStore, _ filter: FindingFilter = FindingFilter()) async throws -> [StoredFinding] {
    var out: [StoredFinding] = []
    try await store.forEachFinding(filter) { out.append($0) }
    return out
}

/// The finding of `Sample.access(n)` (ledger index `seq`).
private func finding(_ n: Int, seq: UInt64, flagged: Bool, score: Double = 0, plain: Bool = false) -> StoredFinding {
    let access = "E\(n)"
    let at = Timestamp("2011-03-11T10:\(String(format: "%02d", n % 60)):00+09:00")!
    if plain {
        return StoredFinding(seq: seq, finding: AccessFinding(
            access: access, staff: "S0412", at: at, explained: true,
            explanation: Explanation(rule: "own_case", caseID: "C2011-27108-001234", strength: .strong),
            score: 0, flagged: false, reasons: [], register: "R0031877", person: "P0092771", office: "27108"))
    }
    return StoredFinding(seq: seq, finding: AccessFinding(
        access: access, staff: "S0412", at: at, explained: false, explanation: nil, score: score, flagged: flagged,
        reasons: flagged ? [Reason(code: "vip", ja: "要人", en: "a VIP")] : [], register: "R0031877", person: "P0092771",
        office: "27108"))
}

// Needs a PostgreSQL server: runs only when AKASHI_TEST_POSTGRES names one (the suite is skipped otherwise, as on a
// machine without PostgreSQL).
@Suite("PostgreSQL store: audit findings and report tables", .enabled(if: postgresURL != nil, "\(TestPostgres.skipReason)"))
struct PostgresReportAuditTests {
    // MARK: Audit, against the embedded store

    @Test("the audit sweep over the same city gives the same findings, reads, counts and journal as the embedded store")
    func auditMatchesSQLite() async throws {
        let files = try TinyCity.files(TinyCity.dir())
        try await withTempDir { dir in
            let lite = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: lite).run(files: files)
            let pg = try freshPostgresStore()
            _ = try await Importer(store: pg).run(files: files)
            let clock: @Sendable () -> Timestamp = { Timestamp("2014-03-01T09:00:00+09:00")! }
            var liteService = AuditService(store: lite), pgService = AuditService(store: pg)
            liteService.clock = clock
            pgService.clock = clock
            let ls = try await liteService.run(), ps = try await pgService.run()
            #expect(ps.fullSweep && ps.audited == ls.audited && ps.audited > 1000)
            #expect(ps.newlyFlagged == ls.newlyFlagged && ps.journaled == ls.journaled && ps.newlyFlagged > 0)
            #expect(ps.counts == ls.counts)
            await #expect(try pg.findingCounts() == lite.findingCounts())

            // Every finding, in each order; the plain ones too (kept compactly in both stores).
            let liteAll = try await all(lite), pgAll = try await all(pg)
            #expect(pgAll.count == liteAll.count)
            #expect(pgAll == liteAll)
            #expect(try lite.findingLayout().plain > 1000)
            for order in [FindingFilter.Order.time, .score, .newest] {
                await #expect(try all(pg, FindingFilter(order: order)) == all(lite, FindingFilter(order: order)), "\(order)")
            }

            // Filters, limits and offsets, with small pages so that every read crosses several page boundaries.
            let flagged = liteAll.filter(\.finding.flagged)
            let someStaff = try #require(flagged.first?.finding.staff)
            let somePerson = try #require(liteAll.compactMap(\.finding.person).first)
            let someRegister = try #require(liteAll.compactMap(\.finding.register).first)
            let someOffice = try #require(liteAll.compactMap(\.finding.office).first)
            let mid = liteAll[liteAll.count / 2].finding.at, late = liteAll[liteAll.count * 3 / 4].finding.at
            var filters: [FindingFilter] = [
                FindingFilter(staff: someStaff), FindingFilter(person: somePerson), FindingFilter(register: someRegister),
                FindingFilter(office: someOffice), FindingFilter(from: mid), FindingFilter(to: mid),
                FindingFilter(from: mid, to: late), FindingFilter(flaggedOnly: true, order: .score),
                FindingFilter(staff: someStaff, from: mid, order: .newest),
                FindingFilter(person: somePerson, to: late, order: .newest),
                FindingFilter(order: .score, limit: 40, offset: 3), FindingFilter(order: .newest, limit: 25, offset: 10),
                FindingFilter(limit: 30), FindingFilter(offset: 5), FindingFilter(flaggedOnly: true, limit: 0),
            ]
            // The person a register is headed by reaches its accesses that name no person.
            for f in liteAll where f.finding.register != nil && f.finding.person != nil {
                filters.append(FindingFilter(person: f.finding.person))
                break
            }
            for filter in filters {
                var paged: [StoredFinding] = []
                try await pg.forEachFinding(filter, pageSize: 7) { paged.append($0) }
                let expected = try await all(lite, filter)
                #expect(paged == expected, "\(filter)")
                await #expect(try all(pg, filter) == expected, "\(filter)")
            }

            // By access ID, in ledger order; missing IDs skipped.
            let sample = stride(from: 0, to: liteAll.count, by: max(1, liteAll.count / 60)).map { liteAll[$0].finding.access }
            let ids = sample + ["no-such-access"]
            await #expect(try pg.findings(accessIDs: ids) == lite.findings(accessIDs: ids))
            #expect(try await pg.explainingCases(accessIDs: ids) == lite.explainingCases(accessIDs: ids))
            #expect(try await !pg.explainingCases(accessIDs: liteAll.map(\.finding.access)).isEmpty)

            // Per-staff summaries (sums of scores may differ in the last bits: the servers add in different orders).
            for (from, to) in [(Timestamp?.none, Timestamp?.none), (mid, late)] {
                let a = Dictionary(uniqueKeysWithValues: try lite.staffSummaries(from: from, to: to, topK: 3).map { ($0.staff, $0) })
                let b = await Dictionary(uniqueKeysWithValues: try pg.staffSummaries(from: from, to: to, topK: 3).map { ($0.staff, $0) })
                #expect(Set(a.keys) == Set(b.keys))
                for (staff, x) in a {
                    let y = try #require(b[staff])
                    #expect(abs(x.sumScore - y.sumScore) < 1e-9)
                    var x2 = x, y2 = y
                    x2.sumScore = 0
                    y2.sumScore = 0
                    #expect(x2 == y2, "\(staff)")
                }
            }

            // The journal: each flagged access once, in both ledgers.
            let jl = try await auditJournal(lite), jp = try await auditJournal(pg)
            #expect(jp == jl && Set(jp.keys) == Set(flagged.map(\.finding.access)))
            await #expect(try pg.unjournaledFindings(limit: 100).isEmpty)

            // Nothing more to do; then a reset makes the next run a full sweep with the same result.
            let again = try await pgService.run()
            #expect(again.audited == 0 && again.journaled == 0 && !again.fullSweep)
            await #expect(try pg.auditCheckpoint() != nil)
            try await pg.resetAudit()
            let (checkpoint, counts, left) = (try await pg.auditCheckpoint(), try await pg.findingCounts(), try await all(pg))
            #expect(checkpoint == nil && counts == FindingCounts() && left.isEmpty)
            let rerun = try await pgService.run()
            #expect(rerun.fullSweep && rerun.audited == ls.audited)
            await #expect(try all(pg) == liteAll)
        }
    }

    @Test("incremental equals the embedded store: half the accesses, then the rest and a late case")
    func incremental() async throws {
        let files = try TinyCity.files(TinyCity.dir())
        try await withTempDir { dir in
            let lines = try String(contentsOfFile: try TinyCity.dir() + "/access.jsonl", encoding: .utf8)
                .split(separator: "\n").map(String.init)
            let half = lines.count / 2
            try writeLines(dir + "/first.jsonl", Array(lines[..<half]))
            try writeLines(dir + "/second.jsonl", Array(lines[half...]))
            let reference = files.filter { !$0.hasSuffix("/access.jsonl") }
            let lite = try SQLiteStore(directory: dir + "/store")
            let pg = try freshPostgresStore()
            for store in [lite as any AkashiStore & FindingStore, pg] {
                _ = try await Importer(store: store).run(files: reference + [dir + "/first.jsonl"])
                await #expect(try AuditService(store: store).run().audited == half)
                _ = try await Importer(store: store).run(files: [dir + "/second.jsonl"])
                let s = try await AuditService(store: store).run()
                #expect(!s.fullSweep && s.audited == lines.count - half)
            }
            await #expect(try all(pg) == all(lite))
            await #expect(try pg.findingCounts() == lite.findingCounts())
            await #expect(try auditJournal(pg) == auditJournal(lite))
            await #expect(try pg.latestCaseRow() > 0)
            let latest = try await pg.latestCaseRow()
            await #expect(try pg.casesArrived(after: latest).isEmpty)
            await #expect(try pg.casesArrived(after: 0).count == lite.casesArrived(after: 0).count)
        }
    }

    @Test("a late-keyed case re-audits the earlier access it explains: the flagged full row becomes explained")
    func lateKeyedCase() async throws {
        try await withTempDir { dir in
            let access = #"{"type":"access","id":"E_LATE","at":"2011-03-11T10:00:00+09:00","staff":"S0412","office":"27108","action":"view","record":"current","register":"R0031877"}"#
            let lateCase = #"{"type":"case","id":"C_LATE","office":"27108","kind":"certificate.full","requester":"self","received":"2011-03-11T10:30:00+09:00","closed":"2011-03-11T10:40:00+09:00","status":"done","staff":["S0412"],"registers":["R0031877"],"persons":["P0092771"]}"#
            try writeLines(dir + "/a.jsonl", [Sample.office, Sample.office2, Sample.staff, Sample.register, Sample.person,
                                              Sample.protection, access])
            try writeLines(dir + "/b.jsonl", [lateCase])
            let store = try freshPostgresStore()
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            let service = AuditService(store: store)
            let s1 = try await service.run()
            #expect(s1.audited == 1 && s1.newlyFlagged == 1 && s1.journaled == 1)
            let rowBefore = try await store.latestCaseRow()
            _ = try await Importer(store: store).run(files: [dir + "/b.jsonl"])
            let arrived = try await store.casesArrived(after: rowBefore)
            #expect(arrived.count == 1 && arrived[0].row > rowBefore)
            let s2 = try await service.run()
            #expect(s2.audited == 0 && s2.newCases == 1 && s2.reaudited == 1 && s2.changed == 1 && s2.journaled == 0)
            let after = try await #require(try store.findings(accessIDs: ["E_LATE"]).first?.finding)
            #expect(after.explained && !after.flagged && after.explanation?.caseID == "C_LATE")
            await #expect(try auditJournal(store) == ["E_LATE": 1])
        }
    }

    // MARK: Findings, directly

    @Test("saving findings: journal marks, plain rows moving to full rows, batches with repeats, unjournaled order")
    func savingFindings() async throws {
        try await withTempDir { dir in
            let lines = [Sample.office, Sample.office2, Sample.staff, Sample.register, Sample.person] + (1...6).map { Sample.access($0) }
            try writeLines(dir + "/a.jsonl", lines)
            let store = try freshPostgresStore()
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            // Ledger indexes 0…5 are E1…E6.
            var seqOf: [String: UInt64] = [:]
            for n in 1...6 {
                let index: UInt64 = try #require(try await store.ledgerIndex(ofEvent: "E\(n)"))
                seqOf["E\(n)"] = index
            }
            func f(_ n: Int, flagged: Bool, score: Double = 0, plain: Bool = false) -> StoredFinding {
                finding(n, seq: seqOf["E\(n)"]!, flagged: flagged, score: score, plain: plain)
            }
            // A sweep: three plain, two flagged (one given twice: the last one counts), one scored.
            try await store.saveSweepFindings([f(1, flagged: false, plain: true), f(2, flagged: false, plain: true),
                                         f(3, flagged: true, score: 0.4), f(3, flagged: true, score: 0.9),
                                         f(4, flagged: true, score: 0.7), f(5, flagged: false, score: 0.2),
                                         f(6, flagged: false, plain: true)])
            await #expect(try store.findingCounts().total == 6)
            await #expect(try store.findingCounts().flagged == 2)
            await #expect(try store.findingCounts().explained == 3)
            await #expect(try store.unjournaledFindings(limit: 10).map(\.finding.access) == ["E3", "E4"])
            await #expect(try store.unjournaledFindings(limit: 1).map(\.finding.access) == ["E3"])
            await #expect(try store.findings(accessIDs: ["E3"]).first?.finding.score == 0.9)
            // Plain rows read back with the event's ID, staff, time (its text) and register.
            let plain = try await #require(try store.findings(accessIDs: ["E1"]).first)
            #expect(plain == f(1, flagged: false, plain: true))
            #expect(plain.finding.at.description == "2011-03-11T10:01:00+09:00" && plain.finding.register == "R0031877")
            #expect(plain.finding.isPlainlyExplained && plain.seq == seqOf["E1"])

            try await store.markJournaled(["E3"])
            await #expect(try store.unjournaledFindings(limit: 10).map(\.finding.access) == ["E4"])
            // Still flagged: keeps its mark. Unflagged, then flagged again: journaled anew.
            try await store.saveFindings([f(3, flagged: true, score: 0.95)])
            await #expect(try store.unjournaledFindings(limit: 10).map(\.finding.access) == ["E4"])
            try await store.saveFindings([f(3, flagged: false, score: 0.1)])
            try await store.saveFindings([f(3, flagged: true, score: 0.8)])
            await #expect(try store.unjournaledFindings(limit: 10).map(\.finding.access) == ["E3", "E4"])

            // A plain access re-audited into a flagged one leaves the compact table (each access in one place).
            try await store.saveFindings([f(2, flagged: true, score: 0.85)])
            await #expect(try store.findingCounts().total == 6)
            await #expect(try store.findings(accessIDs: ["E2"]).map(\.finding.flagged) == [true])
            // A resumed sweep does not bring an access with a full row back to the compact table.
            try await store.saveSweepFindings([f(2, flagged: false, plain: true)])
            await #expect(try store.findingCounts().total == 6)
            let e2 = try await #require(try store.findings(accessIDs: ["E2"]).first)
            #expect(!e2.finding.flagged && e2.finding.isPlainlyExplained)
            await #expect(try all(store).map(\.finding.access) == ["E1", "E2", "E3", "E4", "E5", "E6"])
            await #expect(try all(store, FindingFilter(order: .score)).map(\.finding.access) == ["E3", "E4", "E5", "E1", "E2", "E6"])
            await #expect(try all(store, FindingFilter(order: .newest)).map(\.finding.access) == ["E6", "E5", "E4", "E3", "E2", "E1"])
            #expect(try await store.explainingCases(accessIDs: ["E1", "E2", "E3", "E6", "E9"]).keys.sorted() == ["E1", "E2", "E6"])

            // Checkpoint round trip.
            await #expect(try store.auditCheckpoint() == nil)
            let checkpoint = AuditCheckpoint(lastSeq: 5, lastCaseRow: 42, state: AuditState())
            try await store.saveAuditCheckpoint(checkpoint)
            await #expect(try store.auditCheckpoint() == checkpoint)
            let none = AuditCheckpoint(lastSeq: nil, lastCaseRow: 0, state: AuditState())
            try await store.saveAuditCheckpoint(none)
            await #expect(try store.auditCheckpoint() == none)
        }
    }

    @Test("forEachFinding holds no connection while its body runs: the body can use the store with a pool of one")
    func forEachFindingReleasesTheConnection() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", [Sample.office, Sample.office2, Sample.staff, Sample.register, Sample.person]
                + (1...20).map { Sample.access($0) })
            let store = try freshPostgresStore(maxConnections: 1)
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            var batch: [StoredFinding] = []
            for n in 1...20 {
                let seq = try await #require(try store.ledgerIndex(ofEvent: "E\(n)"))
                batch.append(finding(n, seq: seq, flagged: n % 3 == 0, score: n % 3 == 0 ? 0.9 : 0, plain: n % 3 != 0))
            }
            try await store.saveSweepFindings(batch)
            var seen: [String] = []
            try await store.forEachFinding(FindingFilter(), pageSize: 6) { sf in
                seen.append(sf.finding.access)
                // Calls back into the store (a second checkout would wait forever if the page's were still held).
                let again = try StoreThreads.wait { try await store.findings(accessIDs: [sf.finding.access]) }
                #expect(again.count == 1)
            }
            #expect(seen == (1...20).map { "E\($0)" })
        }
    }

    // MARK: 本人通知

    @Test("notice registrations: created, replaced, listed in person-ID byte order")
    func noticeRegistrations() async throws {
        let store = try freshPostgresStore()
        #expect(try await store.noticeRegistrations().isEmpty)
        let day = LocalDate("2014-02-01")!
        for p in ["P9", "P10", "p1", "P0092771", "Ｐ1"] {
            try await store.saveNoticeRegistration(NoticeRegistration(person: p, registered: day, address: "住所 " + p))
        }
        try await store.saveNoticeRegistration(NoticeRegistration(person: "P9", registered: LocalDate("2015-01-01")!, address: "転居先"))
        let all = try await store.noticeRegistrations()
        #expect(all.map(\.person) == ["P0092771", "P10", "P9", "p1", "Ｐ1"])
        #expect(all.first { $0.person == "P9" } == NoticeRegistration(person: "P9", registered: LocalDate("2015-01-01")!, address: "転居先"))
        // Another municipality sees none of them.
        #expect(try await freshPostgresStore().noticeRegistrations().isEmpty)
    }

    @Test("notices: one per person and case, in production order, journal and mailing marks")
    func notices() async throws {
        let store = try freshPostgresStore()
        let issued = Timestamp("2014-02-03T10:00:00+09:00")!, produced = Timestamp("2014-02-04T09:00:00+09:00")!
        func n(_ person: String, _ kase: String, copies: Int? = 1) -> ResidentNotice {
            ResidentNotice(person: person, caseID: kase, issued: issued, office: "27108", certificate: "certificate.full",
                           copies: copies, requester: "third_party", produced: produced, journalID: "N-\(person)-\(kase)")
        }
        let (a, aNew) = try await store.insertNotice(n("P1", "C1"))
        #expect(aNew && a.id > 0 && a.person == "P1" && a.copies == 1 && !a.journaled && a.sent == nil)
        #expect(a == { var x = n("P1", "C1"); x.id = a.id; return x }())
        let (b, bNew) = try await store.insertNotice(n("P2", "C1", copies: nil))
        #expect(bNew && b.id > a.id && b.copies == nil)
        // The same person and case again (another journal ID): the stored one comes back, not inserted.
        var again = n("P1", "C1", copies: 3)
        again.journalID = "other"
        let (c, cNew) = try await store.insertNotice(again)
        #expect(!cNew && c == a)
        let (d, _) = try await store.insertNotice(n("P1", "C2"))
        #expect(try await store.notices(pendingOnly: false).map(\.id) == [a.id, b.id, d.id])
        #expect(try await store.unjournaledNotices().map(\.id) == [a.id, b.id, d.id])
        try await store.markNoticesJournaled(ids: [a.id, d.id])
        try await store.markNoticesJournaled(ids: [])
        #expect(try await store.unjournaledNotices().map(\.id) == [b.id])
        let mailed = Timestamp("2014-02-05T12:00:00+09:00")!
        #expect(try await store.markNoticeSent(id: b.id, at: mailed))
        #expect(try await !store.markNoticeSent(id: b.id, at: mailed))
        #expect(try await !store.markNoticeSent(id: 999_999_999, at: mailed))
        #expect(try await store.notices(pendingOnly: true).map(\.id) == [a.id, d.id])
        let all = try await store.notices(pendingOnly: false)
        #expect(all.first { $0.id == b.id }?.sent == mailed)
        #expect(all.first { $0.id == a.id }?.journaled == true)
        // A notice from another municipality's store is not marked from this one.
        #expect(try await !freshPostgresStore().markNoticeSent(id: a.id, at: mailed))
        #expect(try await freshPostgresStore().notices(pendingOnly: false).isEmpty)
    }

    @Test("the same notice inserted by several processes at once is stored once, and exactly one of them inserted it")
    func concurrentNoticeInsert() async throws {
        let store = try freshPostgresStore()
        let others = try (0..<4).map { _ in try sameMunicipality(as: store) }
        let notice = ResidentNotice(person: "P1", caseID: "C1", issued: Timestamp("2014-02-03T10:00:00+09:00")!,
                                    office: "27108", certificate: "certificate.full", copies: nil,
                                    requester: "professional", produced: Timestamp("2014-02-04T09:00:00+09:00")!,
                                    journalID: "N1")
        let results = try await withThrowingTaskGroup(of: (ResidentNotice, Bool).self) { group in
            for s in others + others { group.addTask { try await s.insertNotice(notice) } }
            var out: [(ResidentNotice, Bool)] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(results.filter(\.1).count == 1)
        #expect(Set(results.map(\.0.id)).count == 1)
        #expect(try await store.notices(pendingOnly: false).count == 1)
    }

    // MARK: One-time access codes

    @Test("access codes: stored by hash, used once, refused when expired")
    func accessCodes() async throws {
        let store = try freshPostgresStore()
        let created = Timestamp("2014-02-01T09:00:00+09:00")!, expires = Timestamp("2014-03-01T09:00:00+09:00")!
        let code = AccessCodeRecord(hash: "ab12", person: "P1", from: LocalDate("2013-01-01")!, to: LocalDate("2013-12-31")!,
                                    created: created, expires: expires)
        try await store.saveAccessCode(code)
        #expect(try await store.accessCode(hash: "ab12") == code)
        #expect(try await store.accessCode(hash: "nope") == nil)
        // The same hash twice is refused.
        await #expect(throws: StoreError.self) { try await store.saveAccessCode(code) }
        // At the expiry instant it is refused; before it, it works once.
        #expect(try await store.consumeAccessCode(hash: "ab12", at: expires) == nil)
        let at = Timestamp("2014-02-10T15:00:00+09:00")!
        var used = code
        used.used = at
        #expect(try await store.consumeAccessCode(hash: "ab12", at: at) == used)
        #expect(try await store.consumeAccessCode(hash: "ab12", at: at) == nil)
        #expect(try await store.accessCode(hash: "ab12") == used)
        #expect(try await store.consumeAccessCode(hash: "nope", at: at) == nil)
        // Another municipality does not know the code.
        #expect(try await freshPostgresStore().consumeAccessCode(hash: "ab12", at: created) == nil)
        // A code stored as used already cannot be used.
        var spent = code
        spent.hash = "cd34"
        spent.used = created
        try await store.saveAccessCode(spent)
        #expect(try await store.consumeAccessCode(hash: "cd34", at: at) == nil)
        #expect(try await store.accessCode(hash: "cd34") == spent)
    }

    @Test("an access code presented to several server processes at once is consumed exactly once")
    func concurrentConsume() async throws {
        let store = try freshPostgresStore()
        let servers = try (0..<4).map { _ in try sameMunicipality(as: store) }
        let at = Timestamp("2014-02-10T15:00:00+09:00")!
        for k in 0..<10 {
            try await store.saveAccessCode(AccessCodeRecord(
                hash: "h\(k)", person: "P1", from: LocalDate("2013-01-01")!, to: LocalDate("2013-12-31")!,
                created: Timestamp("2014-02-01T09:00:00+09:00")!, expires: Timestamp("2014-03-01T09:00:00+09:00")!))
        }
        for k in 0..<10 {
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for s in servers + servers + servers { group.addTask { try await s.consumeAccessCode(hash: "h\(k)", at: at) != nil } }
                var n = 0
                for try await won in group where won { n += 1 }
                return n
            }
            #expect(wins == 1, "h\(k)")
        }
    }
}
