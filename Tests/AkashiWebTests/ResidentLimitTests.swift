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
    @Suite("Resident page: rate limit and refusals in the ledger")
    struct ResidentLimitTests {
        static let wrongCode = "AAAA-BBBB-CCCC-DDDD"

        func denied(_ f: Fixture, since: UInt64) throws -> [[String: Any]] {
            try f.entries(since: since).filter { $0["type"] as? String == "journal" && $0["kind"] as? String == "resident.denied" }
        }

        @Test("refused attempts past the limit add at most limit + 1 ledger entries (then nothing until the window ends)")
        func refusalsPastTheLimitAreNotAllJournaled() async throws {
            let f = try await Fixture.shared.value
            let limit = 5
            // A fresh app: its own limiter, so no earlier test's attempts count.
            try await f.app().test(.router) { client in
                var b = Browser()
                _ = try await b.get(client, "/resident")
                let before = try f.store.ledgerSize()
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<40 {
                    statuses.append(try await b.post(client, "/resident", ["code": Self.wrongCode]).status)
                }
                #expect(statuses.prefix(limit).allSatisfy { $0 == .forbidden })
                #expect(statuses.dropFirst(limit).allSatisfy { $0 == .tooManyRequests })
                let entries = try denied(f, since: before)
                #expect(entries.count <= limit + 1, "\(entries.count) refusals journaled for 40 attempts")
                #expect(entries.filter { $0["subject"] as? String == "code" }.count == limit)
                // The refusal that put the client over the limit is recorded, once, with its reason.
                let limited = entries.filter { $0["subject"] as? String == "rate-limited" }
                #expect(limited.count == 1)
                #expect((limited.first?["detail"] as? [String: Any])?["why"] as? String == "rate_limited")
                #expect(try f.store.ledgerSize() - before == UInt64(limit + 1))
            }
        }

        @Test("concurrent wrong codes from one address cannot get past the limit")
        func concurrentAttemptsStayWithinTheLimit() async throws {
            let f = try await Fixture.shared.value
            let limit = 5
            try await f.app().test(.router) { client in
                var b = Browser()
                _ = try await b.get(client, "/resident")
                let browser = b
                let before = try f.store.ledgerSize()
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<60 {
                        group.addTask {
                            var mine = browser
                            return try await mine.post(client, "/resident", ["code": Self.wrongCode]).status
                        }
                    }
                    var all: [HTTPResponse.Status] = []
                    for try await s in group { all.append(s) }
                    return all
                }
                #expect(statuses.count == 60)
                // Every attempt was either a checked wrong code (403) or refused by the limit (429); at most `limit` checked.
                #expect(statuses.allSatisfy { $0 == .forbidden || $0 == .tooManyRequests })
                #expect(statuses.filter { $0 == .forbidden }.count <= limit, "\(statuses.filter { $0 == .forbidden }.count) codes checked")
                #expect(try denied(f, since: before).filter { $0["subject"] as? String == "code" }.count <= limit)
                #expect(try denied(f, since: before).count <= limit + 1)
            }
        }

        @Test("at most RefusalJournalCap.perMinute refusals are journaled a minute across all clients; the next says how many were not")
        func globalCap() {
            #expect(RefusalJournalCap.perMinute == 60)
            let c = RefusalJournalCap(perMinute: 60)
            let t0: Int64 = 1_800_000_000_000 - 1_800_000_000_000 % 60_000
            var journaled = 0
            for i in 0..<1000 where c.admit(now: t0 + Int64(i * 50)) != nil { journaled += 1 }
            #expect(journaled == 60)
            c.skip()
            // The next minute: journaled again, with the 940 + 1 refusals that were not.
            #expect(c.admit(now: t0 + 60_000) == 941)
            #expect(c.admit(now: t0 + 60_001) == 0)
        }

        @Test("the limiter's map stays within its cap while many addresses come and go, and drops ended windows")
        func limiterMapIsBounded() {
            let cap = 100
            let l = ResidentLimiter(limit: 5, windowMillis: 1000, capacity: cap)
            var most = 0
            // 20,000 addresses, each trying once, all within one window: the cap holds.
            for i in 0..<20_000 {
                #expect(l.attempt("10.0.\(i / 256).\(i % 256)", now: 5000) == .allowed(window: 5000))
                most = max(most, l.count)
            }
            #expect(most <= cap)
            // Addresses coming and going over many windows: the cap holds, and ended windows are dropped.
            for i in 0..<20_000 {
                _ = l.attempt("2001:db8::\(i)", now: 10_000 + Int64(i))
                most = max(most, l.count)
            }
            #expect(most <= cap)
            _ = l.attempt("192.0.2.1", now: 1_000_000)
            #expect(l.count == 1)
        }

        @Test("the limiter: the same limit per address, a window that ends, a right code given back")
        func limiterRules() {
            let l = ResidentLimiter(limit: 5, windowMillis: 15 * 60_000, capacity: 10_000)
            for _ in 0..<5 { #expect(l.attempt("a", now: 1000) == .allowed(window: 1000)) }
            #expect(l.attempt("a", now: 2000) == .refused(first: true, until: 1000 + 15 * 60_000))
            #expect(l.attempt("a", now: 3000) == .refused(first: false, until: 1000 + 15 * 60_000))
            // Another address is not affected.
            #expect(l.attempt("b", now: 3000) == .allowed(window: 3000))
            // After the window: allowed again, and the next refusal is again the first.
            #expect(l.attempt("a", now: 1001 + 15 * 60_000) == .allowed(window: 1001 + 15 * 60_000))
            // A try given back (a right code) does not count.
            let c = l.attempt("c", now: 5000)
            l.giveBack("c", c)
            for _ in 0..<5 { #expect(l.attempt("c", now: 6000) == .allowed(window: 6000)) }
            #expect(l.attempt("c", now: 6000) == .refused(first: true, until: 6000 + 15 * 60_000))
        }

        @Test("the limiter counts concurrent attempts atomically")
        func limiterConcurrent() async {
            let l = ResidentLimiter()
            let allowed = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<500 {
                    group.addTask { if case .allowed = l.attempt("203.0.113.9") { true } else { false } }
                }
                var n = 0
                for await ok in group where ok { n += 1 }
                return n
            }
            #expect(allowed == 5)
        }
    }
}
