import AkashiCity
import Foundation
import Testing

/// The same city on both stores, through the command line as an operator runs it: `akashi import` then
/// `akashi audit --all --format jsonl` must flag exactly the same accesses, the exports must be identical, both ledgers
/// must verify, and nothing may appear in the working directory.
@Suite("PostgreSQL beside SQLite: the same answers", .enabled(if: TestPostgres.url != nil, "\(TestPostgres.skipReason)"))
struct PostgresParityTests {
    @Test("import and audit of one generated city flag exactly the same accesses on both stores", .timeLimit(.minutes(10)))
    func sameFindings() async throws {
        guard let base = TestPostgres.url else { return }
        try await withTempDir { dir in
            var config = CityConfig()
            config.scale = 0.002
            config.seed = 11
            config.misuse = true
            config.scenario = .osaka2014
            _ = try CityGenerator(config: config).write(to: dir + "/city")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/city").filter { $0.hasSuffix(".jsonl") }
                .sorted().map { dir + "/city/" + $0 }
            let cwd = FileManager.default.currentDirectoryPath
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: cwd))
            let sqlite = dir + "/store"
            let postgres = base + "?municipality=" + TestPostgres.freshName()
            var audits: [String] = []
            var exports: [[String: String]] = []
            for store in [sqlite, postgres] {
                let imported = try await runAkashi(["import"] + files + ["--store", store])
                #expect(imported.status == 0, "import on \(store): \(imported.err)")
                let audit = try await runAkashi(["audit", "--all", "--format", "jsonl", "--store", store])
                #expect(audit.status == 0, "audit on \(store): \(audit.err)")
                #expect(!audit.out.isEmpty)
                audits.append(audit.out)
                let out = dir + "/export-\(audits.count)"
                let exported = try await runAkashi(["export", "--store", store, "--out", out])
                #expect(exported.status == 0, "export on \(store): \(exported.err)")
                exports.append(try readExport(out))
                let verified = try await runAkashi(["ledger", "verify", "--store", store])
                #expect(verified.status == 0, "verify on \(store): \(verified.out) \(verified.err)")
            }
            let flagged = audits.map { $0.split(separator: "\n").filter { $0.contains("\"flagged\":true") }.count }
            #expect(flagged[0] > 0, "the city has labelled misuse: some accesses must be flagged")
            #expect(audits[0] == audits[1], "findings differ: SQLite flagged \(flagged[0]), PostgreSQL \(flagged[1])")
            #expect(exports[0] == exports[1])
            let after = Set(try FileManager.default.contentsOfDirectory(atPath: cwd))
            #expect(after == before, "files appeared in the working directory: \(after.subtracting(before))")
        }
    }

    @Test("a command on a municipality with nothing stored is an argument error (exit 2), like a mistyped directory")
    func emptyMunicipality() async throws {
        guard let base = TestPostgres.url else { return }
        let name = TestPostgres.freshName()
        for args in [["stats"], ["audit"], ["ledger", "verify"], ["export", "--out", NSTemporaryDirectory() + "akashi-none-" + name]] {
            let r = try await runAkashi(args + ["--store", base + "?municipality=" + name])
            #expect(r.status == 2 && r.err.contains("no Akashi data for municipality \(name)"), "\(args): \(r.status) \(r.err)")
        }
    }
}
