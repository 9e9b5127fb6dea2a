import AkashiAudit
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
    @Suite("Closing a case")
    struct CaseCloseTests {
        @Test("a supervisor closing a colleague's case does not join its handlers, so the audit does not explain their accesses by it")
        func closerIsNotAHandler() async throws {
            let f = try await Fixture.shared.value
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            let day: Int64 = 86_400_000
            let office = try #require(f.supervisor.assignment(on: Timestamp(millis: nowMs).jstDate)?.office)
            let accessAt = Timestamp(millis: nowMs - 5 * day)
            // An old case of the supervisor's office about register R, handled by someone who has since moved on (not
            // at the office on the day of the access, so no colleague rule applies either).
            // Not one of the fixture's own staff, so that other tests' accesses are not explained by this case.
            let fixtureStaff = Set([f.clerk, f.clerk2, f.supervisor, f.trainee, f.auditor, f.lockoutVictim].map(\.id))
            let handler = try #require(try f.store.staffMembers(office: nil, role: .clerk).first {
                !fixtureStaff.contains($0.id) && $0.assignment(on: accessAt.jstDate)?.office != office
            })
            let r = f.registerB
            let id = "C-closetest-\(nowMs)"
            let old = Case(id: id, number: "\(office)-closetest", office: office, kind: .certificate_full, requester: .own,
                           received: Timestamp(millis: nowMs - 10 * day), status: .open, staff: [handler.id],
                           registers: [r.id])
            let rec = Record.case(old)
            let out = try await f.store.ingest([IngestItem(record: rec, canonical: rec.canonicalJSON, raw: [], file: "test", line: 0)])
            guard case .inserted = out.first else { Issue.record("case not stored: \(out)"); return }

            // An earlier access by the supervisor to R, naming no case, while the case was open.
            let access = AccessEvent(id: "W\(accessAt.millis)-closetest", at: accessAt, staff: f.supervisor.id, office: office,
                                     terminal: "T-CLOSE", action: .view, record: .current, register: r.id, outcome: .ok,
                                     function: "register.view", screen: "web:register")
            func audit() async throws -> AccessFinding {
                AuditEngine(context: try await AuditService(store: f.store).loadContext()).reaudit(access)
            }
            let before = try await audit()
            try #require(!before.explained, "precondition: the access is unexplained before the close (\(String(describing: before.explanation)))")

            let ledgerBefore = try f.store.ledgerSize()
            let t0 = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
            try await f.app().test(.router) { client in
                let sup = try await client.ready(f.supervisor.id)
                let close = try await client.postJSON("/api/v1/cases/\(id)/close", sup, ["status": "done"])
                #expect(close.status == .ok)
                #expect(close.json["staff"] as? [String] == [handler.id])
            }
            let stored = try await #require(try f.store.caseRecord(id: id))
            #expect(stored.staff == [handler.id])
            #expect(stored.status == .done)
            let closed = try #require(stored.closed)
            #expect(closed.millis >= t0.millis)
            // The closer is recorded by the ledger's case.close event.
            let e = try #require(try f.entries(since: ledgerBefore).first { $0["kind"] as? String == "case.close" })
            #expect(e["subject"] as? String == id)
            #expect(e["staff"] as? String == f.supervisor.id)
            #expect(e["office"] as? String == office)
            #expect((e["detail"] as? [String: Any])?["status"] as? String == "done")

            let after = try await audit()
            #expect(!after.explained, "the close explained the closer's own access: \(String(describing: after.explanation))")
        }
    }
}
