import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

@Suite("Disclosure (開示請求)")
struct DisclosureTests {
    /// The mayor's disclosure over the announcement's window.
    static func seedReport(auditor: Bool = false) async throws -> (SeedFixture, DisclosureReport) {
        let seed = try SeedCity.get()
        let report = try await DisclosureService(store: seed.store).disclose(DisclosureQuery(
            subject: .person(seed.mayor), from: day("2009-12-14"), to: day("2014-02-07"), auditor: auditor))
        return (seed, report)
    }

    @Test("osaka-2014: exactly the city's table (大正区 1/3 dates/5+3/1, 淀川区 1/1 date/1+1/1) and the mayor's own issuances")
    func seedTable() async throws {
        let (seed, r) = try await Self.seedReport()
        // Through the JSON contract, as an independent checker reads it.
        let json = try JSONSerialization.jsonObject(with: try r.jsonData()) as! [String: Any]
        let offices = json["offices"] as! [[String: Any]]
        #expect(offices.map { $0["office"] as! String } == ["27108", "27123"])
        let taisho = offices[0], yodogawa = offices[1]
        #expect(taisho["name"] as? String == "大正区役所")
        #expect(taisho["accessors"] as? Int == 1)
        #expect(taisho["dates"] as? [String] == ["2011-03-11", "2011-10-05", "2011-11-15"])
        #expect(taisho["counts"] as? [String: Int] == ["current": 5, "fuhyo": 3])
        #expect(taisho["registers"] as? Int == 1)
        #expect(taisho["prints"] as? Int == 0)
        #expect(yodogawa["name"] as? String == "淀川区役所")
        #expect(yodogawa["accessors"] as? Int == 1)
        #expect(yodogawa["dates"] as? [String] == ["2013-11-14"])
        #expect(yodogawa["counts"] as? [String: Int] == ["current": 1, "heisei_original": 1])
        #expect(yodogawa["registers"] as? Int == 1)
        // The 2014 incident as issue 2 defines it is views only: the clerks made no searches.
        #expect(taisho["searches"] as? Int == 0)
        #expect(yodogawa["searches"] as? Int == 0)
        #expect((taisho["events"] as? [Any])?.count == 8)
        #expect((yodogawa["events"] as? [Any])?.count == 2)
        // The scenario's events are exactly the ten disclosed in the office table.
        let scenario = Set((seed.truth["scenario"]?["accesses"]).map { v -> [String] in
            guard case let .array(a) = v else { return [] }
            return a.compactMap(\.stringValue)
        } ?? [])
        #expect(Set(r.offices.flatMap(\.events).map(\.id)) == scenario)
        // The mayor's own requests: every one listed under issuances, as self, with their accesses.
        #expect(!seed.mayorCases.isEmpty)
        #expect(Set(r.issuances.map(\.caseID)) == Set(seed.mayorCases))
        for i in r.issuances {
            #expect(i.requester == "self")
            #expect(i.issued)
            #expect(i.events.contains { $0.action == "print" })
        }
        #expect(r.subject.registers.contains(seed.mayorRegister))
        #expect(r.subject.registers.contains(seed.mayorOriginal))
        #expect(json["period"] as? [String: String] == ["from": "2009-12-14", "to": "2014-02-07"])
        #expect(r.checkpoint != nil)
    }

    @Test("the same table by register: the mayor's register and its 改製原戸籍 count as one")
    func seedByRegister() async throws {
        let seed = try SeedCity.get()
        let r = try await DisclosureService(store: seed.store).disclose(DisclosureQuery(
            subject: .register(seed.mayorRegister), from: day("2009-12-14"), to: day("2014-02-07")))
        #expect(r.offices.map(\.office) == ["27108", "27123"])
        #expect(r.offices.map(\.registers) == [1, 1])
        #expect(r.offices[1].counts == ["current": 1, "heisei_original": 1])
    }

    @Test("staff are never named in the resident's form (JSON, HTML, CSV); the auditor's form has their IDs")
    func staffNotNamed() async throws {
        let (seed, r) = try await Self.seedReport()
        let clerks = Array(seed.clerks.values)
        #expect(clerks.count == 2)
        var names: [String] = []
        for s in try seed.store.staffMembers(office: nil, role: nil) where clerks.contains(s.id) {
            if let n = s.name { names.append(n) }
        }
        let texts = [String(decoding: try r.jsonData(), as: UTF8.self), r.html(), r.officesCSV(), r.eventsCSV()]
        for text in texts {
            for id in clerks { #expect(!text.contains(id)) }
            for n in names { #expect(!text.contains(n)) }
        }
        #expect(r.allEvents.allSatisfy { $0.staff == nil })
        let (_, audited) = try await Self.seedReport(auditor: true)
        #expect(Set(audited.offices.flatMap(\.events).compactMap(\.staff)) == Set(clerks))
        #expect(audited.html().contains(clerks[0]))
    }

    @Test("every receipt verifies offline with the key alone; a tampered entry or row fails")
    func receipts() async throws {
        // The resident's form: every receipt verifies by its leaf hash (it carries no entry bytes).
        let (seed, resident) = try await Self.seedReport()
        let residentChecks = ReceiptVerifier.verify(report: resident, verifiers: [seed.test.verifier])
        #expect(!residentChecks.isEmpty && residentChecks.allSatisfy { $0.ok && $0.note == ReceiptCheck.contentWithheld })
        // The auditor's form, with the entries: each is checked against its row too.
        let (_, r) = try await Self.seedReport(auditor: true)
        let checks = ReceiptVerifier.verify(report: r, verifiers: [seed.test.verifier])
        #expect(!checks.isEmpty)
        #expect(checks.allSatisfy { $0.ok })
        // Round trip through the file form.
        let again = try DisclosureReport.parse(try r.jsonData())
        #expect(ReceiptVerifier.verify(report: again, verifiers: [seed.test.verifier]).allSatisfy { $0.ok })

        // A tampered entry: 現在戸籍 → 附票 in the entry bytes.
        var bad = r
        let e = bad.offices[0].events[0]
        var entry = String(decoding: Data(base64Encoded: e.entry!)!, as: UTF8.self)
        entry = entry.replacingOccurrences(of: "\"record\":\"current\"", with: "\"record\":\"fuhyo\"")
        bad.offices[0].events[0].entry = Data(entry.utf8).base64EncodedString()
        let failed = ReceiptVerifier.verify(report: bad, verifiers: [seed.test.verifier]).filter { !$0.ok }
        #expect(failed.map(\.eventID) == [e.id])
        // A row that says something else than its (genuine) entry.
        var lying = r
        lying.offices[0].events[0].date = "2012-01-01"
        lying.offices[0].events[0].at = "2012-01-01T10:00:00+09:00"
        #expect(ReceiptVerifier.verify(report: lying, verifiers: [seed.test.verifier]).contains { !$0.ok })
        // Another key.
        let other = try NoteSigner.generate(name: "city.akashi.example/ledger").verifier
        #expect(ReceiptVerifier.verify(report: r, verifiers: [other]).allSatisfy { !$0.ok })
        // A single receipt with its entry bytes.
        let one = r.offices[1].events[0]
        let cp = try ReceiptVerifier.verify(receipt: one.receipt!, entry: [UInt8](Data(base64Encoded: one.entry!)!),
                                            verifiers: [seed.test.verifier])
        #expect(cp.size > one.index)
        #expect(throws: (any Error).self) {
            try ReceiptVerifier.verify(receipt: one.receipt!, entry: Array("{}".utf8), verifiers: [seed.test.verifier])
        }
    }

    @Test("the report's receipts (one shared proof walk) are byte for byte the single receipts `akashi receipt` gives")
    func receiptsEqualSingleReceipts() async throws {
        let (seed, r) = try await Self.seedReport()
        let ledger = LedgerService(store: seed.store)
        let events = r.allEvents
        #expect(events.count > 1)
        for e in events {
            let receipt = try #require(e.receipt)
            await #expect(receipt == (try ledger.receipt(index: e.index)).receipt.text, "event \(e.id)")
        }
    }

    @Test("the audit's case explanations read for a report equal the stored findings' explanations")
    func explainingCasesMatchFindings() async throws {
        let (seed, r) = try await Self.seedReport()
        let ids = r.allEvents.map(\.id) + ["no-such-access"]
        var expected: [String: String] = [:]
        for f in try seed.store.findings(accessIDs: ids) {
            if let c = f.finding.explanation?.caseID { expected[f.finding.access] = c }
        }
        #expect(!expected.isEmpty, "the seed city's audit explains the mayor's own requests by their cases")
        #expect(try await seed.store.explainingCases(accessIDs: ids) == expected)
        #expect(try await seed.store.explainingCases(accessIDs: []) == [:])
    }

    @Test("HTML: A4 print CSS, the 2014 layout, every string escaped")
    func htmlEscaping() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "<script>alert(\\\"x\\\")</script>&区役所"),
            Lines.staff("S1", "山田 花子"),
            Lines.register("R1", members: ["P1"]),
            Lines.person("P1", "<b>浪花</b> 一郎 & 'quote'", register: "R1"),
            Lines.access("E1", at: "2011-03-11T10:41:12+09:00", register: "R1", person: "P1"),
            Lines.access("E2", at: "2011-03-11T10:42:12+09:00", record: "fuhyo", register: "R1", person: "P1"),
        ])
        let r = try await DisclosureService(store: t.store).disclose(DisclosureQuery(subject: .person("P1"), from: day("2011-01-01"),
                                                                                to: day("2011-12-31")))
        let html = r.html()
        #expect(html.contains("@page { size: A4"))
        #expect(html.contains("@media print"))
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<b>浪花"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;区役所"))
        #expect(html.contains("&lt;b&gt;浪花&lt;/b&gt; 一郎 &amp; &#39;quote&#39;"))
        #expect(html.contains("閲覧者数"))
        #expect(html.contains("閲覧日"))
        #expect(html.contains("平成23年3月11日"))
        #expect(html.contains("計2回（現在戸籍 1回、戸籍の附票 1回）"))
        #expect(html.contains("対象戸籍数"))
        #expect(!html.contains("山田"))
        #expect(!html.contains("S1<"))
    }

    @Test("refused attempts are no views or prints: counted apart, and marked as refused in the letter (issue 19, R-2)")
    func refusedAttempts() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.staff("S1", "山田 花子"),
            Lines.register("R1", members: ["P1"]), Lines.person("P1", "浪花 一郎", register: "R1"),
            Lines.access("E1", at: "2011-03-11T10:41:12+09:00", register: "R1", person: "P1"),
            Lines.access("E2", at: "2011-03-11T10:42:12+09:00", record: "fuhyo", register: "R1", person: "P1", outcome: "denied"),
            Lines.access("E3", at: "2011-03-11T10:43:12+09:00", action: "print", record: "fuhyo", register: "R1", person: "P1",
                         outcome: "denied"),
        ])
        let r = try await DisclosureService(store: t.store).disclose(DisclosureQuery(subject: .person("P1"), from: day("2011-01-01"),
                                                                                to: day("2011-12-31")))
        let o = try #require(r.offices.first)
        #expect(o.counts == ["current": 1])
        #expect(o.prints == 0 && o.refused == 2)
        #expect(o.events.count == 3)
        let html = r.html()
        #expect(html.contains("計1回"))
        #expect(html.contains("拒否された試み"))
        #expect(html.components(separatedBy: "拒否（表示・出力されていません）").count - 1 == 2)
        // A report written before `refused` existed still reads.
        var object = try #require(try JSONSerialization.jsonObject(with: try r.jsonData()) as? [String: Any])
        object["offices"] = (object["offices"] as? [[String: Any]])?.map { o in var o = o; o["refused"] = nil; return o }
        let json = try JSONSerialization.data(withJSONObject: object)
        #expect(!String(decoding: json, as: UTF8.self).contains("refused"))
        let old = try JSONDecoder().decode(DisclosureReport.self, from: json)
        #expect(old.offices.first?.refused == 0)
    }

    @Test("CSV: BOM, one row per office with the same columns; an events CSV with one row per event")
    func csvShape() async throws {
        let (_, r) = try await Self.seedReport()
        let csv = r.officesCSV()
        #expect(csv.hasPrefix("\u{FEFF}"))
        let lines = csv.dropFirst().split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(lines.count == r.offices.count + 1)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        #expect(header.first == "office")
        for l in lines { #expect(l.split(separator: ",", omittingEmptySubsequences: false).count == header.count) }
        #expect(lines[1].hasPrefix("27108,大正区役所,1,2011-03-11;2011-10-05;2011-11-15,8,5,0,0,0,3,0,0,0,1"))
        #expect(lines[2].hasPrefix("27123,淀川区役所,1,2013-11-14,2,1,0,1,0,0,0,0,0,1"))
        let events = r.eventsCSV(bom: false).split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(events.count == 1 + r.allEvents.count)
        #expect(!r.officesCSV(bom: false).hasPrefix("\u{FEFF}"))
        // Formula injection is neutralised; quotes are doubled.
        #expect(ReportText.csv("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
    }

    @Test("own requests (self, family) go to issuances; third-party prints and searches stay in the office table")
    func attribution() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.office("27127", "北区役所"),
            Lines.staff("S1", "甲"), Lines.staff("S2", "乙", office: "27127"),
            Lines.register("H1", kind: "heisei_original", members: ["P1"], successors: ["R1"]),
            Lines.register("R1", members: ["P1"], predecessors: ["H1"]),
            Lines.register("R9", members: ["P9"]),
            Lines.person("P1", "浪花 一郎", register: "R1"), Lines.person("P9", "他人", register: "R9"),
            // Own request, the print names the case; the view does not (attributed by window).
            Lines.kase("C1", office: "27127", requester: "self", received: "2011-05-02T10:00:00+09:00", staff: ["S2"],
                       registers: ["R1"], persons: ["P1"]),
            Lines.access("E1", at: "2011-05-02T10:03:00+09:00", staff: "S2", office: "27127", action: "search",
                         register: nil, results: ["R1"]),
            Lines.access("E2", at: "2011-05-02T10:05:00+09:00", staff: "S2", office: "27127", register: "R1", person: "P1"),
            Lines.access("E3", at: "2011-05-02T10:09:00+09:00", staff: "S2", office: "27127", action: "print",
                         register: "R1", person: "P1", caseID: "C1"),
            // Third-party request: stays in the table.
            Lines.kase("C2", requester: "third_party", received: "2011-06-01T10:00:00+09:00", registers: ["R1"], persons: ["P1"]),
            Lines.access("E4", at: "2011-06-01T10:05:00+09:00", action: "print", register: "R1", person: "P1", caseID: "C2"),
            // Browsing, both forms of the register, and a search listing it among others.
            Lines.access("E5", at: "2011-07-01T10:05:00+09:00", action: "search", register: nil, results: ["R9", "R1"]),
            Lines.access("E6", at: "2011-07-01T10:06:00+09:00", record: "heisei_original", register: "H1", person: "P1"),
            // A search that does not list the subject, and another register: not disclosed.
            Lines.access("E7", at: "2011-07-01T10:07:00+09:00", action: "search", register: nil, results: ["R9"]),
            Lines.access("E8", at: "2011-07-01T10:08:00+09:00", register: "R9", person: "P9"),
            // Outside the period.
            Lines.access("E9", at: "2012-01-01T10:08:00+09:00", register: "R1", person: "P1"),
        ])
        let r = try await DisclosureService(store: t.store).disclose(DisclosureQuery(subject: .person("P1"), from: day("2011-01-01"),
                                                                                to: day("2011-12-31")))
        #expect(r.issuances.map(\.caseID) == ["C1"])
        #expect(r.issuances[0].events.map(\.id) == ["E1", "E2", "E3"])
        #expect(r.issuances[0].date == "2011-05-02")
        #expect(r.offices.map(\.office) == ["27108"])
        let o = r.offices[0]
        #expect(o.events.map(\.id) == ["E4", "E5", "E6"])
        #expect(o.searches == 1)
        #expect(o.prints == 1)
        #expect(o.counts == ["heisei_original": 1])
        #expect(o.registers == 1)
        #expect(o.dates == ["2011-06-01", "2011-07-01"])
        #expect(Set(r.subject.registers) == ["H1", "R1"])
        #expect(ReceiptVerifier.verify(report: r, verifiers: [t.verifier]).allSatisfy { $0.ok })
    }
}
