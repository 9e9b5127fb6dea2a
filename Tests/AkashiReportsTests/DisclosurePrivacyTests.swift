import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

/// What a resident's report must not show about other people (the privacy review of the disclosure).
@Suite("Disclosure privacy (開示と他人の情報)")
struct DisclosurePrivacyTests {
    static func disclose(_ t: TestStore, _ subject: DisclosureQuery.Subject, auditor: Bool = false) async throws -> DisclosureReport {
        try await DisclosureService(store: t.store).disclose(DisclosureQuery(subject: subject, from: day("2009-01-01"),
                                                                        to: day("2014-12-31"), auditor: auditor))
    }

    /// The marriage link: P1 married P2 before the reform; their register's first form (MH) is a successor of P2's
    /// parents' 改製原戸籍 (SPH), which also has its own reformed form (SPX) and P2's sister's marital register (S5H →
    /// S5X) as successors. P1's parents' 改製原戸籍 (PPH) lists P1; its reformed form (PPX, made after P1 left) does not.
    @Test("a person's report covers their own registers and true reform forms, never the in-laws' or siblings' registers")
    func noInLawRegisters() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.office("27127", "北区役所"), Lines.staff("S1", "甲"),
            // P1's parents.
            Lines.register("PPH", kind: "heisei_original", members: ["P8", "P1"], successors: ["PPX", "MH"]),
            Lines.register("PPX", members: ["P8"], predecessors: ["PPH"]),
            // P2's parents: the reformed form and two marriages out of it (P2 with P1; P5).
            Lines.register("SPH", kind: "heisei_original", members: ["P3", "P4", "P2", "P5"], successors: ["SPX", "MH", "S5H"]),
            Lines.register("SPX", members: ["P3", "P4"], predecessors: ["SPH"]),
            Lines.register("S5H", kind: "heisei_original", members: ["P5"], predecessors: ["SPH"], successors: ["S5X"]),
            Lines.register("S5X", members: ["P5"], predecessors: ["S5H"]),
            // P1 and P2: married before the reform.
            Lines.register("MH", kind: "heisei_original", members: ["P1", "P2"], predecessors: ["PPH", "SPH"], successors: ["MX"]),
            Lines.register("MX", members: ["P1", "P2"], predecessors: ["MH"]),
            Lines.person("P1", "浪花 一郎", register: "MX"), Lines.person("P2", "浪花 花子", register: "MX"),
            Lines.person("P3", "難波 太郎", register: "SPX"), Lines.person("P5", "堺 桜", register: "S5X"),
            Lines.person("P8", "浪花 父", register: "PPX"),
            // Accesses to P1's registers.
            Lines.access("E1", at: "2011-03-11T10:00:00+09:00", register: "MX"),
            Lines.access("E2", at: "2011-03-11T10:01:00+09:00", record: "heisei_original", register: "MH"),
            Lines.access("E3", at: "2011-03-11T10:02:00+09:00", record: "heisei_original", register: "PPH"),
            // Accesses to the others' registers (by another office).
            Lines.access("X1", at: "2011-04-01T10:00:00+09:00", office: "27127", record: "fuhyo", register: "SPX"),
            Lines.access("X2", at: "2011-04-01T10:01:00+09:00", office: "27127", record: "heisei_original", register: "SPH"),
            Lines.access("X3", at: "2011-04-01T10:02:00+09:00", office: "27127", record: "fuhyo", register: "S5X"),
            Lines.access("X4", at: "2011-04-01T10:03:00+09:00", office: "27127", record: "heisei_original", register: "S5H"),
            Lines.access("X5", at: "2011-04-01T10:04:00+09:00", office: "27127", record: "fuhyo", register: "PPX"),
        ])
        let r = try await Self.disclose(t, .person("P1"))
        #expect(r.subject.registers == ["MH", "MX", "PPH"])
        #expect(r.offices.map(\.office) == ["27108"])
        #expect(r.allEvents.map(\.id) == ["E1", "E2", "E3"])
        // MH and MX are one register; PPH another.
        #expect(r.offices[0].registers == 2)
        #expect(ReceiptVerifier.verify(report: r, verifiers: [t.verifier]).allSatisfy { $0.ok })

        // The spouse's report: her parents' 改製原戸籍 lists her; its reformed form and her sister's registers do not.
        let spouse = try await Self.disclose(t, .person("P2"))
        #expect(spouse.subject.registers == ["MH", "MX", "SPH"])
        #expect(Set(spouse.allEvents.map(\.id)) == ["E1", "E2", "X2"])

        // By register (documented): MX with its 改製原戸籍 and their direct predecessors with their reform forms, not the
        // predecessors' other successors (S5H, S5X).
        let byRegister = try await Self.disclose(t, .register("MX"))
        #expect(byRegister.subject.registers == ["MH", "MX", "PPH", "PPX", "SPH", "SPX"])
        #expect(Reg.isReform(t, "MH", "MX"))
        #expect(!Reg.isReform(t, "SPH", "MH"))
        #expect(!Reg.isReform(t, "SPH", "S5H"))
        #expect(Reg.isReform(t, "SPH", "SPX"))
    }

    /// Divorces before the reform. P12 stays in the register (QH → QX) and the former spouse P13 leaves for her own
    /// register (P13H → P13X); P10 leaves the former spouse P11's register (EXH), which is then reformed without him (EXX).
    @Test("after a divorce before the reform, the former spouse's registers (and their 附票 accesses) are not in the report")
    func noFormerSpouseRegisters() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.office("27123", "淀川区役所"), Lines.staff("S1", "甲"),
            Lines.register("QH", kind: "heisei_original", members: ["P12", "P13"], successors: ["QX", "P13H"]),
            Lines.register("QX", members: ["P12"], predecessors: ["QH"]),
            Lines.register("P13H", kind: "heisei_original", members: ["P13"], predecessors: ["QH"], successors: ["P13X"]),
            Lines.register("P13X", members: ["P13"], predecessors: ["P13H"]),
            Lines.register("EXH", kind: "heisei_original", members: ["P11", "P10"], successors: ["EXX", "P10H"]),
            Lines.register("EXX", members: ["P11"], predecessors: ["EXH"]),
            Lines.register("P10H", kind: "heisei_original", members: ["P10"], predecessors: ["EXH"], successors: ["P10X"]),
            Lines.register("P10X", members: ["P10"], predecessors: ["P10H"]),
            Lines.person("P12", "元夫", register: "QX"), Lines.person("P13", "元妻", register: "P13X"),
            Lines.person("P10", "元夫二", register: "P10X"), Lines.person("P11", "元妻二", register: "EXX"),
            Lines.access("E1", at: "2012-01-10T10:00:00+09:00", register: "QX"),
            Lines.access("E2", at: "2012-01-10T10:01:00+09:00", record: "heisei_original", register: "QH"),
            Lines.access("E3", at: "2012-01-10T10:02:00+09:00", register: "P10X"),
            Lines.access("E4", at: "2012-01-10T10:03:00+09:00", record: "heisei_original", register: "EXH"),
            // Where the former spouses live now: their registers' 附票, opened by the office of their new address.
            Lines.access("X1", at: "2012-02-01T10:00:00+09:00", office: "27123", record: "fuhyo", register: "P13X"),
            Lines.access("X2", at: "2012-02-01T10:01:00+09:00", office: "27123", record: "heisei_original", register: "P13H"),
            Lines.access("X3", at: "2012-02-01T10:02:00+09:00", office: "27123", record: "fuhyo", register: "EXX"),
        ])
        let stayed = try await Self.disclose(t, .person("P12"))
        #expect(stayed.subject.registers == ["QH", "QX"])
        #expect(stayed.allEvents.map(\.id) == ["E1", "E2"])
        #expect(stayed.offices.map(\.office) == ["27108"])
        #expect(stayed.offices[0].registers == 1)

        let left = try await Self.disclose(t, .person("P10"))
        #expect(left.subject.registers == ["EXH", "P10H", "P10X"])
        #expect(left.allEvents.map(\.id) == ["E3", "E4"])
        #expect(!left.offices.contains { $0.office == "27123" })
    }
}

/// Reads two registers of a test store and asks ``DisclosureService/isReform(_:_:)``.
enum Reg {
    static func isReform(_ t: TestStore, _ a: String, _ b: String) -> Bool {
        let rs = (try? t.store.registers(ids: [a, b])) ?? []
        guard let ra = rs.first(where: { $0.id == a }), let rb = rs.first(where: { $0.id == b }) else { return false }
        return DisclosureService.isReform(ra, rb)
    }
}

/// DV support (支援措置): the abuser's report must not locate the victim who shares (or shared) the register.
@Suite("Disclosure and DV support (開示と支援措置)")
struct DisclosureDVTests {
    /// PA and PV share register R; PV is under DV support from 2012 and lives in 淀川区 now. Her new office opens R's
    /// 附票 and R, and issues her certificates (her own request naming her; a family request naming no person).
    static func store() async throws -> TestStore {
        try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.office("27123", "淀川区役所"),
            Lines.staff("S1", "甲"), Lines.staff("S2", "乙", office: "27123"),
            Lines.register("R", members: ["PA", "PV"]),
            Lines.person("PA", "加害 太郎", register: "R"), Lines.person("PV", "被害 花子", register: "R"),
            Lines.protection("PV", from: "2012-01-01"),
            Lines.access("E1", at: "2012-03-01T10:00:00+09:00", register: "R", person: "PA"),
            Lines.access("V1", at: "2012-03-05T10:00:00+09:00", staff: "S2", office: "27123", record: "fuhyo", register: "R"),
            Lines.access("V2", at: "2012-03-05T10:01:00+09:00", staff: "S2", office: "27123", register: "R", person: "PV"),
            Lines.kase("CV", office: "27123", requester: "self", received: "2012-03-05T10:00:00+09:00", staff: ["S2"],
                       registers: ["R"], persons: ["PV"]),
            Lines.access("V3", at: "2012-03-05T10:02:00+09:00", staff: "S2", office: "27123", action: "print", register: "R",
                         person: "PV", caseID: "CV"),
            Lines.kase("CF", office: "27123", requester: "family", received: "2012-03-06T10:00:00+09:00", staff: ["S2"],
                       registers: ["R"], persons: []),
            Lines.access("V4", at: "2012-03-06T10:02:00+09:00", staff: "S2", office: "27123", action: "print", register: "R",
                         caseID: "CF"),
        ])
    }

    @Test("the abuser's report shows neither the protected member's office nor her requests; the auditor's form does")
    func abuserSeesNoOffice() async throws {
        let t = try await Self.store()
        let r = try await DisclosurePrivacyTests.disclose(t, .person("PA"))
        #expect(r.offices.map(\.office) == ["27108"])
        #expect(r.offices[0].events.map(\.id) == ["E1"])
        #expect(r.issuances.isEmpty)
        let withheld = r.withheld ?? []
        #expect(withheld.map(\.id) == ["V1", "V2", "V3", "V4"])
        #expect(withheld.map(\.date) == ["2012-03-05", "2012-03-05", "2012-03-05", "2012-03-06"])
        #expect(withheld.allSatisfy { $0.staff == nil && $0.entry == nil && $0.leaf?.count == 64 && $0.receipt != nil })
        let texts = [String(decoding: try r.jsonData(), as: UTF8.self), r.html(), r.officesCSV(), r.eventsCSV()]
        for text in texts {
            // (Two-letter IDs could occur by chance in base64; the office code and the names cannot.)
            for secret in ["27123", "淀川", "乙"] { #expect(!text.contains(secret), "\(secret)") }
        }
        #expect(r.html().contains("非開示（支援措置）"))
        let checks = ReceiptVerifier.verify(report: try DisclosureReport.parse(try r.jsonData()), verifiers: [t.verifier])
        #expect(checks.count == 5)
        #expect(checks.allSatisfy { $0.ok })
        // No entry bytes in the resident's form: every receipt is checked by its leaf hash.
        #expect(checks.filter { $0.note == ReceiptCheck.contentWithheld }.map(\.eventID) == ["E1", "V1", "V2", "V3", "V4"])

        // The auditor's form keeps everything.
        let audited = try await DisclosurePrivacyTests.disclose(t, .person("PA"), auditor: true)
        #expect(audited.withheld == nil)
        #expect(audited.offices.map(\.office) == ["27108", "27123"])
        #expect(audited.offices[1].events.map(\.id) == ["V1", "V2", "V3"])
        #expect(audited.issuances.map(\.caseID) == ["CF"])
        #expect(audited.allEvents.allSatisfy { $0.entry != nil && $0.staff != nil })

        // The protected person's own report is not withheld from her.
        let own = try await DisclosurePrivacyTests.disclose(t, .person("PV"))
        #expect(own.withheld == nil)
        #expect(Set(own.issuances.map(\.caseID)) == ["CV", "CF"])
        #expect(own.allEvents.count == 5)
    }

    @Test("a protection that ended before the access and before today withholds nothing")
    func endedProtection() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.office("27123", "淀川区役所"),
            Lines.staff("S1", "甲"), Lines.staff("S2", "乙", office: "27123"),
            Lines.register("R", members: ["PA", "PV"]),
            Lines.person("PA", "加害 太郎", register: "R"), Lines.person("PV", "被害 花子", register: "R"),
            Lines.protection("PV", from: "2008-01-01", to: "2010-12-31"),
            Lines.access("V1", at: "2012-03-05T10:00:00+09:00", staff: "S2", office: "27123", record: "fuhyo", register: "R"),
        ])
        let r = try await DisclosurePrivacyTests.disclose(t, .person("PA"))
        #expect(r.withheld == nil)
        #expect(r.offices.map(\.office) == ["27123"])
    }
}

/// What the resident's JSON carries of each ledger entry.
@Suite("Disclosure entries in the resident's form (住民向けの台帳エントリ)")
struct DisclosureEntryTests {
    @Test("no entry bytes in the resident's form (staff IDs, terminals, queries stay out); every receipt verifies by its leaf hash")
    func privateEntries() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.staff("S1", "甲"),
            Lines.register("R1", members: ["P1", "P2"]), Lines.register("R9", members: ["P9"]),
            Lines.person("P1", "浪花 一郎", register: "R1"), Lines.person("P2", "浪花 次郎", register: "R1"),
            Lines.person("P9", "他人", register: "R9"),
            Lines.access("N1", at: "2011-03-11T10:00:00+09:00", register: "R1", person: "P1"),
            Lines.access("N2", at: "2011-03-11T10:01:00+09:00", record: "fuhyo", register: "R1"),
            Lines.access("Q1", at: "2011-03-11T10:02:00+09:00", action: "search", register: nil, results: ["R9", "R1"]),
            Lines.access("O1", at: "2011-03-11T10:03:00+09:00", register: "R1", person: "P2"),
            Lines.access("B1", at: "2011-03-11T10:04:00+09:00", register: "R1", person: "P1", reason: "知人に頼まれたため"),
        ])
        let r = try await DisclosurePrivacyTests.disclose(t, .person("P1"))
        let json = try r.jsonData()
        let parsed = try DisclosureReport.parse(json)
        let byID = Dictionary(parsed.allEvents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(byID.keys) == ["N1", "N2", "Q1", "O1", "B1"])
        for (id, e) in byID {
            #expect(e.entry == nil, "\(id)")
            let bytes = try #require(try t.store.ledgerEntries(e.index..<(e.index + 1)).first)
            #expect(e.leaf == MerkleHash.leaf(bytes).hex, "\(id)")
        }
        // Nothing of the staff, the terminal, the query, the other person or the reason is in the resident's JSON.
        let text = String(decoding: json, as: UTF8.self)
        // IDs as whole JSON strings: a bare "P2" also turns up by chance inside the checkpoint's base64 signature.
        for secret in ["\"S1\"", "\"terminal\"", "\"query\"", "\"results\"", "\"reason\"", "\"P2\"", "\"R9\"", "知人", "次郎"] {
            #expect(!text.contains(secret), "\(secret)")
        }
        // Receipts: all verify, by the leaf hash, saying so.
        let checks = ReceiptVerifier.verify(report: parsed, verifiers: [t.verifier])
        #expect(checks.count == 5 && checks.allSatisfy { $0.ok && $0.note == ReceiptCheck.contentWithheld })
        // A wrong leaf fails; so does another access's leaf.
        var bad = parsed
        let k = try #require(bad.offices[0].events.firstIndex { $0.id == "Q1" })
        let n = try #require(bad.offices[0].events.firstIndex { $0.id == "N1" })
        bad.offices[0].events[k].leaf = bad.offices[0].events[n].leaf
        bad.offices[0].events[n].leaf = String(repeating: "0", count: 64)
        #expect(Set(ReceiptVerifier.verify(report: bad, verifiers: [t.verifier]).filter { !$0.ok }.map(\.eventID)) == ["Q1", "N1"])
        // One receipt with its leaf hash (what `akashi verify-receipt` checks for such an event).
        let q = try #require(byID["Q1"])
        #expect(try ReceiptVerifier.verify(receipt: q.receipt!, leaf: q.leaf!, verifiers: [t.verifier]).size > q.index)

        // The auditor's form keeps every entry, and checks each against its row.
        let audited = try await DisclosurePrivacyTests.disclose(t, .person("P1"), auditor: true)
        #expect(audited.allEvents.allSatisfy { $0.entry != nil && $0.leaf == nil })
        #expect(ReceiptVerifier.verify(report: audited, verifiers: [t.verifier]).allSatisfy { $0.ok && $0.note.isEmpty })
    }

    @Test("each access says why the office looked: the explaining case with its requester, the clerk's case, a written reason (not its text), or none")
    func purposes() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.staff("S1", "甲"),
            Lines.register("R1", members: ["P1"]), Lines.person("P1", "浪花 一郎", register: "R1"),
            Lines.kase("C1", kind: "certificate.full", requester: "third_party", received: "2011-03-11T09:55:00+09:00",
                       registers: ["R1"], persons: ["P1"]),
            Lines.kase("C2", kind: "notification.birth", requester: "family", received: "2011-03-11T09:00:00+09:00",
                       registers: ["R1"], persons: []),
            Lines.access("A1", at: "2011-03-11T10:00:00+09:00", register: "R1", person: "P1", caseID: "C1"),
            Lines.access("A2", at: "2011-03-11T10:01:00+09:00", register: "R1", caseID: "C2"),
            Lines.access("A3", at: "2011-03-11T10:02:00+09:00", register: "R1", reason: "窓口で本人確認のため"),
            Lines.access("A4", at: "2011-03-11T10:03:00+09:00", register: "R1"),
        ])
        let r = try await DisclosurePrivacyTests.disclose(t, .person("P1"))
        let byID = Dictionary(r.allEvents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // No audit has run: a named case is said to be the clerk's record, not confirmed.
        #expect(byID["A1"]?.purpose == "戸籍全部事項証明の交付請求（請求者：第三者）（職員が記録した案件）")
        #expect(byID["A1"]?.purposeEn == "request for a certificate of the whole register (requester: third party) (the case the clerk recorded)")
        #expect(byID["A2"]?.purpose == "出生届の処理（請求者：本人等（配偶者・直系））（職員が記録した案件）")
        #expect(byID["A3"]?.purpose == "案件によらず、職員が理由を記入した閲覧")
        #expect(byID["A4"]?.purpose == "業務文書の記録なし")
        #expect(!String(decoding: try r.jsonData(), as: UTF8.self).contains("本人確認"))
    }
}

@Suite("Disclosure attribution of named cases (事件の名指し)")
struct DisclosureNamedCaseTests {
    @Test("an access naming the resident's own case goes under issuances only when the case explains it (office, staff, window)")
    func namedCaseMustFit() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"), Lines.office("27127", "北区役所"),
            Lines.staff("S1", "甲"), Lines.staff("S2", "乙", office: "27127"), Lines.staff("S4", "丁", office: "27127"),
            Lines.register("R1", members: ["P1"]), Lines.person("P1", "浪花 一郎", register: "R1"),
            Lines.kase("C1", office: "27127", requester: "self", received: "2011-05-02T10:00:00+09:00", staff: ["S2"],
                       registers: ["R1"], persons: ["P1"]),
            // The request itself.
            Lines.access("E1", at: "2011-05-02T10:05:00+09:00", staff: "S2", office: "27127", action: "print",
                         register: "R1", person: "P1", caseID: "C1"),
            // Another clerk of the same office, the same day, naming the case.
            Lines.access("X1", at: "2011-05-02T10:30:00+09:00", staff: "S4", office: "27127", register: "R1",
                         person: "P1", caseID: "C1"),
            // A clerk of another office, years later, naming the resident's old case.
            Lines.access("X2", at: "2013-08-01T15:00:00+09:00", staff: "S1", office: "27108", record: "fuhyo",
                         register: "R1", person: "P1", caseID: "C1"),
            // The case's own clerk, years later.
            Lines.access("X3", at: "2013-08-02T15:00:00+09:00", staff: "S2", office: "27127", register: "R1",
                         person: "P1", caseID: "C1"),
        ])
        let r = try await DisclosurePrivacyTests.disclose(t, .person("P1"))
        #expect(r.issuances.map(\.caseID) == ["C1"])
        #expect(r.issuances[0].events.map(\.id) == ["E1"])
        #expect(r.offices.map(\.office) == ["27108", "27127"])
        #expect(r.offices[0].events.map(\.id) == ["X2"])
        #expect(r.offices[1].events.map(\.id) == ["X1", "X3"])
        #expect(r.offices[1].accessors == 2)
    }
}
