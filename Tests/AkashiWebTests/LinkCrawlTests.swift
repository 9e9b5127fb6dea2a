import AkashiDomain
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    /// Issue 19, "Done when": no 500 on any workspace or console page under a crawl of every link as each role. Each
    /// role signs in and follows every link on every page it reaches (GET only, this server's paths), breadth first;
    /// a page kind with thousands of instances (a finding, a staff timeline) is followed for its first instances.
    @Suite("Every link, as each role")
    struct LinkCrawlTests {
        /// The links of a page: `href="/…"` values, HTML-unescaped, without their fragment.
        static func links(_ html: String) -> [String] {
            var out: [String] = []
            var rest = Substring(html)
            while let r = rest.range(of: "href=\"") {
                rest = rest[r.upperBound...]
                guard let end = rest.firstIndex(of: "\"") else { break }
                var link = String(rest[..<end]).replacingOccurrences(of: "&amp;", with: "&")
                rest = rest[end...]
                if let hash = link.firstIndex(of: "#") { link = String(link[..<hash]) }
                guard link.hasPrefix("/"), !link.hasPrefix("//") else { continue }
                out.append(link)
            }
            return out
        }

        /// A page's kind: its path with every segment after the second that holds a digit folded (findings, staff,
        /// registers, investigations, pages of a list), so that each kind is followed a bounded number of times.
        static func kind(_ link: String) -> String {
            let path = link.split(separator: "?").first.map(String.init) ?? link
            let parts = path.split(separator: "/").enumerated().map { k, s in k >= 1 && s.contains(where: \.isNumber) ? "#" : String(s) }
            return parts.joined(separator: "/")
        }

        @Test("no 5xx on any page reached by links from the menu (and the console) as clerk, supervisor, trainee and auditor")
        func crawl() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            try await f.app().test(.router) { client in
                var crawled = 0
                for staff in [f.clerk, f.supervisor, f.trainee, f.auditor] {
                    var b = Browser()
                    try await b.signIn(client, staff.id)
                    var queue = ["/menu", "/survey"] + (staff.role == .auditor ? ["/console", "/audit", "/console/dashboard"] : [])
                    var seen = Set(queue)
                    var perKind: [String: Int] = [:]
                    var n = 0
                    while !queue.isEmpty, n < 400 {
                        let link = queue.removeFirst()
                        // Leaving the session or downloading a bundle of entries is not browsing.
                        if link.hasPrefix("/signout") || link.hasPrefix("/static/") || link.hasPrefix("/ledger/tile") { continue }
                        let r = try await b.get(client, link)
                        n += 1
                        #expect(r.status.code < 500, "\(staff.role) GET \(link): \(r.status.code)")
                        guard r.headers[.contentType]?.hasPrefix("text/html") == true else { continue }
                        for next in Self.links(r.text) where !seen.contains(next) {
                            seen.insert(next)
                            let k = Self.kind(next)
                            guard perKind[k, default: 0] < 8 else { continue }
                            perKind[k, default: 0] += 1
                            queue.append(next)
                        }
                    }
                    #expect(n > 5, "\(staff.role) reached only \(n) pages")
                    print("link crawl as \(staff.role): \(n) pages, \(perKind.count) kinds")
                    crawled += n
                }
                // The resident page and its links, with no session at all.
                var anon = Browser()
                for link in ["/resident", "/signin", "/no-such-page", "/healthz"] {
                    let r = try await anon.get(client, link)
                    #expect(r.status.code < 500, "anonymous GET \(link): \(r.status.code)")
                }
                print("link crawl: \(crawled) pages as four roles")
            }
        }
    }
}
