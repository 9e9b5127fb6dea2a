import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiReports
import AkashiStorage
import Crypto
import Foundation
import HTTPTypes
import Synchronization


/// The auditor console's logic over the audit and report services: worklist with suppressions, evidence for a
/// finding, investigations (every step journaled), live alerts, dashboard figures, disclosure and access codes.
final class Console: Sendable {
    let workspace: Workspace
    let store: any ServerStore
    let audit: AuditService
    /// Wrong resident codes per client address: 5 per 15 minutes (see `ResidentLimiter`).
    let residentLimiter = ResidentLimiter()
    /// Resident refusals journaled per minute, across all clients (see `RefusalJournalCap`).
    let refusalJournal = RefusalJournalCap()

    init(workspace: Workspace) {
        self.workspace = workspace
        self.store = workspace.server
        self.audit = AuditService(store: workspace.server)
    }

    var now: Timestamp { workspace.now }

    // MARK: Journal

    /// Records that an auditor opened a console page (who watches the watchers).
    func viewed(_ a: Actor, _ subject: String, path: String) async throws {
        _ = try await workspace.journal("console.view", actor: a, subject: subject,
                                        detail: .object([("path", .string(String(path.prefix(300))))]))
    }

    func journal(_ kind: String, _ a: Actor?, subject: String, _ detail: [(String, JSONValue)], id given: String? = nil)
        async throws -> String {
        let at = now
        let id = given ?? Tokens.eventID(millis: at.millis)
        let e = JournalEvent(id: id, at: at, kind: kind, staff: a?.staff.id, office: a?.office,
                             terminal: a?.session.terminal, subject: subject, detail: .object(detail))
        _ = try await workspace.committer.append(e)
        return id
    }

    // MARK: Findings

    /// Which suppression in effect (and its investigation's disposition) covers a finding, if any.
    func suppression(of f: AccessFinding, _ list: [Suppression]) -> Suppression? { list.first { $0.inEffect && $0.matches(f) } }

    /// The suppressions that take findings out of the worklist now: not one that waits for a second auditor, nor one
    /// a second auditor declined (F-14).
    func suppressionsInEffect() async throws -> [Suppression] { try await store.suppressions().filter(\.inEffect) }

    /// Flagged findings by score, split by state: `open` (default), `suppressed`, `disposed`, `all`.
    func worklist(filter: String, staff: String?, limit: Int, offset: Int) async throws -> [(StoredFinding, Suppression?, Investigation?)] {
        let sup = try await suppressionsInEffect()
        let invs = try await store.investigations(status: nil, staff: nil, finding: nil)
        var heldBy: [String: [String]] = [:]
        for h in try await store.heldFindings(investigation: nil, access: nil) { heldBy[h.investigation, default: []].append(h.access) }
        // Every finding an investigation holds (the one it was opened from and, from a group, the group's), the newest
        // investigation last so that it wins.
        var byFinding: [String: Investigation] = [:]
        for i in invs.reversed() {
            if let f = i.finding { byFinding[f] = i }
            for f in heldBy[i.id] ?? [] { byFinding[f] = i }
        }
        var out: [(StoredFinding, Suppression?, Investigation?)] = []
        var skipped = 0
        var page = 0
        let chunk = 1000
        while out.count < limit {
            let batch = try await audit.worklist(limit: chunk, offset: page * chunk, staff: staff)
            for f in batch {
                let s = suppression(of: f.finding, sup)
                let inv = byFinding[f.finding.access]
                let disposed = inv?.disposition == .business || inv?.disposition == .nonBusiness
                let keep: Bool = switch filter {
                case "suppressed": s != nil
                case "disposed": disposed
                case "all": true
                default: s == nil && !disposed
                }
                guard keep else { continue }
                if skipped < offset { skipped += 1; continue }
                out.append((f, s, inv))
                if out.count >= limit { break }
            }
            if batch.count < chunk { break }
            page += 1
        }
        return out
    }

    /// Findings of one staff member about one person (or, without a person, one register): one worklist row (A-4).
    struct FindingGroup {
        var staff: String
        var person: String?
        var register: String?
        /// Highest score first.
        var rows: [(StoredFinding, Suppression?, Investigation?)] = []
        var first: Timestamp
        var last: Timestamp

        var top: StoredFinding { rows[0].0 }
        var accesses: [String] { rows.map(\.0.finding.access) }
    }

    /// Most findings the grouped worklist reads per view (it reads them all to count each group whole).
    static let groupScanLimit = 200_000

    /// The group key of a finding: its staff member with its person, else its register, else (a search) alone.
    static func groupKey(_ f: AccessFinding) -> String {
        f.staff + "\u{1F}" + (f.person.map { "p:" + $0 } ?? f.register.map { "r:" + $0 } ?? "a:" + f.access)
    }

    /// The worklist grouped by staff–person (or staff–register) pair, groups by their top score; the page of `size`
    /// groups at `page`, how many groups there are and whether the scan stopped at ``groupScanLimit``.
    func worklistGroups(filter: String, staff: String?, page: Int, size: Int) async throws
        -> (groups: [FindingGroup], total: Int, capped: Bool) {
        let rows = try await worklist(filter: filter, staff: staff, limit: Self.groupScanLimit, offset: 0)
        var index: [String: Int] = [:]
        var groups: [FindingGroup] = []
        for r in rows {
            let f = r.0.finding
            let key = Self.groupKey(f)
            if let i = index[key] {
                groups[i].rows.append(r)
                groups[i].first = min(groups[i].first, f.at)
                groups[i].last = max(groups[i].last, f.at)
            } else {
                index[key] = groups.count
                groups.append(FindingGroup(staff: f.staff, person: f.person, register: f.person == nil ? f.register : nil,
                                           rows: [r], first: f.at, last: f.at))
            }
        }
        let start = min(page * size, groups.count)
        return (Array(groups[start..<min(start + size, groups.count)]), groups.count, rows.count >= Self.groupScanLimit)
    }

    /// The access event behind a finding (or any access ID).
    func accessEvent(_ id: String) async throws -> (UInt64, AccessEvent)? {
        guard let idx = try await store.ledgerIndex(ofEvent: id), let bytes = try await store.ledgerEntries(idx..<(idx + 1)).first,
              case let .record(.access(e), _) = try RecordDecoder.decodeStored(line: bytes) else { return nil }
        return (idx, e)
    }

    /// The cases about the access's register or person within the audit's look-back, and per case why it did not
    /// explain the access (or that it did).
    func nearestCases(_ f: AccessFinding, _ e: AccessEvent?) async throws -> [[String: Any]] {
        let cfg = audit.config
        let register = f.register ?? e?.register
        let person = f.person ?? e?.person
        let cases = try await store.cases(person: person, registers: register.map { [$0] } ?? [])
        let at = f.at.millis
        let lookback = Int64(cfg.maxCaseLookbackDays) * 86_400_000
        let near = cases.filter { abs($0.received.millis - at) <= lookback }
            .sorted { abs($0.received.millis - at) < abs($1.received.millis - at) }.prefix(10)
        return near.map { c -> [String: Any] in
            let start = c.received.millis - Int64(cfg.lateKeyingMinutes) * 60_000
            let end = (c.closed?.millis ?? c.received.millis + Int64(cfg.openCaseDays) * 86_400_000)
                + Int64(cfg.closedSlackDays) * 86_400_000
            var ja: [String] = [], en: [String] = []
            if !c.staff.contains(f.staff) {
                ja.append("担当が別の職員（\(c.staff.joined(separator: "・"))）")
                en.append("handled by other staff (\(c.staff.joined(separator: ", ")))")
            }
            if at < start || at > end {
                ja.append("期間外（\(Timestamp(millis: start).jstDate)〜\(Timestamp(millis: end).jstDate)）")
                en.append("outside the window (\(Timestamp(millis: start).jstDate) – \(Timestamp(millis: end).jstDate))")
            }
            let aboutRegister = register.map { c.registers.contains($0) } ?? false
            if !aboutRegister {
                ja.append(register == nil ? "戸籍の指定なし" : "別の戸籍（\(c.registers.joined(separator: "・"))）")
                en.append(register == nil ? "no register on the access" : "other register (\(c.registers.joined(separator: ", ")))")
            }
            if let o = f.office ?? e?.office, o != c.office {
                ja.append("別の事務所（\(c.office)）")
                en.append("other office (\(c.office))")
            }
            let explains = f.explanation?.caseID == c.id
            return ["id": c.id, "number": c.number ?? c.id, "kind": c.kind.ja, "received": Self.when(c.received),
                    "closed": c.closed.map(Self.when) ?? "—", "staff": c.staff.joined(separator: " "),
                    "registers": c.registers.joined(separator: " "), "explains": explains,
                    "mismatchJa": explains ? "この案件で説明されます" : (ja.isEmpty ? "一致（ただし理由は上記）" : ja.joined(separator: "、")),
                    "mismatchEn": explains ? "explains the access" : (en.isEmpty ? "matches (see reasons above)" : en.joined(separator: "; "))]
        }
    }

    /// A timestamp as the console shows it: `2026年12月6日 16:59` (Japan time, to the minute).
    static func when(_ t: Timestamp) -> String { ReportText.dateTime(t.format(offset: Timestamp.jst)) }

    /// An explanation rule in words (ja / en).
    static func ruleText(_ rule: String) -> (ja: String, en: String) {
        switch rule {
        case "named_case": ("案件に名前のある人", "case naming the person")
        case "own_case": ("自分の担当案件", "own case")
        case "colleague_case": ("同じ事務所の同僚の案件", "a colleague's case")
        case "forwarded_case": ("回付された案件", "forwarded case")
        case "late_filed": ("後から入力された案件", "case keyed in later")
        case "inquiry": ("照会", "inquiry")
        case "correction": ("訂正", "correction")
        case "namesake": ("同名の人（弱い説明）", "namesake (weak)")
        default: (rule, rule)
        }
    }

    /// The score's band: 高 from 0.9, 中 from the flag threshold (0.5), else 低 (issue 19, A-5).
    static func band(_ score: Double) -> (ja: String, en: String, css: String) {
        score >= 0.9 ? ("高", "high", "band-high") : score >= 0.5 ? ("中", "medium", "band-mid") : ("低", "low", "band-low")
    }

    /// The reasons as a row shows them: the same fact once. An address attachment opened with no document
    /// (`fuhyo_no_case`) is already said by the DV-support or VIP reason about the same attachment, and a sentence
    /// said twice is shown once.
    static func displayReasons(_ reasons: [Reason]) -> [Reason] {
        let codes = Set(reasons.map(\.code))
        var seen = Set<String>()
        return reasons.filter { r in
            if r.code == ReasonCode.fuhyo_no_case.rawValue && !codes.isDisjoint(with: ["dv_support", "vip"]) { return false }
            return seen.insert(r.ja).inserted
        }
    }

    static func row(_ sf: StoredFinding, _ s: Suppression?, _ inv: Investigation?, _ names: ConsoleNames = ConsoleNames()) -> [String: Any] {
        let f = sf.finding
        let rule = f.explanation.map { ruleText($0.rule) }
        var v: [String: Any] = [
            "access": f.access, "at": when(f.at), "score": AccessFinding.scoreText(f.score),
            "flagged": f.flagged, "explained": f.explained, "rule": rule?.ja ?? "", "ruleEn": rule?.en ?? "",
            "case": f.explanation?.caseID ?? "", "register": f.register ?? "", "person": f.person ?? "",
            "office": f.office ?? "", "officeName": names.officeName(f.office),
            "personName": names.personName(f.person), "registerHead": names.registerHead(f.register),
            "reasons": displayReasons(f.reasons).map { ["code": $0.code, "ja": $0.ja, "en": $0.en] },
            "hasReasons": !f.reasons.isEmpty,
            "codes": displayReasons(f.reasons).map(\.ja).joined(separator: "・"),
            "band": band(f.score).ja, "bandEn": band(f.score).en, "bandClass": band(f.score).css,
            "suppressed": s != nil, "suppressedBy": s?.investigation ?? "", "suppressRule": s?.rule ?? "",
            "investigation": inv?.id ?? "", "disposition": inv?.disposition?.ja ?? "",
            "status": f.flagged ? (s != nil ? "抑制 suppressed" : "要確認 flagged") : (f.explained ? "説明あり explained" : "説明なし unexplained")]
        v.merge(names.staffValues(f.staff, on: f.at.jstDate)) { $1 }
        return v
    }

    // MARK: Investigations

    func newInvestigationID() -> String {
        "INV-" + String(now.millis) + "-" + Tokens.randomBytes(3).map { String(format: "%02x", $0) }.joined()
    }

    /// Opens an investigation from a worklist group (`group`: the access ID of any finding of the group; it holds every
    /// open finding of the group), a finding (access ID) or a staff member; journaled as `investigation.open`.
    ///
    /// No duplicate (issue 19, A-4): when an open investigation already covers the same staff member (opened from the
    /// staff member) or the same staff–person pair (it holds one of the findings), the findings are added to it
    /// (`investigation.hold`) and it is returned with `linked` true, instead of a second investigation.
    func open(_ a: Actor, finding: String?, staff: String?, title: String?, group: String? = nil) async throws
        -> (investigation: Investigation, linked: Bool) {
        let title = title?.trimmed.nonEmpty.map { String($0.prefix(200)) }
        var inv: Investigation
        var held: [String] = []
        var pair: String?
        if let gid = group?.trimmed.nonEmpty ?? finding?.trimmed.nonEmpty {
            guard let sf = try await audit.findings(accessIDs: [gid]).first else { throw WorkspaceError.notFound("所見 \(gid) ") }
            let f = sf.finding
            held = group?.trimmed.nonEmpty != nil ? try await groupFindings(of: f) : [f.access]
            pair = Self.groupKey(f)
            inv = Investigation(id: newInvestigationID(), finding: f.access, staff: f.staff, register: f.register,
                                reasonCodes: Array(Set(f.reasonCodes)).sorted(),
                                title: title ?? (held.count > 1 ? "所見 \(held.count) 件（\(f.staff)）" : "所見 \(f.access)"),
                                openedBy: a.staff.id, opened: now)
        } else if let sid = staff?.trimmed.nonEmpty {
            guard try await store.staffMember(id: sid) != nil else { throw WorkspaceError.notFound("職員 \(sid) ") }
            inv = Investigation(id: newInvestigationID(), finding: nil, staff: sid, register: nil, reasonCodes: [],
                                title: title ?? "職員 \(sid) の調査", openedBy: a.staff.id, opened: now)
        } else {
            throw WorkspaceError.invalid("所見または職員を指定してください。", "Name a finding or a staff member.")
        }
        if let existing = try await openDuplicate(staff: inv.staff, findings: held, pair: pair) {
            try await hold(a, existing, held)
            return (existing, true)
        }
        inv.assignee = a.staff.id
        try await store.saveInvestigation(inv)
        try await store.holdFindings(investigation: inv.id, accesses: held)
        var d: [(String, JSONValue)] = [("staff", .string(inv.staff)), ("assignee", .string(a.staff.id))]
        if let f = inv.finding { d.append(("finding", .string(f))) }
        if held.count > 1 { d += Self.heldDetail(held) }
        let j = try await journal("investigation.open", a, subject: inv.id, d)
        try await store.addInvestigationEntry(InvestigationEntry(investigation: inv.id, kind: "open", author: a.staff.id, at: now,
                                                           text: inv.title + (held.count > 1 ? "（所見 \(held.count) 件）" : ""),
                                                           journal: j), file: nil)
        return (inv, false)
    }

    func investigation(_ id: String) async throws -> Investigation {
        guard let i = try await store.investigation(id: id) else { throw WorkspaceError.notFound("調査 \(id) ") }
        return i
    }

    func assign(_ a: Actor, _ id: String, to auditor: String) async throws {
        var inv = try await investigation(id)
        guard let s = try await store.staffMember(id: auditor), s.role == .auditor else {
            throw WorkspaceError.invalid("担当は監査担当の職員から選んでください。", "Assign the investigation to an auditor.")
        }
        inv.assignee = s.id
        try await store.saveInvestigation(inv)
        let j = try await journal("investigation.assign", a, subject: id, [("assignee", .string(s.id))])
        try await store.addInvestigationEntry(InvestigationEntry(investigation: id, kind: "assign", author: a.staff.id, at: now,
                                                           text: s.id, journal: j), file: nil)
    }

    /// A note or an interview record (事情聴取), with an optional file; the ledger keeps the SHA-256 of the text (its
    /// UTF-8) and of the file's raw bytes.
    func addEntry(_ a: Actor, _ id: String, kind: String, text: String, file: (String, [UInt8])?) async throws {
        _ = try await investigation(id)
        guard let t = text.trimmed.nonEmpty, t.count <= 10_000 else {
            throw WorkspaceError.invalid("内容を入力してください（10000文字以内）。", "Write the text (up to 10,000 characters).")
        }
        var d: [(String, JSONValue)] = [("kind", .string(kind)), ("sha256", .string(Tokens.storedHash(t)))]
        if let file {
            // The raw bytes: decoding them as UTF-8 first would map different binary files to the same hash.
            d.append(("file", .string(file.0)))
            d.append(("file_sha256", .string(Tokens.sha256Hex(file.1))))
        }
        let j = try await journal(kind == "interview" ? "investigation.interview" : "investigation.note", a, subject: id, d)
        try await store.addInvestigationEntry(InvestigationEntry(investigation: id, kind: kind, author: a.staff.id, at: now, text: t,
                                                           fileName: file?.0, fileSize: file?.1.count, journal: j),
                                        file: file?.1)
    }

    /// Records a disposition. 業務上 with a stated rule adds a suppression of the chosen scope:
    /// `staff_register` (same staff, register and reason codes), `staff` (same staff and reason codes, any
    /// register) or `register` (any staff, same register and reason codes). A `register` suppression hides every
    /// staff member's future accesses of the pattern to that register, so it waits for a second, different auditor
    /// (``decideSuppression(_:_:confirm:)``) before it takes effect (issue 18, F-14).
    func dispose(_ a: Actor, _ id: String, disposition: Disposition, rule: String?, scope: String?) async throws {
        var inv = try await investigation(id)
        // A verdict, once closed, stands: overturning it (say 業務外 into 業務上 with a register-wide suppression) is a
        // new investigation, with its own record, not an edit of the old one.
        guard inv.status != "closed" else {
            throw WorkspaceError(.conflict, "investigation_closed",
                                 "この調査は処分済みで終了しています。処分を変えるには、理由を書いて「再開する」を押してください。",
                                 "This investigation is closed with its verdict; to reconsider, reopen it with a reason.")
        }
        let rule = rule?.trimmed.nonEmpty.map { String($0.prefix(500)) }
        inv.disposition = disposition
        inv.rule = rule
        inv.decidedBy = a.staff.id
        inv.decided = now
        inv.status = disposition == .interview ? "open" : "closed"
        try await store.saveInvestigation(inv)
        var d: [(String, JSONValue)] = [("disposition", .string(disposition.rawValue)), ("staff", .string(inv.staff))]
        if let rule { d.append(("rule", .string(rule))) }
        if let f = inv.finding { d.append(("finding", .string(f))) }
        let held = try await heldAccesses(inv)
        if held.count > 1 { d += Self.heldDetail(held) }
        let j = try await journal("investigation.disposition", a, subject: id, d)
        try await store.addInvestigationEntry(InvestigationEntry(investigation: id, kind: "disposition", author: a.staff.id, at: now,
                                                           text: disposition.ja + (rule.map { "：" + $0 } ?? ""), journal: j),
                                        file: nil)
        if disposition == .business, let rule, !inv.reasonCodes.isEmpty {
            let sc = scope ?? "staff_register"
            let s = Suppression(investigation: id, staff: sc == "register" ? nil : inv.staff,
                                register: sc == "staff" ? nil : inv.register, reasonCodes: inv.reasonCodes, rule: rule,
                                createdBy: a.staff.id, created: now, needsConfirmation: sc != "staff_register")
            let sid = try await store.addSuppression(s)
            var sd: [(String, JSONValue)] = [("investigation", .string(id)), ("scope", .string(sc)),
                                             ("reasons", .array(s.reasonCodes.map { .string($0) })), ("rule", .string(rule)),
                                             ("status", .string(s.needsConfirmation ? "pending" : "in_effect"))]
            if let st = s.staff { sd.append(("staff", .string(st))) }
            if let r = s.register { sd.append(("register", .string(r))) }
            let j = try await journal("suppression.create", a, subject: "suppression:\(sid)", sd)
            if s.needsConfirmation {
                try await store.addInvestigationEntry(InvestigationEntry(
                    investigation: id, kind: "suppression", author: a.staff.id, at: now,
                    text: "全職員の抑制（\(s.scopeJa)）は、別の監査担当が確認するまで効力がありません。", journal: j), file: nil)
            }
        }
    }

    /// A second auditor confirms (or declines) a suppression that waits for one: never the auditor who made it, and
    /// once only (of two decisions at once, one is kept). The decision is appended (the suppression is never changed),
    /// journaled as `suppression.confirm` or `suppression.decline`, and added to the investigation's steps.
    func decideSuppression(_ a: Actor, _ id: Int64, confirm: Bool) async throws {
        guard let s = try await store.suppressions().first(where: { $0.id == id }) else {
            throw WorkspaceError.notFound("抑制 \(id) ")
        }
        guard s.needsConfirmation else {
            throw WorkspaceError(.conflict, "suppression_not_pending", "この抑制は確認を要しません（すでに有効です）。",
                                 "This suppression needs no second auditor: it is in effect.")
        }
        guard s.createdBy != a.staff.id else {
            throw WorkspaceError(.forbidden, "self_confirmation",
                                 "自分が作った抑制は確認できません。別の監査担当の確認が必要です。",
                                 "You made this suppression: another auditor must confirm it.")
        }
        let decided = WorkspaceError(.conflict, "suppression_decided", "この抑制は確認済みまたは却下済みです。",
                                     "This suppression was already confirmed or declined.")
        guard s.decision == nil else { throw decided }
        let at = now
        let event = Tokens.eventID(millis: at.millis)
        let decision = SuppressionDecision(kind: confirm ? .confirmed : .declined, by: a.staff.id, at: at, journal: event)
        guard try await store.decideSuppression(id: id, decision) else { throw decided }
        var d: [(String, JSONValue)] = [("investigation", .string(s.investigation)), ("createdBy", .string(s.createdBy)),
                                        ("reasons", .array(s.reasonCodes.map { .string($0) })), ("rule", .string(s.rule))]
        if let r = s.register { d.append(("register", .string(r))) }
        _ = try await journal(confirm ? "suppression.confirm" : "suppression.decline", a, subject: "suppression:\(id)", d, id: event)
        try await store.addInvestigationEntry(InvestigationEntry(
            investigation: s.investigation, kind: confirm ? "confirm" : "decline", author: a.staff.id, at: at,
            text: (confirm ? "全職員の抑制を確認（有効に）：" : "全職員の抑制を却下：") + s.scopeJa + "「\(s.rule)」", journal: event), file: nil)
    }

    // MARK: Alerts

    /// Scans the ledger's new access events for break-the-glass, VIP and DV-support accesses and stores them as alerts.
    func scanAlerts() async throws {
        let size = try await store.ledgerSize()
        var next = try await store.consoleValue("alert.scanned").flatMap { UInt64($0) } ?? (size > 50_000 ? size - 50_000 : 0)
        var protections: [String: (vip: Bool, dv: Bool)] = [:]
        func flags(_ register: String) async throws -> (vip: Bool, dv: Bool) {
            if let x = protections[register] { return x }
            var r = (vip: false, dv: false)
            if let reg = try await store.register(id: register) {
                for m in reg.members {
                    for p in try await store.protections(person: m) {
                        if p.kind == .vip { r.vip = true }
                        if p.kind == .dv_support { r.dv = true }
                    }
                }
            }
            protections[register] = r
            return r
        }
        var scanned = 0
        while scanned < 200_000 {
            let batch = try await store.accessEvents(from: next, limit: 10_000)
            guard let last = batch.last else { break }
            var out: [ConsoleAlert] = []
            for a in batch {
                let e = try StoredEntryError.access(seq: a.seq, entry: a.entry)
                let seq = a.seq
                var kinds: [String] = []
                if e.reason != nil && e.caseID == nil { kinds.append("break_glass") }
                if let r = e.register {
                    let p = try await flags(r)
                    if p.vip { kinds.append("vip") }
                    if p.dv { kinds.append("dv_support") }
                }
                if !kinds.isEmpty {
                    out.append(ConsoleAlert(seq: seq, access: e.id, at: e.at, staff: e.staff, office: e.office,
                                            register: e.register, kinds: kinds, reason: e.reason))
                }
            }
            try await store.saveAlerts(out)
            next = last.seq + 1
            scanned += batch.count
            try await store.setConsoleValue("alert.scanned", String(next))
            if batch.count < 10_000 { break }
        }
        if try await store.consoleValue("alert.scanned") == nil { try await store.setConsoleValue("alert.scanned", String(next)) }
    }

    // MARK: Dashboard

    struct Figures {
        var days: [LocalDate] = []
        var offices: [String] = []
        var perOfficeDay: [String: [LocalDate: Int]] = [:]
        var total: [String: Int] = [:]
        var unexplained: [String: Int] = [:]
        var flaggedPerDay: [LocalDate: Int] = [:]
        var hourOfWeek = [[Int]](repeating: [Int](repeating: 0, count: 24), count: 7)
    }

    /// Figures over every stored finding (the last `days` days of data for the per-day charts).
    func figures(days: Int = 28) async throws -> Figures {
        var x = Figures()
        var newest: LocalDate?
        var all: [LocalDate: [String: Int]] = [:]
        try await store.forEachFinding(FindingFilter()) { sf in
            let f = sf.finding
            let o = f.office ?? "?"
            let d = f.at.jstDate
            x.total[o, default: 0] += 1
            if !f.explained { x.unexplained[o, default: 0] += 1 }
            if f.flagged { x.flaggedPerDay[d, default: 0] += 1 }
            all[d, default: [:]][o, default: 0] += 1
            x.hourOfWeek[d.weekday][f.at.jstMinuteOfDay / 60] += 1
            if newest == nil || newest! < d { newest = d }
        }
        x.offices = x.total.keys.sorted()
        if let newest {
            x.days = (0..<days).map { newest.adding(days: $0 - days + 1) }
            for d in x.days { for (o, n) in all[d] ?? [:] { x.perOfficeDay[o, default: [:]][d] = n } }
        }
        return x
    }
}

/// Wrong resident codes per client address (5 per 15 minutes by default): the check and the count are one step under
/// the lock, so concurrent requests cannot all pass the check before any of them is counted. An attempt takes one of
/// the client's tries when it is allowed; a right code gives it back (`giveBack`), so only wrong codes use them up.
/// The window starts with the client's first counted try and is fixed (not sliding).
///
/// The map is bounded: entries whose window has ended are dropped (swept once a window and whenever the map is full),
/// and when a full map is swept, the entries with the oldest windows are then dropped until it is at three quarters of
/// `capacity`. An address that is dropped starts afresh; someone who can send from that many addresses within
/// one window gets around a per-address limit anyway. The key is the socket's address: behind a reverse proxy every
/// resident shares the proxy's address, and so one limit (headers such as `X-Forwarded-For` are not trusted).
final class ResidentLimiter: Sendable {
    /// What `attempt` decided.
    enum Verdict: Equatable, Sendable {
        /// The client may try a code; one try is counted (in the window that started at `window`).
        case allowed(window: Int64)
        /// Over the limit. `first` is true for the first refusal in the client's window (the one to journal) and false
        /// for every later one until the window ends.
        case refused(first: Bool, until: Int64)
    }

    struct Entry: Sendable {
        var tries: Int
        var start: Int64
        /// Whether a refusal was already reported in this window.
        var refused: Bool
    }

    struct State: Sendable {
        var entries: [String: Entry] = [:]
        var lastSweep: Int64 = 0
    }

    /// Wrong codes a client may try per window (5, as before).
    let limit: Int
    let windowMillis: Int64
    /// Most client addresses kept at once.
    let capacity: Int
    private let state = Mutex(State())

    init(limit: Int = 5, windowMillis: Int64 = 15 * 60_000, capacity: Int = 10_000) {
        self.limit = limit
        self.windowMillis = windowMillis
        self.capacity = max(4, capacity)
    }

    /// Checks and counts one try, atomically.
    func attempt(_ client: String, now: Int64 = Workspace.nowMillis()) -> Verdict {
        state.withLock { s in
            if var e = s.entries[client], now - e.start <= windowMillis {
                guard e.tries < limit else {
                    let first = !e.refused
                    e.refused = true
                    s.entries[client] = e
                    return .refused(first: first, until: e.start + windowMillis)
                }
                e.tries += 1
                s.entries[client] = e
                return .allowed(window: e.start)
            }
            s.entries[client] = nil
            if s.entries.count >= capacity {
                sweep(&s, now, to: capacity * 3 / 4)
            } else if now - s.lastSweep > windowMillis {
                sweep(&s, now, to: nil)
            }
            s.entries[client] = Entry(tries: 1, start: now, refused: false)
            return .allowed(window: now)
        }
    }

    /// Gives back the try counted by an allowed attempt (the code was right, or it could not be checked).
    func giveBack(_ client: String, _ verdict: Verdict) {
        guard case let .allowed(window) = verdict else { return }
        state.withLock { s in
            guard var e = s.entries[client], e.start == window else { return }
            e.tries -= 1
            if e.tries <= 0 && !e.refused { s.entries[client] = nil } else { s.entries[client] = e }
        }
    }

    /// Client addresses held now.
    var count: Int { state.withLock { $0.entries.count } }

    /// Drops the entries whose window has ended and, with `keep`, then the oldest until at most `keep` are left (so a
    /// full map is swept once per quarter of `capacity` new clients, not for every one).
    private func sweep(_ s: inout State, _ now: Int64, to keep: Int?) {
        s.lastSweep = now
        s.entries = s.entries.filter { now - $0.value.start <= windowMillis }
        guard let keep, s.entries.count > keep else { return }
        let oldest = s.entries.sorted { $0.value.start < $1.value.start }.prefix(s.entries.count - keep).map(\.key)
        for k in oldest { s.entries[k] = nil }
    }
}

/// How many refused resident attempts (`resident.denied`) go into the append-only ledger: at most
/// `RefusalJournalCap.perMinute` a minute across all clients, so that no crowd of clients can grow the ledger faster
/// than that (86,400 entries a day at most). Each client adds at most its limit + 1 a window itself: its wrong codes and
/// the first refusal over the limit (`ResidentLimiter`). A refusal that is not journaled is still refused; the next one
/// that is journaled says how many were not (`not_journaled`).
final class RefusalJournalCap: Sendable {
    /// Refusals journaled per minute (a fixed minute of the clock), across all clients.
    static let perMinute = 60

    struct State: Sendable {
        var minute: Int64 = .min
        var journaled = 0
        var skipped = 0
    }

    let perMinute: Int
    private let state = Mutex(State())

    init(perMinute: Int = RefusalJournalCap.perMinute) { self.perMinute = perMinute }

    /// Whether to journal a refusal now: nil if not (it is counted as skipped), else the refusals skipped since the
    /// last one journaled.
    func admit(now: Int64 = Workspace.nowMillis()) -> Int? {
        let minute = now >= 0 ? now / 60_000 : (now - 59_999) / 60_000
        return state.withLock { s in
            if s.minute != minute { s.minute = minute; s.journaled = 0 }
            guard s.journaled < perMinute else { s.skipped += 1; return nil }
            s.journaled += 1
            defer { s.skipped = 0 }
            return s.skipped
        }
    }

    /// Counts a refusal that is not journaled at all (a client already over its limit).
    func skip() { state.withLock { $0.skipped += 1 } }
}
