import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import Hummingbird

/// The journal browser under /audit (issue 19, A-10): Akashi's own ledger entries by kind — approval requests and
/// decisions, banner acknowledgements, failed sign-ins, investigations — newest first, a page at a time, so that "who
/// approved this DV 附票 view" is answered on a screen. Read straight from the ledger (entries are never changed),
/// backwards, at most ``scanLimit`` entries a page; auditors only, each view journaled.
extension ConsoleRoutes {
    /// The kinds an auditor can choose, by group.
    static let journalGroups: [(code: String, ja: String, en: String, kinds: Set<String>)] = [
        ("approval", "承認の依頼と判断", "approval requests and decisions", ["approval.request", "approval.grant", "approval.deny"]),
        ("banner", "警告表示の確認", "banner acknowledgements", ["banner.ack", "banner.change"]),
        ("signin", "サインインの失敗・ロック", "failed sign-ins and lockouts", ["signin.failed", "account.locked"]),
        ("investigation", "調査と抑制", "investigations and suppressions",
         ["investigation.open", "investigation.assign", "investigation.note", "investigation.interview",
          "investigation.disposition", "investigation.hold", "investigation.reopen", "suppression.create",
          "suppression.confirm", "suppression.decline"]),
    ]
    static let journalKindJa = [
        "approval.request": "承認の依頼", "approval.grant": "承認", "approval.deny": "却下（承認）", "banner.ack": "警告表示の確認",
        "banner.change": "警告表示の変更", "signin.failed": "サインインの失敗", "account.locked": "アカウントのロック",
        "investigation.open": "調査の開始", "investigation.assign": "調査の担当", "investigation.note": "調査のメモ",
        "investigation.interview": "事情聴取の記録", "investigation.disposition": "処分", "investigation.hold": "調査への所見の追加",
        "investigation.reopen": "調査の再開", "suppression.create": "抑制の作成", "suppression.confirm": "抑制の確認",
        "suppression.decline": "抑制の却下",
    ]
    /// Rows on one page of the journal browser.
    static let journalPerPage = 50
    /// Ledger entries read at most for one page (then the page offers to look further back).
    static let scanLimit = 50_000

    func addJournal(to router: Router<WebRequestContext>) {
        router.get("/audit/journal") { request, _ -> Response in
            let q = request.uri.queryParameters
            let kind = q.get("kind") ?? "approval"
            guard let group = Self.journalGroups.first(where: { $0.code == kind }) else {
                throw WorkspaceError.invalid("kind は approval・banner・signin・investigation のどれかにしてください。",
                                             "kind must be approval, banner, signin or investigation.")
            }
            let size = try await console.store.ledgerSize()
            let before = try WorkspaceError.number(q.get("before"), field: "before", in: 1...Int(Int64.max), default: 0)
            let a = try await view(request, "journal:\(kind)")
            var v = base(a, "台帳の記録：\(group.ja) Journal")
            // Entries below `cursor` are not yet looked at; it ends at the oldest entry looked at.
            var cursor = before == 0 ? size : min(UInt64(before), size)
            var rows: [[String: Any]] = []
            var scanned = 0
            var staffIDs = Set<String>()
            var found: [[String: Any]] = []
            while cursor > 0 && found.count < Self.journalPerPage && scanned < Self.scanLimit {
                let start = cursor > 2000 ? cursor - 2000 : 0
                let entries = try await console.store.ledgerEntries(start..<cursor)
                scanned += entries.count
                for (i, bytes) in entries.enumerated().reversed() where found.count < Self.journalPerPage {
                    cursor = start + UInt64(i)
                    guard let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                          o["type"] as? String == "journal", let k = o["kind"] as? String, group.kinds.contains(k) else { continue }
                    var x = o
                    x["seq"] = cursor
                    found.append(x)
                    if let s = o["staff"] as? String { staffIDs.insert(s) }
                }
                if entries.isEmpty { break }
            }
            let names = try await ConsoleNames.load(console.store, staff: staffIDs)
            for o in found {
                let staff = o["staff"] as? String ?? ""
                let detail = (o["detail"] as? [String: Any]).map(Self.detailText) ?? ""
                var r: [String: Any] = ["seq": o["seq"] ?? 0, "id": o["id"] as? String ?? "",
                                        "at": ReportText.dateTime(o["at"] as? String ?? ""),
                                        "kind": Self.journalKindJa[o["kind"] as? String ?? ""] ?? (o["kind"] as? String ?? ""),
                                        "code": o["kind"] as? String ?? "", "subject": o["subject"] as? String ?? "",
                                        "office": names.officeName(o["office"] as? String), "detail": detail]
                r.merge(names.staffValues(staff)) { $1 }
                rows.append(r)
            }
            v["rows"] = rows
            v["none"] = rows.isEmpty
            v["groups"] = Self.journalGroups.map { ["code": $0.code, "ja": $0.ja, "en": $0.en, "selected": $0.code == kind] }
            v["groupJa"] = group.ja
            v["hasOlder"] = cursor > 0
            v["older"] = "/audit/journal?kind=\(kind)&before=\(cursor)"
            v["scanStopped"] = found.count < Self.journalPerPage && cursor > 0
            v["paged"] = before != 0
            v["kind"] = kind
            return render("audit_journal", v)
        }
    }

    /// A journal entry's detail in words: `key=value` pairs (arrays by count), in a stable order.
    static func detailText(_ d: [String: Any]) -> String {
        d.keys.sorted().compactMap { k -> String? in
            switch d[k] {
            case let s as String: "\(k)=\(s.prefix(200))"
            case let n as NSNumber: "\(k)=\(n)"
            case let a as [Any]: "\(k)=\(a.count)件"
            default: nil
            }
        }.joined(separator: "・")
    }
}
