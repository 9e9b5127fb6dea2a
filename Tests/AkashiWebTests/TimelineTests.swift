import AkashiAudit
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
    /// Issue 19: a staff timeline stopped at 2,000 rows, oldest first, and the newest months were missing
    /// without a word.
    @Suite("Staff timeline")
    struct TimelineTests {
        @Test("newest first, a page at a time, with a link to the older ones while they follow; the pages meet without a gap")
        func pages() async throws {
            let f = try await Fixture.shared.value
            _ = try await AuditService(store: f.store).run()
            var perStaff: [String: Int] = [:]
            try f.store.forEachFinding(FindingFilter()) { perStaff[$0.finding.staff, default: 0] += 1 }
            let (staff, total) = try #require(perStaff.max { $0.value < $1.value })
            // The service pages at any size: 100 here, so that the fixture's busiest staff member spans pages.
            let size = 100
            try #require(total > 2 * size, "the fixture needs a staff member with more than two pages (\(total))")
            let audit = AuditService(store: f.store)
            let first = try await audit.timelinePage(staff: staff, page: 0, size: size)
            let second = try await audit.timelinePage(staff: staff, page: 1, size: size)
            #expect(first.rows.count == size && first.more && second.rows.count == size)
            let times = (first.rows + second.rows).map(\.finding.at.millis)
            #expect(times == times.sorted(by: >), "not newest first")
            // Page 1 continues where page 0 stopped: together they are the newest 2 × size, in order.
            var all: [StoredFinding] = []
            try f.store.forEachFinding(FindingFilter(staff: staff, order: .newest)) { all.append($0) }
            #expect(all.count == total)
            #expect((first.rows + second.rows).map(\.finding.access) == all.prefix(2 * size).map(\.finding.access))
            let last = try await audit.timelinePage(staff: staff, page: (total - 1) / size, size: size)
            #expect(!last.more && last.rows.count == total - ((total - 1) / size) * size)
            // The page an auditor sees: the newest first, the whole of it (under 500), no link to older ones.
            let pageSize = ConsoleRoutes.timelinePageSize
            let newest = try #require(all.first).finding.access
            let oldest = try #require(all.last).finding.access
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page0 = try await aud.get(client, "/console/staff/\(staff)")
                #expect(page0.status == .ok)
                #expect(page0.text.contains("新しい順の 1〜\(min(total, pageSize)) 件目"))
                #expect(page0.text.contains("id=\"older\"") == (total > pageSize))
                #expect(!page0.text.contains("id=\"newer\""))
                let body = page0.text
                if total <= pageSize, let n = body.range(of: newest), let o = body.range(of: oldest) {
                    #expect(n.lowerBound < o.lowerBound, "the newest access is not listed first")
                }
                #expect(try await aud.get(client, "/console/staff/\(staff)?page=99999").status == .badRequest)
            }
        }
    }
}
