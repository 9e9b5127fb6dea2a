import AkashiDomain
import AkashiInterchange
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The supervisor's view of the office (issue 19, S-3): today's break-the-glass accesses (a stated reason, no case)
/// and refused attempts at the supervisor's office, newest first, as the ledger recorded them. Read through the
/// event log's office lookup (``EventSelection/Key/office(_:)``); looking is journaled (`office.view`), since the
/// page names registers and the reasons staff gave.
extension Pages {
    /// Today's notable accesses at `office`: a reason given (break-the-glass) or an outcome other than `ok`.
    func officeToday(_ office: String) async throws -> [AccessEvent] {
        let today = workspace.now.jstDate
        let start = Int64(today.day) * 86_400_000 - Int64(Timestamp.jst) * 60_000
        let rows = try await workspace.store.accessEvents([EventSelection(.office(office), fromMillis: start,
                                                                          toMillis: start + 86_400_000)], below: nil)
        var out: [AccessEvent] = []
        for row in rows.reversed() {
            guard case let .record(.access(e), _)? = try? RecordDecoder.decodeStored(line: row.entry),
                  e.reason != nil || e.outcome != .ok else { continue }
            out.append(e)
            if out.count == 500 { break }
        }
        return out
    }

    func addOfficePage(to router: Router<WebRequestContext>) {
        router.get("/office") { request, _ -> Response in
            let a = try await actor(request)
            try workspace.require(a, .approve, "事務所の記録")
            try Self.requireSameOrigin(request)
            _ = try await workspace.journal("office.view", actor: a, subject: a.office,
                                            detail: .object([("view", .string("today"))]))
            let events = try await officeToday(a.office)
            var names: [String: String] = [:]
            for id in Set(events.map(\.staff)) { names[id] = try await workspace.store.staffMember(id: id)?.name ?? id }
            var v = base(a, title: "事務所の今日の記録")
            let rows = events.map { e -> [String: Any] in
                var row: [String: Any] = [
                    "at": Self.jstMinute(e.at), "staff": e.staff, "staffName": names[e.staff] ?? e.staff,
                    "action": e.action.ja, "record": e.record.ja, "register": e.register ?? "",
                    "breakGlass": e.reason != nil && e.caseID == nil, "refused": e.outcome != .ok,
                    "outcome": e.outcome.ja,
                ]
                row["reason"] = e.reason
                row["case"] = e.caseID
                return row
            }
            v["rows"] = rows
            v["none"] = rows.isEmpty
            v["breakGlassCount"] = events.filter { $0.reason != nil && $0.caseID == nil && $0.outcome == .ok }.count
            v["refusedCount"] = events.filter { $0.outcome != .ok }.count
            v["officeName"] = a.officeName
            v["today"] = ReportText.date(workspace.now.jstDate.description)
            return html("office", v)
        }
    }
}
