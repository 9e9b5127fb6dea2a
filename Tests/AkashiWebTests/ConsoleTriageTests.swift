import AkashiAudit
import AkashiDomain
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

/// Issue 19, item 6 and the auditor's side of item 10 (review §3, A-2, A-4, A-5, A-9, A-10): the console as an auditor
/// triaging a municipality's accesses needs it — names, lookups by name, groups, investigations that hold a group,
/// alerts with their facts, scores that explain themselves, a journal browser.
/// Text as a page shows it (Mustache escapes quotes and the like).
private func htmlText(_ s: String) -> String { HTML.escape(s) }

private func journalKindsSince(_ f: Fixture, since: UInt64) throws -> [String] {
    try f.entries(since: since).filter { $0["type"] as? String == "journal" }.compactMap { $0["kind"] as? String }
}

extension AllWebTests {
    @Suite("Console triage (issue 19)")
    struct ConsoleTriageTests {
        @Test("A-4: worklist, finding and ranking show staff by name, role and office name, persons by name, offices by name")
        func names() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let console = Console(workspace: f.workspace)
            let (groups, _, _) = try await console.worklistGroups(filter: "open", staff: nil, page: 0, size: 50)
            let g = try #require(groups.first { $0.person != nil })
            let staff = try #require(try f.store.staffMember(id: g.staff))
            let staffName = try #require(staff.name)
            // Role and office as the page writes them (「戸籍事務担当・大正区役所」).
            let info = try await ConsoleNames.load(f.store, staff: [g.staff]).staffInfo(g.staff, on: g.top.finding.at.jstDate)
            try #require(info.contains("・"))
            let person = try #require(try await f.store.person(id: g.person!))
            let finding = g.top.finding
            let code = try #require(finding.office)
            let office = try #require(try f.store.office(code: code))
            let topStaff = try await AuditService(store: f.store).staffRanking(limit: 1).first
            let topName = try #require(try topStaff.flatMap { try f.store.staffMember(id: $0.staff) }?.name)
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let list = try await aud.get(client, "/console")
                #expect(list.text.contains(htmlText(staffName)))
                #expect(list.text.contains(htmlText(person.name)))
                #expect(list.text.contains(htmlText(info)))
                let page = try await aud.get(client, "/console/findings/\(finding.access)")
                #expect(page.status == .ok)
                #expect(page.text.contains(htmlText(staffName)) && page.text.contains(htmlText(person.name)))
                #expect(page.text.contains(htmlText(office.name)))
                // 機能・画面 and 操作 in words, not 「/」 and `view`.
                #expect(!page.text.contains("<dd> / </dd>"))
                let body = page.text
                var inWords = false
                for action in AccessAction.allCases where body.contains("id=\"event-action\">" + action.ja) { inWords = true }
                #expect(inWords)
                // Times as staff read them (no ISO with milliseconds).
                #expect(!page.text.contains("+09:00"))
                let ranking = try await aud.get(client, "/console/staff")
                #expect(ranking.text.contains(htmlText(topName)))
                #expect(ranking.text.contains("id=\"risk-meaning\""))
            }
        }

        @Test("A-4: 人・戸籍 and the worklist's 職員 filter take a name (kanji, hiragana or katakana); unknown IDs are 「見つかりません」")
        func lookups() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let persons = try f.store.persons(ids: f.registerA.members)
            let p = try #require(persons.first { ($0.kana ?? "").count > 1 })
            let kana = try #require(p.kana)
            let katakana = String(String.UnicodeScalarView(kana.unicodeScalars.map {
                (0x3041...0x3096).contains($0.value) ? Unicode.Scalar($0.value + 0x60)! : $0 }))
            let staffName = try #require(f.clerk.name)
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                for q in [p.name, p.name.replacingOccurrences(of: " ", with: ""), kana, katakana] {
                    let r = try await aud.get(client, "/console/persons?id=\(percentEncode(q))")
                    #expect(r.status == .ok, "\(q)")
                    #expect(r.text.contains("href=\"/console/persons/\(p.id)\""), "\(q): the person is not offered")
                }
                // As a browser sends the form: the space as「+」.
                let parts = p.name.split(separator: " ").map { percentEncode(String($0)) }
                let form = try await aud.get(client, "/console/persons?id=\(parts.joined(separator: "+"))&kind=person")
                #expect(form.text.contains("href=\"/console/persons/\(p.id)\""), "\(form.text.suffix(1500))")
                // An ID still goes straight to its history.
                #expect(try await aud.get(client, "/console/persons?id=\(p.id)").headers[.location] == "/console/persons/\(p.id)")
                let none = try await aud.get(client, "/console/persons?id=\(percentEncode("存在しない名前"))")
                #expect(none.text.contains("見つかりません") && none.text.contains("id=\"not-found\""))
                // A mistyped ID or an unknown staff member: 404 「見つかりません」, no empty history, no button.
                let typo = try await aud.get(client, "/console/persons/\(p.id)X")
                #expect(typo.status == .notFound && typo.text.contains("見つかりません"))
                let ghost = try await aud.get(client, "/console/staff/S9999")
                #expect(ghost.status == .notFound)
                #expect(!ghost.text.contains("open-staff-investigation"))
                #expect(try await aud.post(client, "/console/investigations", ["staff": "S9999"]).status == .notFound)
                // Headings and titles never show percent-encoded text.
                let encoded = try await aud.get(client, "/console/persons/\(percentEncode("浪花 一郎"))")
                #expect(encoded.text.contains("浪花 一郎") && !encoded.text.contains("%E6%B5%AA"))
                // The worklist's 職員 filter by name; a name nobody has says so.
                let byName = try await aud.get(client, "/console?filter=all&staff=\(percentEncode(staffName))")
                #expect(byName.status == .ok)
                #expect(byName.text.contains("/console/staff/\(f.clerk.id)") || byName.text.contains("staff-candidates"))
                let nobody = try await aud.get(client, "/console?staff=\(percentEncode("誰でもない"))")
                #expect(nobody.text.contains("id=\"staff-not-found\""))
                #expect(try await aud.get(client, "/console?staff=S0%01").status == .badRequest)
                #expect(try await aud.get(client, "/console?filter=bogus").status == .badRequest)
            }
        }

        @Test("A-4: the worklist has one row per staff–person pair with its count, span and top score; paging is range-checked")
        func grouping() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let console = Console(workspace: f.workspace)
            let flat = try await console.worklist(filter: "open", staff: nil, limit: 100_000, offset: 0)
            let keys = Set(flat.map { Console.groupKey($0.0.finding) })
            try #require(keys.count < flat.count, "the fixture needs a staff member with several findings about one person")
            let (groups, total, _) = try await console.worklistGroups(filter: "open", staff: nil, page: 0, size: 50)
            #expect(total == keys.count)
            #expect(groups.reduce(0) { $0 + $1.rows.count } <= flat.count)
            let scores = groups.map(\.top.finding.score)
            #expect(scores == scores.sorted(by: >), "groups not by their top score")
            let many = try #require(try await console.worklistGroups(filter: "open", staff: nil, page: 0, size: 100_000).groups
                .first { $0.rows.count > 1 })
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console?filter=open&staff=\(many.staff)")
                #expect(page.status == .ok)
                #expect(page.text.contains("\(many.rows.count) 件"))
                for access in many.accesses.prefix(ConsoleRoutes.findingsPerGroup) {
                    #expect(page.text.contains("/console/findings/\(access)"))
                }
                let rows = page.text.components(separatedBy: "<tr class=\"finding group\">").count - 1
                let expected = Set(flat.filter { $0.0.finding.staff == many.staff }.map { Console.groupKey($0.0.finding) }).count
                #expect(rows == min(expected, ConsoleRoutes.worklistGroupsPerPage))
                #expect(try await aud.get(client, "/console?page=10001").status == .badRequest)
                #expect(try await aud.get(client, "/console?page=-1").status == .badRequest)
                let far = try await aud.get(client, "/console?page=10000")
                #expect(far.status == .ok && far.text.contains("該当なし"))
            }
        }

        @Test("A-4: an investigation opened from a group holds its findings and its disposition marks them all; no duplicates; reopening needs a reason")
        func groupInvestigation() async throws {
            let f = try await Fixture.shared.value
            // Caught up now, not only once: accesses other tests made since (a break-the-glass view of the VIP
            // register, say) would otherwise join the group when the console audits them on opening it.
            try await AuditService(store: f.store).run()
            let console = Console(workspace: f.workspace)
            let all = try await console.worklistGroups(filter: "open", staff: nil, page: 0, size: 100_000).groups
            // A pair none of whose findings another test has disposed already (an investigation holds every finding
            // of its staff–person pair, the disposed ones too).
            let every = try await console.worklistGroups(filter: "all", staff: nil, page: 0, size: 100_000).groups
            let whole = Set(every.map { Set($0.accesses) })
            let g = try #require(all.first { $0.rows.count > 1 && $0.rows.allSatisfy { $0.2 == nil } && whole.contains(Set($0.accesses)) })
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                _ = try await aud.get(client, "/console")
                let start = try f.store.ledgerSize()
                let open = try await aud.post(client, "/console/investigations", ["group": g.accesses[0]])
                #expect(open.status == .seeOther)
                let loc = try #require(open.headers[.location])
                let id = String(loc.dropFirst("/console/investigations/".count))
                let held = Set(try await console.heldAccesses(try #require(try f.store.investigation(id: id))))
                #expect(held == Set(g.accesses), "held \(held.sorted()), group \(g.accesses.sorted()), at \(loc)")
                // The same group again, or one of its findings: linked to the open investigation, not a second one.
                let again = try await aud.post(client, "/console/investigations", ["finding": g.accesses.last!])
                #expect(again.headers[.location] == loc + "?linked=1")
                #expect(try f.store.investigations(status: nil, staff: nil, finding: g.accesses.last!).allSatisfy { $0.id == id })
                let shown = try await aud.get(client, loc + "?linked=1")
                #expect(shown.text.contains("id=\"linked\""))
                #expect(shown.text.contains("対象の所見 \(g.rows.count) 件"))
                // One disposition marks every finding the investigation holds.
                let d = try await aud.post(client, loc + "/disposition", ["disposition": "non_business"])
                #expect(d.status == .seeOther)
                let disposed = try await console.worklist(filter: "disposed", staff: g.staff, limit: 100_000, offset: 0)
                #expect(Set(g.accesses).isSubset(of: Set(disposed.map(\.0.finding.access))))
                let stillOpen = try await console.worklist(filter: "open", staff: g.staff, limit: 100_000, offset: 0)
                #expect(Set(stillOpen.map(\.0.finding.access)).isDisjoint(with: g.accesses))
                // Closed: no re-disposition in one click; reopening needs a reason, and is journaled.
                let page = try await aud.get(client, loc)
                #expect(page.text.contains("id=\"reopen\"") && !page.text.contains("id=\"dispose\""))
                #expect(try await aud.post(client, loc + "/disposition", ["disposition": "interview"]).status == .conflict)
                #expect(try await aud.post(client, loc + "/reopen", ["reason": "  "]).status == .badRequest)
                #expect(try await aud.post(client, loc + "/reopen", ["reason": "新しい証言"], csrf: "wrong").status == .forbidden)
                #expect(try await aud.post(client, loc + "/reopen", ["reason": "新しい証言"]).status == .seeOther)
                let inv = try #require(try f.store.investigation(id: id))
                #expect(inv.status == "open" && inv.disposition == nil)
                #expect(try await aud.post(client, loc + "/reopen", ["reason": "もう一度"]).status == .conflict)
                let kinds = try journalKindsSince(f, since: start)
                for k in ["investigation.open", "investigation.disposition", "investigation.reopen"] {
                    #expect(kinds.contains(k), "\(k)")
                }
                let reopen = try #require(try f.entries(since: start).first { $0["kind"] as? String == "investigation.reopen" })
                #expect((reopen["detail"] as? [String: Any])?["reason"] as? String == "新しい証言")
                #expect((reopen["detail"] as? [String: Any])?["previous"] as? String == "non_business")
                #expect(try f.store.investigationEntries(investigation: id).contains { $0.kind == "reopen" })
                // Closed again, so that no later test finds this pair's investigation open.
                #expect(try await aud.post(client, loc + "/disposition", ["disposition": "non_business"]).status == .seeOther)
            }
        }

        @Test("A-4: a staff investigation twice is one investigation (the second click links to it)")
        func noDuplicateStaffInvestigation() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                _ = try await aud.get(client, "/console/staff/\(f.trainee.id)")
                let first = try await aud.post(client, "/console/investigations", ["staff": f.trainee.id])
                let loc = try #require(first.headers[.location])
                let second = try await aud.post(client, "/console/investigations", ["staff": f.trainee.id])
                #expect(second.headers[.location] == loc.replacingOccurrences(of: "?linked=1", with: "") + "?linked=1")
                let open = try f.store.investigations(status: "open", staff: f.trainee.id, finding: nil)
                    .filter { $0.finding == nil }
                #expect(open.count == 1)
            }
        }

        @Test("A-2: alerts show outcome, operation, approval and case, link to the access, offer an investigation, page, and are marked seen per row")
        func alerts() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                _ = try await clerk.get(client, "/registers/\(f.registerA.id)/open")
                let v = try await clerk.submit(client, "/registers/\(f.registerA.id)/view", ["record": "current", "category": "other",
                                                                                           "reason": "緊急の照会（alerts test）",
                                                                                           "confirm": "1", "password": Fixture.password])
                #expect(v.status == .ok)
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                // Another test marked everything seen: start from nothing seen.
                try f.store.setConsoleValue("alert.seen.\(f.auditor.id)", "0")
                let page = try await aud.get(client, "/console/alerts")
                #expect(page.status == .ok)
                let row = try #require(page.text.components(separatedBy: "<tr").first { $0.contains("緊急の照会（alerts test）") })
                #expect(row.contains("閲覧（") && row.contains("実施"))
                #expect(row.contains("承認：なし") && row.contains("案件：なし"))
                #expect(row.contains("/console/findings/") || row.contains("/console/accesses/"))
                #expect(row.contains("alert-investigate"))
                #expect(row.contains(htmlText(try #require(f.clerk.name))))
                // The access page of an alert without a finding (or the finding itself).
                let link = try #require(row.range(of: "class=\"alert-access\" href=\"").map { r in
                    String(row[r.upperBound...].prefix { $0 != "\"" }) })
                let access = try await aud.get(client, link)
                #expect(access.status == .ok || access.status == .seeOther)
                // Seen one row: that row loses 「新」, the count drops by one.
                let seq = try #require(row.range(of: "name=\"seq\" value=\"").map { r in String(row[r.upperBound...].prefix { $0 != "\"" }) })
                let countText = page.text.range(of: "id=\"new-count\">").map { r in String(page.text[r.upperBound...].prefix { $0 != "<" }) }
                let before = try #require(countText.flatMap { Int($0) })
                let start = try f.store.ledgerSize()
                #expect(try await aud.post(client, "/console/alerts/seen", ["seq": seq]).status == .seeOther)
                let after = try await aud.get(client, "/console/alerts")
                #expect(after.text.contains("id=\"new-count\">\(before - 1)<"))
                #expect(try journalKindsSince(f, since: start).contains("console.alerts.seen"))
                #expect(try await aud.post(client, "/console/alerts/seen", ["seq": "x"]).status == .badRequest)
                // Older alerts are paged, the cursor range-checked.
                #expect(try await aud.get(client, "/console/alerts?before=1").text.contains("該当なし"))
                #expect(try await aud.get(client, "/console/alerts?before=-3").status == .badRequest)
            }
        }

        @Test("A-5: bands and weights on the finding, ranking by flagged count, the same fact once, no empty reason bar")
        func scores() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let top = try #require(try await AuditService(store: f.store).worklist(limit: 1).first).finding
            let dup = [Reason(code: "dv_support", ja: "DV等支援措置の対象者の附票を業務文書なしで閲覧", en: "a"),
                       Reason(code: "no_search", ja: "検索せずに直接開いた", en: "b"),
                       Reason(code: "fuhyo_no_case", ja: "附票（住所）を業務文書なしで閲覧", en: "c"),
                       Reason(code: "no_search", ja: "検索せずに直接開いた", en: "b")]
            #expect(Console.displayReasons(dup).map(\.code) == ["dv_support", "no_search"])
            #expect(Console.band(0.95).ja == "高" && Console.band(0.6).ja == "中" && Console.band(0.2).ja == "低")
            #expect(ConsoleRoutes.whereText(function: "register.view", screen: "web:register") == "戸籍の表示（register.view）／窓口の画面・戸籍の画面")
            #expect(ConsoleRoutes.whereText(function: nil, screen: " ") == "記録なし")
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console/findings/\(top.access)")
                #expect(page.text.contains("class=\"band band-"))
                #expect(page.text.contains("class=\"weight\""))
                #expect(!page.text.contains("<dd class=\"reason\"></dd>"))
                let byFlagged = try await aud.get(client, "/console/staff?sort=flagged")
                #expect(byFlagged.status == .ok)
                let ranking = try await AuditService(store: f.store).staffRanking()
                let most = try #require(ranking.max { $0.flagged < $1.flagged })
                let first = try #require(byFlagged.text.range(of: "<tbody><tr><td data-label=\"職員\"><a href=\"/console/staff/")
                    .map { r in String(byFlagged.text[r.upperBound...].prefix { $0 != "\"" }) })
                #expect(ranking.first { $0.staff == first }?.flagged == most.flagged)
                #expect(try await aud.get(client, "/console/staff?sort=x").status == .badRequest)
                // The timeline: status in Japanese, an 操作 column.
                let tl = try await aud.get(client, "/console/staff/\(top.staff)")
                #expect(tl.text.contains("<th scope=\"col\">操作"))
                #expect(!tl.text.contains("own_case") && !tl.text.contains("named_case"))
            }
        }

        @Test("A-9: dashboard charts scale (viewBox, no fixed width), wards by name, a legend line per office, a true caption")
        func dashboard() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let offices = try f.store.offices()
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console/dashboard")
                #expect(page.status == .ok)
                #expect(!page.text.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" width="))
                #expect(page.text.components(separatedBy: "viewBox=").count - 1 == 5)
                let used = offices.filter { page.text.contains(htmlText($0.name)) }
                #expect(!used.isEmpty, "no ward by name")
                #expect(page.text.contains("id=\"span-caption\""))
                #expect(!page.text.contains("直近28日"))
            }
            let many = (0..<24).map { ("区\($0)", [1, 2, 3]) }
            let svg = Charts.lines(id: "x", title: "t", desc: "d", x: ["a", "b", "c"], series: many)
            for (name, _) in many { #expect(svg.contains(">\(name)</text>")) }
            let h = try #require(svg.range(of: "viewBox=\"0 0 640 ").map { r in Int(svg[r.upperBound...].prefix { $0 != "\"" }) ?? 0 })
            #expect(h >= 20 + 24 * 16)
            let cols = Charts.columns(id: "y", title: "t", desc: "d", items: (0..<120).map { ("w\($0)", $0) })
            #expect(cols.contains(">w0</text>") && cols.components(separatedBy: "font-size=\"10\"").count - 1 >= 6)
        }

        @Test("A-10: the journal browser answers who approved, who acknowledged the banner, failed sign-ins; auditors only")
        func journalBrowser() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var stranger = Browser()
                _ = try await stranger.get(client, "/signin")
                _ = try await stranger.post(client, "/signin", ["staff": f.clerk2.id, "password": "wrong password"])
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let start = try f.store.ledgerSize()
                let signin = try await aud.get(client, "/audit/journal?kind=signin")
                #expect(signin.status == .ok)
                #expect(signin.text.contains("サインインの失敗") && signin.text.contains(f.clerk2.id))
                let banner = try await aud.get(client, "/audit/journal?kind=banner")
                #expect(banner.text.contains("警告表示の確認") && banner.text.contains(f.auditor.id))
                #expect(try await aud.get(client, "/audit/journal?kind=approval").status == .ok)
                #expect(try await aud.get(client, "/audit/journal?kind=bogus").status == .badRequest)
                #expect(try await aud.get(client, "/audit/journal?kind=signin&before=0").status == .badRequest)
                #expect(try journalKindsSince(f, since: start).contains("console.view"))
                #expect(try await aud.get(client, "/audit").text.contains("/audit/journal"))
                // After the banner the auditor's menu starts with the worklist; the header says 監査コンソール.
                let menu = try await aud.get(client, "/menu")
                let main = try #require(menu.text.range(of: "<main id=\"main\">").map { String(menu.text[$0.upperBound...]) })
                #expect(main.range(of: "<a ").flatMap { a in main[a.lowerBound...].range(of: "id=\"menu-worklist\"") } != nil)
                #expect(main.components(separatedBy: "<a ").dropFirst().first?.contains("href=\"/console\"") == true)
                #expect(menu.text.contains("監査コンソール"))
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                #expect(try await clerk.get(client, "/audit/journal?kind=signin").status == .forbidden)
            }
        }
    }
}
