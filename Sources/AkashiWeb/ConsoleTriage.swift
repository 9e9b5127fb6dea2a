import AkashiAudit
import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// What an auditor triaging a municipality's accesses needs beside the findings (issue 19, A-4/A-5): the operation of
/// each access, read in bulk through the event log's lookups.
extension Console {
    /// The operation of each listed access (操作, 結果, the query of a search), read with one selection of the event
    /// log (the staff member's, the person's or the register's events over the period), not one read per row.
    func accessActions(_ accesses: [String], selection key: EventSelection.Key, from: Timestamp?, to: Timestamp?) async throws
        -> [String: [String: Any]] {
        guard !accesses.isEmpty else { return [:] }
        let wanted = Set(accesses)
        let rows = try await store.accessEvents([EventSelection(key, fromMillis: from?.millis ?? .min, toMillis: to.map { $0.millis + 1 } ?? .max)],
                                                below: nil)
        var out: [String: [String: Any]] = [:]
        for r in rows {
            let e = try StoredEntryError.access(seq: r.seq, entry: r.entry)
            guard wanted.contains(e.id) else { continue }
            out[e.id] = ["action": e.action.ja + (e.record == .current ? "" : "（\(e.record.ja)）"), "outcome": e.outcome.ja,
                         "denied": e.outcome != .ok, "query": ConsoleRoutes.queryText(e.query), "isSearch": e.action == .search]
        }
        return out
    }
}

extension Console {
    /// The investigations that hold a finding (opened from it, or from its group), newest first.
    func investigations(holding access: String) async throws -> [Investigation] {
        var out = try await store.investigations(status: nil, staff: nil, finding: access)
        for h in try await store.heldFindings(investigation: nil, access: access) where !out.contains(where: { $0.id == h.investigation }) {
            if let i = try await store.investigation(id: h.investigation) { out.append(i) }
        }
        return out.sorted { $0.opened > $1.opened }
    }

    /// Every finding an investigation holds: the one it was opened from and those held with it.
    func heldAccesses(_ inv: Investigation) async throws -> [String] {
        var out = try await store.heldFindings(investigation: inv.id, access: nil).map(\.access)
        if let f = inv.finding, !out.contains(f) { out.insert(f, at: 0) }
        return out
    }

    /// The flagged findings of a finding's worklist group (same staff member and person, else register) that no
    /// investigation has disposed, highest score first: what an investigation opened from the group holds.
    func groupFindings(of f: AccessFinding) async throws -> [String] {
        let key = Self.groupKey(f)
        let rows = try await worklist(filter: "all", staff: f.staff, limit: Self.groupScanLimit, offset: 0)
        let open = rows.filter { r in
            Self.groupKey(r.0.finding) == key && r.2?.disposition != .business && r.2?.disposition != .nonBusiness
        }.map(\.0.finding.access)
        return open.contains(f.access) ? open : [f.access] + open
    }

    /// An open investigation that already covers the request: one on the staff member as a whole (for a staff
    /// investigation), or one of the same staff member about the same person (else register) — it holds one of the
    /// findings, or a finding of the same worklist group (`pair`, ``groupKey(_:)``).
    func openDuplicate(staff: String, findings: [String], pair: String? = nil) async throws -> Investigation? {
        let open = try await store.investigations(status: "open", staff: staff, finding: nil)
        if findings.isEmpty {
            for i in open where i.finding == nil {
                if try await store.heldFindings(investigation: i.id, access: nil).isEmpty { return i }
            }
            return nil
        }
        let wanted = Set(findings)
        for i in open {
            let held = try await heldAccesses(i)
            if held.contains(where: { wanted.contains($0) }) { return i }
            if let pair, try await audit.findings(accessIDs: held).contains(where: { Self.groupKey($0.finding) == pair }) { return i }
        }
        return nil
    }

    /// Adds findings to an open investigation (a second 「調査を開始」 on the same pair): journaled as
    /// `investigation.hold` and a step, when any finding is new to it.
    func hold(_ a: Actor, _ inv: Investigation, _ accesses: [String]) async throws {
        let already = Set(try await heldAccesses(inv))
        let added = accesses.filter { !already.contains($0) }
        guard !added.isEmpty else { return }
        try await store.holdFindings(investigation: inv.id, accesses: added)
        let j = try await journal("investigation.hold", a, subject: inv.id, [("staff", .string(inv.staff))] + Self.heldDetail(added))
        try await store.addInvestigationEntry(InvestigationEntry(investigation: inv.id, kind: "hold", author: a.staff.id, at: now,
                                                           text: "所見 \(added.count) 件を追加", journal: j), file: nil)
    }

    /// The journal detail of a set of held findings: how many, their SHA-256 (the sorted access IDs, one a line) and,
    /// up to 200, the IDs themselves.
    static func heldDetail(_ accesses: [String]) -> [(String, JSONValue)] {
        let sorted = accesses.sorted()
        var d: [(String, JSONValue)] = [("held", .number(String(sorted.count))),
                                        ("held_sha256", .string(Tokens.sha256Hex(Array(sorted.joined(separator: "\n").utf8))))]
        if sorted.count <= 200 { d.append(("findings", .array(sorted.map { .string($0) }))) }
        return d
    }

    /// Reopens a closed investigation: only on purpose, with a reason (issue 19, A-4). The verdict is withdrawn (its
    /// findings count as undisposed again), the step and `investigation.reopen` keep the reason and the verdict that
    /// stood; a suppression the verdict made stays (suppressions are append-only) and is named in the step.
    func reopen(_ a: Actor, _ id: String, reason: String) async throws {
        var inv = try await investigation(id)
        guard inv.status == "closed" else {
            throw WorkspaceError(.conflict, "investigation_open", "この調査は調査中です（再開の必要はありません）。",
                                 "This investigation is open: there is nothing to reopen.")
        }
        guard let why = reason.trimmed.nonEmpty, why.count <= 1000 else {
            throw WorkspaceError.invalid("再開の理由（reason）を入力してください（1000文字以内）。", "Give the reason to reopen (up to 1,000 characters).")
        }
        let previous = inv.disposition
        let rule = inv.rule
        inv.status = "open"
        inv.disposition = nil
        inv.rule = nil
        inv.decidedBy = nil
        inv.decided = nil
        try await store.saveInvestigation(inv)
        var d: [(String, JSONValue)] = [("reason", .string(why)), ("staff", .string(inv.staff))]
        if let previous { d.append(("previous", .string(previous.rawValue))) }
        let j = try await journal("investigation.reopen", a, subject: id, d)
        let kept = try await store.suppressions().filter { $0.investigation == id }
        let note = kept.isEmpty ? "" : "（この調査の抑制ルール \(kept.count) 件は残ります）"
        try await store.addInvestigationEntry(InvestigationEntry(
            investigation: id, kind: "reopen", author: a.staff.id, at: now,
            text: "再開：" + why + "（それまでの処分：" + (previous.map { $0.ja + (rule.map { "・" + $0 } ?? "") } ?? "なし") + "）" + note,
            journal: j), file: nil)
    }
}

extension ConsoleRoutes {
    /// What a search asked, in words: `氏名=浪花 一郎・生年月日=1969` (the query object's fields as given).
    static func queryText(_ q: JSONValue?) -> String {
        guard let q else { return "" }
        let labels = ["name": "氏名", "kana": "よみ", "birth": "生年月日", "honseki": "本籍", "address": "住所", "register": "戸籍",
                      "person": "人"]
        switch q {
        case let .object(fields):
            return fields.compactMap { k, v -> String? in
                let text: String
                switch v {
                case let .string(s): text = s
                case let .number(n): text = n
                case let .bool(b): text = b ? "はい" : "いいえ"
                case .null: return nil
                default: text = "…"
                }
                return text.isEmpty ? nil : (labels[k] ?? k) + "=" + text
            }.joined(separator: "・")
        case let .string(s): return s
        default: return ""
        }
    }

    /// Renders a console page with every empty text as absent (``Pages/page(_:_:status:)``).
    func render(_ template: String, _ values: [String: Any]) -> Response { pages.page(template, values) }

    /// The query of a GET form as the browser sent it (``Pages/formQuery(_:)``: `+` a space, `%2B` a plus).
    static func formQuery(_ request: Request) -> [String: String] { Pages.formQuery(request) }

    /// Whether a lookup's text is an ID rather than a name: printable ASCII without spaces, with a digit.
    static func looksLikeID(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F } && s.contains { $0.isNumber }
    }

    /// 機能・画面 in words (issue 19, A-5): the business function and the screen the workspace records
    /// (`register.view`, `web:register`), each known one in Japanese with the code beside it; "記録なし" for none.
    static func whereText(function: String?, screen: String?) -> String {
        let functions = ["register.search": "戸籍の検索", "register.view": "戸籍の表示", "certificate.issue": "証明書の発行",
                         "notification.entry": "届出の入力（異動）"]
        let channels = ["web": "窓口の画面", "api": "API"]
        let screens = ["register": "戸籍の画面", "search": "検索の画面", "issue": "発行の画面", "update": "異動入力の画面",
                       "banner-required": "警告表示の確認前"]
        var parts: [String] = []
        if let f = function?.trimmed.nonEmpty { parts.append(functions[f].map { "\($0)（\(f)）" } ?? f) }
        if let sc = screen?.trimmed.nonEmpty {
            let bits = sc.split(separator: ":", maxSplits: 1).map(String.init)
            if bits.count == 2, let c = channels[bits[0]] {
                parts.append(c + "・" + (screens[bits[1]] ?? bits[1]))
            } else {
                parts.append(screens[sc] ?? sc)
            }
        }
        return parts.isEmpty ? "記録なし" : parts.joined(separator: "／")
    }

    /// An investigation's status in words.
    static func statusText(_ status: String) -> String { status == "open" ? "調査中 open" : "終了 closed" }

    /// What the bands mean, for the pages that show a score.
    static let bandExplanation = "危険度は 0〜1。理由ごとの重みを合成（1 − Π(1 − 重み)）した値で、高＝0.9以上（強い理由が重なる）、中＝0.5以上（要確認の基準）、低＝0.5未満。"

    /// A date from a request, `YYYY-MM-DD`; a bad one is a 400 naming the field.
    static func checkedDate(_ s: String?, field: String) throws -> LocalDate? {
        guard let t = s?.trimmed.nonEmpty else { return nil }
        guard let d = LocalDate(t) else {
            throw WorkspaceError.invalid("\(field) は YYYY-MM-DD の日付にしてください。", "\(field) must be a date, YYYY-MM-DD.")
        }
        return d
    }
}
