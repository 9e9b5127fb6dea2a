import AkashiAudit
import AkashiDomain
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import AkashiWeb

extension AllWebTests {
    /// Issue 19 (1): `akashi serve` never audited, so the console did not see today's work, and no page said when the
    /// audit last ran.
    @Suite("Background audit")
    struct BackgroundAuditTests {
        @Test("a register view made in the workspace is audited by the server itself, and every auditor page says as of when")
        func auditsTodaysWork() async throws {
            let f = try await Fixture.shared.value
            let eventBox = Mutex("")
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let view = try await client.get("/api/v1/registers/\(f.registerA.id)?reason=%E5%95%8F%E3%81%84%E5%90%88%E3%82%8F%E3%81%9B%E3%81%AE%E7%A2%BA%E8%AA%8D", auth)
                #expect(view.status == .ok)
                let id = try #require(view.json["event"] as? String)
                eventBox.withLock { $0 = id }
            }
            let event = eventBox.withLock { $0 }
            #expect(try f.store.findings(accessIDs: [event]).isEmpty, "nothing audits it before the background pass")
            await BackgroundAudit(workspace: f.workspace, logger: Logger(label: "test")).pass()
            let found = try f.store.findings(accessIDs: [event])
            #expect(found.count == 1, "the background pass did not audit the workspace's view")
            let asOf = try #require(f.workspace.auditedAt.withLock { $0 })
            #expect(abs(asOf.millis - Workspace.nowMillis()) < 60_000)
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console")
                #expect(page.status == .ok)
                #expect(page.text.contains("監査の反映: \(Pages.jstMinute(asOf)) までのアクセス"), "the as-of line is missing")
                // A clerk's pages carry no audit line.
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let menu = try await clerk.get(client, "/menu")
                #expect(!menu.text.contains("audit-asof"))
            }
        }

        @Test("a server that does not hold the audit lease does not audit; it shows the time the holder published")
        func oneAuditorAtATime() async throws {
            let f = try await Fixture.shared.value
            let holder = Timestamp(millis: Workspace.nowMillis() - 5 * 60_000)
            try f.store.setConsoleValue(BackgroundAudit.key, holder.description)
            let before = try f.store.findingCounts().total
            // Another holder (here: this test) keeps the lease while the server takes its turn.
            let done = try await withCheckedThrowingContinuation { (c: CheckedContinuation<Bool, any Error>) in
                Thread {
                    c.resume(with: Result {
                        try f.store.withLease(.audit) {
                            let s = DispatchSemaphore(value: 0)
                            Task { await BackgroundAudit(workspace: f.workspace, logger: Logger(label: "test")).pass(); s.signal() }
                            s.wait()
                            return true
                        } ?? false
                    })
                }.start()
            }
            #expect(done)
            #expect(try f.store.findingCounts().total == before)
            #expect(f.workspace.auditedAt.withLock { $0 } == holder)
        }
    }
}
