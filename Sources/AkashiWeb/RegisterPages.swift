import AkashiDomain
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

    static func updateLocation(_ register: String, _ token: String) -> String {
        "/registers/\(urlEncoded(register, path: true))/update/\(token)"
    }

    static func issuanceLocation(case caseID: String, number: String) -> String {
        "/cases/\(urlEncoded(caseID, path: true))/issuances/\(urlEncoded(number, path: true))"
    }

    /// Japanese names of the relations shown on a register.
    static func relationJa(_ k: RelationKind) -> String {
        switch k {
        case .spouse: "配偶者"
        case .former_spouse: "元配偶者"
        case .parent: "父母"
        case .child: "子"
        case .sibling: "兄弟姉妹"
        case .adoptive_parent: "養親"
        case .adopted_child: "養子"
        }
    }

    /// The IDs of the persons under DV support today among `persons`, with the protection in force.
    func dvProtected(_ persons: [String]) async throws -> [String: Protection] {
        let today = workspace.now.jstDate
        var out: [String: Protection] = [:]
        for p in persons {
            if let x = try await workspace.store.protections(person: p).first(where: { $0.kind == .dv_support && $0.covers(today) }) {
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
        v["reg"] = ["id": r.id, "kind": r.kind.ja, "record": view.record.ja, "honseki": r.honseki, "office": r.office,
                    "head": r.head.flatMap { names[$0] } ?? "", "opened": r.opened?.description ?? "",
                    "closed": r.closed?.description ?? "", "predecessors": r.predecessors, "successors": r.successors] as [String: Any]
        v["fuhyo"] = view.record == .fuhyo
        v["members"] = view.members.map { p -> [String: Any] in
            var m: [String: Any] = [
                "id": p.id, "name": p.name, "kana": p.kana ?? "", "birth": p.birth?.description ?? "",
                "sex": p.sex == "M" ? "男" : p.sex == "F" ? "女" : "", "died": p.died?.description ?? "",
                "address": p.address ?? "", "since": p.addressSince?.description ?? "",
                "relations": p.relations.map { ["kind": Self.relationJa($0.kind), "name": names[$0.person] ?? $0.person] },
            ]
            if let x = protected[p.id] {
                m["protected"] = ["from": x.from.description, "to": x.to?.description ?? ""]
            }
            return m
        }
        v["anyProtected"] = !protected.isEmpty
        v["event"] = view.eventID
        v["reason"] = reason
        v["approval"] = approval ?? ""
        if let aid = approval, let ap = try await workspace.store.approval(id: aid), ap.staff == a.staff.id {
            v["approvalInfo"] = try await approvalSummary(ap)
        }
        if let c = view.caseRecord {
            v["case"] = Self.caseSummary(c)
            let canIssue = c.kind.isCertificate && a.can(.issue)
            v["canIssue"] = canIssue
            v["canUpdate"] = (c.kind.isNotification || c.kind == .correction) && a.can(.update)
            v["issueForm"] = FormToken.new()
            v["updateForm"] = FormToken.new()
            if canIssue {
                // Issuing again for the same case is allowed (a second request), but never unnoticed.
                let issued = try await workspace.store.issuances(caseID: c.id).map { i -> [String: Any] in
                    ["number": i.number, "copies": i.copies, "at": Self.jstMinute(i.at),
                     "link": Self.issuanceLocation(case: c.id, number: i.number)]
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

    func addRegisters(to router: Router<WebRequestContext>) {
        router.get("/registers/:id/open") { request, context -> Response in
            let a = try await actor(request)
            // The purpose form is the first step of register work: only those who may do it see it.
            try workspace.require(a, .business, "戸籍の閲覧")
            let id = try context.parameters.require("id")
            let q = request.uri.queryParameters
            let chosen = q.get("case") ?? ""
            var v = base(a, title: "利用目的の選択")
            v["register"] = id
            v["form"] = FormToken.new()
            v["records"] = Self.recordKinds.map { k -> [String: Any] in
                ["code": k.rawValue, "name": k.ja, "selected": k.rawValue == (q.get("record") ?? "")]
            }
            v["cases"] = try await workspace.store.openCases(staff: a.staff.id, limit: 50).map { c -> [String: Any] in
                var s = Self.caseSummary(c)
                s["selected"] = c.id == chosen
                return s
            }
            v["breakGlass"] = a.can(.breakGlass)
            v["approval"] = q.get("approval") ?? ""
            // The approval the link names, as the clerk's own request says it: what it covers and until when.
            if let aid = q.get("approval"), let ap = try await workspace.store.approval(id: aid), ap.staff == a.staff.id,
               ap.register == id {
                v["approvalInfo"] = try await approvalSummary(ap)
            }
            // The reason of an approval asked with a reason and no case (from the link on the request's page): it
            // must be given again, the same, to use the approval.
            v["reason"] = q.get("reason").map { String($0.prefix(500)) } ?? ""
            return html("open", v)
        }
        router.post("/registers/:id/view") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await actor(request, banner: false)
            let f = try await Self.checkedForm(request, a)
            let purpose = Purpose(caseID: f["case"], reason: f["reason"], approvalID: f["approval"])
            _ = try await registerActor(request, register: id, action: .view, purpose: purpose, function: "register.view")
            let record = RecordKind(rawValue: f["record"] ?? "").flatMap { $0 == .form ? nil : $0 }
            let token = try FormToken.of(f)
            let owner = a.session.tokenHash
            let key: String
            switch try await workspace.claim(token, owner: owner, kind: "view") {
            case let .done(s):
                // The same form sent again: the register it showed, not a second access.
                return see(Self.viewLocation(ResultJSON.decode(s.result)["register"] ?? id, token))
            case let .claimed(k): key = k
            }
            do {
                let view = try await workspace.viewRegister(a, id: id, record: record, purpose: purpose, channel: .web)
                var result = ["register": view.register.id, "record": view.record.rawValue, "event": view.eventID]
                if let c = purpose.caseID { result["case"] = c }
                if let r = purpose.reason { result["reason"] = String(r.prefix(500)) }
                if let ap = purpose.approvalID { result["approval"] = ap }
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(result))
                return see(Self.viewLocation(view.register.id, token))
            } catch let e as WorkspaceError where e.code == WorkspaceError.approvalRequired.code {
                await workspace.release(key, owner: owner)
                return try await approvalNeeded(a, register: id, purpose: purpose, issuing: false)
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
                // The same form sent again: the certificate it issued, not a second one.
                guard let location = ResultJSON.decode(s.result)["location"] else { throw WorkspaceError.notFound("発行") }
                return see(location)
            case let .claimed(k): key = k
            }
            do {
                let i = try await workspace.issueCertificate(a, register: id, caseID: f["case"],
                                                             copies: Int(f["copies"] ?? "1") ?? 0,
                                                             approvalID: f["approval"], channel: .web)
                let location = Self.issuanceLocation(case: i.caseID, number: i.number)
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(["location": location, "number": i.number]))
                return see(location)
            } catch let e as WorkspaceError where e.code == WorkspaceError.approvalRequired.code {
                await workspace.release(key, owner: owner)
                return try await approvalNeeded(a, register: id, purpose: Purpose(caseID: f["case"], approvalID: f["approval"]),
                                                issuing: true)
            } catch {
                await workspace.release(key, owner: owner)
                throw error
            }
        }
        router.get("/cases/:id/issuances/:number") { request, context -> Response in
            let a = try await actor(request)
            let id = try context.parameters.require("id")
            let number = try context.parameters.require("number")
            guard let c = try await workspace.store.caseRecord(id: id),
                  c.staff.contains(a.staff.id) || (a.can(.approve) && c.office == a.office),
                  let i = try await workspace.store.issuances(caseID: id).first(where: { $0.number == number }) else {
                throw WorkspaceError.notFound("発行番号 \(number) ")
            }
            var v = base(a, title: "証明書の発行 \(i.number)")
            v["issuance"] = ["number": i.number, "caseID": i.caseID, "caseNumber": c.number ?? c.id, "register": i.register,
                             "certificate": CaseKind(rawValue: i.certificate)?.ja ?? i.certificate, "copies": i.copies,
                             "at": Self.jstMinute(i.at), "event": i.eventID] as [String: Any]
            return html("issued", v)
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
            case let .done(s): return see(Self.updateLocation(ResultJSON.decode(s.result)["register"] ?? id, token))
            case let .claimed(k): key = k
            }
            do {
                let event = try await workspace.enterUpdate(a, register: id, caseID: f["case"], channel: .web)
                try await workspace.complete(key, owner: owner,
                                             result: ResultJSON.encode(["register": id, "case": f["case"] ?? "", "event": event]))
                return see(Self.updateLocation(id, token))
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
                         "at": Self.jstMinute(Timestamp(millis: s.created))]
            return html("updated", v)
        }
    }
}
