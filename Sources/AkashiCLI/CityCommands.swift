import AkashiCity
import AkashiDomain
import AkashiLedger
import AkashiReports
import AkashiSQLite
import AkashiStorage
import AkashiWeb
import ArgumentParser
import Foundation

extension LocalDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension CityScenario: ExpressibleByArgument {}

extension CitySummary {
    /// One line of counts for people to read.
    var line: String {
        "\(grouped(offices)) offices, \(grouped(staff)) staff, \(grouped(registers)) registers, \(grouped(persons)) persons, "
            + "\(grouped(protections)) protections, \(grouped(cases)) cases, \(grouped(access)) accesses "
            + "(\(grouped(misuseEvents)) planted misuse), \(grouped(selfReports)) self-reports, \(from) … \(to)"
    }
}

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic Osaka (24 wards, registers, staff, cases, accesses) in interchange format.",
        discussion: "Deterministic for a seed. --misuse plants labelled misuse (labels in truth.json).")

    @Option(help: "Directory to write the city to.")
    var out: String

    @Option(help: "Size relative to the real city (1 = 1.167M registers).")
    var scale: Double = 1.0

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "First day of the workload (YYYY-MM-DD).")
    var from: LocalDate?

    @Option(help: "Last day of the workload (YYYY-MM-DD).")
    var to: LocalDate?

    @Flag(help: "Plant labelled misuse of every kind the audit knows.")
    var misuse = false

    @Option(help: "Add a known incident: osaka-2014.")
    var scenario: CityScenario?

    @Option(help: ArgumentHelp(
        "Generate a site with these habits instead of the whole city (\(SiteProfile.all.map(\.name).joined(separator: ", "))).",
        discussion: "2–6 ward offices; --misuse plants misuse as behaviour; --from, --to and --scenario do not apply."))
    var profile: String?

    func validate() throws {
        guard scale > 0, scale <= 4 else { throw ValidationError("--scale must be in (0, 4]") }
        if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to)") }
        if let profile {
            let clash = [from != nil ? "--from" : nil, to != nil ? "--to" : nil, scenario != nil ? "--scenario" : nil]
                .compactMap { $0 }
            if !clash.isEmpty {
                throw ValidationError("--profile cannot be combined with \(clash.joined(separator: ", ")) (a site profile has its own period and no scenario)")
            }
            if SiteProfile.named(profile) == nil {
                throw ValidationError("unknown profile '\(profile)'; known profiles: \(SiteProfile.all.map(\.name).joined(separator: ", "))")
            }
        }
    }

    func run() async throws {
        if let name = profile, let site = SiteProfile.named(name) {
            let start = Date()
            let summary = try SiteCityGenerator(profile: site, seed: seed, scale: scale, misuse: misuse).write(to: out)
            print("generated site '\(name)' into \(out) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s: \(summary.line)")
            return
        }
        var config = CityConfig()
        config.scale = scale
        config.seed = seed
        if let from { config.from = from }
        if let to { config.to = to }
        config.misuse = misuse
        config.scenario = scenario
        let start = Date()
        let summary = try CityGenerator(config: config).write(to: out, progress: stderrIsTTY ? { warn($0) } : nil)
        print("generated into \(out) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s: \(summary.line)")
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a small city with the 2014 incident, import it and serve the workspace (reuses DIR on later runs).",
        discussion: """
            First run: generates the city into DIR/city, imports it into DIR/store, creates a signing key \
            (DIR/ledger.key, mode 0600) and demo accounts (DIR/demo-accounts.txt, mode 0600), then serves. \
            Later runs reuse all of it.
            """)

    @Option(help: "Where the demo keeps its city and store.")
    var data: String = "./akashi-data"

    @Option(help: "Scale of the demo city.")
    var scale: Double = 0.01

    @Option(help: "Port to serve on (loopback).")
    var port: Int = 8080

    func run() async throws {
        let cityDir = data + "/city"
        let storeDir = data + "/store"
        let fm = FileManager.default
        if !fm.fileExists(atPath: cityDir + "/truth.json") {
            var config = CityConfig()
            config.scale = scale
            config.seed = 2014
            config.misuse = true
            config.scenario = .osaka2014
            print("generating a synthetic Osaka (scale \(scale), with the 2014 incident) into \(cityDir) …")
            let summary = try CityGenerator(config: config).write(to: cityDir)
            print("  \(summary.line)")
        }
        let store = try SQLiteStore(directory: storeDir)
        // The city is imported once; later runs reuse the store (the workspace's own events are in it too).
        let imported = fm.fileExists(atPath: data + "/.imported")
        if !imported {
            let files = try fm.contentsOfDirectory(atPath: cityDir).filter { $0.hasSuffix(".jsonl") || $0.hasSuffix(".jsonl.gz") }
                .sorted().map { cityDir + "/" + $0 }
            print("importing \(files.count) files into \(storeDir) …")
            let report = try await ImportRunner.run(files: files, store: store, quiet: false)
            if report.allTaken { _ = fm.createFile(atPath: data + "/.imported", contents: Data()) }
        } else {
            print("reusing \(storeDir)")
        }
        print(Stats.render(try store.stats(), format: .table))

        // Audit what was imported (incremental: later runs audit only what is new).
        let audited = try await AuditService.taught(store: store).run()
        print("audit: \(audited.audited) accesses audited, \(audited.counts.flagged) flagged of \(audited.counts.total)"
            + " (\(audited.counts.explained) explained) in \(String(format: "%.1f", audited.seconds)) s")

        let keyPath = data + "/ledger.key"
        if !fm.fileExists(atPath: keyPath) {
            let signer = try NoteSigner.generate(name: "akashi-demo.example/ledger")
            guard fm.createFile(atPath: keyPath, contents: Data((signer.privateKeyText + "\n").utf8),
                                attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot create \(keyPath)")
            }
            print("signing key created: \(keyPath) (verifier: \(signer.verifier.text))")
        }
        let accounts = try DemoAccounts.ensure(store: store, path: data + "/demo-accounts.txt")
        var config = WebConfiguration()
        config.port = port
        let url = "http://127.0.0.1:\(port)/"
        // The demo city is a synthetic Osaka: its letters say so, and point at this server's resident page.
        config.residentContact = ResidentContact(municipality: "大阪市（架空のデモデータ）",
                                                 desk: "各区役所 市民課 戸籍担当（デモ：架空の窓口）", pageURL: url + "resident")
        try await Serve.serve(store: storeDir, key: keyPath, config: config) {
            print("Akashi workspace: \(url)")
            for a in accounts { print("demo \(a.role): \(a.staff) / \(a.password)") }
            print("(accounts kept in \(data)/demo-accounts.txt; Ctrl-C stops the server)")
            fflush(nil)  // show the URL and accounts at once even when standard output is a pipe
        }
    }
}

/// The demo's sign-in accounts: a clerk and a supervisor of 大正区 (27108) on register duty, and an auditor.
enum DemoAccounts {
    struct Account {
        var role: String
        var staff: String
        var password: String
    }

    /// Reads DIR/demo-accounts.txt, or creates the accounts (random passwords) and the file (mode 0600).
    static func ensure(store: SQLiteStore, path: String) throws -> [Account] {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let list = text.split(separator: "\n").compactMap { line -> Account? in
                // demo clerk: S00012 / password
                guard line.hasPrefix("demo "), let colon = line.firstIndex(of: ":") else { return nil }
                let role = String(line[line.index(line.startIndex, offsetBy: 5)..<colon])
                let parts = line[line.index(after: colon)...].split(separator: "/", maxSplits: 1)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { return nil }
                return Account(role: role, staff: parts[0], password: parts[1])
            }
            if list.count == 3 { return list }
        }
        let today = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).jstDate
        func onDuty(_ role: StaffRole) throws -> Staff? {
            try store.staffMembers(office: "27108", role: role).first {
                guard let a = $0.assignment(on: today) else { return false }
                return a.office == "27108" && a.duty == Assignment.registerDuty
            }
        }
        guard let clerk = try onDuty(.clerk), let supervisor = try onDuty(.supervisor),
              let auditor = try store.staffMembers(office: nil, role: .auditor).first else {
            throw ValidationError("the demo city has no clerk, supervisor and auditor to make accounts for")
        }
        var out: [Account] = []
        for (role, s) in [("clerk", clerk), ("supervisor", supervisor), ("auditor", auditor)] {
            let password = Tokens.base64URL(Tokens.randomBytes(12))
            try store.setPasswordHash(staff: s.id, hash: try PasswordHasher.hash(password))
            out.append(Account(role: role, staff: s.id, password: password))
        }
        let text = out.map { "demo \($0.role): \($0.staff) / \($0.password)" }.joined(separator: "\n") + "\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        return out
    }
}
