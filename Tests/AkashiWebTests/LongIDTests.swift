import AkashiDomain
import AkashiInterchange
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing
@testable import AkashiWeb

extension AllWebTests {
    @Suite("IDs sent by a client are held to the format's 64 bytes")
    struct LongIDTests {
        @Test("a view naming a 65-byte case is refused and recorded as access.invalid; every access entry still imports")
        func longCaseRefused() async throws {
            let f = try await Fixture.shared.value
            let t = try await f.workspace.signIn(staffID: f.clerk.id, password: Fixture.password, kind: .api, terminal: "long-id-test")
            let clerk = try await #require(try f.workspace.actor(token: t.token, kind: .api))
            let before = try f.store.ledgerSize()
            let longCase = String(repeating: "C", count: 65)
            await #expect {
                _ = try await f.workspace.viewRegister(clerk, id: f.dvRegister.id, record: nil, purpose: Purpose(caseID: longCase),
                                                       channel: .api)
            } throws: { ($0 as? WorkspaceError)?.code == "invalid_request" }
            await #expect(throws: WorkspaceError.self) {
                _ = try await f.workspace.viewRegister(clerk, id: String(repeating: "R", count: 65), record: nil,
                                                       purpose: Purpose(reason: "試験のための確認"), channel: .api)
            }
            let added = try f.entries(since: before)
            #expect(added.filter { $0["type"] as? String == "access" }.isEmpty)
            let invalid = added.filter { $0["kind"] as? String == "access.invalid" }
            #expect(invalid.count == 2)
            #expect(invalid.compactMap { ($0["detail"] as? [String: Any])?["field"] as? String }.sorted() == ["case", "register"])
            // A 64-byte case is not refused for its length (it is refused as unknown, and recorded as an access).
            await #expect(throws: WorkspaceError.self) {
                _ = try await f.workspace.viewRegister(clerk, id: f.dvRegister.id, record: nil,
                                                       purpose: Purpose(caseID: String(repeating: "C", count: 64)), channel: .api)
            }
            let accesses = try f.store.ledgerEntries(before..<(try f.store.ledgerSize())).filter {
                String(decoding: $0, as: UTF8.self).contains("\"type\":\"access\"")
            }
            #expect(accesses.count == 1)
            for entry in accesses { #expect(throws: Never.self) { try RecordDecoder.decode(line: entry) } }
        }
    }
}
