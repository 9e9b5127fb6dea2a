import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The second-approval pages (the two-person rules, ``ApprovalRule``: every record of a register with a member under
/// VIP protection, the 附票 of a register with a person under DV support): the clerk's request and its status ("my
/// approval requests"), the page that says an approval is needed, under which rule (and whether one is pending,
/// denied, expired or usable), and the supervisor's list with what a decision needs to be made knowingly.
extension Pages {
    /// What an operation refused for want of an approval was: the page says it could not be shown, issued or entered.
    enum ApprovalAction: String, Sendable {
        case view, issue, update

        var ja: String {
            switch self {
            case .view: "表示"
            case .issue: "発行"
            case .update: "入力"
            }
        }

        var en: String {
            switch self {
            case .view: "shown"
            case .issue: "issued"
            case .update: "updated"
            }
        }
    }

    /// A record kind as the approval pages name it after 「戸籍 R の」: 附票 (not 戸籍の附票), else its name.
    static func recordName(_ raw: String) -> String {
        raw == RecordKind.fuhyo.rawValue ? "附票" : RecordKind(rawValue: raw)?.ja ?? raw
    }

    static func recordNameEnglish(_ raw: String) -> String {
        raw == RecordKind.fuhyo.rawValue ? "fuhyo" : ReportText.recordEn(raw)
    }

    /// What an approval asked for a record and a case can be used for, besides showing the record: issuing the
    /// certificate of a certificate case (the 附票 for a 附票 request, the register's own record otherwise), entering a
    /// notification (the register's own record).
    static func approvalActs(record raw: String, case c: Case?) -> (ja: String, en: String) {
        guard let c else { return ("表示", "showing") }
        let fuhyo = raw == RecordKind.fuhyo.rawValue
        if c.kind.isCertificate, fuhyo == (c.kind == .certificate_fuhyo) { return ("表示と証明書の発行", "showing and issuing") }
        if c.kind.isNotification || c.kind == .correction, !fuhyo { return ("表示と異動入力", "showing and updating") }
        return ("表示", "showing")
    }

    /// The two-person rules that apply to an approval's register and record now, as flags for the templates.
    func ruleFlags(register id: String, record raw: String) async throws -> [String: Any] {
        guard let r = try await workspace.store.register(id: id) else { return [:] }
        let rules = try await workspace.approvalRules(r, record: RecordKind(rawValue: raw) ?? .fuhyo)
        var v: [String: Any] = [:]
        if rules.contains(.vip) { v["ruleVIP"] = true }
        if rules.contains(.dvSupport) { v["ruleDV"] = true }
        return v
    }

    /// Whether an approval was asked for exactly `purpose` (its case, or with no case its reason).
    static func approval(_ x: ApprovalRequest, isFor purpose: Purpose) -> Bool {
        if let c = purpose.caseID { return x.caseID == c }
        return x.caseID == nil && x.reason == purpose.reason
    }

    static func approvalLocation(_ id: String) -> String { "/approval-requests/\(urlEncoded(id, path: true))" }

    /// The link that opens the record an approval was asked for: it carries the approval's case, or its reason, which
    /// must be the same to use it. Percent-encoded here, and HTML-escaped by the template like every value.
    static func openLink(_ x: ApprovalRequest) -> String {
        var open = "/registers/\(urlEncoded(x.register, path: true))/open?record=\(urlEncoded(x.record))"
        if let c = x.caseID {
            open += "&case=" + urlEncoded(c)
        } else if let reason = x.reason {
            open += "&reason=" + urlEncoded(reason)
        }
        return open + "&approval=" + urlEncoded(x.id)
    }

    /// An approval request as its requester (or a supervisor) reads it: its state in words, what it covers and until
    /// when, who decided and why.
    func approvalSummary(_ x: ApprovalRequest) async throws -> [String: Any] {
        let inForce = workspace.approvalInForce(x)
        let until = workspace.approvalValidUntil(x)
        let c: Case? = if let cid = x.caseID { try await workspace.store.caseRecord(id: cid) } else { nil }
        // Only what there is: an empty string still opens a Mustache section.
        var v: [String: Any] = ["id": x.id, "register": x.register, "requested": Self.jstMinute(x.requested),
                                "location": Self.approvalLocation(x.id), "record": x.record,
                                "recordName": Self.recordName(x.record), "recordNameEn": Self.recordNameEnglish(x.record)]
        v.merge(try await ruleFlags(register: x.register, record: x.record)) { _, n in n }
        if let cid = x.caseID {
            v["caseID"] = cid
            v["caseNumber"] = c?.number ?? cid
        }
        if let r = x.reason { v["reason"] = r }
        if let n = x.note { v["note"] = n }
        let state: (code: String, ja: String, en: String)
        switch x.status {
        case .pending: state = ("pending", "承認待ち", "pending")
        case .denied: state = ("denied", "却下", "denied")
        case .approved, .used:
            state = inForce ? ("approved", "承認済み", "approved") : ("expired", "承認の期限切れ", "approval expired")
        }
        v["state"] = state.code
        v["stateJa"] = state.ja
        v["stateEn"] = state.en
        v[state.code] = true
        if x.status == .used { v["usedOnce"] = true }
        if let until { v["until"] = Self.jstMinute(until) }
        if let d = x.decided { v["decided"] = Self.jstMinute(d) }
        if let who = x.approver {
            v["approver"] = try await workspace.store.staffMember(id: who)?.name ?? who
        }
        if inForce { v["openLink"] = Self.openLink(x) }
        // What the approval covers, said in advance (C-8): the record it was asked for, with a certificate case shown
        // and issued for that case (with a notification case shown and entered); with a reason, shown for that reason
        // (issuing and entering need a case).
        let name = Self.recordName(x.record)
        let nameEn = Self.recordNameEnglish(x.record)
        if let c {
            let acts = Self.approvalActs(record: x.record, case: c)
            v["covers"] = "案件 \(c.number ?? c.id)（\(c.kind.ja)）のための、戸籍 \(x.register) の\(name)の\(acts.ja)"
            v["coversEn"] = "\(acts.en) the \(nameEn) of \(x.register) for this case"
        } else {
            v["covers"] = "理由「\(x.reason ?? "")」による、戸籍 \(x.register) の\(name)の表示（案件がないため発行・異動入力はできません）"
            v["coversEn"] = "showing the \(nameEn) of \(x.register) for this reason (no certificate or update without a case)"
        }
        v["minutes"] = workspace.config.approvalMinutes
        return v
    }

    /// The supervisors of an office who can decide a request (everyone with the role at the office but the requester).
    func deciders(office: String, except staff: String) async throws -> String {
        let names = try await workspace.store.staffMembers(office: office, role: .supervisor)
            .filter { $0.id != staff }.map { $0.name ?? $0.id }
        let place = try await workspace.store.office(code: office)?.name ?? office
        return names.isEmpty ? "\(place)の係長（承認者）" : "\(place)の係長（承認者）: " + names.joined(separator: "、")
    }

    /// The page shown when a record needs an approval (403): which rule applies and why (VIP: the register is under
    /// special protection, said without who or why; DV: the 附票 includes a person under DV support), whether a
    /// request for this record and purpose is pending, was denied (and why), has expired or is usable, what an
    /// approval covers, and only then offers the form to ask.
    func approvalNeeded(_ a: Actor, register id: String, record: RecordKind?, purpose: Purpose,
                        action: ApprovalAction) async throws -> Response {
        var v = base(a, title: "承認が必要です")
        let reg = try await workspace.store.register(id: id)
        let rec = record ?? reg.flatMap { RecordKind(rawValue: $0.kind.rawValue) } ?? .fuhyo
        var rules: Set<ApprovalRule> = []
        if let reg { rules = try await workspace.approvalRules(reg, record: rec) }
        v["vip"] = rules.contains(.vip)
        v["dv"] = rules.contains(.dvSupport)
        v["noRule"] = rules.isEmpty
        v["register"] = id
        v["record"] = rec.rawValue
        v["recordName"] = Self.recordName(rec.rawValue)
        v["recordNameEn"] = Self.recordNameEnglish(rec.rawValue)
        v["actionJa"] = action.ja
        v["actionEn"] = action.en
        v["case"] = purpose.caseID ?? ""
        v["reason"] = purpose.reason ?? ""
        v["form"] = FormToken.new()
        v["minutes"] = workspace.config.approvalMinutes
        var acts = Self.approvalActs(record: rec.rawValue, case: nil)
        if let cid = purpose.caseID, let c = try await workspace.store.caseRecord(id: cid), c.staff.contains(a.staff.id) {
            v["caseNumber"] = c.number ?? c.id
            acts = Self.approvalActs(record: rec.rawValue, case: c)
            v["forCase"] = true
            // The warning about third parties is the DV rule's: a protected person's 附票 is normally not issued to them.
            if rules.contains(.dvSupport), c.requester == .third_party || c.requester == .professional {
                v["thirdParty"] = c.requester?.ja ?? ""
            }
        }
        v["acts"] = acts.ja
        v["actsEn"] = acts.en
        // The newest of the clerk's own requests for this register, record and purpose (the one the form named first).
        var latest: ApprovalRequest?
        if let aid = purpose.approvalID, let x = try await workspace.store.approval(id: aid), x.staff == a.staff.id,
           x.register == id, x.record == rec.rawValue, Self.approval(x, isFor: purpose) {
            latest = x
        } else {
            latest = try await workspace.store.approvals(staff: a.staff.id, office: nil, limit: 200)
                .first { $0.register == id && $0.record == rec.rawValue && Self.approval($0, isFor: purpose) }
        }
        var ask = true
        if let x = latest {
            let s = try await approvalSummary(x)
            v["request"] = s
            switch s["state"] as? String {
            case "pending":
                ask = false
                v["deciders"] = try await deciders(office: x.office, except: x.staff)
            case "approved": ask = false
            default: break
            }
        }
        v["ask"] = ask
        return html("approval_needed", v, status: .forbidden)
    }

    /// One pending request as the supervisor decides it: who asked (name, office, role), the case (requester class,
    /// 利用目的, a link), the register and record, the rule that applies and what it turns on — for the VIP rule the
    /// member under VIP protection, since when and the protection's note (so that a request can be matched against
    /// the person it is about: the VIP's own request, a relative's, a third party's), for the DV rule the member
    /// under DV support since when — and earlier requests about the same register at the office. Nothing else of
    /// the register (no birth dates, no addresses, no other members).
    func pendingRow(_ p: ApprovalRequest, _ a: Actor, office recent: [ApprovalRequest]) async throws -> [String: Any] {
        let requester = try await workspace.store.staffMember(id: p.staff)
        var row: [String: Any] = [
            "id": p.id, "staff": p.staff, "staffName": requester?.name ?? p.staff, "staffRole": requester?.role.ja ?? "",
            "office": try await workspace.store.office(code: p.office)?.name ?? p.office, "register": p.register,
            "record": RecordKind(rawValue: p.record)?.ja ?? p.record, "reason": p.reason ?? "",
            "requested": Self.jstMinute(p.requested), "mine": p.staff == a.staff.id,
        ]
        if let cid = p.caseID, let c = try await workspace.store.caseRecord(id: cid) {
            var details: [String: String] = [:]
            if let json = try await workspace.store.caseDetails(caseID: cid),
               let d = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] { details = d }
            row["case"] = ["id": c.id, "number": c.number ?? c.id, "kind": c.kind.ja, "requester": c.requester?.ja ?? "—",
                           "thirdParty": c.requester == .third_party || c.requester == .professional,
                           "requesterName": details["requesterName"] ?? details["agency"] ?? "",
                           "purpose": details["purpose"] ?? details["legalBasis"] ?? details["relationship"] ?? "",
                           "link": "/cases/\(Self.urlEncoded(c.id, path: true))"] as [String: Any]
        }
        row["recordName"] = Self.recordName(p.record)
        // What the requester wrote with a case (how the request was checked, say): the supervisor judges with it.
        if p.caseID != nil, let said = p.reason?.trimmed.nonEmpty { row["asked"] = said }
        if let r = try await workspace.store.register(id: p.register) {
            row["honseki"] = r.honseki
            let rules = try await workspace.approvalRules(r, record: RecordKind(rawValue: p.record) ?? .fuhyo)
            if rules.contains(.dvSupport) {
                row["ruleDV"] = true
                let protected = try await dvProtected(r.members)
                let persons = try await workspace.store.persons(ids: protected.keys.sorted())
                row["protected"] = persons.map { person -> [String: Any] in
                    let x = protected[person.id]!
                    return ["name": person.name, "id": person.id, "from": x.from.description, "to": x.to?.description ?? ""]
                }
            }
            if rules.contains(.vip) {
                row["ruleVIP"] = true
                let vip = try await protected(r.members, kind: .vip)
                let persons = try await workspace.store.persons(ids: vip.keys.sorted())
                row["vipPersons"] = persons.map { person -> [String: Any] in
                    let x = vip[person.id]!
                    var shown: [String: Any] = ["name": person.name, "id": person.id, "from": x.from.description,
                                                "to": x.to?.description ?? ""]
                    // Only a note there is (an empty string would still open the template's section).
                    if let note = x.note?.trimmed.nonEmpty { shown["note"] = note }
                    return shown
                }
            }
        }
        let earlier = recent.filter { $0.register == p.register && $0.id != p.id && $0.status != .pending }
        row["earlier"] = ["total": earlier.count, "approved": earlier.count { $0.status == .approved || $0.status == .used },
                          "denied": earlier.count { $0.status == .denied }]
        return row
    }

    /// The supervisor's list: pending requests with their context and a note field, the message about the decision
    /// just made, and the office's recent decisions.
    func approvalsPage(_ a: Actor, decided: String?, error: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        var v = base(a, title: "承認待ちの依頼")
        let recent = try await workspace.store.approvals(staff: nil, office: a.office, limit: 200)
        var rows: [[String: Any]] = []
        for p in try await workspace.store.pendingApprovals(office: a.office) {
            rows.append(try await pendingRow(p, a, office: recent))
        }
        v["approvals"] = rows
        v["none"] = rows.isEmpty
        if let error { v["error"] = error }
        // The decision just made, read back from the store (a forged ?decided= shows nothing).
        if let id = decided, let x = try await workspace.store.approval(id: id), x.approver == a.staff.id {
            v["decision"] = ["id": x.id, "approved": x.status == .approved || x.status == .used, "register": x.register,
                             "note": x.note ?? ""] as [String: Any]
        }
        var history: [[String: Any]] = []
        for x in recent where x.decided != nil {
            guard history.count < 20 else { break }
            var s = try await approvalSummary(x)
            s["staffName"] = try await workspace.store.staffMember(id: x.staff)?.name ?? x.staff
            history.append(s)
        }
        v["history"] = history
        return html("approvals", v, status: status)
    }

    func addApprovals(to router: Router<WebRequestContext>) {
        router.post("/approvals") { request, _ -> Response in
            let a = try await actor(request)
            let f = try await Self.checkedForm(request, a)
            let token = try FormToken.of(f)
            let owner = a.session.tokenHash
            let key: String
            switch try await workspace.claim(token, owner: owner, kind: "approval") {
            case let .done(s):
                // The same request sent again: the request it made, not a second one.
                guard let id = ResultJSON.decode(s.result)["id"] else { throw WorkspaceError.notFound("承認依頼") }
                return see(Self.approvalLocation(id))
            case let .claimed(k): key = k
            }
            do {
                // The record the refused page asked for (a form without one, from before the VIP rule, is a 附票 one).
                let record: RecordKind
                if let raw = f["record"]?.trimmed.nonEmpty {
                    guard let k = RecordKind(rawValue: raw), k != .form else {
                        throw WorkspaceError.invalid("記録の種類が正しくありません。", "Unknown record kind.").about("record")
                    }
                    record = k
                } else {
                    record = .fuhyo
                }
                let r = try await workspace.requestApproval(a, register: f["register"] ?? "", record: record,
                                                            purpose: Purpose(caseID: f["case"], reason: f["reason"]),
                                                            seed: Workspace.idempotencySeed(key))
                try await workspace.complete(key, owner: owner, result: ResultJSON.encode(["id": r.id]))
                return see(Self.approvalLocation(r.id) + "?asked=1")
            } catch {
                await workspace.release(key, owner: owner)
                throw error
            }
        }
        // The clerk's own requests ("my approval requests"), newest first.
        router.get("/approval-requests") { request, _ -> Response in
            let a = try await actor(request)
            guard a.can(.business) else { throw WorkspaceError.forbiddenRole("承認の依頼") }
            var v = base(a, title: "承認の依頼 My approval requests")
            var rows: [[String: Any]] = []
            for x in try await workspace.store.approvals(staff: a.staff.id, office: nil, limit: 50) {
                rows.append(try await approvalSummary(x))
            }
            v["requests"] = rows
            v["none"] = rows.isEmpty
            return html("approval_requests", v)
        }
        // One request: its state, what it covers, who decides; the requester's own (or, for a supervisor, the office's).
        router.get("/approval-requests/:id") { request, context -> Response in
            let a = try await actor(request)
            guard a.can(.business) else { throw WorkspaceError.forbiddenRole("承認の依頼") }
            let id = try context.parameters.require("id")
            guard let x = try await workspace.store.approval(id: id),
                  x.staff == a.staff.id || (a.can(.approve) && x.office == a.office) else {
                throw WorkspaceError.notFound("承認依頼 \(id) ")
            }
            var v = base(a, title: "承認の依頼 \(x.id)")
            var s = try await approvalSummary(x)
            if x.status == .pending { s["deciders"] = try await deciders(office: x.office, except: x.staff) }
            s["mine"] = x.staff == a.staff.id
            v["approval"] = s
            v["asked"] = request.uri.queryParameters.get("asked") == "1" && x.status == .pending
            return html("approval_requested", v)
        }
        router.get("/approvals") { request, _ -> Response in
            let a = try await actor(request)
            guard a.can(.approve) else { throw WorkspaceError.forbiddenRole("承認") }
            return try await approvalsPage(a, decided: request.uri.queryParameters.get("decided"), error: nil)
        }
        for (path, approve) in [("approve", true), ("deny", false)] {
            router.post("/approvals/:id/\(path)") { request, context -> Response in
                let a = try await actor(request)
                let f = try await Self.checkedForm(request, a)
                let id = try context.parameters.require("id")
                let note = f["note"]?.trimmed.nonEmpty
                // A denial says why: the clerk has to tell the requester.
                if !approve, note == nil, a.can(.approve) {
                    return try await approvalsPage(a, decided: nil, error: "却下するときは、判断の理由を記入してください。 / Give the reason for a denial.",
                                                   status: .badRequest)
                }
                do {
                    _ = try await workspace.decideApproval(a, id: id, approve: approve, note: note)
                } catch let e as WorkspaceError where e.code == WorkspaceError.approvalDecided.code {
                    // The same decision sent twice (a double click): show it, as the first one did.
                    guard let x = try await workspace.store.approval(id: id), x.approver == a.staff.id,
                          (x.status == .denied) != approve else { throw e }
                }
                return see("/approvals?decided=\(Self.urlEncoded(id))")
            }
        }
    }
}
