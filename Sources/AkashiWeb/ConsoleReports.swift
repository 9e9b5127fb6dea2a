import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

extension ConsoleRoutes {
    // MARK: Disclosure, survey, notices

    func disclosureQuery(_ q: [String: String], auditor: Bool) throws -> DisclosureQuery {
        guard let id = q["subject"]?.trimmed.nonEmpty else {
            throw WorkspaceError.invalid("対象（人または戸籍）を入力してください。", "Give a person or register ID.")
        }
        let today = workspace.now.jstDate
        let from = Self.date(q["from"]) ?? today.adding(days: -365)
        let to = Self.date(q["to"]) ?? today
        guard !(to < from) else { throw WorkspaceError.invalid("期間が正しくありません。", "The period is reversed.") }
        return DisclosureQuery(subject: q["kind"] == "register" ? .register(id) : .person(id), from: from, to: to, auditor: auditor)
    }

    static func params(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { out[String(k)] = String(v) }
        return out
    }

    func disclose(_ q: DisclosureQuery) async throws -> DisclosureReport {
        do { return try await DisclosureService(store: console.store).disclose(q) } catch let e as ReportError {
            throw WorkspaceError(.notFound, "disclosure", "開示書を作れません: \(e.message)", e.message)
        }
    }

    func addReports(to router: Router<WebRequestContext>) {
        router.get("/console/disclosure") { request, _ -> Response in
            let p = Self.params(request)
            let a = try await view(request, p["subject"].map { "disclosure:\($0)" } ?? "disclosure-form")
            var v = base(a, "開示 Disclosure")
            v["q"] = ["subject": p["subject"] ?? "", "from": p["from"] ?? "", "to": p["to"] ?? "",
                      "register": p["kind"] == "register"]
            if p["subject"]?.trimmed.nonEmpty != nil {
                let q = try disclosureQuery(p, auditor: true)
                let r = try await disclose(q)
                let query = "kind=\(p["kind"] == "register" ? "register" : "person")&subject=\(percent(q.subject))&from=\(q.from)&to=\(q.to)"
                let staffNames = Dictionary(try await console.store.staffMembers(office: nil, role: nil).map { ($0.id, $0.name ?? $0.id) },
                                            uniquingKeysWith: { x, _ in x })
                func row(_ e: DisclosedEvent) -> [String: Any] {
                    let outcome = AccessOutcome(rawValue: e.outcome)
                    return ["at": ReportText.dateTime(e.at), "action": ReportText.actionJa(e.action),
                            "record": ReportText.recordJa(e.record), "register": e.register ?? "",
                            "outcome": outcome?.ja ?? e.outcome, "refused": outcome != .ok,
                            "staff": e.staff.map { staffNames[$0].map { n in "\(n)（\(e.staff ?? "")）" } ?? $0 } ?? "",
                            "purpose": e.purpose ?? "", "receipt": e.receipt != nil]
                }
                v["report"] = ["name": r.subject.name ?? "", "id": r.subject.id, "from": ReportText.date(r.period.from),
                               "to": ReportText.date(r.period.to), "fromISO": r.period.from, "toISO": r.period.to,
                               "query": query, "isPerson": r.subject.type == "person",
                               "offices": r.offices.map { o -> [String: Any] in
                                   ["name": o.name, "office": o.office, "accessors": o.accessors, "views": o.counts.values.reduce(0, +),
                                    "searches": o.searches, "prints": o.prints, "refused": o.refused, "hasRefused": o.refused > 0,
                                    "events": o.events.map(row)]
                               },
                               "issuances": r.issuances.count] as [String: Any]
                if case let .person(person) = q.subject {
                    // The one-time codes made for this person: when, for which period, until when, and whether used.
                    let now = workspace.now
                    v["codes"] = try await console.store.accessCodes(person: person, limit: 50).map { c -> [String: Any] in
                        let state = c.expires <= now ? "無効（期限切れ・取消済み）" : c.used != nil ? "有効（使用あり）" : "有効（未使用）"
                        return ["hash": c.hash, "created": ReportText.dateTime(c.created.description),
                                "period": "\(ReportText.date(c.from.description))〜\(ReportText.date(c.to.description))",
                                "expires": ReportText.date(c.expires.description), "state": state,
                                // A code already used can be revoked too (retest N-5): it works again until it expires.
                                "usable": now < c.expires]
                    }
                    v["hasCodes"] = !(v["codes"] as? [[String: Any]] ?? []).isEmpty
                    v["revoked"] = p["revoked"] == "1"
                }
                v["letterForm"] = FormToken.new()
            }
            return pages.page("console_disclosure", v)
        }
        for ext in ["html", "json", "csv"] {
            router.get("/console/disclosure/report.\(ext)") { request, _ -> Response in
                let p = Self.params(request)
                _ = try await view(request, "disclosure.\(ext):\(p["subject"] ?? "")")
                let r = try await disclose(try disclosureQuery(p, auditor: true))
                switch ext {
                case "json": return Self.raw(String(decoding: try r.jsonData(), as: UTF8.self), type: "application/json; charset=utf-8",
                                             filename: "disclosure-\(Self.fileSafe(r.subject.id)).json")
                case "csv": return Self.raw(r.eventsCSV(), type: "text/csv; charset=utf-8", filename: "disclosure-\(Self.fileSafe(r.subject.id)).csv")
                default: return Self.raw(r.html(), type: "text/html; charset=utf-8", inlineStyle: true)
                }
            }
        }
        // The letter with a one-time code: post/redirect/get. The POST makes the code once per form (the same form
        // sent again goes to the same letter); the GET shows the letter, to the same session, for a few minutes.
        router.post("/console/disclosure/letter") { request, _ -> Response in
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            var q = try disclosureQuery(f, auditor: false)
            guard case let .person(person) = q.subject else {
                throw WorkspaceError.invalid("確認コード付きの通知は人について作ります。", "A letter with a code is for a person.")
            }
            let token = try FormToken.of(f)
            let owner = a.session.tokenHash
            let key: String
            switch try await workspace.claim(token, owner: owner, kind: "letter") {
            case .done: return pages.see(Self.letterLocation(token))
            case let .claimed(k): key = k
            }
            do {
                q.auditor = false
                _ = try await disclose(q)
                let issued: IssuedAccessCode
                do { issued = try await AccessCodeService(store: console.store).create(person: person, from: q.from, to: q.to) } catch let e as ReportError {
                    throw WorkspaceError(.notFound, "disclosure", e.message, e.message)
                }
                _ = try await console.journal("access_code.create", a, subject: person, issued.journalDetail)
                // The code itself is kept only sealed with this form's token and the auditor's session token (neither
                // is stored), so that the letter can be shown again (reload, print preview) but read by no one else.
                let plain = JSONBody.encode(["code": issued.code, "expires": issued.record.expires.jstDate.description,
                                             "person": person, "from": q.from.description, "to": q.to.description])
                try await workspace.complete(key, owner: owner,
                                             result: try Sealed.seal(Data(plain.utf8), [token, Self.sessionToken(request)]))
                return pages.see(Self.letterLocation(token))
            } catch {
                await workspace.release(key, owner: owner)
                throw error
            }
        }
        router.get("/console/disclosure/letter/:token") { request, context -> Response in
            let token = try context.parameters.require("token")
            let a = try await auditor(request)
            guard let s = try await workspace.submission(token, owner: a.session.tokenHash, kind: "letter"),
                  let data = Sealed.open(s.result ?? "", [token, Self.sessionToken(request)]) else {
                try await console.viewed(a, "letter:-", path: "/console/disclosure/letter")
                throw WorkspaceError.notFound("この通知（開示の画面から作り直してください）")
            }
            let r = ResultJSON.decode(String(decoding: data, as: UTF8.self))
            guard let person = r["person"], let code = r["code"], let from = Self.date(r["from"]), let to = Self.date(r["to"]) else {
                throw WorkspaceError.notFound("この通知")
            }
            try await console.viewed(a, "letter:\(person)", path: "/console/disclosure/letter")
            guard workspace.resultShowable(created: s.created) else {
                var v = base(a, "通知の表示期限切れ")
                v["notice"] = ["heading": "通知の表示期限が切れました", "headingEn": "The letter can no longer be shown",
                               "ja": "確認コード付きの通知は、作成から\(workspace.config.resultMinutes)分間だけ表示・印刷できます。作成したコードは \(r["expires"] ?? "") まで有効なままです。必要なら新しい通知を作成してください（新しいコードが作られます）。",
                               "en": "A letter with a code can be shown and printed for \(workspace.config.resultMinutes) minutes after it is made. Its code stays valid until \(r["expires"] ?? ""). Make a new letter if needed (with a new code).",
                               "link": "/console/disclosure?kind=person&subject=\(Pages.urlEncoded(person))&from=\(from)&to=\(to)",
                               "linkText": "開示の画面へ Back to the disclosure"] as [String: Any]
                return pages.html("notice", v, status: .gone)
            }
            let report = try await disclose(DisclosureQuery(subject: .person(person), from: from, to: to, auditor: false))
            return Self.raw(report.html(code: code, codeExpires: r["expires"] ?? "", contact: workspace.config.residentContact),
                            type: "text/html; charset=utf-8", inlineStyle: true)
        }
        // Revokes a one-time code that was made but should not be used (a letter misprinted, sent to the wrong address):
        // it is spent at once, as if used, and the revocation is journaled.
        router.post("/console/disclosure/codes/revoke") { request, _ -> Response in
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            let person = (f["subject"] ?? "").trimmed
            let hash = (f["code"] ?? "").trimmed
            guard !person.isEmpty, RecordDecoder.idProblem(person) == nil,
                  hash.count == 64, hash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw WorkspaceError.invalid("取り消す確認コードを一覧から選んでください。", "Choose a code from the list.")
            }
            guard let code = try await console.store.accessCodes(person: person, limit: 50).first(where: { $0.hash == hash }) else {
                throw WorkspaceError.notFound("この人の確認コード")
            }
            guard try await console.store.revokeAccessCode(hash: code.hash, at: workspace.now) else {
                throw WorkspaceError(.conflict, "code_not_usable", "この確認コードはすでに期限切れか取り消されています。",
                                     "The code has expired or was revoked already.")
            }
            _ = try await console.journal("access_code.revoke", a, subject: person,
                                          [("created", .string(code.created.description)), ("expires", .string(code.expires.description))])
            let back = "/console/disclosure?kind=person&subject=\(Pages.urlEncoded(person))&from=\(f["from"].flatMap { Self.date($0) }?.description ?? "")"
                + "&to=\(f["to"].flatMap { Self.date($0) }?.description ?? "")&revoked=1"
            throw Redirect(location: back)
        }
        // Survey (自己申告調査)
        router.get("/console/survey") { request, _ -> Response in
            let p = Self.params(request)
            let open = try await SurveyRoutes.openSurvey(console.store)
            let survey = p["survey"]?.trimmed.nonEmpty ?? open
            let a = try await view(request, "survey:\(survey ?? "-")")
            var v = base(a, "自己申告調査 Self-report survey")
            if let open { v["open"] = open }
            // Every survey the store knows (imported ones too) and the open one, with who answered and who did not.
            var known = try await console.store.surveys()
            if let open, !known.contains(where: { $0.survey == open }) { known.append(SurveyCount(survey: open, answers: 0)) }
            if let survey, !known.contains(where: { $0.survey == survey }) { known.append(SurveyCount(survey: survey, answers: 0)) }
            let staff = try await console.store.staffMembers(office: nil, role: nil)
            var selectedMissing: [Staff] = []
            var rows: [[String: Any]] = []
            for k in known.sorted(by: { $0.survey.utf8.lexicographicallyPrecedes($1.survey.utf8) }) {
                let answers = try await console.store.selfReports(survey: k.survey)
                let who = Self.surveyPopulation(staff, survey: k.survey, open: open, answers: answers, today: workspace.now.jstDate)
                let answered = Set(answers.map(\.staff))
                let missing = who.filter { !answered.contains($0.id) }
                if k.survey == survey { selectedMissing = missing }
                let title = try await SurveyRoutes.title(of: k.survey, console.store)
                rows.append(["id": k.survey, "title": title == k.survey ? "" : title,
                             "link": "/console/survey?survey=\(Pages.urlEncoded(k.survey))", "open": k.survey == open,
                             "answers": answers.count, "some": answers.count { $0.declares == .some }, "notAnswered": missing.count,
                             "population": who.count, "selected": k.survey == survey])
            }
            v["surveys"] = rows
            if let survey {
                v["survey"] = survey
                v["surveyTitle"] = try await SurveyRoutes.title(of: survey, console.store)
                v["missing"] = selectedMissing.prefix(200).map { ["id": $0.id, "name": $0.name ?? $0.id] }
                v["missingCount"] = selectedMissing.count
                v["missingMore"] = max(0, selectedMissing.count - 200)
                v["hasMissing"] = !selectedMissing.isEmpty
                v["hasMissingMore"] = selectedMissing.count > 200
            }
            // A survey nobody has answered yet (just opened, or mistyped) is a page saying so, not an error.
            if let survey, try await console.store.selfReports(survey: survey).isEmpty {
                v["noAnswers"] = true
            } else if let survey {
                let r = try await ReconcileService(store: console.store).reconcile(survey: survey)
                let names = try await ConsoleNames.load(console.store, staff: Set(r.details.keys))
                v["groups"] = Self.surveyGroups(r, names: names)
            }
            return pages.page("console_survey", v)
        }
        router.post("/console/survey") { request, _ -> Response in
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            // The title is what staff read (Japanese welcome); the ID goes into URLs and each answer's record, so it
            // stays ASCII: given, or the title itself when it is one, else made from today's date.
            let title = (f["title"] ?? "").trimmed
            guard title.count <= 60 else {
                throw WorkspaceError.invalid("調査名は60文字までです。", "A survey title is at most 60 characters.")
            }
            var id = (f["survey"] ?? "").trimmed
            if id.isEmpty { id = Self.isSurveyID(title) ? title : "" }
            if id.isEmpty {
                guard !title.isEmpty else {
                    throw WorkspaceError.invalid("調査名を入力してください。", "Give the survey a title.")
                }
                let known = Set(try await console.store.surveys().map(\.survey))
                let base = "survey-" + workspace.now.jstDate.description.replacingOccurrences(of: "-", with: "")
                id = base
                var n = 2
                while true {
                    let titled = try await console.store.consoleValue("survey.title.\(id)") != nil
                    if !known.contains(id) && !titled { break }
                    id = "\(base)-\(n)"
                    n += 1
                }
            }
            guard Self.isSurveyID(id) else {
                throw WorkspaceError.invalid("調査 ID は英数字とハイフンで40文字までです（空なら自動で付けます）。",
                                             "A survey ID is up to 40 letters, digits and hyphens (left empty, one is made).")
            }
            if !title.isEmpty { try await console.store.setConsoleValue("survey.title.\(id)", title) }
            try await console.store.setConsoleValue("survey.open", id)
            _ = try await console.journal("survey.open", a, subject: id, title.isEmpty ? [] : [("title", .string(title))])
            throw Redirect(location: "/console/survey?survey=\(id)")
        }
        // Ends the open survey: staff then see that none is open, and its answers stay for the reconciliation.
        router.post("/console/survey/close") { request, _ -> Response in
            let a = try await auditor(request)
            _ = try await Pages.checkedForm(request, a)
            guard let open = try await SurveyRoutes.openSurvey(console.store) else { throw Redirect(location: "/console/survey") }
            try await console.store.setConsoleValue("survey.open", "")
            _ = try await console.journal("survey.close", a, subject: open, [])
            throw Redirect(location: "/console/survey?survey=\(Pages.urlEncoded(open))")
        }
        // 本人通知
        router.get("/console/notices") { request, _ -> Response in
            let all = request.uri.queryParameters.get("all") == "1"
            let a = try await view(request, all ? "notices:all" : "notices")
            var v = base(a, "本人通知 Notices")
            let service = NoticeService(store: console.store)
            let notices = try await service.list(pendingOnly: !all)
            let registrations = try await console.store.noticeRegistrations()
            let ids = Set(notices.map(\.person)).union(registrations.map(\.person))
            let names = Dictionary(try await console.store.persons(ids: ids.sorted()).map { ($0.id, $0.name) },
                                   uniquingKeysWith: { x, _ in x })
            let offices = Dictionary(try await console.store.offices().map { ($0.code, $0.name) }, uniquingKeysWith: { x, _ in x })
            v["rows"] = notices.map { n -> [String: Any] in
                ["id": n.id, "person": n.person, "name": names[n.person] ?? n.person,
                 "issued": ReportText.dateTime(n.issued.description), "office": offices[n.office] ?? n.office,
                 "certificate": ReportText.certificateJa(n.certificate), "copies": n.copies.map(String.init) ?? "—",
                 "requester": ReportText.requesterJa(n.requester), "sent": n.sent.map { ReportText.dateTime($0.description) } ?? ""]
            }
            v["hasRows"] = !notices.isEmpty
            v["registrations"] = registrations.sorted { $0.person.utf8.lexicographicallyPrecedes($1.person.utf8) }.map { r -> [String: Any] in
                ["person": r.person, "name": names[r.person] ?? r.person, "address": r.address, "from": ReportText.date(r.registered.description)]
            }
            v["registrationCount"] = registrations.count
            v["hasRegistrations"] = !registrations.isEmpty
            v["all"] = all
            v["today"] = workspace.now.jstDate.description
            // After a POST (post/redirect/get): how many notices it made, or whom it registered. Only a small number or
            // an ID that names a registration is shown; anything else in the query is ignored.
            if let made = request.uri.queryParameters.get("produced").flatMap({ Int($0) }), (0...1_000_000).contains(made) {
                v["produced"] = ["n": made, "none": made == 0]
            }
            if let who = request.uri.queryParameters.get("registered").map({ String($0) }),
               let r = registrations.first(where: { $0.person == who }) {
                v["registeredNow"] = ["name": names[r.person] ?? r.person, "from": ReportText.date(r.registered.description)]
            }
            return pages.page("console_notices", v)
        }
        router.post("/console/notices/produce") { request, _ -> Response in
            let a = try await auditor(request)
            _ = try await Pages.checkedForm(request, a)
            let service = NoticeService(store: console.store)
            let fresh = try await service.produce()
            _ = try await service.journalPending()
            _ = try await console.journal("notice.produce", a, subject: "notices", [("new", .number(String(fresh.count)))])
            throw Redirect(location: "/console/notices?produced=\(fresh.count)")
        }
        // Registers a resident for notices (本人通知の事前登録), as `akashi notices register` does.
        router.post("/console/notices/registrations") { request, _ -> Response in
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            let person = (f["person"] ?? "").trimmed
            guard !person.isEmpty, RecordDecoder.idProblem(person) == nil else {
                throw WorkspaceError.invalid("本人の個人 ID（P で始まる番号）を入力してください。", "Give the person's ID.")
            }
            let address = (f["address"] ?? "").trimmed
            guard !address.isEmpty, address.count <= 300,
                  !address.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r" }) else {
                throw WorkspaceError.invalid("通知の送付先（住所、300文字まで）を入力してください。", "Give the mailing address (up to 300 characters).")
            }
            let from = f["from"]?.trimmed.nonEmpty == nil ? workspace.now.jstDate : Self.date(f["from"])
            guard let from else {
                throw WorkspaceError.invalid("登録日は 2026-12-06 の形で入力してください。", "The registration date is YYYY-MM-DD.")
            }
            do {
                try await NoticeService(store: console.store).register(person: person, address: address, on: from)
            } catch let e as ReportError {
                throw WorkspaceError(.notFound, "notice_person", "登録できません：その個人 ID の人はいません。", e.message)
            }
            _ = try await console.journal("notice.register", a, subject: person, [("from", .string(from.description))])
            throw Redirect(location: "/console/notices?registered=\(Pages.urlEncoded(person))")
        }
        router.get("/console/notices/print") { request, _ -> Response in
            _ = try await view(request, "notices:print")
            let service = NoticeService(store: console.store)
            return Self.raw(try await service.html(try service.list(pendingOnly: true), contact: workspace.config.residentContact),
                            type: "text/html; charset=utf-8", inlineStyle: true)
        }
        router.post("/console/notices/:id/sent") { request, context -> Response in
            let a = try await auditor(request)
            _ = try await Pages.checkedForm(request, a)
            guard let id = Int64(try context.parameters.require("id")) else { throw WorkspaceError.notFound("通知") }
            guard try await NoticeService(store: console.store).markSent(id: id) else {
                throw WorkspaceError(.conflict, "notice_sent", "この通知は送付済みか、ありません。", "Already sent or unknown.")
            }
            _ = try await console.journal("notice.sent", a, subject: "notice:\(id)", [])
            throw Redirect(location: "/console/notices")
        }
    }

    /// Whether `s` can be a survey's ID: 1 to 40 ASCII letters, digits and hyphens.
    static func isSurveyID(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 40 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// Who is asked to answer a survey: staff whose role does register work (clerk, supervisor, trainee, contractor)
    /// and who were assigned somewhere on the survey's day (today for the open survey, else the day of its latest
    /// answer, else today). Staff who answered are counted even when outside it.
    static func surveyPopulation(_ staff: [Staff], survey: String, open: String?, answers: [SelfReport], today: LocalDate) -> [Staff] {
        let day = survey == open ? today : answers.compactMap(\.submitted).max().map(\.jstDate) ?? today
        let answered = Set(answers.map(\.staff))
        let roles: Set<StaffRole> = [.clerk, .supervisor, .trainee, .contractor]
        return staff.filter { answered.contains($0.id) || (roles.contains($0.role) && $0.assignment(on: day) != nil) }
    }

    /// The reconciliation as the console shows it: three groups in words (not the codes), each staff member's
    /// declaration in words, and the first 20 flagged accesses with 「ほか N 件」 and a link to the timeline for the rest.
    static func surveyGroups(_ r: Reconciliation, names: ConsoleNames = ConsoleNames(), shown: Int = 20) -> [[String: Any]] {
        func rows(_ ids: [String]) -> [[String: Any]] {
            ids.compactMap { r.details[$0] }.map { d in
                let declares = declaresText(d.declares)
                return ["staff": d.staff, "staffName": names.staffName(d.staff), "staffInfo": names.staffInfo(d.staff),
                        "declares": declares.ja, "declaresEn": declares.en, "submitted": d.submitted ?? "",
                        "flagged": d.flagged.count, "matched": d.matched, "undeclared": d.undeclared,
                        "items": d.items.map { ["who": $0.person ?? $0.name ?? "（指定なし）", "from": $0.from ?? "", "to": $0.to ?? "",
                                                "matched": $0.matched, "note": $0.note ?? ""] },
                        "accesses": d.flagged.prefix(shown).map { ["access": $0.access, "date": $0.date, "person": $0.person ?? "",
                                                                  "matched": $0.item != nil] },
                        "more": max(0, d.flagged.count - shown), "hasMore": d.flagged.count > shown,
                        "timeline": "/console/staff/\(Pages.urlEncoded(d.staff, path: true))"] as [String: Any]
            }
        }
        return [["title": "申告あり・検出あり", "titleEn": "declared and found", "rows": rows(r.declaredAndFound),
                 "n": r.declaredAndFound.count],
                ["title": "申告なし・検出あり（未申告）", "titleEn": "not declared but found", "rows": rows(r.undeclaredFound),
                 "n": r.undeclaredFound.count],
                ["title": "申告あり・検出なし", "titleEn": "declared but not found", "rows": rows(r.declaredNotFound),
                 "n": r.declaredNotFound.count]]
    }

    /// A reconciliation's declaration code in words (ja / en).
    static func declaresText(_ code: String) -> (ja: String, en: String) {
        switch code {
        case "none": ("なし", "none")
        case "some": ("あり", "some")
        case "missing": ("未回答", "no answer")
        default: (code, code)
        }
    }

    static func letterLocation(_ token: String) -> String { "/console/disclosure/letter/\(token)" }

    /// The session token the request's cookie carries (the store keeps only its hash).
    static func sessionToken(_ request: Request) -> String { request.cookies[Pages.sessionCookie]?.value ?? "" }

    func percent(_ s: DisclosureQuery.Subject) -> String {
        let id: String = switch s {
        case let .person(p): p
        case let .register(r): r
        }
        return Pages.urlEncoded(id)
    }

    static func fileSafe(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || "0123456789-_".unicodeScalars.contains($0)) }.prefix(60))
    }
}
