import AkashiDomain
import AkashiInterchange
import AkashiLedger
@testable import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

@Suite("Import rules (akashi-interchange/1 into the embedded store)")
struct ImportTests {
    @Test("every record type is imported and counted")
    func importsAll() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", Sample.all)
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(r.allTaken && r.imported == 10 && r.lines == 10 && r.accessLines == 2)
            let s = try store.stats()
            #expect(s.offices == 2 && s.staff == 1 && s.registers == 1 && s.persons == 1 && s.protections == 1)
            #expect(s.cases == 1 && s.access == 2 && s.selfReports == 1 && s.quarantined == 0 && s.ledgerSize == 2)
        }
    }

    @Test("importing the same data twice changes nothing")
    func idempotent() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", Sample.all)
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            let before = try store.stats()
            let r = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(r.imported == 0 && r.duplicates == 10 && r.allTaken)
            #expect(try store.stats() == before)
            #expect(try store.ledgerSize() == 2)
        }
    }

    @Test("the same ID with other content is a conflict: reported, quarantined, first version kept")
    func conflict() async throws {
        try await withTempDir { dir in
            let changed = Sample.access(1).replacingOccurrences(of: "\"view\"", with: "\"print\"")
            let changedOffice = Sample.office.replacingOccurrences(of: "大正区役所", with: "大正区")
            try writeLines(dir + "/a.jsonl", Sample.all)
            try writeLines(dir + "/b.jsonl", [changed, changedOffice, Sample.access(3)])
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            let r = try await Importer(store: store).run(files: [dir + "/b.jsonl"])
            #expect(r.conflicts == 2 && r.imported == 1 && !r.allTaken)
            #expect(r.problems.map(\.line) == [1, 2])
            #expect(r.problems.allSatisfy { $0.file == dir + "/b.jsonl" && $0.kind == .conflict })
            #expect(r.problems[0].message.contains("E1"))
            // First versions kept.
            var offices: [String] = []
            try store.forEachRecord(.office) { offices.append(String(decoding: $0, as: UTF8.self)) }
            #expect(offices.contains { $0.contains("大正区役所") })
            var access: [String] = []
            try store.forEachRecord(.access) { access.append(String(decoding: $0, as: UTF8.self)) }
            #expect(access.count == 3 && access[0].contains("\"view\""))
            // Quarantined verbatim.
            let q = try String(contentsOfFile: store.quarantinePath, encoding: .utf8)
            #expect(q == changed + "\n" + changedOffice + "\n")
            #expect(try store.stats().quarantined == 2)
        }
    }

    @Test("bad lines are reported with file and line, kept verbatim, and everything valid is imported")
    func rejectedLines() async throws {
        try await withTempDir { dir in
            let bad1 = #"{"type":"access","id":"E9","at":"yesterday","staff":"S1","action":"view","record":"current"}"#
            let bad2 = "{broken"
            let unknown = #"{"type":"vehicle","id":"V1"}"#
            try writeLines(dir + "/a.jsonl", [Sample.office, bad1, "", Sample.access(1), bad2, unknown, Sample.staff])
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(r.rejected == 2 && r.imported == 3 && r.unknownTypes == 1 && !r.allTaken)
            let rejected = r.problems.filter { $0.kind == .rejected }
            #expect(rejected.map(\.line) == [2, 5])
            #expect(rejected[0].description.contains("a.jsonl:2") && rejected[0].message.contains("\"at\""))
            #expect(r.problems.contains { $0.kind == .unknownType && $0.line == 6 })
            let q = try String(contentsOfFile: store.quarantinePath, encoding: .utf8)
            #expect(q == [bad1, bad2, unknown].joined(separator: "\n") + "\n")
            // Re-importing the same bad file does not quarantine the lines twice.
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(try String(contentsOfFile: store.quarantinePath, encoding: .utf8) == q)
        }
    }

    @Test("an access event too long for a ledger entry bundle (over 65,535 bytes) is rejected alone, named by line")
    func oversizedEntryRejected() async throws {
        try await withTempDir { dir in
            // A search whose canonical form is just over the limit, and one just under it.
            func search(_ id: String, results n: Int) -> String {
                let results = (0..<n).map { String(format: "\"P%07d\"", $0) }.joined(separator: ",")
                return #"{"type":"access","id":"\#(id)","at":"2011-03-11T10:00:00+09:00","staff":"S0412","office":"27108","action":"search","record":"current","query":{"name":"浪花"},"results":[\#(results)]}"#
            }
            let big = search("E900", results: 6_000)
            let fits = search("E901", results: 5_900)
            try writeLines(dir + "/a.jsonl", Sample.all + [big, fits, Sample.access(3)])
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(r.rejected == 1 && r.imported == 12 && !r.allTaken)
            #expect(r.problems.count == 1 && r.problems[0].line == 11 && r.problems[0].kind == .rejected)
            #expect(r.problems[0].message.contains("65535") || r.problems[0].message.contains("65,535"))
            #expect(try store.ledgerIndex(ofEvent: "E900") == nil)
            #expect(try store.ledgerIndex(ofEvent: "E901") != nil && store.ledgerSize() == 4)
            #expect(try String(contentsOfFile: store.quarantinePath, encoding: .utf8) == big + "\n")
            // Every entry the ledger took can be published: the bundle holding them encodes.
            let entries = try store.ledgerEntries(0..<4)
            #expect(entries.allSatisfy { $0.count <= EntryBundle.maxEntryLength })
            #expect(entries.contains { $0.count > 60_000 })
        }
    }

    @Test("the ledger's sequencer refuses an entry over 65,535 bytes and appends nothing of that batch")
    func sequencerRefusesOversizedEntry() throws {
        try withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            let items = try Sample.all.enumerated().map { k, line in
                guard case let .record(r, _) = try RecordDecoder.decode(line: Array(line.utf8)) else { throw StoreError(.damaged, "not a record") }
                return IngestItem(record: r, canonical: r.canonicalJSON, raw: [], file: "t", line: k + 1)
            }
            _ = try store.ingest(items)
            #expect(try store.ledgerSize() == 2)
            let at = Timestamp(millis: 1_300_000_000_000)
            let huge = JournalEvent(id: "J-huge", at: at, kind: "test.huge", staff: "S0412", subject: String(repeating: "x", count: 70_000))
            let small = JournalEvent(id: "J-small", at: at, kind: "test.small", staff: "S0412", subject: "ok")
            #expect(throws: LedgerError.self) { try store.appendJournal([small, huge]) }
            #expect(try store.ledgerSize() == 2)
            #expect(try store.appendJournal([small]) == [2])
        }
    }

    @Test("self-reports whose IDs hold `|` keep distinct keys: A|B + C and A + B|C are two answers, not a conflict")
    func selfReportKeysDoNotCollide() async throws {
        try await withTempDir { dir in
            let a = #"{"type":"self_report","survey":"A|B","staff":"C","declares":"none"}"#
            let b = #"{"type":"self_report","survey":"A","staff":"B|C","declares":"some"}"#
            let c = #"{"type":"self_report","survey":"A\\","staff":"|C","declares":"none"}"#
            try writeLines(dir + "/a.jsonl", [a, b, c])
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(r.allTaken && r.imported == 3 && r.conflicts == 0)
            #expect(try store.stats().selfReports == 3)
            // Re-importing is still idempotent.
            let again = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(again.duplicates == 3 && again.imported == 0 && again.allTaken)
            // A store keyed the old way is rewritten by the migration's statement to the keys the records give now.
            try store.executeForTesting("UPDATE self_report SET key = 'old-' || hex(randomblob(8))")
            try store.executeForTesting(Schema.selfReportKeys)
            let keys = Set(try store.selfReportKeysForTesting())
            var want: Set<String> = []
            for line in [a, b, c] {
                guard case let .record(.selfReport(s), _) = try RecordDecoder.decode(line: Array(line.utf8)) else { continue }
                want.insert(s.key)
            }
            #expect(keys == want && want.count == 3)
            await #expect(try Importer(store: store).run(files: [dir + "/a.jsonl"]).duplicates == 3)
        }
    }

    @Test("an unknown type alone does not fail the import")
    func unknownTypeIsNotRejection() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", [Sample.office, #"{"type":"vehicle","id":"V1"}"#])
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(r.allTaken && r.unknownTypes == 1)
        }
    }

    @Test("gzip files import exactly like plain ones")
    func gzip() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", Sample.all)
            try writeLines(dir + "/a.jsonl.gz", Sample.all)
            let plain = try SQLiteStore(directory: dir + "/p")
            let gz = try SQLiteStore(directory: dir + "/g")
            _ = try await Importer(store: plain).run(files: [dir + "/a.jsonl"])
            let r = try await Importer(store: gz).run(files: [dir + "/a.jsonl.gz"])
            #expect(r.imported == 10 && r.allTaken)
            try await Exporter(store: plain).run(to: dir + "/ep")
            try await Exporter(store: gz).run(to: dir + "/eg")
            #expect(try readExport(dir + "/ep") == readExport(dir + "/eg"))
        }
    }

    @Test("a truncated gzip file between two good files: its complete lines and both good files are imported, the damage is reported by file and line")
    func truncatedGzip() async throws {
        try await withTempDir { dir in
            let a = dir + "/a.jsonl", t = dir + "/t.jsonl.gz", b = dir + "/b.jsonl"
            try writeLines(a, [Sample.office, Sample.office2, Sample.staff, Sample.register, Sample.person])
            try writeLines(dir + "/full.jsonl.gz", (0..<2000).map { Sample.access($0) })
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/full.jsonl.gz"))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: t))
            try writeLines(b, [Sample.protection, Sample.kase, Sample.selfReport, Sample.access(5000)])
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [a, t, b])
            #expect(!r.allTaken && r.rejected == 1 && r.conflicts == 0 && r.filesReadInPart == [t])
            let damage = try #require(r.problems.first { $0.file == t })
            let n = damage.line
            #expect(n > 0 && n < 2000 && damage.kind == .rejected)
            #expect(damage.description.hasPrefix(t + ":\(n): rejected: gzip data ends early (truncated file) after line \(n)"))
            // Every complete line before the damage, and everything of both good files, is stored.
            let s = try store.stats()
            #expect(s.offices == 2 && s.staff == 1 && s.registers == 1 && s.persons == 1)
            #expect(s.protections == 1 && s.cases == 1 && s.selfReports == 1 && s.access == n + 1)
            var ids: Set<String> = []
            try store.forEachRecord(.access) { raw in
                let object = try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any]
                ids.insert(object?["id"] as? String ?? "?")
            }
            #expect(ids.symmetricDifference((0..<n).map { "E\($0)" } + ["E5000"]).isEmpty)
            // The line the damage cut off, if any bytes of it were read, is kept verbatim in the quarantine.
            let cutOff = damage.message.contains("incomplete line \(n + 1)")
            #expect(r.lines == 5 + n + (cutOff ? 1 : 0) + 4 && r.imported == 5 + n + 4)
            if cutOff {
                let q = try String(contentsOfFile: store.quarantinePath, encoding: .utf8)
                #expect(q.hasSuffix("\n") && !q.dropLast().contains("\n") && Sample.access(n).hasPrefix(String(q.dropLast())))
                #expect(s.quarantined == 1)
            }
            // In small batches (many batches before the damage) the outcome is the same.
            var small = Importer(store: try SQLiteStore(directory: dir + "/small"))
            small.batchBytes = 4096
            let rs = try await small.run(files: [a, t, b])
            #expect(rs.imported == r.imported && rs.lines == r.lines && rs.rejected == 1 && rs.problems.contains { $0 == damage })
            await #expect(try small.store.stats() == s)
            // Importing the same files again changes nothing and reports the same damage.
            let again = try await Importer(store: store).run(files: [a, t, b])
            #expect(again.imported == 0 && again.duplicates == 5 + n + 4 && again.rejected == 1)
            #expect(again.problems.contains { $0 == damage })
            #expect(try store.stats() == s)
        }
    }

    @Test("a corrupt first file does not lose the later files: nothing of it can be read, and that is reported")
    func corruptGzipFirst() async throws {
        try await withTempDir { dir in
            let c = dir + "/c.jsonl.gz", a = dir + "/a.jsonl"
            // A gzip header with an unknown compression method: zlib refuses the first bytes.
            try Data([0x1F, 0x8B, 0xFF] + [UInt8](repeating: 0, count: 64)).write(to: URL(fileURLWithPath: c))
            try writeLines(a, Sample.all)
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [c, a])
            #expect(r.imported == 10 && r.rejected == 1 && !r.allTaken && r.filesReadInPart == [c])
            #expect(r.problems.count == 1 && r.problems[0].file == c && r.problems[0].line == 0)
            #expect(r.problems[0].message.contains("gzip data is corrupt") && r.problems[0].message.contains("before line 1"))
            #expect(try store.stats().quarantined == 0)
        }
    }

    @Test("gzip data damaged in the middle: the file is reported as corrupt and the next file is still imported")
    func corruptGzipMiddle() async throws {
        try await withTempDir { dir in
            let t = dir + "/m.jsonl.gz", b = dir + "/b.jsonl"
            try writeLines(dir + "/full.jsonl.gz", (0..<2000).map { Sample.access($0) })
            var data = try Data(contentsOf: URL(fileURLWithPath: dir + "/full.jsonl.gz"))
            let mid = data.count / 2
            data.replaceSubrange(mid..<mid + 64, with: [UInt8](repeating: 0xFF, count: 64))
            try data.write(to: URL(fileURLWithPath: t))
            try writeLines(b, Sample.all)
            let store = try SQLiteStore(directory: dir + "/store")
            let r = try await Importer(store: store).run(files: [t, b])
            #expect(!r.allTaken && r.filesReadInPart == [t])
            #expect(r.problems.contains { $0.file == t && $0.kind == .rejected && $0.message.contains("gzip data is corrupt") })
            // Whatever came out before the damage was checked line by line like any other input.
            #expect(r.imported + r.duplicates + r.rejected + r.unknownTypes >= 10 && r.imported >= 10)
            var all: [String] = []
            try store.forEachRecord(.office) { all.append(String(decoding: $0, as: UTF8.self)) }
            #expect(all.count == 2)
        }
    }

    @Test("a file that cannot be opened is still an error, naming the file")
    func missingFileThrows() throws {
        try withTempDir { dir in
            try writeLines(dir + "/a.jsonl", Sample.all)
            let store = try SQLiteStore(directory: dir + "/store")
            #expect { try Importer(store: store).runBlocking(files: [dir + "/a.jsonl", dir + "/missing.jsonl"]) } throws: { error in
                "\(error)".contains("missing.jsonl") && "\(error)".contains("cannot open")
            }
        }
    }

    @Test("records in any order and across files give the same store; references resolve later")
    func orderIndependence() async throws {
        try await withTempDir { dir in
            let lines = Sample.all
            try writeLines(dir + "/x1.jsonl", Array(lines.reversed().prefix(5)))
            try writeLines(dir + "/x2.jsonl", Array(lines.reversed().dropFirst(5)))
            try writeLines(dir + "/y.jsonl", lines)
            let a = try SQLiteStore(directory: dir + "/a")
            let b = try SQLiteStore(directory: dir + "/b")
            let ra = try await Importer(store: a).run(files: [dir + "/x1.jsonl"])
            // The access events came before their staff and register: kept, reported as dangling.
            #expect(ra.dangling.count > 0 && ra.allTaken)
            let ra2 = try await Importer(store: a).run(files: [dir + "/x2.jsonl"])
            #expect(ra2.dangling.count == 0)
            _ = try await Importer(store: b).run(files: [dir + "/y.jsonl"])
            try await Exporter(store: a).run(to: dir + "/ea")
            try await Exporter(store: b).run(to: dir + "/eb")
            let ea = try readExport(dir + "/ea")
            let eb = try readExport(dir + "/eb")
            for (name, content) in ea where name != "access.jsonl" { #expect(content == eb[name], "\(name)") }
            // Access events are in ledger (arrival) order; the same set either way.
            #expect(Set(ea["access.jsonl"]!.split(separator: "\n")) == Set(eb["access.jsonl"]!.split(separator: "\n")))
        }
    }

    @Test("a reference to an unknown ID is reported as dangling from every field that holds one, and kept",
          arguments: LedgerStoreKind.all)
    func danglingFromEveryReferenceField(_ kind: LedgerStoreKind) async throws {
        try await withTempDir { dir in
            let store = try kind.open(dir + "/store")
            try writeLines(dir + "/a.jsonl", Sample.all)
            await #expect(try Importer(store: store).run(files: [dir + "/a.jsonl"]).dangling.count == 0)
            let lines = [
                #"{"type":"staff","id":"S7","name":"x","role":"clerk","assignments":[{"office":"99901","duty":"koseki","from":"2009-04-01"}]}"#,
                #"{"type":"register","id":"R7","kind":"current","honseki":"h","office":"99902","head":"P71","members":["P72"],"predecessors":["R73"],"successors":["R74"]}"#,
                #"{"type":"person","id":"P7","name":"x","register":"R0031877","relations":[{"kind":"spouse","person":"P75"}]}"#,
                #"{"type":"case","id":"C7","office":"99903","kind":"certificate.full","requester":"self","received":"2011-03-11T10:02:00+09:00","status":"done","staff":["S76"],"registers":[],"persons":["P77"]}"#,
                #"{"type":"protection","person":"P78","kind":"vip","from":"2008-02-06"}"#,
                #"{"type":"self_report","survey":"2014-02","staff":"S79","declares":"none"}"#,
                #"{"type":"access","id":"E70","at":"2011-03-11T10:00:00+09:00","staff":"S0412","office":"99904","action":"search","record":"current","query":{"name":"x"},"results":["R0031877","R80"]}"#,
            ]
            try writeLines(dir + "/b.jsonl", lines)
            let r = try await Importer(store: store).run(files: [dir + "/b.jsonl"])
            #expect(r.allTaken && r.imported == lines.count)
            let all = try await store.danglingReferences(fromLedgerIndex: 0, referenceRecords: true, limit: 100)
            let found = Set(all.examples.map { "\($0.from) \($0.field) \($0.id)" })
            let want: Set<String> = [
                "staff S7 assignments[].office 99901", "register R7 office 99902", "register R7 head P71",
                "register R7 members P72", "register R7 predecessors R73", "register R7 successors R74",
                "person P7 relations[].person P75", "case C7 office 99903", "case C7 persons P77", "case C7 staff S76",
                "protection P78|vip|2008-02-06 person P78", "self_report 2014-02|S79 staff S79",
                "access E70 office 99904", "access E70 results R80",
            ]
            #expect(found.subtracting(want).isEmpty, "unexpected: \(found.subtracting(want))")
            #expect(want.subtracting(found).isEmpty, "missing: \(want.subtracting(found))")
            #expect(all.count == want.count && r.dangling.count == want.count)
            // An import of events alone reports only its own events' references (the records' were reported before).
            try writeLines(dir + "/c.jsonl", [Sample.access(40)])
            let rc = try await Importer(store: store).run(files: [dir + "/c.jsonl"])
            #expect(rc.allTaken && rc.imported == 1 && rc.dangling.count == 0)
        }
    }

    @Test("import(export(x)) = x, byte for byte, with the same ledger root")
    func exportRoundTrip() async throws {
        try await withTempDir { dir in
            var lines = Sample.all
            lines += (10..<300).map { Sample.access($0) }
            lines.append(#"{"type":"access","id":"S-1","at":"2011-03-11T10:15:00Z","staff":"S0412","action":"search","record":"current","query":{"name":"なにわ","b":[1,2.5e3,{"z":null,"a":true}]},"results":[]}"#)
            try writeLines(dir + "/a.jsonl", lines)
            let a = try SQLiteStore(directory: dir + "/a")
            _ = try await Importer(store: a).run(files: [dir + "/a.jsonl"])
            try await Exporter(store: a).run(to: dir + "/e1")
            let b = try SQLiteStore(directory: dir + "/b")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/e1").sorted().map { dir + "/e1/" + $0 }
            let r = try await Importer(store: b).run(files: files)
            #expect(r.allTaken && r.imported == lines.count)
            try await Exporter(store: b).run(to: dir + "/e2")
            #expect(try readExport(dir + "/e1") == readExport(dir + "/e2"))
            #expect(try a.stats() == b.stats())
            let rootA = try await LedgerService(store: a).root(size: a.ledgerSize())
            let rootB = try await LedgerService(store: b).root(size: b.ledgerSize())
            #expect(rootA == rootB)
        }
    }

    @Test("nothing can edit or delete a stored event")
    func appendOnly() async throws {
        try await withTempDir { dir in
            // Enough events for a full level-0 tile (a partial one is not stored: it is derived from the entries).
            try writeLines(dir + "/a.jsonl", Sample.all + (10..<300).map { Sample.access($0) })
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(throws: (any Error).self) { try store.executeForTesting("UPDATE event SET staff = 'S9' WHERE id = 'E1'") }
            #expect(throws: (any Error).self) { try store.executeForTesting("DELETE FROM event WHERE id = 'E1'") }
            #expect(throws: (any Error).self) { try store.executeForTesting("DELETE FROM ledger_tile") }
            #expect(throws: (any Error).self) { try store.executeForTesting("UPDATE ledger_tile SET hashes = zeroblob(32)") }
            #expect(try store.stats().access == 292)
        }
    }
}
