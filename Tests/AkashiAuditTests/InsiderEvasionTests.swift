// Written from docs/audit.md (the public rules, which the insider has read too) and the issue text, BLIND to the
// engine: AuditEngine.swift, AuditContext.swift and the city's misuse generator (AkashiCity/Misuse.swift) were not
// read. Only the record types (AkashiDomain), the public API of AkashiAudit and the existing test fixture were
// looked at.
//
// Each test is one hiding technique as a small story with its own fixture. The misuse access must be FLAGGED;
// where it matters a genuine look-alike in the same story must NOT be, so no test passes by flagging everything.

import AkashiAudit
import AkashiDomain
import Testing

/// 大正区 and 淀川区. The insider S_I is a 大正区 register clerk who knows the rules; S_C is an honest colleague,
/// S_SUP the supervisor who checks requests.
private enum IE {
    static let taisho = "27108"
    static let yodo = "27123"
    static let offices = [
        Office(code: "27108", name: "大正区役所", municipality: "27100"),
        Office(code: "27123", name: "淀川区役所", municipality: "27100"),
    ]

    /// Thursday 2012-05-10 unless another day is given.
    static func at(_ hm: String, day: String = "2012-05-10") -> Timestamp { Timestamp(day + "T" + hm + ":00+09:00")! }

    static func koseki(_ office: String) -> Assignment {
        Assignment(office: office, duty: "koseki", from: LocalDate("2009-04-01")!)
    }

    static let staff = [
        Staff(id: "S_I", name: "内部 悪子", role: .clerk, assignments: [koseki(taisho)], person: "P_I",
              address: "大阪市大正区泉尾一丁目1番1号"),
        Staff(id: "S_C", name: "同僚 善男", role: .clerk, assignments: [koseki(taisho)]),
        Staff(id: "S_SUP", name: "係長 審査", role: .supervisor, assignments: [koseki(taisho)]),
        Staff(id: "S_Y", name: "淀川 職員", role: .clerk, assignments: [koseki(yodo)]),
    ]

    static func reg(_ id: String, _ members: [String], office: String = taisho) -> Register {
        Register(id: id, kind: .current, honseki: "大阪市", office: office, head: members.first, members: members)
    }

    static let registers = [
        reg("R_I", ["P_I"]),
        reg("R_EX", ["P_EX"]),
        reg("R_CASE", ["P_CASE"]),
        reg("R_SLIP", ["P_SLIP"]),
        reg("R_B", ["P_B"]),
        reg("R_C2", ["P_C2"]),
        reg("R_CERT", ["P_CERT"]),
        reg("R_VIP", ["P_VIP"]),
        reg("R_DV", ["P_DV"]),
        reg("R_NS", ["P_NS"]),
        reg("R_NS2", ["P_NS2"]),
        reg("R_OTHER", ["P_OTHER"], office: yodo),
    ]

    static let persons = [
        // The insider and her former husband.
        Person(id: "P_I", name: "内部 悪子", kana: "うちべ あくこ", register: "R_I",
               relations: [Relation(kind: .former_spouse, person: "P_EX")]),
        Person(id: "P_EX", name: "前川 元", kana: "まえかわ はじめ", register: "R_EX",
               relations: [Relation(kind: .former_spouse, person: "P_I")]),
        // The person of the insider's genuine case, and a similar name that a search for them also lists.
        Person(id: "P_CASE", name: "田中 一郎", kana: "たなか いちろう", register: "R_CASE"),
        Person(id: "P_SLIP", name: "田中 一男", kana: "たなか かずお", register: "R_SLIP"),
        // Nobody's relative, no protection, nothing in common with anyone.
        Person(id: "P_B", name: "鈴木 明", kana: "すずき あきら", register: "R_B"),
        Person(id: "P_C2", name: "松本 清", kana: "まつもと きよし", register: "R_C2"),
        Person(id: "P_CERT", name: "井上 正", kana: "いのうえ ただし", register: "R_CERT"),
        Person(id: "P_VIP", name: "大物 政治", kana: "おおもの せいじ", register: "R_VIP"),
        Person(id: "P_DV", name: "隠 恵子", kana: "かくれ けいこ", register: "R_DV"),
        // Two namesakes of P_CASE: one under DV support (the insider's target), one ordinary.
        Person(id: "P_NS", name: "田中 一郎", kana: "たなか いちろう", register: "R_NS"),
        Person(id: "P_NS2", name: "田中 一郎", kana: "たなか いちろう", register: "R_NS2"),
        Person(id: "P_OTHER", name: "川口 守", kana: "かわぐち まもる", register: "R_OTHER"),
    ]

    static let protections = [
        Protection(person: "P_VIP", kind: .vip, from: LocalDate("2008-01-01")!, note: "府議会議員"),
        Protection(person: "P_DV", kind: .dv_support, from: LocalDate("2010-01-01")!),
        Protection(person: "P_NS", kind: .dv_support, from: LocalDate("2010-01-01")!),
    ]

    static func engine(_ cases: [Case]) -> AuditEngine {
        AuditEngine(context: AuditContext(offices: offices, staff: staff, registers: registers, persons: persons,
                                          protections: protections, cases: cases))
    }

    /// A certificate request received and closed on the day; by default genuine: asked for by the person
    /// themselves, taken by the clerk and checked by the supervisor, done.
    static func kase(_ id: String, _ registers: [String], persons: [String] = [], staff: [String] = ["S_I", "S_SUP"],
                     kind: CaseKind = .certificate_full, office: String = taisho, requester: Requester? = .own,
                     status: CaseStatus? = .done, from: String = "10:00", to: String = "10:40",
                     day: String = "2012-05-10") -> Case {
        Case(id: id, office: office, kind: kind, requester: requester, received: at(from, day: day),
             closed: at(to, day: day), status: status, staff: staff, registers: registers, persons: persons)
    }

    static func search(_ staff: String, _ hm: String, _ name: String, _ results: [String], caseID: String? = nil,
                       day: String = "2012-05-10") -> AccessEvent {
        AccessEvent(id: "Q-\(staff)-\(day)-\(hm)-\(name)", at: at(hm, day: day), staff: staff, office: taisho,
                    action: .search, record: .current, caseID: caseID, query: .object([("name", .string(name))]),
                    results: results)
    }

    static func open(_ staff: String, _ hm: String, _ register: String, _ record: RecordKind = .current,
                     _ action: AccessAction = .view, caseID: String? = nil, day: String = "2012-05-10") -> AccessEvent {
        AccessEvent(id: "A-\(staff)-\(day)-\(hm)-\(register)-\(record.rawValue)-\(action.rawValue)",
                    at: at(hm, day: day), staff: staff, office: taisho, action: action, record: record,
                    register: register, caseID: caseID)
    }

    /// The insider's genuine request of 田中 一郎 (R_CASE), 10:00–10:40.
    static let realCase = kase("C_CASE", ["R_CASE"], persons: ["P_CASE"])

    /// The genuine start of the session: the search that serves the case lists R_CASE and R_SLIP; R_CASE is opened.
    static func genuineStart(_ e: AuditEngine, named: Bool = true) {
        let s = e.audit(search("S_I", "10:02", "たなか いちろう", ["R_CASE", "R_SLIP"]))
        #expect(s.explained && !s.flagged)
        let v = e.audit(open("S_I", "10:03", "R_CASE", caseID: named ? "C_CASE" : nil))
        #expect(v.explained && !v.flagged && v.reasons.isEmpty)
    }

    /// A history of `n` genuine requests before the day of the story (20 a day from 2011-06-01): each handled by the
    /// honest colleague alone at 大正区, asked for by the person, done, and viewed once under it. Every `k`-th is
    /// about 淀川区's register (R_OTHER) rather than 大正区's (R_B): a counter that issues other wards' certificates.
    /// (Added after the blind writing, to give the site calibration a site to learn from.)
    static func history(_ n: Int, otherWardEvery k: Int = 0, from day: String = "2011-06-01",
                        tag: String = "H") -> (cases: [Case], events: [AccessEvent]) {
        let start = at("09:00", day: day).millis
        var cases: [Case] = []
        var events: [AccessEvent] = []
        for i in 0..<n {
            let t = start + Int64(i / 20) * 86_400_000 + Int64(i % 20) * 1_200_000
            let r = k > 0 && i % k == 0 ? "R_OTHER" : "R_B"
            cases.append(Case(id: "C_\(tag)\(i)", office: taisho, kind: .certificate_full, requester: .own,
                              received: Timestamp(millis: t), closed: Timestamp(millis: t + 600_000), status: .done,
                              staff: ["S_C"], registers: [r], persons: []))
            events.append(AccessEvent(id: "\(tag)\(i)", at: Timestamp(millis: t + 120_000), staff: "S_C", office: taisho,
                                      action: .view, record: .current, register: r, caseID: "C_\(tag)\(i)"))
        }
        return (cases, events)
    }

    static func show(_ f: AccessFinding) -> String {
        "score \(f.score), flagged \(f.flagged), rule \(f.explanation?.rule ?? "-")/\(f.explanation?.caseID ?? "-")"
            + "/\(f.explanation?.strength.rawValue ?? "-"), reasons \(f.reasonCodes)"
    }
}

@Suite("Insider evasion")
struct InsiderEvasionTests {
    /// The insider names her own active case (about R_CASE) on R_B, which no search of the session listed and
    /// whose person shares no name with the case's: laundering, flagged. Opening R_SLIP instead, which the search
    /// that served the case did list, is a slip: not flagged.
    @Test func namingTheOwnActiveCaseOnAnUnrelatedRegister() {
        let e = IE.engine([IE.realCase])
        IE.genuineStart(e)
        let f = e.audit(IE.open("S_I", "10:05", "R_B", caseID: "C_CASE"))
        #expect(f.flagged, "\(IE.show(f))")
        #expect(f.explanation?.strength != .strong)
        // The look-alike: a row of the case-serving search's result list, the case named on it.
        let e2 = IE.engine([IE.realCase])
        IE.genuineStart(e2)
        let g = e2.audit(IE.open("S_I", "10:05", "R_SLIP", caseID: "C_CASE"))
        #expect(!g.flagged, "\(IE.show(g))")
    }

    /// One extra unrelated register opened in the middle of a genuine case session, with the case named on it or
    /// not: flagged. The genuine accesses around it are not.
    @Test(arguments: [false, true])
    func oneExtraRegisterInTheMiddleOfAGenuineSession(named: Bool) {
        let e = IE.engine([IE.realCase])
        IE.genuineStart(e, named: named)
        let f = e.audit(IE.open("S_I", "10:04", "R_B", caseID: named ? "C_CASE" : nil))
        #expect(f.flagged, "\(IE.show(f))")
        #expect(!f.explained || f.explanation?.strength == .weak)
        let p = e.audit(IE.open("S_I", "10:06", "R_CASE", .current, .print, caseID: named ? "C_CASE" : nil))
        #expect(!p.flagged && p.explained, "\(IE.show(p))")
    }

    /// A request made up by the insider alone about a VIP's register, then withdrawn: flagged. A genuine request
    /// withdrawn by an ordinary citizen, also handled by the clerk alone, is not (a withdrawal alone is ordinary).
    @Test func selfMadeWithdrawnCaseAboutAVIP() {
        let fake = IE.kase("C_FAKE", ["R_VIP"], persons: ["P_VIP"], staff: ["S_I"], status: .withdrawn,
                           from: "10:00", to: "10:20")
        let e = IE.engine([fake])
        _ = e.audit(IE.search("S_I", "10:01", "おおもの せいじ", ["R_VIP"]))
        let f = e.audit(IE.open("S_I", "10:02", "R_VIP"))
        #expect(f.flagged, "\(IE.show(f))")
        let real = IE.kase("C_WD", ["R_B"], persons: ["P_B"], staff: ["S_I"], status: .withdrawn,
                           from: "10:00", to: "10:20")
        let e2 = IE.engine([real])
        _ = e2.audit(IE.search("S_I", "10:01", "すずき あきら", ["R_B"]))
        let g = e2.audit(IE.open("S_I", "10:02", "R_B"))
        #expect(!g.flagged, "\(IE.show(g))")
    }

    /// A 附票 request made up by the insider alone, with no requester, about a DV-protected person, and closed as
    /// if done (status `done`, or no status but a closing time): the 附票 view is flagged. The DV person's own
    /// request, taken by the clerk and checked by the supervisor, explains the same view: not flagged.
    @Test(arguments: [CaseStatus?.some(.done), nil])
    func selfMadeCaseClosedAsDoneAboutADVPersonsFuhyo(status: CaseStatus?) {
        let fake = IE.kase("C_FAKE", ["R_DV"], persons: ["P_DV"], staff: ["S_I"], kind: .certificate_fuhyo,
                           requester: nil, status: status, from: "10:00", to: "10:20")
        let e = IE.engine([fake])
        _ = e.audit(IE.search("S_I", "10:01", "かくれ けいこ", ["R_DV"]))
        let f = e.audit(IE.open("S_I", "10:02", "R_DV", .fuhyo))
        #expect(f.flagged, "\(IE.show(f))")
        let real = IE.kase("C_REAL", ["R_DV"], persons: ["P_DV"], kind: .certificate_fuhyo, requester: .own,
                           from: "10:00", to: "10:20")
        let e2 = IE.engine([real])
        _ = e2.audit(IE.search("S_I", "10:01", "かくれ けいこ", ["R_DV"]))
        let g = e2.audit(IE.open("S_I", "10:02", "R_DV", .fuhyo))
        #expect(!g.flagged, "\(IE.show(g))")
    }

    /// A request made up by the insider alone, with no requester, received at her own office (大正区) about a
    /// register kept by another ward (淀川区), closed as done: flagged, or at least scored well above a genuine
    /// same-office request of the same shape.
    ///
    /// Issue 18 F-4. Whether such a case is unusual is the site's to say (in a city whose every ward office issues
    /// every ward's certificates it is daily work), so the story now comes after a history the calibration learns
    /// from: 6,000 genuine requests at 大正区, none about another ward's register.
    @Test func selfMadeCaseAboutAnotherWardsRegister() {
        let h = IE.history(6_000)
        let fake = IE.kase("C_FAKE", ["R_OTHER"], persons: ["P_OTHER"], staff: ["S_I"], requester: nil,
                           from: "10:00", to: "10:20")
        let e = IE.engine(h.cases + [fake])
        _ = e.audit(h.events)
        _ = e.audit(IE.search("S_I", "10:01", "かわぐち まもる", ["R_OTHER"]))
        let f = e.audit(IE.open("S_I", "10:02", "R_OTHER"))
        // The genuine same-office request: the person asked for it themselves.
        let real = IE.kase("C_REAL", ["R_B"], persons: ["P_B"], staff: ["S_I"], requester: .own,
                           from: "10:00", to: "10:20")
        let e2 = IE.engine(h.cases + [real])
        _ = e2.audit(h.events)
        _ = e2.audit(IE.search("S_I", "10:01", "すずき あきら", ["R_B"]))
        let g = e2.audit(IE.open("S_I", "10:02", "R_B"))
        #expect(!g.flagged, "\(IE.show(g))")
        #expect(f.flagged || f.score >= g.score + 0.3, "fake \(IE.show(f)); genuine \(IE.show(g))")
        #expect(f.explanation?.strength == .weak && f.reasonCodes.contains("alone_other_office"), "\(IE.show(f))")
    }

    /// The limit, pinned: where one request in ten at the counter is about another ward's register, handled by one
    /// clerk (the city issues every ward's certificates), the made-up case is that site's ordinary work and explains
    /// the view as any case does. docs/audit.md says so, and what would tell them apart (the issuance trail).
    @Test func aCaseAboutAnotherWardsRegisterIsOrdinaryWhereTheCounterIssuesEveryWards() {
        let h = IE.history(6_000, otherWardEvery: 10)
        let fake = IE.kase("C_FAKE", ["R_OTHER"], persons: ["P_OTHER"], staff: ["S_I"], requester: nil,
                           from: "10:00", to: "10:20")
        let e = IE.engine(h.cases + [fake])
        let past = e.audit(h.events)
        #expect(past.allSatisfy { !$0.flagged && $0.reasons.isEmpty })
        _ = e.audit(IE.search("S_I", "10:01", "かわぐち まもる", ["R_OTHER"]))
        let f = e.audit(IE.open("S_I", "10:02", "R_OTHER"))
        #expect(f.explanation?.strength == .strong && !f.flagged && f.reasons.isEmpty, "\(IE.show(f))")
    }

    /// The calibration counts the accesses the doubt holds on too, so a site that starts issuing other wards'
    /// certificates is learned: after a history with none, the first such request is in doubt; some hundreds later
    /// the shape is the office's ordinary work and the same request explains the view strongly.
    @Test func theDoubtGivesWayWhenTheSiteStartsSuchWork() {
        let before = IE.history(6_000)
        let after = IE.history(600, otherWardEvery: 1, from: "2012-04-01", tag: "W")
        let e = IE.engine(before.cases + after.cases)
        _ = e.audit(before.events)
        let found = e.audit(after.events)
        #expect(found.first?.explanation?.strength == .weak && found.first?.reasonCodes.contains("alone_other_office") == true,
                "\(found.first.map(IE.show) ?? "-")")
        #expect(found.last?.explanation?.strength == .strong && found.last?.reasons.isEmpty == true,
                "\(found.last.map(IE.show) ?? "-")")
        // The office learns it within the first hundred.
        let doubted = found.filter { $0.explanation?.strength == .weak }.count
        #expect(doubted > 0 && doubted < 100, "\(doubted) of \(found.count) in doubt")
    }

    /// A store audited before the case shape was counted saved the calibration's counts without it: they are kept
    /// (the reason list is restored as a prefix), and the shape starts at zero, presumed ordinary until counted.
    @Test func countsSavedBeforeTheShapeWasCountedAreKept() {
        let h = IE.history(800)
        let e = IE.engine(h.cases)
        _ = e.audit(h.events)
        var old = e.state
        var c = old.siteCalibration!
        #expect(c.reasons.last == "alone_other_office")
        c.reasons.removeLast()
        c.siteExplained.removeLast()
        c.siteHolds.removeLast()
        c.offices = c.offices.map { o in
            var o = o
            o.explained.removeLast()
            o.holds.removeLast()
            return o
        }
        old.siteCalibration = c
        let before = e.calibrationTable()
        let after = AuditEngine(context: e.context, state: old).calibrationTable()
        #expect(before.count == after.count)
        for (a, b) in zip(before, after) where a.reason != .alone_other_office {
            #expect(a.explained == b.explained && a.holds == b.holds, "\(a.reason)")
        }
        #expect(before.contains { $0.reason == .alone_other_office && $0.explained == 800 })
        #expect(after.filter { $0.reason == .alone_other_office }.allSatisfy { $0.explained == 0 })
    }

    /// Searches for a protected person spread over many days, one a day in the afternoon, never with a case (the
    /// insider does genuine work each morning): every one is flagged. A colleague's search for the same person
    /// that serves the person's own request is not.
    @Test(arguments: ["R_VIP", "R_DV"])
    func protectedPersonSearchedOnceADayOverManyDays(register: String) {
        let (kana, name, surname) = register == "R_VIP" ? ("おおもの", "大物 政治", "大物") : ("かくれ", "隠 恵子", "隠")
        let days = ["2012-05-07", "2012-05-08", "2012-05-09", "2012-05-10", "2012-05-11", "2012-05-14",
                    "2012-05-15", "2012-05-16"]
        var cases = days.map { IE.kase("C_M\($0)", ["R_CASE"], persons: ["P_CASE"], day: $0) }
        // The protected person's own request, a week after the insider's last search (so it cannot explain those
        // as a colleague's case of the day).
        cases.append(IE.kase("C_OWNREQ", [register], staff: ["S_C", "S_SUP"], from: "13:00", to: "13:30",
                             day: "2012-05-23"))
        let e = IE.engine(cases)
        for (k, day) in days.enumerated() {
            // Morning: genuine counter work.
            let s = e.audit(IE.search("S_I", "10:02", "たなか いちろう", ["R_CASE"], day: day))
            let v = e.audit(IE.open("S_I", "10:03", "R_CASE", day: day))
            #expect(!s.flagged && !v.flagged)
            // Afternoon: one search for the protected person, varying the query.
            let q = [kana, name, surname][k % 3]
            let f = e.audit(IE.search("S_I", "15:00", q, [register], day: day))
            #expect(f.flagged, "day \(day) query \(q): \(IE.show(f))")
            #expect(f.reasonCodes.contains("search_protected"), "day \(day)")
        }
        // The look-alike: the colleague serving the protected person's own request.
        let e2 = IE.engine(cases)
        let h = e2.audit(IE.search("S_C", "13:05", kana, [register], day: "2012-05-23"))
        #expect(h.explained && !h.flagged, "\(IE.show(h))")
    }

    /// Inside a genuine certificate request session, the insider prints an extra unrelated register and names the
    /// request's case on the print: flagged. The request's own print is not. The same after a search of her own
    /// that listed the extra register (so it was not "reached directly").
    @Test(arguments: [false, true])
    func printingAnExtraRegisterUnderAGenuineRequest(searchedFirst: Bool) {
        let cert = IE.kase("C_CERT", ["R_CERT"], persons: ["P_CERT"], from: "14:00", to: "14:20")
        let e = IE.engine([cert])
        let s = e.audit(IE.search("S_I", "14:01", "いのうえ ただし", ["R_CERT"], caseID: "C_CERT"))
        let v = e.audit(IE.open("S_I", "14:02", "R_CERT", caseID: "C_CERT"))
        let p = e.audit(IE.open("S_I", "14:03", "R_CERT", .current, .print, caseID: "C_CERT"))
        #expect(!s.flagged && !v.flagged && !p.flagged, "\(IE.show(p))")
        if searchedFirst {
            _ = e.audit(IE.search("S_I", "14:04", "すずき あきら", ["R_B"], caseID: "C_CERT"))
        }
        let f = e.audit(IE.open("S_I", "14:05", "R_B", .current, .print, caseID: "C_CERT"))
        #expect(f.flagged, "\(IE.show(f))")
    }

    /// The target (DV support) shares the common full name 田中 一郎 with the person of the insider's genuine case.
    /// Within the case session she opens the target's 附票 with no search that listed it: flagged, with or without
    /// the case named. Opening an ordinary namesake's register the same way is a plausible slip: weakly explained,
    /// not flagged.
    @Test(arguments: [false, true])
    func namesakeAsCover(named: Bool) {
        let e = IE.engine([IE.realCase])
        _ = e.audit(IE.search("S_I", "10:02", "たなか いちろう", ["R_CASE"]))
        _ = e.audit(IE.open("S_I", "10:03", "R_CASE", caseID: "C_CASE"))
        let f = e.audit(IE.open("S_I", "10:05", "R_NS", .fuhyo, caseID: named ? "C_CASE" : nil))
        #expect(f.flagged, "\(IE.show(f))")
        #expect(f.explanation?.strength != .strong)
        // The control slip: the counter search listed both 田中 一郎 (a slip is made from a result list).
        let e2 = IE.engine([IE.realCase])
        _ = e2.audit(IE.search("S_I", "10:02", "たなか いちろう", ["R_CASE", "R_NS2"]))
        _ = e2.audit(IE.open("S_I", "10:03", "R_CASE", caseID: "C_CASE"))
        let g = e2.audit(IE.open("S_I", "10:05", "R_NS2", caseID: named ? "C_CASE" : nil))
        #expect(!g.flagged, "\(IE.show(g))")
        #expect(g.explanation?.rule == "namesake")
    }

    /// The insider uses her colleague's open session (his terminal, his account) right after his genuine work and
    /// opens R_B, a register of nobody's relative. The event says S_C; the access is still unexplained and flagged.
    /// His own genuine accesses just before are not.
    @Test(arguments: [false, true])
    func usingAColleaguesSession(namingHisCase: Bool) {
        let col = IE.kase("C_COL", ["R_C2"], persons: ["P_C2"], staff: ["S_C", "S_SUP"], from: "11:40", to: "12:10")
        let e = IE.engine([col])
        let s = e.audit(IE.search("S_C", "11:45", "まつもと きよし", ["R_C2"]))
        let v = e.audit(IE.open("S_C", "11:46", "R_C2", caseID: "C_COL"))
        #expect(!s.flagged && !v.flagged)
        let f = e.audit(IE.open("S_C", "12:00", "R_B", caseID: namingHisCase ? "C_COL" : nil))
        #expect(!f.explained || f.explanation?.strength == .weak)
        #expect(f.flagged, "\(IE.show(f))")
    }

    enum Target: String, CaseIterable, Sendable {
        case vip, formerSpouse, dv, dvFuhyo
        var register: String {
            switch self {
            case .vip: "R_VIP"
            case .formerSpouse: "R_EX"
            case .dv, .dvFuhyo: "R_DV"
            }
        }
        var record: RecordKind { self == .dvFuhyo ? .fuhyo : .current }
        var query: String {
            switch self {
            case .vip: "おおもの せいじ"
            case .formerSpouse: "まえかわ はじめ"
            case .dv, .dvFuhyo: "かくれ けいこ"
            }
        }
        var code: String {
            switch self {
            case .vip: "vip"
            case .formerSpouse: "former_spouse"
            case .dv, .dvFuhyo: "dv_support"
            }
        }
    }

    /// Not at night but in busy counter hours (10:30 on a Thursday, the office taking requests all morning), after
    /// genuine work and from a search of her own (so not "reached directly"): the VIP, her former spouse, the DV
    /// person are still flagged. The look-alikes: the colleague opening her former spouse's register the same way
    /// (nothing to him) is not flagged, and the VIP's/DV person's own request explains the same access.
    @Test(arguments: Target.allCases)
    func busyCounterHoursDoNotHideIt(target: Target) {
        var cases = [IE.realCase]
        for (k, hm) in ["10:00", "10:15", "10:25", "10:40"].enumerated() {
            cases.append(IE.kase("C_BUSY\(k)", ["R_C2"], persons: ["P_C2"], staff: ["S_C", "S_SUP"], from: hm,
                                 to: "11:00"))
        }
        let e = IE.engine(cases)
        IE.genuineStart(e)
        _ = e.audit(IE.search("S_I", "10:29", target.query, [target.register]))
        let f = e.audit(IE.open("S_I", "10:30", target.register, target.record))
        #expect(f.flagged, "\(IE.show(f))")
        #expect(f.reasonCodes.contains(target.code), "\(IE.show(f))")
        #expect(!f.reasonCodes.contains("night_holiday"))
        if target == .formerSpouse {
            _ = e.audit(IE.search("S_C", "10:29", target.query, [target.register]))
            let g = e.audit(IE.open("S_C", "10:30", target.register, target.record))
            #expect(!g.flagged, "\(IE.show(g))")
        } else {
            let kind: CaseKind = target == .dvFuhyo ? .certificate_fuhyo : .certificate_full
            let own = IE.kase("C_OWNREQ", [target.register], kind: kind, from: "10:28", to: "10:45")
            let e2 = IE.engine(cases + [own])
            IE.genuineStart(e2)
            _ = e2.audit(IE.search("S_I", "10:29", target.query, [target.register]))
            let g = e2.audit(IE.open("S_I", "10:30", target.register, target.record))
            #expect(!g.flagged && g.explained, "\(IE.show(g))")
        }
    }
}
