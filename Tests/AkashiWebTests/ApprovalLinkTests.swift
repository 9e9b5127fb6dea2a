import AkashiDomain
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

/// The text between `start` and the next `end` in `text`, if any.
private func between(_ text: String, _ start: String, _ end: String) -> String? {
    guard let a = text.range(of: start), let b = text[a.upperBound...].range(of: end) else { return nil }
    return String(text[a.upperBound..<b.lowerBound])
}

/// Undoes the HTML escaping of a template value.
private func unescapeHTML(_ s: String) -> String {
    s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
        .replacingOccurrences(of: "&#x27;", with: "'").replacingOccurrences(of: "&#x2F;", with: "/")
        .replacingOccurrences(of: "&amp;", with: "&")
}

extension AllWebTests {
    @Suite("Following an approval (承認) on the pages")
    struct ApprovalLinkTests {
        @Test("after a reason approval the link to open the 附票 carries the reason: following it opens the register")
        func reasonCarried() async throws {
            let f = try await Fixture.shared.value
            let reg = f.dvRegister
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                // Characters that need escaping in HTML and in a URL: <, &, ", +, %, spaces and Japanese.
                let comment = "DV相談窓口 <緊急> & \"安否\" 確認 100% + 再確認"
                _ = try await b.get(client, "/registers/\(reg.id)/open?record=fuhyo")
                // Break-the-glass (issue 19, C-7): a category, the confirmation, the password again; the reason recorded
                // is 「区分」：comment, and an approval is asked (and used) with it.
                let needed = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "fuhyo", "category": "other", "reason": comment,
                                                                                     "confirm": "1", "password": Fixture.password])
                #expect(needed.status == .forbidden)
                let reason = BreakGlassCategory.other.ja + "：" + comment
                let asked = try #require(between(needed.text, "<textarea id=\"reason\"", "</textarea>")
                    .flatMap { between($0 + "\u{0}", ">", "\u{0}") })
                #expect(unescapeHTML(asked) == reason)
                let requested = try await b.submit(client, "/approvals", ["register": reg.id, "case": "", "reason": unescapeHTML(asked)])
                #expect(requested.status == .ok)
                #expect(requested.text.contains("id=\"approval-asked\""))
                let aid = try #require(between(requested.text, "<code id=\"approval-id\">", "</code>"))
                #expect(try f.store.approval(id: aid)?.reason == reason)
                #expect(!requested.text.contains("<緊急>"))

                let sup = try await client.ready(f.supervisor.id)
                #expect(try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: sup).status == .ok)

                // Once approved, the request's page links to the 附票: the link names the approval and its reason
                // (percent-encoded, then HTML-escaped).
                #expect(!requested.text.contains("open-with-approval"))
                let granted = try await b.get(client, "/approval-requests/\(aid)")
                #expect(granted.text.contains("承認済み"))
                let href = "/registers/" + unescapeHTML(try #require(between(granted.text, "<a href=\"/registers/", "\"")))
                #expect(href.hasPrefix("/registers/\(reg.id)/open?"))
                #expect(href.contains("approval=\(aid)"))
                #expect(href.contains("reason="))
                #expect(!href.contains(" ") && !href.contains("<") && !href.contains("\""))
                let open = try await b.get(client, href)
                #expect(open.status == .ok)
                #expect(open.text.contains("<option value=\"fuhyo\" selected>"))
                #expect(between(open.text, "name=\"approval\" value=\"", "\"") == aid)
                let textarea = try #require(between(open.text, "<textarea id=\"reason\"", "</textarea>")
                    .flatMap { between($0 + "\u{0}", ">", "\u{0}") })
                #expect(!textarea.contains("<緊急>"))
                #expect(unescapeHTML(textarea) == reason)

                // Submitting the form as the page fills it opens the 附票 and marks the approval used.
                let before = try f.store.ledgerSize()
                let shown = try await b.submit(client, "/registers/\(reg.id)/view",
                                               ["record": "fuhyo", "case": "", "reason": unescapeHTML(textarea), "approval": aid,
                                                "confirm": "1", "password": Fixture.password])
                #expect(shown.status == .ok)
                #expect(shown.text.contains("住所の履歴"))
                #expect(try f.store.approval(id: aid)?.status == .used)
                #expect(try f.entries(since: before).contains { $0["record"] as? String == "fuhyo" && $0["outcome"] as? String == "ok"
                    && $0["reason"] as? String == reason && $0["staff"] as? String == f.clerk.id })
            }
        }
    }
}
