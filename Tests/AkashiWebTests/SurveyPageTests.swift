import AkashiDomain
import AkashiInterchange
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
    /// Issue 19, item 4 (C-9, A-6): the self-report survey pages.
    @Suite("Self-report survey pages")
    struct SurveyPageTests {
        @Test("no survey open: the clerk's page says so and has no form; an answer sent anyway is not recorded")
        func noneOpen() async throws {
            let f = try await Fixture.shared.value
            try f.store.setConsoleValue("survey.open", "")
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let page = try await clerk.get(client, "/survey")
                #expect(page.status == .ok)
                #expect(page.text.contains("実施中の調査はありません"))
                #expect(!page.text.contains("survey-submit") && !page.text.contains("name=\"declares\""))
                #expect(!page.text.contains("調査 <strong"))
                let before = try f.store.ledgerSize()
                let sent = try await clerk.post(client, "/survey", ["declares": "none"])
                #expect(sent.status == .conflict)
                #expect(sent.text.contains("id=\"survey-not-recorded\""))
                #expect(try f.store.ledgerSize() == before)
            }
        }

        @Test("the answer page shows only what applies: the form until answered, then what was declared")
        func answerPage() async throws {
            let f = try await Fixture.shared.value
            let survey = "ux-\(Workspace.nowMillis())"
            try f.store.setConsoleValue("survey.open", survey)
            try await f.app().test(.router) { client in
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let form = try await clerk.get(client, "/survey")
                #expect(form.text.contains("survey-submit"))
                // Nothing chosen in advance.
                #expect(!form.text.contains(" checked"))
                let missing = try await clerk.post(client, "/survey", ["who1": "誰か"])
                #expect(missing.status == .badRequest)
                #expect(missing.text.contains("id=\"survey-error\""))
                let person = f.registerA.members[0]
                let done = try await clerk.submit(client, "/survey", ["declares": "some", "who1": person, "from1": "2021-04-01",
                                                                       "to1": "2021-05-31", "note1": "親族の住所確認"])
                #expect(done.status == .ok)
                #expect(done.text.contains("id=\"survey-thanks\""))
                #expect(!done.text.contains("id=\"survey-answered\""))
                #expect(!done.text.contains("survey-submit"))
                #expect(done.text.contains("ある（業務以外の閲覧を申告）"))
                let item = try #require(done.text.range(of: "<tr class=\"declared-item\">").map { String(done.text[$0.upperBound...].prefix(200)) })
                #expect(item.contains(person) && item.contains("2021-04-01") && item.contains("親族の住所確認"))
                let later = try await clerk.get(client, "/survey")
                #expect(later.text.contains("id=\"survey-answered\"") && !later.text.contains("id=\"survey-thanks\""))
                // An answer of none shows no table of items.
                var other = Browser()
                try await other.signIn(client, f.clerk2.id)
                let none = try await other.submit(client, "/survey", ["declares": "none"])
                #expect(none.text.contains("<dd id=\"survey-declared\">ない"))
                #expect(!none.text.contains("declared-item"))
            }
        }

        @Test("要確認の閲覧 shows the first 20 and says 「ほか N 件」 with a link to the timeline; 20 or fewer, no such line")
        func cutList() async throws {
            let f = try await Fixture.shared.value
            func flagged(_ n: Int) -> [FlaggedAccess] {
                (0..<n).map { FlaggedAccess(access: "E\($0)", at: "2014-01-01T10:00:00+09:00", date: "2014-01-01", person: "P1",
                                            register: "R1", office: "27108", score: 0.9, reasons: ["no_case"], item: nil) }
            }
            let r = Reconciliation(survey: "2014-02", declaredAndFound: [], undeclaredFound: ["S1", "S2"], declaredNotFound: [],
                                   details: ["S1": StaffReconciliation(staff: "S1", declares: "missing", submitted: nil, items: [],
                                                                       flagged: flagged(115), matched: 0, undeclared: 115),
                                             "S2": StaffReconciliation(staff: "S2", declares: "none", submitted: nil, items: [],
                                                                       flagged: flagged(20), matched: 0, undeclared: 20)])
            let pages = Pages(workspace: f.workspace, templates: try await WebApp.templates())
            let text = pages.render("console_survey", ["survey": "2014-02", "groups": ConsoleRoutes.surveyGroups(r)])
            #expect(text.contains("ほか 95 件"))
            #expect(text.contains("href=\"/console/staff/S1\""))
            #expect(text.components(separatedBy: "/console/findings/").count - 1 == 40)
            #expect(text.components(separatedBy: "class=\"more\"").count - 1 == 1)
            #expect(text.contains("未回答 <span lang=\"en\">no answer</span>") && text.contains("なし <span lang=\"en\">none</span>"))
            #expect(!text.contains("undeclared_found") && !text.contains(">missing<"))
        }

        @Test("the console lists every survey with answered and not-answered counts, in Japanese, and can close the open one")
        func consoleList() async throws {
            let f = try await Fixture.shared.value
            try await AuditOnce.shared.run(f)
            let survey = "ux-list-\(Workspace.nowMillis())"
            try f.store.setConsoleValue("survey.open", survey)
            for s in [f.clerk, f.clerk2] {
                let r = Record.selfReport(SelfReport(survey: survey, staff: s.id, submitted: Timestamp(millis: Workspace.nowMillis()),
                                                     declares: .none, items: []))
                _ = try await f.store.ingest([IngestItem(record: r, canonical: r.canonicalJSON, raw: [], file: "test", line: 0)])
            }
            let known = try f.store.surveys()
            let imported = try #require(known.filter { $0.survey != survey }.max { $0.answers < $1.answers })
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let page = try await aud.get(client, "/console/survey")
                #expect(page.status == .ok)
                let list = try #require(page.text.range(of: "<table id=\"survey-list\">").map { String(page.text[$0.upperBound...]) })
                for k in known {
                    #expect(list.contains(">\(k.survey)</a>"), "\(k.survey) listed")
                }
                let open = try #require(list.range(of: ">\(survey)</a>").map { String(list[$0.upperBound...].prefix(400)) })
                #expect(open.contains("実施中") && open.contains("<td class=\"answered\">2</td>"))
                let notAnswered = try #require(open.range(of: "<td class=\"not-answered\">").map { open[$0.upperBound...].prefix { $0 != "<" } })
                #expect((Int(notAnswered) ?? 0) > 0)

                // The imported survey's reconciliation: Japanese labels, and the cut list says how many more.
                let rec = try await aud.get(client, "/console/survey?survey=\(imported.survey)")
                #expect(rec.status == .ok)
                for raw in ["declared_and_found", "undeclared_found", "declared_not_found"] { #expect(!rec.text.contains(raw)) }
                #expect(rec.text.contains("申告あり・検出あり") && rec.text.contains("申告なし・検出あり"))
                var rest = Substring(rec.text)
                var cells = 0
                while let r = rest.range(of: "<td class=\"declares\">") {
                    let label = rest[r.upperBound...].prefix { $0 != " " && $0 != "<" }
                    #expect(["なし", "あり", "未回答"].contains(String(label)), "\(label)")
                    rest = rest[r.upperBound...]
                    cells += 1
                }
                #expect(cells > 0)

                // Closing the open survey: staff then see none open.
                let closed = try await aud.post(client, "/console/survey/close", [:])
                #expect(closed.status == .seeOther)
                #expect(try f.store.consoleValue("survey.open") == "")
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                #expect(try await clerk.get(client, "/survey").text.contains("実施中の調査はありません"))
                let after = try await aud.get(client, "/console/survey")
                #expect(after.text.contains(">\(survey)</a>"))
                #expect(!after.text.contains("id=\"close-survey\""))
            }
        }
    
        @Test("a survey opened with a Japanese title: staff read the title, the ID is made from the date, the title is journaled; bad titles and IDs name the field")
        func japaneseTitle() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                var aud = Browser()
                try await aud.signIn(client, f.auditor.id)
                let long = try await aud.post(client, "/console/survey", ["title": String(repeating: "調", count: 61)])
                #expect(long.status == .badRequest && long.text.contains("60文字"))
                let badID = try await aud.post(client, "/console/survey", ["title": "十二月調査", "survey": "12月"])
                #expect(badID.status == .badRequest && badID.text.contains("調査 ID"))
                let none = try await aud.post(client, "/console/survey", ["title": "", "survey": ""])
                #expect(none.status == .badRequest)
                let start = try f.store.ledgerSize()
                let title = "2026年12月 戸籍閲覧に関する自己申告調査"
                let opened = try await aud.post(client, "/console/survey", ["title": title])
                #expect(opened.status == .seeOther)
                let id = try #require(try f.store.consoleValue("survey.open"))
                #expect(id.hasPrefix("survey-") && id.allSatisfy { $0.isASCII })
                #expect(opened.headers[.location] == "/console/survey?survey=\(id)")
                let journaled = try #require(try f.entries(since: start).first { $0["kind"] as? String == "survey.open" })
                #expect(journaled["subject"] as? String == id && (journaled["detail"] as? [String: Any])?["title"] as? String == title)
                let list = try await aud.get(client, "/console/survey")
                #expect(list.text.contains("\(title) <span class=\"muted\">\(id)</span>"))
                var clerk = Browser()
                try await clerk.signIn(client, f.clerk.id)
                let page = try await clerk.get(client, "/survey")
                #expect(page.text.contains("id=\"survey-name\">\(title)<"))
                _ = try await aud.post(client, "/console/survey/close", [:])
            }
        }
    }
}
