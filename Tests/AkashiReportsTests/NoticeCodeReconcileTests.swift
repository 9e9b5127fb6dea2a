import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

/// The `notice.produced` journal entries in a store's ledger: subject → count.
private func noticeJournal(_ store: SQLiteStore) throws -> [String: Int] {
    var out: [String: Int] = [:]
    try store.forEachEvent { e in
        guard e.type == "journal", let v = try? JSONParser.parse(e.entry), v["kind"]?.stringValue == "notice.produced"
        else { return }
        out[v["subject"]?.stringValue ?? "", default: 0] += 1
    }
    return out
}

@Suite("本人通知")
struct NoticeTests {
    static func fixture() async throws -> TestStore {
        try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.staff("S1", "甲"),
            Lines.register("R1", members: ["P1", "P2"]), Lines.register("R3", members: ["P3"]),
            Lines.person("P1", "浪花 一郎", register: "R1"), Lines.person("P2", "浪花 花子", register: "R1"),
            Lines.person("P3", "大阪 三郎", register: "R3"),
            // Notified: third party (printed), professional (done, no print recorded).
            Lines.kase("C-third", kind: "certificate.individual", requester: "third_party", received: "2012-04-02T10:00:00+09:00",
                       registers: ["R1"], persons: ["P1"]),
            Lines.access("E1", at: "2012-04-02T10:20:00+09:00", action: "print", register: "R1", person: "P1", caseID: "C-third"),
            Lines.kase("C-prof", kind: "certificate.fuhyo", requester: "professional", received: "2012-05-07T11:00:00+09:00",
                       registers: ["R1"], persons: ["P1"]),
            // Not notified: official, self, family, rejected, before registration, someone else.
            Lines.kase("C-off", requester: "official", received: "2012-06-01T10:00:00+09:00", registers: ["R1"], persons: ["P1"]),
            Lines.kase("C-self", requester: "self", received: "2012-06-02T10:00:00+09:00", registers: ["R1"], persons: ["P1"]),
            Lines.kase("C-fam", requester: "family", received: "2012-06-03T10:00:00+09:00", registers: ["R1"], persons: ["P1"]),
            Lines.kase("C-rej", requester: "third_party", received: "2012-06-04T10:00:00+09:00", status: "rejected",
                       registers: ["R1"], persons: ["P1"]),
            Lines.kase("C-old", requester: "third_party", received: "2011-01-04T10:00:00+09:00", registers: ["R1"], persons: ["P1"]),
            Lines.kase("C-other", requester: "third_party", received: "2012-06-05T10:00:00+09:00", registers: ["R3"], persons: ["P3"]),
        ])
    }

    @Test("notices only for third-party and professional issuances after registration; idempotent; journaled once each")
    func produce() async throws {
        let t = try await Self.fixture()
        let service = NoticeService(store: t.store)
        try await service.register(person: "P1", address: "大阪市北区西天満二丁目1番", on: day("2012-01-01"))
        let first = try await service.produce()
        #expect(first.map(\.caseID).sorted() == ["C-prof", "C-third"])
        let third = first.first { $0.caseID == "C-third" }!
        #expect(third.requester == "third_party")
        #expect(third.certificate == "certificate.individual")
        #expect(third.issued.description == "2012-04-02T10:20:00+09:00")
        #expect(third.office == "27108")
        #expect(first.first { $0.caseID == "C-prof" }?.requester == "professional")
        // Idempotent: a second run produces nothing and appends nothing to the ledger.
        let size = try t.store.ledgerSize()
        #expect(try await service.produce().isEmpty)
        #expect(try t.store.ledgerSize() == size)
        #expect(try noticeJournal(t.store) == ["P1": 2])
        #expect(try await service.list(pendingOnly: true).count == 2)
        // Mailing.
        #expect(try await service.markSent(id: third.id))
        #expect(try await !service.markSent(id: third.id))
        #expect(try await service.list(pendingOnly: true).map(\.caseID) == ["C-prof"])
        #expect(try await service.list(pendingOnly: false).count == 2)
        // The journal entries are covered by the next checkpoint like any entry.
        try await t.sign()
        #expect(try t.store.latestCheckpoint()?.size == t.store.ledgerSize())
    }

    @Test("the printable notice: one per A4 page, address and class, never the requester's name")
    func html() async throws {
        let t = try await Self.fixture()
        let service = NoticeService(store: t.store)
        try await service.register(person: "P1", address: "大阪市北区<西天満>", on: day("2012-01-01"))
        try await service.produce()
        let html = try await service.html(try service.list(pendingOnly: false))
        #expect(html.contains("@page { size: A4"))
        #expect(html.components(separatedBy: "<section class=\"notice\">").count == 3)
        #expect(html.contains("大阪市北区&lt;西天満&gt;"))
        #expect(html.contains("第三者"))
        #expect(html.contains("職務上請求"))
        let json = String(decoding: try await service.json(try service.list(pendingOnly: false)), as: UTF8.self)
        #expect(json.contains("\"requester\" : \"third_party\""))
        #expect(!json.contains("name"))
    }

    @Test("registration needs a known person and an address")
    func registration() async throws {
        let t = try await Self.fixture()
        let service = NoticeService(store: t.store)
        await #expect(throws: ReportError.self) { try await service.register(person: "P404", address: "x", on: day("2012-01-01")) }
        await #expect(throws: ReportError.self) { try await service.register(person: "P1", address: "  ", on: day("2012-01-01")) }
    }
}

@Suite("One-time access codes")
struct AccessCodeTests {
    @Test("a code shows the person's disclosure again and again until it expires or is revoked (its first use kept); unknown, malformed, expired and revoked codes are refused; only the hash is stored")
    func reusableUntilExpiry() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.staff("S1", "甲"),
            Lines.register("R1", members: ["P1"]), Lines.person("P1", "浪花 一郎", register: "R1"),
            Lines.access("E1", at: "2011-03-11T10:41:12+09:00", register: "R1", person: "P1"),
        ])
        let service = AccessCodeService(store: t.store)
        let issued = try await service.create(person: "P1", from: day("2011-01-01"), to: day("2011-12-31"))
        #expect(issued.code.count == 19)
        #expect(try t.store.accessCode(hash: issued.record.hash)?.person == "P1")
        // The code itself is nowhere in the database file.
        let db = try Data(contentsOf: URL(fileURLWithPath: t.store.databasePath))
        #expect(db.range(of: Data(issued.code.utf8)) == nil)
        #expect(db.range(of: Data(issued.code.replacingOccurrences(of: "-", with: "").utf8)) == nil)

        let report = try await service.redeem(issued.code.lowercased())
        #expect(report.subject.id == "P1")
        #expect(report.offices.first?.events.map(\.id) == ["E1"])
        #expect(ReceiptVerifier.verify(report: report, verifiers: [t.verifier]).allSatisfy { $0.ok })
        let firstUse = try #require(try t.store.accessCode(hash: issued.record.hash)?.used)
        // Again, within its validity: the same report; the first use stays.
        #expect(try await service.redeem(issued.code).allEvents.map(\.id) == ["E1"])
        #expect(try t.store.accessCode(hash: issued.record.hash)?.used == firstUse)
        // Revoked: refused from then on, as an expired code is.
        #expect(try t.store.revokeAccessCode(hash: issued.record.hash, at: firstUse))
        await #expect(throws: AccessCodeError.expired) { try await service.redeem(issued.code) }
        #expect(try !t.store.revokeAccessCode(hash: issued.record.hash, at: firstUse.adding(seconds: 2)))
        await #expect(throws: AccessCodeError.unknown) { try await service.redeem("AAAA-BBBB-CCCC-DDDD") }
        await #expect(throws: AccessCodeError.malformed) { try await service.redeem("not a code") }

        var late = AccessCodeService(store: t.store)
        let expiring = try await late.create(person: "P1", from: day("2011-01-01"), to: day("2011-12-31"))
        late.clock = { expiring.record.expires }
        await #expect(throws: AccessCodeError.expired) { try await late.redeem(expiring.code) }
        #expect(try await service.redeem(expiring.code).subject.id == "P1")
        await #expect(throws: ReportError.self) { try await service.create(person: "P404", from: day("2011-01-01"), to: day("2011-12-31")) }
    }

    @Test("many concurrent redemptions of one code all succeed, and its first use is recorded once")
    func concurrent() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.staff("S1", "甲"),
            Lines.register("R1", members: ["P1"]), Lines.person("P1", "浪花 一郎", register: "R1"),
        ])
        let service = AccessCodeService(store: t.store)
        let issued = try await service.create(person: "P1", from: day("2011-01-01"), to: day("2011-12-31"))
        let wins = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await service.redeem(issued.code)) != nil } }
            var n = 0
            for await ok in group where ok { n += 1 }
            return n
        }
        #expect(wins == 8)
        #expect(try t.store.accessCode(hash: issued.record.hash)?.used != nil)
    }
}

@Suite("Self-report reconciliation (自己申告調査)")
struct ReconcileTests {
    static func finding(_ access: String, staff: String, at: String, person: String?, flagged: Bool = true) -> AccessFinding {
        AccessFinding(access: access, staff: staff, at: Timestamp(at)!, explained: !flagged, explanation: nil,
                      score: flagged ? 0.9 : 0.1, flagged: flagged,
                      reasons: flagged ? [Reason(code: "vip", ja: "著名人", en: "public figure")] : [],
                      register: "R1", person: person, office: "27108")
    }

    @Test("declared and found, undeclared but found, declared but not found, with the item match")
    func lists() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"),
            Lines.staff("S1", "甲"), Lines.staff("S2", "乙"), Lines.staff("S3", "丙"), Lines.staff("S4", "丁"),
            Lines.register("R1", members: ["P1"]), Lines.person("P1", "浪花 一郎", register: "R1"),
            Lines.register("R2", members: ["P2"]), Lines.person("P2", "大阪 花子", register: "R2"),
            Lines.selfReport("S1", declares: "some",
                             items: #"[{"person":"P1","from":"2011-03-01","to":"2011-03-31","count":2,"note":"興味本位"},{"name":"大阪　花子","from":"2011-06-01","to":"2011-06-30"}]"#),
            Lines.selfReport("S2", declares: "none"),
            Lines.selfReport("S3", declares: "some", items: #"[{"person":"P2","count":1}]"#),
            Lines.selfReport("S4", declares: "none"),
        ])
        try t.store.saveFindings([
            StoredFinding(seq: 100, finding: Self.finding("A1", staff: "S1", at: "2011-03-11T10:00:00+09:00", person: "P1")),
            StoredFinding(seq: 101, finding: Self.finding("A2", staff: "S1", at: "2011-06-11T10:00:00+09:00", person: "P2")),
            StoredFinding(seq: 102, finding: Self.finding("A3", staff: "S1", at: "2012-01-11T10:00:00+09:00", person: "P2")),
            StoredFinding(seq: 103, finding: Self.finding("A4", staff: "S2", at: "2011-03-11T11:00:00+09:00", person: "P1")),
            StoredFinding(seq: 104, finding: Self.finding("A5", staff: "S4", at: "2011-03-11T11:00:00+09:00", person: "P1",
                                                          flagged: false)),
            // After the answers were in: not part of this survey.
            StoredFinding(seq: 105, finding: Self.finding("A6", staff: "S4", at: "2014-03-11T11:00:00+09:00", person: "P1")),
        ])
        let r = try await ReconcileService(store: t.store).reconcile(survey: "2014-02")
        #expect(r.declaredAndFound == ["S1"])
        #expect(r.undeclaredFound == ["S2"])
        #expect(r.declaredNotFound == ["S3"])
        let s1 = try #require(r.details["S1"])
        #expect(s1.flagged.map(\.access) == ["A1", "A2", "A3"])
        #expect(s1.flagged.map(\.item) == [0, 1, nil])
        #expect(s1.matched == 2)
        #expect(s1.undeclared == 1)
        #expect(s1.items.map(\.matched) == [1, 1])
        #expect(r.details["S2"]?.declares == "none")
        #expect(r.details["S4"] == nil)
        let json = try JSONSerialization.jsonObject(with: try r.jsonData()) as! [String: Any]
        #expect(Set(json.keys) == ["survey", "declared_and_found", "undeclared_found", "declared_not_found", "details"])
        #expect(r.table.contains("S2"))
    }

    @Test("on the generated city: both 2014 clerks land where the city put them; agreement with truth.json reported")
    func generatedCity() async throws {
        let seed = try SeedCity.get()
        let r = try await ReconcileService(store: seed.store).reconcile(survey: "2014-02")
        let clerks = seed.clerks
        // The 大正区 clerk declared, the 淀川区 clerk did not (the 2014 story).
        #expect(r.declaredAndFound.contains(clerks["27108"]!))
        #expect(r.undeclaredFound.contains(clerks["27123"]!))
        let truthDeclared = Set(seed.selfReportLabel("declared_and_misused"))
        let truthUndeclared = Set(seed.selfReportLabel("undeclared_misused"))
        let truthWrong = Set(seed.selfReportLabel("declared_not_misused"))
        func agreement(_ got: [String], _ want: Set<String>) -> String {
            let g = Set(got)
            return "\(g.intersection(want).count)/\(want.count) found, \(g.subtracting(want).count) extra"
        }
        print("""
            reconcile vs truth.json — declared_and_found: \(agreement(r.declaredAndFound, truthDeclared)); \
            undeclared_found: \(agreement(r.undeclaredFound, truthUndeclared)); \
            declared_not_found: \(agreement(r.declaredNotFound, truthWrong))
            """)
        // Everyone who declared lands in one of the two declared lists.
        #expect(truthDeclared.isSubset(of: Set(r.declaredAndFound + r.declaredNotFound)))
        #expect(truthWrong.isSubset(of: Set(r.declaredAndFound + r.declaredNotFound)))
    }
}
