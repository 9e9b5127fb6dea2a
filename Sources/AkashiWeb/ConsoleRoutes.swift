import AkashiAudit
import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The auditor console (role `auditor` only). Every page an auditor opens is journaled as `console.view`; every
/// change (investigation steps, dispositions, suppressions, codes, notices) has its own journal kind.
struct ConsoleRoutes: Sendable {
    let pages: Pages
    let console: Console
    var workspace: Workspace { pages.workspace }

    /// The auditor of a console request; anyone else gets 403 (and the attempt is journaled).
    func auditor(_ request: Request) async throws -> Actor {
        try Pages.requireSameOrigin(request)
        let a = try await pages.actor(request)
        guard a.can(.audit) else {
            _ = try await console.journal("console.denied", a, subject: request.uri.path, [("role", .string(a.staff.role.rawValue))])
            throw WorkspaceError.forbiddenRole("監査コンソール")
        }
        return a
    }

    /// An auditor's page view: checked and journaled before anything is read.
    func view(_ request: Request, _ subject: String) async throws -> Actor {
        let a = try await auditor(request)
        try await console.viewed(a, subject, path: request.uri.description)
        return a
    }

    func base(_ a: Actor, _ title: String) -> [String: Any] {
        var v = pages.base(a, title: title)
        v["console"] = true
        return v
    }

    static func raw(_ body: String, type: String, filename: String? = nil, inlineStyle: Bool = false) -> Response {
        var h: HTTPFields = [.contentType: type]
        if let filename { h[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
        if inlineStyle {
            h[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        }
        return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func date(_ s: String?) -> LocalDate? { s?.trimmed.nonEmpty.flatMap { LocalDate($0) } }

    /// The last worklist page one can ask for (50 rows a page: half a million findings).
    static let maxPage = 10_000
    /// Accesses on one page of a staff timeline.
    static let timelinePageSize = 500

    func add(to router: Router<WebRequestContext>) {
        // MARK: Worklist and evidence
        router.get("/console") { request, _ -> Response in
            let q = request.uri.queryParameters
            let filter = q.get("filter") ?? "open"
            let staff = q.get("staff")?.trimmed.nonEmpty
            let page = try WorkspaceError.number(q.get("page"), field: "page", in: 0...Self.maxPage, default: 0)
            let a = try await view(request, "worklist:\(filter)" + (staff.map { ":\($0)" } ?? ""))
            var v = base(a, "監査コンソール：要確認一覧")
            let rows = try await console.worklist(filter: filter, staff: staff, limit: 50, offset: page * 50)
            v["rows"] = rows.map { Console.row($0.0, $0.1, $0.2) }
            v["none"] = rows.isEmpty
            v["filters"] = [("open", "未処理 open"), ("suppressed", "抑制済み suppressed"), ("disposed", "処分済み disposed"), ("all", "すべて all")]
                .map { ["code": $0.0, "name": $0.1, "selected": $0.0 == filter] }
            v["filter"] = filter
            v["staff"] = staff ?? ""
            v["next"] = rows.count == 50 ? page + 1 : -1
            v["hasNext"] = rows.count == 50
            let c = try await console.audit.counts()
            v["counts"] = ["total": c.total, "explained": c.explained, "flagged": c.flagged]
            // Suppressions across staff that wait for this auditor (made by another): the second pair of eyes (F-14).
            let waiting = try await console.store.suppressions().filter { $0.isPending && $0.createdBy != a.staff.id }.count
            v["pendingSuppressions"] = waiting
            v["hasPendingSuppressions"] = waiting > 0
            return pages.html("console_worklist", v)
        }
        router.get("/console/findings/:access") { request, context -> Response in
            let id = try context.parameters.require("access")
            let a = try await view(request, "finding:\(id)")
            guard let sf = try await console.audit.findings(accessIDs: [id]).first else { throw WorkspaceError.notFound("所見 \(id) ") }
            let sup = try await console.suppressionsInEffect()
            let invs = try await console.store.investigations(status: nil, staff: nil, finding: id)
            var v = base(a, "所見 \(id)")
            v["f"] = Console.row(sf, console.suppression(of: sf.finding, sup), invs.first)
            if let (seq, e) = try await console.accessEvent(id) {
                v["event"] = ["seq": seq, "action": e.action.rawValue, "record": e.record.ja, "register": e.register ?? "",
                              "person": e.person ?? "", "case": e.caseID ?? "", "reason": e.reason ?? "",
                              "outcome": e.outcome.rawValue, "terminal": e.terminal ?? "", "function": e.function ?? "",
                              "screen": e.screen ?? "", "office": e.office ?? ""] as [String: Any]
                v["cases"] = try await console.nearestCases(sf.finding, e)
            } else {
                v["cases"] = try await console.nearestCases(sf.finding, nil)
            }
            v["investigations"] = invs.map { ["id": $0.id, "status": $0.status, "disposition": $0.disposition?.ja ?? ""] }
            return pages.html("console_finding", v)
        }
        // MARK: Staff and persons
        router.get("/console/staff") { request, _ -> Response in
            let a = try await view(request, "staff-ranking")
            var v = base(a, "職員別の危険度")
            v["staff"] = try await console.audit.staffRanking(limit: 100).map { s -> [String: Any] in
                ["id": s.staff, "risk": AccessFinding.scoreText(min(s.risk / 10, 1)), "riskRaw": String(format: "%.2f", s.risk),
                 "flagged": s.flagged, "total": s.total]
            }
            return pages.html("console_staff_list", v)
        }
        router.get("/console/staff/:id") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await view(request, "staff:\(id)")
            let q = request.uri.queryParameters
            let from = Self.date(q.get("from")).map { Timestamp(jst: $0, hour: 0, minute: 0) }
            let to = Self.date(q.get("to")).map { Timestamp(jst: $0.adding(days: 1), hour: 0, minute: 0) }
            var v = base(a, "職員 \(id) の閲覧履歴")
            let staff = try await console.store.staffMember(id: id)
            v["sid"] = id
            v["sname"] = staff?.name ?? ""
            v["from"] = q.get("from") ?? ""
            v["to"] = q.get("to") ?? ""
            let sup = try await console.suppressionsInEffect()
            // Newest first, a page at a time, saying when older accesses follow (it used to stop at 2,000, oldest
            // first, and the newest months were missing without a word).
            let page = try WorkspaceError.number(q.get("page"), field: "page", in: 0...Self.maxPage, default: 0)
            let (rows, more) = try await console.audit.timelinePage(staff: id, from: from, to: to, page: page,
                                                              size: Self.timelinePageSize)
            v["rows"] = rows.map { Console.row($0, $0.finding.flagged ? console.suppression(of: $0.finding, sup) : nil, nil) }
            v["count"] = rows.count
            v["first"] = page * Self.timelinePageSize + (rows.isEmpty ? 0 : 1)
            v["last"] = page * Self.timelinePageSize + rows.count
            var query = ""
            if let f = q.get("from"), !f.isEmpty { query += "&from=" + Pages.urlEncoded(f) }
            if let t = q.get("to"), !t.isEmpty { query += "&to=" + Pages.urlEncoded(t) }
            let here = "/console/staff/\(Pages.urlEncoded(id, path: true))?page="
            v["hasOlder"] = more
            v["older"] = here + String(page + 1) + query
            v["hasNewer"] = page > 0
            v["newer"] = here + String(max(page - 1, 0)) + query
            v["investigations"] = try await console.store.investigations(status: nil, staff: id, finding: nil).map {
                ["id": $0.id, "title": $0.title, "status": $0.status, "disposition": $0.disposition?.ja ?? ""]
            }
            return pages.html("console_staff", v)
        }
        router.get("/console/persons") { request, _ -> Response in
            let q = request.uri.queryParameters
            if let id = q.get("id")?.trimmed.nonEmpty {
                let kind = q.get("kind") == "register" ? "registers" : "persons"
                throw Redirect(location: "/console/\(kind)/\(Pages.urlEncoded(id, path: true))")
            }
            let a = try await view(request, "person-form")
            return pages.html("console_person", base(a, "人・戸籍の閲覧履歴"))
        }
        for kind in ["persons", "registers"] {
            router.get("/console/\(kind)/:id") { request, context -> Response in
                let id = try context.parameters.require("id")
                let a = try await view(request, (kind == "persons" ? "person:" : "register:") + id)
                var v = base(a, "\(id) の閲覧履歴")
                let rows = kind == "persons" ? try await console.audit.findings(person: id) : try await console.audit.findings(register: id)
                let sup = try await console.suppressionsInEffect()
                v["rows"] = rows.map { Console.row($0, $0.finding.flagged ? console.suppression(of: $0.finding, sup) : nil, nil) }
                v["subject"] = id
                v["isPerson"] = kind == "persons"
                if kind == "persons", let p = try await console.store.person(id: id) { v["name"] = p.name }
                let s = try await console.audit.subjectSummary(person: kind == "persons" ? id : nil, register: kind == "registers" ? id : nil)
                v["summary"] = ["total": s.total, "flagged": s.flagged.count,
                                "byStaff": s.byStaff.sorted { $0.value > $1.value }.map { ["staff": $0.key, "n": $0.value] }] as [String: Any]
                v["searched"] = true
                return pages.html("console_person", v)
            }
        }
        // MARK: Investigations
        router.get("/console/investigations") { request, _ -> Response in
            let status = request.uri.queryParameters.get("status")?.trimmed.nonEmpty
            let a = try await view(request, "investigations")
            var v = base(a, "調査一覧")
            v["rows"] = try await console.store.investigations(status: status, staff: nil, finding: nil).map(Self.invRow)
            return pages.html("console_investigations", v)
        }
        router.post("/console/investigations") { request, _ -> Response in
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            let inv = try await console.open(a, finding: f["finding"], staff: f["staff"], title: f["title"])
            throw Redirect(location: "/console/investigations/\(inv.id)")
        }
        router.get("/console/investigations/:id") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await view(request, "investigation:\(id)")
            let inv = try await console.investigation(id)
            var v = base(a, "調査 \(id)")
            v["inv"] = Self.invRow(inv)
            v["entries"] = try await console.store.investigationEntries(investigation: id).map { e -> [String: Any] in
                ["id": e.id, "kind": Self.entryKind(e.kind), "author": e.author, "at": e.at.format(offset: Timestamp.jst),
                 "text": e.text, "file": e.fileName ?? "", "hasFile": e.fileName != nil, "size": e.fileSize ?? 0, "journal": e.journal]
            }
            v["auditors"] = try await console.store.staffMembers(office: nil, role: .auditor).map {
                ["id": $0.id, "name": $0.name ?? $0.id, "selected": $0.id == inv.assignee]
            }
            v["dispositions"] = Disposition.allCases.map { ["code": $0.rawValue, "ja": $0.ja, "en": $0.en] }
            v["hasReasons"] = !inv.reasonCodes.isEmpty
            v["closed"] = inv.status == "closed"
            v["suppressions"] = try await console.store.suppressions().filter { $0.investigation == id }.map {
                ["id": $0.id, "scope": $0.scopeJa, "rule": $0.rule, "state": $0.stateText, "pending": $0.isPending]
            }
            return pages.html("console_investigation", v)
        }
        router.post("/console/investigations/:id/assign") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            try await console.assign(a, id, to: f["assignee"] ?? "")
            throw Redirect(location: "/console/investigations/\(id)")
        }
        router.post("/console/investigations/:id/entries") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await auditor(request)
            let (f, file) = try await Self.formWithFile(request, a)
            let kind = f["kind"] == "interview" ? "interview" : "note"
            try await console.addEntry(a, id, kind: kind, text: f["text"] ?? "", file: file)
            throw Redirect(location: "/console/investigations/\(id)")
        }
        router.post("/console/investigations/:id/disposition") { request, context -> Response in
            let id = try context.parameters.require("id")
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            guard let d = Disposition(rawValue: f["disposition"] ?? "") else {
                throw WorkspaceError.invalid("処分区分を選んでください。", "Choose a disposition.")
            }
            try await console.dispose(a, id, disposition: d, rule: f["rule"], scope: f["scope"])
            throw Redirect(location: "/console/investigations/\(id)")
        }
        router.get("/console/files/:entry") { request, context -> Response in
            let entry = try context.parameters.require("entry")
            _ = try await view(request, "file:\(entry)")
            guard let n = Int64(entry), let file = try await console.store.investigationFile(entry: n) else {
                throw WorkspaceError.notFound("添付ファイル")
            }
            let safe = String(file.name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || "0123456789._-".unicodeScalars.contains($0)) }.prefix(80))
            return Response(status: .ok, headers: [.contentType: "application/octet-stream",
                                                   .contentDisposition: "attachment; filename=\"\(safe.isEmpty ? "file" : safe)\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
        router.get("/console/suppressions") { request, _ -> Response in
            let a = try await view(request, "suppressions")
            var v = base(a, "抑制ルール")
            let all = try await console.store.suppressions()
            func row(_ s: Suppression) -> [String: Any] {
                ["id": s.id, "investigation": s.investigation, "scope": s.scopeJa, "rule": s.rule, "by": s.createdBy,
                 "at": s.created.format(offset: Timestamp.jst), "state": s.stateText, "mine": s.createdBy == a.staff.id,
                 "decidedAt": s.decision?.at.format(offset: Timestamp.jst) ?? ""]
            }
            // Suppressions across staff wait for a second auditor (F-14): shown first, with their reason, and the
            // buttons for every auditor but the one who made them.
            let pending = all.filter(\.isPending)
            v["pending"] = pending.map(row)
            v["hasPending"] = !pending.isEmpty
            v["rows"] = all.filter { !$0.isPending }.map(row)
            return pages.html("console_suppressions", v)
        }
        router.post("/console/suppressions/:id/decision") { request, context -> Response in
            let raw = try context.parameters.require("id")
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            let id = try WorkspaceError.number(raw, field: "id", in: 1...Int(Int64.max), default: 0)
            guard let confirm = ["confirm": true, "decline": false][f["decision"] ?? ""] else {
                throw WorkspaceError.invalid("確認か却下を選んでください。", "Choose confirm or decline.")
            }
            try await console.decideSuppression(a, Int64(id), confirm: confirm)
            throw Redirect(location: "/console/suppressions")
        }
        addAlertsDashboard(to: router)
        addReports(to: router)
    }

    static func entryKind(_ k: String) -> String {
        switch k {
        case "open": "開始 opened"
        case "assign": "担当 assigned"
        case "note": "メモ note"
        case "interview": "事情聴取 interview"
        case "disposition": "処分 disposition"
        case "suppression": "抑制（確認待ち） suppression pending"
        case "confirm": "抑制の確認 suppression confirmed"
        case "decline": "抑制の却下 suppression declined"
        default: k
        }
    }

    static func invRow(_ i: Investigation) -> [String: Any] {
        ["id": i.id, "title": i.title, "finding": i.finding ?? "", "staff": i.staff, "register": i.register ?? "",
         "reasons": i.reasonCodes.joined(separator: ", "), "status": i.status == "open" ? "調査中 open" : "終了 closed",
         "assignee": i.assignee ?? "", "openedBy": i.openedBy, "opened": i.opened.format(offset: Timestamp.jst),
         "disposition": i.disposition.map { "\($0.ja) \($0.en)" } ?? "", "rule": i.rule ?? "", "decidedBy": i.decidedBy ?? "",
         "decided": i.decided?.format(offset: Timestamp.jst) ?? ""]
    }

    /// A urlencoded or multipart form (the interview record may carry a file), CSRF-checked.
    static func formWithFile(_ request: Request, _ a: Actor) async throws -> ([String: String], (String, [UInt8])?) {
        let type = request.headers[.contentType] ?? ""
        guard type.hasPrefix("multipart/form-data"), let b = type.range(of: "boundary=") else {
            return (try await Pages.checkedForm(request, a), nil)
        }
        var boundary = String(type[b.upperBound...])
        if let semi = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semi]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        // RFC 2046: 1 to 70 characters from a small set. A 60,000-character boundary made the parser take seconds.
        guard Multipart.isValidBoundary(boundary) else {
            throw WorkspaceError.invalid("フォームの区切り（boundary）が正しくありません。", "The form's multipart boundary is not valid (RFC 2046).")
        }
        var req = request
        let buffer = try await req.collectBody(upTo: 256 * 1024)
        let body = [UInt8](buffer.readableBytesView)
        var fields: [String: String] = [:]
        var file: (String, [UInt8])?
        for part in Multipart.parts(body, boundary: boundary) {
            guard let name = part.name else { continue }
            if let fn = part.filename {
                if !fn.isEmpty && !part.body.isEmpty { file = (String(fn.suffix(100)), part.body) }
            } else {
                let value = String(decoding: part.body, as: UTF8.self)
                try WorkspaceError.checkField(name, value)
                fields[name] = value
            }
        }
        guard let t = fields["csrf"], Tokens.constantTimeEqual(t, a.session.csrf) else { throw WorkspaceError.csrf }
        return (fields, file)
    }
}

/// A small multipart/form-data reader (the only upload is the optional interview file).
enum Multipart {
    struct Part {
        var name: String?
        var filename: String?
        var body: [UInt8]
    }

    /// RFC 2046 §5.1.1: 1–70 characters, digits, letters and `'()+_,-./:=? ` (not ending in a space).
    static func isValidBoundary(_ b: String) -> Bool {
        let allowed = Set("'()+_,-./:=? ".utf8)
        return (1...70).contains(b.utf8.count) && b.utf8.last != 0x20
            && b.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || allowed.contains($0) }
    }

    /// The first `needle` in `hay` at or after `from`, compared in place (no copy per candidate position).
    static func find(_ hay: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from >= 0 else { return nil }
        var i = from
        let first = needle[0], n = needle.count
        while i + n <= hay.count {
            if hay[i] == first {
                var k = 1
                while k < n && hay[i + k] == needle[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }

    static func parts(_ body: [UInt8], boundary: String) -> [Part] {
        let delim = Array(("--" + boundary).utf8)
        var out: [Part] = []
        guard var start = find(body, delim, from: 0) else { return [] }
        while true {
            let headerStart = start + delim.count + 2
            guard headerStart <= body.count, let next = find(body, delim, from: headerStart) else { break }
            guard let sep = find(body, Array("\r\n\r\n".utf8), from: headerStart), sep < next else { break }
            let headers = String(decoding: body[headerStart..<sep], as: UTF8.self)
            var end = next - 2
            if end < sep + 4 { end = sep + 4 }
            let content = Array(body[(sep + 4)..<end])
            var p = Part(name: nil, filename: nil, body: content)
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition") {
                p.name = value(String(line), "name")
                p.filename = value(String(line), "filename")
            }
            out.append(p)
            start = next
        }
        return out
    }

    static func value(_ line: String, _ key: String) -> String? {
        for piece in line.split(separator: ";") {
            let kv = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == key { return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }
}
