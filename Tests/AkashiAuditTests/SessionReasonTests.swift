import AkashiAudit
import AkashiDomain
import Testing

/// The session reasons: `no_search`, `fuhyo_no_case`, `search_series`, `search_led_to_flag`, and the `bulk_search`
/// memory (`bulkMemoryDays`). Each with its legitimate look-alike, which must not raise it.
@Suite("Session reasons")
struct SessionReasonTests {
    static func at(_ time: String) -> String { "2012-05-10T" + time + "+09:00" }

    func search(_ staff: String, _ time: String, _ results: [String], name: String = "x") -> AccessEvent {
        W.access(staff, Self.at(time), .search, .current, query: W.nameQuery(name), results: results,
                 id: "Q\(time)\(staff)")
    }

    func view(_ staff: String, _ time: String, _ register: String, _ record: RecordKind = .current,
              caseID: String? = nil) -> AccessEvent {
        W.access(staff, Self.at(time), .view, record, register: register, caseID: caseID, id: "V\(time)\(staff)\(register)")
    }

    @Test func noSearchFlagsADirectUndocumentedView() {
        let e = W.engine()
        let f = e.audit(view("S_T3", "11:00:00", "R_A"))
        #expect(f.has("no_search") && !f.explained && f.flagged)
        #expect(f.reasons.first { $0.code == "no_search" }!.ja.contains("R_A"))
    }

    @Test func noSearchNotRaisedAfterASearchThatShowedTheRegister() {
        let e = W.engine()
        _ = e.audit(search("S_T3", "10:58:00", ["R_B", "R_A"]))
        let f = e.audit(view("S_T3", "11:00:00", "R_A"))
        #expect(!f.has("no_search") && !f.flagged && abs(f.score - AuditConfig().unexplainedBase) < 1e-9)
        // A related register of a result (the heisei original of the mayor's register) counts as found by the search.
        let g = W.engine()
        _ = g.audit(search("S_KITA", "10:58:00", ["R_K", "R_MAYOR"]))
        #expect(!g.audit(view("S_KITA", "11:00:00", "R_MAYOR_H", .heisei_original)).has("no_search"))
    }

    @Test func noSearchNeedsTheSameStaffTheSameSessionAndTheRegisterAmongTheResults() {
        // Another clerk's search does not count.
        let e = W.engine()
        _ = e.audit(search("S_T2", "10:58:00", ["R_A"]))
        #expect(e.audit(view("S_T3", "11:00:00", "R_A")).has("no_search"))
        // A search long before (another session) does not count.
        let e2 = W.engine()
        _ = e2.audit(search("S_T3", "09:00:00", ["R_A"]))
        #expect(e2.audit(view("S_T3", "11:00:00", "R_A")).has("no_search"))
        // A search that did not show this register does not count.
        let e3 = W.engine()
        _ = e3.audit(search("S_T3", "10:58:00", ["R_B"]))
        #expect(e3.audit(view("S_T3", "11:00:00", "R_A")).has("no_search"))
    }

    @Test func noSearchNotRaisedWhenADocumentExplains() {
        let c = W.kase("C_A", office: "27108", received: Self.at("10:50:00"), closed: Self.at("11:30:00"),
                       staff: ["S_T3"], registers: ["R_A"])
        let f = W.engine([c]).audit(view("S_T3", "11:00:00", "R_A"))
        #expect(f.explained && !f.has("no_search") && f.score == 0)
    }

    @Test func fuhyoWithNoDocument() {
        let e = W.engine()
        _ = e.audit(search("S_T3", "10:58:00", ["R_A"]))
        let f = e.audit(view("S_T3", "11:00:00", "R_A", .fuhyo))
        #expect(f.has("fuhyo_no_case") && !f.has("no_search") && f.flagged)
        // The register itself from the same search is ordinary.
        #expect(!e.audit(view("S_T3", "11:01:00", "R_A")).has("fuhyo_no_case"))
        // A fuhyo certificate request explains it.
        let c = W.kase("C_F", office: "27108", kind: .certificate_fuhyo, received: Self.at("10:50:00"),
                       closed: Self.at("11:30:00"), staff: ["S_T3"], registers: ["R_A"])
        let g = W.engine([c]).audit(view("S_T3", "11:00:00", "R_A", .fuhyo))
        #expect(!g.has("fuhyo_no_case") && !g.flagged)
    }

    @Test func searchSeriesWithNothingOpened() {
        let e = W.engine()
        let a = e.audit(search("S_T3", "11:00:00", ["R_A"]))
        #expect(!a.has("search_series") && !a.flagged)
        #expect(e.takeRevisions().isEmpty)
        let b = e.audit(search("S_T3", "11:01:00", ["R_B"]))
        #expect(b.has("search_series") && b.flagged)
        // The first search of the series is revised afterwards.
        let r = e.takeRevisions()
        #expect(r.map(\.access) == [a.access] && r.first?.reason.code == "search_series")
        let a2 = r[0].applied(to: a, threshold: AuditConfig().flagThreshold)
        #expect(a2.has("search_series") && a2.flagged)
        // Revised once only; a search already flagged when it was audited is not revised.
        #expect(e.audit(search("S_T3", "11:02:00", ["R_K"])).has("search_series"))
        #expect(e.takeRevisions().isEmpty)
    }

    @Test func searchSeriesNotRaisedWhenSomethingIsOpenedOrTheSearchesAreDocumented() {
        // A search, the register it found, another search: ordinary counter work.
        let e = W.engine()
        _ = e.audit(search("S_T3", "11:00:00", ["R_A"]))
        _ = e.audit(view("S_T3", "11:01:00", "R_A"))
        let f = e.audit(search("S_T3", "11:05:00", ["R_B"]))
        #expect(!f.has("search_series") && !f.flagged)
        #expect(e.takeRevisions().isEmpty)
        // Two searches serving a case (retrying a spelling) are explained, no series.
        let c = W.kase("C_A", office: "27108", received: Self.at("10:50:00"), closed: Self.at("11:30:00"),
                       staff: ["S_T3"], registers: ["R_A"], persons: ["P_A"])
        let e2 = W.engine([c])
        _ = e2.audit(search("S_T3", "11:00:00", [], name: "たなか"))
        let g = e2.audit(search("S_T3", "11:01:00", ["R_A", "R_B"], name: "たなか いちろう"))
        #expect(g.explained && !g.has("search_series"))
        #expect(e2.takeRevisions().isEmpty)
        // Searches in different sessions are not a series.
        let e3 = W.engine()
        _ = e3.audit(search("S_T3", "09:00:00", ["R_A"]))
        #expect(!e3.audit(search("S_T3", "11:00:00", ["R_B"])).has("search_series"))
    }

    @Test func searchThatListedResultsAndOpenedNothingIsRevisedWhenTheSessionEnds() {
        let e = W.engine()
        let a = e.audit(search("S_T3", "11:00:00", ["R_A", "R_B"]))
        #expect(!a.flagged && e.takeRevisions().isEmpty)
        // Still in the session: nothing to say yet.
        _ = e.audit(search("S_T2", "11:20:00", ["R_K"]))
        #expect(e.takeRevisions().isEmpty)
        // The clerk's next event, after the session gap: the search led nowhere.
        _ = e.audit(search("S_T3", "14:00:00", [], name: "y"))
        let r = e.takeRevisions()
        #expect(r.map(\.access) == [a.access] && r.first?.reason.code == "search_nothing_opened")
        // It ranks the search higher but does not flag it alone (0.40 with search_no_case: consultations that end
        // without opening anything are ordinary at many counters); with one more reason it flags.
        let applied = r.first.map { $0.applied(to: a, threshold: AuditConfig().flagThreshold) }
        #expect(applied.map { $0.score > a.score && !$0.flagged } == true)
    }

    @Test func searchNothingOpenedNotRaisedForNotFoundOrUsedOrDocumentedSearches() {
        // A search that found nobody (the person is not registered here): ordinary.
        let e = W.engine()
        _ = e.audit(search("S_T3", "11:00:00", []))
        // A search whose result was opened: ordinary counter consultation.
        _ = e.audit(search("S_T2", "11:00:00", ["R_A"]))
        _ = e.audit(view("S_T2", "11:02:00", "R_A"))
        _ = e.audit(search("S_T3", "15:00:00", ["R_K"]))
        _ = e.audit(search("S_T2", "15:00:00", ["R_K"]))
        #expect(e.takeRevisions().isEmpty)
        // A documented search whose register is then not opened (the clerk printed from the case): ordinary.
        let c = W.kase("C_A", office: "27108", received: Self.at("10:50:00"), closed: Self.at("11:30:00"),
                       staff: ["S_T3"], registers: ["R_A"])
        let e2 = W.engine([c])
        _ = e2.audit(search("S_T3", "11:00:00", ["R_A"]))
        _ = e2.audit(search("S_T3", "15:00:00", ["R_K"]))
        #expect(e2.takeRevisions().isEmpty)
    }

    @Test func searchThatLedToAFlaggedAccessIsRevised() {
        // An ordinary-looking search (not itself flagged) whose result was the clerk's parent's register.
        let e = W.engine()
        let s = e.audit(search("S_TAISHO", "11:00:00", ["R_TP"], name: "きむら"))
        #expect(!s.flagged)
        let v = e.audit(view("S_TAISHO", "11:01:00", "R_TP"))
        #expect(v.has("relative") && v.flagged)
        let r = e.takeRevisions()
        #expect(r.count == 1)
        #expect(r.first?.access == s.access && r.first?.reason.code == "search_led_to_flag")
        #expect(r.first?.reason.ja.contains(v.access) == true)
        #expect(r.first.map { $0.applied(to: s, threshold: AuditConfig().flagThreshold).flagged } == true)
        // A search whose result led to an ordinary (unflagged) access is not revised.
        let e2 = W.engine()
        _ = e2.audit(search("S_T3", "11:00:00", ["R_A"]))
        #expect(!e2.audit(view("S_T3", "11:01:00", "R_A")).flagged)
        #expect(e2.takeRevisions().isEmpty)
        // Nor is a documented search (the mayor's own request).
        let c = W.kase("C_V", office: "27108", received: Self.at("10:50:00"), closed: Self.at("11:30:00"),
                       staff: ["S_T3"], registers: ["R_MAYOR"])
        let e3 = W.engine([c])
        _ = e3.audit(search("S_T3", "11:00:00", ["R_MAYOR"]))
        #expect(!e3.audit(view("S_T3", "11:01:00", "R_MAYOR")).flagged)
        #expect(e3.takeRevisions().isEmpty)
    }

    @Test func revisionsSurviveASavedState() {
        let e = W.engine()
        let s = e.audit(search("S_TAISHO", "11:00:00", ["R_TP"]))
        let e2 = AuditEngine(context: W.context(), config: AuditConfig(), state: e.state)
        #expect(e2.audit(view("S_TAISHO", "11:01:00", "R_TP")).flagged)
        #expect(e2.takeRevisions().map(\.access) == [s.access])
    }

    @Test func bulkMemoryCarriesABulkDayForward() {
        var config = AuditConfig()
        config.bulkMemoryDays = 30
        let e = W.engine(config: config)
        for dd in 1...6 {
            for k in 0..<2 {
                _ = e.audit(W.access(["S_T2", "S_T3"][k], "2012-05-0\(dd)T10:0\(k):00+09:00", .search, .current,
                                     query: W.nameQuery("x"), results: []))
            }
        }
        for k in 0..<40 {
            let m = k < 10 ? "0\(k)" : "\(k)"
            _ = e.audit(W.access("S_TAISHO", "2012-05-08T11:\(m):00+09:00", .search, .current,
                                 query: W.nameQuery("x"), results: []))
        }
        let next = e.audit(W.access("S_TAISHO", "2012-05-09T11:00:00+09:00", .search, .current,
                                    query: W.nameQuery("x"), results: []))
        #expect(next.has("bulk_search"))
        // Beyond the memory, a single search is ordinary again; a peer is never affected.
        let later = e.audit(W.access("S_TAISHO", "2012-07-09T11:00:00+09:00", .search, .current,
                                     query: W.nameQuery("x"), results: []))
        #expect(!later.has("bulk_search"))
        let peer = e.audit(W.access("S_T2", "2012-05-09T11:00:00+09:00", .search, .current,
                                    query: W.nameQuery("x"), results: []))
        #expect(!peer.has("bulk_search"))
    }
    @Test func sessionLedToFlagRevisesTheViewBeforeAPrintWithNoRequest() {
        let e = W.engine()
        _ = e.audit(search("S_T3", "10:58:00", ["R_A"]))
        let v = e.audit(view("S_T3", "11:00:00", "R_A"))
        #expect(!v.flagged)
        let p = e.audit(W.access("S_T3", Self.at("11:02:00"), .print, register: "R_A", id: "P1"))
        #expect(p.has("print_no_request") && p.flagged)
        let r = e.takeRevisions()
        #expect(r.contains { $0.access == v.access && $0.reason.code == "session_led_to_flag" })
        #expect(r.first { $0.access == v.access }.map { $0.applied(to: v, threshold: 0.5).flagged } == true)
        // An ordinary follow-up on the same register, or a flagged access to an unrelated register: no revision.
        let e2 = W.engine()
        _ = e2.audit(search("S_T3", "10:58:00", ["R_A"]))
        _ = e2.audit(view("S_T3", "11:00:00", "R_A"))
        #expect(!e2.audit(view("S_T3", "11:01:00", "R_A", .removed)).flagged)
        #expect(e2.audit(view("S_T3", "11:03:00", "R_MAYOR")).flagged)
        #expect(!e2.takeRevisions().contains { $0.reason.code == "session_led_to_flag" })
    }

    @Test func selfMadeCaseLeftOpenFlagsAloneWithdrawnDoesNot() {
        let open = W.kase("C_OPEN", office: "27108", received: Self.at("10:50:00"), closed: nil, status: .open,
                          staff: ["S_TAISHO"], registers: ["R_A"])
        let newer = W.kase("C_NEWER", office: "27108", received: "2012-08-01T10:00:00+09:00",
                           closed: "2012-08-01T10:10:00+09:00", staff: ["S_T2"], registers: ["R_K"])
        let e = W.engine([open, newer])
        _ = e.audit(search("S_TAISHO", "10:58:00", ["R_A"]))
        let f = e.audit(view("S_TAISHO", "11:00:00", "R_A"))
        #expect(f.has("self_made_case") && !f.has("no_search") && f.flagged)
        let wd = W.kase("C_WD", office: "27108", received: Self.at("10:50:00"), closed: Self.at("11:30:00"),
                        status: .withdrawn, staff: ["S_TAISHO"], registers: ["R_A"])
        let e2 = W.engine([wd, newer])
        _ = e2.audit(search("S_TAISHO", "10:58:00", ["R_A"]))
        let g = e2.audit(view("S_TAISHO", "11:00:00", "R_A"))
        #expect(g.has("self_made_case") && !g.flagged)
    }

    @Test func weakDocumentsSuppressSearchNoCaseAndCoverTheFuhyoTheyRequest() {
        let wdFuhyo = W.kase("C_WF", office: "27108", kind: .certificate_fuhyo, received: Self.at("10:50:00"),
                             closed: Self.at("11:30:00"), status: .withdrawn, staff: ["S_TAISHO"], registers: ["R_A"])
        let e = W.engine([wdFuhyo])
        let s = e.audit(search("S_TAISHO", "10:58:00", ["R_A"]))
        #expect(s.has("self_made_case") && !s.has("search_no_case"))
        let f = e.audit(view("S_TAISHO", "11:00:00", "R_A", .fuhyo))
        #expect(f.has("self_made_case") && !f.has("fuhyo_no_case") && !f.flagged)
        // A withdrawn full-register request does not cover the address attachment.
        let wdFull = W.kase("C_WR", office: "27108", received: Self.at("10:50:00"), closed: Self.at("11:30:00"),
                            status: .withdrawn, staff: ["S_TAISHO"], registers: ["R_A"])
        let e2 = W.engine([wdFull])
        _ = e2.audit(search("S_TAISHO", "10:58:00", ["R_A"]))
        #expect(e2.audit(view("S_TAISHO", "11:00:00", "R_A", .fuhyo)).has("fuhyo_no_case"))
    }

    @Test func namesakeFromTheResultListOfACaseServingSearch() {
        let c = W.kase("C_A", office: "27108", received: Self.at("10:00:00"), closed: Self.at("10:30:00"),
                       staff: ["S_TAISHO"], registers: ["R_A"], persons: ["P_A"])
        let e = W.engine([c])
        #expect(e.audit(search("S_TAISHO", "10:04:00", ["R_A", "R_K"], name: "たなか")).rule == "own_case")
        let f = e.audit(view("S_TAISHO", "10:06:00", "R_K"))
        #expect(f.rule == "namesake" && f.explanation?.caseID == "C_A" && !f.flagged)
        // A register that was not in the list is not a slip from it.
        let g = e.audit(view("S_TAISHO", "10:07:00", "R_FAR"))
        #expect(!g.explained && g.has("no_search"))
        // Nor is a row of an undocumented search's list.
        let e2 = W.engine()
        _ = e2.audit(search("S_T3", "10:04:00", ["R_A", "R_K"]))
        #expect(!e2.audit(view("S_T3", "10:06:00", "R_K")).explained)
    }

    @Test func coworkerIncludesFormerColleagues() {
        var staff = W.staff
        staff.append(Staff(id: "S_MOVED", name: "異動 七子", role: .clerk,
                           assignments: [W.koseki("27123", to: "2011-03-31"), W.koseki("27108", from: "2011-04-01")],
                           person: "P_N"))
        let ctx = AuditContext(offices: W.offices, staff: staff, registers: W.registers, persons: W.persons,
                               protections: W.protections, cases: [])
        let e = AuditEngine(context: ctx)
        // S_YODO (淀川区) worked with S_MOVED until 2011: a former colleague's own register.
        _ = e.audit(search("S_YODO", "10:58:00", ["R_N"]))
        let f = e.audit(view("S_YODO", "11:00:00", "R_N"))
        #expect(f.has("coworker") && f.flagged)
        #expect(f.reasons.first { $0.code == "coworker" }!.ja.contains("S_MOVED"))
        // S_KITA (北区) never shared an office with S_MOVED.
        _ = e.audit(search("S_KITA", "10:58:00", ["R_N"]))
        let g = e.audit(view("S_KITA", "11:00:00", "R_N"))
        #expect(!g.has("coworker") && !g.flagged)
    }
}

@Suite("Searches kept up over days")
struct RepeatedSearchTests {
    func search(_ day: String, _ name: String) -> AccessEvent {
        W.access("S_T2", "2012-05-\(day)T15:00:00+09:00", .search, .current, query: W.nameQuery(name), results: [])
    }

    @Test func theSameFullNameOnAThirdDayIsRepeatedASurnameIsNot() {
        let e = W.engine()
        #expect(!e.audit(search("07", "たなか いちろう")).reasonCodes.contains("repeated"))
        #expect(!e.audit(search("08", "たなか　いちろう")).reasonCodes.contains("repeated"))  // spaces do not matter
        let third = e.audit(search("10", "たなか いちろう"))
        #expect(third.reasonCodes.contains("repeated") && third.flagged)
        let e2 = W.engine()
        for day in ["07", "08", "10", "11"] {
            #expect(!e2.audit(search(day, "たなか")).reasonCodes.contains("repeated"))
        }
        // The state carries it across runs.
        let restored = AuditEngine(context: e.context, state: e.state)
        #expect(restored.audit(search("11", "たなか いちろう")).reasonCodes.contains("repeated"))
    }
}
