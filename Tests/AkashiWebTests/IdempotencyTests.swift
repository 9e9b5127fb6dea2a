import AkashiDomain
import AkashiInterchange
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    /// Issue 19: the API's duplicate-request guard. A client that retries a creating POST after a lost answer sends
    /// the same `Idempotency-Key`, and nothing is done twice.
    @Suite("API retries (Idempotency-Key)")
    struct IdempotencyTests {
        static let key = HTTPField.Name("Idempotency-Key")!

        func send(_ client: some TestClientProtocol, _ uri: String, _ auth: HTTPFields, _ body: Data, key: String?)
            async throws -> TestResponse {
            var h = auth
            h[.contentType] = "application/json"
            if let key { h[Self.key] = key }
            return try await client.execute(uri: uri, method: .post, headers: h, body: ByteBuffer(bytes: body))
        }

        /// A certificate request for the fixture's register A, by the resident themself.
        func caseBody(_ f: Fixture) throws -> Data {
            try JSONSerialization.data(withJSONObject: ["kind": "certificate.full", "requester": "self",
                                                        "requesterName": "山田 太郎", "registers": [f.registerA.id]])
        }

        @Test("the same key and body: one case, one certificate, one ledger access; the retry gets the first answer")
        func retriesDoNothingTwice() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let caseBody = try caseBody(f)
                let k1 = "retry-case-" + UUID().uuidString
                let first = try await send(client, "/api/v1/cases", auth, caseBody, key: k1)
                #expect(first.status == .created)
                let again = try await send(client, "/api/v1/cases", auth, caseBody, key: k1)
                #expect(again.status == .created)
                #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                let caseID = try #require(first.json["id"] as? String)
                #expect(again.json["id"] as? String == caseID)
                // Without a key, each POST acts (another case).
                let other = try await send(client, "/api/v1/cases", auth, caseBody, key: nil)
                #expect(other.status == .created && other.json["id"] as? String != caseID)

                let issueBody = try JSONSerialization.data(withJSONObject: ["case": caseID, "copies": 1])
                let k2 = "retry-issue-" + UUID().uuidString
                let before = try f.store.ledgerSize()
                let issued = try await send(client, "/api/v1/registers/\(f.registerA.id)/certificates", auth, issueBody, key: k2)
                #expect(issued.status == .created)
                let retried = try await send(client, "/api/v1/registers/\(f.registerA.id)/certificates", auth, issueBody, key: k2)
                #expect(retried.status == .created && retried.json["number"] as? String == issued.json["number"] as? String)
                #expect(try f.store.issuances(caseID: caseID).count == 1)
                let prints = try f.entries(since: before).filter { $0["type"] as? String == "access" && $0["action"] as? String == "print" }
                #expect(prints.count == 1)

                // The same key for another request is a conflict, and does nothing.
                let otherBody = try JSONSerialization.data(withJSONObject: ["case": caseID, "copies": 3])
                let clash = try await send(client, "/api/v1/registers/\(f.registerA.id)/certificates", auth, otherBody, key: k2)
                #expect(clash.status == .conflict && clash.errorCode == "idempotency_conflict")
                #expect(try f.store.issuances(caseID: caseID).count == 1)
            }
        }

        /// The claim a server killed in the middle of the request leaves behind: no result, and a lease its dead
        /// server no longer renews, running out at `expires`. Returns the request's seed.
        func deadClaim(_ f: Fixture, staff: String, key: String, path: String, body: Data, expires: Int64) async throws -> String {
            let (token, kind) = APIRoutes.idempotencyClaim(staff: staff, key: key, method: "POST", path: path, body: body)
            let claim = FormSubmission(key: FormToken.key(token), owner: "api:" + staff, kind: kind,
                                       created: Workspace.nowMillis() - 2_000, expires: expires)
            #expect(try f.store.claimSubmission(claim) == nil)
            return APIRoutes.idempotencySeed(token: token, kind: kind)
        }

        /// The office a staff member acts for today (what the workspace names their cases and issuances after).
        func office(_ f: Fixture, _ staff: Staff) async throws -> String {
            let t = try await f.workspace.signIn(staffID: staff.id, password: Fixture.password, kind: .api, terminal: "office-probe")
            return try #require(try await f.workspace.actor(token: t.token, kind: .api)).office
        }

        @Test("a request killed before it did anything: its key is not stuck; the retry waits out the lease and acts, once")
        func killedBeforeActing() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let body = try caseBody(f)
                let k = "killed-early-" + UUID().uuidString
                // The lease runs out a moment after the retry arrives: the retry waits for it, then takes the key over.
                _ = try await deadClaim(f, staff: f.clerk.id, key: k, path: "/api/v1/cases", body: body,
                                        expires: Workspace.nowMillis() + 1_500)
                let before = try f.store.ledgerSize()
                let retry = try await send(client, "/api/v1/cases", auth, body, key: k)
                #expect(retry.status == .created, "\(retry.text)")
                let id = try #require(retry.json["id"] as? String)
                let again = try await send(client, "/api/v1/cases", auth, body, key: k)
                #expect(again.status == .created && again.json["id"] as? String == id)
                #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                let opened = try f.entries(since: before).filter { $0["kind"] as? String == "case.open" }
                #expect(opened.count == 1 && opened.first?["subject"] as? String == id)
            }
        }

        @Test("retest R2-1: a dead request's key is not taken over by another body; the same request then completes it")
        func deadKeyKeptForItsRequest() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let body = try caseBody(f)
                let k = "killed-other-" + UUID().uuidString
                _ = try await deadClaim(f, staff: f.clerk.id, key: k, path: "/api/v1/cases", body: body,
                                        expires: Workspace.nowMillis() - 1)
                let other = try JSONSerialization.data(withJSONObject: ["kind": "certificate.full", "requester": "self",
                                                                        "requesterName": "別人 花子", "registers": [f.registerA.id]])
                let before = try f.store.ledgerSize()
                let clash = try await send(client, "/api/v1/cases", auth, other, key: k)
                #expect(clash.status == .conflict && clash.errorCode == "idempotency_conflict", "\(clash.text)")
                #expect(try f.entries(since: before).isEmpty)
                let same = try await send(client, "/api/v1/cases", auth, body, key: k)
                #expect(same.status == .created, "\(same.text)")
            }
        }

        @Test("a case request killed after the case was stored: the retry answers that case and records its case.open once")
        func killedAfterStoringCase() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let body = try caseBody(f)
                let k = "killed-case-" + UUID().uuidString
                let seed = try await deadClaim(f, staff: f.clerk.id, key: k, path: "/api/v1/cases", body: body,
                                               expires: Workspace.nowMillis() - 1)
                // What the killed request got to: the case stored, nothing in the ledger, no details.
                let office = try await office(f, f.clerk)
                let ids = Workspace.seededCase(seed, office: office)
                let stored = Case(id: ids.case, number: "\(office)-2026-W99999", office: office,
                                  kind: .certificate_full, requester: .own, received: f.workspace.now, status: .open,
                                  staff: [f.clerk.id], registers: [f.registerA.id], persons: [])
                let record = Record.case(stored)
                _ = try await f.store.ingest([IngestItem(record: record, canonical: record.canonicalJSON, raw: [],
                                                         file: "test", line: 0)])
                let before = try f.store.ledgerSize()
                let retry = try await send(client, "/api/v1/cases", auth, body, key: k)
                #expect(retry.status == .created, "\(retry.text)")
                #expect(retry.json["id"] as? String == ids.case && retry.json["number"] as? String == stored.number)
                let again = try await send(client, "/api/v1/cases", auth, body, key: k)
                #expect(again.json["id"] as? String == ids.case)
                let entries = try f.entries(since: before)
                #expect(entries.count == 1)
                #expect(entries.first?["kind"] as? String == "case.open" && entries.first?["id"] as? String == ids.entry)
                #expect(entries.first?["subject"] as? String == ids.case)
                #expect(try f.store.caseDetails(caseID: ids.case)?.contains("山田 太郎") == true)
            }
        }

        @Test("a certificate request killed after its print was in the ledger: the retry answers that issuance, prints nothing")
        func killedAfterPrinting() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let caseBody = try caseBody(f)
                let opened = try await send(client, "/api/v1/cases", auth, caseBody, key: nil)
                let caseID = try #require(opened.json["id"] as? String)
                let path = "/api/v1/registers/\(f.registerA.id)/certificates"
                let body = try JSONSerialization.data(withJSONObject: ["case": caseID, "copies": 2])
                let k = "killed-print-" + UUID().uuidString
                let seed = try await deadClaim(f, staff: f.clerk.id, key: k, path: path, body: body, expires: Workspace.nowMillis() - 1)
                // What the killed request got to: the print in the ledger, the issuance record not yet stored.
                let eventID = Workspace.seededID(seed, "certificate.issue")
                let office = try await office(f, f.clerk)
                let number = "\(office)-2026-999999"
                let print = AccessEvent(id: eventID, at: f.workspace.now, staff: f.clerk.id, office: office,
                                        terminal: "killed", action: .print, record: .current, register: f.registerA.id,
                                        caseID: caseID, outcome: .ok,
                                        query: .object([("certificate", .string("certificate.full")), ("copies", .number("2")),
                                                        ("issuance", .string(number))]),
                                        function: "certificate.issue", screen: "api:issue")
                _ = try await f.workspace.committer.append(print)
                #expect(try f.store.issuances(caseID: caseID).isEmpty)
                let before = try f.store.ledgerSize()
                let retry = try await send(client, path, auth, body, key: k)
                #expect(retry.status == .created, "\(retry.text)")
                #expect(retry.json["number"] as? String == number)
                let again = try await send(client, path, auth, body, key: k)
                #expect(again.json["number"] as? String == number)
                #expect(try f.store.issuances(caseID: caseID).map(\.number) == [number])
                #expect(try f.store.issuances(caseID: caseID).first?.copies == 2)
                #expect(try f.entries(since: before).isEmpty)
            }
        }

        @Test("a malformed key is a 400; a refused request gives its key back; another member's same key is their own")
        func keysAreCheckedAndScoped() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let body = try caseBody(f)
                for bad in ["short", String(repeating: "k", count: 65), "has space in it 1234567890", "ctl\u{1}1234567890123456789"] {
                    let r = try await send(client, "/api/v1/cases", auth, body, key: bad)
                    #expect(r.status == .badRequest, "\(bad.debugDescription)")
                }
                // Refused (no requester name for a third party): the key is given back, and the corrected body may use it.
                let k = "fix-and-retry-" + UUID().uuidString
                let wrong = try JSONSerialization.data(withJSONObject: ["kind": "certificate.full", "requester": "third_party",
                                                                        "registers": [f.registerA.id]])
                #expect(try await send(client, "/api/v1/cases", auth, wrong, key: k).status == .badRequest)
                let fixed = try await send(client, "/api/v1/cases", auth, body, key: k)
                #expect(fixed.status == .created)
                // Another member of staff with the same key: their own request.
                let auth2 = try await client.ready(f.clerk2.id)
                let theirs = try await send(client, "/api/v1/cases", auth2, body, key: k)
                #expect(theirs.status == .created)
                #expect(theirs.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
                #expect(theirs.json["id"] as? String != fixed.json["id"] as? String)
            }
        }
    }
}
