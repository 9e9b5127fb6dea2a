import Foundation
import Testing

@Suite("--store paths")
struct StorePathTests {
    @Test("a mistyped store is an argument error (exit 2) that creates nothing, and export overwrites nothing")
    func missingStore() async throws {
        try await withTempDir { dir in
            let out = dir + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try "kept\n".write(toFile: out + "/office.jsonl", atomically: true, encoding: .utf8)
            let typo = dir + "/typo"
            for args in [["export", "--store", typo, "--out", out], ["stats", "--store", typo],
                         ["audit", "--store", typo], ["ledger", "verify", "--store", typo]] {
                let (status, _, err) = try await runAkashi(args)
                #expect(status == 2, "\(args): \(status) \(err)")
                #expect(err.contains("--store \(typo): no Akashi store there"), "\(args): \(err)")
            }
            #expect(!FileManager.default.fileExists(atPath: typo))
            #expect(try String(contentsOfFile: out + "/office.jsonl", encoding: .utf8) == "kept\n")
            // A file given as the store: named as such, for import too, with no Foundation error text.
            let file = dir + "/afile"
            try "x".write(toFile: file, atomically: true, encoding: .utf8)
            for args in [["stats", "--store", file], ["import", out + "/office.jsonl", "--store", file]] {
                let (status, _, err) = try await runAkashi(args)
                #expect(status == 2 && err.contains("is a file, not a store directory") && !err.contains("NSCocoaErrorDomain"),
                        "\(args): \(status) \(err)")
            }
            // import still creates a store where there is none.
            try writeLines(dir + "/a.jsonl", [Sample.office])
            let (status, _, err) = try await runAkashi(["import", dir + "/a.jsonl", "--store", dir + "/new"])
            #expect(status == 0, "\(err)")
            #expect(try await runAkashi(["stats", "--store", dir + "/new"]).status == 0)
        }
    }

    @Test("retest N-6: a store is its owner's only: the directory 0700 and the database files 0600, an older one tightened on open")
    func ownerOnly() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", [Sample.office])
            let store = dir + "/new"
            #expect(try await runAkashi(["import", dir + "/a.jsonl", "--store", store]).status == 0)
            func mode(_ path: String) throws -> Int {
                try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
            }
            #expect(try mode(store) == 0o700)
            #expect(try mode(store + "/akashi.sqlite") == 0o600)
            // A store made world-readable (as they were before) is tightened the next time it is opened.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: store)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store + "/akashi.sqlite")
            #expect(try await runAkashi(["stats", "--store", store]).status == 0)
            #expect(try mode(store) == 0o700)
            #expect(try mode(store + "/akashi.sqlite") == 0o600)
        }
    }

    /// Runs akashi with a file-size limit (`ulimit -f`, in 512-byte blocks; SIGXFSZ ignored), so that any write past
    /// `blocks` fails as on a full disk, without root or a small file system.
    func runLimited(_ blocks: Int, _ args: [String]) async throws -> (status: Int32, out: String, err: String) {
        let quoted = ([try akashiExecutable()] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let script = "trap '' XFSZ; ulimit -f \(blocks); exec " + quoted.joined(separator: " ")
        return try await onThread { try runProcessBlocking("/bin/bash", ["-c", script]) }
    }

    @Test("fault test: an import the store stops (no room to write) exits 3 and says so; reads need no room; the same import again completes it")
    func fullStore() async throws {
        try await withTempDir { dir in
            let store = dir + "/store"
            try writeLines(dir + "/a.jsonl", Sample.all)
            #expect(try await runAkashi(["import", dir + "/a.jsonl", "--store", store]).status == 0)
            // Many more events than the limit leaves room for.
            try writeLines(dir + "/more.jsonl", (1_000..<9_000).map { Sample.access($0) })
            let size = try (FileManager.default.attributesOfItem(atPath: store + "/akashi.sqlite")[.size] as? NSNumber)?.intValue ?? 0
            let stopped = try await runLimited(size / 512 + 64, ["import", dir + "/more.jsonl", "--store", store])
            #expect(stopped.status == 3, "\(stopped.status) \(stopped.err)")
            #expect(stopped.err.contains("akashi import: stopped") && stopped.err.contains("run the same import again"), "\(stopped.err)")
            // (Not export: it writes its own output, which the limit covers too.)
            let reads = [["stats", "--store", store, "--format", "json"], ["ledger", "verify", "--store", store],
                         ["audit", "--no-run", "--all", "--store", store]]
            // Right after the stop, the commits made before it are still in the write-ahead log, which no process has
            // open: a reader must rebuild its index in akashi.sqlite-shm, and that takes room. Where there is none,
            // a reading command says so (never a bare I/O error).
            for args in reads {
                let r = try await runLimited(0, args)
                #expect(r.status == 0 || (r.status == 1 && r.err.contains("write-ahead log holds commits")), "\(args): \(r.status) \(r.err)")
            }
            let again = try await runAkashi(["import", dir + "/more.jsonl", "--store", store])
            #expect(again.status == 0, "\(again.err)")
            // A store its last writer closed normally: reading commands write nothing, so they work where no byte can
            // be written (before, closing wrote a checkpoint, and a full disk failed a read).
            for args in reads {
                let r = try await runLimited(0, args)
                #expect(r.status == 0, "\(args): \(r.status) \(r.err)")
            }
            let stats = try await runAkashi(["stats", "--store", store, "--format", "json"])
            let counts = try JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any]
            #expect(counts?["access"] as? Int == 8_002, "\(stats.out)")
            #expect(try await runAkashi(["ledger", "verify", "--store", store]).status == 0)
        }
    }

    @Test("a store that looks like a URL never becomes a directory: exit 2, the fault named, no password echoed")
    func urlStores() async throws {
        try await withTempDir { dir in
            let cwd = FileManager.default.currentDirectoryPath
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: cwd))
            try writeLines(dir + "/a.jsonl", [Sample.office])
            // Port 1 on loopback: nothing listens there, so the connection is refused at once.
            let cases: [(url: String, says: String)] = [
                ("postgres://postgres@127.0.0.1:1/akashi", "could not be reached"),
                ("postgresql://clerk:s3cretpw@db.example/akashi", "carries a password"),
                ("postgres://postgres@127.0.0.1:1/akashi?sslmode=require", "unknown URL parameter 'sslmode'"),
                ("postgres://127.0.0.1:1/akashi", "names no user"),
                ("file:store", "not a known kind of store URL"),
                ("https://example.org/store", "not a known kind of store URL"),
            ]
            for (url, says) in cases {
                for args in [["import", dir + "/a.jsonl", "--store", url], ["stats", "--store", url],
                             ["audit", "--store", url], ["ledger", "verify", "--store", url]] {
                    let (status, _, err) = try await runAkashi(args)
                    #expect(status == 2, "\(args): \(status) \(err)")
                    #expect(err.contains(says) && err.contains("Nothing was created"), "\(args): \(err)")
                    #expect(!err.contains("s3cretpw") && !err.contains("clerk:"), "\(args): \(err)")
                }
            }
            let after = Set(try FileManager.default.contentsOfDirectory(atPath: cwd))
            #expect(after.subtracting(before).filter { $0.contains(":") }.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: cwd + "/postgres:"))
            // A path with a colon further in is still a path.
            let odd = dir + "/store:2026"
            #expect(try await runAkashi(["import", dir + "/a.jsonl", "--store", odd]).status == 0)
        }
    }

    @Test("AKASHI_STORE names the store when --store is not given; --store wins; neither is an argument error (exit 2)")
    func storeFromEnvironment() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", [Sample.office])
            let store = dir + "/store"
            #expect(try await runAkashi(["import", dir + "/a.jsonl"], environment: ["AKASHI_STORE": store]).status == 0)
            #expect(FileManager.default.fileExists(atPath: store))
            #expect(try await runAkashi(["stats"], environment: ["AKASHI_STORE": store]).status == 0)
            // --store wins over the environment.
            let other = try await runAkashi(["stats", "--store", dir + "/typo"], environment: ["AKASHI_STORE": store])
            #expect(other.status == 2 && other.err.contains("--store \(dir)/typo: no Akashi store there"), "\(other.err)")
            // Neither (an empty AKASHI_STORE is unset): exit 2, saying how to give one.
            for env in [["AKASHI_STORE": nil], ["AKASHI_STORE": ""]] as [[String: String?]] {
                let none = try await runAkashi(["stats"], environment: env)
                #expect(none.status == 2 && none.err.contains("--store is missing"), "\(none.err)")
            }
            // A URL in the environment is checked like one on the command line, and the password is never echoed.
            let url = try await runAkashi(["stats"], environment: ["AKASHI_STORE": "postgres://clerk:s3cretpw@db/akashi"])
            #expect(url.status == 2 && url.err.contains("carries a password") && !url.err.contains("s3cretpw"), "\(url.err)")
        }
    }
}
