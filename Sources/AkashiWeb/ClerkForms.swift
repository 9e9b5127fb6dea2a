import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Break-the-glass with structure (issue 19, C-7), the 異動入力 form (C-5) and the printable certificate (C-4).
extension Pages {
    /// The reason of a break-the-glass form: a category from ``BreakGlassCategory`` and a comment of 4 characters or
    /// more, recorded as `「区分」：comment` (500 characters at most in all). `nil` when the form names a case (or gives
    /// no reason). A form that names an approval asked with a reason gives that reason as it was asked, without a
    /// category. Throws a 400 naming the field.
    static func breakGlassReason(_ f: [String: String]) throws -> (reason: String, category: BreakGlassCategory?)? {
        guard f["case"]?.trimmed.nonEmpty == nil, let comment = f["reason"]?.trimmed.nonEmpty else { return nil }
        if f["approval"]?.trimmed.nonEmpty != nil, f["category"]?.trimmed.nonEmpty == nil { return (comment, nil) }
        guard let c = BreakGlassCategory(rawValue: f["category"]?.trimmed ?? "") else {
            throw WorkspaceError.invalid("理由の区分を選んでください。", "Choose the category of the reason.").about("category")
        }
        let room = 500 - c.ja.count - 1
        guard comment.count >= 4, comment.count <= room else {
            throw WorkspaceError(.badRequest, "reason_too_short",
                                 "理由の説明を4文字以上\(room)文字以内で具体的に記入してください（いまは\(comment.count)文字）。",
                                 "Explain the reason in 4 to \(room) characters (now \(comment.count)).", field: "reason")
        }
        return (c.ja + "：" + comment, c)
    }

    /// The confirmation before a break-the-glass view: whose register it is (筆頭者, 本籍), the reason as it will be
    /// recorded, and the password again. Showing it is journaled (`breakglass.confirm`: the register, the reason) when
    /// `journal` is set, since it names the register's head; nothing is opened and no access is recorded yet.
    func breakGlassConfirmation(_ a: Actor, register id: String, values f: [String: String], error: WorkspaceError?,
                                journal: Bool = false) async throws -> Response {
        try workspace.require(a, .breakGlass, "理由による閲覧（緊急時）")
        guard let reg = try await workspace.store.register(id: id) else { throw WorkspaceError.notFound("戸籍 \(id) ") }
        let reason = f["reason"] ?? ""
        let composed = (try? Self.breakGlassReason(f))?.reason ?? reason
        if journal {
            _ = try await workspace.journal("breakglass.confirm", actor: a, subject: reg.id,
                                            detail: .object([("reason", .string(String(composed.prefix(500)))),
                                                             ("record", .string(f["record"] ?? ""))]))
        }
        let head: String? = if let h = reg.head { try await workspace.store.person(id: h)?.name } else { nil }
        var v = base(a, title: "理由による閲覧の確認")
        v["reg"] = ["id": reg.id, "kind": reg.kind.ja, "honseki": reg.honseki, "head": head ?? "（記録なし）",
                    "office": try await workspace.officeName(reg.office)]
        v["record"] = RecordKind(rawValue: f["record"] ?? "")?.ja ?? RecordKind(rawValue: reg.kind.rawValue)!.ja
        v["values"] = ["record": f["record"] ?? "", "category": f["category"] ?? "", "reason": reason,
                       "approval": f["approval"] ?? ""]
        v["composed"] = composed
        v["form"] = FormToken.new()
        if let error { v["err"] = ["password": ["message": error.message, "english": error.english]] }
        return html("breakglass_confirm", v, status: error == nil ? .ok : .forbidden)
    }

    /// The 異動入力 form for a notification case, with the fields of its kind.
    func updateForm(_ a: Actor, register id: String, caseID: String, approval: String = "", values: [String: String],
                    error: WorkspaceError?) async throws -> Response {
        guard let c = try await workspace.store.caseRecord(id: caseID), c.staff.contains(a.staff.id),
              c.kind.isNotification || c.kind == .correction else {
            throw WorkspaceError(.forbidden, "case_required", "異動入力には、担当する届出の案件が必要です。",
                                 "An update needs a notification case you handle.")
        }
        var v = base(a, title: "異動入力 \(c.kind.ja)")
        v["register"] = id
        v["case"] = Self.caseSummary(c)
        // The approval the register was opened with, for a register under a two-person rule (VIP): entering uses it too.
        v["approval"] = approval
        v["fields"] = UpdateField.form(for: c.kind, values: values, error: error)
        v["form"] = FormToken.new()
        if let error { v["formError"] = ["message": error.message, "english": error.english] }
        return html("update_form", v, status: error?.status ?? .ok)
    }

    /// The certificate of an issuance laid out as the official forms (戸籍全部事項証明書, 戸籍個人事項証明書, 戸籍の附票の写し),
    /// from what the register holds. Only its issuer opens it, within ``WebConfiguration/printMinutes``, and each
    /// opening is recorded (``Workspace/printableIssuance(_:caseID:number:)``). A person under DV support has no
    /// address on a printed 附票, and neither does anyone else on it at that same address (security retest N-8: her
    /// mother's line gave it away).
    func certificatePage(_ a: Actor, case c: Case, issuance i: IssuanceRecord) async throws -> Response {
        guard let reg = try await workspace.store.register(id: i.register) else { throw WorkspaceError.notFound("戸籍 \(i.register) ") }
        let members = try await workspace.store.persons(ids: reg.members)
        var names = Dictionary(members.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        let outside = Set(members.flatMap { $0.relations.map(\.person) } + [reg.head].compactMap { $0 }).subtracting(names.keys)
        for p in try await workspace.store.persons(ids: outside.sorted()) { names[p.id] = p }
        let kind = CaseKind(rawValue: i.certificate) ?? .certificate_full
        let protected = try await dvProtected(reg.members)
        // Addresses of the protected (known ones: an empty address hides nothing and matches nothing).
        let hidden = Set(members.filter { protected[$0.id] != nil }.compactMap { $0.address?.trimmed.nonEmpty })
        let head = reg.head.flatMap { names[$0] }
        // 続柄 to the head: 夫・妻, and 長男・二男 … 長女・二女 … by birth among the head's children on the register.
        func relationToHead(_ p: Person) -> String {
            guard let h = head else { return "" }
            if p.id == h.id { return "筆頭者" }
            if let r = p.relations.first(where: { $0.person == h.id }) {
                switch r.kind {
                case .spouse: return p.sex == "F" ? "妻" : p.sex == "M" ? "夫" : "配偶者"
                case .parent, .adoptive_parent:
                    let siblings = members.filter { m in m.sex == p.sex && m.relations.contains { $0.person == h.id && $0.kind == r.kind } }
                        .sorted { ($0.birth?.description ?? "") < ($1.birth?.description ?? "") }
                    let n = (siblings.firstIndex { $0.id == p.id } ?? 0) + 1
                    let order = n == 1 ? "長" : ["二", "三", "四", "五", "六", "七", "八", "九"][min(n - 2, 7)]
                    let who = p.sex == "F" ? "女" : p.sex == "M" ? "男" : "子"
                    return r.kind == .adoptive_parent ? "養子（\(who)）" : order + who
                default: return r.kind.ja
                }
            }
            return ""
        }
        var shown = members
        if kind == .certificate_individual {
            let wanted = c.persons.filter { reg.members.contains($0) }
            shown = members.filter { wanted.isEmpty ? $0.id == reg.head : wanted.contains($0.id) }
        }
        let title: String = switch kind {
        case .certificate_full: "戸籍全部事項証明書"
        case .certificate_individual: "戸籍個人事項証明書"
        case .certificate_fuhyo: "戸籍の附票の写し"
        case .certificate_removed: "除籍全部事項証明書"
        case .certificate_original: "改製原戸籍謄本"
        default: kind.ja
        }
        var v = base(a, title: "\(title) \(i.number)")
        let officeName = try await workspace.officeName(i.office)
        var cert: [String: Any] = [
            "title": title, "number": i.number, "date": ReportText.wareki(i.at.jstDate.description),
            "office": officeName, "honseki": reg.honseki, "head": head?.name ?? "", "registerKind": reg.kind.ja,
            "fuhyo": kind == .certificate_fuhyo, "copies": i.copies, "caseNumber": c.number ?? c.id, "caseID": c.id,
            "whole": kind != .certificate_individual,
            "members": shown.map { p -> [String: Any] in
                let parents = p.relations.filter { $0.kind == .parent || $0.kind == .adoptive_parent }.compactMap { names[$0.person] }
                var m: [String: Any] = [
                    "name": p.name, "birth": Self.registerDate(p.birth), "sex": p.sex == "M" ? "男" : p.sex == "F" ? "女" : "",
                    "since": Self.registerDate(p.addressSince), "address": p.address ?? "",
                ]
                // Only what is known: an empty string would still open a template section.
                m["father"] = parents.first { $0.sex == "M" }?.name
                m["mother"] = parents.first { $0.sex == "F" }?.name
                m["relation"] = relationToHead(p).nonEmpty
                m["died"] = Self.registerDate(p.died).nonEmpty
                if protected[p.id] != nil || p.address.flatMap({ $0.trimmed.nonEmpty }).map(hidden.contains) == true {
                    m["address"] = ""
                    m["protected"] = true
                }
                return m
            },
        ]
        cert["opened"] = Self.registerDate(reg.opened).nonEmpty
        cert["closed"] = Self.registerDate(reg.closed).nonEmpty
        v["cert"] = cert
        var r = html("certificate", v)
        // The print button's one line of script (window.print), from this server only; nothing inline.
        r.headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        return r
    }

    func addClerkForms(to router: Router<WebRequestContext>) {
        router.get("/cases/:id/issuances/:number/print") { request, context -> Response in
            // A recorded view: another site's page may not make the issuer's browser open it (F-7, retest R2-5).
            try Pages.requireSameOrigin(request)
            let a = try await actor(request)
            try workspace.require(a, .issue, "証明書の印刷")
            let id = try context.parameters.require("id")
            let number = try context.parameters.require("number")
            let (c, i) = try await workspace.printableIssuance(a, caseID: id, number: number)
            return try await certificatePage(a, case: c, issuance: i)
        }
        router.get("/static/print.js") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: """
                         document.getElementById("print").addEventListener("click", function () { window.print(); });

                         """)))
        }
    }
}

extension Workspace {
    /// The password again before a break-the-glass view (issue 19, C-7). A wrong or missing one refuses the view,
    /// recorded as a refused view (`screen: web:breakglass-confirm`); the password itself is recorded nowhere.
    ///
    /// The check is a sign-in's (security retest N-2: it was an unlimited guessing oracle for whoever holds a
    /// session): it passes the same gate (``PasswordGate``: per-address rate, one check at a time), and the store
    /// counts it with failed sign-ins before the password is hashed (``WorkspaceStore/claimSignIn(staff:address:at:limits:)``),
    /// so the same limits lock the address (and, past the ceiling, the account). Reaching a lock here, or finding one,
    /// also ends the session: whoever guesses at a clerk's open session is signed out.
    func confirmPassword(_ actor: Actor, _ password: String, client: String, register: String, record: RecordKind?,
                         purpose: Purpose) async throws {
        let staffID = actor.staff.id
        func refuse(_ error: WorkspaceError = .passwordWrong, endSession: Bool = false) async throws -> Never {
            try await access(actor, .view, record ?? .current, register: register, purpose: purpose, outcome: .denied,
                             function: "register.view", channel: .web, screen: "breakglass-confirm")
            if endSession { try await store.deleteSession(tokenHash: actor.session.tokenHash) }
            throw error
        }
        // An empty password is no guess: refused without a check.
        guard !password.isEmpty else { try await refuse() }
        let nowMs = Self.nowMillis()
        switch try await checkPassword(password, staffID: staffID, address: client) {
        case let .refused(error):
            try await refuse(error)
        case .unknownAccount:
            try await refuse()
        case .locked:
            // A lock this session's own check did not set (someone else's guesses from the address, or across
            // addresses against the account): refused, but the clerk keeps her session (security retest R2-2).
            try await refuse(.reentryLocked)
        case let .wrong(locks, addressFailures, accountFailures):
            if let locks {
                try await journalLock(staffID, terminal: actor.session.terminal, address: client, locks: locks,
                                      addressFailures: addressFailures, accountFailures: accountFailures, at: nowMs)
                try await refuse(.reentryLocked, endSession: true)
            }
            try await refuse()
        case .right:
            return
        }
    }
}
