import AkashiDomain
import AkashiInterchange
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
    /// Issue 18 (the 2026-12-06 security review): what one request could do to the ledger and the server.
    @Suite("Hardening: control characters and numbers from requests")
    struct HardeningTests {
        /// Whether any stored event's ID columns hold a control character.
        func controlCharacterInColumns(_ f: Fixture, since: UInt64) throws -> Bool {
            var found = false
            try f.store.forEachEvent { e in
                guard e.seq >= since else { return }
                for v in [e.id, e.staff, e.office, e.register, e.person, e.caseID].compactMap({ $0 }) {
                    if v.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) { found = true }
                }
            }
            return found
        }

        @Test("F-1: a NUL case in the API's URL, a form or a JSON body is a 400 and records nothing; the ledger still verifies")
        func nulCase() async throws {
            let f = try await Fixture.shared.value
            let reg = f.registerA.id
            try await f.app().test(.router) { client in
                // The review's request: signed in, banner not even acknowledged.
                let login = try await client.login(f.clerk.id)
                let token = try #require(login.json["token"] as? String)
                let fresh: HTTPFields = [.authorization: "Bearer " + token]
                let auth = try await client.ready(f.clerk.id)
                let before = try f.store.ledgerSize()
                for (headers, uri) in [(fresh, "/api/v1/registers/\(reg)?case=%00"), (auth, "/api/v1/registers/\(reg)?case=%00"),
                                       (auth, "/api/v1/registers/\(reg)?case=C1%1F"), (auth, "/api/v1/registers/R%00"),
                                       (auth, "/api/v1/registers?name=%00"), (auth, "/api/v1/registers?kana=%E3%81%82%00")] {
                    let r = try await client.get(uri, headers)
                    #expect(r.status == .badRequest, "\(uri): \(r.status)")
                }
                let json = try await client.postJSON("/api/v1/registers/\(reg)/certificates", auth, ["case": "\u{0}", "copies": 1])
                #expect(json.status == .badRequest)
                let note = try await client.postJSON("/api/v1/cases", auth, ["kind": "certificate.full", "requester": "self",
                                                                             "requesterName": "山田\u{0}太郎", "registers": [reg]])
                #expect(note.status == .badRequest)

                var b = Browser()
                try await b.signIn(client, f.clerk.id)
                let mid = try f.store.ledgerSize()
                let form = try await b.post(client, "/registers/\(reg)/view", ["case": "\u{0}", "record": "current"])
                #expect(form.status == .badRequest)
                #expect(try f.store.ledgerSize() == mid)
                #expect(try controlCharacterInColumns(f, since: before) == false)
                // Nothing but the sign-ins and the banner went to the ledger.
                let kinds = try f.entries(since: before).compactMap { $0["kind"] as? String }
                #expect(Set(kinds).isSubset(of: ["signin", "banner.ack"]), "\(kinds)")
            }
            await #expect(try LedgerService(store: f.store).verify().entries > 0)
        }

        @Test("F-1: an ID with a control character that reaches the workspace itself is refused and journaled without it")
        func workspaceRefuses() async throws {
            let f = try await Fixture.shared.value
            let token = try await f.workspace.signIn(staffID: f.clerk.id, password: Fixture.password, kind: .api, terminal: "T-test").token
            let actor = try #require(try await f.workspace.actor(token: token, kind: .api))
            let before = try f.store.ledgerSize()
            await #expect(throws: WorkspaceError.self) {
                try await f.workspace.access(actor, .view, .current, register: f.registerA.id, purpose: Purpose(caseID: "C\u{0}1"),
                                             function: "register.view", channel: .api, screen: "test")
            }
            let invalid = try #require(try f.entries(since: before).last { $0["kind"] as? String == "access.invalid" })
            let detail = try #require(invalid["detail"] as? [String: Any])
            #expect(detail["field"] as? String == "case" && detail["value"] as? String == "C\u{FFFD}1")
            #expect(try controlCharacterInColumns(f, since: before) == false)
        }

        @Test("F-2: a worklist page out of range is a 400, not a crash; pages in range still work")
        func pageRange() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                for page in ["9223372036854775807", "184467440737095516", "10001", "-1", "1e3", "abc"] {
                    let r = try await aud.get(client, "/console?filter=open&page=\(page)")
                    #expect(r.status == .badRequest, "page=\(page): \(r.status)")
                }
                for page in ["0", "1", "10000", ""] {
                    let r = try await aud.get(client, "/console?filter=open&page=\(page)")
                    #expect(r.status == .ok, "page=\(page): \(r.status)")
                }
            }
        }
    }
}

/// Issue 18, F-3 and F-5: sign-in cannot starve the server, and a burst of guesses cannot beat the lockout.
@Suite("Password gate")
struct PasswordGateTests {
    @Test("per client address: the attempts over the limit are refused before any hashing; other addresses and the next window are not")
    func throttle() throws {
        let gate = PasswordGate(workers: 1, maxWaiting: 100, perClient: 3, windowSeconds: 60)
        for k in 0..<3 {
            try gate.admit(client: "10.0.0.1", account: "S\(k)", now: 1_000)
            gate.release(client: "10.0.0.1", account: "S\(k)")
        }
        let over = #expect(throws: WorkspaceError.self) { try gate.admit(client: "10.0.0.1", account: "S9", now: 2_000) }
        #expect(over?.code == "signin_throttled")
        try gate.admit(client: "10.0.0.2", account: "S9", now: 2_000)
        gate.release(client: "10.0.0.2", account: "S9")
        try gate.admit(client: "10.0.0.1", account: "S9", now: 61_000)  // the next minute
        gate.release(client: "10.0.0.1", account: "S9")
    }

    @Test("at most workers + waiting attempts at once; one at a time per account and address")
    func bounded() throws {
        let gate = PasswordGate(workers: 1, maxWaiting: 2, perClient: 100, windowSeconds: 60, reserved: 0)
        try gate.admit(client: "a", account: "S1")
        // The same account from the same address again while its check runs: refused.
        let same = #expect(throws: WorkspaceError.self) { try gate.admit(client: "a", account: "S1") }
        #expect(same?.code == "signin_busy")
        // From another address it waits its turn: a stranger's stream of guesses does not keep the clerk's own
        // workstation busy (F-6).
        try gate.admit(client: "b", account: "S1")
        try gate.admit(client: "b", account: "S2")
        let full = #expect(throws: WorkspaceError.self) { try gate.admit(client: "c", account: "S3") }
        #expect(full?.code == "signin_busy")
        gate.release(client: "a", account: "S1")
        try gate.admit(client: "a", account: "S1")
        gate.release(client: "a", account: "S1")
        gate.release(client: "b", account: "S1")
        gate.release(client: "b", account: "S2")
    }

    @Test("retest N-3: a flood from many addresses fills only the unreserved places; a workstation that signed in before still gets one")
    func reservedForKnownAddresses() throws {
        let gate = PasswordGate(workers: 1, maxWaiting: 6, perClient: 100, windowSeconds: 60, reserved: 3)
        gate.trust(client: "10.27.108.1")
        // Strangers: 1 running + 3 waiting, then busy.
        for k in 0..<4 { try gate.admit(client: "203.0.113.\(k)", account: "S\(k)") }
        let busy = #expect(throws: WorkspaceError.self) { try gate.admit(client: "203.0.113.9", account: "S9") }
        #expect(busy?.code == "signin_busy")
        // The clerk's own workstation: a reserved place, three at most.
        for k in 0..<3 { try gate.admit(client: "10.27.108.1", account: "C\(k)") }
        let full = #expect(throws: WorkspaceError.self) { try gate.admit(client: "10.27.108.1", account: "C9") }
        #expect(full?.code == "signin_busy")
        for k in 0..<4 { gate.release(client: "203.0.113.\(k)", account: "S\(k)") }
        for k in 0..<3 { gate.release(client: "10.27.108.1", account: "C\(k)") }
    }

    @Test("fault test: a full disk is said as such (503 storage_full, nothing done), anything else is internal_error; never the cause")
    func unexpectedErrors() {
        struct Failure: Error, CustomStringConvertible { let description: String }
        for text in ["SQLite error 13: database or disk is full - while executing `COMMIT`",
                     "PSQLError: could not extend file \"base/16384/16385\": No space left on device"] {
            let e = WorkspaceError.unexpected(Failure(description: text))
            #expect(e.code == "storage_full" && e.status == .serviceUnavailable)
            #expect(!e.message.contains("16385") && !e.english.contains("SQLite"))
        }
        let other = WorkspaceError.unexpected(Failure(description: "SQLite error 1: no such table: secret_table"))
        #expect(other.code == "internal_error" && other.status == .internalServerError && !other.english.contains("secret"))
    }

    @Test("the gate's check agrees with the hasher")
    func verifies() async throws {
        let gate = PasswordGate(workers: 2)
        let hash = try PasswordHasher.hash("正しい馬", logN: 10)
        #expect(await gate.verify("正しい馬", hash: hash))
        #expect(await gate.verify("違う馬", hash: hash) == false)
    }
}

extension AllWebTests.HardeningTests {
    /// Clerks no other test signs in as: not the fixture's, not the first other clerk (`lockoutRace`), not the last
    /// ones (the role matrix's off-duty and unacknowledged columns); each with the fixture's password.
    static func spareClerks(_ f: Fixture, _ n: Int, skipping: Int) throws -> [Staff] {
        let used: Set<String> = [f.clerk.id, f.clerk2.id, f.supervisor.id, f.trainee.id, f.auditor.id, f.lockoutVictim.id]
        let clerks = try f.store.staffMembers(office: nil, role: .clerk).filter { !used.contains($0.id) }
        let spare = Array(clerks.dropFirst(1 + skipping).dropLast(4).prefix(n))
        try #require(spare.count == n, "the fixture city has too few clerks")
        for s in spare { try f.store.setPasswordHash(staff: s.id, hash: try PasswordHasher.hash(Fixture.password, logN: 10)) }
        return spare
    }

    /// `count` wrong guesses at once for `staff` from `addresses` (round robin), each retried while the server says it
    /// is busy; returns the `bad_password` entries journaled (the passwords actually checked).
    static func burst(_ f: Fixture, _ workspace: Workspace, _ staff: String, count: Int, addresses: [String]) async throws -> Int {
        let before = try f.store.ledgerSize()
        await withTaskGroup(of: Void.self) { group in
            for k in 0..<count {
                group.addTask {
                    // As an attacker would: try again while the server says it is busy with this account.
                    for _ in 0..<10_000 {
                        do {
                            _ = try await workspace.signIn(staffID: staff, password: "wrong-\(k)", kind: .api, terminal: "T-race",
                                                           client: addresses[k % addresses.count])
                            return
                        } catch let e as WorkspaceError where e.code == "signin_busy" {
                            await Task.yield()
                        } catch {
                            return
                        }
                    }
                }
            }
        }
        return try f.entries(since: before).filter {
            $0["kind"] as? String == "signin.failed" && $0["staff"] as? String == staff
                && ($0["detail"] as? [String: Any])?["reason"] as? String == "bad_password"
        }.count
    }

    @Test("F-5: twenty guesses at once from one address: no more password checks than the lockout allows, then that address is locked, even with the right password")
    func lockoutRace() async throws {
        let f = try await Fixture.shared.value
        let used: Set<String> = [f.clerk.id, f.clerk2.id, f.supervisor.id, f.trainee.id, f.auditor.id, f.lockoutVictim.id]
        let target = try #require(try f.store.staffMembers(office: nil, role: .clerk).first { !used.contains($0.id) })
        try f.store.setPasswordHash(staff: target.id, hash: try PasswordHasher.hash(Fixture.password, logN: 10))
        let workspace = f.workspace
        let checked = try await Self.burst(f, workspace, target.id, count: 20, addresses: ["10.1.0.1"])
        #expect(checked <= f.workspace.config.lockoutAfter, "\(checked) guesses were checked")
        // Locked now at that address: the right password is refused too.
        await #expect(throws: WorkspaceError.self) {
            _ = try await workspace.signIn(staffID: target.id, password: Fixture.password, kind: .api, terminal: "T-race", client: "10.1.0.1")
        }
        try f.store.clearFailedSignIns(staff: target.id)
    }

    @Test("F-6: a stranger's guesses lock out the stranger's address, not the clerk at their own workstation; the answer stays word for word the same")
    func lockoutPerAddress() async throws {
        let f = try await Fixture.shared.value
        let victim = try Self.spareClerks(f, 1, skipping: 0)[0]
        let workspace = f.workspace
        let before = try f.store.ledgerSize()
        for _ in 0..<f.workspace.config.lockoutAfter {
            await #expect(throws: WorkspaceError.self) {
                _ = try await workspace.signIn(staffID: victim.id, password: "guess", kind: .web, terminal: "T-x", client: "203.0.113.9")
            }
        }
        // The stranger's address is locked out, and is told exactly what a wrong password or an unknown ID is told.
        var locked: WorkspaceError?
        do {
            _ = try await workspace.signIn(staffID: victim.id, password: Fixture.password, kind: .web, terminal: "T-x", client: "203.0.113.9")
        } catch let e as WorkspaceError { locked = e }
        var unknown: WorkspaceError?
        do {
            _ = try await workspace.signIn(staffID: "S99999", password: "guess", kind: .web, terminal: "T-x", client: "203.0.113.9")
        } catch let e as WorkspaceError { unknown = e }
        #expect(locked?.code == "invalid_credentials")
        #expect(locked?.code == unknown?.code && locked?.message == unknown?.message && locked?.english == unknown?.english)
        // The clerk at their own workstation signs in as usual.
        let own = try await workspace.signIn(staffID: victim.id, password: Fixture.password, kind: .web, terminal: "T27108-01",
                                             client: "10.27.108.1")
        #expect(own.session.staff == victim.id)
        // The lock is the stranger's address's, journaled with its scope; the account is not locked for anyone else.
        let rows = try f.store.failedSignIns(staff: victim.id)
        #expect(rows.map(\.address) == ["203.0.113.9"])
        #expect(rows.first?.lockedUntil != nil)
        #expect(try f.store.account(staff: victim.id)?.lockedUntil == nil)
        let e = try f.entries(since: before)
        let lock = try #require(e.first { $0["kind"] as? String == "account.locked" && $0["staff"] as? String == victim.id })
        #expect((lock["detail"] as? [String: Any])?["scope"] as? String == "address")
        #expect(e.contains {
            $0["kind"] as? String == "signin.failed" && ($0["detail"] as? [String: Any])?["reason"] as? String == "locked"
        })
    }

    @Test("Retest N-2: the break-the-glass password re-entry is counted as sign-ins are: the address locks, the session ends, and the right password no longer opens")
    func breakGlassReentryIsCounted() async throws {
        let f = try await Fixture.shared.value
        let clerk = try Self.spareClerks(f, 1, skipping: 2)[0]
        let workspace = f.workspace
        let (token, _) = try await workspace.signIn(staffID: clerk.id, password: Fixture.password, kind: .web,
                                                    terminal: "T-x", client: "198.51.100.7")
        let actor = try #require(try await workspace.actor(token: token, kind: .web))
        let register = f.registerB.id
        let purpose = Purpose(reason: "「窓口・電話での確認」：本人確認のため")
        let before = try f.store.ledgerSize()
        // The right password is accepted, and gives the failures back.
        try await workspace.confirmPassword(actor, Fixture.password, client: "198.51.100.7", register: register,
                                            record: .current, purpose: purpose)
        var codes: [String] = []
        for k in 0..<(workspace.config.lockoutAfter + 2) {
            do {
                try await workspace.confirmPassword(actor, "guess-\(k)", client: "198.51.100.7", register: register,
                                                    record: .current, purpose: purpose)
                codes.append("opened")
            } catch let e as WorkspaceError { codes.append(e.code) }
        }
        // Wrong, wrong, … until the limit; the check that reaches it locks the address and ends the session.
        #expect(codes.prefix(workspace.config.lockoutAfter - 1).allSatisfy { $0 == "password_wrong" }, "\(codes)")
        #expect(codes[workspace.config.lockoutAfter - 1] == "password_locked", "\(codes)")
        #expect(try await workspace.actor(token: token, kind: .web) == nil)
        // The right password no longer opens from that address; the refusal is recorded each time.
        await #expect(throws: WorkspaceError.self) {
            try await workspace.confirmPassword(actor, Fixture.password, client: "198.51.100.7", register: register,
                                                record: .current, purpose: purpose)
        }
        let e = try f.entries(since: before)
        let lock = try #require(e.first { $0["kind"] as? String == "account.locked" && $0["staff"] as? String == clerk.id })
        #expect((lock["detail"] as? [String: Any])?["scope"] as? String == "address")
        #expect(e.filter { $0["outcome"] as? String == "denied" && $0["staff"] as? String == clerk.id }.count
                == workspace.config.lockoutAfter + 3)
        // Sign-in from that address is locked too (the same count); from the clerk's own workstation it works.
        await #expect(throws: WorkspaceError.self) {
            _ = try await workspace.signIn(staffID: clerk.id, password: Fixture.password, kind: .web, terminal: "T-x",
                                           client: "198.51.100.7")
        }
        let own = try await workspace.signIn(staffID: clerk.id, password: Fixture.password, kind: .web, terminal: "T27108-02",
                                             client: "10.27.108.2")
        #expect(own.session.staff == clerk.id)
        // Retest R2-2: a lock someone else's guesses set refuses her re-entry from there, but does not end her session.
        let mine = try #require(try await workspace.actor(token: own.token, kind: .web))
        for k in 0..<workspace.config.lockoutAfter {
            _ = try? await workspace.signIn(staffID: clerk.id, password: "stranger-\(k)", kind: .web, terminal: "T-y",
                                            client: "10.27.108.2")
        }
        await #expect(throws: WorkspaceError.self) {
            try await workspace.confirmPassword(mine, Fixture.password, client: "10.27.108.2", register: register,
                                                record: .current, purpose: purpose)
        }
        #expect(try await workspace.actor(token: own.token, kind: .web) != nil)
        try f.store.clearFailedSignIns(staff: clerk.id)
    }

    @Test("Retest N-7: the search recorded is the search run: blanks made one space, a field over 100 characters refused by name, nothing recorded for it")
    func searchRecordsWhatItRuns() async throws {
        let f = try await Fixture.shared.value
        let workspace = f.workspace
        let (token, _) = try await workspace.signIn(staffID: f.clerk.id, password: Fixture.password, kind: .api, terminal: "T-x")
        let actor = try #require(try await workspace.actor(token: token, kind: .api))
        let head = try #require(try f.store.persons(ids: f.registerA.members).first { $0.name.split(separator: " ").count == 2 })
        let parts = head.name.split(separator: " ")
        try #require(parts.count == 2)
        let before = try f.store.ledgerSize()
        // 120 blanks (full-width among them) between surname and given name: the search for the full name, as recorded.
        let padded = parts[0] + String(repeating: " \u{3000}", count: 60) + parts[1]
        let found = try await workspace.search(actor, RegisterQuery(name: String(padded)), channel: .api)
        #expect(found.contains { $0.id == f.registerA.id })
        let e = try #require(try f.entries(since: before).last { $0["type"] as? String == "access" })
        #expect((e["query"] as? [String: Any])?["name"] as? String == head.name)
        #expect((e["results"] as? [String])?.contains(f.registerA.id) == true)
        // Over 100 characters once the blanks are one: refused, naming the field; nothing recorded.
        let mid = try f.store.ledgerSize()
        var refused: WorkspaceError?
        do { _ = try await workspace.search(actor, RegisterQuery(name: String(repeating: "浪", count: 101)), channel: .api) }
        catch let e as WorkspaceError { refused = e }
        #expect(refused?.status == .badRequest && refused?.field == "name")
        #expect(try f.store.ledgerSize() == mid)
    }

    @Test("F-6: a guess spread over many addresses is bounded by the account's ceiling, which locks it for everyone, journaled and on the administrator's page")
    func lockoutCeiling() async throws {
        let f = try await Fixture.shared.value
        let victim = try Self.spareClerks(f, 1, skipping: 1)[0]
        var config = f.workspace.config
        config.accountLockoutAfter = 7
        let workspace = try await Workspace(store: f.store, config: config, committer: f.workspace.committer)
        let before = try f.store.ledgerSize()
        // Twenty addresses, three guesses each allowed by the per-address limit: sixty, were there no ceiling.
        let addresses = (1...20).map { "198.51.100.\($0)" }
        let checked = try await Self.burst(f, workspace, victim.id, count: 60, addresses: addresses)
        #expect(checked == config.accountLockoutAfter, "\(checked) guesses were checked")
        // Locked for everyone now, the clerk's own workstation too.
        await #expect(throws: WorkspaceError.self) {
            _ = try await workspace.signIn(staffID: victim.id, password: Fixture.password, kind: .web, terminal: "T27108-01",
                                           client: "10.27.108.2")
        }
        let e = try f.entries(since: before)
        let locks = e.filter { $0["kind"] as? String == "account.locked" && $0["staff"] as? String == victim.id
            && ($0["detail"] as? [String: Any])?["scope"] as? String == "account" }
        #expect(locks.count == 1)
        #expect(try f.store.lockedAccounts(at: Workspace.nowMillis()).map(\.staff).contains(victim.id))
        // The administrator's page lists it.
        try await f.app().test(.router) { client in
            let all = try f.store.staffMembers(office: nil, role: .administrator)
            let admin = try #require(all.last)
            try f.store.setPasswordHash(staff: admin.id, hash: try PasswordHasher.hash(Fixture.password, logN: 10))
            var b = Browser()
            try await b.signIn(client, admin.id)
            let page = try await b.get(client, "/admin")
            #expect(page.status == .ok)
            #expect(page.text.contains(victim.id))
        }
        // A new password lifts it.
        try f.store.setPasswordHash(staff: victim.id, hash: try PasswordHasher.hash(Fixture.password, logN: 10))
        let again = try await workspace.signIn(staffID: victim.id, password: Fixture.password, kind: .web, terminal: "T27108-01",
                                               client: "10.27.108.2")
        #expect(again.session.staff == victim.id)
    }

    @Test("F-9: failures anyone can cause (unknown IDs) are journaled at most 60 a minute, each counting those skipped")
    func unknownFailuresCapped() async throws {
        let f = try await Fixture.shared.value
        // A workspace of its own: the cap is per server, and the other tests' sign-in failures must still be journaled.
        var config = f.workspace.config
        config.anonymousSignInFailuresJournaledPerMinute = RefusalJournalCap.perMinute
        let workspace = try await Workspace(store: f.store, config: config, committer: f.workspace.committer)
        let before = try f.store.ledgerSize()
        for k in 0..<150 {
            _ = try? await workspace.signIn(staffID: "NOSUCH\(k)", password: "x", kind: .api, terminal: "T-cap", client: "10.2.\(k / 250).\(k % 250)")
        }
        let journaled = try f.entries(since: before).filter { $0["kind"] as? String == "signin.failed" }
        // One minute's cap, or two if the loop crossed a minute boundary.
        #expect(journaled.count <= 2 * RefusalJournalCap.perMinute, "\(journaled.count)")
    }
}

extension AllWebTests.HardeningTests {
    @Test("F-16: /metrics for the configured scraper token (and auditors), not for a wrong token")
    func metricsToken() async throws {
        let f = try await Fixture.shared.value
        var config = f.workspace.config
        config.metricsToken = "scrape-secret-0123"
        let workspace = try await Workspace(store: f.store, config: config, committer: f.workspace.committer)
        let app = Application(router: WebApp.router(workspace: workspace, templates: try await WebApp.templates()))
        try await app.test(.router) { client in
            let good = try await client.get("/metrics", [.authorization: "Bearer scrape-secret-0123"])
            #expect(good.status == .ok && good.text.contains("# TYPE"))
            let bad = try await client.get("/metrics", [.authorization: "Bearer scrape-secret-0124"])
            #expect(bad.status == .unauthorized)
        }
    }

    @Test("F-13: a survey nobody has answered (just opened, or mistyped) is a page saying so, not a 500")
    func surveyWithoutAnswers() async throws {
        let f = try await Fixture.shared.value
        try await f.app().test(.router) { client in
            var aud = Browser()
            try await aud.signIn(client, f.auditor.id)
            let nope = try await aud.get(client, "/console/survey?survey=nope")
            #expect(nope.status == .ok)
            #expect(nope.text.contains("id=\"no-answers\""))
            let opened = try await aud.post(client, "/console/survey", ["survey": "matrix-2026"])
            #expect(opened.status == .seeOther)
            let page = try await aud.get(client, "/console/survey?survey=matrix-2026")
            #expect(page.status == .ok && page.text.contains("id=\"no-answers\""))
        }
    }
}

extension AllWebTests.HardeningTests {
    @Test("F-7: a console page or an entry bundle asked for by another site's page is refused and journals no view; same-origin, typed and header-less requests work")
    func crossOriginViews() async throws {
        let f = try await Fixture.shared.value
        try await f.app().test(.router) { client in
            var aud = Browser()
            try await aud.signIn(client, f.auditor.id)
            let person = f.registerA.members[0]
            for site in ["same-site", "cross-site"] {
                let before = try f.store.ledgerSize()
                var h = aud.headers
                h[HTTPField.Name("Sec-Fetch-Site")!] = site
                let r = try await client.execute(uri: "/console/persons/\(person)", method: .get, headers: h)
                #expect(r.status == .forbidden, "\(site)")
                let bundle = try await client.execute(uri: "/ledger/tile/entries/000", method: .get, headers: h)
                #expect(bundle.status == .forbidden, "\(site)")
                #expect(try f.entries(since: before).isEmpty, "\(site): something was journaled")
            }
            for site in ["same-origin", "none"] {
                var h = aud.headers
                h[HTTPField.Name("Sec-Fetch-Site")!] = site
                let r = try await client.execute(uri: "/console/persons/\(person)", method: .get, headers: h)
                #expect(r.status == .ok, "\(site)")
            }
            #expect(try await aud.get(client, "/console/persons/\(person)").status == .ok)
        }
    }
}

/// Issue 18, F-17: the multipart reader.
@Suite("Multipart reader")
struct MultipartTests {
    @Test("boundaries follow RFC 2046 (1–70 characters of a small set); a 60,000-dash boundary is refused")
    func boundaries() {
        #expect(Multipart.isValidBoundary("----WebKitFormBoundary7MA4YWxkTrZu0gW"))
        #expect(Multipart.isValidBoundary(String(repeating: "-", count: 70)))
        #expect(!Multipart.isValidBoundary(String(repeating: "-", count: 71)))
        #expect(!Multipart.isValidBoundary(String(repeating: "-", count: 60_000)))
        #expect(!Multipart.isValidBoundary(""))
        #expect(!Multipart.isValidBoundary("abc "))
        #expect(!Multipart.isValidBoundary("a\u{0}b"))
    }

    @Test("find matches in place, from an offset, and not past the end")
    func find() {
        let hay = Array("--x\r\n--xy--x".utf8)
        #expect(Multipart.find(hay, Array("--x".utf8), from: 0) == 0)
        #expect(Multipart.find(hay, Array("--x".utf8), from: 1) == 5)
        #expect(Multipart.find(hay, Array("--xy".utf8), from: 0) == 5)
        #expect(Multipart.find(hay, Array("--x".utf8), from: 6) == 9)
        #expect(Multipart.find(hay, Array("--xz".utf8), from: 0) == nil)
        #expect(Multipart.find(hay, Array("y--x".utf8), from: 8) == 8)
        #expect(Multipart.find(hay, Array("y--x".utf8), from: 9) == nil)
    }

    @Test("parts: fields and a file come back whole")
    func parts() {
        let body = Array("--B\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n聴取の記録\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc\r\n--B--\r\n".utf8)
        let p = Multipart.parts(body, boundary: "B")
        #expect(p.count == 2)
        #expect(p[0].name == "text" && String(decoding: p[0].body, as: UTF8.self) == "聴取の記録")
        #expect(p[1].filename == "a.txt" && p[1].body == Array("abc".utf8))
    }
}

extension AllWebTests.HardeningTests {
    @Test("F-17: an interview upload with an over-long boundary is a 400 before any parsing")
    func longBoundary() async throws {
        let f = try await Fixture.shared.value
        try await f.app().test(.router) { client in
            var aud = Browser()
            try await aud.signIn(client, f.auditor.id)
            var h = aud.headers
            h[.contentType] = "multipart/form-data; boundary=" + String(repeating: "-", count: 60_000)
            let r = try await client.execute(uri: "/console/investigations/NOSUCH/entries", method: .post, headers: h,
                                             body: ByteBuffer(string: String(repeating: "-", count: 1000)))
            #expect(r.status == .badRequest || r.status == .notFound, "\(r.status)")
        }
    }
}

@Suite("Terminal identity")
struct TerminalIdentityTests {
    @Test("F-11: a terminal name the client gives is recorded with the socket address beside it; a bad name is ignored")
    func terminal() {
        #expect(APIRoutes.terminal(named: "T27103-01", address: "10.0.0.5") == "T27103-01@ip:10.0.0.5")
        #expect(APIRoutes.terminal(named: "T27103-01", address: nil) == "T27103-01")
        #expect(APIRoutes.terminal(named: nil, address: "10.0.0.5") == "ip:10.0.0.5")
        #expect(APIRoutes.terminal(named: "T 1; drop", address: "10.0.0.5") == "ip:10.0.0.5")
        #expect(APIRoutes.terminal(named: String(repeating: "T", count: 33), address: nil) == "local")
    }
}

@Suite("Client address behind a proxy")
struct ClientAddressTests {
    @Test("X-Forwarded-For is believed only from a configured proxy, and then only its last hop")
    func forwarded() {
        let proxy: Set<String> = ["10.0.0.1"]
        // From the proxy: the address it added (the last), not what the client claimed before it.
        #expect(Workspace.clientAddress(socket: "10.0.0.1", forwardedFor: ["1.2.3.4, 198.51.100.7"], trusted: proxy) == "198.51.100.7")
        #expect(Workspace.clientAddress(socket: "10.0.0.1", forwardedFor: ["1.2.3.4", "2001:db8::7"], trusted: proxy) == "2001:db8::7")
        // From anyone else the header is ignored.
        #expect(Workspace.clientAddress(socket: "198.51.100.9", forwardedFor: ["1.2.3.4"], trusted: proxy) == "198.51.100.9")
        #expect(Workspace.clientAddress(socket: "198.51.100.9", forwardedFor: ["1.2.3.4"], trusted: []) == "198.51.100.9")
        // A proxy that sent nothing usable: its own address.
        #expect(Workspace.clientAddress(socket: "10.0.0.1", forwardedFor: [], trusted: proxy) == "10.0.0.1")
        #expect(Workspace.clientAddress(socket: "10.0.0.1", forwardedFor: ["<script>"], trusted: proxy) == "10.0.0.1")
        #expect(Workspace.clientAddress(socket: nil, forwardedFor: ["1.2.3.4"], trusted: proxy) == nil)
    }
}

extension AllWebTests.HardeningTests {
    @Test("F-18: a method a known path does not take is a 405 with Allow (TRACE too); an unknown path and a handler's 404 stay 404")
    func methodNotAllowed() async throws {
        let f = try await Fixture.shared.value
        try await f.app().test(.router) { client in
            let auth = try await client.ready(f.clerk.id)
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.trace, "/api/v1/registers/\(f.registerA.id)", "GET"),
                (.put, "/api/v1/registers/\(f.registerA.id)", "GET"),
                (.delete, "/api/v1/cases", "GET, POST"),
                (.get, "/api/v1/login", "POST"),
                (.patch, "/api/v1/approvals/A1/approve", "POST"),
                (.trace, "/api/v1/ledger/checkpoint", "GET"),
                (.put, "/ledger/checkpoint", "GET"),
                (.trace, "/signin", "GET, POST"),
                (.delete, "/console/investigations/INV-1", "GET"),
                (.options, "/healthz", "GET"),
            ]
            for (method, uri, allow) in cases {
                let r = try await client.execute(uri: uri, method: method, headers: auth)
                #expect(r.status == .methodNotAllowed, "\(method) \(uri): \(r.status)")
                #expect(r.headers[.allow] == allow, "\(method) \(uri): \(r.headers[.allow] ?? "no Allow")")
                if uri.hasPrefix("/api/") {
                    #expect(r.errorCode == "method_not_allowed", "\(method) \(uri)")
                } else {
                    #expect(r.text.contains("<code>method_not_allowed</code>"), "\(method) \(uri)")
                }
            }
            // Nothing matches: still 404. A route's own 404 (a case that is not there) stays a 404 too.
            #expect(try await client.execute(uri: "/api/v1/nothing-here", method: .trace, headers: auth).status == .notFound)
            #expect(try await client.execute(uri: "/nothing-here", method: .get).status == .notFound)
            #expect(try await client.get("/api/v1/cases/NO-SUCH-CASE", auth).status == .notFound)
            // The methods the path does take still work.
            #expect(try await client.get("/api/v1/registers/\(f.registerA.id)?reason=\(percentEncode("電話照会への回答のため"))", auth).status == .ok)
        }
    }

    @Test("F-18: the published schema states what the server enforces: ID length and characters, case kinds, required bodies")
    func schemaStatesTheLimits() throws {
        let text = try String(contentsOfFile: WebApp.resourceDirectory + "/Static/openapi.yaml", encoding: .utf8)
        // One ID schema, as long as the interchange format's IDs, without control characters; every `{id}` uses it.
        #expect(text.contains("maxLength: \(RecordDecoder.maxIDBytes)"))
        #expect(text.contains(#"pattern: "^[^\\u0000-\\u001F\\u007F-\\u009F]*$""#))
        #expect(!text.contains("- {name: id, in: path, required: true, schema: {type: string}}"))
        #expect(text.components(separatedBy: ##"- {name: id, in: path, required: true, schema: {$ref: "#/components/schemas/Id"}}"##).count - 1 == 7)
        // The case kinds are the server's, no more and no fewer.
        let start = try #require(text.range(of: "enum: [notification.birth"))
        let end = try #require(text[start.upperBound...].firstIndex(of: "]"))
        let listed = Set(("notification.birth" + text[start.upperBound..<end]).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(listed == Set(CaseKind.allCases.map(\.rawValue)))
        // Every operation whose body the server needs says so.
        for path in ["/login:", "/registers/{id}/certificates:", "/registers/{id}/updates:", "/approvals:"] {
            let at = try #require(text.range(of: "\n  " + path))
            let next = text[at.upperBound...].range(of: "\n  /")?.lowerBound ?? text.endIndex
            let op = text[at.upperBound..<next]
            let body = try #require(op.range(of: "requestBody:"), "\(path)")
            #expect(op[body.upperBound...].hasPrefix("\n        required: true"), "\(path)")
        }
        let cases = try #require(text.range(of: "summary: Take in a case"))
        let body = try #require(text[cases.upperBound...].range(of: "\n      requestBody:"))
        #expect(!text[cases.upperBound..<body.lowerBound].contains("\n    get:"), "POST /cases has its own requestBody")
        #expect(text[body.upperBound...].hasPrefix("\n        required: true"))
    }
}
