import AkashiDomain
import AkashiInterchange
import AkashiStorage
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The JSON API under `/api/v1` (described by `/api/v1/openapi.yaml`). Bearer tokens only: a browser's cookie is
/// never accepted here, so the API needs no CSRF token.
struct APIRoutes: Sendable {
    let workspace: Workspace

    /// The terminal a request comes from: the name the client gives in `X-Akashi-Terminal` (when it is a plain name)
    /// with the socket address beside it, else the address alone.
    static func terminal(_ request: Request, _ context: WebRequestContext, _ workspace: Workspace) -> String {
        terminal(named: request.headers[HTTPField.Name("X-Akashi-Terminal")!], address: workspace.clientAddress(request, context))
    }

    /// A client names its terminal, but the name is the client's claim; investigators also get the address the
    /// connection came from, which the client does not choose (`T27108-01@ip:10.0.0.5`).
    static func terminal(named name: String?, address: String?) -> String {
        let ip = address.map { "ip:" + $0 }
        if let t = name, (1...32).contains(t.count),
           t.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            return ip.map { t + "@" + $0 } ?? t
        }
        return ip ?? "local"
    }

    /// The signed-in actor of a bearer token; 401 without one, 428 until the banner is acknowledged.
    func actor(_ request: Request, banner: Bool = true) async throws -> Actor {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer "),
              let actor = try await workspace.actor(token: String(auth.dropFirst(7)).trimmed, kind: .api)
        else { throw WorkspaceError.unauthenticated }
        if banner, !workspace.hasAcknowledged(actor) { throw WorkspaceError.bannerRequired }
        return actor
    }

    /// The header a client sends to make a creating POST safe to retry.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// Runs a POST that creates something (a case, a certificate, an update, an approval request) once per
    /// `Idempotency-Key`, when the client sends one: a client that retries after a lost answer gets the first answer
    /// again (same status and body, with `Idempotent-Replayed: true`) and nothing is done twice — no second
    /// certificate number, no second access in the ledger. The key is the staff member's (another member's same key
    /// is another request), names one request (the same key with another path or body is a 409), and is remembered
    /// for 24 hours; a request refused with a 4xx gives its key back, so the corrected request can use it. The web
    /// forms get the same from their one-time tokens (post/redirect/get). Without the header, each POST acts.
    ///
    /// A request whose server was killed before it answered leaves its key claimed, but only for a lease its server
    /// no longer renews (``Workspace/claimLeaseMillis``); the retry then takes the key over and acts with the same
    /// seed (`act`'s second argument, ``Workspace/idempotencySeed(_:)``), from which the operation derives its IDs: it
    /// finds in the ledger what the first run did and answers that, completing what the first run left undone, or
    /// does it now if the first run never got to it. Either way, once.
    func once(_ request: Request, _ act: @Sendable (Request, _ seed: String?) async throws -> (HTTPResponse.Status, [String: Any]))
        async throws -> Response {
        guard let key = request.headers[Self.idempotencyKey] else {
            let (status, value) = try await act(request, nil)
            return JSONBody.response(value, status: status)
        }
        guard FormToken.isWellFormed(key) else {
            throw WorkspaceError.invalid("Idempotency-Key は 20〜64 文字の英数字・ハイフン・下線です。",
                                         "Idempotency-Key must be 20 to 64 characters of A-Z a-z 0-9 - _.").about("Idempotency-Key")
        }
        let a = try await actor(request, banner: false)
        var req = request
        let body = try await req.collectBody(upTo: 64 * 1024)
        let (token, kind) = Self.idempotencyClaim(staff: a.staff.id, key: key, method: request.method.rawValue,
                                                  path: request.uri.path, body: Data(body.readableBytesView))
        let owner = "api:" + a.staff.id
        let claimed: String
        do {
            switch try await workspace.claim(token, owner: owner, kind: kind) {
            case let .done(first):
                let stored = ResultJSON.decode(first.result)
                var r = JSONBody.response(bytes: Array((stored["body"] ?? "{}").utf8),
                                          status: HTTPResponse.Status(code: Int(stored["status"] ?? "") ?? 200))
                r.headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
                return r
            case let .claimed(k): claimed = k
            }
        } catch let e as WorkspaceError where e.code == "form_in_progress" {
            throw WorkspaceError(.conflict, "idempotency_conflict",
                                 "この Idempotency-Key は別の要求に使われたか、同じ要求がまだ処理中です。",
                                 "This Idempotency-Key was used for another request, or the same request is still running.")
        }
        do {
            let (status, value) = try await act(req, Self.idempotencySeed(token: token, kind: kind))
            let text = JSONBody.encode(value)
            try await workspace.complete(claimed, owner: owner,
                                         result: ResultJSON.encode(["status": String(status.code), "body": text]))
            return JSONBody.response(bytes: Array(text.utf8), status: status)
        } catch {
            await workspace.release(claimed, owner: owner)
            throw error
        }
    }

    /// What a request under an Idempotency-Key claims: the staff member's key (the claim's token) and which request
    /// it names (the claim's kind: method, path and a digest of the body).
    static func idempotencyClaim(staff: String, key: String, method: String, path: String, body: Data) -> (token: String, kind: String) {
        let digest = SHA256.hash(data: body).prefix(12).map { String(format: "%02x", $0) }.joined()
        return ("idempotency/\(staff)/\(key)", "api \(method) \(path) \(digest)")
    }

    /// The seed the operation of a claimed Idempotency-Key request derives its IDs from.
    static func idempotencySeed(token: String, kind: String) -> String {
        Workspace.idempotencySeed(FormToken.key(token) + "\n" + kind)
    }

    /// `actor`, but a 428 on a register operation is recorded as a refused access first.
    func registerActor(_ request: Request, register: String?, action: AccessAction, record: RecordKind,
                       purpose: Purpose, function: String) async throws -> Actor {
        let a = try await actor(request, banner: false)
        if !workspace.hasAcknowledged(a) {
            try await workspace.access(a, action, record, register: register, purpose: purpose, outcome: .denied,
                                       function: function, channel: .api, screen: "banner-required")
            throw WorkspaceError.bannerRequired
        }
        return a
    }

    func add(to api: RouterGroup<WebRequestContext>, ledger: LedgerService) {
        api.get("openapi.yaml") { _, _ -> Response in
            let text = (try? String(contentsOfFile: WebApp.resourceDirectory + "/Static/openapi.yaml", encoding: .utf8)) ?? ""
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        api.post("login") { request, context -> Response in
            let body = try await JSONBody.object(request)
            guard let staff = body["staff"] as? String, let password = body["password"] as? String else {
                throw WorkspaceError.invalid("staff と password を指定してください。", "Give staff and password.")
                    .about(body["staff"] is String ? "password" : "staff")
            }
            let (token, _) = try await workspace.signIn(staffID: staff, password: password, kind: .api,
                                                        terminal: Self.terminal(request, context, workspace),
                                                        client: workspace.clientAddress(request, context) ?? "local")
            return JSONBody.response(["token": token, "tokenType": "Bearer", "banner": workspace.currentBanner.version])
        }
        api.post("logout") { request, _ -> Response in
            try await workspace.signOut(try actor(request, banner: false))
            return Response(status: .noContent)
        }
        api.get("banner") { request, _ -> Response in
            _ = try await actor(request, banner: false)
            let b = workspace.currentBanner
            return JSONBody.response(["text": b.ja, "textEnglish": b.en, "version": b.version])
        }
        api.post("banner/acknowledge") { request, _ -> Response in
            try await workspace.acknowledgeBanner(try actor(request, banner: false))
            return Response(status: .noContent)
        }
        api.get("me") { request, _ -> Response in
            let a = try await actor(request)
            return JSONBody.response(["staff": a.staff.id, "name": a.staff.name ?? "", "role": a.staff.role.rawValue,
                                      "office": a.office, "onRegisterDuty": a.onRegisterDuty])
        }
        api.get("registers") { request, _ -> Response in
            // Read as a form sends it (`+` a space, `%2B` a plus), as the clerk's search page reads it: a full name
            // written 「小林+正一」 by a client library is 「小林 正一」.
            let q = Pages.formQuery(request)
            let a = try await registerActor(request, register: nil, action: .search, record: .current, purpose: Purpose(),
                                             function: "register.search")
            let query = RegisterQuery(name: q["name"], kana: q["kana"], birth: q["birth"], honseki: q["honseki"])
            let found = try await workspace.search(a, query, channel: .api)
            let names = Dictionary(try await workspace.store.persons(ids: found.compactMap(\.head)).map { ($0.id, $0.name) },
                                   uniquingKeysWith: { x, _ in x })
            return JSONBody.response(["results": found.map { r -> [String: Any] in
                var o: [String: Any] = ["id": r.id, "kind": r.kind.rawValue, "honseki": r.honseki, "office": r.office]
                o["head"] = r.head ?? NSNull()
                o["headName"] = r.head.flatMap { names[$0] } ?? NSNull()
                return o
            }])
        }
        api.get("registers/:id") { request, context -> Response in
            let id = try context.parameters.require("id")
            let q = Pages.formQuery(request)
            let purpose = Purpose(caseID: q["case"], reason: q["reason"], approvalID: q["approval"])
            var record: RecordKind?
            if let r = q["record"], !r.isEmpty {
                guard let k = RecordKind(rawValue: r), k != .form else {
                    throw WorkspaceError.invalid("record は current | removed | heisei_original | showa_original | fuhyo です。",
                                                 "record must be current | removed | heisei_original | showa_original | fuhyo")
                        .about("record")
                }
                record = k
            }
            let a = try await registerActor(request, register: id, action: .view, record: record ?? .current,
                                            purpose: purpose, function: "register.view")
            let view = try await workspace.viewRegister(a, id: id, record: record, purpose: purpose, channel: .api)
            return JSONBody.response(bytes: Self.registerJSON(view))
        }
        api.post("registers/:id/certificates") { request, context -> Response in
            let id = try context.parameters.require("id")
            return try await once(request) { request, seed in
                let body = try await JSONBody.object(request)
                let caseID = body["case"] as? String
                let a = try await registerActor(request, register: id, action: .print, record: .current,
                                                purpose: Purpose(caseID: caseID), function: "certificate.issue")
                let copies = (body["copies"] as? Int) ?? 1
                let i = try await workspace.issueCertificate(a, register: id, caseID: caseID, copies: copies,
                                                             approvalID: body["approval"] as? String, channel: .api, seed: seed)
                return (.created, Self.issuanceJSON(i))
            }
        }
        api.post("registers/:id/updates") { request, context -> Response in
            let id = try context.parameters.require("id")
            return try await once(request) { request, seed in
                let body = try await JSONBody.object(request)
                let caseID = body["case"] as? String
                let a = try await registerActor(request, register: id, action: .update, record: .current,
                                                purpose: Purpose(caseID: caseID), function: "notification.entry")
                let eventID = try await workspace.enterUpdate(a, register: id, caseID: caseID,
                                                              approvalID: body["approval"] as? String, channel: .api, seed: seed)
                return (.created, ["event": eventID, "register": id, "case": caseID ?? ""])
            }
        }
        api.post("cases") { request, _ -> Response in
            try await once(request) { request, seed in
                let a = try await actor(request)
                let body = try await JSONBody.object(request)
                guard let k = body["kind"] as? String, let kind = CaseKind(rawValue: k) else {
                    throw WorkspaceError.invalid("kind が正しくありません。", "kind must be one of: " + CaseKind.accepted).about("kind")
                }
                var requester: Requester?
                if let r = body["requester"] as? String {
                    guard let v = Requester(rawValue: r) else {
                        throw WorkspaceError.invalid("requester が正しくありません。", "requester must be one of: " + Requester.accepted)
                            .about("requester")
                    }
                    requester = v
                }
                var details: [String: String] = [:]
                for f in Workspace.detailFields { if let v = body[f] as? String { details[f] = v } }
                let c = try await workspace.openCase(a, kind: kind, requester: requester,
                                                     registers: body["registers"] as? [String] ?? [],
                                                     persons: body["persons"] as? [String] ?? [], details: details, channel: .api,
                                                     seed: seed)
                return (.created, Self.caseJSON(c))
            }
        }
        api.get("cases") { request, _ -> Response in
            let a = try await actor(request)
            // One's own open cases: case intake's list, for those who take in cases (on duty or not).
            guard a.can(.business) else { throw WorkspaceError.forbiddenRole("受付") }
            return JSONBody.response(["cases": try await workspace.store.openCases(staff: a.staff.id, limit: 100).map(Self.caseJSON)])
        }
        api.get("cases/:id") { request, context -> Response in
            let a = try await actor(request)
            let id = try context.parameters.require("id")
            let c = try await workspace.visibleCase(a, id: id)
            var o = Self.caseJSON(c)
            o["issuances"] = try await workspace.store.issuances(caseID: id).map(Self.issuanceJSON)
            return JSONBody.response(o)
        }
        api.post("cases/:id/close") { request, context -> Response in
            let a = try await actor(request)
            let id = try context.parameters.require("id")
            var status = CaseStatus.done
            if request.headers[.contentType]?.hasPrefix("application/json") == true {
                let body = try await JSONBody.object(request)
                if let s = body["status"] as? String {
                    guard let v = CaseStatus(rawValue: s) else {
                        throw WorkspaceError.invalid("status が正しくありません。", "status must be done, rejected or withdrawn.").about("status")
                    }
                    status = v
                }
            }
            return JSONBody.response(Self.caseJSON(try await workspace.closeCase(a, id: id, status: status, channel: .api)))
        }
        api.post("approvals") { request, _ -> Response in
            try await once(request) { request, seed in
                let a = try await actor(request)
                let body = try await JSONBody.object(request)
                guard let register = body["register"] as? String else {
                    throw WorkspaceError.invalid("register を指定してください。", "Give register.").about("register")
                }
                // The record the approval is for; without one, the 附票 (every request before the VIP rule was one).
                var record = RecordKind.fuhyo
                if let raw = body["record"] {
                    guard let text = raw as? String, let k = RecordKind(rawValue: text), k != .form else {
                        throw WorkspaceError.invalid("record は current | removed | heisei_original | showa_original | fuhyo です。",
                                                     "record must be current | removed | heisei_original | showa_original | fuhyo")
                    }
                    record = k
                }
                let r = try await workspace.requestApproval(a, register: register, record: record,
                                                            purpose: Purpose(caseID: body["case"] as? String, reason: body["reason"] as? String),
                                                            seed: seed)
                return (.created, Self.approvalJSON(r))
            }
        }
        api.get("approvals") { request, _ -> Response in
            let a = try await actor(request)
            guard a.can(.approve) else { throw WorkspaceError.forbiddenRole("承認") }
            return JSONBody.response(["approvals": try await workspace.store.pendingApprovals(office: a.office).map(Self.approvalJSON)])
        }
        for (path, approve) in [("approve", true), ("deny", false)] {
            api.post("approvals/:id/\(path)") { request, context -> Response in
                let a = try await actor(request)
                // An optional body `{"note": "…"}`: the reason for the decision, kept with it and in its ledger entry.
                var note: String?
                if let n = try await JSONBody.object(request, emptyAllowed: true)["note"] {
                    guard let text = n as? String else { throw WorkspaceError.invalid("note は文字列です。", "note is a string.").about("note") }
                    note = text
                }
                return JSONBody.response(Self.approvalJSON(try await workspace.decideApproval(
                    a, id: try context.parameters.require("id"), approve: approve, note: note)))
            }
        }
        api.get("ledger/checkpoint") { _, _ -> Response in try await WebApp.published(ledger, "checkpoint") }
    }

    static func caseJSON(_ c: Case) -> [String: Any] {
        ["id": c.id, "number": c.number ?? "", "office": c.office, "kind": c.kind.rawValue,
         "requester": c.requester?.rawValue ?? NSNull(), "received": c.received.description,
         "closed": c.closed?.description ?? NSNull(), "status": (c.status ?? .open).rawValue, "staff": c.staff,
         "registers": c.registers, "persons": c.persons]
    }

    static func issuanceJSON(_ i: IssuanceRecord) -> [String: Any] {
        ["number": i.number, "case": i.caseID, "register": i.register, "certificate": i.certificate, "copies": i.copies,
         "requester": i.requester ?? NSNull(), "at": i.at.description, "staff": i.staff, "office": i.office, "event": i.eventID]
    }

    static func approvalJSON(_ a: ApprovalRequest) -> [String: Any] {
        ["id": a.id, "staff": a.staff, "office": a.office, "register": a.register, "record": a.record,
         "case": a.caseID ?? NSNull(), "reason": a.reason ?? NSNull(), "requested": a.requested.description,
         "status": a.status.rawValue, "approver": a.approver ?? NSNull(), "decided": a.decided?.description ?? NSNull(),
         "note": a.note ?? NSNull()]
    }

    /// The register view's JSON, written field by field in key order (the shape `JSONBody` gives a dictionary,
    /// absent values as `null`), without boxing every value in `Any`: this body is on every register view.
    static func registerJSON(_ v: RegisterView) -> [UInt8] {
        let r = v.register
        var w = CanonicalWriter(capacity: 512 + 256 * v.members.count)
        w.open()
        if v.record == .fuhyo {
            w.objects("addresses", v.members) { w, p in
                w.nullable("address", p.address)
                w.nullable("name", p.name)
                w.nullable("person", p.id)
                w.nullable("since", p.addressSince?.description)
            }
        }
        if let c = v.caseRecord { w.nullable("case", c.id) }
        w.nullable("closed", r.closed?.description)
        w.nullable("event", v.eventID)
        w.nullable("head", r.head)
        w.nullable("headName", r.head.flatMap { h in v.members.first(where: { $0.id == h })?.name })
        w.nullable("honseki", r.honseki)
        w.nullable("id", r.id)
        w.nullable("kind", r.kind.rawValue)
        w.objects("members", v.members) { w, p in
            w.nullable("birth", p.birth?.description)
            w.nullable("died", p.died?.description)
            w.nullable("id", p.id)
            w.nullable("kana", p.kana)
            w.nullable("name", p.name)
            w.objects("relations", p.relations) { w, rel in
                w.nullable("kind", rel.kind.rawValue)
                w.nullable("person", rel.person)
            }
            w.nullable("sex", p.sex)
        }
        w.nullable("office", r.office)
        w.nullable("opened", r.opened?.description)
        w.field("predecessors", r.predecessors)
        w.nullable("record", v.record.rawValue)
        w.field("successors", r.successors)
        w.close()
        return w.bytes
    }
}
