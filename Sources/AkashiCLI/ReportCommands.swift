import AkashiCity
import AkashiDomain
import AkashiLedger
import AkashiReports
import AkashiSQLite
import AkashiStorage
import ArgumentParser
import Foundation

/// Writes text to a file, or to standard output when no file is given.
private func emit(_ text: String, to path: String?) throws {
    if let path {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw ValidationError("--out \(path): cannot write")
        }
    } else {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct Disclose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Disclosure report (開示請求): who in which office accessed a person's or a register's records.",
        discussion: """
            One section per office (閲覧者数 / 閲覧日 / 閲覧回数 by record kind / 対象戸籍数, as in Osaka City's 2014 \
            announcement), certificates issued on the subject's own (or family's) requests listed apart, and a ledger \
            receipt per access so the resident can check it offline (akashi verify-receipt). Staff are counted, never \
            named; --auditor adds staff IDs. docs/disclosure.md.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, html, csv }

    @OptionGroup var options: StoreOptions
    @Option(help: "The person whose records are disclosed.") var person: String?
    @Option(help: "The register whose records are disclosed.") var register: String?
    @Option(help: "First date (YYYY-MM-DD, JST).") var from: LocalDate
    @Option(help: "Last date (YYYY-MM-DD, JST), inclusive.") var to: LocalDate
    @Option(help: "json, html or csv.") var format: Format = .json
    @Option(help: "Write to this file (default: standard output). With csv, the events go to FILE minus .csv plus -events.csv.")
    var out: String?
    @Option(name: .customLong("events-out"), help: "csv: where to write the events CSV.") var eventsOut: String?
    @Flag(help: "The auditor's form: add staff IDs.") var auditor = false
    @Flag(help: "Print a one-time access code for the online history with the report (person only).") var letter = false
    @OptionGroup var residentContact: ResidentContactOptions
    @Flag(name: .customLong("no-bom"), help: "csv: leave out the UTF-8 byte order mark (added by default for Excel).")
    var noBOM = false
    @Flag(name: .customLong("run-audit"), help: "Bring the audit up to date first (its explanations attribute accesses to cases).")
    var runAudit = false

    func validate() throws {
        guard (person == nil) != (register == nil) else { throw ValidationError("give exactly one of --person and --register") }
        guard from <= to else { throw ValidationError("--from \(from) is after --to \(to)") }
        if letter && person == nil { throw ValidationError("--letter needs --person") }
        if letter && auditor {
            throw ValidationError("--letter makes the resident's letter, which never names staff: it cannot go with --auditor")
        }
    }

    func run() async throws {
        let store = try options.open()
        if runAudit { _ = try await AuditService.taught(store: store).runHoldingLease(waiting: AuditCommand.waiting) }
        let service = DisclosureService(store: store)
        let subject: DisclosureQuery.Subject = person.map { .person($0) } ?? .register(register!)
        let report: DisclosureReport
        do {
            report = try await service.disclose(DisclosureQuery(subject: subject, from: from, to: to, auditor: auditor))
        } catch let e as ReportError {
            throw ValidationError(e.message)
        }
        var code: IssuedAccessCode?
        if letter, let person {
            let issued = try await AccessCodeService(store: store).create(person: person, from: from, to: to)
            // Recorded like a code made in the console (there, with the auditor's staff ID; here, the command line).
            try await store.appendJournal([JournalEvent(
                id: "CLI-" + UUID().uuidString, at: JournalEventFactory.now, kind: "access_code.create", subject: person,
                detail: .object(issued.journalDetail + [("channel", .string("cli"))]))])
            code = issued
        }
        switch format {
        case .json:
            try emit(String(decoding: try report.jsonData(), as: UTF8.self) + "\n", to: out)
            if let code { warn("one-time access code (print it on the letter): \(code.code), valid until \(code.record.expires)") }
        case .html:
            try emit(report.html(code: code?.code, codeExpires: code.map { $0.record.expires.jstDate.description },
                                 contact: try residentContact.contact()), to: out)
        case .csv:
            try emit(report.officesCSV(bom: !noBOM), to: out)
            let eventsPath = eventsOut ?? out.map { ($0.hasSuffix(".csv") ? String($0.dropLast(4)) : $0) + "-events.csv" }
            if let eventsPath {
                try emit(report.eventsCSV(bom: !noBOM), to: eventsPath)
            } else {
                try emit("\r\n" + report.eventsCSV(bom: false), to: nil)
            }
            if let code { warn("one-time access code (print it on the letter): \(code.code), valid until \(code.record.expires)") }
        }
        if report.checkpoint == nil {
            warn("warning: the ledger has no signed checkpoint yet, so the report carries no receipts (sign one: akashi ledger checkpoint --key K)")
        }
    }
}

struct VerifyReceipt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-receipt",
        abstract: "Check receipts offline: every event of a disclosure report, or one receipt with its entry bytes.",
        discussion: "Needs only the files and the ledger's public verifier key, not the store. Exit status 1 when any check fails."
    )

    @Option(help: "A disclosure report (JSON) to check event by event.") var report: String?
    @Option(help: "A receipt (C2SP tlog-proof text).") var receipt: String?
    @Option(help: "The entry bytes the receipt is for (raw file).") var entry: String?
    @Option(name: .customLong("verifier-key"), help: "The ledger's verifier key (text or a file holding it); repeatable.")
    var verifierKeys: [String] = []

    func validate() throws {
        guard !verifierKeys.isEmpty else { throw ValidationError("give the ledger's --verifier-key") }
        guard (report != nil) != (receipt != nil) else { throw ValidationError("give either --report or --receipt with --entry") }
        if receipt != nil && entry == nil { throw ValidationError("--receipt needs --entry") }
    }

    func run() async throws {
        let verifiers = try loadVerifiers(verifierKeys)
        if let report {
            let data = try readFileArgument(report, option: "--report")
            let parsed: DisclosureReport
            do {
                parsed = try DisclosureReport.parse(data)
            } catch let e as DecodingError {
                throw ValidationError("--report \(report): not a disclosure report (\(Self.describe(e)))")
            } catch {
                throw ValidationError("--report \(report): not a disclosure report")
            }
            let checks = ReceiptVerifier.verify(report: parsed, verifiers: verifiers)
            let bad = checks.filter { !$0.ok }
            for b in bad { print("FAIL \(b.eventID): \(b.problem)") }
            let withheld = checks.filter { $0.ok && $0.note == ReceiptCheck.contentWithheld }.count
            print("\(checks.count - bad.count) of \(checks.count) events verified" + (bad.isEmpty ? "" : "; \(bad.count) FAILED"))
            if withheld > 0 { print("\(withheld) of them by leaf hash only: \(ReceiptCheck.contentWithheld)") }
            if !bad.isEmpty { throw ExitCode(1) }
        } else if let receipt, let entry {
            let text = try readTextArgument(receipt, option: "--receipt", stdin: true)
            let bytes = try readFileArgument(entry, option: "--entry")
            do {
                let cp = try ReceiptVerifier.verify(receipt: text, entry: [UInt8](bytes), verifiers: verifiers)
                print("OK: the entry is in \(cp.origin) at the receipt's index, under a checkpoint of size \(cp.size)")
            } catch {
                print("FAIL: \(error)")
                throw ExitCode(1)
            }
        }
    }
}

extension VerifyReceipt {
    /// A decoding error in plain words, naming the JSON field: `field "offices[0].events": missing`.
    static func describe(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey]) -> String {
            var s = ""
            for key in path {
                if let i = key.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + key.stringValue }
            }
            return "field \"\(s)\""
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "a string"
            case is Bool.Type: "true or false"
            case is any BinaryInteger.Type: "a whole number"
            case is any BinaryFloatingPoint.Type: "a number"
            case is [String: Any].Type: "an object"
            case is [Any].Type: "an array"
            default: "an object"
            }
        }
        switch error {
        case let .keyNotFound(key, context):
            return "\(field(context.codingPath + [key])): missing"
        case let .valueNotFound(type, context):
            return "\(field(context.codingPath)): null, expected \(kind(type))"
        case let .typeMismatch(type, context):
            return "\(field(context.codingPath)): expected \(kind(type))"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(field(context.codingPath)): invalid value"
        @unknown default:
            return "unreadable"
        }
    }
}

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile a self-report survey (自己申告調査) with the audit's flagged accesses.",
        discussion: """
            Lists who declared personal use and was found (declared_and_found), who was found but declared nothing \
            (undeclared_found — the list the heavier penalties need), and who declared but was not found \
            (declared_not_found), with each one's declared items, flagged accesses and the match between them. \
            The audit is brought up to date first unless --no-run.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, table }

    @OptionGroup var options: StoreOptions
    @Option(help: "The survey ID, e.g. 2014-02.") var survey: String
    @Option(help: "json or table.") var format: Format = .json
    @Option(name: .customLong("min-flagged"), help: "Flagged accesses a staff member needs to count as found.") var minFlagged = 1
    @Flag(name: .customLong("no-run"), help: "Use the stored findings without auditing new events first.") var noRun = false

    func run() async throws {
        let store = try options.open()
        var service = ReconcileService(store: store)
        service.minimumFlagged = max(1, minFlagged)
        do {
            // A survey without answers is refused before the (possibly long) audit.
            let answers = try await service.answers(survey: survey)
            if !noRun { _ = try await AuditService.taught(store: store).runHoldingLease(waiting: AuditCommand.waiting) }
            let r = try await service.reconcile(survey: survey, answers: answers)
            switch format {
            case .json: print(String(decoding: try r.jsonData(), as: UTF8.self))
            case .table: print(r.table, terminator: "")
            }
        } catch let e as ReportError {
            throw ValidationError("--survey \(survey): \(e.message)")
        }
    }
}

struct Notices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "本人通知制度: register residents, produce and list notices of certificates issued to others.",
        subcommands: [Register.self, Produce.self, List.self, MarkSent.self]
    )

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a person for notices (事前登録).")
        @OptionGroup var options: StoreOptions
        @Option(help: "The person.") var person: String
        @Option(help: "Mailing address.") var address: String
        @Option(help: "Registration date (default: today, JST).") var date: LocalDate?

        func run() async throws {
            let store = try options.open()
            let day = date ?? Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).jstDate
            do { try await NoticeService(store: store).register(person: person, address: address, on: day) } catch let e as ReportError {
                throw ValidationError(e.message)
            }
            print("registered \(person) for notices from \(day)")
        }
    }

    struct Produce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Produce the notices due (idempotent; each new one is journaled in the ledger).")
        @OptionGroup var options: StoreOptions

        func run() async throws {
            let store = try options.open()
            let fresh = try await NoticeService(store: store).produce()
            print("produced \(fresh.count) new notices")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List notices for mailing (produces the ones due first).")
        enum Format: String, ExpressibleByArgument, CaseIterable { case json, table, html }
        @OptionGroup var options: StoreOptions
        @Flag(help: "Only notices not yet mailed.") var pending = false
        @Option(help: "json, table or html (one notice per A4 page).") var format: Format = .table
        @Option(help: "Write to this file (default: standard output).") var out: String?

        func run() async throws {
            let store = try options.open()
            let service = NoticeService(store: store)
            try await service.produce()
            let list = try await service.list(pendingOnly: pending)
            switch format {
            case .json: try emit(String(decoding: try service.json(list), as: UTF8.self) + "\n", to: out)
            case .table: try emit(service.table(list), to: out)
            case .html: try await emit(try service.html(list), to: out)
            }
        }
    }

    struct MarkSent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mark-sent", abstract: "Mark a notice as mailed.")
        @OptionGroup var options: StoreOptions
        @Option(help: "Notice number.") var id: Int64

        func run() async throws {
            let store = try options.open()
            guard try await NoticeService(store: store).markSent(id: id) else {
                throw ValidationError("no unsent notice \(id)")
            }
            print("notice \(id) marked as sent")
        }
    }
}

struct BenchDisclose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disclose",
        abstract: "Disclosure latency on a 10-year city log (receipts included) vs a plain SELECT count(*) over ix_person.")

    @Option(help: "City scale.") var scale = 0.01
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Persons to disclose.") var samples = 500
    @Option(help: "Working directory (kept, so the city and store are built once).") var workdir = "./bench-out"

    func run() async throws {
        let from = LocalDate(year: 2004, month: 4, day: 1)!, to = LocalDate(year: 2014, month: 3, day: 31)!
        let cityDir = workdir + "/city10y-\(scale)-\(seed)"
        if !FileManager.default.fileExists(atPath: cityDir + "/truth.json") {
            let t = now()
            let s = try CityGenerator(config: CityConfig(scale: scale, seed: seed, from: from, to: to, misuse: true,
                                                         scenario: .osaka2014)).write(to: cityDir)
            print("generated a 10-year city (scale \(scale)): \(grouped(s.access)) access events, \(grouped(s.persons)) persons in \(String(format: "%.1f", now() - t)) s")
        }
        let storeDir = cityDir + "-store"
        let store = try SQLiteStore(directory: storeDir)
        if try store.stats().access == 0 {
            var t = now()
            let r = try await Importer(store: store).run(files: try cityFiles(cityDir))
            print("imported \(grouped(r.lines)) lines in \(String(format: "%.1f", now() - t)) s")
            let signer = try NoteSigner.generate(name: "bench.akashi.example/ledger")
            try await LedgerService(store: store).signCheckpoint(with: signer)
            t = now()
            let a = try await AuditService.taught(store: store).run()
            print("audited \(grouped(a.audited)) accesses in \(String(format: "%.1f", now() - t)) s")
        }
        let t0 = now()
        try store.refreshReportIndex()
        print("search-result index caught up in \(String(format: "%.2f", now() - t0)) s")
        let stats = try store.stats()
        let persons = try store.samplePersonIDs(limit: samples, seed: seed)
        let service = DisclosureService(store: store)
        let fromMs = Timestamp(jst: from, hour: 0, minute: 0).millis
        let toMs = Timestamp(jst: to.adding(days: 1), hour: 0, minute: 0).millis
        // Warm-up (page cache, tile cache), outside the timing.
        for p in persons.prefix(20) { _ = try await service.disclose(DisclosureQuery(subject: .person(p), from: from, to: to)) }
        var times: [Double] = [], baseline: [Double] = []
        var events = 0, receipts = 0
        for p in persons {
            var t = now()
            let r = try await service.disclose(DisclosureQuery(subject: .person(p), from: from, to: to))
            times.append(now() - t)
            events += r.allEvents.count
            receipts += r.allEvents.count { $0.receipt != nil }
            t = now()
            _ = try store.personIndexCount(person: p, fromMillis: fromMs, toMillis: toMs)
            baseline.append(now() - t)
        }
        func pct(_ a: [Double], _ q: Double) -> Double {
            let s = a.sorted()
            return s[min(s.count - 1, Int(Double(s.count) * q))] * 1000
        }
        print("""
            | measure (\(grouped(stats.access)) access events over 10 years, \(persons.count) random persons) | p50 | p99 | max |
            |---|---|---|---|
            | akashi disclose (lineage, events by register/person/search, attribution, receipts) | \(String(format: "%.2f", pct(times, 0.5))) ms | \(String(format: "%.2f", pct(times, 0.99))) ms | \(String(format: "%.2f", pct(times, 1))) ms |
            | SELECT count(*) FROM ix_person WHERE person = ? AND at in period (baseline) | \(String(format: "%.3f", pct(baseline, 0.5))) ms | \(String(format: "%.3f", pct(baseline, 0.99))) ms | \(String(format: "%.3f", pct(baseline, 1))) ms |
            events disclosed: \(grouped(events)) (\(String(format: "%.1f", Double(events) / Double(max(1, persons.count)))) per person), receipts: \(grouped(receipts))
            target p99 < 20 ms: \(pct(times, 0.99) < 20 ? "met" : "NOT met")
            """)
    }
}
