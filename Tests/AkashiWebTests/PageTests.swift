import AkashiDomain
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

/// A browser-like session for in-process tests: keeps cookies, finds the CSRF token in pages.
struct Browser {
    var cookies: [String: String] = [:]
    var csrf = ""
    /// The one-time form token (`form`) of the first acting form on the last page (empty when it had none).
    var form = ""

    var headers: HTTPFields {
        var h = HTTPFields()
        if !cookies.isEmpty { h[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return h
    }

    mutating func take(_ r: TestResponse) {
        for v in r.headers[values: .setCookie] {
            let pair = v.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { cookies[pair[0]] = pair[1].isEmpty ? nil : pair[1] }
        }
        if let range = r.text.range(of: "name=\"csrf\" value=\"") {
            let rest = r.text[range.upperBound...]
            csrf = String(rest.prefix { $0 != "\"" })
        }
        // The last page's token only: a token is for the form it came with.
        form = r.text.range(of: "name=\"form\" value=\"").map { range in
            String(r.text[range.upperBound...].prefix { $0 != "\"" })
        } ?? ""
    }

    /// Follows a 303 (post/redirect/get) with a GET; any other answer is returned as it is.
    mutating func follow(_ client: some TestClientProtocol, _ r: TestResponse) async throws -> TestResponse {
        guard r.status == .seeOther, let location = r.headers[.location] else { return r }
        return try await get(client, location)
    }

    /// Sends a form as a browser would (with the one-time token of the page it came from, unless the form names one)
    /// and follows the redirect.
    mutating func submit(_ client: some TestClientProtocol, _ uri: String, _ fields: [String: String]) async throws -> TestResponse {
        var f = fields
        if f["form"] == nil, !form.isEmpty { f["form"] = form }
        return try await follow(client, try await post(client, uri, f))
    }

    mutating func get(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
        let r = try await client.execute(uri: uri, method: .get, headers: headers)
        take(r)
        return r
    }

    mutating func post(_ client: some TestClientProtocol, _ uri: String, _ form: [String: String], csrf: String? = nil)
        async throws -> TestResponse {
        var h = headers
        h[.contentType] = "application/x-www-form-urlencoded"
        var f = form
        if let c = csrf ?? (self.csrf.isEmpty ? nil : self.csrf) { f["csrf"] = c }
        let body = f.map { "\(percentEncode($0.key))=\(percentEncode($0.value))" }.joined(separator: "&")
        let r = try await client.execute(uri: uri, method: .post, headers: h, body: ByteBuffer(string: body))
        take(r)
        return r
    }

    /// Signs in through the form (and acknowledges the banner unless told not to).
    mutating func signIn(_ client: some TestClientProtocol, _ staff: String, acknowledge: Bool = true) async throws {
        _ = try await get(client, "/signin")
        let r = try await post(client, "/signin", ["staff": staff, "password": Fixture.password])
        #expect(r.status == .seeOther)
        #expect(r.headers[.location] == "/banner")
        let banner = try await get(client, "/banner")
        #expect(banner.text.contains(WebConfiguration.defaultBannerJapanese))
        if acknowledge {
            let ack = try await post(client, "/banner/acknowledge", [:])
            #expect(ack.headers[.location] == "/menu")
        }
    }
}

extension AllWebTests {
    @Suite("Workspace pages")
    struct PageTests {
        @Test("sign-in sets a HttpOnly SameSite=Strict cookie; the menu waits for the banner")
        func signInAndBanner() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                let page = try await b.get(client, "/signin")
                #expect(page.text.contains("lang=\"ja\""))
                #expect(page.text.contains("<label for=\"password\">"))
                _ = try await b.get(client, "/signin")
                var h = b.headers
                h[.contentType] = "application/x-www-form-urlencoded"
                let r = try await client.execute(uri: "/signin", method: .post, headers: h,
                                                 body: ByteBuffer(string: "csrf=\(b.csrf)&staff=\(f.clerk.id)&password=\(percentEncode(Fixture.password))"))
                #expect(r.status == .seeOther)
                let cookie = try #require(r.headers[values: .setCookie].first { $0.hasPrefix("akashi_session=") })
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Strict"))
                #expect(cookie.contains("Path=/"))
                b.take(r)
                let menu = try await b.get(client, "/menu")
                #expect(menu.status == .seeOther)
                #expect(menu.headers[.location] == "/banner")
                _ = try await b.get(client, "/banner")
                _ = try await b.post(client, "/banner/acknowledge", [:])
                let menu2 = try await b.get(client, "/menu")
                #expect(menu2.status == .ok)
                #expect(menu2.text.contains("業務メニュー"))
                #expect(menu2.text.contains("<main id=\"main\">"))
            }
        }

        @Test("sign-in form without the pre-session token is refused")
        func signInCSRF() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                let r = try await b.post(client, "/signin", ["staff": f.clerk.id, "password": Fixture.password], csrf: "forged")
                #expect(r.status == .forbidden)
            }
        }

        @Test("a POST with a missing or wrong CSRF token is 403 and changes nothing")
        func csrf() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id, acknowledge: false)
                var h = b.headers
                h[.contentType] = "application/x-www-form-urlencoded"
                let missing = try await client.execute(uri: "/banner/acknowledge", method: .post, headers: h, body: ByteBuffer(string: ""))
                #expect(missing.status == .forbidden)
                let wrong = try await b.post(client, "/banner/acknowledge", [:], csrf: "x" + b.csrf)
                #expect(wrong.status == .forbidden)
                #expect(try await b.get(client, "/menu").headers[.location] == "/banner")
                _ = try await b.post(client, "/banner/acknowledge", [:])
                let before = try f.store.ledgerSize()
                let forged = try await b.post(client, "/registers/\(f.registerA.id)/view", ["reason": "forged request here"], csrf: "nope")
                #expect(forged.status == .forbidden)
                #expect(try f.store.ledgerSize() == before)
                let signout = try await b.post(client, "/signout", [:], csrf: "")
                #expect(signout.status == .forbidden)
            }
        }

        @Test("counter flow in HTML: intake, search, open for the case, issue, close; typed text escaped")
        func counterFlowHTML() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/cases/new")
                let evil = "<script>alert(1)</script>"
                let made = try await b.post(client, "/cases", ["kind": "certificate.full", "requester": "family",
                                                               "requesterName": evil, "relationship": "子",
                                                               "registers": f.registerA.id])
                #expect(made.status == .seeOther)
                let loc = try #require(made.headers[.location])
                let page = try await b.get(client, loc)
                #expect(page.status == .ok)
                #expect(!page.text.contains(evil))
                #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                // `/cases/{id}?received=1`: the case page says it was taken in (issue 19).
                let caseID = String(loc.dropFirst("/cases/".count).prefix { $0 != "?" })
                let person = try await #require(try f.store.person(id: f.registerA.members[0]))
                let search = try await b.get(client, "/search?case=\(caseID)&name=\(percentEncode(person.surname))&csrf=\(percentEncode(b.csrf))")
                #expect(search.text.contains(f.registerA.id))
                let open = try await b.get(client, "/registers/\(f.registerA.id)/open?case=\(caseID)")
                #expect(open.text.contains("<label for=\"case\">"))
                let before = try f.store.ledgerSize()
                let view = try await b.submit(client, "/registers/\(f.registerA.id)/view", ["record": "current", "case": caseID])
                #expect(view.status == .ok)
                #expect(view.text.contains(person.name))
                #expect(view.text.contains("id=\"issue\""))
                let issued = try await b.submit(client, "/registers/\(f.registerA.id)/issue", ["case": caseID, "copies": "1"])
                #expect(issued.status == .ok)
                let number = try #require(try f.store.issuances(caseID: caseID).first?.number)
                #expect(issued.text.contains(number))
                _ = try await b.get(client, "/cases/\(caseID)")
                let closed = try await b.post(client, "/cases/\(caseID)/close", ["status": "done"])
                #expect(closed.status == .seeOther)
                let e = try f.entries(since: before)
                #expect(e.contains { $0["action"] as? String == "view" && $0["case"] as? String == caseID
                    && ($0["screen"] as? String)?.hasPrefix("web:") == true })
                #expect(e.contains { $0["action"] as? String == "print" && $0["case"] as? String == caseID })
                #expect(e.contains { $0["kind"] as? String == "case.close" })
                let out = try await b.post(client, "/signout", [:])
                #expect(out.headers[.location]?.hasPrefix("/signin") == true)
                #expect(try await b.get(client, "/menu").headers[.location] == "/signin")
            }
        }

        @Test("a break-the-glass reason is recorded and shown escaped; no purpose is refused")
        func breakGlassHTML() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/registers/\(f.registerB.id)/open")
                let refused = try await b.submit(client, "/registers/\(f.registerB.id)/view", ["record": "current"])
                #expect(refused.status == .forbidden)
                #expect(refused.text.contains("purpose_required"))
                let reason = "<b>電話照会</b> & \"確認\""
                let before = try f.store.ledgerSize()
                let ok = try await b.submit(client, "/registers/\(f.registerB.id)/view", ["record": "current", "category": "other", "reason": reason,
                                                                                          "confirm": "1", "password": Fixture.password])
                #expect(ok.status == .ok)
                #expect(!ok.text.contains("<b>電話照会</b>"))
                #expect(ok.text.contains("&lt;b&gt;電話照会&lt;/b&gt; &amp; &quot;確認&quot;"))
                #expect(try f.entries(since: before).first?["reason"] as? String == BreakGlassCategory.other.ja + "：" + reason)
            }
        }

        @Test("role gates on pages: the auditor's landing, nobody else's")
        func rolePages() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let land = try await aud.get(client, "/audit")
                #expect(land.status == .ok)
                #expect(land.text.contains("/ledger/checkpoint"))
                // With the session's CSRF token, so the refusal is the role's (a search needs the token first).
                let refused = try await aud.get(client, "/search?name=a&csrf=\(percentEncode(aud.csrf))")
                #expect(refused.status == .forbidden)
                #expect(refused.text.contains("role_forbidden"))
                #expect(try await aud.get(client, "/cases/new").status == .forbidden)
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                #expect(try await clerk.get(client, "/audit").status == .forbidden)
                #expect(try await clerk.get(client, "/approvals").status == .forbidden)
                var sup = Browser()
                try await sup.signIn(client, f.supervisor.id)
                #expect(try await sup.get(client, "/approvals").status == .ok)
            }
        }
    }
}
