import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The register pages: the purpose form, the register shown, certificate issuance and update entry. Each POST that
/// acts is post/redirect/get with a one-time form token (``FormToken``): it acts once, then answers 303 to a page
/// showing what it did, which a reload shows again without acting (no second access in the ledger, no second
/// 発行番号).
extension Pages {
    /// 303 See Other to `location`.
    func see(_ location: String) -> Response { Response(status: .seeOther, headers: [.location: location]) }

    static func viewLocation(_ register: String, _ token: String) -> String {
        "/registers/\(urlEncoded(register, path: true))/view/\(token)"
    }

    /// A request's query parameters as a dictionary (the first value of a repeated name).
    static func queryValues(_ request: Request) -> [String: String] {
        Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { x, _ in x })
    }

    static func updateLocation(_ register: String, _ token: String) -> String {
        "/registers/\(urlEncoded(register, path: true))/update/\(token)"
    }

    static func issuanceLocation(case caseID: String, number: String) -> String {
        "/cases/\(urlEncoded(caseID, path: true))/issuances/\(urlEncoded(number, path: true))"
    }

    /// A date on a register as the forms write it: 和暦, empty when unknown.
    static func registerDate(_ d: LocalDate?) -> String { d.map { ReportText.wareki($0.description) } ?? "" }

    /// The IDs of the persons under DV support today among `persons`, with the protection in force.
    func dvProtected(_ persons: [String]) async throws -> [String: Protection] {
        try await protected(persons, kind: .dv_support)
    }

    /// The IDs of the persons under a protection of `kind` today among `persons`, with the protection in force.
    func protected(_ persons: [String], kind: ProtectionKind) async throws -> [String: Protection] {
        let today = workspace.now.jstDate
        var out: [String: Protection] = [:]
        for p in persons {
            if let x = try await workspace.store.protections(person: p).first(where: { $0.kind == kind && $0.covers(today) }) {
                out[p] = x
            }
        }
        return out
    }

    /// The register page for a view that was recorded (`view.eventID`).
    func registerPage(_ a: Actor, _ view: RegisterView, reason: String?, approval: String?) async throws -> Response {
        let r = view.register
        var v = base(a, title: "\(view.record.ja) \(r.id)")
        var names = Dictionary(view.members.map { ($0.id, $0.name) }, uniquingKeysWith: { x, _ in x })
        // The head and relatives who are not members of this register (moved out, married into another register) are
        // named too, not shown as IDs.
        let outside = Set(([r.head].compactMap { $0 } + view.members.flatMap { $0.relations.map(\.person) })).subtracting(names.keys)
        for p in try await workspace.store.persons(ids: outside.sorted()) { names[p.id] = p.name }
        let protected = try await dvProtected(view.members.map(\.id))
        v["reg"] = ["id": r.id, "kind": r.kind.ja, "record": view.record.ja, "honseki": r.honseki,
                    "office": try await workspace.officeName(r.office),
                    "head": r.head.flatMap { names[$0] } ?? "", "opened": Self.registerDate(r.opened),
                    "closed": Self.registerDate(r.closed), "predecessors": r.predecessors, "successors": r.successors] as [String: Any]
        v["fuhyo"] = view.record == .fuhyo
        v["members"] = view.members.map { p -> [String: Any] in
            var m: [String: Any] = [
                "id": p.id, "name": p.name, "kana": p.kana ?? "", "birth": Self.registerDate(p.birth),
                "sex": p.sex == "M" ? "男" : p.sex == "F" ? "女" : "", "died": Self.registerDate(p.died),
                "address": p.address ?? "", "since": Self.registerDate(p.addressSince),
                // A relative whose record the store lacks is named as unknown, never by a raw ID.
                "relations": p.relations.map { ["kind": $0.kind.ja, "name": names[$0.person] ?? "（記録なし）"] },
            ]
            if let x = protected[p.id] {
                m["protected"] = ["from": x.from.description, "to": x.to?.description ?? ""]
            }
            return m
        }
        v["anyProtected"] = !protected.isEmpty
        // The VIP rule (issue 18, F-4), said on the register it applies to: shown because a supervisor approved it, for
        // this record and purpose only. Which member is protected, and why, is not said: the clerk needs the rule.
        v["vipRule"] = try await workspace.approvalRules(r, record: view.record).contains(.vip)
        v["event"] = view.eventID
        v["reason"] = reason
        v["approval"] = approval ?? ""
        // The update form's link carries the approval too (an approval for a notification case covers entering it).
        v["approvalQuery"] = approval?.nonEmpty.map { "&approval=" + Self.urlEncoded($0) } ?? ""
        if let aid = approval, let ap = try await workspace.store.approval(id: aid), ap.staff == a.staff.id {
            v["approvalInfo"] = try await approvalSummary(ap)
        }
        if let c = view.caseRecord {
            v["case"] = Self.caseSummary(c)
            let canIssue = c.kind.isCertificate && a.can(.issue)
            v["canIssue"] = canIssue
            v["canUpdate"] = (c.kind.isNotification || c.kind == .correction) && a.can(.update)
            v["issueForm"] = FormToken.new()
            if canIssue {
                // Issuing again for the same case is allowed (a second request), but never unnoticed.
                let issued = try await workspace.store.issuances(caseID: c.id).map { i -> [String: Any] in
                    ["number": i.number, "copies": i.copies, "at": Self.jstMinute(i.at),
                     "link": Self.issuanceLocation(case: c.id, number: i.number),
                     "print": Self.issuanceLocation(case: c.id, number: i.number) + "/print"]
                }
                v["issued"] = issued
                v["hasIssued"] = !issued.isEmpty
            }
        }
        return html("register", v)
    }

    /// A page saying a result can no longer be shown, with the way back.
    func expiredResult(_ a: Actor, what: String, whatEnglish: String, again: String, againText: String) -> Response {
        var v = base(a, title: "表示の期限切れ")
        v["notice"] = ["heading": "\(what)の表示期限が切れました", "headingEn": "\(whatEnglish) can no longer be shown",
                       "ja": "この画面は、操作から\(workspace.config.resultMinutes)分間だけ、記録し直さずに表示できます。もう一度開くと、新しい操作として記録されます。",
                       "en": "This page can be shown again, without recording again, for \(workspace.config.resultMinutes) minutes after the operation. Opening it again is recorded as a new operation.",
                       "link": again, "linkText": againText] as [String: Any]
        return html("notice", v, status: .gone)
    }

    /// The purpose form (利用目的の選択): a case, or a reason from the fixed categories with a comment (break-the-glass);
    /// with `values` and `refusal`, the form as it was sent and why it was refused, the message by its field.
    func purposePage(_ a: Actor, register id: String, query q: [String: String], values: [String: String],
                     refusal: WorkspaceError?) async throws -> Response {
        let chosen = values["case"] ?? q["case"] ?? ""
        var v = base(a, title: "利用目的の選択")
        v["register"] = id
        v["form"] = FormToken.new()
        // Only the record kinds this register has (a current register has no 除籍 to open; 附票 belong to current
        // registers and 除籍).
        let reg = try await workspace.store.register(id: id)
        let kinds: [RecordKind] = reg.map { r in
            let own = RecordKind(rawValue: r.kind.rawValue)!
            return r.kind == .current || r.kind == .removed ? [own, .fuhyo] : [own]
        } ?? Self.recordKinds
        let wanted = values["record"] ?? q["record"] ?? ""
        v["records"] = kinds.map { k -> [String: Any] in ["code": k.rawValue, "name": k.ja, "selected": k.rawValue == wanted] }
        v["categories"] = BreakGlassCategory.allCases.map { c -> [String: Any] in
            ["code": c.rawValue, "name": c.ja, "en": c.en, "selected": c.rawValue == values["category"]]
        }
        v["comment"] = values["comment"] ?? ""
        if let e = refusal {
            v["formError"] = ["message": e.message, "english": e.english, "code": e.code, "heading": e.heading.ja]
            if let field = e.field { v["err"] = [field: ["message": e.message, "english": e.english]] }
        }
        v["cases"] = try await workspace.store.openCases(staff: a.staff.id, limit: 50).map { c -> [String: Any] in
            var s = Self.caseSummary(c)
            s["selected"] = c.id == chosen
            return s
        }
        v["breakGlass"] = a.can(.breakGlass)
        v["approval"] = values["approval"] ?? q["approval"] ?? ""
        // The approval the link names, as the clerk's own request says it: what it covers and until when.
        if let aid = values["approval"]?.nonEmpty ?? q["approval"], let ap = try await workspace.store.approval(id: aid),
           ap.staff == a.staff.id,
           ap.register == id {
            v["approvalInfo"] = try await approvalSummary(ap)
        }
        // The reason of an approval asked with a reason and no case (from the link on the request's page): it
        // must be given again, the same, to use the approval.
        v["reason"] = (values["approval"]?.nonEmpty != nil ? values["reason"] : nil) ?? q["reason"].map { String($0.prefix(500)) } ?? ""
        v["withApprovalReason"] = !(v["reason"] as? String ?? "").isEmpty
        return html("open", v, status: refusal.map(\.status) ?? .ok)
    }

    /// The page of a refused view (issue 19, item 8), from what the refusal stored with its form token: the purpose form
    /// as it was sent with the message by its field, the confirmation again for a wrong password, or the approval page.
    /// The refusal was recorded once, when the form was first sent; this page, shown again for the same form (a reload
    /// re-sends it), records nothing.
    func refusedViewPage(_ a: Actor, register id: String, _ r: [String: String]) async throws -> Response {
        let status = HTTPResponse.Status(code: Int(r["status"] ?? "") ?? 403)
        let e = WorkspaceError(status, r["refused"] ?? "", r["message"] ?? "", r["english"] ?? "", field: r["field"]?.nonEmpty)
        if e.code == WorkspaceError.approvalRequired.code {
            return try await approvalNeeded(a, register: id, record: RecordKind(rawValue: r["record"] ?? ""),
                                            purpose: Purpose(caseID: r["case"], reason: r["reason"], approvalID: r["approval"]),
                                            action: .view)
        }
        if e.field == "password" {
            return try await breakGlassConfirmation(a, register: id, values: r.merging(["reason": r["comment"] ?? ""]) { _, n in n },
                                                    error: e)
        }
        return try await purposePage(a, register: id, query: [:], values: r, refusal: e)
    }

    /// The page of a refused issuance or update, from what the refusal stored (shown again, it records nothing).
    func refusalPage(_ a: Actor, kind: String, _ r: [String: String]) async throws -> Response {
        let code = r["refused"] ?? ""
        if code == WorkspaceError.approvalRequired.code, let register = r["register"] {
            let record: RecordKind? = if kind == "issue" {
                try await workspace.issueRecord(register: register, caseID: r["case"])
            } else {
                nil
            }
            return try await approvalNeeded(a, register: register, record: record,
                                            purpose: Purpose(caseID: r["case"], approvalID: r["approval"]),
                                            action: kind == "issue" ? .issue : .update)
        }
        let status = HTTPResponse.Status(code: Int(r["status"] ?? "") ?? 403)
        let e = WorkspaceError(status, code, r["message"] ?? "", r["english"] ?? "")
        var v = base(a, title: e.heading.ja)
        v["error"] = ["heading": e.heading.ja, "headingEn": e.heading.en, "message": e.message, "english": e.english,
                      "code": e.code, "status": String(e.status.code)]
        v["recordedOnce"] = true
        if let c = r["case"]?.nonEmpty { v["caseLink"] = "/cases/" + Self.urlEncoded(c, path: true) }
        return html("error", v, status: e.status)
    }

    func addRegisters(to router: Router<WebRequestContext>) {
        router.get("/registers/:id/open") { request, context -> Response in
            let a = try await actor(request)
            // The purpose form is the first step of register work: only those who may do it see it.
            try workspace.require(a, .business, "戸籍の閲覧")
            let id = try context.parameters.require("id")
            let q = Self.queryValues(request)
            return try await purposePage(a, register: id, query: q, values: [:], refusal: nil)
        }
        router.post("/registers/:id/view") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await actor(request, banner: false)
            let f = try await Self.checkedForm(request, a)
            let breakGlass: (reason: String, category: BreakGlassCategory?)?
            do {
                breakGlass = try Self.breakGlassReason(f)
            } catch let e as WorkspaceError {
                // A reason not given as the form asks: the same form again, nothing recorded (nothing was opened).
                var values = f
                values["comment"] = f["reason"]
                return try await purposePage(a, register: id, query: [:], values: values, refusal: e)
            }
            let purpose = Purpose(caseID: f["case"], reason: breakGlass?.reason ?? f["reason"], approvalID: f["approval"])
            _ = try await registerActor(request, register: id, action: .view, purpose: purpose, function: "register.view")
            let record = RecordKind(rawValue: f["record"] ?? "").flatMap { $0 == .form ? nil : $0 }
            // Break-the-glass (issue 19, C-7): first a confirmation showing whose register it is, then the password.
            // (A role that may not break the glass goes on to the refusal, which is recorded.)
            let mayBreakGlass = (try? workspace.require(a, .breakGlass, "理由による閲覧（緊急時）")) != nil
            if breakGlass != nil, mayBreakGlass, f["confirm"] != "1" {
                return try await breakGlassConfirmation(a, register: id, values: f, error: nil, journal: true)
            }
            let token = try FormToken.of(f)
            let owner = a.session.tokenHash
            let key: String
            switch try await workspace.claim(token, owner: owner, kind: "view") {
            case let .done(s):
                let r = ResultJSON.decode(s.result)
                // The same form sent again: the register it showed (or its refusal), not a second access.
                if r["refused"] != nil { return try await refusedViewPage(a, register: id, r) }
                return see(Self.viewLocation(r["register"] ?? id, token))
            case let .claimed(k): key = k
            }
            // What the form said, kept with a refusal so that its page shows the form again as it was sent.
            var sent: [String: String] = ["register": id, "record": f["record"] ?? "", "case": f["case"] ?? "",
                                          "approval": f["approval"] ?? "", "category": f["category"] ?? "",
                                          "comment": String((f["reason"] ?? "").prefix(500))]
            if let r = purpose.reason { sent["reason"] = String(r.prefix(500)) }
            do {
                if breakGlass != nil, mayBreakGlass {
                    try await workspace.confirmPassword(a, f["password"] ?? "", client: workspace.clientAddress(request, context) ?? "local",
                                                        register: id, record: record, purpose: purpose)
                }
                let view = try await workspace.viewRegister(a, id: id, record: record, purpose: purpose, channel: .web)
                var result = ["register": view.register.id, "record": view.record.rawValue, "event": view.eventID]
                if let c = purpose.caseID { result["case"] = c }
                if let r = purpose.reason { result["reason"] = String(r.prefix(500)) }
                if let ap = purpose.approvalID { result["approval"] = ap }
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(result))
                return see(Self.viewLocation(view.register.id, token))
            } catch let e as WorkspaceError {
                // Recorded once (the refusal is in the ledger); its page, and the same form sent again, show it
                // without recording it again.
                let refused = sent.merging(["refused": e.code, "message": e.message, "english": e.english, "field": e.field ?? "",
                                            "status": String(e.status.code)]) { _, n in n }
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(refused))
                return try await refusedViewPage(a, register: id, refused)
            } catch {
                await workspace.release(key, owner: owner)
                throw error
            }
        }
        router.get("/registers/:id/view/:token") { request, context -> Response in
            let a = try await actor(request)
            try workspace.require(a, .business, "戸籍の閲覧")
            let id = try context.parameters.require("id")
            let token = try context.parameters.require("token")
            guard let s = try await workspace.submission(token, owner: a.session.tokenHash, kind: "view") else {
                throw WorkspaceError.notFound("この表示（戸籍を開き直してください）")
            }
            let r = ResultJSON.decode(s.result)
            guard r["register"] == id, let event = r["event"], let record = RecordKind(rawValue: r["record"] ?? "") else {
                throw WorkspaceError.notFound("この表示（戸籍を開き直してください）")
            }
            var again = "/registers/\(Self.urlEncoded(id, path: true))/open?record=\(record.rawValue)"
            if let c = r["case"] { again += "&case=" + Self.urlEncoded(c) }
            guard workspace.resultShowable(created: s.created) else {
                return expiredResult(a, what: "戸籍", whatEnglish: "The register", again: again,
                                     againText: "もう一度開く（記録されます） Open again (recorded)")
            }
            guard let reg = try await workspace.store.register(id: id) else { throw WorkspaceError.notFound("戸籍 \(id) ") }
            let c: Case? = if let cid = r["case"] { try await workspace.store.caseRecord(id: cid) } else { nil }
            let view = RegisterView(register: reg, record: record, members: try await workspace.store.persons(ids: reg.members),
                                    caseRecord: c, eventID: event)
            return try await registerPage(a, view, reason: r["reason"], approval: r["approval"])
        }
        router.post("/registers/:id/issue") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await actor(request, banner: false)
            let f = try await Self.checkedForm(request, a)
            _ = try await registerActor(request, register: id, action: .print, purpose: Purpose(caseID: f["case"]),
                                        function: "certificate.issue")
            let token = try FormToken.of(f)
            let owner = a.session.tokenHash
            let key: String
            switch try await workspace.claim(token, owner: owner, kind: "issue") {
            case let .done(s):
                // The same form sent again: the certificate it issued (or its refusal), not a second one.
                let r = ResultJSON.decode(s.result)
                if r["refused"] != nil { return try await refusalPage(a, kind: "issue", r) }
                guard let location = r["location"] else { throw WorkspaceError.notFound("発行") }
                return see(location)
            case let .claimed(k): key = k
            }
            do {
                let i = try await workspace.issueCertificate(a, register: id, caseID: f["case"],
                                                             copies: Int(f["copies"] ?? "1") ?? 0,
                                                             approvalID: f["approval"], channel: .web,
                                                             seed: Workspace.idempotencySeed(key))
                let location = Self.issuanceLocation(case: i.caseID, number: i.number)
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(["location": location, "number": i.number]))
                return see(location)
            } catch let e as WorkspaceError {
                let refused = ["refused": e.code, "message": e.message, "english": e.english, "register": id,
                               "case": f["case"] ?? "", "approval": f["approval"] ?? "", "status": String(e.status.code)]
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(refused))
                return try await refusalPage(a, kind: "issue", refused)
            } catch {
                await workspace.release(key, owner: owner)
                throw error
            }
        }
        router.get("/cases/:id/issuances/:number") { request, context -> Response in
            let a = try await actor(request)
            let id = try context.parameters.require("id")
            let number = try context.parameters.require("number")
            let (c, i) = try await workspace.visibleIssuance(a, caseID: id, number: number)
            var v = base(a, title: "証明書の発行 \(i.number)")
            v["issuance"] = ["number": i.number, "caseID": i.caseID, "caseNumber": c.number ?? c.id, "register": i.register,
                             "certificate": CaseKind(rawValue: i.certificate)?.ja ?? i.certificate, "copies": i.copies,
                             "at": Self.jstMinute(i.at), "event": i.eventID] as [String: Any]
            return html("issued", v)
        }
        router.get("/registers/:id/update") { request, context -> Response in
            let a = try await actor(request)
            try workspace.require(a, .update, "異動入力")
            let id = try context.parameters.require("id")
            let q = Self.queryValues(request)
            return try await updateForm(a, register: id, caseID: q["case"] ?? "", approval: q["approval"] ?? "", values: [:],
                                        error: nil)
        }
        router.post("/registers/:id/update") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await actor(request, banner: false)
            let f = try await Self.checkedForm(request, a)
            _ = try await registerActor(request, register: id, action: .update, purpose: Purpose(caseID: f["case"]),
                                        function: "notification.entry")
            let token = try FormToken.of(f)
            let owner = a.session.tokenHash
            let key: String
            switch try await workspace.claim(token, owner: owner, kind: "update") {
            case let .done(s):
                let r = ResultJSON.decode(s.result)
                if r["refused"] != nil { return try await refusalPage(a, kind: "update", r) }
                return see(Self.updateLocation(r["register"] ?? id, token))
            case let .claimed(k): key = k
            }
            let entered = f.filter { !["csrf", "form", "case", "approval"].contains($0.key) }
            do {
                let event = try await workspace.enterUpdate(a, register: id, caseID: f["case"], entries: entered,
                                                            approvalID: f["approval"], channel: .web,
                                                            seed: Workspace.idempotencySeed(key))
                var result = ["register": id, "case": f["case"] ?? "", "event": event]
                if let cid = f["case"], let c = try await workspace.store.caseRecord(id: cid) {
                    let checked = try UpdateField.validate(entered, for: c.kind, today: workspace.now.jstDate)
                    result["entries"] = JSONBody.encode(Dictionary(checked, uniquingKeysWith: { x, _ in x }))
                }
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(result))
                return see(Self.updateLocation(id, token))
            } catch let e as WorkspaceError where e.status == .badRequest {
                // The form not filled in as the notification needs: the same form again, nothing recorded.
                await workspace.release(key, owner: owner)
                return try await updateForm(a, register: id, caseID: f["case"] ?? "", approval: f["approval"] ?? "",
                                            values: entered, error: e)
            } catch let e as WorkspaceError {
                let refused = ["refused": e.code, "message": e.message, "english": e.english, "register": id,
                               "case": f["case"] ?? "", "approval": f["approval"] ?? "", "status": String(e.status.code)]
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(refused))
                return try await refusalPage(a, kind: "update", refused)
            } catch {
                await workspace.release(key, owner: owner)
                throw error
            }
        }
        router.get("/registers/:id/update/:token") { request, context -> Response in
            let a = try await actor(request)
            try workspace.require(a, .update, "異動入力")
            let id = try context.parameters.require("id")
            let token = try context.parameters.require("token")
            guard let s = try await workspace.submission(token, owner: a.session.tokenHash, kind: "update") else {
                throw WorkspaceError.notFound("この異動入力")
            }
            let r = ResultJSON.decode(s.result)
            guard r["register"] == id, let event = r["event"] else { throw WorkspaceError.notFound("この異動入力") }
            var v = base(a, title: "異動入力")
            let c: Case? = if let cid = r["case"] { try await workspace.store.caseRecord(id: cid) } else { nil }
            v["done"] = ["register": id, "case": r["case"] ?? "", "caseNumber": c?.number ?? r["case"] ?? "", "event": event,
                         "kind": c?.kind.ja ?? "", "at": Self.jstMinute(Timestamp(millis: s.created))]
            if let c, let json = r["entries"] {
                v["entries"] = UpdateField.shown(ResultJSON.decode(json), for: c.kind)
            }
            return html("updated", v)
        }
    }
}
