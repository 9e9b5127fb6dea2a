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

extension AllWebTests {
    /// Issue 19, item 7 (C-3, R-3, A-7): a reload, or the same form sent again, does not act again.
    @Suite("Reloads and resubmissions (post/redirect/get)")
    struct ReloadTests {
        /// Ledger accesses and journal events since `before`.
        func accesses(_ f: Fixture, since before: UInt64) throws -> [[String: Any]] {
            try f.entries(since: before).filter { $0["type"] as? String == "access" }
        }

        func journal(_ f: Fixture, since before: UInt64, _ kind: String) throws -> [[String: Any]] {
            try f.entries(since: before).filter { $0["type"] as? String == "journal" && $0["kind"] as? String == kind }
        }

        /// Posts a form with the given one-time token (`form`), not following the redirect.
        func send(_ b: inout Browser, _ client: some TestClientProtocol, _ uri: String, _ fields: [String: String],
                  token: String) async throws -> TestResponse {
            var f = fields
            f["form"] = token
            return try await b.post(client, uri, f)
        }

        @Test("issuing: the result page reloads without a second 発行番号; the same form sent again shows the first certificate")
        func issueOnce() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA.id
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let caseID = try await client.certificateCase(try await client.ready(f.clerk.id), registers: [reg])
                _ = try await b.get(client, "/registers/\(reg)/open?case=\(caseID)")
                let shown = try await b.submit(client, "/registers/\(reg)/view", ["record": "current", "case": caseID])
                #expect(shown.status == .ok)
                let token = b.form
                #expect(FormToken.isWellFormed(token))
                #expect(!shown.text.contains("already-issued"))
                let before = try f.store.ledgerSize()
                let posted = try await send(&b, client, "/registers/\(reg)/issue", ["case": caseID, "copies": "2"], token: token)
                #expect(posted.status == .seeOther)
                let location = try #require(posted.headers[.location])
                let number = try #require(try f.store.issuances(caseID: caseID).first?.number)
                #expect(location == "/cases/\(caseID)/issuances/\(number)")
                // F5 on the result: the same certificate, nothing recorded.
                let mid = try f.store.ledgerSize()
                for _ in 0..<2 {
                    let page = try await b.get(client, location)
                    #expect(page.status == .ok)
                    #expect(slice(page.text, "<dd id=\"issuance-number\">", "</dd>") == number)
                }
                #expect(try f.store.ledgerSize() == mid)
                // The same form sent again (Back and send, a double click): the first certificate, not a second.
                let again = try await send(&b, client, "/registers/\(reg)/issue", ["case": caseID, "copies": "2"], token: token)
                #expect(again.status == .seeOther)
                #expect(again.headers[.location] == location)
                #expect(try f.store.issuances(caseID: caseID).map(\.number) == [number])
                let prints = try accesses(f, since: before).filter { $0["action"] as? String == "print" }
                #expect(prints.count == 1)
                // The register page, opened again, says a certificate was issued for the case.
                _ = try await b.get(client, "/registers/\(reg)/open?case=\(caseID)")
                let reopened = try await b.submit(client, "/registers/\(reg)/view", ["record": "current", "case": caseID])
                #expect(reopened.text.contains("id=\"already-issued\"") && reopened.text.contains(number))
                // A deliberate second issuance (a new form) gets a new number.
                let second = try await b.submit(client, "/registers/\(reg)/issue", ["case": caseID, "copies": "1"])
                #expect(second.status == .ok)
                #expect(try f.store.issuances(caseID: caseID).count == 2)
                // Another clerk cannot read the issuance page of a case that is not theirs.
                var other = Browser()
                try await other.signIn(client, f.clerk2.id)
                #expect(try await other.get(client, location).status == .notFound)
            }
        }

        @Test("a register view: reloading records no second access; the same form sent again neither; only its session sees it")
        func viewOnce() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerB.id
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/registers/\(reg)/open")
                let token = b.form
                let reason = "電話照会への回答（再読み込みの試験）"
                let before = try f.store.ledgerSize()
                let posted = try await send(&b, client, "/registers/\(reg)/view", ["record": "current", "category": "inquiry", "reason": reason, "confirm": "1", "password": Fixture.password], token: token)
                #expect(posted.status == .seeOther)
                let location = try #require(posted.headers[.location])
                #expect(location == "/registers/\(reg)/view/\(token)")
                let views = try accesses(f, since: before)
                #expect(views.count == 1)
                let event = try #require(views.first?["id"] as? String)
                let mid = try f.store.ledgerSize()
                for _ in 0..<3 {
                    let page = try await b.get(client, location)
                    #expect(page.status == .ok)
                    #expect(slice(page.text, "<code id=\"event-id\">", "</code>") == event)
                }
                let again = try await send(&b, client, "/registers/\(reg)/view", ["record": "current", "category": "inquiry", "reason": reason, "confirm": "1", "password": Fixture.password], token: token)
                #expect(again.headers[.location] == location)
                #expect(try f.store.ledgerSize() == mid)
                // Another session, even of the same clerk, does not see it; nor does another clerk.
                var tab = Browser()
                try await tab.signIn(client, f.clerk.id)
                var other = Browser()
                try await other.signIn(client, f.clerk2.id)
                let signedIn = try f.store.ledgerSize()
                #expect(try await tab.get(client, location).status == .notFound)
                #expect(try await other.get(client, location).status == .notFound)
                // Malformed tokens are refused before anything is recorded or stored.
                let bad = try await send(&b, client, "/registers/\(reg)/view", ["record": "current", "category": "inquiry", "reason": reason, "confirm": "1", "password": Fixture.password], token: "短い")
                #expect(bad.status == .badRequest)
                #expect(try await b.get(client, "/registers/\(reg)/view/..%2F..%2Fmenu").status == .notFound)
                #expect(try f.store.ledgerSize() == signedIn)
            }
        }

        @Test("a register view can be shown again only for a few minutes; then it says so and offers to open it again")
        func viewExpires() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerB.id
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                // A view this session made longer ago than the configured minutes (its submission as the store keeps it).
                let token = FormToken.new()
                let owner = Tokens.storedHash(try #require(b.cookies[Pages.sessionCookie]))
                let old = Workspace.nowMillis() - (f.workspace.config.resultMinutes * 60 + 5) * 1000
                #expect(try f.store.claimSubmission(FormSubmission(key: FormToken.key(token), owner: owner, kind: "view",
                                                                         created: old, expires: old + Workspace.submissionMillis)) == nil)
                try f.store.completeSubmission(key: FormToken.key(token), owner: owner,
                                                     result: ResultJSON.encode(["register": reg, "record": "current", "event": "W1-test"]),
                                                     expires: old + Workspace.submissionMillis)
                let location = "/registers/\(reg)/view/\(token)"
                let mid = try f.store.ledgerSize()
                let page = try await b.get(client, location)
                #expect(page.status == .gone)
                #expect(page.text.contains("表示期限が切れました"))
                #expect(!page.text.contains("<code id=\"event-id\">"))
                #expect(page.text.contains("/registers/\(reg)/open?record=current"))
                // The same view made just now is shown (without a new access).
                let fresh = FormToken.new()
                let now = Workspace.nowMillis()
                _ = try f.store.claimSubmission(FormSubmission(key: FormToken.key(fresh), owner: owner, kind: "view",
                                                                     created: now, expires: now + Workspace.submissionMillis))
                try f.store.completeSubmission(key: FormToken.key(fresh), owner: owner,
                                                     result: ResultJSON.encode(["register": reg, "record": "current", "event": "W1-test"]),
                                                     expires: now + Workspace.submissionMillis)
                let shown = try await b.get(client, "/registers/\(reg)/view/\(fresh)")
                #expect(shown.status == .ok)
                #expect(slice(shown.text, "<code id=\"event-id\">", "</code>") == "W1-test")
                #expect(try f.store.ledgerSize() == mid)
            }
        }

        @Test("update entry: the result page reloads without a second entry; the same form sent again neither")
        func updateOnce() async throws {
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
                _ = try await b.submit(client, "/registers/\(reg)/view", ["record": "current", "case": caseID])
                // The 異動入力 form of the 出生届 (issue 19, C-5).
                let shown = try await b.get(client, "/registers/\(reg)/update?case=\(caseID)")
                let token = try #require(slice(shown.text, "action=\"/registers/\(reg)/update\">", "</form>")
                    .flatMap { slice($0, "name=\"form\" value=\"", "\"") })
                let before = try f.store.ledgerSize()
                let entries = ["case": caseID, "childName": "浪速 一郎", "childBirth": "令和8年11月30日", "childSex": "M",
                               "birthPlace": "大阪市"]
                let posted = try await send(&b, client, "/registers/\(reg)/update", entries, token: token)
                #expect(posted.status == .seeOther)
                let location = try #require(posted.headers[.location])
                let page = try await b.get(client, location)
                #expect(page.status == .ok)
                #expect(page.text.contains("異動を入力しました"))
                let again = try await send(&b, client, "/registers/\(reg)/update", entries, token: token)
                #expect(again.headers[.location] == location)
                _ = try await b.get(client, location)
                #expect(try accesses(f, since: before).filter { $0["action"] as? String == "update" }.count == 1)
            }
        }

        @Test("the resident's history reloads without spending the code again; the same form sent again shows it too")
        func residentOnce() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerA.members[0]
            let today = Timestamp(millis: Workspace.nowMillis()).jstDate
            let issued = try await AccessCodeService(store: f.store).create(person: person, from: LocalDate(year: 2000, month: 1, day: 1)!,
                                                                      to: today)
            try await f.app().test(.router) { client in
                var r = Browser()
                _ = try await r.get(client, "/resident")
                let pre = r.csrf
                let before = try f.store.ledgerSize()
                let posted = try await r.post(client, "/resident", ["code": issued.code])
                #expect(posted.status == .seeOther)
                #expect(posted.headers[.location] == "/resident/history")
                for _ in 0..<3 {
                    let page = try await r.get(client, "/resident/history")
                    #expect(page.status == .ok)
                    #expect(page.text.contains("id=\"resident-title\""))
                    #expect(!page.text.contains("resident-error"))
                }
                // The form sent again (a reload of the POST): the history, not 「使用済み」.
                let again = try await r.post(client, "/resident", ["code": issued.code], csrf: pre)
                #expect(again.status == .seeOther)
                #expect(try await r.follow(client, again).text.contains("id=\"resident-title\""))
                #expect(try journal(f, since: before, "resident.view").count == 1)
                #expect(try journal(f, since: before, "resident.denied").isEmpty)
                let json = try await r.get(client, "/resident/report.json")
                #expect(try DisclosureReport.parse(Data(json.body.readableBytesView)).subject.id == person)
                // Kept sealed: the store holds no readable history.
                let held = try #require(try f.store.submission(key: FormToken.key(pre))?.result)
                #expect(!held.contains(person) && !held.contains("resident"))
                // Another browser has no history to show.
                var other = Browser()
                let none = try await other.get(client, "/resident/history")
                #expect(none.status == .notFound)
                #expect(none.text.contains("resident-error"))
                // With the cookie but another value, nothing either.
                other.cookies[ResidentRoutes.reportCookie] = Tokens.newToken()
                #expect(try await other.get(client, "/resident/history").status == .notFound)
            }
        }

        @Test("the letter with a one-time code: a reload shows the same code; the same form sent again makes no new code")
        func letterOnce() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerA.members[0]
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console/disclosure?kind=person&subject=\(person)&from=2000-01-01&to=2030-12-31")
                #expect(page.text.contains("id=\"print-letter\""))
                let token = aud.form
                let fields = ["kind": "person", "subject": person, "from": "2000-01-01", "to": "2030-12-31"]
                let before = try f.store.ledgerSize()
                let posted = try await send(&aud, client, "/console/disclosure/letter", fields, token: token)
                #expect(posted.status == .seeOther)
                let location = try #require(posted.headers[.location])
                let first = try await aud.get(client, location)
                #expect(first.status == .ok)
                let code = try #require(slice(first.text, "<span class=\"code\">", "<"))
                #expect(code.count == 19)
                let reload = try await aud.get(client, location)
                #expect(slice(reload.text, "<span class=\"code\">", "<") == code)
                let again = try await send(&aud, client, "/console/disclosure/letter", fields, token: token)
                #expect(again.headers[.location] == location)
                #expect(try journal(f, since: before, "access_code.create").count == 1)
                // The code is not in the store in the clear, and another auditor session cannot show it.
                let held = try #require(try f.store.submission(key: FormToken.key(token))?.result)
                #expect(!held.contains(code) && !held.contains(code.replacingOccurrences(of: "-", with: "")))
                var other = Browser()
                try await other.signIn(client, f.auditor.id)
                #expect(try await other.get(client, location).status == .notFound)
                // A new form is a new letter with a new code (the button says so).
                #expect(page.text.contains("押すたびに新しい確認コードが作られます"))
            }
        }

        @Test("an approval request sent twice with the same form is one request")
        func approvalRequestOnce() async throws {
            let f = try await Fixture.shared.value
            let reg = f.dvRegister.id
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/registers/\(reg)/open?record=fuhyo")
                let needed = try await b.submit(client, "/registers/\(reg)/view", ["record": "fuhyo", "category": "other",
                                                                                   "reason": "二重送信の試験のための確認", "confirm": "1",
                                                                                   "password": Fixture.password])
                #expect(needed.status == .forbidden)
                let token = b.form
                let fields = ["register": reg, "case": "", "reason": "二重送信の試験のための確認"]
                let first = try await send(&b, client, "/approvals", fields, token: token)
                let second = try await send(&b, client, "/approvals", fields, token: token)
                #expect(first.status == .seeOther)
                #expect(second.headers[.location] == first.headers[.location]?.replacingOccurrences(of: "?asked=1", with: ""))
                let mine = try f.store.approvals(staff: f.clerk.id, office: nil, limit: 500)
                #expect(mine.filter { $0.reason == "二重送信の試験のための確認" }.count == 1)
            }
        }
    }
}
