import AkashiLedger
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

/// A small store with a signed checkpoint, its signing key file (mode 0600) and verifier key text.
private struct CLIFixture {
    let dir: String
    let store: String
    let keyFile: String
    let signer: NoteSigner

    init(_ dir: String) async throws {
        self.dir = dir
        store = dir + "/store"
        let input = dir + "/input.jsonl"
        try writeLines(input, Sample.all)
        let s = try SQLiteStore(directory: store)
        _ = try await Importer(store: s).run(files: [input])
        signer = try NoteSigner.generate(name: "cli.akashi.example/ledger")
        try await LedgerService(store: s).signCheckpoint(with: signer)
        keyFile = dir + "/k.key"
        guard FileManager.default.createFile(atPath: keyFile, contents: Data((signer.privateKeyText + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw LedgerProblem("cannot write \(keyFile)")
        }
    }

    /// The private key's base64 part (after `PRIVATE+KEY+<name>+<key ID>+`).
    var secret: String {
        String(signer.privateKeyText.dropFirst(12).split(separator: "+", maxSplits: 2).last!)
    }
}

@Suite("Command-line argument errors")
struct CLIArgumentErrorTests {
    @Test("the private key file given as --verifier-key: refused as a private key, its text never shown")
    func privateKeyAsVerifier() async throws {
        try await withTempDir { dir in
            let f = try await CLIFixture(dir)
            let checkpoint = dir + "/cp.txt"
            let cp = try await runAkashi(["ledger", "checkpoint", "--store", f.store])
            #expect(cp.status == 0, "\(cp.err)")
            try cp.out.write(toFile: checkpoint, atomically: true, encoding: .utf8)
            for args in [
                ["ledger", "verify", "--store", f.store, "--verifier-key", f.keyFile],
                ["ledger", "check", "--store", f.store, "--old", checkpoint, "--verifier-key", f.keyFile],
                ["verify-receipt", "--receipt", checkpoint, "--entry", checkpoint, "--verifier-key", f.keyFile],
                ["ledger", "verify", "--store", f.store, "--verifier-key", f.signer.privateKeyText],
            ] {
                let r = try await runAkashi(args)
                #expect(r.status == 2, "\(args): \(r.status) \(r.err)")
                #expect(!(r.out + r.err).contains(f.secret), "\(args): \(r.err)")
                #expect(r.err.contains("--verifier-key") && r.err.contains("private signing key"), "\(args): \(r.err)")
            }
        }
    }
}

@Suite("Command-line argument errors: reports")
struct CLIReportArgumentTests {
    @Test("reconcile --survey with no answers in the store: exit 2 naming the survey, before auditing")
    func reconcileUnknownSurvey() async throws {
        try await withTempDir { dir in
            let f = try await CLIFixture(dir)
            let r = try await runAkashi(["reconcile", "--store", f.store, "--survey", "NOSUCH"])
            #expect(r.status == 2, "\(r.status) \(r.out) \(r.err)")
            #expect(r.err.contains("no self-report answers for survey NOSUCH in the store"), "\(r.err)")
            #expect(r.out.isEmpty)
            let ok = try await runAkashi(["reconcile", "--store", f.store, "--survey", "2014-02", "--format", "table"])
            #expect(ok.status == 0, "\(ok.err)")
        }
    }

    @Test("serve on a non-loopback host needs --secure-cookies (or --allow-plain-http): Akashi itself speaks plain HTTP")
    func servePlainHTTPRefused() async throws {
        try await withTempDir { dir in
            let f = try await CLIFixture(dir)
            let r = try await runAkashi(["serve", "--store", f.store, "--host", "0.0.0.0", "--port", "0"])
            #expect(r.status == 2 && r.err.contains("--host 0.0.0.0 is reachable from other machines"), "\(r.status) \(r.err)")
        }
    }

    @Test("disclose --letter: refused with --auditor (the letter never names staff); recorded in the ledger when made")
    func letterFromTheCommandLine() async throws {
        try await withTempDir { dir in
            let f = try await CLIFixture(dir)
            let base = ["disclose", "--store", f.store, "--person", "P0092771", "--from", "2011-01-01", "--to", "2011-12-31",
                        "--format", "html", "--letter"]
            let refused = try await runAkashi(base + ["--auditor"])
            #expect(refused.status == 2 && refused.err.contains("cannot go with --auditor"), "\(refused.status) \(refused.err)")
            let store = try SQLiteStore(directory: f.store)
            let before = try store.ledgerSize()
            let made = try await runAkashi(base)
            #expect(made.status == 0, "\(made.err)")
            let after = try SQLiteStore(directory: f.store)
            let entries = try after.ledgerEntries(before..<(try after.ledgerSize())).map { String(decoding: $0, as: UTF8.self) }
            #expect(entries.count == 1)
            #expect(entries.first?.contains("\"kind\":\"access_code.create\"") == true && entries.first?.contains("P0092771") == true)
        }
    }
}

@Suite("Command-line argument errors: audit")
struct CLIAuditArgumentTests {
    @Test("audit --from after --to is an argument error (exit 2); a one-day period is fine")
    func fromAfterTo() async throws {
        try await withTempDir { dir in
            let f = try await CLIFixture(dir)
            for (from, to) in [("2014-02-01", "2014-01-01"), ("2014-01-02T00:00:01+09:00", "2014-01-01")] {
                let r = try await runAkashi(["audit", "--store", f.store, "--from", from, "--to", to])
                #expect(r.status == 2, "\(from) \(to): \(r.status) \(r.err)")
                #expect(r.err.contains("--from \(from) is after --to \(to)"), "\(r.err)")
            }
            let ok = try await runAkashi(["audit", "--store", f.store, "--from", "2011-03-11", "--to", "2011-03-11", "--all"])
            #expect(ok.status == 0, "\(ok.err)")
            #expect(!ok.out.isEmpty)
        }
    }
}

@Suite("Command-line argument errors: ledger check --old")
struct CLICheckOldTests {
    @Test("an unreadable or non-checkpoint --old is an argument error (exit 2); a failing log still exits 1")
    func oldFile() async throws {
        try await withTempDir { dir in
            let f = try await CLIFixture(dir)
            let cp = try await runAkashi(["ledger", "checkpoint", "--store", f.store])
            #expect(cp.status == 0, "\(cp.err)")
            let good = dir + "/cp.txt", text = dir + "/text.txt", binary = dir + "/bin", forged = dir + "/forged.txt"
            try cp.out.write(toFile: good, atomically: true, encoding: .utf8)
            try "hello\n".write(toFile: text, atomically: true, encoding: .utf8)
            try Data([0xFF, 0xFE, 0x00, 0x0A]).write(to: URL(fileURLWithPath: binary))
            // The same note with another root hash: well-formed, but its signature no longer verifies.
            var lines = cp.out.components(separatedBy: "\n")
            lines[2] = String(repeating: "A", count: 43) + "="
            try lines.joined(separator: "\n").write(toFile: forged, atomically: true, encoding: .utf8)
            let verifier = f.signer.verifier.text
            func check(_ old: String, stdin: Data? = nil) async throws -> (status: Int32, out: String, err: String) {
                try await runAkashi(["ledger", "check", "--store", f.store, "--old", old, "--verifier-key", verifier], stdin: stdin)
            }
            await #expect(try check(good).status == 0)
            await #expect(try check("-", stdin: Data(cp.out.utf8)).status == 0)
            for (old, message) in [
                (dir + "/nosuch", "--old \(dir)/nosuch: no such file"),
                (dir, "--old \(dir): is a directory"),
                (binary, "--old \(binary): not a text file"),
                (text, "--old \(text): not a signed checkpoint note"),
                (f.keyFile, "--old \(f.keyFile): not a signed checkpoint note"),
            ] {
                let r = try await check(old)
                #expect(r.status == 2, "\(old): \(r.status) \(r.err)")
                #expect(r.err.contains(message), "\(old): \(r.err)")
                #expect(!r.err.contains("check FAILED") && !r.err.contains("NSCocoaErrorDomain"), "\(old): \(r.err)")
                #expect(!r.err.contains(f.secret))
            }
            let r = try await check("-", stdin: Data("not a note".utf8))
            #expect(r.status == 2 && r.err.contains("--old -: not a signed checkpoint note"), "\(r.err)")
            let bad = try await check(forged)
            #expect(bad.status == 1, "\(bad.status) \(bad.err)")
            #expect(bad.err.contains("check FAILED"), "\(bad.err)")
        }
    }
}

@Suite("Command-line argument errors: unusable files")
struct CLIFileArgumentTests {
    @Test("key files, verifier key files and reports that are missing, directories, binary or damaged: exit 2, plain words")
    func unusableFiles() async throws {
        try await withTempDir { dir in
            let f = try await CLIFixture(dir)
            let directory = dir + "/adir", binary = dir + "/binary"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: binary, contents: Data([0xFF, 0xFE, 0x00, 0x80]),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw LedgerProblem("cannot write \(binary)")
            }
            let verifier = f.signer.verifier.text
            let disclosed = try await runAkashi(["disclose", "--store", f.store, "--person", "P0092771",
                                           "--from", "2011-01-01", "--to", "2011-12-31"])
            #expect(disclosed.status == 0, "\(disclosed.err)")
            var json = try #require(try JSONSerialization.jsonObject(with: Data(disclosed.out.utf8)) as? [String: Any])
            json["period"] = nil
            let report = dir + "/report.json", damaged = dir + "/damaged.json", wrongType = dir + "/wrong-type.json"
            let truncated = dir + "/truncated.json"
            try disclosed.out.write(toFile: report, atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: damaged))
            json = try #require(try JSONSerialization.jsonObject(with: Data(disclosed.out.utf8)) as? [String: Any])
            json["subject"] = ["type": 1]
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: wrongType))
            try String(disclosed.out.prefix(80)).write(toFile: truncated, atomically: true, encoding: .utf8)
            await #expect(try runAkashi(["verify-receipt", "--report", report, "--verifier-key", verifier]).status == 0)

            for (args, message) in [
                (["ledger", "checkpoint", "--store", f.store, "--key", directory], "--key \(directory): is a directory"),
                (["ledger", "checkpoint", "--store", f.store, "--key", binary], "--key \(binary): not an Akashi signing key"),
                (["ledger", "verify", "--store", f.store, "--verifier-key", directory], "--verifier-key \(directory): is a directory"),
                (["ledger", "verify", "--store", f.store, "--verifier-key", binary], "--verifier-key \(binary): not a text file"),
                (["ledger", "verify", "--store", f.store, "--verifier-key", dir + "/nosuch.pub"],
                 "--verifier-key \(dir)/nosuch.pub: no such file"),
                (["verify-receipt", "--report", dir + "/nosuch.json", "--verifier-key", verifier],
                 "--report \(dir)/nosuch.json: no such file"),
                (["verify-receipt", "--report", directory, "--verifier-key", verifier], "--report \(directory): is a directory"),
                (["verify-receipt", "--report", damaged, "--verifier-key", verifier],
                 "--report \(damaged): not a disclosure report (field \"period\": missing)"),
                (["verify-receipt", "--report", wrongType, "--verifier-key", verifier],
                 "--report \(wrongType): not a disclosure report (field \"subject.type\": expected a string)"),
                (["verify-receipt", "--report", truncated, "--verifier-key", verifier],
                 "--report \(truncated): not a disclosure report (not valid JSON)"),
                (["verify-receipt", "--report", binary, "--verifier-key", verifier], "--report \(binary): not a disclosure report"),
                (["verify-receipt", "--receipt", directory, "--entry", report, "--verifier-key", verifier],
                 "--receipt \(directory): is a directory"),
                (["verify-receipt", "--receipt", report, "--entry", dir + "/nosuch", "--verifier-key", verifier],
                 "--entry \(dir)/nosuch: no such file"),
            ] {
                let r = try await runAkashi(args)
                #expect(r.status == 2, "\(args): \(r.status) \(r.err)")
                #expect(r.err.contains(message), "\(args): \(r.err)")
                for raw in ["NSCocoaErrorDomain", "DecodingError", "CodingKeys", "Debug description"] {
                    #expect(!r.err.contains(raw), "\(args): \(r.err)")
                }
            }
        }
    }
}
