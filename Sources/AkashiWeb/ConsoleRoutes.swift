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
    /// Staff–person groups on one worklist page.
    static let worklistGroupsPerPage = 50
    /// Findings listed inside a group's row (the rest: 「ほか N 件」 and the staff timeline).
    static let findingsPerGroup = 50
    static let worklistFilters = [("open", "未処理 open"), ("suppressed", "抑制済み suppressed"), ("disposed", "処分済み disposed"),
                                  ("all", "すべて all")]

    /// One worklist row: a staff–person (or staff–register) group with its count, span, top score and reasons, and
    /// its findings to expand.
    static func groupRow(_ g: Console.FindingGroup, _ names: ConsoleNames, index: Int) -> [String: Any] {
        var v = Console.row(g.rows[0].0, g.rows[0].1, g.rows[0].2, names)
        let firstDay = ReportText.date(g.first.format(offset: Timestamp.jst))
        let lastDay = ReportText.date(g.last.format(offset: Timestamp.jst))
        v["index"] = index
        v["count"] = g.rows.count
        v["many"] = g.rows.count > 1
        v["span"] = firstDay == lastDay ? firstDay : firstDay + "〜" + lastDay
        v["groupRegister"] = g.register ?? ""
        v["findings"] = g.rows.prefix(findingsPerGroup).map { r -> [String: Any] in
            ["access": r.0.finding.access, "at": Console.when(r.0.finding.at), "score": AccessFinding.scoreText(r.0.finding.score),
             "disposition": r.2?.disposition?.ja ?? "", "suppressed": r.1 != nil]
        }
        v["more"] = max(0, g.rows.count - findingsPerGroup)
        v["hasMore"] = g.rows.count > findingsPerGroup
        let disposed = g.rows.filter { $0.2?.disposition == .business || $0.2?.disposition == .nonBusiness }.count
        v["disposedCount"] = disposed
        v["anyDisposed"] = disposed > 0
        return v
    }

    /// Accesses on one page of a staff timeline.
    static let timelinePageSize = 500

    func add(to router: Router<WebRequestContext>) {
        // MARK: Worklist and evidence
        router.get("/console") { request, _ -> Response in
            let q = request.uri.queryParameters
            let filter = q.get("filter") ?? "open"
            guard Self.worklistFilters.contains(where: { $0.0 == filter }) else {
                throw WorkspaceError.invalid("filter は open・suppressed・disposed・all のどれかにしてください。",
                                             "filter must be open, suppressed, disposed or all.")
            }
            let staffQuery = Self.formQuery(request)["staff"]?.trimmed.nonEmpty
            if let staffQuery { try WorkspaceError.checkField("staff", staffQuery) }
            let page = try WorkspaceError.number(q.get("page"), field: "page", in: 0...Self.maxPage, default: 0)
            let a = try await view(request, "worklist:\(filter)" + (staffQuery.map { ":\($0)" } ?? ""))
            var v = base(a, "要確認一覧 Worklist")
            v["filters"] = Self.worklistFilters.map { ["code": $0.0, "name": $0.1, "selected": $0.0 == filter] }
            v["filter"] = filter
            v["staff"] = staffQuery ?? ""
            // 職員 by ID or by name (A-4): one match is used, several are offered to pick from, none says so.
            var staff: String?
            if let staffQuery {
                if try await console.store.staffMember(id: staffQuery) != nil {
                    staff = staffQuery
                } else {
                    let found = try await NameLookup.staff(console.store, staffQuery)
                    if found.count == 1 {
                        staff = found[0].id
                        v["staffResolved"] = ["id": found[0].id, "name": found[0].name ?? ""]
                    } else {
                        let names = try await ConsoleNames.load(console.store, staff: Set(found.map(\.id)))
                        v["staffCandidates"] = found.map { s -> [String: Any] in
                            ["link": "/console?filter=\(filter)&staff=\(Pages.urlEncoded(s.id))", "id": s.id, "name": s.name ?? "",
                             "info": names.staffInfo(s.id)]
                        }
                        v["staffNotFound"] = found.isEmpty
                        v["staffAmbiguous"] = !found.isEmpty
                    }
                }
            }
            if staffQuery == nil || staff != nil {
                let size = Self.worklistGroupsPerPage
                let (groups, total, capped) = try await console.worklistGroups(filter: filter, staff: staff, page: page, size: size)
                let names = try await ConsoleNames.load(console.store, findings: groups.map(\.top.finding))
                v["groups"] = groups.enumerated().map { n, g in Self.groupRow(g, names, index: page * size + n + 1) }
                v["listed"] = true
                v["none"] = groups.isEmpty
                v["groupCount"] = total
                v["findingCount"] = groups.reduce(0) { $0 + $1.rows.count }
                v["capped"] = capped
                v["first"] = groups.isEmpty ? 0 : page * size + 1
                v["last"] = page * size + groups.count
                let here = "/console?filter=\(filter)" + (staff.map { "&staff=\(Pages.urlEncoded($0))" } ?? "") + "&page="
                v["hasNext"] = (page + 1) * size < total
                v["next"] = here + String(page + 1)
                v["hasPrev"] = page > 0
                v["prev"] = here + String(max(page - 1, 0))
            }
            let c = try await console.audit.counts()
            v["counts"] = ["total": c.total, "explained": c.explained, "flagged": c.flagged]
            // Suppressions across staff that wait for this auditor (made by another): the second pair of eyes (F-14).
            let waiting = try await console.store.suppressions().filter { $0.isPending && $0.createdBy != a.staff.id }.count
            v["pendingSuppressions"] = waiting
            v["hasPendingSuppressions"] = waiting > 0
            return render("console_worklist", v)
        }
        router.get("/console/findings/:access") { request, context -> Response in
            let id = try NameLookup.pathID(try context.parameters.require("access"), field: "access")
            let a = try await view(request, "finding:\(id)")
            guard let sf = try await console.audit.findings(accessIDs: [id]).first else { throw WorkspaceError.notFound("所見 \(id) ") }
            let sup = try await console.suppressionsInEffect()
            let invs = try await console.investigations(holding: id)
            var v = base(a, "所見 \(id) Finding")
            let event = try await console.accessEvent(id)
            let names = try await ConsoleNames.load(console.store, staff: [sf.finding.staff],
                                                    persons: Set([sf.finding.person, event?.1.person].compactMap { $0 }),
                                                    registers: Set([sf.finding.register, event?.1.register].compactMap { $0 }))
            var f = Console.row(sf, console.suppression(of: sf.finding, sup), invs.first, names)
            // Each reason with its weight in the audit's settings (noisy-OR: the score is 1 − Π(1 − weight)).
            let fuhyo = event?.1.record == .fuhyo
            f["allReasons"] = sf.finding.reasons.map { r -> [String: Any] in
                let w = ReasonCode(rawValue: r.code).map { console.audit.config.weights.weight($0, fuhyo: fuhyo) }
                return ["code": r.code, "ja": r.ja, "en": r.en, "weight": w.map { String(format: "%.2f", $0) } ?? "—"]
            }
            f["noReasons"] = sf.finding.reasons.isEmpty
            v["f"] = f
            if let (seq, e) = event {
                v["event"] = ["seq": seq, "action": e.action.ja, "actionCode": e.action.rawValue, "record": e.record.ja,
                              "register": e.register ?? "", "registerHead": names.registerHead(e.register),
                              "person": e.person ?? "", "personName": names.personName(e.person),
                              "case": e.caseID ?? "", "reason": e.reason ?? "",
                              "outcome": e.outcome.ja, "denied": e.outcome != .ok, "terminal": e.terminal ?? "",
                              "where": Self.whereText(function: e.function, screen: e.screen), "office": names.officeName(e.office),
                              "query": Self.queryText(e.query)] as [String: Any]
                v["cases"] = try await console.nearestCases(sf.finding, e)
            } else {
                v["cases"] = try await console.nearestCases(sf.finding, nil)
            }
            v["investigations"] = invs.map { ["id": $0.id, "title": $0.title, "status": Self.statusText($0.status),
                                              "disposition": $0.disposition?.ja ?? ""] }
            v["bands"] = Self.bandExplanation
            return render("console_finding", v)
        }
        // MARK: Staff and persons
        router.get("/console/staff") { request, _ -> Response in
            let sort = request.uri.queryParameters.get("sort") ?? "risk"
            guard sort == "risk" || sort == "flagged" else {
                throw WorkspaceError.invalid("sort は risk か flagged にしてください。", "sort must be risk or flagged.")
            }
            let a = try await view(request, "staff-ranking")
            var v = base(a, "職員別の危険度 Staff by risk")
            var ranking = try await console.audit.staffRanking()
            if sort == "flagged" {
                ranking.sort { $0.flagged != $1.flagged ? $0.flagged > $1.flagged : $0.risk > $1.risk }
            }
            ranking = Array(ranking.prefix(100))
            let names = try await ConsoleNames.load(console.store, staff: Set(ranking.map(\.staff)))
            v["staff"] = ranking.map { s -> [String: Any] in
                var r: [String: Any] = ["id": s.staff, "riskRaw": String(format: "%.2f", s.risk), "flagged": s.flagged, "total": s.total,
                                        "share": s.total == 0 ? "0" : String(format: "%.0f", Double(s.flagged) / Double(s.total) * 100)]
                r.merge(names.staffValues(s.staff)) { $1 }
                return r
            }
            v["byRisk"] = sort == "risk"
            v["byFlagged"] = sort == "flagged"
            return render("console_staff_list", v)
        }
        router.get("/console/staff/:id") { request, context -> Response in
            let id = try NameLookup.pathID(try context.parameters.require("id"), field: "id")
            let a = try await view(request, "staff:\(id)")
            let q = request.uri.queryParameters
            let from = try Self.checkedDate(q.get("from"), field: "from").map { Timestamp(jst: $0, hour: 0, minute: 0) }
            let to = try Self.checkedDate(q.get("to"), field: "to").map { Timestamp(jst: $0.adding(days: 1), hour: 0, minute: 0) }
            let page = try WorkspaceError.number(q.get("page"), field: "page", in: 0...Self.maxPage, default: 0)
            // An unknown staff ID is 「見つかりません」, not an empty history (and no investigation is offered for it).
            guard let staff = try await console.store.staffMember(id: id) else { throw WorkspaceError.notFound("職員 \(id) ") }
            var v = base(a, "職員 \(staff.name ?? id) の閲覧履歴 Staff timeline")
            v["sid"] = id
            v["sname"] = staff.name ?? ""
            v["from"] = q.get("from") ?? ""
            v["to"] = q.get("to") ?? ""
            let sup = try await console.suppressionsInEffect()
            // Newest first, a page at a time, saying when older accesses follow (it used to stop at 2,000, oldest
            // first, and the newest months were missing without a word).
            let (rows, more) = try await console.audit.timelinePage(staff: id, from: from, to: to, page: page,
                                                              size: Self.timelinePageSize)
            let names = try await ConsoleNames.load(console.store, findings: rows.map(\.finding))
            v["sinfo"] = names.staffInfo(id)
            let actions = try await console.accessActions(rows.map(\.finding.access), selection: .staff(id),
                                                          from: rows.map(\.finding.at).min(), to: rows.map(\.finding.at).max())
            v["rows"] = rows.map { r -> [String: Any] in
                var x = Console.row(r, r.finding.flagged ? console.suppression(of: r.finding, sup) : nil, nil, names)
                x.merge(actions[r.finding.access] ?? [:]) { $1 }
                return x
            }
            v["none"] = rows.isEmpty
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
                ["id": $0.id, "title": $0.title, "status": Self.statusText($0.status), "disposition": $0.disposition?.ja ?? ""]
            }
            return render("console_staff", v)
        }
        router.get("/console/persons") { request, _ -> Response in
            let q = request.uri.queryParameters
            let a = try await view(request, "person-form")
            var v = base(a, "人・戸籍の閲覧履歴 Access history")
            if let text = Self.formQuery(request)["id"]?.trimmed.nonEmpty {
                try WorkspaceError.checkField("id", text)
                guard text.count <= 100 else { throw WorkspaceError.invalid("id は100文字以内にしてください。", "id is at most 100 characters.") }
                let register = q.get("kind") == "register"
                // An ID (ASCII with a digit, as every ID is) goes to its history, which says 「見つかりません」 for an
                // unknown one; anything else is looked up as a name (kanji or kana).
                if Self.looksLikeID(text) {
                    var asRegister = register
                    if !register, try await console.store.person(id: text) == nil {
                        asRegister = try await console.store.register(id: text) != nil
                    }
                    throw Redirect(location: "/console/\(asRegister ? "registers" : "persons")/\(Pages.urlEncoded(text, path: true))")
                }
                let found = try await NameLookup.persons(console.store, text)
                let names = try await ConsoleNames.load(console.store, registers: Set(found.map(\.register)))
                v["query"] = text
                v["looked"] = true
                v["candidates"] = found.map { p -> [String: Any] in
                    ["id": p.id, "name": p.name, "kana": p.kana ?? "", "birth": p.birth.map { ReportText.date($0.description) } ?? "",
                     "register": p.register, "registerHead": names.registerHead(p.register),
                     "link": "/console/persons/\(Pages.urlEncoded(p.id, path: true))",
                     "registerLink": "/console/registers/\(Pages.urlEncoded(p.register, path: true))"]
                }
                v["noCandidates"] = found.isEmpty
            }
            return render("console_person", v)
        }
        for kind in ["persons", "registers"] {
            router.get("/console/\(kind)/:id") { request, context -> Response in
                let id = try NameLookup.pathID(try context.parameters.require("id"), field: "id")
                let isPerson = kind == "persons"
                let a = try await view(request, (isPerson ? "person:" : "register:") + id)
                let rows = isPerson ? try await console.audit.findings(person: id) : try await console.audit.findings(register: id)
                let person = isPerson ? try await console.store.person(id: id) : nil
                let register = isPerson ? nil : try await console.store.register(id: id)
                // A mistyped ID is 「見つかりません」, not an empty 「0 件」 history.
                if rows.isEmpty && person == nil && register == nil {
                    throw WorkspaceError.notFound(isPerson ? "人 \(id) " : "戸籍 \(id) ")
                }
                let names = try await ConsoleNames.load(console.store, staff: Set(rows.map(\.finding.staff)),
                                                        persons: Set(rows.compactMap(\.finding.person)),
                                                        registers: Set(rows.compactMap(\.finding.register) + (register.map { [$0.id] } ?? [])))
                let head = names.registerHead(register?.id).nonEmpty
                let label = isPerson ? (person?.name ?? id) : "筆頭者 " + (head ?? id)
                var v = base(a, "\(label) の閲覧履歴 Access history")
                let sup = try await console.suppressionsInEffect()
                let actions = try await console.accessActions(rows.map(\.finding.access), selection: isPerson ? .person(id) : .register(id),
                                                              from: nil, to: nil)
                v["rows"] = rows.map { r -> [String: Any] in
                    var x = Console.row(r, r.finding.flagged ? console.suppression(of: r.finding, sup) : nil, nil, names)
                    x.merge(actions[r.finding.access] ?? [:]) { $1 }
                    return x
                }
                v["none"] = rows.isEmpty
                v["subject"] = id
                v["isPerson"] = isPerson
                v["name"] = label
                let s = try await console.audit.subjectSummary(person: isPerson ? id : nil, register: isPerson ? nil : id)
                v["summary"] = ["total": s.total, "flagged": s.flagged.count,
                                "byStaff": s.byStaff.sorted { $0.value > $1.value }.map { x -> [String: Any] in
                                    var r: [String: Any] = ["n": x.value]
                                    r.merge(names.staffValues(x.key)) { $1 }
                                    return r
                                }] as [String: Any]
                v["searched"] = true
                return render("console_person", v)
            }
        }
        // MARK: Investigations
        router.get("/console/investigations") { request, _ -> Response in
            let status = request.uri.queryParameters.get("status")?.trimmed.nonEmpty
            guard status == nil || status == "open" || status == "closed" else {
                throw WorkspaceError.invalid("status は open か closed にしてください。", "status must be open or closed.")
            }
            let a = try await view(request, "investigations")
            var v = base(a, "調査一覧 Investigations")
            let list = try await console.store.investigations(status: status, staff: nil, finding: nil)
            let names = try await ConsoleNames.load(console.store, staff: Set(list.flatMap { [$0.staff, $0.assignee ?? ""] }))
            v["rows"] = list.map { Self.invRow($0, names) }
            v["none"] = list.isEmpty
            v["onlyOpen"] = status == "open"
            return render("console_investigations", v)
        }
        router.post("/console/investigations") { request, _ -> Response in
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            let (inv, linked) = try await console.open(a, finding: f["finding"], staff: f["staff"], title: f["title"], group: f["group"])
            throw Redirect(location: "/console/investigations/\(inv.id)" + (linked ? "?linked=1" : ""))
        }
        router.get("/console/investigations/:id") { request, context -> Response in
            let id = try NameLookup.pathID(try context.parameters.require("id"), field: "id")
            let a = try await view(request, "investigation:\(id)")
            let inv = try await console.investigation(id)
            var v = base(a, "調査 \(inv.title) Investigation")
            let entries = try await console.store.investigationEntries(investigation: id)
            let held = try await console.heldAccesses(inv)
            let findings = try await console.audit.findings(accessIDs: Array(held.prefix(Self.findingsPerGroup)))
            let auditors = try await console.store.staffMembers(office: nil, role: .auditor)
            let names = try await ConsoleNames.load(console.store, findings: findings.map(\.finding),
                                                    more: Set([inv.staff, inv.assignee ?? "", inv.openedBy, inv.decidedBy ?? ""]
                                                        + entries.map(\.author)))
            v["inv"] = Self.invRow(inv, names)
            v["linked"] = request.uri.queryParameters.get("linked") == "1"
            v["entries"] = entries.map { e -> [String: Any] in
                ["id": e.id, "kind": Self.entryKind(e.kind), "author": e.author, "authorName": names.staffName(e.author),
                 "at": Console.when(e.at), "text": e.text, "file": e.fileName ?? "", "hasFile": e.fileName != nil,
                 "size": e.fileSize ?? 0, "journal": e.journal]
            }
            v["held"] = findings.map { Console.row($0, nil, nil, names) }
            v["heldCount"] = held.count
            v["heldMore"] = max(0, held.count - Self.findingsPerGroup)
            v["hasHeldMore"] = held.count > Self.findingsPerGroup
            v["auditors"] = auditors.map { ["id": $0.id, "name": $0.name ?? $0.id, "selected": $0.id == inv.assignee] }
            v["dispositions"] = Disposition.allCases.map { ["code": $0.rawValue, "ja": $0.ja, "en": $0.en] }
            v["hasReasons"] = !inv.reasonCodes.isEmpty
            v["closed"] = inv.status == "closed"
            v["suppressions"] = try await console.store.suppressions().filter { $0.investigation == id }.map {
                ["id": $0.id, "scope": $0.scopeJa, "rule": $0.rule, "state": $0.stateText, "pending": $0.isPending]
            }
            return render("console_investigation", v)
        }
        router.post("/console/investigations/:id/reopen") { request, context -> Response in
            let id = try NameLookup.pathID(try context.parameters.require("id"), field: "id")
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            try await console.reopen(a, id, reason: f["reason"] ?? "")
            throw Redirect(location: "/console/investigations/\(Pages.urlEncoded(id, path: true))")
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
            var v = base(a, "抑制ルール Suppressions")
            let all = try await console.store.suppressions()
            func row(_ s: Suppression) -> [String: Any] {
                ["id": s.id, "investigation": s.investigation, "scope": s.scopeJa, "rule": s.rule, "by": s.createdBy,
                 "at": Console.when(s.created), "state": s.stateText, "mine": s.createdBy == a.staff.id,
                 "decidedAt": s.decision.map { Console.when($0.at) } ?? ""]
            }
            // Suppressions across staff wait for a second auditor (F-14): shown first, with their reason, and the
            // buttons for every auditor but the one who made them.
            let pending = all.filter(\.isPending)
            v["pending"] = pending.map(row)
            v["hasPending"] = !pending.isEmpty
            v["rows"] = all.filter { !$0.isPending }.map(row)
            return render("console_suppressions", v)
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
        addAlertsAndDashboard(to: router)
        addJournal(to: router)
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
        case "hold": "所見の追加 findings added"
        case "reopen": "再開 reopened"
        default: k
        }
    }

    static func invRow(_ i: Investigation, _ names: ConsoleNames = ConsoleNames()) -> [String: Any] {
        var v: [String: Any] = [
            "id": i.id, "title": i.title, "finding": i.finding ?? "", "register": i.register ?? "",
            "reasons": i.reasonCodes.joined(separator: ", "), "status": statusText(i.status),
            "assignee": i.assignee ?? "", "assigneeName": names.staffName(i.assignee ?? ""), "openedBy": i.openedBy,
            "openedByName": names.staffName(i.openedBy), "opened": Console.when(i.opened),
            "disposition": i.disposition.map { "\($0.ja) \($0.en)" } ?? "", "rule": i.rule ?? "", "decidedBy": i.decidedBy ?? "",
            "decidedByName": names.staffName(i.decidedBy ?? ""), "decided": i.decided.map(Console.when) ?? ""]
        v.merge(names.staffValues(i.staff)) { $1 }
        return v
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
