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

/// The text between `start` and the next `end` in `text`, if any.
private func slice(_ text: String, _ start: String, _ end: String) -> String? {
    guard let a = text.range(of: start), let b = text[a.upperBound...].range(of: end) else { return nil }
    return String(text[a.upperBound..<b.lowerBound])
}

/// Katakana for hiragana (the test's input, as a clerk types it).
private func katakana(_ s: String) -> String {
    String(String.UnicodeScalarView(s.unicodeScalars.map { (0x3041...0x3096).contains($0.value) ? Unicode.Scalar($0.value + 0x60)! : $0 }))
}

/// Full-width digits for ASCII ones.
private func fullWidthDigits(_ s: String) -> String {
    String(String.UnicodeScalarView(s.unicodeScalars.map { (0x30...0x39).contains($0.value) ? Unicode.Scalar($0.value + 0xFEE0)! : $0 }))
}

extension AllWebTests {
    /// Issue 19, item 8 and the clerk's side of item 10: the clerk's day at the counter.
    @Suite("The clerk's day (issue 19)")
    struct ClerkDayTests {
        func accesses(_ f: Fixture, since before: UInt64) throws -> [[String: Any]] {
            try f.entries(since: before).filter { $0["type"] as? String == "access" }
        }

        /// A member of `register` with a birth date and kana.
        func member(_ f: Fixture, _ register: Register) async throws -> Person {
            let members = try f.store.persons(ids: register.members)
            return try #require(members.first { $0.birth != nil && ($0.kana ?? "").count >= 2 })
        }

        @Test("C-1: intake with the subject's name and birth date and no register ID; a search within the case; picking the register attaches it")
        func intakeThenSearchWithinCase() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA
            let person = try await member(f, reg)
            let birth = try #require(person.birth)
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/cases/new")
                let made = try await b.post(client, "/cases", ["kind": "certificate.full", "requester": "self",
                                                               "requesterName": person.name, "subjectName": person.name,
                                                               "subjectBirth": ReportText.wareki(birth.description)])
                #expect(made.status == .seeOther)
                let loc = try #require(made.headers[.location])
                let caseID = String(try #require(loc.split(separator: "?").first).dropFirst("/cases/".count))
                let c = try #require(try await f.store.caseRecord(id: caseID))
                #expect(c.registers.isEmpty)
                let page = try await b.get(client, loc)
                #expect(page.text.contains("id=\"case-received\"") && page.text.contains("id=\"no-register\""))
                #expect(page.text.contains(birth.description.prefix(4)))
                // The search form of the case is filled in with the subject; nothing is searched yet.
                let before = try f.store.ledgerSize()
                let form = try await b.get(client, "/search?case=\(caseID)")
                #expect(form.text.contains("id=\"search-case\"") && !form.text.contains("id=\"no-case-warning\""))
                #expect(form.text.contains("value=\"\(person.name)\""))
                #expect(try f.store.ledgerSize() == before)
                // The search carries the case: the ledger's search access names it.
                let found = try await b.get(client, "/search?case=\(caseID)&name=\(percentEncode(person.name))&birth=\(percentEncode(ReportText.wareki(birth.description)))&csrf=\(percentEncode(b.csrf))")
                #expect(found.status == .ok)
                let search = try #require(try accesses(f, since: before).last)
                #expect(search["action"] as? String == "search" && search["case"] as? String == caseID)
                #expect((search["results"] as? [String])?.contains(reg.id) == true)
                #expect(found.text.contains("action=\"/cases/\(caseID)/registers\"") && found.text.contains("この戸籍を案件の対象にする"))
                // Picking it attaches it to the case (journaled); the register then opens for the case.
                let mid = try f.store.ledgerSize()
                let attached = try await b.post(client, "/cases/\(caseID)/registers", ["register": reg.id])
                #expect(attached.status == .seeOther)
                #expect(try await f.store.caseRecord(id: caseID)?.registers == [reg.id])
                let j = try f.entries(since: mid)
                #expect(j.contains { $0["kind"] as? String == "case.attach" && $0["subject"] as? String == caseID
                    && ($0["detail"] as? [String: Any])?["register"] as? String == reg.id })
                let shown = try await b.get(client, try #require(attached.headers[.location]))
                #expect(shown.text.contains("id=\"register-attached\""))
                _ = try await b.get(client, "/registers/\(reg.id)/open?case=\(caseID)")
                let view = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "case": caseID])
                #expect(view.status == .ok && view.text.contains(person.name))
                // Another clerk cannot attach a register to this case.
                var other = Browser()
                try await other.signIn(client, f.clerk2.id)
                _ = try await other.get(client, "/menu")
                let refused = try await other.post(client, "/cases/\(caseID)/registers", ["register": f.registerB.id])
                #expect(refused.status == .forbidden)
                #expect(try await f.store.caseRecord(id: caseID)?.registers == [reg.id])
                // The old way, an ID typed in, still works.
                _ = try await b.get(client, "/cases/new?register=\(f.registerB.id)")
                let typed = try await b.post(client, "/cases", ["kind": "certificate.full", "requester": "self",
                                                                "requesterName": "本人 一郎", "registers": f.registerB.id])
                #expect(typed.status == .seeOther)
            }
        }

        @Test("C-2: a refused intake shows the same form in the layout, values kept, the message by the field, no field codes")
        func intakeValidation() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let blank = try await b.get(client, "/cases/new")
                #expect(blank.text.contains("<option value=\"\">（選んでください）</option>"))
                #expect(!blank.text.contains("（notification.birth）") && !blank.text.contains("selected"))
                let before = try f.store.ledgerSize()
                let r = try await b.post(client, "/cases", ["kind": "certificate.full", "requester": "family",
                                                            "subjectName": "寺岡 秀樹", "relationship": "子"])
                #expect(r.status == .badRequest)
                #expect(r.text.contains("<nav") && r.text.contains("id=\"form-error\""))
                #expect(r.text.contains("id=\"err-requesterName\""))
                #expect(r.text.contains("value=\"寺岡 秀樹\"") && r.text.contains("value=\"子\""))
                #expect(r.text.contains("<option value=\"certificate.full\" selected>"))
                #expect(!r.text.contains("Missing for this requester class: requesterName"))
                #expect(r.text.contains("requester&#39;s name") || r.text.contains("requester's name"))
                let noKind = try await b.post(client, "/cases", ["subjectName": "寺岡 秀樹"])
                #expect(noKind.status == .badRequest && noKind.text.contains("id=\"err-kind\""))
                let badBirth = try await b.post(client, "/cases", ["kind": "certificate.full", "requester": "self",
                                                                   "requesterName": "寺岡 秀樹", "subjectName": "寺岡 秀樹",
                                                                   "subjectBirth": "昭和65年1月1日"])
                #expect(badBirth.status == .badRequest && badBirth.text.contains("id=\"err-subjectBirth\""))
                let nothing = try await b.post(client, "/cases", ["kind": "certificate.full", "requester": "self", "requesterName": "寺岡 秀樹"])
                #expect(nothing.status == .badRequest && nothing.text.contains("id=\"err-subjectName\""))
                #expect(try f.entries(since: before).allSatisfy { $0["kind"] as? String != "case.open" })
            }
        }

        @Test("C-2: the purpose page offers only the record kinds the register has")
        func purposeRecordKinds() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let page = try await b.get(client, "/registers/\(f.registerA.id)/open")
                #expect(page.text.contains("value=\"current\"") && page.text.contains("value=\"fuhyo\""))
                #expect(!page.text.contains("value=\"removed\"") && !page.text.contains("value=\"showa_original\""))
            }
        }

        @Test("C-2: a record kind the register does not have is refused by its field, in words, not an enum value")
        func recordKindRefused() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA.id
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let caseID = try await client.certificateCase(try await client.ready(f.clerk.id), registers: [reg])
                _ = try await b.get(client, "/registers/\(reg)/open?case=\(caseID)")
                let r = try await b.submit(client, "/registers/\(reg)/view", ["record": "removed", "case": caseID])
                // Not there (404, as the ledger records it: not_found), since it depends on the register, not on how the
                // form was filled in (issue 18, ST202); the form is shown again with the message at the record field.
                #expect(r.status.code == 404)
                #expect(r.text.contains("id=\"err-record\"") && r.text.contains("現在戸籍"))
                #expect(!r.text.contains("of kind current") && r.text.contains("current register"))
            }
        }

        @Test("C-10: an internal error is a styled page of the app, not a line of plain text")
        func internalErrorPage() async throws {
            struct Broken: Error {}
            let f = try await Fixture.shared.value
            let router = Router(context: WebRequestContext.self)
            router.add(middleware: ErrorPagesMiddleware(pages: Pages(workspace: f.workspace, templates: try await WebApp.templates())))
            router.get("/broken") { _, _ -> Response in throw Broken() }
            try await Application(router: router).test(.router) { client in
                let r = try await client.execute(uri: "/broken", method: .get)
                #expect(r.status == .internalServerError)
                #expect(r.text.contains("<title>内部エラーが発生しました — Akashi 証</title>") && r.text.contains("管理者に連絡してください"))
                #expect(!r.text.contains("Broken"))
            }
        }

        @Test("item 8: a refusal is recorded once per form; its page reloads, and the same form comes back, without another")
        func refusalRecordedOnce() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerB.id
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/registers/\(reg)/open")
                let token = b.form
                let before = try f.store.ledgerSize()
                // A reload of the refusal re-sends the same form: the same refusal page, nothing recorded again.
                for n in 0..<3 {
                    let page = try await b.post(client, "/registers/\(reg)/view", ["record": "current", "form": token])
                    #expect(page.status == .forbidden)
                    #expect(page.text.contains("id=\"form-error\"") && page.text.contains("<nav"))
                    #expect(page.text.contains("id=\"open-register\""))
                    let refusals = try accesses(f, since: before)
                    #expect(refusals.count == 1, "after \(n + 1) sends")
                    #expect(refusals.first?["outcome"] as? String == "denied")
                }
                // The page's own form has a new token: corrected, it is sent and recorded as it should be.
                let fresh = b.form
                #expect(fresh != token && FormToken.isWellFormed(fresh))
                let caseID = try await client.certificateCase(try await client.ready(f.clerk.id), registers: [reg])
                let opened = try await b.post(client, "/registers/\(reg)/view", ["record": "current", "case": caseID, "form": fresh])
                #expect(opened.status == .seeOther)
                // An issuance refused (no case) likewise.
                _ = try await b.get(client, "/menu")
                let issueToken = FormToken.new()
                let mid = try f.store.ledgerSize()
                for _ in 0..<2 {
                    let issue = try await b.post(client, "/registers/\(reg)/issue", ["copies": "1", "form": issueToken])
                    #expect(issue.status == .forbidden && issue.text.contains("id=\"recorded-once\""))
                }
                #expect(try accesses(f, since: mid).count == 1)
            }
        }

        @Test("C-7: break-the-glass needs a category and 4+ characters, confirms whose register it is, then the password")
        func breakTheGlass() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerB
            let headID = try #require(reg.head)
            let head = try #require(try await f.store.person(id: headID))
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let form = try await b.get(client, "/registers/\(reg.id)/open")
                #expect(form.text.contains("id=\"reason-rule\"") && form.text.contains("4文字以上"))
                #expect(form.text.contains("value=\"emergency\""))
                let before = try f.store.ledgerSize()
                let noCategory = try await b.post(client, "/registers/\(reg.id)/view", ["record": "current", "reason": "電話での照会に回答"])
                #expect(noCategory.status == .badRequest && noCategory.text.contains("id=\"err-category\""))
                #expect(noCategory.text.contains("電話での照会に回答"))
                let short = try await b.post(client, "/registers/\(reg.id)/view", ["record": "current", "category": "inquiry", "reason": "照会"])
                #expect(short.status == .badRequest && short.text.contains("id=\"err-reason\""))
                #expect(try f.store.ledgerSize() == before)
                // The confirmation: the head and the 本籍, nothing opened.
                let comment = "警察署からの照会（文書番号あり）"
                let confirm = try await b.post(client, "/registers/\(reg.id)/view", ["record": "current", "category": "inquiry", "reason": comment])
                #expect(confirm.status == .ok)
                #expect(slice(confirm.text, "<dd id=\"confirm-head\">", "</dd>") == head.name)
                #expect(confirm.text.contains(reg.honseki) && confirm.text.contains("id=\"password\""))
                let confirmed = try f.entries(since: before)
                #expect(confirmed.count == 1 && confirmed.first?["kind"] as? String == "breakglass.confirm")
                // A wrong password: refused and recorded once; the confirmation again with the message.
                let token = b.form
                let mid = try f.store.ledgerSize()
                let wrong = try await b.post(client, "/registers/\(reg.id)/view", ["record": "current", "category": "inquiry", "reason": comment,
                                                                                  "confirm": "1", "password": "not the password", "form": token])
                #expect(wrong.status == .forbidden)
                let denied = try accesses(f, since: mid)
                #expect(denied.count == 1 && denied.first?["outcome"] as? String == "denied")
                #expect(wrong.text.contains("id=\"err-password\"") && wrong.text.contains(head.name))
                // The right one opens it, with the reason as recorded: 「区分」：comment.
                let end = try f.store.ledgerSize()
                let ok = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "category": "inquiry", "reason": comment,
                                                                                  "confirm": "1", "password": Fixture.password])
                #expect(ok.status == .ok)
                let view = try #require(try accesses(f, since: end).first)
                #expect(view["outcome"] as? String == "ok")
                #expect(view["reason"] as? String == BreakGlassCategory.inquiry.ja + "：" + comment)
            }
        }

        @Test("C-6: 和暦 and full-width birth dates, katakana names; the matched member with birth date; empty and bad input said")
        func search() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA
            let person = try await member(f, reg)
            let birth = try #require(person.birth)
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let form = try await b.get(client, "/search")
                #expect(form.text.contains("id=\"no-case-warning\""))
                let csrf = percentEncode(b.csrf)
                let (y, m, d) = birth.parts
                let era = try #require(BirthDate.eras.first { birth >= $0.start })
                let short = "\(era.initial)\(y - era.base + 1).\(m).\(d)"
                for written in [ReportText.wareki(birth.description), short, fullWidthDigits(birth.description)] {
                    let before = try f.store.ledgerSize()
                    let r = try await b.get(client, "/search?birth=\(percentEncode(written))&kana=\(percentEncode(katakana(person.kana!)))&csrf=\(csrf)")
                    #expect(r.status == .ok, "\(written)")
                    #expect(r.text.contains(reg.id), "\(written) finds nothing")
                    // The member who matched, with the birth date to tell namesakes apart.
                    let row = try #require(slice(r.text, "<td class=\"matched\">", "</td>"))
                    #expect(row.contains(person.name) && row.contains(ReportText.wareki(birth.description)))
                    let e = try #require(try accesses(f, since: before).first)
                    #expect((e["query"] as? [String: Any])?["birth"] as? String == birth.description)
                    #expect((e["query"] as? [String: Any])?["kana"] as? String == person.kana)
                }
                // A full name as a browser sends a form: the space as `+`.
                let formName = person.name.split(separator: " ").map { percentEncode(String($0)) }.joined(separator: "+")
                let full = try await b.get(client, "/search?name=\(formName)&kana=&birth=&honseki=&csrf=\(csrf)")
                #expect(full.text.contains(reg.id), "a full name typed with a space finds nothing")
                let before = try f.store.ledgerSize()
                let empty = try await b.get(client, "/search?name=%E3%80%80&kana=%20&birth=&honseki=&csrf=\(csrf)")
                #expect(empty.status == .badRequest && empty.text.contains("検索条件を一つ以上"))
                let bad = try await b.get(client, "/search?birth=\(percentEncode("昭和65年1月1日"))&csrf=\(csrf)")
                #expect(bad.status == .badRequest && bad.text.contains("id=\"err-birth\""))
                #expect(try f.store.ledgerSize() == before)
            }
        }

        @Test("C-6: birth dates as clerks write them", arguments: [
            ("昭和47年3月6日", "1972-03-06"), ("S47.3.6", "1972-03-06"), ("s47/3/6", "1972-03-06"), ("H1.1.8", "1989-01-08"),
            ("平成元年1月8日", "1989-01-08"), ("令和元年5月1日", "2019-05-01"), ("R1.5.1", "2019-05-01"), ("昭和４７年３月６日", "1972-03-06"),
            ("１９７２－０３－０６", "1972-03-06"), ("19720306", "1972-03-06"), ("1972/3/6", "1972-03-06"), ("昭和47年", "1972"),
            ("1972-03", "1972-03"), ("大正15年12月24日", "1926-12-24"), ("明治45年7月29日", "1912-07-29"),
        ])
        func birthDates(_ written: String, _ iso: String) {
            #expect(BirthDate.parse(written) == iso)
        }

        @Test("C-6: dates that are not dates are refused", arguments: ["昭和65年1月1日", "平成31年5月1日", "H1.1.7", "1972-02-30", "昭和", "あした", "S47.13.1", ""])
        func notBirthDates(_ written: String) {
            #expect(BirthDate.parse(written) == nil)
        }

        @Test("C-6: katakana and half-width kana read as hiragana")
        func kana() {
            #expect(KanaInput.hiragana("テラオカ　ヒデキ") == "てらおか ひでき")
            #expect(KanaInput.hiragana("ﾃﾗｵｶ") == "てらおか")
            #expect(KanaInput.hiragana("ガッコウ") == "がっこう")
        }

        @Test("C-4: a printable certificate, for its issuer only, each opening recorded (retest N-1); a protected address is never printed, nor read off a relative at it (N-8)")
        func certificate() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA
            let person = try await member(f, reg)
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let caseID = try await client.certificateCase(try await client.ready(f.clerk.id), registers: [reg.id])
                _ = try await b.get(client, "/registers/\(reg.id)/open?case=\(caseID)")
                _ = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "case": caseID])
                let issued = try await b.submit(client, "/registers/\(reg.id)/issue", ["case": caseID, "copies": "1"])
                let number = try #require(try f.store.issuances(caseID: caseID).first?.number)
                #expect(issued.text.contains("id=\"print-certificate\""))
                let before = try f.store.ledgerSize()
                for _ in 0..<2 {
                    let page = try await b.get(client, "/cases/\(caseID)/issuances/\(number)/print")
                    #expect(page.status == .ok)
                    #expect(slice(page.text, "<h1 class=\"cert-title\" id=\"cert-title\">", "</h1>") == "戸籍全部事項証明書")
                    #expect(slice(page.text, "<span id=\"cert-number\">", "</span>") == number)
                    #expect(page.text.contains("id=\"print\"") && page.text.contains(person.name) && page.text.contains(reg.honseki))
                    #expect(page.text.contains(ReportText.wareki(person.birth!.description)))
                    #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                }
                // Each opening is a view of the register under the case, recorded (N-1); no second issuance.
                let opened = try accesses(f, since: before)
                #expect(opened.count == 2 && opened.allSatisfy {
                    $0["action"] as? String == "view" && $0["register"] as? String == reg.id && $0["case"] as? String == caseID
                        && $0["function"] as? String == "certificate.print" && $0["outcome"] as? String == "ok"
                })
                #expect(try f.store.issuances(caseID: caseID).count == 1)
                // Asked for by another site's page (a sibling subdomain is same-site): refused, nothing recorded (F-7).
                for site in ["same-site", "cross-site"] {
                    let mark = try f.store.ledgerSize()
                    var h = b.headers
                    h[HTTPField.Name("Sec-Fetch-Site")!] = site
                    let r = try await client.execute(uri: "/cases/\(caseID)/issuances/\(number)/print", method: .get, headers: h)
                    #expect(r.status == .forbidden, "\(site)")
                    #expect(try accesses(f, since: mark).isEmpty, "\(site)")
                }
                // The office's supervisor, who did not issue it, gets what anyone gets for no such issuance.
                var sup = Browser()
                try await sup.signIn(client, f.supervisor.id)
                let mid = try f.store.ledgerSize()
                #expect(try await sup.get(client, "/cases/\(caseID)/issuances/\(number)/print").status == .notFound)
                #expect(try accesses(f, since: mid).isEmpty)
                // After the print window, not even the issuer: a new issuance is needed.
                var short = f.workspace.config
                short.printMinutes = 0
                let late = try await Workspace(store: f.store, config: short, committer: f.workspace.committer)
                let token = try #require(b.cookies[Pages.sessionCookie])
                let actor = try #require(try await late.actor(token: token, kind: .web))
                try await Task.sleep(for: .milliseconds(5))
                await #expect(throws: WorkspaceError.self) {
                    _ = try await late.printableIssuance(actor, caseID: caseID, number: number)
                }
                // 附票 of a register with a person under DV support: the protected person's address is left out.
                let dv = f.dvRegister
                let protectedPerson = try #require(try await f.store.person(id: dv.members[0]))
                let dvCase = try await client.certificateCase(try await client.ready(f.clerk.id), registers: [dv.id], kind: "certificate.fuhyo")
                let at = Timestamp(millis: Workspace.nowMillis())
                let office = try #require(f.clerk.assignment(on: at.jstDate)?.office)
                try f.store.saveIssuance(IssuanceRecord(number: "\(office)-TEST-DV", caseID: dvCase, register: dv.id,
                                                              certificate: "certificate.fuhyo", copies: 1, requester: "self", at: at,
                                                              staff: f.clerk.id, office: office, eventID: "W-test"))
                let fuhyo = try await b.get(client, "/cases/\(dvCase)/issuances/\(office)-TEST-DV/print")
                #expect(fuhyo.status == .ok && fuhyo.text.contains("戸籍の附票の写し"))
                #expect(fuhyo.text.contains(protectedPerson.name) && fuhyo.text.contains("支援措置の対象者のため記載を省略"))
                let row = try #require(slice(fuhyo.text, "<td class=\"nowrap\">\(protectedPerson.name)</td>", "</tr>"))
                #expect(row.contains("記載を省略"))
                if let address = protectedPerson.address, !address.isEmpty { #expect(!row.contains(address)) }
                // Nor is her address printed on anyone else's line at the same address (N-8).
                let address = try #require(protectedPerson.address?.nonEmpty)
                let household = try f.store.persons(ids: Array(dv.members.dropFirst()))
                try #require(household.contains { $0.address == address }, "the fixture's DV household shares no address")
                #expect(!fuhyo.text.contains(address))
                // Another clerk cannot print it.
                var other = Browser()
                try await other.signIn(client, f.clerk2.id)
                #expect(try await other.get(client, "/cases/\(caseID)/issuances/\(number)/print").status == .notFound)
            }
        }

        @Test("C-5: 異動入力 with the fields of the notification, validated, recorded with what was entered, once per form")
        func updateEntry() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA.id
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let api = try await client.ready(f.clerk.id)
                let made = try await client.postJSON("/api/v1/cases", api, ["kind": "notification.birth", "notifier": "浪速 花子",
                                                                            "registers": [reg]])
                let caseID = try #require(made.json["id"] as? String)
                _ = try await b.get(client, "/registers/\(reg)/open?case=\(caseID)")
                let view = try await b.submit(client, "/registers/\(reg)/view", ["record": "current", "case": caseID])
                #expect(view.text.contains("id=\"enter-update-link\""))
                let form = try await b.get(client, "/registers/\(reg)/update?case=\(caseID)")
                #expect(form.text.contains("name=\"childName\"") && form.text.contains("name=\"childBirth\"") && form.text.contains("name=\"childSex\""))
                let before = try f.store.ledgerSize()
                let missing = try await b.post(client, "/registers/\(reg)/update", ["case": caseID, "childSex": "F", "childBirth": "令和8年12月1日",
                                                                                   "birthPlace": "大阪市大正区"])
                #expect(missing.status == .badRequest && missing.text.contains("id=\"err-childName\""))
                #expect(missing.text.contains("value=\"大阪市大正区\""))
                let future = try await b.post(client, "/registers/\(reg)/update", ["case": caseID, "childName": "浪速 桜", "childSex": "F",
                                                                                  "childBirth": "令和99年1月1日", "birthPlace": "大阪市大正区"])
                #expect(future.status == .badRequest && future.text.contains("id=\"err-childBirth\""))
                #expect(try f.store.ledgerSize() == before)
                let token = b.form
                let fields = ["case": caseID, "childName": "浪速 桜", "childKana": "なにわ さくら", "childSex": "F",
                              "childBirth": "R8.12.1", "birthPlace": "大阪市大正区", "mother": "浪速 花子", "form": token]
                let posted = try await b.post(client, "/registers/\(reg)/update", fields)
                #expect(posted.status == .seeOther)
                let location = try #require(posted.headers[.location])
                let result = try await b.get(client, location)
                #expect(result.text.contains("浪速 桜") && result.text.contains("令和8年12月1日") && result.text.contains("女"))
                let e = try #require(try accesses(f, since: before).first)
                #expect(e["action"] as? String == "update" && e["case"] as? String == caseID)
                let entries = try #require((e["query"] as? [String: Any])?["entries"] as? [String: Any])
                #expect(entries["childName"] as? String == "浪速 桜" && entries["childBirth"] as? String == "2026-12-01")
                #expect((e["query"] as? [String: Any])?["notification"] as? String == "notification.birth")
                let again = try await b.post(client, "/registers/\(reg)/update", fields)
                #expect(again.headers[.location] == location)
                #expect(try accesses(f, since: before).count == 1)
            }
        }

        @Test("C-8: intake warns at once of a person under DV support, and that a third party's 附票 request is normally refused")
        func dvWarningAtIntake() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/cases/new")
                let made = try await b.post(client, "/cases", ["kind": "certificate.fuhyo", "requester": "third_party",
                                                               "requesterName": "浪速債権回収株式会社", "purpose": "貸金の回収",
                                                               "registers": f.dvRegister.id])
                let page = try await b.get(client, try #require(made.headers[.location]))
                #expect(page.text.contains("id=\"dv-intake-warning\"") && page.text.contains("id=\"dv-third-party\""))
                let plain = try await b.post(client, "/cases", ["kind": "certificate.full", "requester": "self",
                                                                "requesterName": "本人", "registers": f.registerB.id])
                let other = try await b.get(client, try #require(plain.headers[.location]))
                #expect(!other.text.contains("id=\"dv-intake-warning\""))
            }
        }

        @Test("C-10: the case page in Japanese (status, office, dates, one identifier); closing asks first and says 完了しました")
        func casePageAndClosing() async throws {
            let f = try await Fixture.shared.value
            let office = try #require(f.clerk.assignment(on: Timestamp(millis: Workspace.nowMillis()).jstDate)?.office)
            let officeName = try #require(try f.store.office(code: office)?.name)
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let caseID = try await client.certificateCase(try await client.ready(f.clerk.id), registers: [f.registerB.id])
                let c = try #require(try await f.store.caseRecord(id: caseID))
                let number = try #require(c.number)
                let page = try await b.get(client, "/cases/\(caseID)")
                #expect(slice(page.text, "<dd id=\"case-status\">", "</dd>") == "処理中")
                let text: String = page.text
                let rawID: String = ">" + caseID + "<"
                let codeInHeader: String = "・" + office + "）"
                #expect(text.contains(officeName))
                #expect(text.contains("年") && !text.contains("+09:00"))
                #expect(text.contains(number) && !text.contains(rawID))
                #expect(!text.contains(codeInHeader))
                let before = try f.store.ledgerSize()
                let confirm = try await b.get(client, "/cases/\(caseID)/close?status=done")
                #expect(confirm.status == .ok && confirm.text.contains("id=\"confirm-close\""))
                #expect(try f.store.ledgerSize() == before)
                #expect(try await f.store.caseRecord(id: caseID)?.closed == nil)
                let closed = try await b.post(client, "/cases/\(caseID)/close", ["status": "done"])
                let done = try await b.get(client, try #require(closed.headers[.location]))
                #expect(done.text.contains("完了しました"))
                #expect(slice(done.text, "<dd id=\"case-status\">", "</dd>")?.hasPrefix("完了") == true)
                // The menu lists it among the clerk's closed cases.
                let menu = try await b.get(client, "/menu")
                let closedList = try #require(slice(menu.text, "<table id=\"closed-cases\">", "</table>"))
                #expect(closedList.contains(number) && closedList.contains("完了"))
            }
        }

        @Test("C-10: sign-out is said; unknown URLs and errors are pages of the app, headed by what went wrong")
        func errorPagesAndSignOut() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let anonymous = try await client.execute(uri: "/no/such/page", method: .get)
                #expect(anonymous.status == .notFound)
                #expect(anonymous.text.contains("— Akashi 証</title>") && anonymous.text.contains("見つかりません"))
                var b = Browser()
                let signin = try await b.get(client, "/signin")
                #expect(signin.text.contains("autofocus") && !signin.text.contains("id=\"signed-out\""))
                try await b.signIn(client, f.clerk.id)
                let missing = try await b.get(client, "/no/such/page")
                #expect(missing.status == .notFound && missing.text.contains("<nav") && missing.text.contains("id=\"error-heading\">見つかりません"))
                let forbidden = try await b.get(client, "/audit")
                #expect(forbidden.status == .forbidden && forbidden.text.contains("利用できません") && !forbidden.text.contains("行えません"))
                #expect(!forbidden.text.contains("操作できません"))
                let out = try await b.post(client, "/signout", [:])
                let after = try await b.get(client, try #require(out.headers[.location]))
                #expect(after.text.contains("id=\"signed-out\"") && after.text.contains("サインアウトしました"))
            }
        }

        @Test("S-3: the supervisor sees today's break-the-glass accesses and refusals at the office; no one else does")
        func officeToday() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerB
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let comment = "事務所の記録の試験（緊急）"
                _ = try await clerk.get(client, "/registers/\(reg.id)/open")
                let shown = try await clerk.submit(client, "/registers/\(reg.id)/view", ["record": "current", "category": "emergency",
                                                                                        "reason": comment, "confirm": "1",
                                                                                        "password": Fixture.password])
                #expect(shown.status == .ok)
                _ = try await clerk.get(client, "/registers/\(f.registerA.id)/open")
                let refused = try await clerk.submit(client, "/registers/\(f.registerA.id)/view", ["record": "current"])
                #expect(refused.status == .forbidden)
                #expect(try await clerk.get(client, "/office").status == .forbidden)
                var sup = Browser()
                try await sup.signIn(client, f.supervisor.id)
                let menu = try await sup.get(client, "/menu")
                #expect(menu.text.contains("id=\"office-link\""))
                let before = try f.store.ledgerSize()
                let page = try await sup.get(client, "/office")
                #expect(page.status == .ok)
                let table = try #require(slice(page.text, "<table id=\"office-today\">", "</table>"))
                #expect(table.contains(BreakGlassCategory.emergency.ja + "：" + comment) && table.contains(reg.id))
                #expect(table.contains(f.registerA.id) && table.contains("拒否"))
                #expect(table.contains(f.clerk.name ?? f.clerk.id))
                let viewed = try f.entries(since: before)
                #expect(viewed.count == 1 && viewed.first?["kind"] as? String == "office.view")
            }
        }

        @Test("C-10: the register shows relations in Japanese and relatives by name, dates in 和暦, the office by name")
        func registerLabels() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA
            let office = try #require(try f.store.office(code: reg.office)?.name)
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let caseID = try await client.certificateCase(try await client.ready(f.clerk.id), registers: [reg.id])
                _ = try await b.get(client, "/registers/\(reg.id)/open?case=\(caseID)")
                let page = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "case": caseID])
                for code in ["spouse:", "parent:", "child:", "sibling:", "父母:"] { #expect(!page.text.contains(code)) }
                #expect(page.text.range(of: #">P\d{7}<|: P\d{7}"#, options: .regularExpression) == nil)
                #expect(page.text.contains(office))
                let person = try await member(f, reg)
                #expect(page.text.contains(ReportText.wareki(person.birth!.description)))
            }
        }
    }
}
