import AkashiDomain
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing
@testable import AkashiWeb

extension AllWebTests {
    @Suite("Approvals (承認) when decisions and uses race")
    struct ApprovalRaceTests {
        /// A signed-in actor of the workspace (API channel).
        func actor(_ f: Fixture, _ staff: Staff) async throws -> Actor {
            let t = try await f.workspace.signIn(staffID: staff.id, password: Fixture.password, kind: .api, terminal: "race-test")
            return try await #require(try f.workspace.actor(token: t.token, kind: .api))
        }

        /// Asks for an approval of the DV register's 附票 for `purpose` and has the supervisor grant it.
        func approved(_ f: Fixture, _ clerk: Actor, _ sup: Actor, _ purpose: Purpose) async throws -> String {
            let a = try await f.workspace.requestApproval(clerk, register: f.dvRegister.id, purpose: purpose)
            _ = try await f.workspace.decideApproval(sup, id: a.id, approve: true)
            return a.id
        }

        /// The outcomes of a group of operations run at once: `nil` for a success, the error code of a refusal.
        func race(_ n: Int, _ op: @escaping @Sendable () async throws -> Void) async -> [String?] {
            await withTaskGroup(of: String?.self) { group in
                for _ in 0..<n {
                    group.addTask {
                        do {
                            try await op()
                            return nil
                        } catch let e as WorkspaceError {
                            return e.code
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }

        @Test("a grant and a denial of one request at the same moment: one decides it, the other is told it was decided")
        func concurrentDecisions() async throws {
            let f = try await Fixture.shared.value
            let clerk = try await actor(f, f.clerk)
            let sup = try await actor(f, f.supervisor)
            let a = try await f.workspace.requestApproval(clerk, register: f.dvRegister.id,
                                                          purpose: Purpose(reason: "同時の承認と却下の試験"))
            let before = try f.store.ledgerSize()
            let ws = f.workspace
            let outcomes = await withTaskGroup(of: (Bool, String?).self) { group in
                for approve in [true, false] {
                    group.addTask {
                        do {
                            _ = try await ws.decideApproval(sup, id: a.id, approve: approve)
                            return (approve, nil)
                        } catch let e as WorkspaceError {
                            return (approve, e.code)
                        } catch {
                            return (approve, "\(error)")
                        }
                    }
                }
                return await group.reduce(into: [(Bool, String?)]()) { $0.append($1) }
            }
            let winners = outcomes.filter { $0.1 == nil }
            #expect(winners.count == 1, "outcomes: \(outcomes)")
            #expect(outcomes.filter { $0.1 == WorkspaceError.approvalDecided.code }.count == 1, "outcomes: \(outcomes)")
            let stored = try #require(try f.store.approval(id: a.id))
            #expect(stored.status == (winners.first?.0 == true ? .approved : .denied))
            let decisions = try f.entries(since: before).filter {
                ["approval.grant", "approval.deny"].contains($0["kind"] as? String ?? "")
            }
            #expect(decisions.count == 1)
            #expect(decisions.first?["kind"] as? String == (winners.first?.0 == true ? "approval.grant" : "approval.deny"))
        }

        @Test("a reason approval reads the same when used: over 500 characters is refused when asked, 500 works")
        func reasonLengthRoundTrip() async throws {
            let f = try await Fixture.shared.value
            let clerk = try await actor(f, f.clerk)
            let sup = try await actor(f, f.supervisor)
            // 501 characters whose 500th is a space: cut to 500 it ended in a space that the use trimmed away.
            let long = String(repeating: "理", count: 499) + " " + "由"
            await #expect { _ = try await f.workspace.requestApproval(clerk, register: f.dvRegister.id, purpose: Purpose(reason: long)) }
                throws: { ($0 as? WorkspaceError)?.code == "reason_too_short" }
            let exact = String(repeating: "理", count: 500)
            let aid = try await approved(f, clerk, sup, Purpose(reason: exact))
            _ = try await f.workspace.viewRegister(clerk, id: f.dvRegister.id, record: .fuhyo,
                                                   purpose: Purpose(reason: exact, approvalID: aid), channel: .api)
            #expect(try f.store.approval(id: aid)?.status == .used)
        }

        @Test("the store decides a request once: a second conditional decision (another server, say) changes nothing")
        func storeDecidesOnce() async throws {
            let f = try await Fixture.shared.value
            let clerk = try await actor(f, f.clerk)
            let a = try await f.workspace.requestApproval(clerk, register: f.dvRegister.id,
                                                          purpose: Purpose(reason: "二重の決定の試験"))
            let at = Timestamp(millis: 1_700_000_000_000)
            #expect(try await f.store.decideApproval(id: a.id, status: .denied, approver: f.supervisor.id, decided: at))
            #expect(try await !f.store.decideApproval(id: a.id, status: .approved, approver: "S-OTHER", decided: at))
            let stored = try #require(try f.store.approval(id: a.id))
            #expect(stored.status == .denied && stored.approver == f.supervisor.id)
            // And through the workspace: a decision on a decided request is refused.
            let sup = try await actor(f, f.supervisor)
            await #expect { _ = try await f.workspace.decideApproval(sup, id: a.id, approve: true) } throws: {
                ($0 as? WorkspaceError)?.code == "approval_decided"
            }
        }

        @Test("two simultaneous views of the 附票 with one approval: both shown and recorded, the approval marked used")
        func concurrentViews() async throws {
            let f = try await Fixture.shared.value
            let clerk = try await actor(f, f.clerk)
            let sup = try await actor(f, f.supervisor)
            let reason = "DV相談窓口からの緊急の安否確認（同時使用の試験）"
            let aid = try await approved(f, clerk, sup, Purpose(reason: reason))
            let before = try f.store.ledgerSize()
            let ws = f.workspace
            let reg = f.dvRegister.id
            let outcomes = await race(2) {
                _ = try await ws.viewRegister(clerk, id: reg, record: .fuhyo, purpose: Purpose(reason: reason, approvalID: aid),
                                              channel: .api)
            }
            #expect(outcomes == [nil, nil], "outcomes: \(outcomes)")
            #expect(try f.store.approval(id: aid)?.status == .used)
            let fuhyo = try f.entries(since: before).filter {
                $0["type"] as? String == "access" && $0["record"] as? String == "fuhyo" && $0["register"] as? String == reg
                    && $0["staff"] as? String == f.clerk.id && $0["reason"] as? String == reason
            }
            #expect(fuhyo.count == 2)
            #expect(fuhyo.allSatisfy { $0["outcome"] as? String == "ok" })
        }

        @Test("one approval covers its case: the 附票 shown, then the certificate issued; neither once it has expired")
        func viewThenIssue() async throws {
            let f = try await Fixture.shared.value
            let clerk = try await actor(f, f.clerk)
            let sup = try await actor(f, f.supervisor)
            let ws = f.workspace
            let reg = f.dvRegister.id
            let c = try await ws.openCase(clerk, kind: .certificate_fuhyo, requester: .own, registers: [reg], persons: [],
                                          details: ["requesterName": "山田 太郎"], channel: .api)
            let aid = try await approved(f, clerk, sup, Purpose(caseID: c.id))
            let before = try f.store.ledgerSize()
            _ = try await ws.viewRegister(clerk, id: reg, record: .fuhyo, purpose: Purpose(caseID: c.id, approvalID: aid), channel: .api)
            #expect(try f.store.approval(id: aid)?.status == .used)
            let issued = try await ws.issueCertificate(clerk, register: reg, caseID: c.id, copies: 1, approvalID: aid, channel: .api)
            #expect(try f.store.issuances(caseID: c.id).map(\.number) == [issued.number])
            let prints = try f.entries(since: before).filter {
                $0["type"] as? String == "access" && $0["action"] as? String == "print" && $0["case"] as? String == c.id
            }
            #expect(prints.map { $0["outcome"] as? String } == ["ok"])

            // Decided longer ago than the configured minutes: refused and recorded, nothing issued.
            var old = try #require(try f.store.approval(id: aid))
            old.decided = Timestamp(millis: Workspace.nowMillis() - (f.workspace.config.approvalMinutes * 60 + 1) * 1000)
            try f.store.saveApproval(old)
            let mid = try f.store.ledgerSize()
            await #expect { _ = try await ws.viewRegister(clerk, id: reg, record: .fuhyo, purpose: Purpose(caseID: c.id, approvalID: aid),
                                                          channel: .api) } throws: { ($0 as? WorkspaceError)?.code == "approval_required" }
            await #expect { _ = try await ws.issueCertificate(clerk, register: reg, caseID: c.id, copies: 1, approvalID: aid,
                                                              channel: .api) } throws: { ($0 as? WorkspaceError)?.code == "approval_required" }
            #expect(try f.store.issuances(caseID: c.id).count == 1)
            #expect(try f.entries(since: mid).filter { $0["type"] as? String == "access" }.allSatisfy { $0["outcome"] as? String == "denied" })
        }

        @Test("a decision's note is kept with it and written into its ledger entry")
        func decisionNote() async throws {
            let f = try await Fixture.shared.value
            let clerk = try await actor(f, f.clerk)
            let sup = try await actor(f, f.supervisor)
            let a = try await f.workspace.requestApproval(clerk, register: f.dvRegister.id, purpose: Purpose(reason: "判断理由の記録の試験"))
            let before = try f.store.ledgerSize()
            let note = "第三者請求で、正当な理由が確認できないため"
            _ = try await f.workspace.decideApproval(sup, id: a.id, approve: false, note: "  " + note + "\n")
            #expect(try f.store.approval(id: a.id)?.note == note)
            let deny = try #require(try f.entries(since: before).first { $0["kind"] as? String == "approval.deny" })
            #expect((deny["detail"] as? [String: Any])?["note"] as? String == note)
            // Too long, or a control character: refused, and the request stays pending.
            let b = try await f.workspace.requestApproval(clerk, register: f.dvRegister.id, purpose: Purpose(reason: "判断理由の長さの試験"))
            await #expect { _ = try await f.workspace.decideApproval(sup, id: b.id, approve: true, note: String(repeating: "長", count: 501)) }
                throws: { ($0 as? WorkspaceError)?.code == "invalid_request" }
            await #expect { _ = try await f.workspace.decideApproval(sup, id: b.id, approve: true, note: "理由\u{7}") }
                throws: { ($0 as? WorkspaceError)?.code == "invalid_request" }
            #expect(try f.store.approval(id: b.id)?.status == .pending)
        }
    }
}
