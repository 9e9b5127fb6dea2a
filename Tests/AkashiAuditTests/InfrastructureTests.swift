import AkashiAudit
import AkashiDomain
import Testing

@Suite("Holidays, parsing, encoding, state")
struct InfrastructureTests {
    @Test(arguments: [
        "2011-03-21",  // 春分の日
        "2011-09-23",  // 秋分の日
        "2014-05-06",  // 振替休日 (5/4 Sunday → after 5/5: 5/6)
        "2015-09-22",  // 国民の休日 (between 敬老の日 and 秋分の日)
        "2019-05-01",  // 即位の日
        "2019-04-30", "2019-05-02",  // 国民の休日
        "2019-10-22",  // 即位礼正殿の儀
        "2020-07-24",  // スポーツの日 (Olympics)
        "2021-08-09",  // 振替休日 for 山の日 8/8
        "2012-12-24",  // 振替休日 for 天皇誕生日 12/23
        "2013-01-14",  // 成人の日 (2nd Monday)
        "2024-02-23",  // 天皇誕生日 (令和)
        "2016-08-11",  // 山の日
    ])
    func nationalHolidays(date: String) {
        let d = LocalDate(date)!
        #expect(JapaneseHolidays.holidays(year: d.parts.year).contains(d))
    }

    @Test(arguments: ["2012-05-10", "2019-12-23", "2020-10-12", "2013-01-15", "2011-03-22"])
    func ordinaryDays(date: String) {
        let d = LocalDate(date)!
        #expect(!JapaneseHolidays.holidays(year: d.parts.year).contains(d))
    }

    @Test func holidayCountsPerYear() {
        #expect(JapaneseHolidays.holidays(year: 2019).count == 22)
        #expect(JapaneseHolidays.holidays(year: 2023).count == 17)
    }

    @Test func newYearBreakIsClosed() {
        let e = W.engine()
        let f = e.audit(W.access("S_TAISHO", "2012-12-28T11:00:00+09:00", register: "R_A"))
        let g = e.audit(W.access("S_TAISHO", "2012-12-29T11:00:00+09:00", register: "R_A"))  // Saturday anyway
        let h = e.audit(W.access("S_TAISHO", "2013-01-03T11:00:00+09:00", register: "R_A"))  // Thursday
        #expect(!f.has("night_holiday") && g.has("night_holiday") && h.has("night_holiday"))
        var c = AuditConfig()
        c.newYearBreak = false
        let k = W.engine(config: c).audit(W.access("S_TAISHO", "2013-01-03T11:00:00+09:00", register: "R_A"))
        #expect(!k.has("night_holiday"))
    }

    @Test func chomeOfAnAddress() {
        #expect(AuditContext.chome(of: "大阪市大正区三軒家東二丁目3番4号") == "大阪市大正区三軒家東二丁目")
        #expect(AuditContext.chome(of: "大阪市北区兎我野町12番3号") == "大阪市北区兎我野町")
        #expect(AuditContext.chome(of: "大阪市北区 梅田１２番") == "大阪市北区梅田")
        #expect(AuditContext.chome(of: "12番") == nil)
        let ctx = W.context()
        #expect(ctx.homeChome(ofStaff: "S_TAISHO") == "大阪市大正区三軒家東二丁目")
        #expect(Set(ctx.relatives(ofStaff: "S_TAISHO")) == ["P_T_HUSBAND", "P_TP", "P_TX", "P_TH"])
        #expect(Set(ctx.coworkers(ofStaff: "S_TAISHO", on: LocalDate("2012-05-10")!)) == ["S_T2", "S_T3", "S_CON", "S_TAX"])
        #expect(ctx.relatedRegisters(of: "R_MAYOR_H").contains("R_MAYOR"))
    }

    @Test func jsonLineHasExactlyTheKeys() {
        let f = AccessFinding(access: "E1", staff: "S\"1\\", at: Timestamp("2011-03-11T10:15:00+09:00")!,
                              explained: true, explanation: Explanation(rule: "own_case", caseID: "C1", strength: .strong),
                              score: 0, flagged: false, reasons: [])
        #expect(f.jsonLine == #"{"access":"E1","staff":"S\"1\\","at":"2011-03-11T10:15:00+09:00","explained":true,"explanation":{"rule":"own_case","case":"C1"},"score":0.0,"flagged":false,"reasons":[]}"#)
        let g = AccessFinding(access: "E2", staff: "S2", at: Timestamp("2011-03-11T01:15:00Z")!, explained: false,
                              explanation: nil, score: 0.72251, flagged: true,
                              reasons: [Reason(code: "vip", ja: "VIP（市長）の戸籍\n", en: "tab\there\u{1}")])
        #expect(g.jsonLine == #"{"access":"E2","staff":"S2","at":"2011-03-11T01:15:00+00:00","explained":false,"explanation":null,"score":0.7225,"flagged":true,"reasons":[{"code":"vip","ja":"VIP（市長）の戸籍\n","en":"tab\there\u0001"}]}"#)
        let h = AccessFinding(access: "E3", staff: "S3", at: Timestamp("2011-03-11T01:15:00+09:00")!, explained: false,
                              explanation: nil, score: 1, flagged: true, reasons: [])
        #expect(h.jsonLine.contains(#""score":1.0,"#))
    }

    @Test func stateSurvivesASaveAndRestore() throws {
        let e = W.engine()
        _ = e.audit(W.access("S_T3", "2012-05-10T11:00:00+09:00", register: "R_A"))
        _ = e.audit(W.access("S_T3", "2012-05-10T11:05:00+09:00", .search, .current, query: W.nameQuery("x")))
        let saved = e.state
        #expect(saved.events == 2 && saved.repeats.count == 1 && saved.searchDays.count == 1)
        // Round-trip through a Codable container without Foundation: a tiny encoder isn't needed, the type is
        // Codable; check the restored engine continues the history.
        let restored = AuditEngine(context: W.context(), config: AuditConfig(), state: saved)
        #expect(restored.state == saved)
        let f = restored.audit(W.access("S_T3", "2012-06-01T11:00:00+09:00", register: "R_A"))
        #expect(f.has("repeated"))
        // Without the state the later access is not "repeated".
        #expect(!W.engine().audit(W.access("S_T3", "2012-06-01T11:00:00+09:00", register: "R_A")).has("repeated"))
    }

    @Test func danglingReferencesDoNotCrash() {
        let c = W.kase("C_D", office: "27999", received: "2012-05-10T10:00:00+09:00", closed: nil,
                       status: .open, staff: ["S_GHOST"], registers: ["R_GHOST"], persons: ["P_GHOST"])
        let ctx = AuditContext(offices: [], staff: [], registers: [
            Register(id: "R_X", kind: .current, honseki: "x", office: "27000", members: ["P_NOPE"],
                     predecessors: ["R_GONE"]),
        ], persons: [Person(id: "P_Y", name: "x", register: "R_NOWHERE", relations: [Relation(kind: .spouse, person: "P_Z")])],
                               protections: [Protection(person: "P_UNKNOWN", kind: .vip, from: LocalDate("2000-01-01")!)],
                               cases: [c])
        let e = AuditEngine(context: ctx)
        let fs = [
            W.access("S_NOBODY", "2012-05-10T11:00:00+09:00", register: "R_UNSEEN", caseID: "C_UNSEEN"),
            W.access("S_GHOST", "2012-05-10T11:00:00+09:00", register: "R_GHOST"),
            W.access("S_GHOST", "2012-05-10T11:00:00+09:00", register: "R_X", caseID: "C_D"),
            W.access("S_GHOST", "2012-05-10T11:01:00+09:00", .search, .current, query: W.nameQuery("x"),
                     results: ["R_NONE", "R_X"]),
            W.access("S_GHOST", "2012-05-10T11:02:00+09:00", .view, .current, person: "P_Y"),
            W.access("S_GHOST", "2012-05-10T11:03:00+09:00", .export, .current),
        ].map { e.audit($0) }
        #expect(fs.count == 6)
        #expect(fs[1].rule == "own_case")
        #expect(fs.allSatisfy { (0...1).contains($0.score) })
        _ = e.state
    }

    @Test func rankingIsJSONEncodableAndOrdersByRisk() {
        var r = StaffRanking(topK: 3)
        let at = Timestamp("2012-05-10T11:00:00+09:00")!
        for (i, s) in [0.9, 0.8, 0.1, 0.05].enumerated() {
            r.add(AccessFinding(access: "E\(i)", staff: "S_A", at: at, explained: false, explanation: nil, score: s,
                                flagged: s >= 0.5, reasons: [Reason(code: "vip", ja: "", en: "")], person: "P1"))
        }
        r.add(AccessFinding(access: "E9", staff: "S_B", at: at, explained: false, explanation: nil, score: 0.95,
                            flagged: true, reasons: [], person: "P2"))
        let ranked = r.ranked()
        #expect(ranked.map(\.staff) == ["S_A", "S_B"])
        #expect(ranked[0].topScores == [0.9, 0.8, 0.1] && ranked[0].flagged == 2 && ranked[0].personsTouched == 1)
        #expect(ranked[0].topReasons == ["vip"])
        #expect(r.subjects["P1"]?.flagged == ["E0", "E1"])
    }
}

@Suite("Name normalisation")
struct NormaliseTests {
    @Test func blanksGoEverythingElseStays() {
        #expect(AuditContext.known("山田　花子") == "山田花子")
        #expect(AuditContext.known(" 山田\t花子\r\n") == "山田花子")
        #expect(AuditContext.known("やまだ\u{00A0}はなこ") == "やまだはなこ")
        // Neighbours of the blanks' bytes are not blanks: 、(E3 80 81), ¡ (C2 A1), É, ー.
        #expect(AuditContext.known("山田、花子") == "山田、花子")
        #expect(AuditContext.known("¡É ー") == "¡Éー")
        #expect(AuditContext.known(" \u{3000}\u{00A0}\t") == nil)
        #expect(AuditContext.known("") == nil && AuditContext.known(nil) == nil)
    }
}
