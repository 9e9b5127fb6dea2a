import AkashiDomain
import AkashiLedger
import AkashiSQLite
import AkashiStorage
import ArgumentParser
import Foundation

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import akashi-interchange/1 files (.jsonl, .jsonl.gz) into a store.",
        discussion: """
            Files and records may come in any order; importing the same data again changes nothing. Lines that \
            break a rule or conflict with what is stored are reported with file and line and kept verbatim in \
            DIR/quarantine.jsonl; everything valid is imported. Exit status: 0 every line taken, 1 some rejected \
            (the rest imported), 2 unusable arguments (a store that cannot be written, e.g. on a read-only file \
            system, included), 3 the import stopped part way (the store failed, e.g. a full disk): what was committed \
            before is kept, and the same import run again takes the rest.
            """
    )

    @Argument(help: "Interchange files to import.")
    var files: [String]

    @OptionGroup var options: NewStoreOptions

    @Flag(help: "Print nothing but the summary.")
    var quiet = false

    @Option(help: "Signing key file: sign a checkpoint of the ledger after the import.")
    var key: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one file to import") }
        for f in files {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: f, isDirectory: &isDir) else {
                throw ValidationError("\(f): no such file")
            }
            guard !isDir.boolValue else { throw ValidationError("\(f): is a directory; give the .jsonl files in it") }
            guard FileManager.default.isReadableFile(atPath: f) else { throw ValidationError("\(f): not readable") }
        }
    }

    func run() async throws {
        let signer = try key.map { try loadSigner(path: $0, store: options.store) }
        let store = try options.open()
        let report: ImportReport
        do {
            report = try await ImportRunner.run(files: files, store: store, quiet: quiet)
        } catch let e as ExitCode {
            throw e
        } catch {
            warn("akashi import: stopped: \(error)")
            warn("akashi import: what was committed before the stop is kept (the ledger verifies); once the cause is "
                 + "fixed, run the same import again: lines already taken count as duplicates and the rest is imported.")
            throw ExitCode(3)
        }
        if let signer {
            let cp = try await LedgerService(store: store).signCheckpoint(with: signer)
            print("signed checkpoint \(grouped(cp.size)) (\(signer.name))")
        }
        if !report.allTaken { throw ExitCode(1) }
    }
}

/// Runs an import with a progress line and prints the report (shared by `import` and `demo`).
enum ImportRunner {
    static func run(files: [String], store: any AkashiStore, quiet: Bool) async throws -> ImportReport {
        let tty = stderrIsTTY && !quiet
        let progress: @Sendable (ImportProgress) -> Void = { p in
            var s = "\r\(p.file): \(grouped(p.lines)) lines, \(grouped(Int(p.linesPerSecond))) lines/s"
            if let f = p.fraction { s += ", \(Int(f * 100))%" }
            if let eta = p.etaSeconds { s += ", ETA \(Int(eta) / 60):" + (Int(eta) % 60 < 10 ? "0" : "") + "\(Int(eta) % 60)" }
            FileHandle.standardError.write(Data((s + "   ").utf8))
        }
        let report = try await Importer(store: store).run(files: files, progress: tty ? progress : nil)
        if tty { warn("") }
        for p in report.problems { warn(p.description) }
        if report.problemCount > report.problems.count {
            warn("… and \(grouped(report.problemCount - report.problems.count)) more problems (every rejected line is in \(store.quarantineLocation))")
        }
        if report.dangling.count > 0 {
            let ex = report.dangling.examples.map { "\($0.from) → \($0.field) \($0.id)" }.joined(separator: "; ")
            warn("warning: \(grouped(report.dangling.count)) references to IDs not (yet) imported, kept: \(ex)")
        }
        let partial = report.filesReadInPart.count
        let readInPart = partial == 0 ? "" : " (including \(partial) file\(partial == 1 ? "" : "s") read only in part)"
        print("""
            imported \(grouped(report.imported)) records from \(grouped(report.lines)) lines in \(String(format: "%.2f", report.seconds)) s \
            (\(grouped(Int(report.accessLinesPerSecond))) access lines/s); duplicates \(grouped(report.duplicates)), \
            rejected \(grouped(report.rejected))\(readInPart), conflicts \(grouped(report.conflicts)), unknown types \(grouped(report.unknownTypes)), \
            lines with unknown fields \(grouped(report.unknownFieldLines)); ledger \(grouped(report.ledgerSizeBefore)) → \(grouped(report.ledgerSizeAfter)) entries
            """)
        return report
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a store back out in akashi-interchange/1 (one .jsonl file per record type).")

    @OptionGroup var options: StoreOptions

    @Option(help: "Directory to write the files to.")
    var out: String

    @Flag(help: "Write .jsonl.gz files.")
    var gzip = false

    func run() async throws {
        let store = try options.openForReading()
        for (file, lines) in try await Exporter(store: store).run(to: out, gzip: gzip) {
            print("\(file): \(grouped(lines)) lines")
        }
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Count the records of a store per type.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, table }

    @OptionGroup var options: StoreOptions

    @Option(help: "json or table.")
    var format: Format = .table

    func run() async throws {
        let store = try options.openForReading()
        let s = try await store.stats()
        print(Self.render(s, format: format))
    }

    static func render(_ s: StoreStats, format: Format) -> String {
        switch format {
        case .json:
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            return String(decoding: try! enc.encode(s), as: UTF8.self)
        case .table:
            let rows: [(String, String, Int)] = [
                ("offices", "区役所", s.offices), ("staff", "職員", s.staff), ("registers", "戸籍", s.registers),
                ("persons", "人", s.persons), ("protections", "保護対象", s.protections), ("cases", "業務文書", s.cases),
                ("access", "アクセス", s.access), ("self_reports", "自己申告", s.selfReports),
                ("quarantined", "隔離行", s.quarantined), ("ledger entries", "台帳エントリ", s.ledgerSize),
            ]
            // Japanese labels after the number, so the columns line up whatever the font does with CJK widths.
            return rows.map { r in
                r.0.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(repeating: " ", count: max(0, 12 - grouped(r.2).count)) + grouped(r.2) + "  " + r.1
            }.joined(separator: "\n")
        }
    }
}
