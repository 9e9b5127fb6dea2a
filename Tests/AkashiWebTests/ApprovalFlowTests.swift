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
private func slice(_ text: String, _ start: String, _ end: String) -> String? {
    guard let a = text.range(of: start), let b = text[a.upperBound...].range(of: end) else { return nil }
    return String(text[a.upperBound..<b.lowerBound])
}

private func unescaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"")
        .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
}

extension AllWebTests {
    /// Issue 19, item 3 (C-8, S-1, S-2): the DV second-approval flow on the pages, from the clerk's request through
    /// the supervisor's decision to the 附票 shown and the certificate issued.
    @Suite("DV approval flow on the pages")
    struct ApprovalFlowTests {
        @Test("pending, denied (with the reason), approved: the clerk is told each; the supervisor decides with context")
        func flow() async throws {
            let f = try await Fixture.shared.value
            let reg = f.dvRegister.id
            let protectedPerson = try #require(try await f.store.person(id: f.dvRegister.members[0]))
            let office = try #require(f.clerk.assignment(on: Timestamp(millis: Workspace.nowMillis()).jstDate)?.office)
            let officeName = try f.store.office(code: office)?.name ?? office
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let api = try await client.ready(f.clerk.id)
                let made = try await client.postJSON("/api/v1/cases", api, [
                    "kind": "certificate.fuhyo", "requester": "third_party", "requesterName": "浪速債権回収株式会社",
                    "purpose": "貸金の回収のため", "registers": [reg],
                ])
                let caseID = try #require(made.json["id"] as? String)

                // The 附票 needs an approval: the page says what one covers and warns of a third-party request.
                _ = try await clerk.get(client, "/registers/\(reg)/open?record=fuhyo&case=\(caseID)")
                let needed = try await clerk.submit(client, "/registers/\(reg)/view", ["record": "fuhyo", "case": caseID])
                #expect(needed.status == .forbidden)
                #expect(needed.text.contains("id=\"third-party-warning\""))
                #expect(needed.text.contains("この案件のための附票の表示と証明書の発行"))
                #expect(needed.text.contains("id=\"request-approval\""))

                // Asked: the request's page says it waits, and for whom.
                let asked = try await clerk.submit(client, "/approvals", ["register": reg, "case": caseID, "reason": "債権者からの請求の確認"])
                #expect(asked.status == .ok)
                let aid = try #require(slice(asked.text, "<code id=\"approval-id\">", "</code>"))
                #expect(asked.text.contains("id=\"approval-pending\""))
                #expect(asked.text.contains(f.supervisor.name ?? f.supervisor.id))

                // Opening the 附票 again before a decision: 「承認待ちです」, no blank request form.
                _ = try await clerk.get(client, "/registers/\(reg)/open?record=fuhyo&case=\(caseID)")
                let waiting = try await clerk.submit(client, "/registers/\(reg)/view", ["record": "fuhyo", "case": caseID])
                #expect(waiting.status == .forbidden)
                #expect(waiting.text.contains("承認待ちです"))
                #expect(!waiting.text.contains("id=\"request-approval\""))
                let menu = try await clerk.get(client, "/menu")
                #expect(menu.text.contains(aid) && menu.text.contains("承認待ち"))

                // The supervisor sees who asked (name, office), the requester class and purpose, the case, the
                // protected member; a denial needs a reason.
                var sup = Browser()
                try await sup.signIn(client, f.supervisor.id)
                let list = try await sup.get(client, "/approvals")
                let row = try #require(slice(list.text, "<h2 id=\"req-\(aid)\">", "</section>"))
                #expect(row.contains(f.clerk.name ?? f.clerk.id) && row.contains(officeName))
                #expect(row.contains("第三者") && row.contains("貸金の回収のため") && row.contains("浪速債権回収株式会社"))
                #expect(row.contains("href=\"/cases/\(caseID)\""))
                #expect(row.contains(protectedPerson.name))
                #expect(row.contains("name=\"note\""))
                let bare = try await sup.post(client, "/approvals/\(aid)/deny", [:])
                #expect(bare.status == .badRequest)
                #expect(bare.text.contains("id=\"decision-error\""))
                #expect(try f.store.approval(id: aid)?.status == .pending)
                let note = "請求の目的が支援措置の趣旨に反するおそれがあるため"
                let before = try f.store.ledgerSize()
                let denied = try await sup.submit(client, "/approvals/\(aid)/deny", ["note": note])
                #expect(denied.status == .ok)
                #expect(denied.text.contains("id=\"decision-done\"") && denied.text.contains("却下しました"))
                let entry = try #require(try f.entries(since: before).first { $0["kind"] as? String == "approval.deny" })
                #expect((entry["detail"] as? [String: Any])?["note"] as? String == note)
                // The same decision sent again (a double click) shows it, not an error.
                let twice = try await sup.post(client, "/approvals/\(aid)/deny", ["note": note])
                #expect(twice.status == .seeOther)

                // The clerk is told: 「却下されました」 with the reason, on the page and the menu.
                _ = try await clerk.get(client, "/registers/\(reg)/open?record=fuhyo&case=\(caseID)")
                let refused = try await clerk.submit(client, "/registers/\(reg)/view", ["record": "fuhyo", "case": caseID])
                #expect(refused.text.contains("却下されました"))
                #expect(slice(refused.text, "<span class=\"reason\" id=\"denial-note\">", "</span>") == note)
                #expect(refused.text.contains("id=\"request-approval\""))
                let menu2 = try await clerk.get(client, "/menu")
                #expect(menu2.text.contains("却下") && menu2.text.contains(note))

                // Asked again, and granted (with every other pending request of the office decided first, so the
                // supervisor's list ends empty).
                let again = try await clerk.submit(client, "/approvals", ["register": reg, "case": caseID,
                                                                          "reason": "債務者本人の同意書を確認したため"])
                let aid2 = try #require(slice(again.text, "<code id=\"approval-id\">", "</code>"))
                let t = try await f.workspace.signIn(staffID: f.supervisor.id, password: Fixture.password, kind: .api, terminal: "flow-test")
                let supActor = try #require(try await f.workspace.actor(token: t.token, kind: .api))
                for p in try f.store.pendingApprovals(office: office) where p.id != aid2 && p.staff != f.supervisor.id {
                    _ = try await f.workspace.decideApproval(supActor, id: p.id, approve: false, note: "試験の整理")
                }
                let granted = try await sup.submit(client, "/approvals/\(aid2)/approve", ["note": "同意書の原本を確認"])
                #expect(granted.text.contains("承認しました"))
                #expect(granted.text.contains("承認待ちの依頼はありません"))
                #expect(granted.text.contains("同意書の原本を確認"))

                // The clerk's request page: approved, until when, what it covers, the link to open the 附票.
                let req = try await clerk.get(client, "/approval-requests/\(aid2)")
                #expect(req.text.contains("承認済み") && req.text.contains("id=\"approval-until\""))
                #expect(req.text.contains("附票の表示と証明書の発行"))
                let href = "/registers/" + unescaped(try #require(slice(req.text, "<a href=\"/registers/", "\"")))
                let open = try await clerk.get(client, href)
                #expect(open.text.contains("id=\"approval-info\""))
                let shown = try await clerk.submit(client, "/registers/\(reg)/view", ["record": "fuhyo", "case": caseID, "approval": aid2])
                #expect(shown.status == .ok)
                #expect(shown.text.contains("住所の履歴"))
                // The protected person's row is marked.
                let marked = try #require(slice(shown.text, "<tr class=\"protected\">", "</tr>"))
                #expect(marked.contains(protectedPerson.name) && marked.contains("支援措置対象"))
                #expect(shown.text.contains("id=\"dv-warning\""))
                // Issuing from the same page works with the same approval (the view no longer uses it up).
                let issued = try await clerk.submit(client, "/registers/\(reg)/issue", ["case": caseID, "copies": "1", "approval": aid2])
                #expect(issued.status == .ok)
                #expect(issued.text.contains("証明書を発行しました"))
                #expect(try f.store.issuances(caseID: caseID).count == 1)
                // The clerk's list shows both requests with their outcome.
                let mine = try await clerk.get(client, "/approval-requests")
                #expect(mine.text.contains(aid) && mine.text.contains(aid2))
            }
        }

        @Test("the approval list says so when nothing is pending; the my-requests page is the clerk's own")
        func emptyAndOwn() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var trainee = Browser()
                try await trainee.signIn(client, f.trainee.id)
                let none = try await trainee.get(client, "/approval-requests")
                #expect(none.status == .ok)
                // Someone else's request is not there for the trainee.
                let t = try await f.workspace.signIn(staffID: f.clerk.id, password: Fixture.password, kind: .api, terminal: "own-test")
                let clerkActor = try #require(try await f.workspace.actor(token: t.token, kind: .api))
                let other = try await f.workspace.requestApproval(clerkActor, register: f.dvRegister.id,
                                                                  purpose: Purpose(reason: "一覧の試験のための依頼"))
                #expect(try await trainee.get(client, "/approval-requests/\(other.id)").status == .notFound)
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                #expect(try await aud.get(client, "/approval-requests").status == .forbidden)
            }
        }
    }
}
