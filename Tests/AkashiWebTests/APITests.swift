import AkashiDomain
import AkashiSQLite
import AkashiLedger
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    @Suite("JSON API")
    struct APITests {
        @Test("bad password is 401 and recorded as signin.failed without the password")
        func badPassword() async throws {
            let f = try await Fixture.shared.value
            let before = try f.store.ledgerSize()
            try await f.app().test(.router) { client in
                let r = try await client.login(f.clerk2.id, "wrong password 12345")
                #expect(r.status == .unauthorized)
                #expect(r.errorCode == "invalid_credentials")
                #expect(!r.text.contains("wrong password"))
            }
            let e = try f.entries(since: before)
            let failed = try #require(e.first { $0["kind"] as? String == "signin.failed" && $0["staff"] as? String == f.clerk2.id })
            #expect(failed["type"] as? String == "journal")
            let raw = try f.store.ledgerEntries(before..<(try f.store.ledgerSize())).map { String(decoding: $0, as: UTF8.self) }
            #expect(!raw.contains { $0.contains("wrong password") })
        }

        @Test("repeated failures lock the account at that address, even for the right password")
        func lockout() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                for _ in 0..<f.workspace.config.lockoutAfter {
                    #expect(try await client.login(f.lockoutVictim.id, "not the password").status == .unauthorized)
                }
                let r = try await client.login(f.lockoutVictim.id)
                #expect(r.status == .unauthorized)
                // Answered as a wrong password or an unknown ID is, word for word (F-6: no account enumeration).
                let unknown = try await client.login("S99999", "not the password")
                #expect(r.errorCode == "invalid_credentials" && unknown.errorCode == "invalid_credentials")
                #expect(r.text == unknown.text)
                #expect(!r.text.contains("lock") && !r.text.contains("ロック"))
            }
            // The lock is the address's (every test request comes from "local"), not the account's for everyone (F-6).
            #expect(try f.store.failedSignIns(staff: f.lockoutVictim.id).first { $0.address == "local" }?.lockedUntil != nil)
            #expect(try f.store.account(staff: f.lockoutVictim.id)?.lockedUntil == nil)
        }

        @Test("sign-in, banner, 428 before acknowledgement, then business works; all recorded")
        func bannerGate() async throws {
            let f = try await Fixture.shared.value
            let before = try f.store.ledgerSize()
            try await f.app().test(.router) { client in
                let login = try await client.execute(
                    uri: "/api/v1/login", method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("X-Akashi-Terminal")!: "T27108-01"],
                    body: ByteBuffer(string: "{\"staff\":\"\(f.clerk.id)\",\"password\":\"\(Fixture.password)\"}"))
                #expect(login.status == .ok)
                let token = try #require(login.json["token"] as? String)
                #expect(token.count >= 43)
                let auth: HTTPFields = [.authorization: "Bearer " + token, HTTPField.Name("X-Akashi-Terminal")!: "T27108-01"]
                let early = try await client.get("/api/v1/registers/\(f.registerA.id)?reason=test%20reason", auth)
                #expect(early.status.code == 428)
                #expect(early.errorCode == "banner_not_acknowledged")
                #expect(try await client.get("/api/v1/registers?name=a", auth).status.code == 428)
                let banner = try await client.get("/api/v1/banner", auth)
                #expect(banner.status == .ok)
                #expect(banner.json["text"] as? String == WebConfiguration.defaultBannerJapanese)
                let version = try #require(banner.json["version"] as? String)
                let ack = try await client.execute(uri: "/api/v1/banner/acknowledge", method: .post, headers: auth)
                #expect(ack.status == .noContent)
                let e = try f.entries(since: before)
                #expect(e.contains { $0["kind"] as? String == "signin" && $0["staff"] as? String == f.clerk.id })
                let a = try #require(e.first { $0["kind"] as? String == "banner.ack" })
                #expect(a["subject"] as? String == version)
                #expect(a["terminal"] as? String == "T27108-01")
                #expect(a["staff"] as? String == f.clerk.id)
                #expect(e.contains { $0["type"] as? String == "access" && $0["outcome"] as? String == "denied"
                    && $0["register"] as? String == f.registerA.id })
                let out = try await client.execute(uri: "/api/v1/logout", method: .post, headers: auth)
                #expect(out.status == .noContent)
                #expect(try await client.get("/api/v1/banner", auth).status == .unauthorized)
            }
            #expect(try f.entries(since: before).contains { $0["kind"] as? String == "signout" })
        }

        @Test("no token is 401")
        func unauthenticated() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let r = try await client.get("/api/v1/registers?name=x", [:])
                #expect(r.status == .unauthorized)
                #expect(r.errorCode == "unauthenticated")
            }
        }

        @Test("register view needs a purpose: purpose_required, case_mismatch, then the case or a reason")
        func purposeRules() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let caseID = try await client.certificateCase(auth, registers: [f.registerA.id])
                var before = try f.store.ledgerSize()
                let none = try await client.get("/api/v1/registers/\(f.registerA.id)?record=current", auth)
                #expect(none.status == .forbidden)
                #expect(none.errorCode == "purpose_required")
                var e = try f.entries(since: before)
                #expect(e.count == 1 && e[0]["outcome"] as? String == "denied" && e[0]["action"] as? String == "view")

                before = try f.store.ledgerSize()
                let mismatch = try await client.get("/api/v1/registers/\(f.registerB.id)?record=current&case=\(caseID)", auth)
                #expect(mismatch.status == .forbidden)
                #expect(mismatch.errorCode == "case_mismatch")
                e = try f.entries(since: before)
                #expect(e.first?["outcome"] as? String == "denied" && e.first?["case"] as? String == caseID)

                before = try f.store.ledgerSize()
                let ok = try await client.get("/api/v1/registers/\(f.registerA.id)?record=current&case=\(caseID)", auth)
                #expect(ok.status == .ok)
                #expect(ok.json["id"] as? String == f.registerA.id)
                #expect(ok.json["honseki"] as? String == f.registerA.honseki)
                #expect((ok.json["members"] as? [[String: Any]])?.count == f.registerA.members.count)
                #expect(ok.json["addresses"] == nil)
                e = try f.entries(since: before)
                let v = try #require(e.first)
                #expect(v["outcome"] as? String == "ok")
                #expect(v["case"] as? String == caseID)
                #expect(v["function"] as? String == "register.view")
                #expect((v["screen"] as? String)?.hasPrefix("api:") == true)
                #expect(v["terminal"] != nil)
                #expect((v["id"] as? String).map { $0.utf8.count <= 64 } == true)

                before = try f.store.ledgerSize()
                let reason = "住民からの電話照会に回答するため"
                let bg = try await client.get("/api/v1/registers/\(f.registerB.id)?record=fuhyo&reason=\(percentEncode(reason))", auth)
                #expect(bg.status == .ok)
                #expect((bg.json["addresses"] as? [[String: Any]])?.count == f.registerB.members.count)
                e = try f.entries(since: before)
                #expect(e.first?["reason"] as? String == reason)
                #expect(e.first?["record"] as? String == "fuhyo")

                let bad = try await client.get("/api/v1/registers/\(f.registerA.id)?record=bogus&case=\(caseID)", auth)
                #expect(bad.status == .badRequest)
            }
        }

        @Test("search is recorded with its query and results")
        func searchRecorded() async throws {
            let f = try await Fixture.shared.value
            let person = try await #require(try f.store.person(id: f.registerA.members[0]))
            let surname = person.surname
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let before = try f.store.ledgerSize()
                let r = try await client.get("/api/v1/registers?name=\(percentEncode(surname))", auth)
                #expect(r.status == .ok)
                let results = try #require(r.json["results"] as? [[String: Any]])
                #expect(results.contains { $0["id"] as? String == f.registerA.id })
                for x in results { #expect(x["kind"] != nil && x["honseki"] != nil && x["head"] != nil) }
                let e = try #require(try f.entries(since: before).first)
                #expect(e["action"] as? String == "search")
                #expect((e["query"] as? [String: Any])?["name"] as? String == surname)
                #expect((e["results"] as? [String])?.count == results.count)
            }
        }

        @Test("the whole counter flow over the API: intake, view, issuance, update, close")
        func counterFlow() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                // 第三者請求 without 利用目的 is refused.
                let missing = try await client.postJSON("/api/v1/cases", auth, ["kind": "certificate.full", "requester": "third_party",
                                                                               "requesterName": "某", "registers": [f.registerA.id]])
                #expect(missing.status == .badRequest)
                #expect(missing.errorCode == "details_required")
                let official = try await client.postJSON("/api/v1/cases", auth, ["kind": "certificate.full", "requester": "official",
                                                                                "agency": "大阪地方法務局", "registers": [f.registerA.id]])
                #expect(official.errorCode == "details_required")
                let before = try f.store.ledgerSize()
                let caseID = try await client.certificateCase(auth, registers: [f.registerA.id])
                #expect(try await f.store.caseRecord(id: caseID)?.status == .open)
                let issue = try await client.postJSON("/api/v1/registers/\(f.registerA.id)/certificates", auth, ["case": caseID, "copies": 2])
                #expect(issue.status == .created)
                let number = try #require(issue.json["number"] as? String)
                let issued = try f.store.issuances(caseID: caseID)
                #expect(issued.count == 1 && issued[0].number == number && issued[0].copies == 2 && issued[0].requester == "self")
                // Update needs a notification case.
                let upd = try await client.postJSON("/api/v1/registers/\(f.registerA.id)/updates", auth, ["case": caseID])
                #expect(upd.status == .forbidden)
                #expect(upd.errorCode == "case_kind")
                let n = try await client.postJSON("/api/v1/cases", auth, ["kind": "notification.birth", "notifier": "山田 花子",
                                                                         "registers": [f.registerA.id]])
                let nID = try #require(n.json["id"] as? String)
                let upd2 = try await client.postJSON("/api/v1/registers/\(f.registerA.id)/updates", auth, ["case": nID])
                #expect(upd2.status == .created)
                let close = try await client.postJSON("/api/v1/cases/\(caseID)/close", auth, ["status": "done"])
                #expect(close.status == .ok)
                let closed = try await #require(try f.store.caseRecord(id: caseID))
                #expect(closed.status == .done && closed.closed != nil)
                // A closed case no longer opens the register.
                let after = try await client.get("/api/v1/registers/\(f.registerA.id)?case=\(caseID)", auth)
                #expect(after.status == .forbidden)
                #expect(after.errorCode == "case_not_assigned")
                let e = try f.entries(since: before)
                #expect(e.contains { $0["kind"] as? String == "case.open" && $0["subject"] as? String == caseID })
                let p = try #require(e.first { $0["action"] as? String == "print" })
                #expect(p["case"] as? String == caseID && p["function"] as? String == "certificate.issue")
                #expect((p["query"] as? [String: Any])?["issuance"] as? String == number)
                #expect(e.contains { $0["action"] as? String == "update" && $0["outcome"] as? String == "ok" })
                #expect(e.contains { $0["action"] as? String == "update" && $0["outcome"] as? String == "denied" })
                #expect(e.contains { $0["kind"] as? String == "case.close" && $0["subject"] as? String == caseID })
            }
        }

        @Test("another clerk's case cannot be named")
        func othersCase() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let a1 = try await client.ready(f.clerk.id)
                let a2 = try await client.ready(f.clerk2.id)
                let caseID = try await client.certificateCase(a1, registers: [f.registerA.id])
                let r = try await client.get("/api/v1/registers/\(f.registerA.id)?case=\(caseID)", a2)
                #expect(r.status == .forbidden)
                #expect(r.errorCode == "case_not_assigned")
            }
        }

        @Test("附票 of a DV-support person: refused without approval, shown with a supervisor's approval")
        func dvSupport() async throws {
            let f = try await Fixture.shared.value
            let reg = f.dvRegister
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let caseID = try await client.certificateCase(auth, registers: [reg.id], kind: "certificate.fuhyo")
                let refused = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)", auth)
                #expect(refused.status == .forbidden)
                #expect(refused.errorCode == "approval_required")
                // The register itself (not the 附票) opens with the case.
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=current&case=\(caseID)", auth).status == .ok)
                let req = try await client.postJSON("/api/v1/approvals", auth, ["register": reg.id, "case": caseID])
                #expect(req.status == .created)
                let aid = try #require(req.json["id"] as? String)
                // Not yet approved.
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)&approval=\(aid)", auth).errorCode
                    == "approval_required")
                // The requester cannot approve; a clerk cannot approve.
                #expect(try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: auth).status == .forbidden)
                let sup = try await client.ready(f.supervisor.id)
                let before = try f.store.ledgerSize()
                let ok = try await client.execute(uri: "/api/v1/approvals/\(aid)/approve", method: .post, headers: sup)
                #expect(ok.status == .ok)
                let shown = try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)&approval=\(aid)", auth)
                #expect(shown.status == .ok)
                #expect(shown.json["addresses"] != nil)
                let e = try f.entries(since: before)
                let grant = try #require(e.first { $0["kind"] as? String == "approval.grant" })
                #expect(grant["staff"] as? String == f.supervisor.id)
                #expect(e.contains { $0["record"] as? String == "fuhyo" && $0["outcome"] as? String == "ok" && $0["staff"] as? String == f.clerk.id })
                // In force for its case: shown again, and the certificate issued (issue 19: the view used to spend it).
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)&approval=\(aid)", auth).status
                    == .ok)
                let issued = try await client.postJSON("/api/v1/registers/\(reg.id)/certificates", auth, ["case": caseID, "approval": aid])
                #expect(issued.status == .created)
                // Once its time is over (the decision 31 minutes ago), neither.
                var old = try #require(try f.store.approval(id: aid))
                old.decided = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000) - 31 * 60_000)
                try f.store.saveApproval(old)
                #expect(try await client.get("/api/v1/registers/\(reg.id)?record=fuhyo&case=\(caseID)&approval=\(aid)", auth).errorCode
                    == "approval_required")
                #expect(try await client.postJSON("/api/v1/registers/\(reg.id)/certificates", auth, ["case": caseID, "approval": aid])
                    .errorCode == "approval_required")
            }
        }

        @Test("role gates: auditors do no register work, trainees cannot break the glass")
        func roleGates() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let aud = try await client.ready(f.auditor.id)
                let before = try f.store.ledgerSize()
                let s = try await client.get("/api/v1/registers?name=a", aud)
                #expect(s.status == .forbidden)
                #expect(s.errorCode == "role_forbidden")
                #expect(try f.entries(since: before).first?["outcome"] as? String == "denied")
                let v = try await client.get("/api/v1/registers/\(f.registerA.id)?reason=%E7%9B%A3%E6%9F%BB%E3%81%AE%E3%81%9F%E3%82%81", aud)
                #expect(v.status == .forbidden)
                let tr = try await client.ready(f.trainee.id)
                let t = try await client.get("/api/v1/registers/\(f.registerA.id)?reason=%E7%A2%BA%E8%AA%8D%E3%81%AE%E3%81%9F%E3%82%81", tr)
                #expect(t.status == .forbidden)
                #expect(t.errorCode == "role_forbidden")
                let clerk = try await client.ready(f.clerk.id)
                #expect(try await client.get("/api/v1/approvals", clerk).status == .forbidden)
            }
        }

        @Test("ledger checkpoint and tiles are published; health, metrics and OpenAPI answer")
        func published() async throws {
            let f = try await Fixture.shared.value
            let signer = try NoteSigner.generate(name: "test.example/akashi")
            try await LedgerService(store: f.store).signCheckpoint(with: signer)
            try await f.app().test(.router) { client in
                let cp = try await client.get("/api/v1/ledger/checkpoint", [:])
                #expect(cp.status == .ok)
                #expect(cp.text.hasPrefix("test.example/akashi\n"))
                #expect(try await client.get("/ledger/checkpoint", [:]).text == cp.text)
                #expect(try await client.get("/ledger/tile/0/000", [:]).status == .ok)
                #expect(try await client.get("/ledger/tile/9/000", [:]).status == .notFound)
                #expect(try await client.get("/healthz", [:]).status == .ok)
                // Metrics: not for anyone (issue 18, F-16): a clerk's token or none is refused; an auditor reads them.
                let anonymous = try await client.get("/metrics", [:])
                #expect(anonymous.status == .unauthorized && !anonymous.text.contains("# TYPE"))
                let clerkAuth = try await client.ready(f.clerk.id)
                #expect(try await client.get("/metrics", clerkAuth).status == .unauthorized)
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let m = try await aud.get(client, "/metrics")
                #expect(m.status == .ok)
                #expect(m.text.contains("# TYPE"))
                let o = try await client.get("/api/v1/openapi.yaml", [:])
                #expect(o.text.hasPrefix("openapi: 3.1"))
                #expect(o.text.contains("/registers/{id}"))
            }
        }

        @Test("passwords are scrypt hashes with salt and parameters")
        func passwordHash() throws {
            let h = try PasswordHasher.hash("secret password", logN: 10)
            #expect(h.hasPrefix("scrypt$10$8$1$"))
            #expect(!h.contains("secret"))
            #expect(PasswordHasher.verify("secret password", hash: h))
            #expect(!PasswordHasher.verify("secret passwore", hash: h))
            #expect(try PasswordHasher.hash("secret password", logN: 10) != h)
            #expect(Tokens.storedHash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        }

        @Test("random bytes come in the length asked for and differ between draws; tokens and event IDs keep their form")
        func randomBytes() {
            for n in [0, 1, 6, 8, 9, 32, 33] { #expect(Tokens.randomBytes(n).count == n) }
            #expect(Tokens.randomBytes(32) != Tokens.randomBytes(32))
            // Every byte value position gets used: over 64 draws of 8 bytes no position is constant.
            let draws = (0..<64).map { _ in Tokens.randomBytes(8) }
            for i in 0..<8 { #expect(Set(draws.map { $0[i] }).count > 1) }
            let token = Tokens.newToken()
            #expect(token.count == 43 && token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            let id = Tokens.eventID(millis: 1_700_000_000_123)
            #expect(id.hasPrefix("W1700000000123-") && id.count == "W1700000000123-".count + 12)
        }

        @Test("trimming removes leading and trailing white space of every kind, U+3000 included, and nothing else")
        func trimming() {
            #expect("  abc \n".trimmed == "abc")
            #expect("\u{3000}山田\u{3000}太郎\u{3000}".trimmed == "山田\u{3000}太郎")
            #expect("\t\r\n".trimmed == "")
            #expect("".trimmed == "")
            #expect("C123".trimmed == "C123")
            #expect(" a b ".trimmed == "a b")
            #expect("é ".trimmed == "é")
        }
    }
}
