import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The live alerts and the dashboard (issue 19, A-2 and A-9): each alert with the facts needed to triage it (outcome,
/// operation, approval, case), a link to the access and a button to investigate it, older alerts in pages, 「新」
/// marked seen per row or all at once; the dashboard with ward names, a legend for every line and charts that scale.
extension ConsoleRoutes {
    /// Alerts on one page.
    static let alertsPerPage = 50
    /// Alerts marked seen one by one above an auditor's cursor, kept at most (the oldest are dropped: they count as
    /// seen once the cursor passes them).
    static let seenRowsKept = 500

    func addAlertsAndDashboard(to router: Router<WebRequestContext>) {
        router.get("/console/alerts") { request, _ -> Response in
            let q = request.uri.queryParameters
            // `before`: the ledger index the page starts below (older pages); range-checked.
            let before = try WorkspaceError.number(q.get("before"), field: "before", in: 1...Int(Int64.max), default: 0)
            let a = try await view(request, before == 0 ? "alerts" : "alerts:before:\(before)")
            try await console.scanAlerts()
            let cursor = try await console.store.consoleValue("alert.seen.\(a.staff.id)").flatMap { UInt64($0) } ?? 0
            let seenRows = Self.seenSet(try await console.store.consoleValue("alert.seenrows.\(a.staff.id)"))
            var v = base(a, "即時通知 Live alerts")
            let list = try await console.store.alerts(limit: Self.alertsPerPage + 1, below: before == 0 ? nil : UInt64(before))
            let page = Array(list.prefix(Self.alertsPerPage))
            let facts = try await console.alertFacts(page)
            let findings = Set(try await console.audit.findings(accessIDs: page.map(\.access)).map(\.finding.access))
            let names = try await ConsoleNames.load(console.store, staff: Set(page.map(\.staff)), persons: [],
                                                    registers: Set(page.compactMap(\.register)))
            let kindNames = ["break_glass": "緊急閲覧 break-the-glass", "vip": "VIP", "dv_support": "DV等支援措置 DV support"]
            v["rows"] = page.map { x -> [String: Any] in
                var r: [String: Any] = [
                    "seq": x.seq, "access": x.access, "at": Console.when(x.at), "office": names.officeName(x.office),
                    "register": x.register ?? "", "registerHead": names.registerHead(x.register),
                    "kinds": x.kinds.map { kindNames[$0] ?? $0 }.joined(separator: "・"), "reason": x.reason ?? "",
                    "new": x.seq > cursor && !seenRows.contains(x.seq),
                    "link": findings.contains(x.access) ? "/console/findings/\(Pages.urlEncoded(x.access, path: true))"
                        : "/console/accesses/\(Pages.urlEncoded(x.access, path: true))",
                    "hasFinding": findings.contains(x.access)]
                r.merge(names.staffValues(x.staff, on: x.at.jstDate)) { $1 }
                r.merge(facts[x.access] ?? ["action": "—", "outcome": "—", "approval": "—", "case": ""]) { $1 }
                return r
            }
            v["none"] = page.isEmpty
            v["newCount"] = try await console.store.alerts(limit: 1000, below: nil).count { $0.seq > cursor && !seenRows.contains($0.seq) }
            v["top"] = try await console.store.alerts(limit: 1, below: nil).first.map { String($0.seq) } ?? "0"
            v["hasOlder"] = list.count > Self.alertsPerPage
            v["older"] = "/console/alerts?before=\(page.last?.seq ?? 0)"
            v["paged"] = before != 0
            // Only the first page refreshes itself: an older page stays where the auditor is reading.
            v["refresh"] = before == 0
            return render("console_alerts", v)
        }
        router.post("/console/alerts/seen") { request, _ -> Response in
            let a = try await auditor(request)
            let f = try await Pages.checkedForm(request, a)
            if let one = f["seq"]?.trimmed.nonEmpty {
                // One row: kept in the auditor's set of rows seen above the cursor.
                let seq = UInt64(try WorkspaceError.number(one, field: "seq", in: 1...Int(Int64.max), default: 1))
                var rows = Self.seenSet(try await console.store.consoleValue("alert.seenrows.\(a.staff.id)"))
                rows.insert(seq)
                let kept = rows.sorted(by: >).prefix(Self.seenRowsKept)
                try await console.store.setConsoleValue("alert.seenrows.\(a.staff.id)", kept.map(String.init).joined(separator: ","))
                _ = try await console.journal("console.alerts.seen", a, subject: "alerts", [("seq", .number(String(seq)))])
                throw Redirect(location: "/console/alerts")
            }
            let top = UInt64(try WorkspaceError.number(f["top"], field: "top", in: 0...Int(Int64.max), default: 0))
            try await console.store.setConsoleValue("alert.seen.\(a.staff.id)", String(top))
            try await console.store.setConsoleValue("alert.seenrows.\(a.staff.id)", "")
            _ = try await console.journal("console.alerts.seen", a, subject: "alerts", [("upTo", .number(String(top)))])
            throw Redirect(location: "/console/alerts")
        }
        // An access with no finding (the audit has not reached it, or it is not a finding): what happened, from the
        // ledger, with the button to investigate its staff member.
        router.get("/console/accesses/:access") { request, context -> Response in
            let id = try NameLookup.pathID(try context.parameters.require("access"), field: "access")
            let a = try await view(request, "access:\(id)")
            if try await console.audit.findings(accessIDs: [id]).first != nil {
                throw Redirect(location: "/console/findings/\(Pages.urlEncoded(id, path: true))")
            }
            guard let (seq, e) = try await console.accessEvent(id) else { throw WorkspaceError.notFound("アクセス \(id) ") }
            let names = try await ConsoleNames.load(console.store, staff: [e.staff], persons: Set([e.person].compactMap { $0 }),
                                                    registers: Set([e.register].compactMap { $0 }))
            var v = base(a, "アクセス \(id) Access")
            var ev: [String: Any] = [
                "id": id, "seq": seq, "at": Console.when(e.at), "action": e.action.ja, "record": e.record.ja, "outcome": e.outcome.ja,
                "register": e.register ?? "", "registerHead": names.registerHead(e.register), "person": e.person ?? "",
                "personName": names.personName(e.person), "case": e.caseID ?? "", "reason": e.reason ?? "",
                "office": names.officeName(e.office), "query": Self.queryText(e.query)]
            ev.merge(names.staffValues(e.staff, on: e.at.jstDate)) { $1 }
            v["e"] = ev
            return render("console_access", v)
        }
        router.get("/console/dashboard") { request, _ -> Response in
            let a = try await view(request, "dashboard")
            var v = base(a, "ダッシュボード Dashboard")
            let x = try await console.figures()
            let names = try await ConsoleNames.load(console.store)
            let ward = { (o: String) in names.officeName(o == "?" ? nil : o).nonEmpty ?? "不明" }
            let dayLabels = x.days.map { String($0.description.dropFirst(5)) }
            let series = x.offices.map { o in (ward(o), x.days.map { x.perOfficeDay[o]?[$0] ?? 0 }) }
            // The period as plotted: the 28 days up to the newest finding's day (which need not be today).
            let span = x.days.first.map { "\(ReportText.date($0.description))〜\(ReportText.date(x.days.last!.description))" } ?? "データなし"
            v["span"] = span
            v["chartOffices"] = Charts.lines(id: "c1", title: "事務所別・日別の閲覧件数 Accesses per office per day",
                                             desc: "\(span)（監査済みの最新日までの\(x.days.count)日）、事務所ごとの閲覧件数の折れ線。表は下にあります。",
                                             x: dayLabels, series: series)
            v["officeDays"] = x.days.map { d in ["day": ReportText.date(d.description), "counts": x.offices.map { ["n": x.perOfficeDay[$0]?[d] ?? 0] }] }
            v["offices"] = x.offices.map(ward)
            let shares = x.offices.map { o -> (String, Double) in
                (ward(o), Double(x.unexplained[o] ?? 0) / Double(max(x.total[o] ?? 0, 1)) * 100)
            }
            v["chartShare"] = Charts.bars(id: "c2", title: "事務所別の説明なし割合 Unexplained share per office",
                                          desc: "案件で説明できない閲覧の割合（%）。", items: shares, unit: "%",
                                          format: { String(format: "%.1f", $0) })
            v["shares"] = x.offices.map { o in
                ["office": ward(o), "total": x.total[o] ?? 0, "unexplained": x.unexplained[o] ?? 0,
                 "share": String(format: "%.1f", Double(x.unexplained[o] ?? 0) / Double(max(x.total[o] ?? 0, 1)) * 100)]
            }
            let flaggedDays = x.flaggedPerDay.keys.sorted()
            let fItems: [(String, Int)]
            if flaggedDays.count > 60 {
                var weeks: [(String, Int)] = []
                for d in flaggedDays {
                    let wk = d.adding(days: -d.weekday).description
                    if weeks.last?.0 == wk { weeks[weeks.count - 1].1 += x.flaggedPerDay[d]! } else { weeks.append((wk, x.flaggedPerDay[d]!)) }
                }
                fItems = weeks
            } else {
                fItems = flaggedDays.map { ($0.description, x.flaggedPerDay[$0]!) }
            }
            v["chartFindings"] = Charts.columns(id: "c3", title: "要確認の件数の推移 Flagged findings over time",
                                                desc: flaggedDays.count > 60 ? "週ごとの要確認件数（週の初めの日曜日）。" : "日ごとの要確認件数。",
                                                items: fItems)
            v["findingRows"] = fItems.map { ["label": ReportText.date($0.0) + (flaggedDays.count > 60 ? "の週" : ""), "n": $0.1] }
            v["chartHeat"] = Charts.heatmap(id: "c4", title: "曜日・時間帯別の閲覧 Accesses by hour of week",
                                            desc: "行が曜日（日〜土）、列が時（0〜23時）。色が濃いほど多い。", grid: x.hourOfWeek)
            v["heatRows"] = x.hourOfWeek.enumerated().map { d, row in ["day": Charts.weekdaysJa[d], "hours": row.map { ["n": $0] }] }
            v["hours"] = Array(0..<24)
            let top = try await console.audit.staffRanking(limit: 10)
            let staffNames = try await ConsoleNames.load(console.store, staff: Set(top.map(\.staff)))
            v["chartStaff"] = Charts.bars(id: "c5", title: "危険度の高い職員 Top staff by risk",
                                          desc: "職員ごとの危険度（上位10件のスコアの合計）。",
                                          items: top.map { (staffNames.staffName($0.staff).nonEmpty ?? $0.staff, $0.risk) },
                                          format: { String(format: "%.2f", $0) })
            v["topStaff"] = top.map { s -> [String: Any] in
                var r: [String: Any] = ["risk": String(format: "%.2f", s.risk), "flagged": s.flagged, "total": s.total]
                r.merge(staffNames.staffValues(s.staff)) { $1 }
                return r
            }
            return render("console_dashboard", v)
        }
    }

    /// The row seqs an auditor marked seen one by one (a comma-separated console value).
    static func seenSet(_ s: String?) -> Set<UInt64> { Set((s ?? "").split(separator: ",").compactMap { UInt64($0) }) }
}

extension Console {
    /// Per alert, what happened: the operation, its outcome, the case, and whether an approval was in use (a granted
    /// approval of the same staff member for the same register's 附票, decided within the approval's time before the
    /// access). The events are read with one selection per staff member over their alerts' period, the approvals
    /// once per staff member: not one read per row.
    func alertFacts(_ alerts: [ConsoleAlert]) async throws -> [String: [String: Any]] {
        guard !alerts.isEmpty else { return [:] }
        var selections: [EventSelection] = []
        for (staff, xs) in Dictionary(grouping: alerts, by: \.staff) {
            let times = xs.map(\.at.millis)
            selections.append(EventSelection(.staff(staff), fromMillis: times.min()!, toMillis: times.max()! + 1))
        }
        let wanted = Set(alerts.map(\.access))
        var events: [String: AccessEvent] = [:]
        for r in try await store.accessEvents(selections, below: nil) {
            let e = try StoredEntryError.access(seq: r.seq, entry: r.entry)
            if wanted.contains(e.id) { events[e.id] = e }
        }
        var approvals: [String: [ApprovalRequest]] = [:]
        for staff in Set(alerts.map(\.staff)) {
            approvals[staff] = try await store.approvals(staff: staff, office: nil, limit: 500)
                .filter { $0.status == .approved || $0.status == .used }
        }
        let minutes = Int64(workspace.config.approvalMinutes) * 60_000
        var out: [String: [String: Any]] = [:]
        for (id, e) in events {
            // An approval covers its own record kind only (a VIP register's 附票 and current record are two).
            let used = approvals[e.staff]?.first { ap in
                ap.register == e.register && ap.record == e.record.rawValue
                    && ap.decided.map { e.at.millis >= $0.millis && e.at.millis <= $0.millis + minutes } == true
            }
            out[id] = ["action": e.action.ja + "（\(e.record.ja)）", "outcome": e.outcome.ja, "denied": e.outcome != .ok,
                       "case": e.caseID ?? "", "approval": used.map { "あり（承認 \($0.approver ?? "")）" } ?? "なし",
                       "approvalUsed": used != nil]
        }
        return out
    }
}
