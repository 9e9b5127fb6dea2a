import AkashiAudit
import AkashiCity
import AkashiDomain
import AkashiInterchange
import AkashiSQLite
import AkashiStorage
import ArgumentParser
import Foundation

// MARK: - akashi audit

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit the store's accesses (incrementally), then print findings, the staff ranking or a timeline.",
        discussion: """
            Every access is explained from the business documents (cases) or ranked by what is risky about it \
            (docs/audit.md). The audit first catches up with what was imported since its last run (new accesses; \
            earlier accesses that newly arrived cases may explain) and writes every newly flagged access to the \
            ledger as an `audit.finding` entry. Then it prints:
              (default)          the flagged accesses (every access with --all);
              --staff ID         that staff member's full timeline, every access with its status (調査①);
              --person ID        every access to a person, with a summary by staff and office;
              --register ID      every access to a register, likewise.
            JSONL: one object per access, exactly {access, staff, at, explained, explanation, score, flagged, reasons}.
            Table: the staff ranking and the ranked worklist (Japanese headers, English beside).
            `akashi audit calibrate` prints what the audit has learned about this site (docs/audit.md §4a).
            """,
        subcommands: [AuditCalibrate.self]
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, table }

    /// Said once when another process (a server's background audit) holds the audit lease.
    static let waiting: @Sendable () -> Void = {
        warn("audit: another process (a server's background audit, or another akashi audit) is auditing this store; waiting for it to finish")
    }

    @OptionGroup var options: StoreOptions
    @Option(help: "Only accesses on or after this date (YYYY-MM-DD, JST) or instant.") var from: String?
    @Option(help: "Only accesses on or before this date (YYYY-MM-DD, JST) or before this instant.") var to: String?
    @Option(help: "Print this staff member's full timeline.") var staff: String?
    @Option(help: "Print every access to this person.") var person: String?
    @Option(help: "Print every access to this register.") var register: String?
    @Flag(help: "Print every access, not only the flagged ones.") var all = false
    @Option(help: "jsonl or table.") var format: Format = .jsonl
    @Option(help: "Rows of the worklist and the staff ranking in the table form.") var limit = 50
    @Flag(help: "Print what is stored without auditing new events first.") var noRun = false
    @Flag(help: "Forget the stored findings and audit everything again (journal entries stay in the ledger).")
    var rebuild = false

    func validate() throws {
        if [staff, person, register].compactMap({ $0 }).count > 1 {
            throw ValidationError("give at most one of --staff, --person, --register")
        }
        if let from, Self.instant(from, endOfDay: false) == nil { throw ValidationError("--from: not a date: \(from)") }
        if let to, Self.instant(to, endOfDay: true) == nil { throw ValidationError("--to: not a date: \(to)") }
        if let from, let to, let f = Self.instant(from, endOfDay: false), let t = Self.instant(to, endOfDay: true), f > t {
            throw ValidationError("--from \(from) is after --to \(to)")
        }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    /// A date (start of the JST day, or the start of the next one for an inclusive end) or an instant.
    static func instant(_ s: String, endOfDay: Bool) -> Timestamp? {
        if let d = LocalDate(s) { return Timestamp(jst: endOfDay ? d.adding(days: 1) : d, hour: 0, minute: 0) }
        return Timestamp(s)
    }

    func run() async throws {
        // Listing what is stored (`--no-run` without `--rebuild`) only reads.
        let store = try noRun && !rebuild ? options.openForReading() : options.open()
        let service = try await AuditService.taught(store: store)
        if rebuild && noRun { _ = try await service.runHoldingLease(rebuild: true, waiting: Self.waiting) }
        if !noRun {
            let tty = stderrIsTTY
            let progress: (@Sendable (String) -> Void)? = tty ? { @Sendable line in warn(line) } : nil
            let s = try await service.runHoldingLease(rebuild: rebuild, waiting: Self.waiting, progress: progress)
            warn("audit: \(s.fullSweep ? "full sweep, " : "")\(grouped(s.audited)) new accesses audited"
                + (s.newCases > 0 ? ", \(grouped(s.reaudited)) re-audited for \(grouped(s.newCases)) new cases (\(grouped(s.changed)) changed)" : "")
                + ", \(grouped(s.newlyFlagged)) newly flagged, \(grouped(s.journaled)) written to the ledger"
                + "; \(grouped(s.counts.total)) accesses, \(grouped(s.counts.flagged)) flagged"
                + " (\(String(format: "%.2f", s.seconds)) s)")
        }
        let fromT = from.flatMap { Self.instant($0, endOfDay: false) }
        let toT = to.flatMap { Self.instant($0, endOfDay: true) }
        let out = OutputBuffer()
        defer { out.flush() }
        let subject = staff != nil || person != nil || register != nil
        let filter = FindingFilter(staff: staff, person: person, register: register, from: fromT, to: toT,
                                   flaggedOnly: !all && !subject)
        switch format {
        case .jsonl:
            try await store.forEachFinding(filter) { out.line($0.finding.jsonLine) }
        case .table:
            if let staff {
                try await printStaff(staff, service: service, filter: filter, out: out)
            } else if person != nil || register != nil {
                try await printSubject(service: service, filter: filter, out: out)
            } else {
                try await printOverview(service: service, from: fromT, to: toT, out: out)
            }
        }
    }

    // MARK: Tables

    func printOverview(service: AuditService, from: Timestamp?, to: Timestamp?, out: OutputBuffer) async throws {
        let c = try await service.counts()
        out.line("監査 / Audit: \(grouped(c.total)) アクセス accesses, \(grouped(c.explained)) 説明済 explained "
            + "(\(Self.pct(c.explained, c.total))), \(grouped(c.flagged)) 警報 flagged")
        out.line("")
        out.line("## 職員の順位 / Staff ranking (risk = 上位\(10)件のスコアの和 sum of the top 10 scores)")
        out.line("")
        out.line("| 順位 rank | 職員 staff | リスク risk | 警報 flagged | 未説明 unexplained | 件数 accesses | 触れた人 subjects | 主な理由 top reasons |")
        out.line("|---|---|---|---|---|---|---|---|")
        for (k, s) in try await service.staffRanking(from: from, to: to, limit: limit).enumerated() {
            out.line("| \(k + 1) | \(s.staff) | \(String(format: "%.3f", s.risk)) | \(s.flagged) | \(s.unexplained) | \(s.total) | "
                + "\(s.personsTouched) | \(s.topReasons.prefix(3).joined(separator: ", ")) |")
        }
        out.line("")
        out.line("## 警報の一覧 / Worklist (スコア順 by score)")
        out.line("")
        out.line("| スコア score | 日時 at | 職員 staff | アクセス access | 対象 subject | 理由 reasons | 説明 (日本語) |")
        out.line("|---|---|---|---|---|---|---|")
        for sf in try await service.worklist(limit: limit, from: from, to: to) {
            let f = sf.finding
            out.line("| \(AccessFinding.scoreText(f.score)) | \(f.at) | \(f.staff) | \(f.access) | "
                + "\(f.person ?? f.register ?? "—") | \(f.reasonCodes.joined(separator: ", ")) | \(f.reasons.first?.ja ?? "") |")
        }
    }

    func printStaff(_ staff: String, service: AuditService, filter: FindingFilter, out: OutputBuffer) async throws {
        let ranking = try await service.staffRanking(from: filter.from, to: filter.to)
        if let k = ranking.firstIndex(where: { $0.staff == staff }) {
            let s = ranking[k]
            out.line("職員 staff \(staff): 順位 rank \(k + 1)/\(ranking.count), リスク risk \(String(format: "%.3f", s.risk)), "
                + "\(s.total) アクセス accesses, \(s.explained) 説明済 explained, \(s.flagged) 警報 flagged, "
                + "\(s.personsTouched) 人 subjects")
        } else {
            out.line("職員 staff \(staff): アクセスなし / no accesses")
        }
        out.line("")
        try await timeline(filter, out: out)
    }

    func printSubject(service: AuditService, filter: FindingFilter, out: OutputBuffer) async throws {
        let s = try await service.subjectSummary(person: filter.person, register: filter.register, from: filter.from,
                                           to: filter.to)
        out.line("対象 subject \(s.subject): \(s.total) アクセス accesses, \(s.flagged.count) 警報 flagged, "
            + "最大スコア max score \(AccessFinding.scoreText(s.maxScore))")
        out.line("")
        out.line("| 職員 staff | 件数 accesses |")
        out.line("|---|---|")
        for (k, v) in s.byStaff.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            out.line("| \(k) | \(v) |")
        }
        out.line("")
        out.line("| 庁 office | 件数 accesses |")
        out.line("|---|---|")
        for (k, v) in s.byOffice.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            out.line("| \(k) | \(v) |")
        }
        out.line("")
        try await timeline(filter, out: out)
    }

    func timeline(_ filter: FindingFilter, out: OutputBuffer) async throws {
        out.line("| 日時 at | アクセス access | 職員 staff | 戸籍 register | 人 person | 状態 status | スコア score | 理由 reasons |")
        out.line("|---|---|---|---|---|---|---|---|")
        try await eachFinding(filter) { f in
            let status: String
            if let e = f.explanation {
                status = (e.strength == .strong ? "説明済 explained" : "弱い説明 weak") + " \(e.rule) \(e.caseID ?? "")"
            } else {
                status = "未説明 unexplained"
            }
            out.line("| \(f.at) | \(f.access) | \(f.staff) | \(f.register ?? "—") | \(f.person ?? "—") | \(status) | "
                + "\(AccessFinding.scoreText(f.score))\(f.flagged ? " ⚑" : "") | \(f.reasonCodes.joined(separator: ", ")) |")
        }
    }

    private func eachFinding(_ filter: FindingFilter, _ body: (AccessFinding) -> Void) async throws {
        let store = try options.openForReading()
        try await store.forEachFinding(filter) { body($0.finding) }
    }

    static func pct(_ a: Int, _ b: Int) -> String { b > 0 ? String(format: "%.1f%%", 100 * Double(a) / Double(b)) : "—" }
}

/// Buffered standard output (millions of JSONL lines).
final class OutputBuffer {
    private var buf: [UInt8] = []

    init() { buf.reserveCapacity(1 << 20) }

    func line(_ s: String) {
        buf.append(contentsOf: s.utf8)
        buf.append(0x0A)
        if buf.count >= 1 << 20 { flush() }
    }

    func flush() {
        guard !buf.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buf))
        buf.removeAll(keepingCapacity: true)
    }
}

// MARK: - akashi audit calibrate

struct AuditCalibrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Print what the audit has learned about this site: each contextual reason's rate in explained work and its weight here, and how late documents are filed here.",
        discussion: """
            Runs the incremental audit first (as `akashi audit` does), then prints, for the site and for each office, \
            how often each calibrated reason (no_search, night_holiday, off_duty, contractor, neighbour, \
            search_nothing_opened, alone_other_office; fuhyo_no_case, contractor and search_nothing_opened also over \
            undocumented work; in_case_session over undocumented work as the median member of staff's rate) \
            holds, the reference rate at which its default weight was set, and the weight it gets here: the default's \
            odds × reference rate / rate here. Then the late-filing windows: the links counted from accesses to later \
            cases about the very register, the chance level, and the window learned and in use (docs/audit.md §4a).
            """)

    @OptionGroup var options: StoreOptions
    @Flag(help: "Print what is stored without auditing new events first.") var noRun = false

    func run() async throws {
        let store = try options.open()
        let service = try await AuditService.taught(store: store)
        if !noRun {
            let s = try await service.runHoldingLease(waiting: AuditCommand.waiting)
            warn("audit: \(grouped(s.audited)) new accesses audited; \(grouped(s.counts.total)) accesses, \(grouped(s.counts.flagged)) flagged")
        }
        let (rows, windows) = try await service.calibration()
        let out = OutputBuffer()
        defer { out.flush() }
        out.line("## この庁での理由の重み / What each reason weighs here")
        out.line("")
        out.line("説明できた（業務文書のある）アクセスのうち、その理由が当てはまる割合が基準より高いほど、その理由は「ここでは普通」なので軽くなります。")
        out.line("The more often a reason holds on accesses a document explains (ordinary work here) compared with the reference rate, the less it weighs.")
        out.line("")
        out.line("| 庁 office | 理由 reason | 説明済アクセス explained | 当てはまる holds | 割合 rate here | 基準 reference | 既定の重み default | ここでの重み weight here | なぜ why |")
        out.line("|---|---|---|---|---|---|---|---|---|")
        for r in rows {
            let office = (r.office.map { "\($0) \(r.officeName ?? "")" } ?? "全体 site")
                + (r.undocumented ? "（文書なしの業務で / over undocumented work）" : "")
                + (r.medianOverStaff.map { "（職員\($0)人の中央値 / median of \($0) staff）" } ?? "")
            let why = r.why
            out.line("| \(office) | \(r.reason.rawValue) | \(grouped(r.explained)) | \(grouped(r.holds)) | "
                + "\(String(format: "%.4f", r.rate)) | \(String(format: "%.4f", r.referenceRate)) | "
                + "\(String(format: "%.2f", r.defaultWeight)) | \(String(format: "%.2f", r.weight)) | \(why) |")
        }
        out.line("")
        out.line("## 後日の文書の受付までの期間 / How late documents are filed here")
        out.line("")
        out.line("アクセスの後\(FilingLags.horizonDays)日以内に同じ戸籍の業務文書が受け付けられるまでの日数を数え、後半\(FilingLags.horizonDays / 2)日の件数を偶然の水準とします。偶然の\(Int(FilingLags.minRatio))倍以上の日数までを、後日受付の文書が説明する期間とします。")
        out.line("For each access, the days until the next case about the very register is received (within \(FilingLags.horizonDays) days) are counted; links in the second half count as chance. A late case explains an access up to the last lag where links are at least \(Int(FilingLags.minRatio)) times chance.")
        out.line("")
        out.line("| 庁 office | 文書 link | 件数 links (≤\(FilingLags.horizonDays / 2) d) | 偶然/日 chance per day | 学習 learned | 既定 default | 使用 used | なぜ why |")
        out.line("|---|---|---|---|---|---|---|---|")
        for w in windows {
            let office = w.office.map { "\($0) \(w.officeName ?? "")" } ?? "全体 site"
            let link = w.link == .own ? "本人が扱う文書 own case" : "庁の受付 office request (late_filed)"
            let why: String
            if let d = w.learnedDays {
                why = w.office != nil || w.usedDays == d
                    ? "\(d)日までは偶然より多い / links exceed chance up to \(d) days"
                    : "庁の学習値を使用 / an office's own window is used"
            } else {
                why = "件数不足（\(FilingLags.minLinks)件未満）のため\(w.office == nil ? "既定" : "全体")の値 / fewer than \(FilingLags.minLinks) links: \(w.office == nil ? "the default" : "the site's")"
            }
            out.line("| \(office) | \(link) | \(grouped(w.links)) | \(String(format: "%.2f", w.chancePerDay)) | "
                + "\(w.learnedDays.map { "\($0) d" } ?? "—") | \(w.defaultDays) d | \(w.usedDays) d | \(why) |")
        }
    }
}

// MARK: - akashi bench audit

struct BenchAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit quality on generated cities with labelled misuse (recall, precision, AP, explained share, "
            + "staff ranking); with --sweep, full-sweep speed and memory beside a plain SQL join.")

    @Option(help: "City scale.") var scale = 0.05
    @Option(help: "Seeds, comma-separated.") var seeds = "1,2,3"
    @Option(help: "Working directory (cities and stores are kept and reused).") var workdir = "./bench-out"
    @Flag(help: "Measure the full-sweep speed instead (engine alone, end to end from the store, SQL baseline).")
    var sweep = false
    @Option(help: "Calibration overrides, comma-separated name=value: a weight by reason code (no_search=0.4), unexplainedBase, weakDamping, flagThreshold, bulkMemoryDays, bulkMinSearches, bulkFactor, sessionGapMinutes, amidCaseMinutes, in_case_session_search, ownLateFilingDays, calibrate (0 = off).")
    var set: String = ""
    @Flag(help: "Also print the reason combinations of missed misuse events and of flagged legitimate accesses.")
    var diagnose = false

    /// The configuration with `--set` applied.
    func config() throws -> AuditConfig { try Self.config(set: set) }

    /// A configuration with calibration overrides (`name=value,…`) applied.
    static func config(set: String) throws -> AuditConfig {
        var c = AuditConfig()
        for item in set.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let v = Double(kv[1]) else { throw ValidationError("--set: \(item) is not name=value") }
            switch kv[0] {
            case "unexplainedBase": c.unexplainedBase = v
            case "weakDamping": c.weakDamping = v
            case "flagThreshold": c.flagThreshold = v
            case "bulkMemoryDays": c.bulkMemoryDays = Int(v)
            case "bulkMinSearches": c.bulkMinSearches = Int(v)
            case "bulkFactor": c.bulkFactor = v
            case "sessionGapMinutes": c.sessionGapMinutes = Int(v)
            case "amidCaseMinutes": c.amidCaseMinutes = Int(v)
            case "in_case_session_search": c.weights.inCaseSessionSearch = v
            case "search_protected_in_list": c.weights.searchProtectedInList = v
            case "calibrate": c.calibrate = v != 0
            case "ownLateFilingDays": c.ownLateFilingDays = Int(v)
            default:
                guard let code = ReasonCode(rawValue: kv[0]), c.weights.set(code, v) else {
                    throw ValidationError("--set: unknown name \(kv[0])")
                }
            }
        }
        return c
    }

    func run() async throws {
        let seedList = seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !seedList.isEmpty else { throw ValidationError("--seeds: give seeds like 1,2,3") }
        if sweep {
            try await runSweep(seed: seedList[0])
        } else {
            try await runQuality(seedList)
        }
    }

    /// Imports a generated city into a store under the workdir (once) and returns the store.
    func importedStore(city: String, name: String) async throws -> SQLiteStore {
        let dir = workdir + "/" + name
        let marker = dir + "/imported"
        if !FileManager.default.fileExists(atPath: marker) {
            try? FileManager.default.removeItem(atPath: dir)
            let store = try SQLiteStore(directory: dir)
            let t = now()
            let r = try await Importer(store: store).run(files: try cityFiles(city))
            print("imported \(grouped(r.accessLines)) access lines in \(String(format: "%.1f", now() - t)) s")
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            return store
        }
        return try SQLiteStore(directory: dir)
    }

    // MARK: Quality

    struct Tally {
        var events = 0
        var flagged = 0
        var topReason: [String: Int] = [:]
    }

    func runQuality(_ seedList: [UInt64]) async throws {
        var perKind: [String: Tally] = [:]
        var flaggedAll = 0, misuseAll = 0, misuseFlagged = 0
        var legit = 0, legitExplained = 0, legitUnexplainedFlagged = 0, legitUnexplainedN = 0
        var namesakeFlagged = 0, namesakeN = 0
        var apSum = 0.0
        var rankingRows: [String] = []
        var allInTop = true
        var missed: [String: Int] = [:], falseFlags: [String: Int] = [:]
        func combo(_ f: AccessFinding) -> String {
            let codes = f.reasons.map(\.code).sorted().joined(separator: "+")
            return "\(f.explanation?.rule ?? "-") [\(codes)] \(String(format: "%.2f", f.score))"
        }
        for seed in seedList {
            let city = try benchCity(scale: scale, seed: seed, workdir: workdir, misuse: true)
            let store = try await importedStore(city: city, name: "audit-store-\(scale)-\(seed)")
            try store.resetAudit()
            let service = AuditService(store: store, config: try config())
            let s = try await service.run()
            print("seed \(seed): audited \(grouped(s.audited)) accesses in \(String(format: "%.1f", s.seconds)) s "
                + "(context \(String(format: "%.1f", s.contextSeconds)) s), \(grouped(s.counts.flagged)) flagged")
            let truth = try Truth(path: city + "/truth.json")
            var scores: [(Double, Bool)] = []
            var flaggedSet = Set<String>()
            try store.forEachFinding(FindingFilter()) { sf in
                let f = sf.finding
                let kind = truth.kind[f.access]
                scores.append((f.score, kind != nil))
                if f.flagged {
                    flaggedAll += 1
                    flaggedSet.insert(f.access)
                }
                if let kind {
                    misuseAll += 1
                    perKind[kind, default: Tally()].events += 1
                    if f.flagged {
                        misuseFlagged += 1
                        perKind[kind, default: Tally()].flagged += 1
                    } else if diagnose {
                        missed[kind + " " + combo(f), default: 0] += 1
                    }
                    if let r = f.reasons.first?.code { perKind[kind, default: Tally()].topReason[r, default: 0] += 1 }
                } else {
                    legit += 1
                    if f.explained { legitExplained += 1 }
                    if diagnose, f.flagged {
                        let label = truth.legitUnexplained.contains(f.access) ? "unexplained"
                            : truth.namesake.contains(f.access) ? "namesake" : "other"
                        falseFlags[label + " " + combo(f), default: 0] += 1
                    }
                    if truth.legitUnexplained.contains(f.access) {
                        legitUnexplainedN += 1
                        if f.flagged { legitUnexplainedFlagged += 1 }
                    }
                    if truth.namesake.contains(f.access) {
                        namesakeN += 1
                        if f.flagged { namesakeFlagged += 1 }
                    }
                }
            }
            apSum += Self.averagePrecision(scores)
            let ranking = try await service.staffRanking()
            let n = truth.misusers.count
            let top = Set(ranking.prefix(n).map(\.staff))
            let missing = truth.misusers.filter { !top.contains($0) }
            if !missing.isEmpty { allInTop = false }
            let positions = truth.misusers.map { m in (ranking.firstIndex { $0.staff == m } ?? ranking.count) + 1 }.sorted()
            rankingRows.append("| \(seed) | \(n) | \(missing.isEmpty ? "yes" : "no (\(missing.joined(separator: ", ")))") | "
                + "\(positions.map(String.init).joined(separator: ", ")) |")
        }
        let recall = Double(misuseFlagged) / Double(max(1, misuseAll))
        let precision = Double(misuseFlagged) / Double(max(1, flaggedAll))
        let explained = Double(legitExplained) / Double(max(1, legit))
        let ap = apSum / Double(seedList.count)
        print("")
        print("scale \(scale), seeds \(seedList.map(String.init).joined(separator: ",")): "
            + "\(grouped(misuseAll)) misuse events, \(grouped(legit)) legitimate accesses")
        print("")
        print("| kind | events | flagged | recall | most common first reason |")
        print("|---|---|---|---|---|")
        for (k, t) in perKind.sorted(by: { $0.key < $1.key }) {
            let first = t.topReason.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? "—"
            print("| \(k) | \(t.events) | \(t.flagged) | \(String(format: "%.3f", Double(t.flagged) / Double(max(1, t.events)))) | \(first) |")
        }
        print("| **all** | \(misuseAll) | \(misuseFlagged) | \(String(format: "%.3f", recall)) | |")
        print("")
        print("| measure | value | goal |")
        print("|---|---|---|")
        print("| recall (misuse events flagged) | \(String(format: "%.3f", recall)) | ≥ 0.99 |")
        print("| precision (flagged that are misuse) | \(String(format: "%.3f", precision)) (\(grouped(flaggedAll)) flagged) | ≥ 0.8 |")
        print("| average precision of the ranking (by score) | \(String(format: "%.3f", ap)) | |")
        print("| legitimate accesses explained | \(String(format: "%.2f%%", 100 * explained)) | ≥ 98% |")
        print("| legit_unexplained flagged | \(legitUnexplainedFlagged) / \(legitUnexplainedN) | |")
        print("| legit_namesake flagged | \(namesakeFlagged) / \(namesakeN) | |")
        print("| every misuser in the top N of the staff ranking | \(allInTop ? "yes" : "no") | yes |")
        print("")
        print("| seed | misusers N | all in top N | their ranks |")
        print("|---|---|---|---|")
        for r in rankingRows { print(r) }
        if diagnose {
            print("\nmissed misuse (kind rule [reasons] score):")
            for (k, v) in missed.sorted(by: { $0.value > $1.value }).prefix(40) { print("  \(v)  \(k)") }
            print("\nflagged legitimate (label rule [reasons] score):")
            for (k, v) in falseFlags.sorted(by: { $0.value > $1.value }).prefix(40) { print("  \(v)  \(k)") }
        }
        print("goals: recall \(recall >= 0.99 ? "met" : "NOT met"), precision \(precision >= 0.8 ? "met" : "NOT met"), "
            + "explained \(explained >= 0.98 ? "met" : "NOT met"), ranking \(allInTop ? "met" : "NOT met")")
    }

    /// Current anonymous resident memory in MiB (RssAnon: heap, not the store's mmapped file pages).
    static func rssAnonMiB() -> Double { procStatusMiB("RssAnon:") }

    /// Average precision of a ranking by descending score (ties broken pessimistically: negatives first).
    static func averagePrecision(_ scored: [(Double, Bool)]) -> Double {
        let sorted = scored.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : (!$0.1 && $1.1) }
        var hits = 0, sum = 0.0
        for (k, x) in sorted.enumerated() where x.1 {
            hits += 1
            sum += Double(hits) / Double(k + 1)
        }
        return hits > 0 ? sum / Double(hits) : 0
    }

    struct Truth {
        var kind: [String: String] = [:]
        var misusers: [String] = []
        var legitUnexplained: Set<String> = []
        var namesake: Set<String> = []

        init(path: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let top = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ValidationError("\(path): not a truth file")
            }
            for m in top["misuse"] as? [[String: Any]] ?? [] {
                if let a = m["access"] as? String, let k = m["kind"] as? String { kind[a] = k }
            }
            misusers = top["misusers"] as? [String] ?? []
            legitUnexplained = Set(top["legit_unexplained"] as? [String] ?? [])
            namesake = Set(top["legit_namesake"] as? [String] ?? [])
        }
    }

    // MARK: Sweep speed

    func runSweep(seed: UInt64) async throws {
        let city = try benchCity(scale: scale, seed: seed, workdir: workdir, misuse: true)
        let store = try await importedStore(city: city, name: "audit-store-\(scale)-\(seed)")
        let service = AuditService(store: store, config: try config())
        let baseRSS = peakRSSMiB()
        // End to end from the store first (fresh findings): read, decode, audit, write findings, journal.
        try store.resetAudit()
        let anonBase = Self.rssAnonMiB()
        var anonPeak = anonBase
        var t = now()
        let s = try service.runBlocking { _ in anonPeak = max(anonPeak, Self.rssAnonMiB()) }
        let e2eSecs = now() - t
        let e2eRate = Double(s.audited) / e2eSecs
        let sweepRate = Double(s.audited) / s.auditSeconds
        let layout = try store.findingLayout()
        let e2eRSS = peakRSSMiB()
        anonPeak = max(anonPeak, Self.rssAnonMiB())

        // The engine alone over decoded events in time order (decoding outside the timing).
        let anonBeforeContext = Self.rssAnonMiB()
        t = now()
        let context = try await service.loadContext()
        let contextSecs = now() - t
        let contextAnon = Self.rssAnonMiB() - anonBeforeContext
        var events: [AccessEvent] = []
        let reader = try LineReader(path: city + "/access.jsonl")
        while let batch = try reader.next() {
            for k in 0..<batch.count {
                if case let .record(.access(a), _) = try RecordDecoder.decode(line: Array(batch.bytes[batch.range(k)])) {
                    events.append(a)
                }
            }
        }
        events.sort { $0.at.millis < $1.at.millis }
        let engine = AuditEngine(context: context, config: service.config)
        var flagged = 0
        t = now()
        for e in events where engine.audit(e).flagged { flagged += 1 }
        let engineSecs = now() - t
        let engineRate = Double(events.count) / engineSecs
        let n = events.count
        events = []

        // Baseline: the plain SQL join doing only the direct-case explanation.
        t = now()
        let joined = try store.directCaseJoinCount()
        let sqlSecs = now() - t
        let sqlRate = Double(n) / sqlSecs
        let peak = peakRSSMiB()
        print("""

            scale \(scale) seed \(seed): \(grouped(n)) access events, \(grouped(context.counts.cases)) cases, \
            \(grouped(context.counts.registers)) registers, \(grouped(context.counts.persons)) persons

            | measure | events/s | time | notes |
            |---|---|---|---|
            | engine alone (decoded events in time order, 1 core) | \(grouped(Int(engineRate))) | \(String(format: "%.2f", engineSecs)) s | \(grouped(flagged)) flagged |
            | full sweep from the store (read, decode, audit, persist findings, journal), reference data loaded | \(grouped(Int(sweepRate))) | \(String(format: "%.2f", s.auditSeconds)) s | \(grouped(layout.rows)) finding rows + \(grouped(layout.plain)) plain explained; \(grouped(s.journaled)) journaled |
            | … stage busy time in that sweep (pipelined, so they overlap): read + decode (2 cores) / engine / save + journal | | \(String(format: "%.2f / %.2f / %.2f", s.decodeSeconds, s.engineSeconds, s.saveSeconds)) s | |
            | the same, including loading the reference data (context) | \(grouped(Int(e2eRate))) | \(String(format: "%.2f", e2eSecs)) s | context load \(String(format: "%.2f", s.contextSeconds)) s |
            | plain SQL join, direct-case explanation only (baseline) | \(grouped(Int(sqlRate))) | \(String(format: "%.2f", sqlSecs)) s | \(grouped(joined)) accesses matched |

            | memory | MiB |
            |---|---|
            | before (process, store open) | \(String(format: "%.0f", baseRSS)) |
            | peak after the end-to-end sweep (context + up to four batches of \(grouped(service.batchSize)) events in the pipeline) | \(String(format: "%.0f", e2eRSS)) |
            | peak of the whole run (+ a second context, loaded in \(String(format: "%.2f", contextSecs)) s, and all events decoded at once for the engine-alone run) | \(String(format: "%.0f", peak)) |
            | anonymous memory (RssAnon: heap, not file pages): before the sweep | \(String(format: "%.0f", anonBase)) |
            | anonymous memory: highest sampled during the end-to-end sweep (per batch) | \(String(format: "%.0f", anonPeak)) |
            | anonymous memory of one AuditContext (reference data) | \(String(format: "%.0f", contextAnon)) |
            """)
        print("goal ≥ 1,000,000 events/s: full sweep from the store \(sweepRate >= 1_000_000 ? "met" : "NOT met"), "
            + "including the context load \(e2eRate >= 1_000_000 ? "met" : "NOT met"), "
            + "engine alone \(engineRate >= 1_000_000 ? "met" : "NOT met")")
    }
}
