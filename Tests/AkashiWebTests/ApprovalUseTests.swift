import AkashiDomain
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    @Suite("Using an approval (承認)")
    struct ApprovalUseTests {
        /// Asks for an approval of the DV register's 附票 with `body` (a case or a reason) and has the supervisor grant it.
        func approved(_ client: some TestClientProtocol, _ f: Fixture, _ auth: HTTPFields, _ sup: HTTPFields,
                      _ body: [String: Any]) async throws -> String {
            var b = body
            b["register"] = f.dvRegister.id
            let req = try await client.postJSON("/api/v1/approvals", auth, b)
            #expect(req.status == .created)
            let aid = try #require(req.json["id"] as? String)
            let ok = try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: sup)
            #expect(ok.status == .ok)
            return aid
        }

        func status(_ f: Fixture, _ aid: String) throws -> ApprovalRequest.Status? { try f.store.approval(id: aid)?.status }

        @Test("another clerk's approval is refused (approval_not_yours) and not spent; its requester then uses it once")
        func notYours() async throws {
            let f = try await Fixture.shared.value
            let reg = f.dvRegister
            try await f.app().test(.router) { client in
                let owner = try await client.ready(f.clerk.id)
                let other = try await client.ready(f.clerk2.id)
                let sup = try await client.ready(f.supervisor.id)
                let ownerCase = try await client.certificateCase(owner, registers: [reg.id], kind: "certificate.fuhyo")
                let aid = try await approved(client, f, owner, sup, ["case": ownerCase])

                // The other clerk names it on a register without DV support (where it was spent before) …
                let otherCase = try await client.certificateCase(other, registers: [f.registerA.id], kind: "certificate.fuhyo")
                var before = try f.store.ledgerSize()
                let burn = try await client.get("/api/v1/registers/\(f.registerA.id)?record=fuhyo&case=\(otherCase)&approval=\(aid)", other)
                #expect(burn.status == .forbidden)
                #expect(burn.errorCode == "approval_not_yours")
                #expect(burn.text.contains("あなたが依頼したものではありません"))
                var e = try f.entries(since: before)
                #expect(e.contains { $0["type"] as? String == "access" && $0["outcome"] as? String == "denied"
                    && $0["staff"] as? String == f.clerk2.id && $0["register"] as? String == f.registerA.id })
                #expect(try status(f, aid) == .approved)
                // … on the DV register itself, with a case of their own about it …
                let otherDV = try await client.certificateCase(other, registers: [reg.id], kind: "certificate.fuhyo")
                let dv = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(otherDV)&approval=\(aid)", other)
                #expect(dv.errorCode == "approval_not_yours")
                #expect(dv.json["addresses"] == nil)
                // … and to issue a certificate.
                let issue = try await client.postJSON("/api/v1/registers/\(reg.id)/certificates", other,
                                                      ["case": otherDV, "approval": aid])
                #expect(issue.errorCode == "approval_not_yours")
                #expect(try f.store.issuances(caseID: otherDV).isEmpty)
                #expect(try status(f, aid) == .approved)

                // The requester uses it: for its case, as often as the case needs while it is in force.
                before = try f.store.ledgerSize()
                let shown = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(ownerCase)&approval=\(aid)", owner)
                #expect(shown.status == .ok)
                #expect(shown.json["addresses"] != nil)
                e = try f.entries(since: before)
                #expect(e.contains { $0["record"] as? String == "fuhyo" && $0["outcome"] as? String == "ok"
                    && $0["staff"] as? String == f.clerk.id && $0["case"] as? String == ownerCase })
                #expect(try status(f, aid) == .used)
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(ownerCase)&approval=\(aid)", owner)
                    .status == .ok)
                // Still not the other clerk's, used or not.
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(otherDV)&approval=\(aid)", other)
                    .errorCode == "approval_not_yours")
            }
        }

        @Test("an approval is used only for its case or its reason (approval_purpose_mismatch otherwise)")
        func purposeMustMatch() async throws {
            let f = try await Fixture.shared.value
            let reg = f.dvRegister
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let sup = try await client.ready(f.supervisor.id)
                let caseX = try await client.certificateCase(auth, registers: [reg.id], kind: "certificate.fuhyo")
                let caseY = try await client.certificateCase(auth, registers: [reg.id], kind: "certificate.fuhyo")

                // Approved for case X: refused with case Y (view and issuance), and with a reason instead of a case.
                let forX = try await approved(client, f, auth, sup, ["case": caseX])
                let before = try f.store.ledgerSize()
                let y = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseY)&approval=\(forX)", auth)
                #expect(y.status == .forbidden)
                #expect(y.errorCode == "approval_purpose_mismatch")
                #expect(y.text.contains("別の目的"))
                #expect(y.json["addresses"] == nil)
                #expect(try f.entries(since: before).contains { $0["outcome"] as? String == "denied" && $0["case"] as? String == caseY })
                let issueY = try await client.postJSON("/api/v1/registers/\(reg.id)/certificates", auth, ["case": caseY, "approval": forX])
                #expect(issueY.errorCode == "approval_purpose_mismatch")
                #expect(try f.store.issuances(caseID: caseY).isEmpty)
                let reasonInstead = "緊急の照会に答えるため"
                let r = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&reason=\(percentEncode(reasonInstead))&approval=\(forX)", auth)
                #expect(r.errorCode == "approval_purpose_mismatch")
                #expect(try status(f, forX) == .approved)
                // With case X: a certificate is issued and the approval marked used.
                let issueX = try await client.postJSON("/api/v1/registers/\(reg.id)/certificates", auth, ["case": caseX, "approval": forX])
                #expect(issueX.status == .created)
                #expect(try f.store.issuances(caseID: caseX).count == 1)
                #expect(try status(f, forX) == .used)

                // Approved for a stated reason: refused with another reason or with a case, shown with the same reason.
                let reason = "DV相談窓口からの緊急の安否確認のため"
                let forReason = try await approved(client, f, auth, sup, ["reason": reason])
                let other = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&reason=\(percentEncode("別の理由による確認"))&approval=\(forReason)", auth)
                #expect(other.errorCode == "approval_purpose_mismatch")
                let withCase = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseX)&approval=\(forReason)", auth)
                #expect(withCase.errorCode == "approval_purpose_mismatch")
                #expect(try status(f, forReason) == .approved)
                let same = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&reason=\(percentEncode(reason))&approval=\(forReason)", auth)
                #expect(same.status == .ok)
                #expect(same.json["addresses"] != nil)
                #expect(try status(f, forReason) == .used)
            }
        }
    }
}
