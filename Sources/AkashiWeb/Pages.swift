import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import Synchronization

/// A redirect as an error, so a handler can stop anywhere (303 See Other).
struct Redirect: HTTPResponseError {
    var location: String
    var status: HTTPResponse.Status { .seeOther }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// The clerk workspace's server-rendered pages (Japanese, English beside; no JavaScript). Every form carries the
/// session's CSRF token and every POST checks it, as does the search (a GET that is recorded in the ledger).
struct Pages: Sendable {
    let workspace: Workspace
    let templates: MustacheLibrary

    static let sessionCookie = "akashi_session"
    static let preCookie = "akashi_pre"

    // MARK: Helpers

    /// A template rendered with `values`.
    func render(_ template: String, _ values: [String: Any]) -> String {
        templates.render(values, withTemplate: template) ?? "template \(template) missing"
    }

    func html(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let body = render(template, values)
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Renders a page with every empty text as absent: in swift-mustache an empty string is a true section value,
    /// so `{{#case}}…{{/case}}` and `{{^case}}なし{{/case}}` would take "" as present.
    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        html(template, Self.blanksAbsent(values) as? [String: Any] ?? values, status: status)
    }

    static func blanksAbsent(_ v: Any) -> Any {
        switch v {
        case let s as String: s.isEmpty ? NSNull() : s
        case let d as [String: Any]: d.mapValues(blanksAbsent)
        case let a as [[String: Any]]: a.map { $0.mapValues(blanksAbsent) }
        case let a as [Any]: a.map(blanksAbsent)
        default: v
        }
    }

    /// The values every signed-in page uses (header, navigation, CSRF token).
    func base(_ a: Actor, title: String) -> [String: Any] {
        var v: [String: Any] = ["title": title, "csrf": a.session.csrf, "signedIn": true,
         "me": ["id": a.staff.id, "name": a.staff.name ?? a.staff.id, "role": a.staff.role.ja, "office": a.officeName],
         "business": a.can(.business), "approver": a.can(.approve), "auditor": a.can(.audit), "admin": a.can(.admin)]
        if a.can(.audit), let t = workspace.auditedAt.withLock({ $0 }) {
            v["auditAsOf"] = Self.jstMinute(t)
        }
        return v
    }

    /// `2026年12月6日 18:30` (Japan time): a time as staff read it, in the shared vocabulary (``ReportText/dateTime(_:wareki:)``).
    static func jstMinute(_ t: Timestamp) -> String {
        ReportText.dateTime(t.format(offset: Timestamp.jst))
    }

    func actor(_ request: Request, banner: Bool = true) async throws -> Actor {
        guard let token = request.cookies[Self.sessionCookie]?.value,
              let a = try await workspace.actor(token: token, kind: .web) else { throw Redirect(location: "/signin") }
        if banner, !workspace.hasAcknowledged(a) { throw Redirect(location: "/banner") }
        return a
    }

    /// The actor of a register operation; before the banner is acknowledged the attempt is recorded as refused.
    func registerActor(_ request: Request, register: String, action: AccessAction, purpose: Purpose,
                       function: String) async throws -> Actor {
        let a = try await actor(request, banner: false)
        if !workspace.hasAcknowledged(a) {
            try await workspace.access(a, action, .current, register: register, purpose: purpose, outcome: .denied,
                                       function: function, channel: .web, screen: "banner-required")
            throw Redirect(location: "/banner")
        }
        return a
    }

    /// Refuses a request another site's page made the browser send (`Sec-Fetch-Site` other than `same-origin` or
    /// `none`), for GETs that write to the ledger: an auditor's page views are journaled, and a page on a sibling
    /// site could otherwise make an auditor's browser "look at" a person (SameSite cookies stop only other sites).
    /// Clients that send no such header (scripts, older browsers) are not refused; a typed URL or a bookmark is `none`.
    static func requireSameOrigin(_ request: Request) throws {
        guard let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased(),
              site != "same-origin", site != "none" else { return }
        throw WorkspaceError(.forbidden, "cross_origin",
                             "他のサイトからのリンクでは開けません。アドレス欄に入力するか、Akashi の画面から開いてください。",
                             "Opened from another site: type the address or open it from Akashi's own pages.")
    }

    static func form(_ request: Request) async throws -> [String: String] {
        var req = request
        let buffer = try await req.collectBody(upTo: 64 * 1024)
        var out: [String: String] = [:]
        for pair in String(decoding: buffer.readableBytesView, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let key = decode(kv[0])
            let value = kv.count > 1 ? decode(kv[1]) : ""
            try WorkspaceError.checkField(key, value)
            if let old = out[key] { out[key] = old + "," + value } else { out[key] = value }
        }
        return out
    }

    /// The form of a POST after its CSRF token is checked against the session's (403 when missing or wrong).
    static func checkedForm(_ request: Request, _ a: Actor) async throws -> [String: String] {
        let f = try await form(request)
        guard let t = f["csrf"], Tokens.constantTimeEqual(t, a.session.csrf) else { throw WorkspaceError.csrf }
        return f
    }

    func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: workspace.config.secureCookies,
               httpOnly: true, sameSite: .strict)
    }

    /// A case as the pages show it: one identifier, the 受付番号 (`number`; the internal ID only in links), its
    /// kind, requester class and status in Japanese, times as staff read them.
    static func caseSummary(_ c: Case) -> [String: Any] {
        var s = summaryFields(c)
        // (An empty string would count as present in a template section: a key only when there is a value.)
        if let closed = c.closed { s["closed"] = jstMinute(closed) }
        return s
    }

    private static func summaryFields(_ c: Case) -> [String: Any] {
        ["id": c.id, "number": c.number ?? c.id, "kind": c.kind.ja, "kindCode": c.kind.rawValue,
         "requester": c.requester?.ja ?? "", "received": jstMinute(c.received),
         "registers": c.registers, "persons": c.persons, "isCertificate": c.kind.isCertificate,
         "isNotification": c.kind.isNotification, "open": c.closed == nil && (c.status ?? .open) == .open,
         "status": (c.status ?? .open).ja, "hasRegisters": !c.registers.isEmpty]
    }

    /// The intake form, empty or as the clerk filled it in with the error next to its field (issue 19, C-2).
    func intakePage(_ a: Actor, values: [String: String], error: WorkspaceError?) -> Response {
        var v = base(a, title: "案件の受付")
        let kind = values["kind"] ?? ""
        let requester = values["requester"] ?? ""
        // Kinds by group, without codes, and an empty first choice: nothing is chosen for the clerk.
        v["kinds"] = CaseKind.allCases.map { ["code": $0.rawValue, "name": $0.ja, "selected": $0.rawValue == kind] as [String: Any] }
        v["requesters"] = Requester.allCases.map { r in
            ["code": r.rawValue, "name": r.ja, "needs": Workspace.requiredDetails(r).map(\.1).joined(separator: "・"),
             "selected": r.rawValue == requester] as [String: Any]
        }
        v["val"] = values
        if let error {
            v["formError"] = ["message": error.message, "english": error.english] as [String: Any]
            if let field = error.field { v["err"] = [field: ["message": error.message, "english": error.english]] }
        }
        return html("case_new", v, status: error?.status ?? .ok)
    }

    /// The DV support warning of a case (issue 19, C-8): the members under DV support of its registers and its persons,
    /// and whether the request is a third party's (or a professional's) for a 附票, which is normally refused.
    func caseDVWarning(_ c: Case) async throws -> [String: Any]? {
        var people = Set(c.persons)
        for r in try await workspace.store.registers(ids: c.registers) { people.formUnion(r.members) }
        let protected = try await dvProtected(people.sorted())
        guard !protected.isEmpty else { return nil }
        let names = try await workspace.store.persons(ids: protected.keys.sorted()).map(\.name)
        let thirdParty = c.kind == .certificate_fuhyo && (c.requester == .third_party || c.requester == .professional)
        var out: [String: Any] = ["names": names.joined(separator: "、")]
        if thirdParty { out["thirdParty"] = c.requester?.ja ?? "" }
        return out
    }

    /// The case's registers under the VIP rule (issue 18, F-4): a member under VIP protection today, so every record
    /// needs a supervisor's approval. Said on the case page at once (the registers are the case's, attached or named at
    /// intake, both in the ledger), by register and without who or why. `nil` when there is none.
    func caseVIPRegisters(_ c: Case) async throws -> String? {
        var ids: [String] = []
        for r in try await workspace.store.registers(ids: c.registers)
        where try await workspace.approvalRules(r, record: RecordKind(rawValue: r.kind.rawValue) ?? .current).contains(.vip) {
            ids.append(r.id)
        }
        return ids.isEmpty ? nil : ids.sorted().joined(separator: "、")
    }

    static let recordKinds: [RecordKind] = [.current, .removed, .heisei_original, .showa_original, .fuhyo]

    /// A value percent-encoded for a URL's query: every byte of its UTF-8 but the unreserved ASCII ones
    /// (`A-Z a-z 0-9 - . _ ~`) as `%XX`, so `&`, `=`, `+`, `#`, `%` and spaces stay data. (Foundation's
    /// `.alphanumerics` set would let non-ASCII letters through.) With `path`, for a path segment: the other bytes a
    /// segment may hold as they are (`! $ & ' ( ) * + , ; = : @`) are kept too, since the router does not decode
    /// path parameters.
    static func urlEncoded(_ s: String, path: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case _ where path && "!$&'()*+,;=:@".utf8.contains(b):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    // MARK: Routes

    func add(to router: Router<WebRequestContext>) {
        router.get("/") { request, _ -> Response in
            if request.cookies[Self.sessionCookie] != nil { return Response(status: .seeOther, headers: [.location: "/menu"]) }
            return Response(status: .seeOther, headers: [.location: "/signin"])
        }
        router.get("/signin") { request, _ -> Response in
            let pre = Tokens.newToken()
            var r = html("signin", ["title": "サインイン", "csrf": pre,
                                    "signedOut": request.uri.queryParameters.get("signedout") == "1"])
            r.setCookie(cookie(Self.preCookie, pre, maxAge: 3600))
            return r
        }
        router.post("/signin") { request, context -> Response in
            let f = try await Self.form(request)
            guard let pre = request.cookies[Self.preCookie]?.value, let t = f["csrf"], Tokens.constantTimeEqual(pre, t) else {
                throw WorkspaceError.csrf
            }
            do {
                let (token, _) = try await workspace.signIn(staffID: f["staff"] ?? "", password: f["password"] ?? "",
                                                            kind: .web, terminal: APIRoutes.terminal(request, context, workspace),
                                                            client: workspace.clientAddress(request, context) ?? "local")
                var r = Response(status: .seeOther, headers: [.location: "/banner"])
                r.setCookie(cookie(Self.sessionCookie, token))
                r.setCookie(cookie(Self.preCookie, "", maxAge: 0))
                return r
            } catch let e as WorkspaceError {
                return html("signin", ["title": "サインイン", "csrf": pre, "error": e.message, "errorEnglish": e.english,
                                       "staff": f["staff"] ?? ""], status: e.status)
            }
        }
        router.post("/signout") { request, _ -> Response in
            let a = try await actor(request, banner: false)
            _ = try await Self.checkedForm(request, a)
            try await workspace.signOut(a)
            var r = Response(status: .seeOther, headers: [.location: "/signin?signedout=1"])
            r.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
            return r
        }
        router.get("/banner") { request, _ -> Response in
            let a = try await actor(request, banner: false)
            let b = workspace.currentBanner
            var v = base(a, title: "警告表示")
            v["banner"] = ["ja": b.ja, "en": b.en, "version": b.version]
            v["acknowledged"] = workspace.hasAcknowledged(a)
            v["noNav"] = true
            return html("banner", v)
        }
        router.post("/banner/acknowledge") { request, _ -> Response in
            let a = try await actor(request, banner: false)
            _ = try await Self.checkedForm(request, a)
            try await workspace.acknowledgeBanner(a)
            return Response(status: .seeOther, headers: [.location: "/menu"])
        }
        router.get("/menu") { request, _ -> Response in
            let a = try await actor(request)
            var v = base(a, title: "業務メニュー")
            if a.can(.business) {
                v["cases"] = try await workspace.store.openCases(staff: a.staff.id, limit: 50).map(Self.caseSummary)
                v["noCases"] = (v["cases"] as? [[String: Any]])?.isEmpty ?? true
                // The clerk's own closed cases, newest first (issue 19, C-10): a closed case no longer leaves no trace.
                let closed = try await workspace.store.closedCases(staff: a.staff.id, limit: 20).map(Self.caseSummary)
                v["closedCases"] = closed
                v["hasClosed"] = !closed.isEmpty
                v["onDuty"] = a.onRegisterDuty
                // The clerk's own approval requests: pending, approved (until when), denied (why).
                var mine: [[String: Any]] = []
                for x in try await workspace.store.approvals(staff: a.staff.id, office: nil, limit: 10) {
                    mine.append(try await approvalSummary(x))
                }
                v["requests"] = mine
                v["hasMyApprovals"] = !mine.isEmpty
            }
            if a.can(.approve) { v["pendingCount"] = try await workspace.store.pendingApprovals(office: a.office).count }
            return html("menu", v)
        }
        router.get("/cases/new") { request, _ -> Response in
            let a = try await actor(request)
            try workspace.require(a, .business, "受付")
            let q = request.uri.queryParameters
            var values: [String: String] = [:]
            if let r = q.get("register") { values["registers"] = String(r.prefix(200)) }
            return intakePage(a, values: values, error: nil)
        }
        router.post("/cases") { request, _ -> Response in
            let a = try await actor(request)
            let f = try await Self.checkedForm(request, a)
            // A refusal of the form's content shows the same form again, with what was typed and the message by its
            // field (a role or duty refusal is an error page).
            var values: [String: String] = [:]
            for k in Workspace.detailFields + ["kind", "requester", "registers", "persons"] {
                if let v = f[k] { values[k] = String(v.prefix(500)) }
            }
            do {
                guard let kind = CaseKind(rawValue: f["kind"] ?? "") else {
                    throw WorkspaceError.invalid("案件の種類を選んでください。", "Choose the kind of case.").about("kind")
                }
                let requester = (f["requester"]?.trimmed.nonEmpty).flatMap { Requester(rawValue: $0) }
                func list(_ s: String?) -> [String] {
                    (s ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\u{3001}" || $0 == "\n" || $0 == "\u{3000}" })
                        .map(String.init)
                }
                var details: [String: String] = [:]
                for k in Workspace.detailFields { if let v = f[k] { details[k] = v } }
                let c = try await workspace.openCase(a, kind: kind, requester: kind.isCertificate ? requester : nil,
                                                     registers: list(f["registers"]), persons: list(f["persons"]),
                                                     details: details, channel: .web)
                return Response(status: .seeOther, headers: [.location: "/cases/\(c.id)?received=1"])
            } catch let e as WorkspaceError where e.status == .badRequest || e.status == .notFound {
                return intakePage(a, values: values, error: e)
            }
        }
        router.get("/cases/:id") { request, context -> Response in
            let a = try await actor(request)
            let id = try context.parameters.require("id")
            let c = try await workspace.visibleCase(a, id: id)
            var v = base(a, title: "案件 \(c.number ?? c.id)")
            var summary = Self.caseSummary(c)
            summary["office"] = try await workspace.officeName(c.office)
            // The registers with their 筆頭者 and 本籍, as a search result shows them (the clerk checks which one it is).
            let regs = try await workspace.store.registers(ids: c.registers)
            let heads = Dictionary(try await workspace.store.persons(ids: regs.compactMap(\.head)).map { ($0.id, $0.name) },
                                   uniquingKeysWith: { x, _ in x })
            summary["registerRows"] = regs.map { r -> [String: Any] in
                ["id": r.id, "kind": r.kind.ja, "honseki": r.honseki, "head": r.head.flatMap { heads[$0] } ?? ""]
            }
            v["case"] = summary
            let q = request.uri.queryParameters
            if q.get("received") != nil { v["received"] = true }
            if let r = q.get("attached"), c.registers.contains(r) { v["attached"] = r }
            if q.get("closed") != nil, c.closed != nil { v["closedNow"] = (c.status ?? .done).ja }
            var details: [String: String] = [:]
            if let json = try await workspace.store.caseDetails(caseID: id),
               let d = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] {
                details = d
                v["details"] = d.keys.sorted().map { k -> [String: String] in
                    let value = d[k] ?? ""
                    return ["label": Workspace.detailLabels[k]?.ja ?? k,
                            "value": k == "subjectBirth" ? "\(ReportText.wareki(value))（\(ReportText.date(value))）" : value]
                }
            }
            v["subject"] = details["subjectName"] ?? ""
            v["dv"] = try await caseDVWarning(c)
            v["vipRegisters"] = try await caseVIPRegisters(c)
            v["issuances"] = try await workspace.store.issuances(caseID: id).map { i -> [String: Any] in
                ["number": i.number, "register": i.register, "copies": i.copies, "at": Self.jstMinute(i.at),
                 "link": Self.issuanceLocation(case: c.id, number: i.number)]
            }
            return html("case", v)
        }
        router.post("/cases/:id/close") { request, context -> Response in
            let a = try await actor(request)
            let f = try await Self.checkedForm(request, a)
            let id = try context.parameters.require("id")
            guard let status = CaseStatus(rawValue: f["status"] ?? "done"), status != .open else {
                throw WorkspaceError.invalid("完了の区分を選んでください（完了・不受理・却下・取下げ）。", "Choose how the case ends.")
                    .about("status")
            }
            _ = try await workspace.closeCase(a, id: id, status: status, channel: .web)
            return Response(status: .seeOther, headers: [.location: "/cases/\(Self.urlEncoded(id, path: true))?closed=1"])
        }
        // 案件を完了する asks first (issue 19, C-10): this page says what will happen; its button closes the case.
        router.get("/cases/:id/close") { request, context -> Response in
            let a = try await actor(request)
            try workspace.require(a, .business, "案件の完了")
            let id = try context.parameters.require("id")
            let c = try await workspace.visibleCase(a, id: id)
            guard c.closed == nil, (c.status ?? .open) == .open else {
                throw WorkspaceError(.conflict, "case_closed", "この案件はすでに完了しています。", "The case is already closed.")
            }
            guard let status = CaseStatus(rawValue: request.uri.queryParameters.get("status") ?? "done"), status != .open else {
                throw WorkspaceError.invalid("完了の区分を選んでください（完了・不受理・却下・取下げ）。", "Choose how the case ends.")
            }
            var v = base(a, title: "案件の完了の確認")
            v["case"] = Self.caseSummary(c)
            v["closing"] = ["code": status.rawValue, "name": status.ja]
            return html("case_close", v)
        }
        router.post("/cases/:id/registers") { request, context -> Response in
            let a = try await actor(request)
            let f = try await Self.checkedForm(request, a)
            let id = try context.parameters.require("id")
            let register = f["register"]?.trimmed ?? ""
            guard !register.isEmpty else {
                throw WorkspaceError.invalid("案件の対象にする戸籍を選んでください。", "Choose the register.").about("register")
            }
            let c = try await workspace.attachRegister(a, caseID: id, register: register, channel: .web)
            return see("/cases/\(Self.urlEncoded(c.id, path: true))?attached=\(Self.urlEncoded(register))")
        }
        router.get("/search") { request, _ -> Response in
            let a = try await actor(request)
            return try await searchPage(request, a)
        }
        addRegisters(to: router)
        addClerkForms(to: router)
        addOfficePage(to: router)
        addApprovals(to: router)
        router.get("/audit") { request, _ -> Response in
            let a = try await actor(request)
            guard a.can(.audit) else { throw WorkspaceError.forbiddenRole("監査") }
            var v = base(a, title: "監査")
            let cp = try await workspace.store.latestCheckpoint()
            v["ledgerSize"] = try await workspace.store.ledgerSize()
            v["checkpointSize"] = cp.map { String($0.size) } ?? "—"
            return html("audit", v)
        }
        router.get("/admin") { request, _ -> Response in
            let a = try await actor(request)
            guard a.can(.admin) else { throw WorkspaceError.forbiddenRole("管理") }
            var v = base(a, title: "管理")
            let b = workspace.currentBanner
            v["banner"] = ["ja": b.ja, "en": b.en, "version": b.version]
            // Accounts the account-wide ceiling of failed sign-ins locked for everyone (F-6): the administrator's to
            // look into (the ledger's `account.locked` entries say from where) and, if need be, to lift with a new
            // password (`akashi account set-password`).
            let locked = try await workspace.store.lockedAccounts(at: Workspace.nowMillis())
            v["locked"] = locked.map { x -> [String: Any] in
                ["staff": x.staff, "failures": x.failures,
                 "until": x.lockedUntil.map { Timestamp(millis: $0).format(offset: Timestamp.jst) } ?? ""]
            }
            v["noneLocked"] = locked.isEmpty
            v["ceiling"] = workspace.config.accountLockoutAfter
            v["ceilingMinutes"] = workspace.config.accountLockoutWindowSeconds / 60
            return html("admin", v)
        }
        router.post("/admin/banner") { request, _ -> Response in
            let a = try await actor(request)
            guard a.can(.admin) else { throw WorkspaceError.forbiddenRole("管理") }
            let f = try await Self.checkedForm(request, a)
            guard let ja = f["ja"]?.trimmed.nonEmpty, let en = f["en"]?.trimmed.nonEmpty, ja.count <= 1000, en.count <= 1000 else {
                throw WorkspaceError.invalid("警告文（日本語・英語）を入力してください。", "Give the banner in Japanese and English.")
            }
            _ = try await workspace.setBanner(ja: ja, en: en, by: a)
            return Response(status: .seeOther, headers: [.location: "/admin"])
        }
    }
}
