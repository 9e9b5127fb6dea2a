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
private func part(_ text: String, _ start: String, _ end: String) -> String? {
    guard let a = text.range(of: start), let b = text[a.upperBound...].range(of: end) else { return nil }
    return String(text[a.upperBound..<b.lowerBound])
}

extension AllWebTests {
    /// Issue 18, F-4 (security retest): a clerk alone could take in a case for the mayor's register, search and
    /// attach it within the case, open it and close the case as done, and the audit took it as explained (it cannot
    /// tell it from the mayor's own request taken by one clerk). The workspace now prevents it: every record of a
    /// register with a member under VIP protection needs a supervisor's approval for that register, record kind and
    /// purpose, exactly as the DV 附票 does.
    @Suite("VIP registers need a second person (F-4)")
    struct VIPApprovalTests {
        /// The ledger's access entries among `entries`.
        func accesses(_ entries: [[String: Any]]) -> [[String: Any]] { entries.filter { $0["type"] as? String == "access" } }

        /// A signed-in supervisor as an actor of the workspace (to decide, or to ask, without the pages).
        func actor(_ f: Fixture, _ staff: Staff) async throws -> Actor {
            let t = try await f.workspace.signIn(staffID: staff.id, password: Fixture.password, kind: .api, terminal: "vip-test")
            return try #require(try await f.workspace.actor(token: t.token, kind: .api))
        }

        @Test("the retest's path: intake by name, search in the case, attach, open → approval_required (recorded); approved → opens, the case carries a second person's decision")
        func retestPath() async throws {
            let f = try await Fixture.shared.value
            let reg = f.vipRegister
            let mayor = f.vipPerson
            let start = try f.store.ledgerSize()
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                // Intake by the mayor's name, as at the counter: no register ID.
                _ = try await clerk.get(client, "/cases/new")
                let made = try await clerk.post(client, "/cases", ["kind": "certificate.full", "requester": "self",
                                                                   "requesterName": mayor.name, "subjectName": mayor.name])
                #expect(made.status == .seeOther)
                let loc = try #require(made.headers[.location])
                let caseID = String(try #require(loc.split(separator: "?").first).dropFirst("/cases/".count))
                // Search within the case: not gated (a search shows only names); the register is on the list.
                _ = try await clerk.get(client, "/search?case=\(caseID)")
                let found = try await clerk.get(client, "/search?case=\(caseID)&name=\(percentEncode(mayor.name))&csrf=\(percentEncode(clerk.csrf))")
                #expect(found.status == .ok)
                #expect(found.text.contains(reg.id))
                // Attach it to the case: the case page says at once that the register is under the VIP rule,
                // without saying who or why.
                let attached = try await clerk.post(client, "/cases/\(caseID)/registers", ["register": reg.id])
                #expect(attached.status == .seeOther)
                let casePage = try await clerk.get(client, try #require(attached.headers[.location]))
                #expect(casePage.text.contains("id=\"vip-intake-warning\"") && casePage.text.contains("特別な管理"))
                #expect(!casePage.text.contains(f.vipNote))

                // Open it for the case: refused, recorded once, and the page says which rule and why.
                _ = try await clerk.get(client, "/registers/\(reg.id)/open?case=\(caseID)")
                var before = try f.store.ledgerSize()
                let refused = try await clerk.submit(client, "/registers/\(reg.id)/view", ["record": "current", "case": caseID])
                #expect(refused.status == .forbidden)
                #expect(refused.text.contains("id=\"vip-rule\"") && refused.text.contains("特別な管理（要人・VIP）"))
                #expect(refused.text.contains("This register is under special protection (VIP)"))
                #expect(!refused.text.contains("id=\"dv-rule\""))
                // Nothing of the register beyond the search list: no note, no member but the head named on it.
                #expect(!refused.text.contains(f.vipNote))
                #expect(!refused.text.contains("在籍者") && !refused.text.contains("id=\"event-id\""))
                #expect(refused.text.contains("id=\"request-approval\"") && refused.text.contains("name=\"record\" value=\"current\""))
                var denied = accesses(try f.entries(since: before))
                #expect(denied.count == 1)
                #expect(denied.first?["outcome"] as? String == "denied" && denied.first?["register"] as? String == reg.id
                    && denied.first?["case"] as? String == caseID && denied.first?["record"] as? String == "current")
                // The API says the same, with the code.
                let api = try await client.ready(f.clerk.id)
                before = try f.store.ledgerSize()
                let viaAPI = try await client.get("/api/v1/registers/\(reg.id)?case=\(caseID)", api)
                #expect(viaAPI.status == .forbidden && viaAPI.errorCode == "approval_required")
                #expect(viaAPI.text.contains("特別な管理") && viaAPI.json["members"] == nil)
                denied = accesses(try f.entries(since: before))
                #expect(denied.count == 1 && denied.first?["outcome"] as? String == "denied")

                // Ask: the request names the record and the rule in the ledger.
                before = try f.store.ledgerSize()
                let asked = try await clerk.submit(client, "/approvals", ["register": reg.id, "record": "current", "case": caseID,
                                                                          "reason": "市長本人の請求（運転免許証で本人確認）"])
                #expect(asked.status == .ok)
                let aid = try #require(part(asked.text, "<code id=\"approval-id\">", "</code>"))
                #expect(asked.text.contains("id=\"approval-rule\"") && asked.text.contains("特別な管理（要人・VIP）"))
                #expect(part(asked.text, "<span id=\"approval-record\">", "</span>") == "現在戸籍")
                #expect(try f.store.approval(id: aid)?.record == "current")
                let request = try #require(try f.entries(since: before).first { $0["kind"] as? String == "approval.request" })
                let detail = try #require(request["detail"] as? [String: Any])
                #expect(detail["record"] as? String == "current" && (detail["rules"] as? [String]) == ["vip"])

                // The supervisor sees the rule, the record, the VIP and the protection's note, and the case.
                var sup = Browser()
                try await sup.signIn(client, f.supervisor.id)
                let list = try await sup.get(client, "/approvals")
                let row = try #require(part(list.text, "<h2 id=\"req-\(aid)\">", "</section>"))
                #expect(row.contains("class=\"vip-rule\"") && row.contains("現在戸籍"))
                #expect(row.contains(mayor.name) && row.contains(f.vipNote))
                #expect(row.contains("href=\"/cases/\(caseID)\""))
                #expect(part(row, "<dd class=\"request-note\">", "</dd>") == "市長本人の請求（運転免許証で本人確認）")
                // The DV list is not there: the DV rule does not apply to the current register.
                #expect(!row.contains("class=\"protected-person\""))
                before = try f.store.ledgerSize()
                let granted = try await sup.submit(client, "/approvals/\(aid)/approve", ["note": "本人確認書類の写しを確認"])
                #expect(granted.text.contains("承認しました"))
                let grant = try #require(try f.entries(since: before).first { $0["kind"] as? String == "approval.grant" })
                #expect(grant["staff"] as? String == f.supervisor.id && grant["subject"] as? String == reg.id)
                let g = try #require(grant["detail"] as? [String: Any])
                #expect(g["case"] as? String == caseID && g["record"] as? String == "current" && g["requester"] as? String == f.clerk.id)

                // With it, the register opens for the case, and says so.
                let req = try await clerk.get(client, "/approval-requests/\(aid)")
                #expect(req.text.contains("この承認で現在戸籍を開く"))
                _ = try await clerk.get(client, "/registers/\(reg.id)/open?record=current&case=\(caseID)&approval=\(aid)")
                before = try f.store.ledgerSize()
                let shown = try await clerk.submit(client, "/registers/\(reg.id)/view", ["record": "current", "case": caseID, "approval": aid])
                #expect(shown.status == .ok)
                #expect(shown.text.contains("id=\"event-id\"") && shown.text.contains(mayor.name))
                #expect(shown.text.contains("id=\"vip-rule\"") && shown.text.contains("id=\"approval-info\""))
                let opened = accesses(try f.entries(since: before))
                #expect(opened.count == 1 && opened.first?["outcome"] as? String == "ok" && opened.first?["case"] as? String == caseID)
                #expect(try f.store.approval(id: aid)?.status == .used)
                // The certificate issues with the same approval (same record, same case).
                let issued = try await clerk.submit(client, "/registers/\(reg.id)/issue", ["case": caseID, "copies": "1", "approval": aid])
                #expect(issued.text.contains("証明書を発行しました"))
                #expect(try f.store.issuances(caseID: caseID).count == 1)
                // Retest R2-4: the print page of a VIP register lasts as long as the approval, not the print window.
                let number = try #require(try f.store.issuances(caseID: caseID).first?.number)
                #expect(try await clerk.get(client, "/cases/\(caseID)/issuances/\(number)/print").status == .ok)
                var lapsed = f.workspace.config
                lapsed.approvalMinutes = 0
                let late = try await Workspace(store: f.store, config: lapsed, committer: f.workspace.committer)
                let token = try #require(clerk.cookies[Pages.sessionCookie])
                let actor = try #require(try await late.actor(token: token, kind: .web))
                try await Task.sleep(for: .milliseconds(5))
                await #expect(throws: WorkspaceError.self) {
                    _ = try await late.printableIssuance(actor, caseID: caseID, number: number)
                }
                // Close as done: the ledger now holds, for this case, a decision by a second person.
                let closed = try await clerk.post(client, "/cases/\(caseID)/close", ["status": "done"])
                #expect(closed.status == .seeOther)
                let all = try f.entries(since: start)
                let decisions = all.filter { $0["kind"] as? String == "approval.grant"
                    && ($0["detail"] as? [String: Any])?["case"] as? String == caseID }
                #expect(decisions.count == 1 && decisions.first?["staff"] as? String != f.clerk.id)
            }
        }

        @Test("an approval is for one record kind: the VIP's current register and its 附票 need one each")
        func recordKindsApart() async throws {
            let f = try await Fixture.shared.value
            let reg = f.vipRegister
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let sup = try await client.ready(f.supervisor.id)
                let caseID = try await client.certificateCase(auth, registers: [reg.id], kind: "certificate.fuhyo")
                // An unknown or foreign record kind cannot be asked for.
                let bad = try await client.postJSON("/api/v1/approvals", auth, ["register": reg.id, "record": "removed", "case": caseID])
                #expect(bad.status == .badRequest)
                let junk = try await client.postJSON("/api/v1/approvals", auth, ["register": reg.id, "record": "form", "case": caseID])
                #expect(junk.status == .badRequest)

                let r1 = try await client.postJSON("/api/v1/approvals", auth, ["register": reg.id, "record": "current", "case": caseID])
                #expect(r1.status == .created && r1.json["record"] as? String == "current")
                let current = try #require(r1.json["id"] as? String)
                #expect(try await client.execute(uri: "/api/v1/approvals/\(current)/approve", method: .post, headers: sup).status == .ok)
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=current&case=\(caseID)&approval=\(current)", auth).status == .ok)
                // The 附票 does not open with the current register's approval, nor issue with it.
                var before = try f.store.ledgerSize()
                let fuhyo = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)&approval=\(current)", auth)
                #expect(fuhyo.status == .forbidden && fuhyo.errorCode == "approval_required")
                #expect(fuhyo.json["addresses"] == nil)
                let issue = try await client.postJSON("/api/v1/registers/\(reg.id)/certificates", auth, ["case": caseID, "approval": current])
                #expect(issue.errorCode == "approval_required")
                #expect(try f.store.issuances(caseID: caseID).isEmpty)
                #expect(accesses(try f.entries(since: before)).allSatisfy { $0["outcome"] as? String == "denied" })
                // Asked without a record kind, a request is a 附票 one (as every request was before).
                let r2 = try await client.postJSON("/api/v1/approvals", auth, ["register": reg.id, "case": caseID])
                #expect(r2.status == .created && r2.json["record"] as? String == "fuhyo")
                let forFuhyo = try #require(r2.json["id"] as? String)
                #expect(try await client.execute(uri: "/api/v1/approvals/\(forFuhyo)/approve", method: .post, headers: sup).status == .ok)
                before = try f.store.ledgerSize()
                let shown = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)&approval=\(forFuhyo)", auth)
                #expect(shown.status == .ok && shown.json["addresses"] != nil)
                let issued = try await client.postJSON("/api/v1/registers/\(reg.id)/certificates", auth, ["case": caseID, "approval": forFuhyo])
                #expect(issued.status == .created)
                #expect(accesses(try f.entries(since: before)).map { $0["record"] as? String } == ["fuhyo", "fuhyo"])
                // And the 附票's approval does not open the current register.
                let back = try await client.get("/api/v1/registers/\(reg.id)?record=current&case=\(caseID)&approval=\(forFuhyo)", auth)
                #expect(back.errorCode == "approval_required")
                // The page refused for the 附票 asks for the 附票, not the current register.
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/registers/\(reg.id)/open?record=fuhyo&case=\(caseID)")
                let page = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "fuhyo", "case": caseID, "approval": current])
                #expect(page.status == .forbidden)
                #expect(page.text.contains("id=\"vip-rule\""))
                // It offers the 附票's own approval for this case (in force), never the current register's.
                #expect(page.text.contains("id=\"open-with-approval\"") && page.text.contains("approval=\(forFuhyo)")
                    && page.text.contains("record=fuhyo"))
                #expect(!page.text.contains("approval=\(current)"))
            }
        }

        @Test("break-the-glass on a VIP register needs the approval too, and the password still")
        func breakGlass() async throws {
            let f = try await Fixture.shared.value
            let reg = f.vipRegister
            try await f.app().test(.router) { client in
                // API: a reason alone is refused (recorded with the reason); approved for that reason, it opens.
                let auth = try await client.ready(f.clerk.id)
                let sup = try await client.ready(f.supervisor.id)
                let reason = "警察からの緊急の照会に答えるため"
                var before = try f.store.ledgerSize()
                let refused = try await client.get("/api/v1/registers/\(reg.id)?reason=\(percentEncode(reason))", auth)
                #expect(refused.status == .forbidden && refused.errorCode == "approval_required")
                let denied = accesses(try f.entries(since: before))
                #expect(denied.count == 1 && denied.first?["reason"] as? String == reason && denied.first?["outcome"] as? String == "denied")
                let asked = try await client.postJSON("/api/v1/approvals", auth, ["register": reg.id, "record": "current", "reason": reason])
                let aid = try #require(asked.json["id"] as? String)
                #expect(try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: sup).status == .ok)
                #expect(try await client.get("/api/v1/registers/\(reg.id)?reason=\(percentEncode("別の理由で開くため"))&approval=\(aid)", auth)
                    .errorCode == "approval_purpose_mismatch")
                #expect(try await client.get("/api/v1/registers/\(reg.id)?reason=\(percentEncode(reason))&approval=\(aid)", auth).status == .ok)

                // Pages: the category and comment, the confirmation, the password; without an approval the refusal is the
                // approval page (after the password), with a wrong password it is the password's.
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/registers/\(reg.id)/open")
                let confirm = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "category": "other",
                                                                                      "reason": "本人からの電話での照会"])
                #expect(confirm.status == .ok && confirm.text.contains("id=\"confirm-open\""))
                before = try f.store.ledgerSize()
                let wrong = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "category": "other",
                                                                                    "reason": "本人からの電話での照会", "confirm": "1",
                                                                                    "password": "not the password"])
                #expect(wrong.status == .forbidden && wrong.text.contains("id=\"err-password\""))
                _ = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "category": "other",
                                                                            "reason": "本人からの電話での照会"])
                let needed = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "category": "other",
                                                                                     "reason": "本人からの電話での照会", "confirm": "1",
                                                                                     "password": Fixture.password])
                #expect(needed.status == .forbidden && needed.text.contains("id=\"vip-rule\""))
                #expect(needed.text.contains("id=\"request-approval\""))
                let refusals = accesses(try f.entries(since: before))
                #expect(refusals.count == 2 && refusals.allSatisfy { $0["outcome"] as? String == "denied" })
                // A trainee, who may not break the glass, is refused by role (recorded) before any approval is asked.
                let trainee = try await client.ready(f.trainee.id)
                #expect(try await client.get("/api/v1/registers/\(reg.id)?reason=\(percentEncode(reason))", trainee).errorCode == "role_forbidden")
            }
        }

        @Test("an update entry on a VIP register needs the approval; with it, the form carries it through")
        func updateEntry() async throws {
            let f = try await Fixture.shared.value
            let reg = f.vipRegister
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let sup = try await client.ready(f.supervisor.id)
                let made = try await client.postJSON("/api/v1/cases", auth, ["kind": "notification.birth", "notifier": "浪花 花子",
                                                                             "registers": [reg.id]])
                let caseID = try #require(made.json["id"] as? String)
                var before = try f.store.ledgerSize()
                let refused = try await client.postJSON("/api/v1/registers/\(reg.id)/updates", auth, ["case": caseID])
                #expect(refused.status == .forbidden && refused.errorCode == "approval_required")
                #expect(accesses(try f.entries(since: before)).first?["outcome"] as? String == "denied")
                let asked = try await client.postJSON("/api/v1/approvals", auth, ["register": reg.id, "record": "current", "case": caseID])
                let aid = try #require(asked.json["id"] as? String)
                #expect(try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: sup).status == .ok)
                #expect(try await client.postJSON("/api/v1/registers/\(reg.id)/updates", auth, ["case": caseID, "approval": aid]).status == .created)

                // The pages: the request's page says it covers showing and entering; the register page's link to the
                // form carries the approval, and the form sends it.
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let req = try await b.get(client, "/approval-requests/\(aid)")
                #expect(req.text.contains("現在戸籍の表示と異動入力"))
                _ = try await b.get(client, "/registers/\(reg.id)/open?record=current&case=\(caseID)&approval=\(aid)")
                let shown = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "current", "case": caseID, "approval": aid])
                #expect(shown.status == .ok)
                #expect(shown.text.contains("update?case=\(caseID)&amp;approval=\(aid)"))
                let form = try await b.get(client, "/registers/\(reg.id)/update?case=\(caseID)&approval=\(aid)")
                #expect(form.text.contains("name=\"approval\" value=\"\(aid)\""))
                before = try f.store.ledgerSize()
                let entered = try await b.submit(client, "/registers/\(reg.id)/update", [
                    "case": caseID, "approval": aid, "childName": "浪花 三郎", "childSex": "M", "childBirth": "令和7年1月5日",
                    "birthPlace": "大阪市北区",
                ])
                #expect(entered.status == .ok)
                let update = try #require(accesses(try f.entries(since: before)).first)
                #expect(update["action"] as? String == "update" && update["outcome"] as? String == "ok")
                // Without naming the approval, the form is refused; the page points to the one in force for this case.
                _ = try await b.get(client, "/registers/\(reg.id)/update?case=\(caseID)")
                let without = try await b.submit(client, "/registers/\(reg.id)/update", [
                    "case": caseID, "childName": "浪花 四郎", "childSex": "M", "childBirth": "令和7年1月6日", "birthPlace": "大阪市北区",
                ])
                #expect(without.status == .forbidden && without.text.contains("id=\"vip-rule\""))
                #expect(without.text.contains("id=\"approval-usable\"") && without.text.contains("approval=\(aid)"))
            }
        }

        @Test("a supervisor's own VIP access needs another supervisor's approval, as for the DV 附票")
        func supervisorsOwn() async throws {
            let f = try await Fixture.shared.value
            let reg = f.vipRegister
            try await f.app().test(.router) { client in
                let sup = try await client.ready(f.supervisor.id)
                let sup2 = try await client.ready(f.supervisor2.id)
                let clerk = try await client.ready(f.clerk.id)
                let caseID = try await client.certificateCase(sup, registers: [reg.id])
                #expect(try await client.get("/api/v1/registers/\(reg.id)?case=\(caseID)", sup).errorCode == "approval_required")
                let asked = try await client.postJSON("/api/v1/approvals", sup, ["register": reg.id, "record": "current", "case": caseID])
                let aid = try #require(asked.json["id"] as? String)
                // Not their own decision, and not a clerk's.
                let own = try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: sup)
                #expect(own.status == .forbidden && own.errorCode == "self_approval")
                #expect(try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: clerk).status == .forbidden)
                #expect(try f.store.approval(id: aid)?.status == .pending)
                // The page lists it as theirs, without a decision form; the other supervisor decides it.
                var b = Browser()
                try await b.signIn(client, f.supervisor.id)
                let row = try #require(part(try await b.get(client, "/approvals").text, "<h2 id=\"req-\(aid)\">", "</section>"))
                #expect(row.contains("自分の依頼は判断できません") && !row.contains("class=\"approve\""))
                #expect(try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: sup2).status == .ok)
                #expect(try await client.get("/api/v1/registers/\(reg.id)?case=\(caseID)&approval=\(aid)", sup).status == .ok)
            }
        }

        @Test("the DV rule is unchanged: the current register of a DV register opens without approval, its 附票 does not")
        func dvUnchanged() async throws {
            let f = try await Fixture.shared.value
            let reg = f.dvRegister
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let caseID = try await client.certificateCase(auth, registers: [reg.id], kind: "certificate.fuhyo")
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=current&case=\(caseID)", auth).status == .ok)
                let fuhyo = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)", auth)
                #expect(fuhyo.errorCode == "approval_required" && fuhyo.text.contains("DV等支援措置"))
                // The page names the DV rule only, with the third-party warning kept for the DV 附票.
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                _ = try await b.get(client, "/registers/\(reg.id)/open?record=fuhyo&case=\(caseID)")
                let page = try await b.submit(client, "/registers/\(reg.id)/view", ["record": "fuhyo", "case": caseID])
                #expect(page.text.contains("id=\"dv-rule\"") && !page.text.contains("id=\"vip-rule\""))
                #expect(page.text.contains("この案件のための附票の表示と証明書の発行"))
                // Registers under neither rule open as before.
                let other = try await client.certificateCase(auth, registers: [f.registerA.id])
                for record in ["current", "fuhyo"] {
                    #expect(try await client.get("/api/v1/registers/\(f.registerA.id)?record=\(record)&case=\(other)", auth).status == .ok)
                }
            }
        }
    }
}
