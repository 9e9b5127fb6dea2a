import AkashiDomain
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    /// Issue 19, item 9 (R-1, R-4, R-5, R-6): the resident's page and letter are the municipality's, say why each
    /// access was made and where to ask, and read on a phone.
    @Suite("The resident's page and letter")
    struct ResidentPageTests {
        static let contact = ResidentContact(municipality: "試験市", desk: "試験市 市民課 戸籍係（電話 00-0000-0000）",
                                             pageURL: "https://kiroku.shiken.example.jp/resident")

        /// The fixture's store behind a workspace that knows the municipality's contact.
        func app(_ f: Fixture) async throws -> some ApplicationProtocol {
            var config = f.workspace.config
            config.residentContact = Self.contact
            let workspace = try await Workspace(store: f.store, config: config)
            return Application(router: WebApp.router(workspace: workspace, templates: try await WebApp.templates()))
        }

        @Test("the page is the municipality's, not the staff workspace's: its name, what the page is, where to ask; no staff menu or staff warning")
        func residentChrome() async throws {
            let f = try await Fixture.shared.value
            try await app(f).test(.router) { client in
                var r = Browser()
                let form = try await r.get(client, "/resident")
                #expect(form.status == .ok)
                for wanted in ["試験市", "戸籍等の閲覧履歴の確認", "市民課 戸籍係（電話 00-0000-0000）", "開示）」の通知に印刷された確認コード"] {
                    #expect(form.text.contains(wanted), "\(wanted)")
                }
                for staffOnly in ["href=\"/menu\"", "戸籍事務ワークスペース", "業務以外での利用は禁止", "この画面の操作はすべて記録されます"] {
                    #expect(!form.text.contains(staffOnly), "\(staffOnly)")
                }
            }
        }

        @Test("the history says why each access was made, in 和暦 and words (no ISO times, staff or register IDs), labelled for a phone, with where to ask")
        func residentHistory() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerA.members[0]
            let issued = try await AccessCodeService(store: f.store).create(
                person: person, from: LocalDate(year: 2000, month: 1, day: 1)!,
                to: Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).jstDate)
            try await app(f).test(.router) { client in
                var r = Browser()
                _ = try await r.get(client, "/resident")
                let page = try await r.follow(client, try await r.post(client, "/resident", ["code": issued.code]))
                #expect(page.status == .ok)
                let text = page.text
                #expect(text.contains("id=\"resident-title\""))
                #expect(text.contains("目的 <span lang=\"en\">Purpose</span>"))
                // Every row of an office table has a purpose from the records, and every cell a label for the phone layout.
                let purposes = ["の交付請求", "の処理", "職権訂正", "公用照会への回答", "その他", "職員が理由を記入した閲覧", "業務文書の記録なし"]
                let rows = text.components(separatedBy: "<td data-label=\"目的\">").dropFirst()
                #expect(!rows.isEmpty)
                for row in rows { #expect(purposes.contains { row.prefix(200).contains($0) }, "\(row.prefix(80))") }
                #expect(text.contains("data-label=\"日時\""))
                #expect(text.contains("平成") || text.contains("令和"))
                #expect(text.range(of: #"\d{4}-\d\d-\d\dT\d\d:"#, options: .regularExpression) == nil, "an ISO time on the page")
                #expect(!text.contains(f.clerk.id) && !text.contains(f.registerA.id))
                #expect(text.contains("心当たりのない閲覧があるときは、試験市 市民課 戸籍係"))
                #expect(!text.contains("戸籍事務ワークスペース"))
            }
        }

        @Test("the letter with a code: addressed, from the municipality, the code first with the page's address, where to ask, the checkpoint last")
        func letter() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerA.members[0]
            try await app(f).test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let letter = try await aud.submit(client, "/console/disclosure/letter", ["kind": "person", "subject": person,
                                                                                         "from": "2000-01-01", "to": "2030-12-31"])
                #expect(letter.status == .ok)
                let t = letter.text
                let name = try #require(try await f.store.person(id: person)?.name)
                func at(_ s: String) -> String.Index? { t.range(of: s)?.lowerBound }
                let head = try #require(at("class=\"letterhead\"")), addressee = try #require(at("\(name) 様"))
                let url = try #require(at("https://kiroku.shiken.example.jp/resident")), code = try #require(at("class=\"code\""))
                let offices = try #require(at("1. 区役所等ごとの閲覧状況")), ask = try #require(at("心当たりのない閲覧があるとき"))
                let check = try #require(at("記録が正しいことの確かめ方"))
                #expect(head < addressee && addressee < url && url < code && code < offices && offices < ask && ask < check)
                #expect(t.contains("試験市"))
                // The signed checkpoint, when there is one, comes after everything a resident reads.
                if let cp = at("<pre class=\"technical\">") { #expect(check < cp) }
            }
        }
    
        @Test("本人通知 from the console: registering a resident (checked, journaled, confirmed), producing says how many, the print page is never blank")
        func noticesFromTheConsole() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerB.members[0]
            try await app(f).test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console/notices")
                #expect(page.status == .ok)
                #expect(page.text.contains("事前に登録した方に") && page.text.contains("id=\"notice-register\""))
                // Bad input is refused with the field named; nothing is registered.
                let before = try f.store.noticeRegistrations().count
                let unknown = try await aud.post(client, "/console/notices/registrations", ["person": "P9999999", "address": "大阪市北区1-1"])
                #expect(unknown.status == .notFound && unknown.text.contains("その個人 ID の人はいません"))
                let noAddress = try await aud.post(client, "/console/notices/registrations", ["person": person, "address": "  "])
                #expect(noAddress.status == .badRequest && noAddress.text.contains("送付先"))
                let badDate = try await aud.post(client, "/console/notices/registrations",
                                                 ["person": person, "address": "大阪市北区1-1", "from": "2026-13-40"])
                #expect(badDate.status == .badRequest && badDate.text.contains("登録日"))
                #expect(try f.store.noticeRegistrations().count == before)
                // A registration: journaled, confirmed on the page it redirects to.
                let start = try f.store.ledgerSize()
                let made = try await aud.post(client, "/console/notices/registrations",
                                              ["person": person, "address": "大阪市北区中之島1-3-20", "from": "2000-01-01"])
                #expect(made.status == .seeOther)
                let shown = try await aud.follow(client, made)
                #expect(shown.text.contains("id=\"notices-registered\"") && shown.text.contains("大阪市北区中之島1-3-20"))
                #expect(try f.entries(since: start).contains { $0["kind"] as? String == "notice.register" && $0["subject"] as? String == person })
                // Producing says how many it made (a number in the query is range-checked, not echoed blindly).
                let produced = try await aud.follow(client, try await aud.post(client, "/console/notices/produce", [:]))
                #expect(produced.text.contains("id=\"notices-produced\""))
                let silly = try await aud.get(client, "/console/notices?produced=99999999999999999999999")
                #expect(silly.status == .ok && !silly.text.contains("id=\"notices-produced\""))
                // The print page: one A4 notice per pending notice, or a sentence saying there is none.
                let pending = try await NoticeService(store: f.store).list(pendingOnly: true)
                let print = try await aud.get(client, "/console/notices/print")
                #expect(print.status == .ok)
                if pending.isEmpty {
                    #expect(print.text.contains("印刷する未送付の通知はありません"))
                } else {
                    #expect(print.text.components(separatedBy: "<section class=\"notice\">").count - 1 == pending.count)
                    #expect(print.text.contains("試験市") && print.text.contains("この交付についてのお問い合わせは"))
                }
            }
        }
    
        @Test("the console's disclosure reads in words (no view/ok codes, staff named) and lists the person's codes; a code revoked is journaled and no longer works")
        func codesAndWords() async throws {
            let f = try await Fixture.shared.value
            let person = f.registerA.members[0]
            let other = f.registerB.members[0]
            try await app(f).test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let q = "kind=person&subject=\(person)&from=2000-01-01&to=2030-12-31"
                let letter = try await aud.submit(client, "/console/disclosure/letter", ["kind": "person", "subject": person,
                                                                                         "from": "2000-01-01", "to": "2030-12-31"])
                let code = try #require(letter.text.range(of: "<span class=\"code\">").map { r in String(letter.text[r.upperBound...].prefix(19)) })
                let page = try await aud.get(client, "/console/disclosure?\(q)")
                #expect(page.status == .ok)
                for raw in ["<td>view</td>", "<td>ok</td>", "<td>denied</td>", "<td>search</td>"] { #expect(!page.text.contains(raw), "\(raw)") }
                #expect(page.text.contains("id=\"code-list\"") && page.text.contains("有効（未使用）"))
                let hash = try #require(AccessCodeService.hash(code))
                // Used once by the resident, it still works until it expires, so it can still be revoked from the page
                // (retest N-5: the button was there for unused codes only).
                var first = Browser()
                _ = try await first.get(client, "/resident")
                let used = try await first.post(client, "/resident", ["code": code])
                #expect(used.status == .seeOther)
                let usedPage = try await aud.get(client, "/console/disclosure?\(q)")
                let start0 = try #require(usedPage.text.range(of: "有効（使用あり）"))
                let rest = usedPage.text[start0.upperBound...]
                let row = String(rest[..<(rest.range(of: "</tr>")?.lowerBound ?? rest.endIndex)])
                #expect(row.contains("/console/disclosure/codes/revoke") && row.contains("value=\"\(hash)\""))
                // Not this person's code, or not a code at all: refused, nothing revoked.
                let mine = try await aud.post(client, "/console/disclosure/codes/revoke", ["code": hash, "subject": other])
                #expect(mine.status == .notFound)
                let junk = try await aud.post(client, "/console/disclosure/codes/revoke", ["code": "x", "subject": person])
                #expect(junk.status == .badRequest)
                let start = try f.store.ledgerSize()
                let revoked = try await aud.post(client, "/console/disclosure/codes/revoke",
                                                 ["code": hash, "subject": person, "from": "2000-01-01", "to": "2030-12-31"])
                #expect(revoked.status == .seeOther)
                let after = try await aud.follow(client, revoked)
                #expect(after.text.contains("id=\"code-revoked\"") && after.text.contains("無効（期限切れ・取消済み）"))
                #expect(try f.entries(since: start).contains { $0["kind"] as? String == "access_code.revoke" && $0["subject"] as? String == person })
                let twice = try await aud.post(client, "/console/disclosure/codes/revoke", ["code": hash, "subject": person])
                #expect(twice.status == .conflict)
                // The resident can no longer use it.
                var res = Browser()
                _ = try await res.get(client, "/resident")
                let refused = try await res.post(client, "/resident", ["code": code])
                #expect(refused.status == .forbidden || refused.status == .tooManyRequests)
            }
        }
    }
}
