// Written BLIND from docs/audit.md — §3 (the `in_case_session` row), §4a ("案件の作業の合間 / Amid case work" and
// the rest of §4a on how calibration works), §4 (score), §2 and §2a (explanations; empty is unknown) and §7b (the
// row "one more register inside a genuine session") — and the existing tests (Fixture.swift, InsiderEvasionTests,
// SecondPassEvasionTests, LearnedEvidenceTests). AuditEngine.swift, SiteCalibration.swift, AuditContext.swift and
// FilingLags.swift were not read; only public signatures were looked up with grep.
//
// The story: a clerk doing genuine case work slips one undocumented access in between, as an insider who has read
// §7b would. Where it matters each test has the genuine look-alike that must stay quiet (the same look long after
// the case work, by a colleague with no case work, at a site whose clerks routinely take consultations between
// requests), so that no test passes by flagging everything.

import AkashiAudit
import AkashiDomain
import Foundation
import Testing

/// 大正区 and 淀川区. S_I is a 大正区 register clerk doing genuine case work (and, in the stories, one access more);
/// S_C an honest colleague; S_SUP the supervisor who checks requests. S_K1 … S_K8 are the counter clerks whose
/// history teaches the site its habit (§4a), and S_PROBE the clerk whose one access is compared across sites.
private enum AM {
    static let taisho = "27108"
    static let yodo = "27123"
    static let offices = [
        Office(code: taisho, name: "大正区役所", municipality: "27100"),
        Office(code: yodo, name: "淀川区役所", municipality: "27100"),
    ]

    /// `hm` is "HH:MM" or "HH:MM:SS", JST; Thursday 2012-05-10 unless another day is given.
    static func at(_ hm: String, day: String = "2012-05-10") -> Timestamp {
        Timestamp(day + "T" + hm + (hm.count == 5 ? ":00" : "") + "+09:00")!
    }

    static func koseki(_ office: String = taisho) -> Assignment {
        Assignment(office: office, duty: "koseki", from: LocalDate("2009-04-01")!)
    }

    static let clerks = (1...8).map { "S_K\($0)" }

    static let staff = [
        Staff(id: "S_I", name: "内部 悪子", role: .clerk, assignments: [koseki()]),
        Staff(id: "S_C", name: "同僚 善男", role: .clerk, assignments: [koseki()]),
        Staff(id: "S_SUP", name: "係長 審査", role: .supervisor, assignments: [koseki()]),
        Staff(id: "S_PROBE", name: "試験 職員", role: .clerk, assignments: [koseki()]),
        Staff(id: "S_Y", name: "淀川 職員", role: .clerk, assignments: [koseki(yodo)]),
    ] + clerks.enumerated().map { k, id in
        Staff(id: id, name: "窓口 \(k + 1)号", role: .clerk, assignments: [koseki()])
    }

    static func reg(_ id: String, _ members: [String], office: String = taisho) -> Register {
        Register(id: id, kind: .current, honseki: "大阪市", office: office, head: members.first, members: members)
    }

    static let registers = [
        reg("R_CASE", ["P_CASE"]),
        reg("R_NS2", ["P_NS2"]),
        reg("R_B", ["P_B"]),
        reg("R_C2", ["P_C2"]),
        reg("R_PC", ["P_PC"]),
        reg("R_PX", ["P_PX"]),
    ]

    static let persons = [
        // The person of S_I's genuine request, and an ordinary namesake.
        Person(id: "P_CASE", name: "田中 一郎", kana: "たなか いちろう", register: "R_CASE"),
        Person(id: "P_NS2", name: "田中 一郎", kana: "たなか いちろう", register: "R_NS2"),
        // Nobody's relative, not protected, sharing no name or surname with anyone.
        Person(id: "P_B", name: "鈴木 明", kana: "すずき あきら", register: "R_B"),
        Person(id: "P_C2", name: "松本 清", kana: "まつもと きよし", register: "R_C2"),
        // The probe's request and the probe's one undocumented look.
        Person(id: "P_PC", name: "井上 正", kana: "いのうえ ただし", register: "R_PC"),
        Person(id: "P_PX", name: "近藤 勇", kana: "こんどう いさみ", register: "R_PX"),
    ]

    /// A request received and closed on the day, asked for by the person, handled by the clerk and checked by the
    /// supervisor, done.
    static func kase(_ id: String, _ registers: [String], persons: [String] = [], staff: [String] = ["S_I", "S_SUP"],
                     from: String = "10:00", to: String = "10:40", day: String = "2012-05-10") -> Case {
        Case(id: id, office: taisho, kind: .certificate_full, requester: .own, received: at(from, day: day),
             closed: at(to, day: day), status: .done, staff: staff, registers: registers, persons: persons)
    }

    /// S_I's genuine request of 田中 一郎 (R_CASE), 10:00–10:40.
    static let realCase = kase("C_CASE", ["R_CASE"], persons: ["P_CASE"])

    static func search(_ staff: String, _ hm: String, _ name: String, _ results: [String],
                       day: String = "2012-05-10") -> AccessEvent {
        AccessEvent(id: "Q-\(staff)-\(day)-\(hm)-\(name)", at: at(hm, day: day), staff: staff, office: taisho,
                    action: .search, record: .current, query: .object([("name", .string(name))]), results: results)
    }

    static func open(_ staff: String, _ hm: String, _ register: String, _ action: AccessAction = .view,
                     caseID: String? = nil, day: String = "2012-05-10") -> AccessEvent {
        AccessEvent(id: "A-\(staff)-\(day)-\(hm)-\(register)-\(action.rawValue)", at: at(hm, day: day), staff: staff,
                    office: taisho, action: action, record: .current, register: register, caseID: caseID)
    }

    static func context(_ cases: [Case], registers extraRegisters: [Register] = [], persons extraPersons: [Person] = [],
                        config: AuditConfig = AuditConfig()) -> AuditContext {
        AuditContext(offices: offices, staff: staff, registers: registers + extraRegisters,
                     persons: persons + extraPersons, protections: [], cases: cases, config: config)
    }

    static func engine(_ cases: [Case], config: AuditConfig = AuditConfig()) -> AuditEngine {
        AuditEngine(context: context(cases, config: config), config: config)
    }

    /// The genuine start of S_I's session: the search that serves the request (10:02) and the request's register
    /// (10:03), both strongly explained.
    static func genuineStart(_ e: AuditEngine) {
        let s = e.audit(search("S_I", "10:02", "たなか いちろう", ["R_CASE"]))
        #expect(s.explanation?.strength == .strong && s.reasons.isEmpty, "\(show(s))")
        let v = e.audit(open("S_I", "10:03", "R_CASE"))
        #expect(v.explanation?.strength == .strong && v.reasons.isEmpty && !v.flagged, "\(show(v))")
    }

    static func show(_ f: AccessFinding) -> String {
        "score \(f.score), flagged \(f.flagged), rule \(f.explanation?.rule ?? "-")/\(f.explanation?.caseID ?? "-")"
            + "/\(f.explanation?.strength.rawValue ?? "-"), reasons \(f.reasonCodes)"
    }

    static func reason(_ f: AccessFinding, _ code: String) -> Reason? { f.reasons.first { $0.code == code } }

    /// Noisy-OR of an unexplained register access (§4): the base and the given weights.
    static func unexplainedScore(_ weights: Double...) -> Double {
        1 - (1 - AuditConfig().unexplainedBase) * weights.reduce(1) { $0 * (1 - $1) }
    }

    /// Noisy-OR of a search (§4: base 0).
    static func searchScore(_ weights: Double...) -> Double { 1 - weights.reduce(1) { $0 * (1 - $1) } }

    static let w = AuditConfig().weights
}

/// A site that teaches the audit its habit (§4a "Amid case work"). Each of `amid.count` 大正区 clerks works eight
/// genuine requests a day (one an hour, 09:00–16:00) on four weekdays (7–10 May 2012): the request's register is
/// opened at :02, strongly explained by the clerk's own case. After each, one counter consultation with no document
/// — a search for a resident and a look at the register it listed — either amid the case work (:05 and :06, three
/// and four minutes after it) when `amid[k]`, or apart from it (:35 and :36, more than half an hour after it). Every
/// consultation is about a different resident, so nothing repeats. 64 undocumented accesses per clerk, 16 a day.
///
/// Then the probe: on Friday 11 May S_PROBE opens his own request's register at 10:02, searches 近藤 勇 at 10:05 and
/// opens the register it listed at 10:06 — the same shape as the insider's one more register.
private struct Site {
    var cases: [Case] = []
    var registers: [Register] = []
    var persons: [Person] = []
    var history: [AccessEvent] = []
    var probe: [AccessEvent] = []

    static let days = ["2012-05-07", "2012-05-08", "2012-05-09", "2012-05-10"]
    static let hours = ["09", "10", "11", "12", "13", "14", "15", "16"]

    init(amid: [Bool]) {
        var n = 0
        for day in Self.days {
            for hh in Self.hours {
                for (k, isAmid) in amid.enumerated() {
                    let clerk = AM.clerks[k]
                    registers.append(AM.reg("R_W\(n)", ["P_W\(n)"]))
                    persons.append(Person(id: "P_W\(n)", name: "案件 \(n)号", register: "R_W\(n)"))
                    registers.append(AM.reg("R_O\(n)", ["P_O\(n)"]))
                    persons.append(Person(id: "P_O\(n)", name: "住民 \(n)号", register: "R_O\(n)"))
                    cases.append(AM.kase("C_W\(n)", ["R_W\(n)"], staff: [clerk, "S_SUP"], from: "\(hh):00",
                                         to: "\(hh):20", day: day))
                    history.append(AM.open(clerk, "\(hh):02", "R_W\(n)", day: day))
                    let (s, v) = isAmid ? ("05", "06") : ("35", "36")
                    history.append(AM.search(clerk, "\(hh):\(s)", "住民 \(n)号", ["R_O\(n)"], day: day))
                    history.append(AM.open(clerk, "\(hh):\(v)", "R_O\(n)", day: day))
                    n += 1
                }
            }
        }
        history.sort { ($0.at, $0.id) < ($1.at, $1.id) }
        cases.append(AM.kase("C_PROBE", ["R_PC"], persons: ["P_PC"], staff: ["S_PROBE", "S_SUP"], day: "2012-05-11"))
        probe = [AM.open("S_PROBE", "10:02", "R_PC", day: "2012-05-11"),
                 AM.search("S_PROBE", "10:05", "近藤 勇", ["R_PX"], day: "2012-05-11"),
                 AM.open("S_PROBE", "10:06", "R_PX", day: "2012-05-11")]
    }

    func context(config: AuditConfig = AuditConfig()) -> AuditContext {
        AM.context(cases, registers: registers, persons: persons, config: config)
    }

    func engine(config: AuditConfig = AuditConfig()) -> AuditEngine {
        AuditEngine(context: context(config: config), config: config)
    }

    /// The history, then the probe; returns the engine and the finding of the probe's undocumented look (10:06).
    func run(config: AuditConfig = AuditConfig()) -> (AuditEngine, AccessFinding) {
        let e = engine(config: config)
        _ = e.audit(history)
        let found = e.audit(probe)
        #expect(found[0].explanation?.strength == .strong, "probe's own request: \(AM.show(found[0]))")
        return (e, found[2])
    }

    /// The site row of `in_case_session` in `akashi audit calibrate`'s data.
    static func sessionRows(_ e: AuditEngine) -> [CalibrationRow] {
        e.calibrationTable().filter { $0.office == nil && $0.reason == .in_case_session }
    }
}

@Suite("Amid case work (in_case_session)")
struct AmidCaseWorkTests {

    // MARK: 1. One more register amid genuine case work

    /// Three minutes after opening her genuine request's register, S_I searches 鈴木 明 and opens the register the
    /// search listed. No document explains it: `in_case_session` (0.45 at a site that has taught nothing), which
    /// flags alone with the unexplained base (§3, §4): 1 − 0.85 × 0.55. The sentence names the case. The search
    /// that led to it is revised with `search_led_to_flag`. The genuine accesses around it are not touched, and the
    /// look-alike — the honest colleague, with no case work, making the same search and look — is an ordinary
    /// counter consultation: base only, not flagged.
    @Test func oneMoreRegisterAfterASearchAmidCaseWorkIsFlagged() {
        let e = AM.engine([AM.realCase])
        AM.genuineStart(e)
        let s = e.audit(AM.search("S_I", "10:05", "すずき あきら", ["R_B"]))
        let f = e.audit(AM.open("S_I", "10:06", "R_B"))
        #expect(!f.explained && f.explanation == nil, "\(AM.show(f))")
        #expect(f.has("in_case_session") && !f.has("no_search"), "\(AM.show(f))")
        #expect(f.flagged, "\(AM.show(f))")
        #expect(abs(f.score - AM.unexplainedScore(AM.w.inCaseSession)) < 1e-9, "\(AM.show(f))")
        let r = AM.reason(f, "in_case_session")
        #expect(r?.ja.contains("C_CASE") == true && r?.en.contains("C_CASE") == true, "\(String(describing: r))")
        // The search that led to the flagged look, in the same session.
        let revised = e.takeRevisions().contains { $0.access == s.access && $0.reason.code == "search_led_to_flag" }
        #expect(revised)
        // The request's own print after it: still explained, nothing raised.
        let p = e.audit(AM.open("S_I", "10:08", "R_CASE", .print))
        #expect(p.explanation?.strength == .strong && !p.flagged && !p.has("in_case_session"), "\(AM.show(p))")

        // The look-alike: the same search and look by a colleague with no case work.
        let g = AM.engine([AM.realCase])
        let cs = g.audit(AM.search("S_C", "10:05", "すずき あきら", ["R_B"]))
        let c = g.audit(AM.open("S_C", "10:06", "R_B"))
        #expect(!cs.has("in_case_session") && !cs.flagged, "\(AM.show(cs))")
        #expect(!c.has("in_case_session") && !c.flagged, "\(AM.show(c))")
        #expect(abs(c.score - AM.unexplainedScore()) < 1e-9, "\(AM.show(c))")
    }

    // MARK: 2. The same look long after the case work

    /// 40 minutes after the case work (the request itself closed at 10:40), the same search and look: no
    /// `in_case_session`; with nothing else to it, it looks like an ordinary counter consultation — the hole §7b
    /// names as still open — base only, not flagged.
    @Test func theSameLookLongAfterTheCaseWorkIsNotAmidIt() {
        let e = AM.engine([AM.realCase])
        AM.genuineStart(e)
        let s = e.audit(AM.search("S_I", "10:42", "すずき あきら", ["R_B"]))
        let f = e.audit(AM.open("S_I", "10:43", "R_B"))
        #expect(!s.has("in_case_session") && !s.flagged, "\(AM.show(s))")
        #expect(!f.explained && !f.has("in_case_session"), "\(AM.show(f))")
        #expect(!f.flagged && abs(f.score - AM.unexplainedScore()) < 1e-9, "\(AM.show(f))")
    }

    /// `amidCaseMinutes` (10): a look 9 minutes after the case work is amid it, 11 minutes after is not (the search
    /// before each half a minute earlier, on the same side of the line).
    @Test(arguments: [9, 11])
    func tenMinutesAfterTheCaseWork(minutes: Int) {
        let amid = minutes <= AuditConfig().amidCaseMinutes
        let (search, view) = minutes == 9 ? ("10:11:30", "10:12") : ("10:13:30", "10:14")
        let e = AM.engine([AM.realCase])
        AM.genuineStart(e)
        let s = e.audit(AM.search("S_I", search, "すずき あきら", ["R_B"]))
        let f = e.audit(AM.open("S_I", view, "R_B"))
        #expect(s.has("in_case_session") == amid, "\(AM.show(s))")
        #expect(f.has("in_case_session") == amid && f.flagged == amid, "\(AM.show(f))")
    }

    // MARK: 3. One more search amid case work

    /// An extra search with no document three minutes after the case work gets `in_case_session` too, but a search
    /// needs one more reason besides `search_no_case` (§3): 1 − 0.9 × 0.6 = 0.46, not flagged. With one more — it
    /// listed a register and nothing was opened before the session ended (`search_nothing_opened`, added
    /// afterwards) — it flags. The look-alike: the colleague's same search, no case work, nothing opened either:
    /// `search_no_case` and `search_nothing_opened` stay under the threshold.
    @Test func oneMoreSearchAmidCaseWorkNeedsOneMoreReason() {
        let e = AM.engine([AM.realCase])
        AM.genuineStart(e)
        let s = e.audit(AM.search("S_I", "10:05", "すずき あきら", ["R_B"]))
        #expect(!s.explained && s.has("search_no_case") && s.has("in_case_session"), "\(AM.show(s))")
        #expect(!s.flagged && abs(s.score - AM.searchScore(AM.w.searchNoCase, AM.w.inCaseSessionSearch)) < 1e-9,
                "\(AM.show(s))")
        _ = e.takeRevisions()
        // Her next event, after the session gap, shows the session over.
        _ = e.audit(AM.open("S_I", "11:00", "R_CASE"))
        let nothing = e.takeRevisions().first { $0.access == s.access && $0.reason.code == "search_nothing_opened" }
        #expect(nothing != nil)
        if let nothing {
            #expect(nothing.applied(to: s, threshold: AuditConfig().flagThreshold).flagged)
        }

        // The look-alike.
        let g = AM.engine([AM.realCase])
        let c = g.audit(AM.search("S_C", "10:05", "すずき あきら", ["R_B"]))
        #expect(c.has("search_no_case") && !c.has("in_case_session") && !c.flagged, "\(AM.show(c))")
        _ = g.audit(AM.open("S_C", "11:00", "R_CASE"))
        let other = g.takeRevisions().first { $0.access == c.access && $0.reason.code == "search_nothing_opened" }
        #expect(other != nil)
        if let other {
            #expect(!other.applied(to: c, threshold: AuditConfig().flagThreshold).flagged)
        }
    }

    // MARK: 4. Empty is unknown; only strong case work counts

    /// An access with no member of staff (staff "" or blank) is nobody's case work (§2a: an empty or blank value
    /// never matches anything): a register opened next by "the same" empty staff is not amid it. The control: the
    /// same two accesses by S_I — the request named on the first — give `in_case_session` on the second.
    @Test(arguments: ["", " ", "　", "  "])
    func anAccessWithNoStaffIsNobodysCaseWork(blank: String) {
        let e = AM.engine([AM.realCase])
        _ = e.audit(AM.open(blank, "10:03", "R_CASE", caseID: "C_CASE"))
        let f = e.audit(AM.open(blank, "10:05", "R_B"))
        #expect(!f.has("in_case_session"), "\(AM.show(f))")

        let g = AM.engine([AM.realCase])
        let v = g.audit(AM.open("S_I", "10:03", "R_CASE", caseID: "C_CASE"))
        #expect(v.explanation?.strength == .strong, "\(AM.show(v))")
        let c = g.audit(AM.open("S_I", "10:05", "R_B"))
        #expect(c.has("in_case_session") && c.flagged, "\(AM.show(c))")
    }

    /// Only case work a document explains STRONGLY counts. S_I's counter search lists both 田中 一郎; at 10:15 she
    /// opens the namesake's register (a plausible slip: `namesake`, weak), and four minutes later searches 鈴木 明 and
    /// opens his register — 16 minutes after her last strongly explained access. Weak work is not case work: no
    /// `in_case_session`, base only. The control: at 10:15 she opens her request's register again (strong), and the
    /// same look four minutes later is amid it.
    @Test(arguments: [false, true])
    func onlyStronglyExplainedWorkIsCaseWork(strongAt1015: Bool) {
        let e = AM.engine([AM.realCase])
        let s = e.audit(AM.search("S_I", "10:02", "たなか いちろう", ["R_CASE", "R_NS2"]))
        #expect(s.explanation?.strength == .strong, "\(AM.show(s))")
        #expect(e.audit(AM.open("S_I", "10:03", "R_CASE")).explanation?.strength == .strong)
        let mid = e.audit(AM.open("S_I", "10:15", strongAt1015 ? "R_CASE" : "R_NS2"))
        if strongAt1015 {
            #expect(mid.explanation?.strength == .strong, "\(AM.show(mid))")
        } else {
            #expect(mid.rule == "namesake" && mid.explanation?.strength == .weak, "\(AM.show(mid))")
            #expect(!mid.has("in_case_session"), "\(AM.show(mid))")
        }
        let q = e.audit(AM.search("S_I", "10:18", "すずき あきら", ["R_B"]))
        let f = e.audit(AM.open("S_I", "10:19", "R_B"))
        #expect(q.has("in_case_session") == strongAt1015, "\(AM.show(q))")
        #expect(f.has("in_case_session") == strongAt1015 && f.flagged == strongAt1015, "\(AM.show(f))")
        if !strongAt1015 {
            #expect(abs(f.score - AM.unexplainedScore()) < 1e-9, "\(AM.show(f))")
        }
    }

    /// Another clerk's case work is not hers: S_C opens his own request's register at 10:03; S_I, who did no case
    /// work, opens R_B at 10:05 after a search. Not amid anyone's case work of hers.
    @Test func aColleaguesCaseWorkIsNotHers() {
        let col = AM.kase("C_COL", ["R_C2"], persons: ["P_C2"], staff: ["S_C", "S_SUP"])
        let e = AM.engine([col])
        #expect(e.audit(AM.open("S_C", "10:03", "R_C2")).explanation?.strength == .strong)
        _ = e.audit(AM.search("S_I", "10:04", "すずき あきら", ["R_B"]))
        let f = e.audit(AM.open("S_I", "10:05", "R_B"))
        #expect(!f.has("in_case_session") && !f.flagged, "\(AM.show(f))")
    }

    // MARK: 5. Self-calibration: the site's median clerk

    /// At a site where the counter clerks take consultations between requests — all eight, each of their 64
    /// undocumented accesses three or four minutes after their case work — an undocumented look right after case
    /// work is ordinary: `in_case_session` weighs less (factor 0.02 ÷ median, §4a), and the probe's look scores
    /// lower and no longer flags. Where they take them apart from the case work (more than half an hour after),
    /// the reference stands (below it nothing weighs more) and the same look flags with the default weight.
    @Test func aSiteWhoseClerksTakeConsultationsBetweenRequestsWeighsItLess() {
        let (_, apart) = Site(amid: Array(repeating: false, count: 8)).run()
        #expect(apart.has("in_case_session") && apart.flagged, "apart: \(AM.show(apart))")
        #expect(abs(apart.score - AM.unexplainedScore(AM.w.inCaseSession)) < 1e-9, "apart: \(AM.show(apart))")
        let ra = AM.reason(apart, "in_case_session")
        #expect(ra?.en.contains("median") == true && ra?.ja.contains("中央値") == true, "\(String(describing: ra))")

        let (_, amid) = Site(amid: Array(repeating: true, count: 8)).run()
        #expect(amid.has("in_case_session"), "amid: \(AM.show(amid))")
        // The sentence names the case and the site's median (§3).
        let r = AM.reason(amid, "in_case_session")
        #expect(r?.en.contains("C_PROBE") == true && r?.en.contains("median") == true, "\(String(describing: r))")
        #expect(r?.ja.contains("C_PROBE") == true && r?.ja.contains("中央値") == true, "\(String(describing: r))")
        #expect(amid.score < apart.score - 0.1 && !amid.flagged, "amid: \(AM.show(amid)); apart: \(AM.show(apart))")
        #expect(amid.score >= AM.unexplainedScore() - 1e-9, "amid: \(AM.show(amid))")
    }

    /// Undocumented work contains the misuse itself, so a minority cannot make their habit the site's: three of
    /// eight clerks slip every undocumented access right after their case work (pooled, 3 in 8 of the site's
    /// undocumented accesses), five never do. The median clerk is one of the five: the weight stays the default
    /// and the probe's look flags exactly as at the site where nobody does it.
    @Test func aMinorityWhoDoItALotDoesNotLowerTheWeight() {
        let (e, f) = Site(amid: [true, true, true, false, false, false, false, false]).run()
        #expect(f.has("in_case_session") && f.flagged, "\(AM.show(f))")
        #expect(abs(f.score - AM.unexplainedScore(AM.w.inCaseSession)) < 1e-9, "\(AM.show(f))")
        for row in Site.sessionRows(e) {
            #expect(abs(row.weight - row.defaultWeight) < 1e-9, "\(row)")
        }
    }

    /// While fewer than five members of staff (`sessionMinStaff`) have at least five undocumented accesses, the
    /// site's rate is the reference: four clerks who all take consultations between requests do not lower it.
    @Test func fewerThanFiveStaffKeepTheReference() {
        let (_, f) = Site(amid: Array(repeating: true, count: 4)).run()
        #expect(f.has("in_case_session") && f.flagged, "\(AM.show(f))")
        #expect(abs(f.score - AM.unexplainedScore(AM.w.inCaseSession)) < 1e-9, "\(AM.show(f))")
    }

    /// With `calibrate = false` nothing is learned: the same habitual site keeps the default weight.
    @Test func withoutCalibrationTheDefaultWeightStays() {
        var config = AuditConfig()
        config.calibrate = false
        let (_, f) = Site(amid: Array(repeating: true, count: 8)).run(config: config)
        #expect(f.has("in_case_session") && f.flagged, "\(AM.show(f))")
        #expect(abs(f.score - AM.unexplainedScore(AM.w.inCaseSession)) < 1e-9, "\(AM.show(f))")
    }

    // MARK: 6. A resumed audit weighs as one that never stopped

    /// The habitual site's history is audited in two runs: the first up to `split` events, its `AuditState` saved
    /// (through JSON, as a store keeps it) and restored into a new engine on a rebuilt context, which audits the
    /// rest and the probe. Every later finding — score, reasons and their sentences — and the calibration table must
    /// be the same as in one run that never stopped (§4a: "kept in `AuditState`, so an audit resumed from its state
    /// weighs exactly as one that never stopped"). The first recomputation of the median that lowers the weight
    /// falls on the third day, so a split before it checks that the resumed engine recomputes at the same access,
    /// and one after it that the median itself was kept. The probe ends lighter in both runs.
    static func resume(at split: Int, wholeTable: Bool) throws {
        let site = Site(amid: Array(repeating: true, count: 8))
        let events = site.history + site.probe
        #expect(events.count > split + 3)

        let straight = site.engine()
        let all = straight.audit(events)

        let first = site.engine()
        _ = first.audit(events[..<split])
        let data = try JSONEncoder().encode(first.state)
        let state = try JSONDecoder().decode(AuditState.self, from: data)
        let resumed = AuditEngine(context: site.context(), config: AuditConfig(), state: state)
        let rest = resumed.audit(events[split...])

        #expect(rest.count == all.count - split)
        var differing = 0
        for (a, b) in zip(all[split...], rest) where a != b {
            differing += 1
            if differing <= 3 { Issue.record("\(a.access): straight \(AM.show(a)); resumed \(AM.show(b))") }
        }
        #expect(differing == 0, "\(differing) findings differ after resuming at \(split)")
        let before = Site.sessionRows(straight), after = Site.sessionRows(resumed)
        #expect(after == before, "straight \(before); resumed \(after)")
        if wholeTable { #expect(resumed.calibrationTable() == straight.calibrationTable()) }
        let probe = try #require(rest.last)
        #expect(probe.has("in_case_session") && !probe.flagged, "\(AM.show(probe))")
    }

    /// Resumed between two days (192 events a day: after the first day, before the recomputation on the third
    /// day, after it): the findings and the in_case_session rows agree. (The whole table does not: the
    /// undocumented `search_nothing_opened` rows count 8 more searches resumed — see the mid-day test below.)
    @Test(arguments: [192, 384, 576])
    func aResumedAuditWeighsAsOneThatNeverStopped(split: Int) throws {
        try Self.resume(at: split, wholeTable: false)
    }

    /// Resumed in the middle of a day (as a store's batches of 100,000 events fall). Before the fix the resumed
    /// engine counted more of that day's undocumented accesses than the straight one (the per-staff daily count was
    /// not in AuditState), so at split 100 it recomputed the median 16 counted accesses earlier and 16 findings on
    /// the third day got the lowered weight (0.31 instead of 0.60, flag lost); at 700 the calibration table differed.
    @Test(arguments: [100, 400, 700])
    func aResumedAuditMidDayWeighsAsOneThatNeverStopped(split: Int) throws {
        try Self.resume(at: split, wholeTable: true)
    }

    /// `perStaffDay` (20): a clerk's undocumented accesses count for the site's rate at most twenty a day (§4a). A
    /// clerk with eight consultations a day amid her case work — a search and a look each, sixteen undocumented
    /// accesses — has all sixteen counted; with twelve (twenty-four accesses) twenty are. Before the fix fourteen were
    /// counted in both cases: each search spent the day's allowance twice (again when its session ended).
    @Test(arguments: [8, 12])
    func aClerksUndocumentedAccessesCountUpToTwentyADay(consultations: Int) {
        var site = Site(amid: [])
        for n in 0..<consultations {
            let hh = String(format: "%02d", 8 + n / 2), m = n % 2 == 0 ? "0" : "3"
            site.registers += [AM.reg("R_W\(n)", ["P_W\(n)"]), AM.reg("R_O\(n)", ["P_O\(n)"])]
            site.persons += [Person(id: "P_W\(n)", name: "案件 \(n)号", register: "R_W\(n)"),
                             Person(id: "P_O\(n)", name: "住民 \(n)号", register: "R_O\(n)")]
            site.cases.append(AM.kase("C_W\(n)", ["R_W\(n)"], staff: ["S_K1", "S_SUP"], from: "\(hh):\(m)0",
                                      to: "\(hh):\(m)9"))
            site.history += [AM.open("S_K1", "\(hh):\(m)1", "R_W\(n)"),
                             AM.search("S_K1", "\(hh):\(m)3", "住民 \(n)号", ["R_O\(n)"]),
                             AM.open("S_K1", "\(hh):\(m)4", "R_O\(n)")]
        }
        let e = site.engine()
        let found = e.audit(site.history)
        #expect(found.filter { $0.has("in_case_session") }.count == 2 * consultations)
        let row = Site.sessionRows(e).first
        #expect(row?.holds == min(2 * consultations, 20), "\(String(describing: row))")
    }

    // MARK: 7. `akashi audit calibrate`

    /// `calibrationTable()` has a site row for `in_case_session` saying how many members of staff its median rests
    /// on (all eight clerks have 64 undocumented accesses; S_PROBE's two do not count): at the habitual site the
    /// median is above the reference 0.02 (0.05 when this test was written; the docs now give our generator's
    /// measured median) and the weight here below the default; where the clerks keep
    /// consultations apart from case work the median is below the reference and the weight is the default.
    @Test func theCalibrationTableHasTheSiteRowAndItsStaff() {
        let (amidEngine, _) = Site(amid: Array(repeating: true, count: 8)).run()
        let amid = Site.sessionRows(amidEngine)
        #expect(!amid.isEmpty)
        for row in amid {
            #expect(row.medianOverStaff == 8, "\(row)")
            #expect(abs(row.referenceRate - 0.02) < 1e-9 && row.rate > 0.02, "\(row)")
            #expect(row.weight < row.defaultWeight, "\(row)")
        }
        let (apartEngine, _) = Site(amid: Array(repeating: false, count: 8)).run()
        let apart = Site.sessionRows(apartEngine)
        #expect(!apart.isEmpty)
        for row in apart {
            #expect(row.medianOverStaff == 8, "\(row)")
            #expect(row.rate <= 0.02 && abs(row.weight - row.defaultWeight) < 1e-9, "\(row)")
        }
    }

    // MARK: 8. The rest of the §7b row

    /// Reached directly — no search in the session listed it — the one more register is `no_search` as well as
    /// `in_case_session` (§7b). And a namesake of the request's person is no slip without a result list or a
    /// search for that name (§2 `namesake`: needs corroboration): opened directly amid the case work, it stays
    /// unexplained, with both reasons.
    @Test(arguments: ["R_B", "R_NS2"])
    func reachedDirectlyAmidCaseWork(register: String) {
        let e = AM.engine([AM.realCase])
        let v = e.audit(AM.open("S_I", "10:03", "R_CASE", caseID: "C_CASE"))
        #expect(v.explanation?.strength == .strong && v.reasons.isEmpty, "\(AM.show(v))")
        let f = e.audit(AM.open("S_I", "10:05", register))
        #expect(!f.explained && f.explanation == nil, "\(AM.show(f))")
        #expect(f.has("in_case_session") && f.has("no_search") && f.flagged, "\(AM.show(f))")
    }
}
