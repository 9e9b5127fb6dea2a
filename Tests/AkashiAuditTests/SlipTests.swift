import AkashiAudit
import AkashiDomain
import Testing

/// What a wrong-row slip may explain, and what it may not (docs/audit.md §3 namesake, §7b).
@Suite("Wrong-row slips")
struct SlipTests {
    /// 田中 三郎 shares only the surname with the case person 田中 一郎 (R_A); R_C is unrelated to R_A.
    static let extraRegister = W.reg("R_C", "27108", ["P_C"])
    static let extraPerson = Person(id: "P_C", name: "田中 三郎", kana: "たなか さぶろう", register: "R_C")

    let certA = W.kase("C_A", office: "27108", received: "2012-05-10T10:00:00+09:00",
                       closed: "2012-05-10T10:30:00+09:00", staff: ["S_TAISHO"], registers: ["R_A"], persons: ["P_A"])

    func engine(_ cases: [Case]) -> AuditEngine {
        let config = AuditConfig()
        let ctx = AuditContext(offices: W.offices, staff: W.staff, registers: W.registers + [Self.extraRegister],
                               persons: W.persons + [Self.extraPerson], protections: W.protections, cases: cases,
                               config: config)
        return AuditEngine(context: ctx, config: config)
    }

    func search(_ query: String, _ results: [String], at: String = "2012-05-10T10:04:00+09:00") -> AccessEvent {
        W.access("S_TAISHO", at, .search, .current, query: W.nameQuery(query), results: results)
    }

    @Test func theWrongRowOfASurnameSearchThatServedACaseIsASlip() {
        // The clerk searched 田中 for the case; the logged list (narrowed by year of birth) shows only R_A, and the
        // clerk opened 田中 三郎's register first: the wrong row, weakly explained, not flagged.
        let e = engine([certA])
        let s = e.audit(search("田中", ["R_A"]))
        #expect(s.explained && s.rule == "own_case")
        let f = e.audit(W.access("S_TAISHO", "2012-05-10T10:05:00+09:00", register: "R_C"))
        #expect(f.rule == "namesake" && f.explanation?.caseID == "C_A" && f.explanation?.strength == .weak)
        #expect(!f.flagged)
    }

    @Test func aSurnameSearchWithNoDocumentCoversNothing() {
        // The same steps with no case behind the search: nothing explains the register.
        let e = engine([])
        _ = e.audit(search("田中", ["R_A"]))
        let f = e.audit(W.access("S_TAISHO", "2012-05-10T10:05:00+09:00", register: "R_C"))
        #expect(!f.explained && f.flagged && f.has("no_search"))
    }

    @Test func aRegisterWithoutThatSurnameIsNoSlip() {
        // 北 住人 carries no 田中: searching 田中 for the case does not cover opening R_K.
        let e = engine([certA])
        _ = e.audit(search("田中", ["R_A"]))
        let f = e.audit(W.access("S_TAISHO", "2012-05-10T10:05:00+09:00", register: "R_K"))
        #expect(!f.explained)
        // Nor does a search whose query has no name (empty is unknown).
        let g = engine([certA])
        _ = g.audit(W.access("S_TAISHO", "2012-05-10T10:04:00+09:00", .search, .current,
                             query: .object([("name", .string("　"))]), results: ["R_A"]))
        #expect(!g.audit(W.access("S_TAISHO", "2012-05-10T10:05:00+09:00", register: "R_C")).explained)
    }

    @Test func aSlipIsOneLook() {
        // A full-name search for the case lists both 田中 一郎 (R_A, the case's; R_B, a namesake).
        let e = engine([certA])
        _ = e.audit(search("田中 一郎", ["R_A", "R_B"]))
        let first = e.audit(W.access("S_TAISHO", "2012-05-10T10:05:00+09:00", register: "R_B"))
        #expect(first.rule == "namesake" && !first.flagged)
        // Going on to the namesake's 附票, or coming back to it, is not a slip.
        let again = e.audit(W.access("S_TAISHO", "2012-05-10T10:06:00+09:00", .view, .fuhyo, register: "R_B"))
        #expect(!again.explained && again.flagged && again.has("fuhyo_no_case"))
        // Printing a namesake's register is never a slip either.
        let p = engine([certA])
        _ = p.audit(search("田中 一郎", ["R_A", "R_B"]))
        let printed = p.audit(W.access("S_TAISHO", "2012-05-10T10:05:00+09:00", .print, register: "R_B"))
        #expect(!printed.explained && printed.flagged)
    }
}
