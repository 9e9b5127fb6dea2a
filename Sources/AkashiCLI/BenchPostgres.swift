import AkashiCity
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiPostgres
import AkashiReports
import AkashiSQLite
import AkashiStorage
import ArgumentParser
import Foundation

/// `akashi bench postgres`: the PostgreSQL store beside the embedded one, on the same city in the same run — import
/// (against `psql \copy` of the same rows into a table of the same shape with the same indexes), the full audit
/// sweep, and disclosure latency — with each store's size, and the process's peak memory.
struct BenchPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "PostgreSQL beside SQLite on one city: import (vs psql \\copy), audit sweep, disclosure p50/p99, sizes.")

    @Option(help: "The PostgreSQL server, postgres://USER@HOST:PORT/DB (password from PGPASSWORD); a fresh municipality is used.")
    var postgres: String
    @Option(help: "City scale.") var scale = 0.01
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Persons to disclose.") var samples = 300
    @Option(help: "Working directory (the city is generated once and kept).") var workdir = "./bench-out"

    func validate() throws {
        guard scale > 0, scale <= 1 else { throw ValidationError("--scale must be in (0, 1]") }
        guard (1...10_000).contains(samples) else { throw ValidationError("--samples must be 1…10000") }
        guard PostgresLocation.isPostgresURL(postgres), !postgres.contains("?") else {
            throw ValidationError("--postgres: give postgres://USER@HOST:PORT/DB (no parameters: the bench picks a fresh municipality)")
        }
    }

    func run() async throws {
        let city = try benchCity(scale: scale, seed: seed, workdir: workdir, misuse: true)
        let files = try cityFiles(city)
        let reference = files.filter { !$0.hasSuffix("/access.jsonl") }
        let muni = "bench" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        print("city \(city); PostgreSQL municipality \(muni); load average \(loadAverage())")

        let sqliteDir = workdir + "/pg-bench-sqlite"
        try? FileManager.default.removeItem(atPath: sqliteDir)
        let stores: [(String, any ServerStore)] = [
            ("SQLite", try SQLiteStore(directory: sqliteDir)),
            ("PostgreSQL", try PostgresStore(location: PostgresLocation.parse(postgres + "?municipality=" + muni))),
        ]
        var rows: [String] = [] {
            didSet { if let last = rows.last { print(last) } }
        }
        // Import: reference records, then the access file alone (what the rate counts).
        var accessRows = 0
        for (name, store) in stores {
            _ = try await Importer(store: store).run(files: reference)
            let cpu0 = cpuSeconds()
            let r = try await Importer(store: store).run(files: [city + "/access.jsonl"])
            accessRows = r.accessLines
            let cpu = cpuSeconds() - cpu0
            rows.append("| akashi import access.jsonl, \(name) | \(grouped(Int(Double(r.accessLines) / r.seconds))) lines/s "
                        + "(\(String(format: "%.1f", r.seconds)) s; CPU of this process \(String(format: "%.1f", cpu / Double(max(1, r.accessLines)) * 1e6)) µs a line) |")
        }
        let copy = try copyBaseline(city: city, muni: muni)
        rows.append("| baseline: psql \\copy of the same \(grouped(copy.rows)) rows (CSV) into tables of the same shape and indexes | \(grouped(Int(Double(copy.rows) / copy.seconds))) rows/s (\(String(format: "%.1f", copy.seconds)) s) |")

        // The full audit sweep.
        for (name, store) in stores {
            let t = now()
            let s = try await AuditService.taught(store: store).run()
            let secs = now() - t
            rows.append("| full audit sweep, \(name) | \(grouped(Int(Double(s.audited) / secs))) accesses/s (\(grouped(s.audited)) in \(String(format: "%.1f", secs)) s, \(grouped(s.counts.flagged)) flagged) |")
        }

        // Disclosure latency for the same random persons.
        let persons = try samplePersons(city: city, limit: samples)
        let (from, to) = (LocalDate(year: 1990, month: 1, day: 1)!, LocalDate(year: 2030, month: 12, day: 31)!)
        for (name, store) in stores {
            let service = DisclosureService(store: store)
            for p in persons.prefix(10) { _ = try await service.disclose(DisclosureQuery(subject: .person(p), from: from, to: to)) }
            var times: [Double] = []
            for p in persons {
                let t = now()
                _ = try await service.disclose(DisclosureQuery(subject: .person(p), from: from, to: to))
                times.append(now() - t)
            }
            times.sort()
            func ms(_ q: Double) -> String { String(format: "%.2f", times[min(times.count - 1, Int(Double(times.count) * q))] * 1000) }
            rows.append("| disclosure of one person (lineage, events, attribution, receipts), \(name), \(persons.count) persons | p50 \(ms(0.5)) ms, p99 \(ms(0.99)) ms |")
        }

        // Sizes: bytes a stored access event takes, everything included (tables, indexes, TOAST).
        let sqliteBytes = (try? FileManager.default.attributesOfItem(atPath: sqliteDir + "/" + SQLiteStore.databaseFile)[.size] as? Int) ?? 0
        rows.append("| store size, SQLite (whole database file) | \(grouped(sqliteBytes / (1 << 20))) MiB = \(grouped(sqliteBytes / max(1, accessRows))) bytes an access event |")
        let pg = try psql(postgres, """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
            WHERE c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'bench_%'
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        if let bytes = Int(pg) {
            rows.append("| database size, PostgreSQL (every Akashi table and index in the database, all municipalities in it) | \(grouped(bytes / (1 << 20))) MiB |")
        }
        let event = try psql(postgres, """
            SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) + pg_total_relation_size('event_key')
                + pg_total_relation_size('search_result') FROM pg_inherits i WHERE i.inhparent = 'event'::regclass
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        let events = try psql(postgres, "SELECT count(*) FROM event_key").trimmingCharacters(in: .whitespacesAndNewlines)
        if let b = Int(event), let n = Int(events), n > 0 {
            rows.append("| PostgreSQL event partitions + event_key + search_result, all municipalities | \(grouped(b / (1 << 20))) MiB for \(grouped(n)) events = \(grouped(b / n)) bytes an event |")
        }
        rows.append("| peak memory of this process (both stores, city reading, audit) | \(String(format: "%.0f", peakRSSMiB())) MiB |")
        print("")
        print("| measure (\(grouped(accessRows)) access events; scale \(scale), seed \(seed)) | result |")
        print("|---|---|")
        for r in rows { print(r) }
        print("load average at the end: \(loadAverage())")
    }

    /// Persons of the city, a seeded random sample.
    func samplePersons(city: String, limit: Int) throws -> [String] {
        var ids: [String] = []
        let reader = try LineReader(path: city + "/persons.jsonl")
        while let batch = try reader.next() {
            for k in 0..<batch.count {
                if case let .record(.person(p), _) = try RecordDecoder.decode(line: Array(batch.bytes[batch.range(k)])) { ids.append(p.id) }
            }
        }
        var rng = SeededGenerator(seed: seed)
        ids.shuffle(using: &rng)
        return Array(ids.prefix(limit))
    }

    /// `psql \copy` of the access rows into fresh tables shaped like the store's event and event_key tables (the same
    /// partitions, primary keys and indexes), in the same database; returns rows and seconds of the two copies.
    func copyBaseline(city: String, muni: String) throws -> (rows: Int, seconds: Double) {
        let events = workdir + "/pg-bench-event.csv", keys = workdir + "/pg-bench-event-key.csv"
        let ew = try LineWriter(path: events), kw = try LineWriter(path: keys)
        let reader = try LineReader(path: city + "/access.jsonl")
        var n = 0
        var months = Set<Int>()
        func text(_ s: String?) -> String { s.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? "" }
        while let batch = try reader.next() {
            for k in 0..<batch.count {
                let line = Array(batch.bytes[batch.range(k)])
                guard case let .record(record, _) = try RecordDecoder.decode(line: line), case let .access(a) = record else { continue }
                let entry = record.canonicalJSON
                months.insert(PostgresStore.month(ofMillis: a.at.millis))
                let cols = [muni, String(n), text(a.id), "access", String(a.at.millis), String(a.at.jstDate.day), text(a.staff),
                            text(a.office), text(a.register), text(a.person), text(a.caseID), "\\x" + Hex.encode(entry)]
                try ew.write(line: Array(cols.joined(separator: ",").utf8))
                try kw.write(line: Array([muni, text(a.id), String(n), String(a.at.millis)].joined(separator: ",").utf8))
                n += 1
            }
        }
        try ew.close()
        try kw.close()
        var setup = """
            SET client_min_messages = warning;
            DROP TABLE IF EXISTS bench_event, bench_event_key;
            CREATE TABLE bench_event (LIKE event INCLUDING ALL) PARTITION BY RANGE (at);
            CREATE TABLE bench_event_key (LIKE event_key INCLUDING ALL);

            """
        for m in months.sorted() {
            setup += "CREATE TABLE bench_event_m\(m) PARTITION OF bench_event FOR VALUES FROM (\(PostgresStore.startMillis(ofMonth: m))) TO (\(PostgresStore.startMillis(ofMonth: m + 1)));\n"
        }
        _ = try psql(postgres, setup)
        let t = now()
        _ = try psql(postgres, "\\copy bench_event FROM '\(events)' WITH (FORMAT csv)\n\\copy bench_event_key FROM '\(keys)' WITH (FORMAT csv)\n")
        let secs = now() - t
        _ = try psql(postgres, "DROP TABLE bench_event, bench_event_key;")
        try? FileManager.default.removeItem(atPath: events)
        try? FileManager.default.removeItem(atPath: keys)
        return (n, secs)
    }

    /// Runs SQL through the psql tool (script on standard input, stopping at the first error); returns its output.
    func psql(_ url: String, _ script: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("psql failed (is the psql command installed, and the server up?)") }
        return String(decoding: out, as: UTF8.self)
    }
}
