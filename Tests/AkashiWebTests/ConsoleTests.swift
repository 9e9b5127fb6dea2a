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
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Runs the audit once over the fixture (the console reads its findings).
actor AuditOnce {
    static let shared = AuditOnce()
    /// The stores audited so far (the shared fixture's, and any fixture of its own a test made).
    var done: Set<ObjectIdentifier> = []
    func run<S: ServerStore>(_ f: StoreFixture<S>) async throws {
        guard !done.contains(ObjectIdentifier(f.store)) else { return }
        try await AuditService(store: f.store).run()
        done.insert(ObjectIdentifier(f.store))
    }
}

func wellFormedXML(_ s: String) -> Bool {
    let p = XMLParser(data: Data(s.utf8))
    return p.parse()
}

extension AllWebTests {
    @Suite("Auditor console")
    struct ConsoleTests {
        func kinds(_ f: Fixture, since: UInt64) throws -> [(String, String)] {
            try f.entries(since: since).filter { $0["type"] as? String == "journal" }
                .map { ($0["kind"] as? String ?? "", $0["subject"] as? String ?? "") }
        }

        @Test("the console's person/register lookup redirects to a path the router reads back (IDs with - . _ ~ kept)")
        func lookupRedirectKeepsIDs() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let r = try await aud.get(client, "/console/persons?id=R-2011.01_x~&kind=register")
                #expect(r.status == .seeOther || r.status == .found, "\(r.status)")
                #expect(r.headers[.location] == "/console/registers/R-2011.01_x~")
                let p = try await aud.get(client, "/console/persons?id=\(f.registerA.members[0])")
                #expect(p.headers[.location] == "/console/persons/\(f.registerA.members[0])")
            }
        }

        @Test("a clerk cannot open the console; every auditor page view is journaled")
        func roleGateAndJournal() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let before = try f.store.ledgerSize()
                for path in ["/console", "/console/dashboard", "/console/staff/\(f.clerk.id)", "/console/alerts"] {
                    let r = try await clerk.get(client, path)
                    #expect(r.status == .forbidden, "\(path)")
                }
                #expect(try kinds(f, since: before).filter { $0.0 == "console.denied" }.count == 4)
                #expect(try kinds(f, since: before).allSatisfy { $0.0 != "console.view" })

                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let start = try f.store.ledgerSize()
                let pages = ["/console", "/console?filter=suppressed", "/console/staff", "/console/staff/\(f.clerk.id)",
                             "/console/persons/\(f.registerA.members[0])", "/console/registers/\(f.registerA.id)",
                             "/console/investigations", "/console/suppressions", "/console/alerts", "/console/dashboard",
                             "/console/disclosure", "/console/survey", "/console/notices"]
                for path in pages {
                    let r = try await aud.get(client, path)
                    #expect(r.status == .ok, "\(path)")
                }
                let views = try kinds(f, since: start).filter { $0.0 == "console.view" }
                #expect(views.count == pages.count)
                #expect(views.contains { $0.1 == "staff:\(f.clerk.id)" })
                #expect(views.contains { $0.1 == "person:\(f.registerA.members[0])" })
                // The auditor has no business permissions.
                let search = try await aud.get(client, "/search?name=a&csrf=\(percentEncode(aud.csrf))")
                #expect(search.status == .forbidden)
            }
        }

        @Test("worklist → evidence → investigation → 業務上 with a rule suppresses the pattern, still visible")
        func investigationLifecycle() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let audit = AuditService(store: f.store)
            let sup = try f.store.suppressions()
            let target = try await #require(try audit.worklist(limit: 500).first { sf in
                sf.finding.register != nil && !sf.finding.reasons.isEmpty && !sup.contains { $0.matches(sf.finding) }
            }).finding
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let list = try await aud.get(client, "/console")
                #expect(list.text.contains(target.access))
                let ev = try await aud.get(client, "/console/findings/\(target.access)")
                #expect(ev.status == .ok)
                #expect(ev.text.contains(target.reasons[0].ja.replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")) || ev.text.contains(target.reasons[0].code))
                #expect(ev.text.contains("近い案件"))
                let start = try f.store.ledgerSize()
                let open = try await aud.post(client, "/console/investigations", ["finding": target.access, "title": "<b>確認</b>"])
                #expect(open.status == .seeOther)
                let loc = try #require(open.headers[.location])
                let id = String(loc.dropFirst("/console/investigations/".count))
                let page = try await aud.get(client, loc)
                #expect(page.text.contains("&lt;b&gt;確認&lt;/b&gt;"))
                #expect(!page.text.contains("<b>確認</b>"))
                let asg = try await aud.post(client, loc + "/assign", ["assignee": f.auditor.id])
                #expect(asg.status == .seeOther)
                let note = try await aud.post(client, loc + "/entries", ["kind": "note", "text": "窓口記録を確認"])
                #expect(note.status == .seeOther)
                // An interview record with an uploaded file (multipart).
                let boundary = "XyZzy123"
                var body = ""
                for (k, v) in [("csrf", aud.csrf), ("kind", "interview"), ("text", "本人から事情を聴取した")] {
                    body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n"
                }
                body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"memo.txt\"\r\nContent-Type: text/plain\r\n\r\n聴取メモ\r\n--\(boundary)--\r\n"
                var h = aud.headers
                h[.contentType] = "multipart/form-data; boundary=\(boundary)"
                let up = try await client.execute(uri: loc + "/entries", method: .post, headers: h, body: ByteBuffer(string: body))
                #expect(up.status == .seeOther)
                let entries = try f.store.investigationEntries(investigation: id)
                let fileEntry = try #require(entries.first { $0.kind == "interview" })
                #expect(fileEntry.fileName == "memo.txt")
                let dl = try await aud.get(client, "/console/files/\(fileEntry.id)")
                #expect(dl.text == "聴取メモ")
                // Without a CSRF token: refused.
                let bad = try await aud.post(client, loc + "/disposition", ["disposition": "business"], csrf: "wrong")
                #expect(bad.status == .forbidden)
                let d = try await aud.post(client, loc + "/disposition", ["disposition": "business", "rule": "窓口の照会対応",
                                                                          "scope": "staff_register"])
                #expect(d.status == .seeOther)
                let inv = try #require(try f.store.investigation(id: id))
                #expect(inv.disposition == .business && inv.decidedBy == f.auditor.id && inv.decided != nil && inv.status == "closed")
                // Closed, the verdict stands (issue 18, F-14): no second disposition, and no register-wide suppression.
                let suppressionsBefore = try f.store.suppressions().count
                let again = try await aud.post(client, loc + "/disposition", ["disposition": "business", "rule": "後から変更",
                                                                              "scope": "register"])
                #expect(again.status == .conflict)
                #expect(try f.store.investigation(id: id)?.rule == "窓口の照会対応")
                #expect(try f.store.suppressions().count == suppressionsBefore)
                let k = try kinds(f, since: start).map(\.0)
                for kind in ["investigation.open", "investigation.assign", "investigation.note", "investigation.interview",
                             "investigation.disposition", "suppression.create"] {
                    #expect(k.contains(kind), "\(kind)")
                }
                // Suppressed: gone from the open worklist, shown under the filter and in the staff timeline.
                let s = try #require(try f.store.suppressions().first { $0.investigation == id })
                #expect(s.staff == target.staff && s.register == target.register)
                #expect(s.matches(target))
                let rows = try await Console(workspace: f.workspace).worklist(filter: "open", staff: target.staff, limit: 1000, offset: 0)
                #expect(!rows.contains { $0.0.finding.access == target.access })
                let supp = try await aud.get(client, "/console?filter=suppressed&staff=\(target.staff)")
                #expect(supp.text.contains(target.access))
                #expect(supp.text.contains("窓口の照会対応"))
                let tl = try await aud.get(client, "/console/staff/\(target.staff)")
                #expect(tl.text.contains("抑制 suppressed"))
                #expect(tl.text.contains(id))
                let fp = try await aud.get(client, "/console/findings/\(target.access)")
                #expect(fp.text.contains("抑制"))
            }
        }

        /// A second auditor with the fixture's password (F-14 needs two pairs of eyes).
        static func secondAuditor(_ f: Fixture) throws -> Staff {
            let other = try #require(try f.store.staffMembers(office: nil, role: .auditor).first { $0.id != f.auditor.id },
                                     "the fixture city has one auditor")
            try f.store.setPasswordHash(staff: other.id, hash: try PasswordHasher.hash(Fixture.password, logN: 10))
            return other
        }

        @Test("F-14: a suppression across staff waits for a second, different auditor; the first cannot confirm it; both steps journaled")
        func registerWideSuppressionNeedsSecondAuditor() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let console = Console(workspace: f.workspace)
            let inEffect = try await console.suppressionsInEffect()
            let all = try f.store.suppressions()
            let candidates = try await AuditService(store: f.store).worklist(limit: 2000).map(\.finding).filter { x in
                x.register != nil && !x.reasons.isEmpty && !all.contains { $0.matches(x) }
            }
            let target = try #require(candidates.first)
            let declinedTarget = try #require(candidates.first { $0.register != target.register || Set($0.reasonCodes) != Set(target.reasonCodes) })
            #expect(!inEffect.contains { $0.matches(target) })
            let second = try Self.secondAuditor(f)
            try await f.app().test(.router) { client in
                var first = Browser()
                try await first.signIn(client, f.auditor.id)
                var other = Browser()
                try await other.signIn(client, second.id)
                func disposeRegisterWide(_ finding: AccessFinding, rule: String, scope: String = "register") async throws -> Suppression {
                    let open = try await first.post(client, "/console/investigations", ["finding": finding.access])
                    let loc = try #require(open.headers[.location])
                    _ = try await first.get(client, loc)
                    let d = try await first.post(client, loc + "/disposition", ["disposition": "business", "rule": rule,
                                                                                "scope": scope])
                    #expect(d.status == .seeOther)
                    let id = String(loc.dropFirst("/console/investigations/".count))
                    return try #require(try f.store.suppressions().first { $0.investigation == id })
                }
                let start = try f.store.ledgerSize()
                let s = try await disposeRegisterWide(target, rule: "窓口の一括交付（全職員）")
                #expect(s.staff == nil && s.register == target.register && s.needsConfirmation && s.isPending)
                // Pending: not in effect, the finding is not suppressed.
                #expect(console.suppression(of: target, try await console.suppressionsInEffect()) == nil)
                var suppressed = try await console.worklist(filter: "suppressed", staff: target.staff, limit: 1000, offset: 0)
                #expect(!suppressed.contains { $0.0.finding.access == target.access })
                let created = try #require(try f.entries(since: start).first { $0["kind"] as? String == "suppression.create" })
                #expect((created["detail"] as? [String: Any])?["status"] as? String == "pending")

                // The first auditor cannot confirm their own; their page says it waits for another auditor.
                let mine = try await first.get(client, "/console/suppressions")
                #expect(mine.text.contains("別の監査担当の確認待ち"))
                #expect(!mine.text.contains("/console/suppressions/\(s.id)/decision"))
                let own = try await first.post(client, "/console/suppressions/\(s.id)/decision", ["decision": "confirm"])
                #expect(own.status == .forbidden)
                #expect(own.text.contains("self_confirmation"))
                #expect(try f.store.suppressions().first { $0.id == s.id }?.isPending == true)

                // The other auditor is told on the worklist, sees it with its rule, and confirms it.
                let list = try await other.get(client, "/console")
                #expect(list.text.contains("pending-suppressions"))
                let page = try await other.get(client, "/console/suppressions")
                #expect(page.text.contains("/console/suppressions/\(s.id)/decision"))
                #expect(page.text.contains("窓口の一括交付（全職員）"))
                let before = try f.store.ledgerSize()
                let ok = try await other.post(client, "/console/suppressions/\(s.id)/decision", ["decision": "confirm"])
                #expect(ok.status == .seeOther)
                let now = try #require(try f.store.suppressions().first { $0.id == s.id })
                #expect(now.inEffect && now.decision?.by == second.id && now.decision?.kind == .confirmed)
                #expect(console.suppression(of: target, try await console.suppressionsInEffect())?.id == s.id)
                suppressed = try await console.worklist(filter: "suppressed", staff: target.staff, limit: 1000, offset: 0)
                #expect(suppressed.contains { $0.0.finding.access == target.access })
                let confirmed = try #require(try f.entries(since: before).first { $0["kind"] as? String == "suppression.confirm" })
                #expect(confirmed["staff"] as? String == second.id)
                #expect(confirmed["subject"] as? String == "suppression:\(s.id)")
                #expect(confirmed["id"] as? String == now.decision?.journal)
                #expect(try f.store.investigationEntries(investigation: s.investigation).contains { $0.kind == "confirm" && $0.author == second.id })
                // Decided once: a second decision is refused.
                let again = try await other.post(client, "/console/suppressions/\(s.id)/decision", ["decision": "decline"])
                #expect(again.status == .conflict)

                // Declined, a suppression never takes effect.
                let d = try await disposeRegisterWide(declinedTarget, rule: "根拠が不十分な例")
                let no = try await other.post(client, "/console/suppressions/\(d.id)/decision", ["decision": "decline"])
                #expect(no.status == .seeOther)
                let declined = try #require(try f.store.suppressions().first { $0.id == d.id })
                #expect(declined.decision?.kind == .declined && !declined.inEffect)
                #expect(console.suppression(of: declinedTarget, try await console.suppressionsInEffect()) == nil)
                #expect(try f.entries(since: before).contains { $0["kind"] as? String == "suppression.decline" })
                // Without a CSRF token, or with no decision: refused.
                let bad = try await other.post(client, "/console/suppressions/\(d.id)/decision", ["decision": "confirm"], csrf: "wrong")
                #expect(bad.status == .forbidden)

                // One staff member across every register (retest, F-14's rest): pending as well, not in effect at once.
                let existing = try f.store.suppressions()
                let staffTarget = try #require(candidates.first { c in
                    c.access != target.access && c.access != declinedTarget.access && !existing.contains { $0.matches(c) }
                })
                let w = try await disposeRegisterWide(staffTarget, rule: "この職員の窓口業務", scope: "staff")
                #expect(w.staff == staffTarget.staff && w.register == nil && w.needsConfirmation && w.isPending)
                #expect(console.suppression(of: staffTarget, try await console.suppressionsInEffect()) == nil)
            }
        }

        @Test("a staff investigation can be opened and marked 要聴取 (stays open, no suppression)")
        func staffInvestigation() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                _ = try await aud.get(client, "/console/staff/\(f.clerk2.id)")
                let open = try await aud.post(client, "/console/investigations", ["staff": f.clerk2.id])
                // An open investigation on the staff member is linked to, not doubled (issue 19): its page, without `?linked=1`.
                let loc = String(try #require(open.headers[.location]).prefix { $0 != "?" })
                let before = try f.store.suppressions().count
                _ = try await aud.get(client, loc)
                let d = try await aud.post(client, loc + "/disposition", ["disposition": "interview"])
                #expect(d.status == .seeOther)
                let id = String(loc.dropFirst("/console/investigations/".count))
                #expect(try f.store.investigation(id: id)?.status == "open")
                #expect(try f.store.suppressions().count == before)
            }
        }

        @Test("resident page: a valid code shows the history, without staff, and again from another browser within its validity; wrong codes are refused and rate-limited")
        func residentCodes() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerA.members[0]
            let issued = try await AccessCodeService(store: f.store).create(person: person, from: LocalDate(year: 2000, month: 1, day: 1)!,
                                                                      to: Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).jstDate)
            try await f.app().test(.router) { client in
                var r = Browser()
                let form = try await r.get(client, "/resident")
                #expect(form.status == .ok)
                #expect(form.text.contains("確認コード"))
                let start = try f.store.ledgerSize()
                let ok = try await r.follow(client, try await r.post(client, "/resident", ["code": issued.code.lowercased()]))
                #expect(ok.status == .ok)
                #expect(ok.text.contains("resident-title"))
                #expect(!ok.text.contains(f.clerk.id))
                #expect(try kinds(f, since: start).contains { $0.0 == "resident.view" && $0.1 == person })
                let json = try await r.get(client, "/resident/report.json")
                #expect(json.status == .ok)
                let report = try DisclosureReport.parse(Data(json.body.readableBytesView))
                #expect(report.subject.id == person)
                #expect(report.allEvents.allSatisfy { $0.staff == nil })
                var again = Browser()
                _ = try await again.get(client, "/resident")
                // The same code again, another browser, days later as far as the code knows: the history again.
                let reused = try await again.post(client, "/resident", ["code": issued.code])
                #expect(reused.status == .seeOther)
                #expect(try await again.follow(client, reused).text.contains("resident-title"))
                _ = try await again.get(client, "/resident")
                let wrong = try await again.post(client, "/resident", ["code": "AAAA-BBBB-CCCC-DDDD"])
                #expect(wrong.status == .forbidden)
                var last = wrong.status
                for _ in 0..<6 {
                    _ = try await again.get(client, "/resident")
                    last = try await again.post(client, "/resident", ["code": "AAAA-BBBB-CCCC-DDDD"]).status
                }
                #expect(last == .tooManyRequests)
                // Without the form token: refused.
                var bare = Browser()
                let noToken = try await bare.post(client, "/resident", ["code": issued.code], csrf: "x")
                #expect(noToken.status == .forbidden)
            }
        }

        @Test("SVG charts are well-formed XML, escape labels and carry title/desc")
        func charts() async throws {
            let evil = "<script>alert('x')</script>&\"ward\""
            let svgs = [Charts.bars(id: "a", title: evil, desc: evil, items: [(evil, 3), ("b", 1)]),
                        Charts.columns(id: "b", title: "t", desc: "d", items: [(evil, 2), ("x", 0)]),
                        Charts.lines(id: "c", title: "t", desc: "d", x: ["1", evil], series: [(evil, [1, 2])]),
                        Charts.heatmap(id: "d", title: evil, desc: "d", grid: [[Int]](repeating: [Int](repeating: 1, count: 24), count: 7)),
                        Charts.bars(id: "e", title: "empty", desc: "d", items: [])]
            for s in svgs {
                #expect(wellFormedXML(s), "\(s.prefix(200))")
                #expect(!s.contains("<script>"))
                #expect(s.contains("<title id="))
                #expect(s.contains("<desc id="))
            }
            #expect(svgs[0].contains("&lt;script&gt;"))
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console/dashboard")
                var rest = Substring(page.text)
                var n = 0
                while let s = rest.range(of: "<svg "), let e = rest.range(of: "</svg>", range: s.upperBound..<rest.endIndex) {
                    #expect(wellFormedXML(String(rest[s.lowerBound..<e.upperBound])))
                    rest = rest[e.upperBound...]
                    n += 1
                }
                #expect(n == 5)
                #expect(!page.text.contains("<script"))
            }
        }

        @Test("disclosure in the console: report, JSON, CSV, printable letter with a one-time code")
        func disclosure() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerA.members[0]
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let q = "kind=person&subject=\(person)&from=2000-01-01&to=2030-12-31"
                let page = try await aud.get(client, "/console/disclosure?\(q)")
                #expect(page.status == .ok)
                #expect(page.text.contains("print-letter"))
                let html = try await aud.get(client, "/console/disclosure/report.html?\(q)")
                #expect(html.text.contains("戸籍等の閲覧状況"))
                #expect(html.headers[.contentSecurityPolicy]?.contains("script") == false)
                let json = try await aud.get(client, "/console/disclosure/report.json?\(q)")
                #expect(try DisclosureReport.parse(Data(json.body.readableBytesView)).subject.id == person)
                let csv = try await aud.get(client, "/console/disclosure/report.csv?\(q)")
                #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                let start = try f.store.ledgerSize()
                let letter = try await aud.submit(client, "/console/disclosure/letter", ["kind": "person", "subject": person,
                                                                                         "from": "2000-01-01", "to": "2030-12-31"])
                #expect(letter.status == .ok)
                #expect(letter.text.contains("class=\"code\""))
                #expect(try kinds(f, since: start).contains { $0.0 == "access_code.create" })
                // The code on the letter works on the resident page.
                let code = try #require(letter.text.range(of: "<span class=\"code\">").map { r in
                    String(letter.text[r.upperBound...].prefix(19)) })
                var res = Browser()
                _ = try await res.get(client, "/resident")
                let shown = try await res.follow(client, try await res.post(client, "/resident", ["code": code]))
                #expect(shown.status == .ok || shown.status == .tooManyRequests)
            }
        }

        @Test("self-report survey: staff answer in the workspace (journaled, ingested); auditors see the reconciliation")
        func survey() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let open = try await aud.post(client, "/console/survey", ["survey": "2026-test"])
                #expect(open.status == .seeOther)
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let form = try await clerk.get(client, "/survey")
                #expect(form.text.contains("survey-submit"))
                let start = try f.store.ledgerSize()
                let r = try await clerk.submit(client, "/survey", ["declares": "some", "who1": f.registerA.members[0],
                                                                    "from1": "2020-01-01", "to1": "2030-01-01", "note1": "家族"])
                #expect(r.status == .ok)
                #expect(try kinds(f, since: start).contains { $0.0 == "survey.answer" })
                #expect(try f.store.selfReports(survey: "2026-test").contains { $0.staff == f.clerk.id && $0.declares == .some })
                // Sent again: the answer given stands and is shown, nothing more is recorded.
                let mid = try f.store.ledgerSize()
                let again = try await clerk.post(client, "/survey", ["declares": "none"])
                #expect(again.status == .seeOther)
                #expect(try f.store.ledgerSize() == mid)
                let rec = try await aud.get(client, "/console/survey?survey=2026-test")
                #expect(rec.text.contains("申告あり・検出あり") && rec.text.contains(f.clerk.id))
            }
        }

        @Test("notices list, produce and printable view; alerts list break-the-glass accesses")
        func noticesAndAlerts() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let reason = "緊急の照会（警察からの電話）"
                _ = try await clerk.get(client, "/registers/\(f.registerB.id)/open")
                let v = try await clerk.submit(client, "/registers/\(f.registerB.id)/view", ["record": "current", "category": "emergency",
                                                                                              "reason": reason, "confirm": "1", "password": Fixture.password])
                #expect(v.status == .ok)
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let alerts = try await aud.get(client, "/console/alerts")
                #expect(alerts.text.contains(reason))
                #expect(alerts.text.contains("http-equiv=\"refresh\""))
                let seen = try await aud.post(client, "/console/alerts/seen", ["top": "999999999"])
                #expect(seen.status == .seeOther)
                _ = try await aud.get(client, "/console/notices")
                let prod = try await aud.post(client, "/console/notices/produce", [:])
                #expect(prod.status == .seeOther)
                let print = try await aud.get(client, "/console/notices/print")
                #expect(print.status == .ok)
            }
        }
    }
}
