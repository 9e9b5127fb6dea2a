import AkashiDomain
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

    /// The values every signed-in page uses (header, navigation, CSRF token).
    func base(_ a: Actor, title: String) -> [String: Any] {
        var v: [String: Any] = ["title": title, "csrf": a.session.csrf, "signedIn": true,
         "me": ["id": a.staff.id, "name": a.staff.name ?? a.staff.id, "role": a.staff.role.ja, "office": a.office],
         "business": a.can(.business), "approver": a.can(.approve), "auditor": a.can(.audit), "admin": a.can(.admin)]
        if a.can(.audit), let t = workspace.auditedAt.withLock({ $0 }) {
            v["auditAsOf"] = Self.jstMinute(t)
        }
        return v
    }

    /// `2026-12-06 18:30 JST`: a time as a person reads it.
    static func jstMinute(_ t: Timestamp) -> String {
        let m = t.jstMinuteOfDay
        return "\(t.jstDate) \(m / 60 < 10 ? "0" : "")\(m / 60):\(m % 60 < 10 ? "0" : "")\(m % 60) JST"
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

    static func caseSummary(_ c: Case) -> [String: Any] {
        ["id": c.id, "number": c.number ?? c.id, "kind": c.kind.ja, "kindCode": c.kind.rawValue,
         "requester": c.requester?.ja ?? "", "received": c.received.format(offset: Timestamp.jst),
         "registers": c.registers, "persons": c.persons, "isCertificate": c.kind.isCertificate,
         "isNotification": c.kind.isNotification, "open": c.closed == nil && (c.status ?? .open) == .open,
         "status": (c.status ?? .open).rawValue]
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
        router.get("/signin") { _, _ -> Response in
            let pre = Tokens.newToken()
            var r = html("signin", ["title": "サインイン", "csrf": pre])
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
            var v = base(a, title: "案件の受付")
            v["kinds"] = CaseKind.allCases.map { ["code": $0.rawValue, "name": $0.ja] }
            v["requesters"] = Requester.allCases.map { r in
                ["code": r.rawValue, "name": r.ja, "needs": Workspace.requiredDetails(r).map(\.1).joined(separator: "・")]
            }
            let q = request.uri.queryParameters
            v["register"] = q.get("register") ?? ""
            return html("case_new", v)
        }
        router.post("/cases") { request, _ -> Response in
            let a = try await actor(request)
            let f = try await Self.checkedForm(request, a)
            guard let kind = CaseKind(rawValue: f["kind"] ?? "") else {
                throw WorkspaceError.invalid("案件の種類を選んでください。", "Choose the kind of case.")
            }
            let requester = (f["requester"]?.trimmed.nonEmpty).flatMap { Requester(rawValue: $0) }
            func list(_ s: String?) -> [String] {
                (s ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\u{3001}" || $0 == "\n" }).map(String.init)
            }
            var details: [String: String] = [:]
            for k in Workspace.detailFields { if let v = f[k] { details[k] = v } }
            let c = try await workspace.openCase(a, kind: kind, requester: kind.isCertificate ? requester : nil,
                                                 registers: list(f["registers"]), persons: list(f["persons"]),
                                                 details: details, channel: .web)
            return Response(status: .seeOther, headers: [.location: "/cases/\(c.id)"])
        }
        router.get("/cases/:id") { request, context -> Response in
            let a = try await actor(request)
            let id = try context.parameters.require("id")
            guard let c = try await workspace.store.caseRecord(id: id),
                  c.staff.contains(a.staff.id) || (a.can(.approve) && c.office == a.office) else {
                throw WorkspaceError.notFound("案件 \(id) ")
            }
            var v = base(a, title: "案件 \(c.number ?? c.id)")
            v["case"] = Self.caseSummary(c)
            if let json = try await workspace.store.caseDetails(caseID: id),
               let d = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] {
                let labels = ["requesterName": "請求者氏名", "relationship": "続柄", "purpose": "利用目的", "qualification": "資格",
                              "registrationNumber": "登録番号", "agency": "機関名", "legalBasis": "根拠法令",
                              "notifier": "届出人", "note": "備考"]
                v["details"] = d.keys.sorted().map { ["label": labels[$0] ?? $0, "value": d[$0] ?? ""] }
            }
            v["issuances"] = try await workspace.store.issuances(caseID: id).map { i -> [String: Any] in
                ["number": i.number, "register": i.register, "copies": i.copies, "at": i.at.format(offset: Timestamp.jst)]
            }
            return html("case", v)
        }
        router.post("/cases/:id/close") { request, context -> Response in
            let a = try await actor(request)
            let f = try await Self.checkedForm(request, a)
            let id = try context.parameters.require("id")
            let status = CaseStatus(rawValue: f["status"] ?? "done") ?? .done
            _ = try await workspace.closeCase(a, id: id, status: status, channel: .web)
            return Response(status: .seeOther, headers: [.location: "/menu"])
        }
        router.get("/search") { request, _ -> Response in
            let a = try await actor(request)
            let q = request.uri.queryParameters
            let query = RegisterQuery(name: q.get("name"), kana: q.get("kana"), birth: q.get("birth"), honseki: q.get("honseki"))
            var v = base(a, title: "戸籍の検索")
            v["q"] = ["name": query.name ?? "", "kana": query.kana ?? "", "birth": query.birth ?? "", "honseki": query.honseki ?? ""]
            v["case"] = q.get("case") ?? ""
            if !query.isEmpty {
                // A search is recorded against the clerk, so another page must not be able to make one: the form
                // carries the session's CSRF token (a GET, so the token is a query parameter).
                guard let t = q.get("csrf"), Tokens.constantTimeEqual(t, a.session.csrf) else { throw WorkspaceError.csrf }
                let found = try await workspace.search(a, query, channel: .web)
                let heads = Dictionary(try await workspace.store.persons(ids: found.compactMap(\.head)).map { ($0.id, $0.name) },
                                       uniquingKeysWith: { x, _ in x })
                v["searched"] = true
                v["results"] = found.map { r -> [String: Any] in
                    ["id": r.id, "kind": r.kind.ja, "honseki": r.honseki, "head": r.head.flatMap { heads[$0] } ?? "",
                     "case": q.get("case") ?? ""]
                }
                v["none"] = found.isEmpty
            }
            return html("search", v)
        }
        addRegisters(to: router)
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
