import AkashiCity
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiSQLite
import AkashiStorage
import ArgumentParser
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks, each printed beside the baseline it is compared against (results go to BENCHMARKS.md).",
        subcommands: [BenchImport.self, BenchLedger.self, BenchAudit.self, BenchAuditQuality.self, BenchDisclose.self, BenchPostgres.self,
                      BenchServe.self]
    )
}

/// Monotonic seconds.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Peak resident memory of this process, in MiB (from /proc/self/status VmHWM).
func peakRSSMiB() -> Double { procStatusMiB("VmHWM:") }

/// A memory figure of /proc/self/status in MiB (`VmHWM:`, `RssAnon:` …), 0 when unreadable. The kernel pads the
/// number to eight digits, so from 10,000,000 kB on there is only a tab before it: split on any white space.
func procStatusMiB(_ key: String) -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
          let kb = Double(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

/// CPU seconds (user + system) this process has used so far: unlike wall time, barely moved by other work on the machine.
func cpuSeconds() -> Double {
    var u = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &u)
    #else
    getrusage(RUSAGE_SELF, &u)
    #endif
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

/// The machine's 1-minute load average, printed with every benchmark so a reader can tell a quiet run from a busy one.
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).flatMap { $0.split(separator: " ").first.map(String.init) } ?? "?"
}

/// The machine's CPU time counters from /proc/stat (all CPUs, in clock ticks): total and stolen. A virtual machine's
/// host can take its CPUs away ("steal"); on this project's machines that has reached 40 % in the middle of a run, and
/// a benchmark that does not say so reports the host's load as its own.
struct CPUTicks {
    var total: UInt64 = 0
    var steal: UInt64 = 0

    static func read() -> CPUTicks? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let v = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard v.count >= 8 else { return nil }
        return CPUTicks(total: v.prefix(8).reduce(0, +), steal: v[7])
    }

    /// The share of CPU time stolen between `self` and a later reading, in per cent.
    func stealPercent(until later: CPUTicks) -> Double {
        let total = later.total &- self.total
        return total == 0 ? 0 : Double(later.steal &- steal) / Double(total) * 100
    }
}

/// Generates (or reuses) a benchmark city and returns its directory.
func benchCity(scale: Double, seed: UInt64, workdir: String, misuse: Bool = false) throws -> String {
    let dir = workdir + "/city-\(scale)-\(seed)\(misuse ? "-misuse" : "")"
    if !FileManager.default.fileExists(atPath: dir + "/truth.json") {
        var config = CityConfig()
        config.scale = scale
        config.seed = seed
        config.misuse = misuse
        let t = now()
        let s = try CityGenerator(config: config).write(to: dir)
        print("generated city scale \(scale) seed \(seed): \(grouped(s.access)) access events in \(String(format: "%.1f", now() - t)) s")
    }
    return dir
}

func cityFiles(_ dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jsonl") }.sorted().map { dir + "/" + $0 }
}

struct BenchImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a generated city; compare access lines/s with the sqlite3 tool's CSV import of the same rows.")

    @Option(help: "City scale.") var scale = 0.05
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Working directory (kept, so the city is generated once).") var workdir = "./bench-out"

    func run() async throws {
        let city = try benchCity(scale: scale, seed: seed, workdir: workdir)
        let storeDir = workdir + "/import-store"
        try? FileManager.default.removeItem(atPath: storeDir)
        let store = try SQLiteStore(directory: storeDir)
        let report = try await Importer(store: store).run(files: try cityFiles(city))
        let accessRate = Double(report.accessLines) / report.seconds
        print("akashi import: \(grouped(report.lines)) lines (\(grouped(report.accessLines)) access) in \(String(format: "%.2f", report.seconds)) s = \(grouped(Int(Double(report.lines) / report.seconds))) lines/s overall")

        // The access file alone, into a fresh store whose reference data is already there (what the target counts).
        let store2Dir = workdir + "/import-store-access"
        try? FileManager.default.removeItem(atPath: store2Dir)
        let store2 = try SQLiteStore(directory: store2Dir)
        _ = try await Importer(store: store2).run(files: try cityFiles(city).filter { !$0.hasSuffix("/access.jsonl") })
        let cpu0 = cpuSeconds()
        let ticks0 = CPUTicks.read()
        let r2 = try await Importer(store: store2).run(files: [city + "/access.jsonl"])
        let cpu = cpuSeconds() - cpu0
        let stolen = ticks0.flatMap { a in CPUTicks.read().map { String(format: "%.1f %%", a.stealPercent(until: $0)) } } ?? "unknown"
        let accessOnly = Double(r2.accessLines) / r2.seconds
        print("akashi import access.jsonl: \(grouped(r2.accessLines)) access lines in \(String(format: "%.2f", r2.seconds)) s = \(grouped(Int(accessOnly))) access lines/s (parse, validate, canonicalise, 6 indexes, Merkle leaves + tiles, fsync per batch); CPU \(String(format: "%.2f", cpu)) s = \(String(format: "%.1f", cpu / Double(max(1, r2.accessLines)) * 1e6)) µs a line; load average \(loadAverage()); CPU stolen by the VM's host \(stolen)")

        // Baseline: the same rows through the sqlite3 tool's CSV import.
        let csv = workdir + "/access.csv"
        let rows = try writeAccessCSV(from: city + "/access.jsonl", to: csv)
        var baselines: [(String, Double)] = []
        for (label, indexes) in [("no indexes", false), ("same 6 indexes", true)] {
            let db = workdir + "/baseline-\(indexes ? "idx" : "plain").sqlite"
            try? FileManager.default.removeItem(atPath: db)
            let schema = """
                CREATE TABLE event(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, day INTEGER NOT NULL,
                  staff TEXT, office TEXT, register TEXT, person TEXT, case_id TEXT, entry BLOB NOT NULL);
                """ + (indexes ? """
                CREATE UNIQUE INDEX event_id ON event(id); CREATE INDEX event_staff_at ON event(staff, at);
                CREATE INDEX event_register_at ON event(register, at) WHERE register IS NOT NULL;
                CREATE INDEX event_person_at ON event(person, at) WHERE person IS NOT NULL;
                CREATE INDEX event_case ON event(case_id) WHERE case_id IS NOT NULL; CREATE INDEX event_office_day ON event(office, day);
                """ : "")
            try runSQLite(db, schema)
            let t = now()
            try runSQLite(db, "PRAGMA journal_mode=WAL;\n.mode csv\n.import \(csv) event\n")
            let secs = now() - t
            baselines.append((label, Double(rows) / secs))
            print("sqlite3 .import CSV (\(label)): \(grouped(rows)) rows in \(String(format: "%.2f", secs)) s = \(grouped(Int(Double(rows) / secs))) rows/s")
        }
        print("")
        print("| measure | rows/s |")
        print("|---|---|")
        print("| akashi import, whole city (all record types; access lines/s) | \(grouped(Int(accessRate))) |")
        print("| akashi import, access.jsonl into a store with its reference data | \(grouped(Int(accessOnly))) |")
        for (label, rate) in baselines { print("| sqlite3 CLI `.import` CSV, \(label) (baseline) | \(grouped(Int(rate))) |") }
        print("target ≥ 300,000 access lines/s: \(accessOnly >= 300_000 ? "met" : "NOT met")")
    }

    /// Writes the access rows as CSV in the event table's column order; returns the row count.
    func writeAccessCSV(from path: String, to csv: String) throws -> Int {
        let reader = try LineReader(path: path)
        let w = try LineWriter(path: csv)
        var n = 0
        func field(_ s: String?) -> [UInt8] {
            guard let s else { return [] }
            return Array(("\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"").utf8)
        }
        while let batch = try reader.next() {
            for k in 0..<batch.count {
                let line = Array(batch.bytes[batch.range(k)])
                guard case let .record(.access(a), _) = try RecordDecoder.decode(line: line) else { continue }
                let cols: [[UInt8]] = [Array(String(n).utf8), field(a.id), field("access"), Array(String(a.at.millis).utf8),
                                       Array(String(a.at.jstDate.day).utf8), field(a.staff), field(a.office), field(a.register),
                                       field(a.person), field(a.caseID), field(String(decoding: line, as: UTF8.self))]
                try w.write(line: Array(cols.joined(separator: [UInt8(ascii: ",")])))
                n += 1
            }
        }
        try w.close()
        return n
    }

    func runSQLite(_ db: String, _ script: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sqlite3", db]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("sqlite3 failed (is the sqlite3 command installed?)") }
    }
}

struct BenchLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Ledger appends/s (hashing, tree, storage, fsync) vs plain SQLite inserts; proof time in a large log.")

    @Option(help: "City scale.") var scale = 0.05
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Entries in the large log for proof timing.") var proofLogSize = 10_000_000
    @Option(help: "Working directory.") var workdir = "./bench-out"

    func run() async throws {
        let city = try benchCity(scale: scale, seed: seed, workdir: workdir)
        // Decode the access events once, outside the timing.
        let reader = try LineReader(path: city + "/access.jsonl")
        var items: [IngestItem] = []
        while let batch = try reader.next() {
            for k in 0..<batch.count {
                let raw = Array(batch.bytes[batch.range(k)])
                if case let .record(r, _) = try RecordDecoder.decode(line: raw) {
                    items.append(IngestItem(record: r, canonical: r.canonicalJSON, raw: [], file: "", line: k))
                }
            }
        }
        let batch = 50_000
        // With the ledger: the store's ingest path.
        let dirA = workdir + "/ledger-store"
        try? FileManager.default.removeItem(atPath: dirA)
        let store = try SQLiteStore(directory: dirA)
        var t = now()
        let cpu0 = cpuSeconds()
        let ticks0 = CPUTicks.read()
        for start in stride(from: 0, to: items.count, by: batch) {
            _ = try store.ingest(Array(items[start..<min(items.count, start + batch)]), deferLookupIndexes: true)
        }
        try store.catchUpLookupIndexes()
        let withLedger = Double(items.count) / (now() - t)
        let ledgerCPU = (cpuSeconds() - cpu0) / Double(max(1, items.count)) * 1e6
        let ledgerSteal = ticks0.flatMap { a in CPUTicks.read().map { String(format: "%.1f %%", a.stealPercent(until: $0)) } } ?? "unknown"
        // Without: the same rows into the same table shape, same statement path, no hashing and no tiles.
        let dirB = workdir + "/plain-store"
        try? FileManager.default.removeItem(atPath: dirB)
        let plain = try PlainInserter(directory: dirB)
        t = now()
        let cpu1 = cpuSeconds()
        for start in stride(from: 0, to: items.count, by: batch) {
            try plain.insert(Array(items[start..<min(items.count, start + batch)]))
        }
        try plain.finish()
        let withoutLedger = Double(items.count) / (now() - t)
        let plainCPU = (cpuSeconds() - cpu1) / Double(max(1, items.count)) * 1e6
        // Hashing alone.
        let entries = items.map(\.canonical)
        t = now()
        var appender = TileAppender()
        for start in stride(from: 0, to: entries.count, by: batch) {
            _ = try appender.append(MerkleHash.leaves(Array(entries[start..<min(entries.count, start + batch)])))
        }
        let hashingOnly = Double(entries.count) / (now() - t)

        // Proofs in a large log (in-memory tiles; the store reads the same tiles from SQLite).
        let big = InMemoryTileStore()
        var bigAppender = TileAppender()
        var leafBatch: [LedgerHash] = []
        leafBatch.reserveCapacity(1 << 16)
        t = now()
        var made = 0
        while made < proofLogSize {
            leafBatch.removeAll(keepingCapacity: true)
            for k in made..<min(proofLogSize, made + (1 << 16)) {
                var bytes = [UInt8](repeating: 0, count: 8)
                withUnsafeBytes(of: UInt64(k).bigEndian) { bytes = Array($0) }
                leafBatch.append(MerkleHash.leaf(bytes))
            }
            big.upsert(try bigAppender.append(leafBatch))
            made += leafBatch.count
        }
        let buildSecs = now() - t
        let prover = LogProver(size: UInt64(proofLogSize), source: TiledHashes(source: big))
        var rng = SystemRandomNumberGenerator()
        var times: [Double] = []
        for _ in 0..<2000 {
            let i = UInt64.random(in: 0..<UInt64(proofLogSize), using: &rng)
            let s = now()
            _ = try prover.inclusionProof(index: i)
            times.append(now() - s)
        }
        // Proofs from the SQLite store of this run.
        let service = LedgerService(store: store)
        let size = try store.ledgerSize()
        let storeProver = LogProver(size: size, source: service.hashes)
        var storeTimes: [Double] = []
        for _ in 0..<2000 {
            let i = UInt64.random(in: 0..<size, using: &rng)
            let s = now()
            _ = try storeProver.inclusionProof(index: i)
            storeTimes.append(now() - s)
        }
        func pct(_ a: [Double], _ p: Double) -> Double { let s = a.sorted(); return s[min(s.count - 1, Int(Double(s.count) * p))] * 1e6 }
        print("""
            | measure | value |
            |---|---|
            | appends/s through the whole path (canonical entry, SHA-256 leaves, tiles, SQLite, fsync per \(grouped(batch))) | \(grouped(Int(withLedger))) (CPU \(String(format: "%.1f", ledgerCPU)) µs an event) |
            | plain SQLite inserts of the same rows, no ledger (baseline) | \(grouped(Int(withoutLedger))) (CPU \(String(format: "%.1f", plainCPU)) µs an event) |
            | hashing + tree only (both cores) | \(grouped(Int(hashingOnly))) |
            | built a \(grouped(proofLogSize))-entry log in memory | \(String(format: "%.1f", buildSecs)) s |
            | inclusion proof in the \(grouped(proofLogSize))-entry log, p50 / p99 / max | \(String(format: "%.0f / %.0f / %.0f", pct(times, 0.5), pct(times, 0.99), pct(times, 1))) µs |
            | inclusion proof from the SQLite store (\(grouped(size)) entries), p50 / p99 / max | \(String(format: "%.0f / %.0f / %.0f", pct(storeTimes, 0.5), pct(storeTimes, 0.99), pct(storeTimes, 1))) µs |
            | peak memory | \(String(format: "%.0f", peakRSSMiB())) MiB |
            | load average (1 min) at the end | \(loadAverage()) |
            | CPU stolen by the VM's host during the ledger appends | \(ledgerSteal) |
            """)
        print("goal ≥ 1,000,000 appends/s: \(withLedger >= 1_000_000 ? "met" : "not met"); floor 300,000/s: \(withLedger >= 300_000 ? "met" : "NOT met"); proofs < 1 ms: \(pct(times, 0.99) < 1000 ? "met (p99)" : "NOT met")")
    }
}
