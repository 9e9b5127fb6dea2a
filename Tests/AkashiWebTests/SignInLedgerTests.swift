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
    @Suite("Sign-in failures in the ledger")
    struct SignInLedgerTests {
        @Test("an unknown account's failure is recorded without the typed ID (often a password)")
        func unknownAccountRecordsNoTypedText() async throws {
            let f = try await Fixture.shared.value
            let typed = "Hunter2-secret"
            #expect(try f.store.account(staff: typed) == nil)
            let before = try f.store.ledgerSize()
            try await f.app().test(.router) { client in
                let r = try await client.execute(
                    uri: "/api/v1/login", method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("X-Akashi-Terminal")!: "T-UNKNOWN-01"],
                    body: ByteBuffer(string: "{\"staff\":\"\(typed)\",\"password\":\"whatever it is\"}"))
                #expect(r.status == .unauthorized)
                #expect(r.errorCode == "invalid_credentials")
                #expect(!r.text.contains(typed))
            }
            // The same through the workspace itself (the web form's path), with surrounding blanks.
            await #expect(throws: WorkspaceError.self) {
                try await f.workspace.signIn(staffID: "  \(typed)\u{3000}", password: "x", kind: .web, terminal: "T-UNKNOWN-02")
            }
            let size = try f.store.ledgerSize()
            let raw = try f.store.ledgerEntries(before..<size)
            // No entry holds the typed text (in any letter case).
            for entry in raw {
                let text = String(decoding: entry, as: UTF8.self)
                #expect(!text.lowercased().contains(typed.lowercased()), "ledger entry holds the typed ID: \(text)")
            }
            let failed = try f.entries(since: before).filter { $0["kind"] as? String == "signin.failed" }
            #expect(failed.count == 2)
            for (e, (terminal, channel)) in zip(failed, [("T-UNKNOWN-01", "api"), ("T-UNKNOWN-02", "web")]) {
                #expect(e["type"] as? String == "journal")
                #expect(e["staff"] == nil)
                #expect(e["subject"] == nil)
                #expect(e["terminal"] as? String == terminal)
                #expect(e["at"] != nil)
                let detail = try #require(e["detail"] as? [String: Any])
                #expect(detail["reason"] as? String == "unknown_account")
                #expect(detail["channel"] as? String == channel)
            }
        }

        @Test("a known account's failure (wrong password) still names the staff member")
        func knownAccountKeepsStaff() async throws {
            let f = try await Fixture.shared.value
            let before = try f.store.ledgerSize()
            await #expect(throws: WorkspaceError.self) {
                try await f.workspace.signIn(staffID: f.trainee.id, password: "not it", kind: .api, terminal: "T-KNOWN")
            }
            let e = try #require(try f.entries(since: before).first { $0["kind"] as? String == "signin.failed" })
            #expect(e["staff"] as? String == f.trainee.id)
            #expect(e["subject"] as? String == f.trainee.id)
            #expect((e["detail"] as? [String: Any])?["reason"] as? String == "bad_password")
            // Clear the failure so that other tests can sign the trainee in.
            try f.store.clearFailedSignIns(staff: f.trainee.id)
        }
    }
}
