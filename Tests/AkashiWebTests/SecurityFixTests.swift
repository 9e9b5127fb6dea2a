import AkashiDomain
import AkashiLedger
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    /// Defects of the 2026-12 security review: entry bundles were public, a search needed no CSRF token.
    @Suite("Security review fixes")
    struct SecurityFixTests {
        func journal(_ f: Fixture, since: UInt64) throws -> [[String: Any]] {
            try f.entries(since: since).filter { $0["type"] as? String == "journal" }
        }

        @Test("entry bundles: refused to anonymous and clerk requests, the exact bytes to an auditor; checkpoint and hash tiles stay public")
        func entryBundles() async throws {
            let f = try await Fixture.shared.value
            let ledger = LedgerService(store: f.store)
            try ledger.signCheckpoint(with: try NoteSigner.generate(name: "test.example/akashi"))
            let cp = try #require(try f.store.latestCheckpoint())
            #expect(cp.size > 256)
            let full = TilePath.entryBundle(index: 0, width: 256)
            let last = (cp.size - 1) / 256
            let partialWidth = Int(cp.size - last * 256)
            let edge = TilePath.entryBundle(index: last, width: partialWidth)
            let fullBytes = try #require(try ledger.publishedFile(path: full))
            let edgeBytes = try #require(try ledger.publishedFile(path: edge))
            try await f.app().test(.router) { client in
                // Anonymous: 401 with a message saying why, for a full and for the partial bundle.
                for path in [full, edge] {
                    let r = try await client.get("/ledger/" + path, [:])
                    #expect(r.status == .unauthorized, "\(path)")
                    #expect(r.text.contains("監査担当") && r.text.contains("personal data"))
                    let leaked = Array(r.body.readableBytesView) == fullBytes
                    #expect(!leaked)
                }
                // A stale or forged session cookie is no better.
                let forged = try await client.get("/ledger/" + full, [.cookie: "\(Pages.sessionCookie)=forged"])
                #expect(forged.status == .unauthorized)
                // A clerk: 403, journaled as console.denied.
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let before = try f.store.ledgerSize()
                let c = try await clerk.get(client, "/ledger/" + full)
                #expect(c.status == .forbidden)
                #expect(c.text.contains("監査担当だけ"))
                let leaked = Array(c.body.readableBytesView) == fullBytes
                #expect(!leaked)
                #expect(try journal(f, since: before).contains {
                    $0["kind"] as? String == "console.denied" && $0["staff"] as? String == f.clerk.id
                })
                // An auditor: the exact bytes, not cached by anyone else, and the read is journaled.
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let start = try f.store.ledgerSize()
                let a = try await aud.get(client, "/ledger/" + full)
                #expect(a.status == .ok)
                let same = Array(a.body.readableBytesView) == fullBytes
                #expect(same)
                #expect(a.headers[.cacheControl] == "private, no-store")
                let p = try await aud.get(client, "/ledger/" + edge)
                #expect(p.status == .ok)
                let sameEdge = Array(p.body.readableBytesView) == edgeBytes
                #expect(sameEdge)
                let views = try journal(f, since: start).filter { $0["kind"] as? String == "console.view" }
                #expect(views.map { $0["subject"] as? String } == ["ledger:" + full, "ledger:" + edge])
                // Anonymous: the checkpoint and the hash tiles (full and partial) are still served.
                let checkpoint = try await client.get("/ledger/checkpoint", [:])
                #expect(checkpoint.status == .ok)
                #expect(checkpoint.text == cp.note)
                for path in [TilePath.hashTile(level: 0, index: 0, width: 256),
                             TilePath.hashTile(level: 0, index: last, width: partialWidth)] {
                    let r = try await client.get("/ledger/" + path, [:])
                    #expect(r.status == .ok, "\(path)")
                    #expect(Array(r.body.readableBytesView) == (try ledger.publishedFile(path: path)), "\(path)")
                }
            }
        }

        @Test("a search without the session's CSRF token, or with a wrong one, answers 403 and records nothing; with it, it works")
        func searchNeedsCSRF() async throws {
            let f = try await Fixture.shared.value
            let person = try #require(try f.store.person(id: f.registerA.members[0]))
            let name = percentEncode(person.surname)
            try await f.app().test(.router) { client in
                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                // The form (and the links to it) need no token and carry it in a hidden input.
                let form = try await b.get(client, "/search")
                #expect(form.status == .ok)
                let search = try #require(form.text.range(of: "role=\"search\"").map { form.text[$0.upperBound...] })
                let inForm = search[..<(search.range(of: "</form>")?.lowerBound ?? search.endIndex)]
                #expect(!b.csrf.isEmpty)
                #expect(inForm.contains("name=\"csrf\" value=\"\(b.csrf)\""))
                #expect(try await b.get(client, "/search?case=X").status == .ok)
                let before = try f.store.ledgerSize()
                for token in [nil, "", "x" + b.csrf, String(b.csrf.dropLast()), "forged"] {
                    let uri = "/search?name=\(name)" + (token.map { "&csrf=\(percentEncode($0))" } ?? "")
                    let r = try await client.get(uri, b.headers)
                    #expect(r.status == .forbidden, "\(uri)")
                    #expect(r.text.contains("csrf_token_invalid"))
                    #expect(!r.text.contains(f.registerA.id))
                }
                #expect(try f.store.ledgerSize() == before)
                let ok = try await b.get(client, "/search?name=\(name)&csrf=\(percentEncode(b.csrf))")
                #expect(ok.status == .ok)
                #expect(ok.text.contains(f.registerA.id))
                let recorded = try f.entries(since: before).filter { $0["action"] as? String == "search" }
                #expect(recorded.count == 1)
                #expect((recorded.first?["query"] as? [String: Any])?["name"] as? String == person.surname)
            }
        }
    }
}
