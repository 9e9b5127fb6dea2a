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
    /// The three defects of the 2026-12 security review: entry bundles were public, a search needed no CSRF token,
    /// and an interview file's hash was taken over its UTF-8 decoding.
    @Suite("Security review fixes")
    struct SecurityFixTests {
        func journal(_ f: Fixture, since: UInt64) throws -> [[String: Any]] {
            try f.entries(since: since).filter { $0["type"] as? String == "journal" }
        }

        @Test("entry bundles: refused to anonymous and clerk requests, the exact bytes to an auditor; checkpoint and hash tiles stay public")
        func entryBundles() async throws {
            let f = try await Fixture.shared.value
            let ledger = LedgerService(store: f.store)
            try await ledger.signCheckpoint(with: try NoteSigner.generate(name: "test.example/akashi"))
            let cp = try #require(try f.store.latestCheckpoint())
            #expect(cp.size > 256)
            let full = TilePath.entryBundle(index: 0, width: 256)
            let last = (cp.size - 1) / 256
            let partialWidth = Int(cp.size - last * 256)
            let edge = TilePath.entryBundle(index: last, width: partialWidth)
            let fullBytes = try await #require(try ledger.publishedFile(path: full))
            let edgeBytes = try await #require(try ledger.publishedFile(path: edge))
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
                    await #expect(Array(r.body.readableBytesView) == (try ledger.publishedFile(path: path)), "\(path)")
                }
            }
        }

        @Test("a search without the session's CSRF token, or with a wrong one, answers 403 and records nothing; with it, it works")
        func searchNeedsCSRF() async throws {
            let f = try await Fixture.shared.value
            let person = try #require(try await f.store.person(id: f.registerA.members[0]))
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

        @Test("an interview file's recorded SHA-256 is over its raw bytes (files differing only in invalid UTF-8 differ)")
        func interviewFileHash() async throws {
            let f = try await Fixture.shared.value
            // Both decode as UTF-8 to U+FFFD U+FFFD 00 01 U+FFFD "A"; their SHA-256 (computed with hashlib) differ.
            let files: [([UInt8], String)] = [
                ([0xFF, 0xFE, 0x00, 0x01, 0x80, 0x41], "dcfff280f87a29d87ca9fc62b233ece47470847dddc4e4db3c4c0d2741bda473"),
                ([0xFE, 0xFF, 0x00, 0x01, 0x81, 0x41], "3608403ace7f4f663d2786d01b16808828988c03bf4b916b9a1b5441eac32c18"),
            ]
            #expect(String(decoding: files[0].0, as: UTF8.self) == String(decoding: files[1].0, as: UTF8.self))
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let open = try await aud.post(client, "/console/investigations", ["staff": f.clerk.id, "title": "ファイルのハッシュ"])
                #expect(open.status == .seeOther)
                // An open investigation on the staff member is linked to, not doubled (issue 19): its page, without `?linked=1`.
                let loc = String(try #require(open.headers[.location]).prefix { $0 != "?" })
                let id = String(loc.dropFirst("/console/investigations/".count))
                for (bytes, sha) in files {
                    let boundary = "b0undary7"
                    var body: [UInt8] = []
                    for (k, v) in [("csrf", aud.csrf), ("kind", "interview"), ("text", "聴取の録音")] {
                        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8)
                    }
                    body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rec.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
                    body += bytes
                    body += Array("\r\n--\(boundary)--\r\n".utf8)
                    var h = aud.headers
                    h[.contentType] = "multipart/form-data; boundary=\(boundary)"
                    let before = try f.store.ledgerSize()
                    let up = try await client.execute(uri: loc + "/entries", method: .post, headers: h, body: ByteBuffer(bytes: body))
                    #expect(up.status == .seeOther)
                    let entry = try #require(try journal(f, since: before).first { $0["kind"] as? String == "investigation.interview" })
                    #expect(entry["subject"] as? String == id)
                    let detail = entry["detail"] as? [String: Any]
                    #expect(detail?["file"] as? String == "rec.bin")
                    #expect(detail?["file_sha256"] as? String == sha)
                }
                // The stored file is the raw bytes too.
                // (The investigation may be one opened before on the same staff member, with steps of its own.)
                let stored = try f.store.investigationEntries(investigation: id).filter { $0.kind == "interview" && $0.fileName == "rec.bin" }
                #expect(stored.map(\.fileSize) == [6, 6])
            }
        }
    }
}
