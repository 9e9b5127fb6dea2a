import AkashiDomain
import AkashiInterchange
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The resident's access history (like Estonia's Data Tracker): no staff session; a code printed on the disclosure
/// letter shows the person's accesses (no staff names), again and again until it expires or is revoked, with receipts to download as JSON. Wrong
/// codes are rate-limited per client; every view is journaled (`resident.view`), and refusals (`resident.denied`) are
/// too, but a client's only up to the first one over its limit, and at most `RefusalJournalCap.perMinute` a minute.
struct ResidentRoutes: Sendable {
    let pages: Pages
    let console: Console
    static let preCookie = "akashi_resident_pre"
    static let reportCookie = "akashi_resident"

    func client(_ request: Request, _ context: WebRequestContext) -> String {
        console.workspace.clientAddress(request, context) ?? "local"
    }

    func form(error: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let pre = Tokens.newToken()
        var v = chrome(title: "閲覧履歴の確認 Your access history")
        v["csrf"] = pre
        if let error { v["error"] = error }
        var r = pages.page("resident", v, status: status)
        r.setCookie(pages.cookie(Self.preCookie, pre, maxAge: 3600))
        return r
    }

    /// Journals a refusal (`resident.denied`) unless the cap on refusals journaled per minute is reached.
    func refused(_ subject: String, _ who: String, _ detail: [(String, JSONValue)]) async throws {
        guard let skipped = console.refusalJournal.admit() else { return }
        var d = detail + [("client", .string(who))]
        if skipped > 0 { d.append(("not_journaled", .number(String(skipped)))) }
        _ = try await console.journal("resident.denied", nil, subject: subject, d)
    }

    /// How long a redeemed history can be shown again (and its JSON downloaded) by the browser that redeemed it.
    static let historyMillis: Int64 = 15 * 60_000
    static let owner = "resident"

    /// The history a code showed, for the browser holding the report cookie (its own form's one-time token), while it
    /// is kept: sealed in the store with that token, so only this browser can read it.
    func keptReport(_ request: Request) async throws -> Data? {
        guard let token = request.cookies[Self.reportCookie]?.value, FormToken.isWellFormed(token),
              let s = try await console.store.submission(key: FormToken.key(token)), s.owner == Self.owner,
              s.kind == "resident", let sealed = s.result, s.expires > Workspace.nowMillis() else { return nil }
        return Sealed.open(sealed, [token])
    }

    /// 303 to the history, with the cookie that finds it.
    func toHistory(_ token: String) -> Response {
        var r = Response(status: .seeOther, headers: [.location: "/resident/history"])
        r.setCookie(Cookie(name: Self.reportCookie, value: token, maxAge: Int(Self.historyMillis / 1000), path: "/resident",
                           secure: pages.workspace.config.secureCookies, httpOnly: true, sameSite: .strict))
        return r
    }

    /// What every resident page carries: the municipality (not the staff workspace's branding) and where to ask.
    func chrome(title: String) -> [String: Any] {
        let contact = console.workspace.config.residentContact
        let ask = contact.whereToAsk()
        return ["title": title, "municipality": contact.municipality, "ask": ask.ja, "askEn": ask.en]
    }

    func historyPage(_ safe: DisclosureReport) -> Response {
        func ev(_ e: DisclosedEvent) -> [String: Any] {
            ["when": ReportText.dateTime(e.at, wareki: true), "action": ReportText.actionJa(e.action),
             "record": ReportText.recordJa(e.record), "purpose": e.purpose ?? "",
             "outcomeJa": ReportText.outcomeText(e.outcome).ja, "outcomeEn": ReportText.outcomeText(e.outcome).en,
             "index": e.index]
        }
        var v = chrome(title: "閲覧履歴 Your access history")
        v["shown"] = true
        let ask = v["ask"] ?? "", askEn = v["askEn"] ?? ""
        v["report"] = ["name": safe.subject.name ?? "", "fromJa": ReportText.wareki(safe.period.from),
                       "toJa": ReportText.wareki(safe.period.to), "ask": ask, "askEn": askEn,
                       "minutes": Self.historyMillis / 60_000,
                       "offices": safe.offices.map { o -> [String: Any] in
                           ["name": o.name, "accessors": o.accessors, "events": o.events.map(ev)]
                       },
                       "issuances": safe.issuances.map { i -> [String: Any] in
                           ["date": ReportText.wareki(i.date), "name": i.name, "certificate": ReportText.certificateJa(i.certificate),
                            "requester": ReportText.requesterJa(i.requester)]
                       },
                       "hasIssuances": !safe.issuances.isEmpty,
                       "withheld": (safe.withheld ?? []).isEmpty ? [] : [["events": (safe.withheld ?? []).map(ev)]] as [[String: Any]],
                       "none": safe.offices.isEmpty && safe.issuances.isEmpty && (safe.withheld ?? []).isEmpty] as [String: Any]
        return pages.page("resident", v)
    }

    func add(to router: Router<WebRequestContext>) {
        router.get("/resident") { _, _ -> Response in form() }
        router.post("/resident") { request, context -> Response in
            let f = try await Pages.form(request)
            guard let pre = request.cookies[Self.preCookie]?.value, let t = f["csrf"], Tokens.constantTimeEqual(pre, t),
                  FormToken.isWellFormed(pre) else {
                throw WorkspaceError.csrf
            }
            // The form's one-time token is its pre-session token: the same form sent again (a double click, a reload
            // of the POST) finds the first redemption and goes to its history instead of spending the code again.
            let key: String
            switch try await console.workspace.claim(pre, owner: Self.owner, kind: "resident") {
            case .done: return toHistory(pre)
            case let .claimed(k): key = k
            }
            let who = client(request, context)
            // Checks and counts the try in one step; a right code gives it back below.
            let verdict = console.residentLimiter.attempt(who)
            if case let .refused(first, until) = verdict {
                await console.workspace.release(key, owner: Self.owner)
                // Only the refusal that puts the client over its limit is journaled; later ones until its window ends
                // are not (they would let anyone grow the ledger without bound).
                if first {
                    try await refused("rate-limited", who, [("why", .string("rate_limited")),
                                                            ("until", .string(Timestamp(millis: until).description))])
                } else {
                    console.refusalJournal.skip()
                }
                return form(error: "確認コードの誤りが続いたため、しばらくお待ちください。 / Too many wrong codes; try again later.",
                            status: .tooManyRequests)
            }
            let code = String((f["code"] ?? "").prefix(40))
            let report: DisclosureReport
            do {
                report = try await AccessCodeService(store: console.store).redeem(code)
            } catch let e as AccessCodeError {
                await console.workspace.release(key, owner: Self.owner)
                try await refused("code", who, [("why", .string(e.description))])
                return form(error: AccessCodeError.publicMessage, status: .forbidden)
            } catch {
                console.residentLimiter.giveBack(who, verdict)
                await console.workspace.release(key, owner: Self.owner)
                throw error
            }
            console.residentLimiter.giveBack(who, verdict)
            _ = try await console.journal("resident.view", nil, subject: report.subject.id,
                                          [("from", .string(report.period.from)), ("to", .string(report.period.to)),
                                           ("events", .number(String(report.allEvents.count))), ("client", .string(who))])
            // The resident's form already has no staff, no office for DV-withheld accesses and no withheld entry bytes;
            // clear staff again in case the form ever changes.
            var safe = report
            for k in safe.offices.indices { for j in safe.offices[k].events.indices { safe.offices[k].events[j].staff = nil } }
            for k in safe.issuances.indices { for j in safe.issuances[k].events.indices { safe.issuances[k].events[j].staff = nil } }
            if let w = safe.withheld { safe.withheld = w.map { var e = $0; e.staff = nil; return e } }
            // Kept for this browser only, for a short time: sealed with the token its cookie holds.
            try await console.store.completeSubmission(key: key, owner: Self.owner, result: try Sealed.seal(try safe.jsonData(), [pre]),
                                                       expires: Workspace.nowMillis() + Self.historyMillis)
            return toHistory(pre)
        }
        // The history a code showed: a GET, so a reload shows it again without spending anything.
        router.get("/resident/history") { request, _ -> Response in
            guard let data = try await keptReport(request),
                  let report = try? JSONDecoder().decode(DisclosureReport.self, from: data) else {
                return form(error: "閲覧履歴の表示期限（15分）が過ぎたか、まだ確認コードが入力されていません。確認コードをもう一度入力してください（有効期限まで何度でも使えます）。 / The history is no longer shown (15 minutes) or no code was entered; enter the code again (it works until it expires).",
                            status: .notFound)
            }
            return historyPage(report)
        }
        router.get("/resident/report.json") { request, _ -> Response in
            guard let data = try await keptReport(request) else {
                throw WorkspaceError.notFound("閲覧履歴（確認コードをもう一度入力してください）")
            }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"akashi-access-history.json\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: [UInt8](data))))
        }
    }
}

/// The self-report survey in the workspace (自己申告調査): staff declare none or some personal use (persons by
/// name or ID, periods). The answer is a `self_report` record (ingested like any record) and `survey.answer`.
struct SurveyRoutes: Sendable {
    let pages: Pages
    let console: Console

    /// The survey open now, if any (closing one stores an empty value).
    static func openSurvey(_ store: any ServerStore) async throws -> String? {
        try await store.consoleValue("survey.open")?.trimmed.nonEmpty
    }

    /// A survey's title as staff read it (set when the console opened it), else its ID.
    static func title(of survey: String, _ store: any ServerStore) async throws -> String {
        try await store.consoleValue("survey.title.\(survey)")?.trimmed.nonEmpty ?? survey
    }

    /// The survey page: none open; the form; or (answered) what was declared. Only what applies is on it.
    func page(_ a: Actor, thanks: Bool = false, error: String? = nil, notRecorded: Bool = false,
              status: HTTPResponse.Status = .ok) async throws -> Response {
        var v = pages.base(a, title: "自己申告調査")
        guard let survey = try await Self.openSurvey(console.store) else {
            v["noSurvey"] = true
            v["notRecorded"] = notRecorded
            return pages.html("survey", v, status: status)
        }
        v["survey"] = try await Self.title(of: survey, console.store)
        if let mine = try await console.store.selfReports(survey: survey).first(where: { $0.staff == a.staff.id }) {
            let some = mine.declares == .some
            v["answer"] = [
                "thanks": thanks, "some": some, "submitted": mine.submitted.map(Pages.jstMinute) ?? "",
                "declares": some ? "ある（業務以外の閲覧を申告）" : "ない", "declaresEn": some ? "some" : "none",
                "items": mine.items.map { i -> [String: Any] in
                    ["who": i.person ?? i.name ?? "（指定なし）", "from": i.from?.description ?? "", "to": i.to?.description ?? "",
                     "note": i.note ?? ""]
                },
                "hasItems": !mine.items.isEmpty,
            ] as [String: Any]
        } else {
            v["ask"] = true
            v["rows"] = Array(1...5)
            if let error { v["error"] = error }
        }
        return pages.html("survey", v, status: status)
    }

    func add(to router: Router<WebRequestContext>) {
        router.get("/survey") { request, _ -> Response in
            let a = try await pages.actor(request)
            return try await page(a, thanks: request.uri.queryParameters.get("answered") == "1")
        }
        router.post("/survey") { request, _ -> Response in
            let a = try await pages.actor(request)
            let f = try await Pages.checkedForm(request, a)
            guard let survey = try await Self.openSurvey(console.store) else {
                return try await page(a, notRecorded: true, status: .conflict)
            }
            // Answered already (this form sent twice, or another tab): the answer given, not an error.
            if try await console.store.selfReports(survey: survey).contains(where: { $0.staff == a.staff.id }) {
                return pages.see("/survey")
            }
            guard let declares = Declaration(rawValue: f["declares"] ?? "") else {
                return try await page(a, error: "「ない」か「ある」を選んでください。 / Choose none or some.", status: .badRequest)
            }
            var items: [SelfReport.Item] = []
            if declares == .some {
                for k in 1...5 {
                    let who = (f["who\(k)"] ?? "").trimmed
                    let note = (f["note\(k)"] ?? "").trimmed
                    let from = ConsoleRoutes.date(f["from\(k)"]), to = ConsoleRoutes.date(f["to\(k)"])
                    guard !who.isEmpty || !note.isEmpty || from != nil || to != nil else { continue }
                    let isID = who.isEmpty ? false : try await console.store.person(id: who) != nil
                    items.append(SelfReport.Item(person: isID ? who : nil, name: isID || who.isEmpty ? nil : String(who.prefix(100)),
                                                 from: from, to: to, note: note.isEmpty ? nil : String(note.prefix(500))))
                }
            }
            let s = SelfReport(survey: survey, staff: a.staff.id, submitted: pages.workspace.now, declares: declares, items: items)
            let rec = Record.selfReport(s)
            let item = IngestItem(record: rec, canonical: rec.canonicalJSON, raw: [], file: "workspace", line: 0)
            let out = try await StoreThreads.run { [store = console.store] in try await store.ingest([item]) }
            guard case .inserted = out.first else {
                // Another request answered at the same moment: that answer stands.
                return pages.see("/survey")
            }
            _ = try await console.journal("survey.answer", a, subject: survey,
                                          [("declares", .string(declares.rawValue)), ("items", .number(String(items.count)))])
            return pages.see("/survey?answered=1")
        }
    }
}
