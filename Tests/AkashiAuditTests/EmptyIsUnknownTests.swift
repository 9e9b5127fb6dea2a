// Written from docs/audit.md (the public rules) and the issue text ("empty is unknown"), BLIND to the engine:
// AuditEngine.swift, AuditContext.swift and the city's misuse generator were not read. Only the record types
// (AkashiDomain), the public API of AkashiAudit and the existing test fixture were looked at.
//
// The principle: a missing or empty value (nil, "", or only half- / full-width spaces) is *unknown*. It never
// makes two records match (namesake, same address, same surname, a search naming someone, an ID), so it never
// creates an explanation or a reason.
//
// What the interchange decoder already forbids (RecordDecoder): empty record IDs (office code, register, person,
// case, staff), an empty person `name`, empty IDs in lists (`members`, `predecessors`, case `registers`/`persons`,
// search `results`) and an empty `relations[].person`. It still lets through: `kana` "" or spaces, a name of only
// spaces, staff/person `address` "", staff `name` "", `staff.person` "", `register.head` "", and on an access
// `office`/`register`/`person`/`case`/`reason` "". The tests below build those values directly in an
// `AuditContext`; the ones the decoder forbids (an empty person name) are tested at that level too.

import AkashiAudit
import AkashiDomain
import Testing

/// A tiny 大正区: a clerk, a colleague, a 北区 clerk; registers and persons are given per test.
private enum EU {
    static let taisho = "27108"
    static let kita = "27127"
    static let offices = [
        Office(code: "27108", name: "大正区役所", municipality: "27100"),
        Office(code: "27127", name: "北区役所", municipality: "27100"),
    ]
    /// A real home address in 三軒家東二丁目.
    static let home = "大阪市大正区三軒家東二丁目3番4号"
    static let nextDoor = "大阪市大正区三軒家東二丁目9番1号"

    /// 2012-05-10 is a Thursday: office hours, no holiday.
    static func at(_ hm: String) -> String { "2012-05-10T" + hm + ":00+09:00" }
    static func t(_ hm: String) -> Timestamp { Timestamp(at(hm))! }

    static func koseki(_ office: String = taisho) -> Assignment {
        Assignment(office: office, duty: "koseki", from: LocalDate("2009-04-01")!)
    }

    static func clerk(_ id: String = "S_E", name: String? = "窓口 一子", person: String? = nil,
                      address: String? = nil, office: String = taisho) -> Staff {
        Staff(id: id, name: name, role: .clerk, assignments: [koseki(office)], person: person, address: address)
    }

    static func reg(_ id: String, _ members: [String], office: String = taisho, head: String? = nil) -> Register {
        Register(id: id, kind: .current, honseki: "大阪市大正区", office: office, head: head ?? members.first,
                 members: members)
    }

    static func engine(staff: [Staff], registers: [Register], persons: [Person], protections: [Protection] = [],
                       cases: [Case] = []) -> AuditEngine {
        AuditEngine(context: AuditContext(offices: offices, staff: staff, registers: registers, persons: persons,
                                          protections: protections, cases: cases))
    }

    static func search(_ staff: String, _ hm: String, name: String?, results: [String], caseID: String? = nil,
                       office: String? = taisho) -> AccessEvent {
        let query: JSONValue? = name.map { .object([("name", .string($0))]) }
        return AccessEvent(id: "Q-\(staff)-\(hm)-\(results.joined(separator: ","))", at: t(hm), staff: staff,
                           office: office, action: .search, record: .current, caseID: caseID, query: query,
                           results: results)
    }

    static func view(_ staff: String, _ hm: String, _ register: String?, _ record: RecordKind = .current,
                     caseID: String? = nil, office: String? = taisho, person: String? = nil,
                     reason: String? = nil, action: AccessAction = .view) -> AccessEvent {
        AccessEvent(id: "V-\(staff)-\(hm)-\(register ?? "nil")-\(record.rawValue)-\(action.rawValue)", at: t(hm),
                    staff: staff, office: office, action: action, record: record, register: register,
                    person: person, caseID: caseID, reason: reason)
    }

    /// The finding in one line, for failure messages.
    static func show(_ f: AccessFinding) -> String {
        "score \(f.score), flagged \(f.flagged), rule \(f.explanation?.rule ?? "-")/\(f.explanation?.caseID ?? "-")"
            + "/\(f.explanation?.strength.rawValue ?? "-"), reasons \(f.reasonCodes)"
    }

    /// A certificate request handled by the clerk, 10:00–10:30 (done).
    static func kase(_ id: String, registers: [String], persons: [String] = [], staff: [String] = ["S_E"],
                     kind: CaseKind = .certificate_full, office: String = taisho, requester: Requester? = .own,
                     from: String = "10:00", to: String = "10:30") -> Case {
        Case(id: id, office: office, kind: kind, requester: requester, received: t(from), closed: t(to),
             status: .done, staff: staff, registers: registers, persons: persons)
    }
}

@Suite("Empty is unknown")
struct EmptyIsUnknownTests {
    // MARK: - namesake

    /// The case's person and an unrelated person both have an empty (or blank, or missing) kana. Opening the other
    /// person's 附票 in the same session is not a namesake slip: it is unexplained and flagged (a 附票 with no
    /// document, reached with no search). A true namesake (same 氏名) in the same session still is one, so the
    /// session is live.
    @Test(arguments: [String?.none, "", "  ", "　", " 　"])
    func blankKanaIsNoNamesake(kana: String?) {
        let persons = [
            Person(id: "P_1", name: "田中 一郎", kana: kana, register: "R_1"),
            Person(id: "P_2", name: "佐藤 花子", kana: kana, register: "R_2"),
            Person(id: "P_3", name: "田中 一郎", kana: kana, register: "R_3"),
        ]
        let registers = [EU.reg("R_1", ["P_1"]), EU.reg("R_2", ["P_2"]), EU.reg("R_3", ["P_3"])]
        let c = EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])
        func session() -> AuditEngine {
            let e = EU.engine(staff: [EU.clerk()], registers: registers, persons: persons, cases: [c])
            // The counter search lists both 田中 一郎 (a real slip is made from a result list); R_2 is not on it.
            let s = e.audit(EU.search("S_E", "10:04", name: "田中", results: ["R_1", "R_3"]))
            #expect(s.explained)
            let v = e.audit(EU.view("S_E", "10:05", "R_1"))
            #expect(v.explanation?.rule == "own_case" && !v.flagged)
            return e
        }
        let f = session().audit(EU.view("S_E", "10:08", "R_2", .fuhyo))
        #expect(f.explanation?.rule != "namesake")
        #expect(!f.explained)
        #expect(f.flagged)
        #expect(f.reasonCodes.contains("fuhyo_no_case"))
        // Control: the real namesake (same 氏名 田中 一郎) is still a weak slip.
        let g = session().audit(EU.view("S_E", "10:08", "R_3"))
        #expect(g.explanation?.rule == "namesake" && g.explanation?.strength == .weak)
    }

    /// Names that are empty (the decoder forbids it; the domain type does not) or only spaces, with no kana: two
    /// such persons are not namesakes of each other.
    @Test(arguments: ["", " ", "　", "　 ", "  "])
    func blankNamesAreNoNamesakes(name: String) {
        let persons = [
            Person(id: "P_1", name: name, register: "R_1"),
            Person(id: "P_2", name: name, register: "R_2"),
        ]
        let registers = [EU.reg("R_1", ["P_1"]), EU.reg("R_2", ["P_2"])]
        let e = EU.engine(staff: [EU.clerk()], registers: registers, persons: persons,
                          cases: [EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])])
        _ = e.audit(EU.search("S_E", "10:04", name: "x", results: ["R_1"]))
        _ = e.audit(EU.view("S_E", "10:05", "R_1"))
        let f = e.audit(EU.view("S_E", "10:08", "R_2", .fuhyo))
        #expect(f.explanation?.rule != "namesake")
        #expect(!f.explained)
        #expect(f.flagged)
        // The same with the blank name as kana too.
        let persons2 = persons.map { p -> Person in
            var q = p
            q.kana = name
            return q
        }
        let e2 = EU.engine(staff: [EU.clerk()], registers: registers, persons: persons2,
                           cases: [EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])])
        _ = e2.audit(EU.search("S_E", "10:04", name: "x", results: ["R_1"]))
        _ = e2.audit(EU.view("S_E", "10:05", "R_1"))
        let g = e2.audit(EU.view("S_E", "10:08", "R_2", .fuhyo))
        #expect(!g.explained && g.flagged)
    }

    // MARK: - search queries

    static let protectedPersons = [
        Person(id: "P_V", name: "大物 政治", kana: "おおもの せいじ", register: "R_V"),
        // A DV-protected person whose kana is empty and a VIP whose kana is blank.
        Person(id: "P_D", name: "保護 対象", kana: "", register: "R_D"),
        Person(id: "P_W", name: "公人 二号", kana: "　", register: "R_W"),
        Person(id: "P_1", name: "田中 一郎", kana: "たなか いちろう", register: "R_1"),
    ]
    static let protectedRegisters = [EU.reg("R_V", ["P_V"]), EU.reg("R_D", ["P_D"]), EU.reg("R_W", ["P_W"]),
                                     EU.reg("R_1", ["P_1"])]
    static let protections = [
        Protection(person: "P_V", kind: .vip, from: LocalDate("2008-01-01")!, note: "市議会議員"),
        Protection(person: "P_D", kind: .dv_support, from: LocalDate("2010-01-01")!),
        Protection(person: "P_W", kind: .vip, from: LocalDate("2008-01-01")!, note: ""),
    ]

    /// A search whose `name` is "" or only spaces names nobody: it is not `search_protected` (an empty prefix is a
    /// prefix of every name, but it identifies no one), and it is not explained by the clerk's case through a name
    /// match either.
    @Test(arguments: ["", " ", "  ", "　", " 　 "])
    func blankSearchNameNamesNoProtectedPersonAndServesNoCase(query: String) {
        let e = EU.engine(staff: [EU.clerk()], registers: Self.protectedRegisters, persons: Self.protectedPersons,
                          protections: Self.protections,
                          cases: [EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])])
        let f = e.audit(EU.search("S_E", "10:05", name: query, results: []))
        #expect(!f.reasonCodes.contains("search_protected"))
        #expect(!f.explained)
        #expect(f.explanation == nil)
        // Control: the protected person's kana does name them.
        let e2 = EU.engine(staff: [EU.clerk()], registers: Self.protectedRegisters, persons: Self.protectedPersons,
                           protections: Self.protections)
        #expect(e2.audit(EU.search("S_E", "10:05", name: "おおもの", results: [])).reasonCodes
            .contains("search_protected"))
    }

    /// A search with no `name` at all (no query, or a query without that key) names nobody either.
    @Test func missingSearchNameNamesNoProtectedPerson() {
        let e = EU.engine(staff: [EU.clerk()], registers: Self.protectedRegisters, persons: Self.protectedPersons,
                          protections: Self.protections)
        let f = e.audit(EU.search("S_E", "10:05", name: nil, results: []))
        #expect(!f.reasonCodes.contains("search_protected"))
        let g = e.audit(AccessEvent(id: "Q-obj", at: EU.t("11:40"), staff: "S_E", office: EU.taisho, action: .search,
                                    record: .current, query: .object([("birth", .string(""))]), results: []))
        #expect(!g.reasonCodes.contains("search_protected"))
    }

    // MARK: - addresses and surnames

    /// Staff and person addresses that are missing, "" or only spaces are not the same 町丁目.
    @Test(arguments: zip([String?.none, "", " ", "　", "", "  ", nil],
                         [String?.none, "", " ", "　", nil, "　", ""]))
    func blankAddressesAreNoNeighbours(staffAddress: String?, personAddress: String?) {
        let e = EU.engine(staff: [EU.clerk(address: staffAddress)], registers: [EU.reg("R_N", ["P_N"])],
                          persons: [Person(id: "P_N", name: "近所 住人", register: "R_N", address: personAddress)])
        _ = e.audit(EU.search("S_E", "10:58", name: "きんじょ", results: ["R_N"]))
        let f = e.audit(EU.view("S_E", "11:00", "R_N"))
        #expect(!f.reasonCodes.contains("neighbour"))
        #expect(!f.reasonCodes.contains("relative"))
        // Control: a real address in the clerk's 丁目 is the neighbourhood.
        let e2 = EU.engine(staff: [EU.clerk(address: EU.home)], registers: [EU.reg("R_N", ["P_N"])],
                           persons: [Person(id: "P_N", name: "近所 住人", register: "R_N", address: EU.nextDoor)])
        _ = e2.audit(EU.search("S_E", "10:58", name: "きんじょ", results: ["R_N"]))
        #expect(e2.audit(EU.view("S_E", "11:00", "R_N")).reasonCodes.contains("neighbour"))
    }

    /// A clerk and a person with the same surname, both with an empty / blank address, do not live together.
    @Test(arguments: ["", " ", "　", " 　"])
    func blankAddressWithTheSameSurnameIsNoRelative(address: String) {
        // The clerk's HR record and own person record both carry the surname and the (blank) address.
        func engine(_ address: String) -> AuditEngine {
            let staff = [EU.clerk(name: "山田 花子", person: "P_S", address: address)]
            let persons = [Person(id: "P_S", name: "山田 花子", register: "R_S", address: address),
                           Person(id: "P_Y", name: "山田 太郎", register: "R_Y", address: address)]
            return EU.engine(staff: staff, registers: [EU.reg("R_S", ["P_S"]), EU.reg("R_Y", ["P_Y"])],
                             persons: persons)
        }
        let e = engine(address)
        _ = e.audit(EU.search("S_E", "10:58", name: "やまだ", results: ["R_Y"]))
        let f = e.audit(EU.view("S_E", "11:00", "R_Y"))
        #expect(!f.reasonCodes.contains("relative"))
        #expect(!f.reasonCodes.contains("neighbour"))
        #expect(!f.flagged)
        // Control: the same surname at the clerk's real address is a household relative.
        let e2 = engine(EU.home)
        _ = e2.audit(EU.search("S_E", "10:58", name: "やまだ", results: ["R_Y"]))
        #expect(e2.audit(EU.view("S_E", "11:00", "R_Y")).reasonCodes.contains("relative"))
    }

    /// A person whose name (hence surname) is empty or blank, living at the clerk's address, is not the clerk's
    /// relative because the clerk's name is empty or blank too (or missing). They are neighbours, nothing more.
    @Test(arguments: ["", " ", "　", "  "])
    func blankSurnamesAtTheSameAddressAreNoRelatives(name: String) {
        for staffName in [String?.none, name] {
            // The clerk's own person record carries the blank name too.
            let staff = [EU.clerk(name: staffName, person: "P_S", address: EU.home)]
            let persons = [
                Person(id: "P_S", name: name, register: "R_S", address: EU.home),
                Person(id: "P_O", name: name, register: "R_O", address: EU.home),
            ]
            let e = EU.engine(staff: staff, registers: [EU.reg("R_S", ["P_S"]), EU.reg("R_O", ["P_O"])],
                              persons: persons)
            _ = e.audit(EU.search("S_E", "10:58", name: "x", results: ["R_O"]))
            let f = e.audit(EU.view("S_E", "11:00", "R_O"))
            #expect(!f.reasonCodes.contains("relative"), "staff name \(String(describing: staffName))")
            #expect(!f.reasonCodes.contains("own_register"))
        }
    }

    // MARK: - empty IDs on an access

    /// `case: ""` is no case: it does not name a case (no `named_case`, no `case_mismatch`), and the access is judged
    /// as if no case were named.
    @Test func emptyCaseIDNamesNoCase() {
        let persons = [Person(id: "P_V", name: "大物 政治", kana: "おおもの せいじ", register: "R_V"),
                       Person(id: "P_1", name: "田中 一郎", register: "R_1")]
        let registers = [EU.reg("R_V", ["P_V"]), EU.reg("R_1", ["P_1"])]
        let protections = [Protection(person: "P_V", kind: .vip, from: LocalDate("2008-01-01")!, note: "市議会議員")]
        let e = EU.engine(staff: [EU.clerk()], registers: registers, persons: persons, protections: protections,
                          cases: [EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])])
        _ = e.audit(EU.search("S_E", "10:03", name: "x", results: ["R_1"]))
        let own = e.audit(EU.view("S_E", "10:04", "R_1", caseID: ""))
        #expect(own.explanation?.rule == "own_case" && own.explanation?.caseID == "C_1")
        #expect(own.reasons.isEmpty && !own.flagged)
        _ = e.audit(EU.search("S_E", "10:05", name: "おおもの", results: ["R_V"], caseID: ""))
        let vip = e.audit(EU.view("S_E", "10:06", "R_V", caseID: ""))
        #expect(!vip.explained && vip.explanation == nil)
        #expect(vip.reasonCodes.contains("vip") && vip.flagged)
        #expect(!vip.reasonCodes.contains("case_mismatch"))
    }

    /// `office: ""` on an access is no office: an inquiry received at 大正区 explains accesses by anyone at 大正区,
    /// not by a 北区 clerk whose access carries an empty office.
    @Test func emptyOfficeOnAnAccessIsNoOffice() {
        let persons = [Person(id: "P_1", name: "田中 一郎", register: "R_1")]
        let inquiry = EU.kase("C_Q", registers: ["R_1"], persons: ["P_1"], staff: ["S_F"], kind: .inquiry,
                              requester: .official)
        let e = EU.engine(staff: [EU.clerk(), EU.clerk("S_F"), EU.clerk("S_K", office: EU.kita)],
                          registers: [EU.reg("R_1", ["P_1"])], persons: persons, cases: [inquiry])
        // (His search is made from his own office: a search made from a 大正区 terminal would be a colleague's.)
        _ = e.audit(EU.search("S_K", "11:00", name: "x", results: ["R_1"], office: EU.kita))
        let f = e.audit(EU.view("S_K", "11:01", "R_1", office: ""))
        #expect(!f.explained && f.explanation == nil, "\(EU.show(f))")
        // Control: the inquiry does explain a 大正区 clerk (the office is known from HR).
        let g = e.audit(EU.view("S_E", "11:02", "R_1", office: ""))
        #expect(g.explanation?.rule == "inquiry", "\(EU.show(g))")
        // Nor does a search of his carrying an empty office serve the 大正区 case as a colleague's.
        let q = e.audit(EU.search("S_K", "11:03", name: "x", results: ["R_1"], office: ""))
        #expect(!q.explained && q.explanation == nil, "\(EU.show(q))")
    }

    /// `register: ""` on an access is no register: a case named on it cannot be checked, so it is at most a weak
    /// explanation (as for an unknown register), never a strong `named_case`.
    @Test func emptyRegisterIDMatchesNoRegister() {
        let persons = [Person(id: "P_1", name: "田中 一郎", register: "R_1")]
        let e = EU.engine(staff: [EU.clerk()], registers: [EU.reg("R_1", ["P_1"])], persons: persons,
                          cases: [EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])])
        let f = e.audit(EU.view("S_E", "10:05", "", caseID: "C_1"))
        #expect(f.explanation?.strength != .strong)
    }

    /// A clerk whose own person is "" (the decoder lets `staff.person` be empty), a colleague whose person is "" too,
    /// a register whose head is "": none of them is anyone's own register, and an access on `register: ""`,
    /// `person: ""` is not the clerk's own or a coworker's.
    @Test func emptyPersonIDsAreNobody() {
        let staff = [EU.clerk(person: ""), EU.clerk("S_F", name: "同僚 二郎", person: "")]
        let persons = [Person(id: "P_H", name: "筆頭 不明", register: "R_H")]
        let registers = [EU.reg("R_H", ["P_H"], head: "")]
        let e = EU.engine(staff: staff, registers: registers, persons: persons)
        _ = e.audit(EU.search("S_E", "10:58", name: "x", results: ["R_H"]))
        let f = e.audit(EU.view("S_E", "11:00", "R_H"))
        for code in ["own_register", "coworker", "relative", "former_spouse"] {
            #expect(!f.reasonCodes.contains(code), "\(code) on R_H")
        }
        #expect(!f.flagged)
        let g = e.audit(EU.view("S_E", "11:01", "", person: ""))
        for code in ["own_register", "coworker", "relative", "former_spouse"] {
            #expect(!g.reasonCodes.contains(code), "\(code) on register \"\"")
        }
    }

    /// `reason: ""` is no free-text reason: it is not a break-the-glass entry.
    @Test func emptyReasonIsNoBreakGlass() {
        let persons = [Person(id: "P_1", name: "田中 一郎", register: "R_1")]
        let e = EU.engine(staff: [EU.clerk()], registers: [EU.reg("R_1", ["P_1"])], persons: persons,
                          cases: [EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])])
        _ = e.audit(EU.search("S_E", "10:03", name: "x", results: ["R_1"]))
        for (k, reason) in ["", " ", "　"].enumerated() {
            let f = e.audit(EU.view("S_E", "10:0\(4 + k)", "R_1", reason: reason))
            #expect(!f.reasonCodes.contains("break_glass"), "reason \"\(reason)\"")
            #expect(f.explained && !f.flagged)
        }
    }

    // MARK: - relations to persons with no record

    /// Relations that point to a person ID with no record link nothing: two persons married to the same unknown
    /// person are not related to each other, a case about an unknown person concerns no register, and a clerk
    /// married to an unknown person is not the relative of another person married to them.
    @Test func relationsToMissingPersonsMatchNothing() {
        let persons = [
            Person(id: "P_S", name: "窓口 一子", register: "R_S", relations: [Relation(kind: .spouse, person: "P_GHOST")]),
            Person(id: "P_1", name: "田中 一郎", register: "R_1", relations: [Relation(kind: .spouse, person: "P_GHOST")]),
            Person(id: "P_2", name: "鈴木 二郎", register: "R_2", relations: [Relation(kind: .spouse, person: "P_GHOST")]),
        ]
        let registers = [EU.reg("R_S", ["P_S"]), EU.reg("R_1", ["P_1"]), EU.reg("R_2", ["P_2"])]
        // A case about the ghost only, and a case about R_1.
        // S_G works at 北区, so S_E's case (大正区) is not a colleague's case for him.
        let ghostCase = EU.kase("C_G", registers: [], persons: ["P_GHOST"], staff: ["S_G"], office: EU.kita)
        let case1 = EU.kase("C_1", registers: ["R_1"], persons: ["P_1"])
        let staff = [EU.clerk(person: "P_S"), EU.clerk("S_G", name: "別人 五郎", office: EU.kita)]
        let e = EU.engine(staff: staff, registers: registers, persons: persons, cases: [ghostCase, case1])
        // S_G's case is about the ghost: it concerns no register, so it does not explain R_1 (whose member is the
        // ghost's spouse: the ghost has no register to relate through).
        _ = e.audit(EU.search("S_G", "10:03", name: "x", results: ["R_1"], office: EU.kita))
        let g = e.audit(EU.view("S_G", "10:04", "R_1", office: EU.kita))
        #expect(!g.explained && g.explanation == nil, "\(EU.show(g))")
        // S_E's case about R_1 does not explain R_2 (both are spouses of the ghost, not related to each other).
        _ = e.audit(EU.search("S_E", "10:05", name: "x", results: ["R_2"]))
        let f = e.audit(EU.view("S_E", "10:06", "R_2"))
        #expect(!f.explained && f.explanation == nil)
        // …nor as the named case.
        let n = e.audit(EU.view("S_E", "10:07", "R_2", caseID: "C_1"))
        #expect(n.explanation?.rule != "named_case" && n.explanation?.strength != .strong)
        // S_E (married to the ghost) is no relative of P_1 or P_2 (also married to the ghost).
        #expect(!f.reasonCodes.contains("relative") && !f.reasonCodes.contains("former_spouse"))
        // R_1 is nothing to S_G either.
        #expect(!g.reasonCodes.contains("relative") && !g.reasonCodes.contains("own_register"))
    }
}
