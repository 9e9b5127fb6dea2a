import AkashiAudit
import AkashiDomain
import Foundation
import Testing

/// Evidence the audit learns from the site's own data: filing windows (docs/audit.md §4a), a staff member's pattern
/// of flags, and one person behind several spellings of a search (§3).
@Suite("Learned evidence")
struct LearnedEvidenceTests {
    static let day: Int64 = 86_400_000

    /// A world of `n` plain registers R_L0 … (one person each) kept by 大正区, on top of the fixture's.
    static func world(_ n: Int, cases: [Case], config: AuditConfig = AuditConfig()) -> AuditEngine {
        let regs = (0..<n).map { W.reg("R_L\($0)", "27108", ["P_L\($0)"]) }
        let persons = (0..<n).map { Person(id: "P_L\($0)", name: "住人 \($0)号", register: "R_L\($0)") }
        let ctx = AuditContext(offices: W.offices, staff: W.staff, registers: W.registers + regs,
                               persons: W.persons + persons, protections: W.protections, cases: cases, config: config)
        return AuditEngine(context: ctx, config: config)
    }

    static func at(_ base: String, plusDays d: Int) -> String {
        let t = Timestamp(millis: Timestamp(base)!.millis + Int64(d) * day)
        return t.description
    }

    /// 大正区 files its own work twenty days late, every time: 70 registers opened one a day, each followed by the
    /// clerk's own case about that register twenty days later, and one case far in the future so that every
    /// access's next sixty days are in the data.
    static func lateSite(config: AuditConfig = AuditConfig()) -> (AuditEngine, [AccessEvent]) {
        let base = "2012-04-02T10:00:00+09:00"
        var cases: [Case] = []
        var accesses: [AccessEvent] = []
        for k in 0..<71 {
            cases.append(W.kase("C_L\(k)", office: "27108", kind: .inquiry, received: at(base, plusDays: k + 20),
                                closed: at(base, plusDays: k + 20), staff: ["S_TAISHO"], registers: ["R_L\(k)"]))
            accesses.append(W.access("S_TAISHO", at(base, plusDays: k), register: "R_L\(k)", id: "E_L\(k)"))
        }
        cases.append(W.kase("C_FAR", office: "27123", received: at(base, plusDays: 400), closed: nil,
                            staff: ["S_YODO"], registers: ["R_TX"]))
        return (world(71, cases: cases, config: config), accesses)
    }

    @Test func aSiteThatFilesLateLearnsALongerWindow() {
        let (e, accesses) = Self.lateSite()
        // Before the site has taught it anything, twenty days is past `ownLateFilingDays` (14): unexplained.
        let first = e.audit(accesses[0])
        #expect(!first.explained)
        for a in accesses[1..<70] { _ = e.audit(a) }
        // Seventy links at twenty days and none by chance: the window reaches 21 days and explains the next one.
        let last = e.audit(accesses[70])
        #expect(last.explained && last.rule == "inquiry" && last.explanation?.caseID == "C_L70")
        let site = e.filingWindowTable().first { $0.office == nil && $0.link == .own }!
        #expect(site.learnedDays == 21 && site.usedDays == 21 && site.links >= FilingLags.minLinks)
    }

    @Test func withoutCalibrationTheDefaultWindowStays() {
        var config = AuditConfig()
        config.calibrate = false
        let (e, accesses) = Self.lateSite(config: config)
        var last: AccessFinding?
        for a in accesses { last = e.audit(a) }
        #expect(last.map { !$0.explained } == true)
    }

    @Test func aResumedAuditKeepsTheLearnedWindow() {
        let (e, accesses) = Self.lateSite()
        for a in accesses[0..<70] { _ = e.audit(a) }
        // Through JSON, as the store keeps it.
        let data = try! JSONEncoder().encode(e.state)
        let state = try! JSONDecoder().decode(AuditState.self, from: data)
        let resumed = AuditEngine(context: Self.lateSite().0.context, config: AuditConfig(), state: state)
        #expect(resumed.filingWindowTable() == e.filingWindowTable())
        #expect(resumed.audit(accesses[70]).explained)
    }

    @Test func theWindowNeverShrinksBelowTheDefault() {
        // Links at zero days only: the learned window is one day, but the default 14 days still applies.
        let base = "2012-04-02T10:00:00+09:00"
        var cases: [Case] = []
        var accesses: [AccessEvent] = []
        for k in 0..<71 {
            cases.append(W.kase("C_L\(k)", office: "27108", kind: .inquiry, received: Self.at(base, plusDays: k),
                                closed: Self.at(base, plusDays: k), staff: ["S_TAISHO"], registers: ["R_L\(k)"]))
            accesses.append(W.access("S_TAISHO", "\(Self.at(base, plusDays: k).prefix(11))09:00:00+09:00", register: "R_L\(k)"))
        }
        cases.append(W.kase("C_LATE", office: "27108", kind: .inquiry, received: Self.at(base, plusDays: 100),
                            closed: Self.at(base, plusDays: 100), staff: ["S_TAISHO"], registers: ["R_A"]))
        cases.append(W.kase("C_FAR", office: "27123", received: Self.at(base, plusDays: 400), closed: nil,
                            staff: ["S_YODO"], registers: ["R_TX"]))
        let e = Self.world(71, cases: cases)
        for a in accesses { _ = e.audit(a) }
        let site = e.filingWindowTable().first { $0.office == nil && $0.link == .own }!
        #expect(site.learnedDays == 1 && site.usedDays == 14)
        // Ten days before its own inquiry: still explained.
        #expect(e.audit(W.access("S_TAISHO", Self.at(base, plusDays: 90), register: "R_A")).explained)
    }

    @Test func aStaffMemberWhoseAccessesKeepBeingFlagged() {
        let e = W.engine()
        // S_T2 opens the mayor's register (VIP, flagged) on five days in May.
        for d in 1...5 {
            let f = e.audit(W.access("S_T2", "2012-05-0\(d)T10:00:00+09:00", register: "R_MAYOR"))
            #expect(f.flagged)
        }
        // A week later S_T2 searches 北 住人 and opens the register, with no document: the view weighs more …
        func look(_ staff: String, _ day: String) -> (search: AccessFinding, view: AccessFinding) {
            (e.audit(W.access(staff, "\(day)T10:00:00+09:00", .search, .current, query: W.nameQuery("北 住人"),
                              results: ["R_K"])),
             e.audit(W.access(staff, "\(day)T10:01:00+09:00", register: "R_K")))
        }
        let mine = look("S_T2", "2012-05-10")
        #expect(mine.view.has("staff_pattern") && mine.view.score > 0.25 && !mine.view.flagged)
        // … (a search with no document and nothing else is everyday work: not even for S_T2) …
        #expect(mine.search.has("search_no_case") && !mine.search.has("staff_pattern"))
        // … but not for a colleague with no flags, nor for S_T2 once sixty days have passed.
        let theirs = look("S_T3", "2012-05-10")
        #expect(!theirs.view.has("staff_pattern") && abs(theirs.view.score - 0.15) < 1e-9)
        #expect(!look("S_T2", "2012-07-20").view.has("staff_pattern"))
    }

    @Test func aPatternNeverTouchesExplainedWork() {
        let cert = W.kase("C_K", office: "27108", received: "2012-05-10T09:55:00+09:00",
                          closed: "2012-05-10T10:30:00+09:00", staff: ["S_T2"], registers: ["R_K"])
        let e = W.engine([cert])
        for d in 1...5 { _ = e.audit(W.access("S_T2", "2012-05-0\(d)T10:00:00+09:00", register: "R_MAYOR")) }
        let f = e.audit(W.access("S_T2", "2012-05-10T10:00:00+09:00", register: "R_K"))
        #expect(f.explained && !f.has("staff_pattern") && f.score == 0)
    }

    @Test func aNameAndItsKanaAreOnePersonWhenOnlyOnePersonCarriesThem() {
        // 橋下 徹 / はしもと とおる is the mayor alone: three days of searching him by either spelling is `repeated`.
        let e = W.engine()
        _ = e.audit(W.access("S_T3", "2012-05-10T10:00:00+09:00", .search, .current, query: W.nameQuery("橋下 徹")))
        _ = e.audit(W.access("S_T3", "2012-05-17T10:00:00+09:00", .search, .current,
                             query: .object([("kana", .string("はしもと とおる"))])))
        let third = e.audit(W.access("S_T3", "2012-05-24T10:00:00+09:00", .search, .current, query: W.nameQuery("橋下 徹")))
        #expect(third.has("repeated"))
        // 田中 一郎 is two persons (P_A, P_B): the name is followed as a name, and its kana separately.
        let g = W.engine()
        _ = g.audit(W.access("S_T3", "2012-05-10T10:00:00+09:00", .search, .current, query: W.nameQuery("田中 一郎")))
        _ = g.audit(W.access("S_T3", "2012-05-17T10:00:00+09:00", .search, .current,
                             query: .object([("kana", .string("たなか いちろう"))])))
        let again = g.audit(W.access("S_T3", "2012-05-24T10:00:00+09:00", .search, .current,
                                     query: W.nameQuery("田中 一郎")))
        #expect(!again.has("repeated"))
    }
}
