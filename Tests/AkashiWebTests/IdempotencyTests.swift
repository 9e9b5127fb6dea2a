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

        @Test("the same key and body: one case, one certificate, one ledger access; the retry gets the first answer")
        func retriesDoNothingTwice() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let caseBody = try JSONSerialization.data(withJSONObject: ["kind": "certificate.full", "requester": "self",
                                                                           "requesterName": "山田 太郎", "registers": [f.registerA.id]])
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

        @Test("a malformed key is a 400; a refused request gives its key back; another member's same key is their own")
        func keysAreCheckedAndScoped() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let body = try JSONSerialization.data(withJSONObject: ["kind": "certificate.full", "requester": "self",
                                                                       "requesterName": "山田 太郎", "registers": [f.registerA.id]])
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
