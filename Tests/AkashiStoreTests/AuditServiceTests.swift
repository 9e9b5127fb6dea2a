import AkashiAudit
import AkashiCity
import AkashiDomain
import AkashiInterchange
@testable import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

/// A small generated city, written once per process and shared by the tests that only read it (the PostgreSQL
/// audit tests too).
enum TinyCity {
    /// (directory, truth) of a city with the osaka-2014 scenario and labelled misuse.
    static let city: Result<String, any Error> = Result {
        let dir = NSTemporaryDirectory() + "akashi-audit-city-" + UUID().uuidString
        var config = CityConfig()
        config.scale = 0.002
        config.seed = 7
        config.misuse = true
        config.scenario = .osaka2014
        _ = try CityGenerator(config: config).write(to: dir)
        return dir
    }

    static func dir() throws -> String { try city.get() }

    static func files(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jsonl") }.sorted()
            .map { dir + "/" + $0 }
    }

    static func truth(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/truth.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

/// Every finding of a store by access ID.
private func allFindings(_ store: SQLiteStore) throws -> [String: AccessFinding] {
    var out: [String: AccessFinding] = [:]
    try store.forEachFinding(FindingFilter()) { out[$0.finding.access] = $0.finding }
    return out
}

/// The ledger's `audit.finding` journal entries: subject → count (of either store; the PostgreSQL tests use it too).
func auditJournal(_ store: some AkashiStore) async throws -> [String: Int] {
    var out: [String: Int] = [:]
    try await store.forEachEvent { e in
        guard e.type == "journal",
              let o = try JSONSerialization.jsonObject(with: Data(e.entry)) as? [String: Any],
              o["kind"] as? String == "audit.finding", let subject = o["subject"] as? String else { return }
        out[subject, default: 0] += 1
    }
    return out
}

@Suite("Audit service over the embedded store")
struct AuditServiceTests {
    @Test("plainly explained accesses read back with the event's own ID, staff, time and register")
    func plainRowsFromEvents() async throws {
        let city = try TinyCity.dir()
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: try TinyCity.files(city))
            _ = try await AuditService(store: store).run()
            #expect(try store.findingLayout().plain > 1000)
            var events: [UInt64: StoredEvent] = [:]
            try await store.forEachEvent { e in if e.type == "access" { events[e.seq] = e } }
            var plain: [StoredFinding] = []
            try store.forEachFinding(FindingFilter()) { sf in
                let f = sf.finding
                if f.explained, f.score == 0, !f.flagged, f.reasons.isEmpty { plain.append(sf) }
            }
            #expect(plain.count >= 1000)
            for sf in plain.prefix(3000) {
                let f = sf.finding
                let e = try #require(events[sf.seq])
                #expect(f.access == e.id && f.staff == e.staff && f.register == e.register && f.at.millis == e.atMillis)
                let entry = try #require(try JSONSerialization.jsonObject(with: Data(e.entry)) as? [String: Any])
                #expect(f.at.description == entry["at"] as? String)
                if let p = e.person { #expect(f.person == p) }
                #expect(f.office == e.office || e.office == nil)
            }
            // The same rows by access ID.
            let sample = plain.prefix(50)
            let byID = try store.findings(accessIDs: sample.map(\.finding.access))
            #expect(byID == Array(sample).sorted { $0.seq < $1.seq })
        }
    }

    @Test("osaka-2014 end to end: both clerks flagged vip, unexplained; nothing of the mayor's own request flagged")
    func osaka2014() async throws {
        let city = try TinyCity.dir()
        let truth = try TinyCity.truth(city)
        let scenario = try #require(truth["scenario"] as? [String: Any])
        let accesses = try #require(scenario["accesses"] as? [String])
        let mayor = try #require(scenario["mayor"] as? [String: Any])
        let mayorCases = Set(scenario["mayor_cases"] as? [String] ?? [])
        let mayorRegisters = [mayor["register"] as? String, mayor["heisei_original"] as? String].compactMap { $0 }
        let mayorPerson = try #require(mayor["person"] as? String)
        #expect(accesses.count == 10)
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: try TinyCity.files(city))
            let summary = try await AuditService(store: store).run()
            let accessCount = try store.stats().access
            #expect(summary.fullSweep && summary.audited == accessCount)
            let found = try store.findings(accessIDs: accesses)
            #expect(found.count == 10)
            for sf in found {
                let f = sf.finding
                #expect(f.flagged, "\(f.access)")
                #expect(f.reasonCodes.contains("vip"), "\(f.access) \(f.reasonCodes)")
                #expect(!f.explained && f.explanation == nil, "\(f.access)")
            }
            // Everything else that touched the mayor (the mayor's own certificate request) is not flagged.
            let scenarioSet = Set(accesses)
            var mayorWork: [AccessFinding] = []
            for r in mayorRegisters {
                mayorWork += try await AuditService(store: store).findings(register: r).map(\.finding)
            }
            mayorWork += try await AuditService(store: store).findings(person: mayorPerson).map(\.finding)
            let own = mayorWork.filter { !scenarioSet.contains($0.access) }
            #expect(!own.isEmpty)
            for f in own {
                #expect(!f.flagged, "\(f.access) \(f.reasonCodes)")
                if let c = f.explanation?.caseID, !mayorCases.isEmpty { #expect(mayorCases.contains(c) || f.explained) }
            }
            // The two clerks lead the scenario's part of the staff ranking and are in the journal.
            let clerks = Set((scenario["clerks"] as? [String: String] ?? [:]).values)
            let ranking = try await AuditService(store: store).staffRanking()
            for c in clerks { #expect((ranking.first { $0.staff == c }?.flagged ?? 0) >= 2) }
            let journal = try await auditJournal(store)
            for a in accesses { #expect(journal[a] == 1, "\(a)") }
        }
    }

    @Test("incremental equals full: half the events, then the rest, gives the same findings as one run")
    func incrementalEqualsFull() async throws {
        let city = try TinyCity.dir()
        try await withTempDir { dir in
            // Split access.jsonl in two.
            let lines = try String(contentsOfFile: city + "/access.jsonl", encoding: .utf8).split(separator: "\n")
                .map(String.init)
            let half = lines.count / 2
            try writeLines(dir + "/first.jsonl", Array(lines[..<half]))
            try writeLines(dir + "/second.jsonl", Array(lines[half...]))
            let reference = try TinyCity.files(city).filter { !$0.hasSuffix("/access.jsonl") }

            let a = try SQLiteStore(directory: dir + "/a")
            _ = try await Importer(store: a).run(files: reference + [dir + "/first.jsonl"])
            let s1 = try await AuditService(store: a).run()
            #expect(s1.audited == half)
            _ = try await Importer(store: a).run(files: [dir + "/second.jsonl"])
            let s2 = try await AuditService(store: a).run()
            #expect(!s2.fullSweep && s2.audited == lines.count - half && s2.newCases == 0)
            // A third run has nothing to do.
            let s3 = try await AuditService(store: a).run()
            #expect(s3.audited == 0 && s3.journaled == 0)

            let b = try SQLiteStore(directory: dir + "/b")
            _ = try await Importer(store: b).run(files: try TinyCity.files(city))
            _ = try await AuditService(store: b).run()

            let fa = try allFindings(a), fb = try allFindings(b)
            #expect(fa.count == lines.count && fb.count == lines.count)
            let differing = fb.keys.filter { fa[$0] != fb[$0] }.sorted()
            #expect(differing.isEmpty, "\(differing.prefix(5))")
            // Each flagged access is in the ledger exactly once, in both stores.
            let flagged = Set(fb.values.filter(\.flagged).map(\.access))
            #expect(!flagged.isEmpty)
            let ja = try await auditJournal(a), jb = try await auditJournal(b)
            #expect(Set(ja.keys) == flagged && Set(jb.keys) == flagged)
            #expect(ja.values.allSatisfy { $0 == 1 } && jb.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("a late-keyed case re-audits the earlier access it explains, through the store")
    func lateKeyedCase() async throws {
        try await withTempDir { dir in
            // The clerk views the mayor's register at 10:00; the request is keyed in at 10:30 and arrives later.
            let access = #"{"type":"access","id":"E_LATE","at":"2011-03-11T10:00:00+09:00","staff":"S0412","office":"27108","action":"view","record":"current","register":"R0031877"}"#
            let lateCase = #"{"type":"case","id":"C_LATE","office":"27108","kind":"certificate.full","requester":"self","received":"2011-03-11T10:30:00+09:00","closed":"2011-03-11T10:40:00+09:00","status":"done","staff":["S0412"],"registers":["R0031877"],"persons":["P0092771"]}"#
            try writeLines(dir + "/a.jsonl", [Sample.office, Sample.office2, Sample.staff, Sample.register, Sample.person,
                                              Sample.protection, access])
            try writeLines(dir + "/b.jsonl", [lateCase])
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            let service = AuditService(store: store)
            let s1 = try await service.run()
            #expect(s1.audited == 1 && s1.newlyFlagged == 1 && s1.journaled == 1)
            let before = try await #require(try service.findings(accessIDs: ["E_LATE"]).first?.finding)
            #expect(before.flagged && !before.explained && before.reasonCodes.contains("vip"))

            _ = try await Importer(store: store).run(files: [dir + "/b.jsonl"])
            let s2 = try await service.run()
            #expect(s2.audited == 0 && s2.newCases == 1 && s2.reaudited == 1 && s2.changed == 1)
            let after = try await #require(try service.findings(accessIDs: ["E_LATE"]).first?.finding)
            #expect(after.explained && !after.flagged && after.reasons.isEmpty)
            #expect(after.explanation?.rule == "own_case" && after.explanation?.caseID == "C_LATE")
            // The earlier flag stays in the ledger (nobody can silently drop it); nothing new was journaled.
            await #expect(try auditJournal(store) == ["E_LATE": 1])
            #expect(s2.journaled == 0)
            // Nothing more to do.
            let s3 = try await service.run()
            #expect(s3.newCases == 0 && s3.reaudited == 0)
        }
    }

    @Test("stored entries an import would now refuse (a 65-byte case ID, a 6-digit office) are still audited, never dropped")
    func storedEntriesReadBackLeniently() async throws {
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            try writeLines(dir + "/a.jsonl", [Sample.office, Sample.office2, Sample.staff, Sample.register, Sample.person, Sample.protection])
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            // Written straight to the store, as an older version or the workspace's refusal path could have: a denied
            // view naming a 65-byte case ID, from a 6-digit office code. The import's rules refuse both today.
            let longCase = String(repeating: "C", count: 65)
            let line = #"{"type":"access","id":"E_OLD","at":"2011-03-11T10:00:00+09:00","staff":"S0412","office":"271080","action":"view","record":"current","register":"R0031877","case":"\#(longCase)","outcome":"denied"}"#
            #expect(throws: RecordError.self) { try RecordDecoder.decode(line: Array(line.utf8)) }
            guard case let .record(r, _) = try RecordDecoder.decodeStored(line: Array(line.utf8)) else {
                Issue.record("not read back")
                return
            }
            _ = try await store.ingest([IngestItem(record: r, canonical: r.canonicalJSON, raw: [], file: "t", line: 1)])
            let s = try await AuditService(store: store).run()
            #expect(s.audited == 1)
            let f = try await #require(try AuditService(store: store).findings(accessIDs: ["E_OLD"]).first?.finding)
            #expect(f.flagged && f.reasonCodes.contains("vip"))
        }
    }

    @Test("an access entry that does not decode stops the audit, naming its ledger index, instead of being skipped")
    func undecodableEntryIsAnError() async throws {
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            try writeLines(dir + "/a.jsonl", Sample.all)
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            // Someone with file access breaks the second access entry (triggers dropped first, as an attacker would).
            try store.executeForTesting("""
                DROP TRIGGER IF EXISTS event_no_update;
                UPDATE event SET entry = CAST('{"type":"access","id":"E2"' AS BLOB) WHERE id = 'E2';
                """)
            #expect {
                try AuditService(store: store).runBlocking()
            } throws: { error in
                guard let e = error as? StoredEntryError else { return false }
                return e.seq == 1 && e.description.contains("ledger entry 1")
            }
        }
    }

    @Test("flagged findings are written to the ledger once, with score, reason codes and rule")
    func journal() async throws {
        try await withTempDir { dir in
            // No case: the clerk (who is the mayor in the sample) opens the VIP's own register 32 times.
            let lines = Sample.all.filter { $0 != Sample.kase } + (10..<40).map { Sample.access($0) }
            try writeLines(dir + "/a.jsonl", lines)
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            var service = AuditService(store: store)
            service.journalBatch = 7  // several ledger transactions
            service.clock = { Timestamp("2014-03-01T09:00:00+09:00")! }
            let s = try await service.run()
            let flagged = try await service.worklist(limit: 1000)
            #expect(!flagged.isEmpty && s.newlyFlagged == flagged.count && s.journaled == flagged.count)
            // Worklist order: score descending.
            #expect(zip(flagged, flagged.dropFirst()).allSatisfy { $0.finding.score >= $1.finding.score })
            var seen: [String: [String: Any]] = [:]
            try await store.forEachEvent { e in
                guard e.type == "journal", let o = try JSONSerialization.jsonObject(with: Data(e.entry)) as? [String: Any],
                      o["kind"] as? String == "audit.finding" else { return }
                seen[o["subject"] as! String] = o
            }
            #expect(Set(seen.keys) == Set(flagged.map(\.finding.access)))
            for sf in flagged {
                let detail = try #require(seen[sf.finding.access]?["detail"] as? [String: Any])
                #expect((detail["score"] as? NSNumber)?.doubleValue ?? -1 > 0.49)
                #expect(detail["reasons"] as? [String] == sf.finding.reasonCodes)
                #expect(detail.keys.contains("rule"))
            }
            // Running again writes nothing new.
            let again = try await service.run()
            #expect(again.journaled == 0 && again.audited == 0)
            #expect(try store.stats().ledgerSize == 2 + 30 + flagged.count)
        }
    }

    @Test("JSONL lines have exactly the documented keys; staff, person and register reads work")
    func jsonlShape() async throws {
        let city = try TinyCity.dir()
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: try TinyCity.files(city))
            let service = AuditService(store: store)
            try await service.run()
            var lines: [String] = []
            try store.forEachFinding(FindingFilter(limit: 3000)) { lines.append($0.finding.jsonLine) }
            lines += try await service.worklist(limit: 500).map(\.finding.jsonLine)
            lines += try cliLines(store: dir + "/store")
            #expect(lines.count > 3000)
            var explainedSeen = false, flaggedSeen = false
            for line in lines {
                let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                #expect(Set(o.keys) == ["access", "staff", "at", "explained", "explanation", "score", "flagged", "reasons"])
                #expect((o["access"] as? String)?.hasPrefix("E") == true)
                #expect(o["staff"] is String && o["at"] is String)
                #expect(Timestamp(o["at"] as! String) != nil)
                let score = try #require(o["score"] as? NSNumber).doubleValue
                #expect(score >= 0 && score <= 1)
                let explained = try #require(o["explained"] as? Bool)
                if explained {
                    explainedSeen = true
                    let e = try #require(o["explanation"] as? [String: Any])
                    #expect(Set(e.keys) == ["rule", "case"])
                } else {
                    #expect(o["explanation"] is NSNull)
                }
                if o["flagged"] as? Bool == true { flaggedSeen = true }
                for r in try #require(o["reasons"] as? [[String: Any]]) {
                    #expect(Set(r.keys) == ["code", "ja", "en"])
                    #expect(ReasonCode(rawValue: r["code"] as? String ?? "") != nil)
                }
            }
            #expect(explainedSeen && flaggedSeen)

            // Per-staff timeline, per-subject summaries, ranking.
            let ranking = try await service.staffRanking()
            let top = try #require(ranking.first)
            let timeline = try await service.timeline(staff: top.staff)
            #expect(timeline.count == top.total && timeline.allSatisfy { $0.finding.staff == top.staff })
            #expect(zip(timeline, timeline.dropFirst()).allSatisfy { $0.finding.at.millis <= $1.finding.at.millis })
            let flaggedOne = try await #require(try service.worklist(limit: 1).first?.finding)
            if let p = flaggedOne.person {
                let s = try await service.subjectSummary(person: p)
                #expect(s.flagged.contains(flaggedOne.access) && s.total >= 1)
            }
            if let r = flaggedOne.register {
                await #expect(try service.findings(register: r).contains { $0.finding.access == flaggedOne.access })
            }
            let counts = try await service.counts()
            let accessCount = try store.stats().access
            let flaggedCount = try await service.worklist(limit: 1_000_000).count
            #expect(counts.total == accessCount && counts.flagged == flaggedCount)
        }
    }

    /// Everything the console, the CLI and the reports read, as comparable values.
    private struct Reads: Equatable {
        var all: [StoredFinding] = []
        var timelines: [[StoredFinding]] = []
        var byPerson: [[StoredFinding]] = []
        var byRegister: [[StoredFinding]] = []
        var byOffice: [StoredFinding] = []
        var window: [StoredFinding] = []
        var windowedTimeline: [StoredFinding] = []
        var page: [StoredFinding] = []
        var worklist: [StoredFinding] = []
        var byID: [StoredFinding] = []
        var counts = FindingCounts()
        var ranking: [StaffSummary] = []
        var subjects: [SubjectSummary] = []

        init(_ service: AuditService, staff: [String], persons: [String], registers: [String], office: String,
             ids: [String], from: Timestamp, to: Timestamp) async throws {
            all = try await service.findings(FindingFilter())
            for s in staff { timelines.append(try await service.timeline(staff: s)) }
            for p in persons { byPerson.append(try await service.findings(person: p)) }
            for r in registers { byRegister.append(try await service.findings(register: r)) }
            byOffice = try await service.findings(FindingFilter(office: office))
            window = try await service.findings(FindingFilter(from: from, to: to))
            windowedTimeline = try await service.timeline(staff: staff[0], from: from, to: to)
            page = try await service.findings(FindingFilter(limit: 50, offset: 100))
            worklist = try await service.worklist(limit: 10_000)
            byID = try await service.findings(accessIDs: ids)
            counts = try await service.counts()
            ranking = try await service.staffRanking()
            for p in persons { subjects.append(try await service.subjectSummary(person: p)) }
            for r in registers { subjects.append(try await service.subjectSummary(register: r)) }
        }
    }

    @Test("plainly explained accesses kept compactly read back exactly as full finding rows would")
    func compactStorage() async throws {
        let city = try TinyCity.dir()
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: try TinyCity.files(city))
            var service = AuditService(store: store)
            service.batchSize = 997  // many batches: the pipeline, and revisions of findings saved in earlier batches
            service.checkpointEvery = 3_000
            let s = try await service.run()
            let layout = try store.findingLayout()
            #expect(layout.plain > 0 && layout.rows > 0 && layout.plain + layout.rows == s.audited)
            #expect(s.audited == (try store.stats().access))

            // One sweep in one batch gives the same findings.
            let other = try SQLiteStore(directory: dir + "/other")
            _ = try await Importer(store: other).run(files: try TinyCity.files(city))
            try await AuditService(store: other).run()
            let one = try allFindings(other), many = try allFindings(store)
            #expect(one.count == many.count && one.keys.filter { one[$0] != many[$0] }.isEmpty)

            let all = try await service.findings(FindingFilter())
            let plain = all.filter(\.finding.isPlainlyExplained)
            #expect(!plain.isEmpty && plain.count < all.count)
            // Subjects mixing plain and full rows; persons reached only through the register's head too.
            let staff = Array(Set(all.map(\.finding.staff))).sorted().prefix(8)
            let persons = Array(Set(all.compactMap(\.finding.person))).sorted().prefix(40)
            let registers = Array(Set(all.compactMap(\.finding.register))).sorted().prefix(40)
            let office = try #require(all.compactMap(\.finding.office).first)
            let ids = plain.prefix(30).map(\.finding.access) + all.filter(\.finding.flagged).prefix(30).map(\.finding.access)
                + ["E_NO_SUCH_ACCESS"]
            let from = all[all.count / 3].finding.at, to = all[2 * all.count / 3].finding.at
            let compact = try await Reads(service, staff: Array(staff), persons: Array(persons), registers: Array(registers),
                                    office: office, ids: ids, from: from, to: to)
            #expect(compact.all.count == s.audited && compact.byID.count == ids.count - 1)
            #expect(compact.byPerson.contains { list in list.contains { $0.finding.isPlainlyExplained } })

            // Rewrite every finding as a full row: every read gives the same answer.
            try store.saveFindings(all)
            #expect(try store.findingLayout().plain == 0)
            let full = try await Reads(service, staff: Array(staff), persons: Array(persons), registers: Array(registers),
                                 office: office, ids: ids, from: from, to: to)
            #expect(full.all == compact.all)
            #expect(full.timelines == compact.timelines)
            #expect(full.byPerson == compact.byPerson)
            #expect(full.byRegister == compact.byRegister)
            #expect(full.byOffice == compact.byOffice)
            #expect(full.window == compact.window && full.windowedTimeline == compact.windowedTimeline)
            #expect(full.page == compact.page && full.worklist == compact.worklist && full.byID == compact.byID)
            #expect(full.counts == compact.counts)
            #expect(full.ranking == compact.ranking)
            #expect(full.subjects == compact.subjects)
            // Each flagged access still journaled once; nothing new to do.
            let journal = try await auditJournal(store)
            #expect(Set(journal.keys) == Set(compact.worklist.map(\.finding.access)) && journal.values.allSatisfy { $0 == 1 })
            #expect(try store.unjournaledFindings(limit: 10).isEmpty)
        }
    }

    @Test("a re-audit that changes a plainly explained access moves it to a full row, once")
    func plainRevised() async throws {
        let city = try TinyCity.dir()
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: try TinyCity.files(city))
            try await AuditService(store: store).run()
            let before = try store.findingLayout()
            let plain = try await #require(try AuditService(store: store).findings(FindingFilter()).first { $0.finding.isPlainlyExplained })
            var changed = plain
            changed.finding.explanation = Explanation(rule: "namesake", caseID: plain.finding.explanation?.caseID,
                                                      strength: .weak)
            try store.saveFindings([changed])
            let after = try store.findingLayout()
            #expect(after.plain == before.plain - 1 && after.rows == before.rows + 1)
            #expect(try store.findings(accessIDs: [plain.finding.access]) == [changed])
            #expect(try store.findingCounts().total == before.plain + before.rows)
            // A sweep's save over an access that has a full row keeps one row.
            try store.saveSweepFindings([plain])
            let resaved = try store.findingLayout()
            #expect(resaved.rows == after.rows && resaved.plain == after.plain)
            #expect(try store.findings(accessIDs: [plain.finding.access]) == [plain])
        }
    }

    /// The lines `akashi audit --store DIR --all --no-run` prints, when the built executable is beside the tests.
    private func cliLines(store: String) throws -> [String] {
        let candidates = [CommandLine.arguments.first, Bundle.main.executablePath].compactMap { $0 }.flatMap { path -> [String] in
            var url = URL(fileURLWithPath: path)
            var out: [String] = []
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                out.append(url.path + "/akashi")
            }
            return out
        }
        guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return [] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["audit", "--store", store, "--all", "--no-run", "--format", "jsonl"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

@Suite("Auditor decisions feed the audit")
struct AuditDecisionTests {
    @Test("a disposed investigation counts its finding's reasons at the finding's office; open ones and 要聴取 teach nothing")
    func decisionsFromTheConsole() async throws {
        let city = try TinyCity.dir()
        try await withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: try TinyCity.files(city))
            _ = try await AuditService(store: store).run()
            var flagged: [AccessFinding] = []
            try store.forEachFinding(FindingFilter(flaggedOnly: true)) { flagged.append($0.finding) }
            let withOffice = flagged.filter { $0.office != nil && !$0.reasons.isEmpty }
            #expect(withOffice.count >= 4)
            let (a, b, c, d) = (withOffice[0], withOffice[1], withOffice[2], withOffice[3])
            let now = Timestamp("2014-03-01T10:00:00+09:00")!
            func inv(_ id: String, _ f: AccessFinding, _ disposition: Disposition?, status: String) -> Investigation {
                Investigation(id: id, finding: f.access, staff: f.staff, register: f.register,
                              reasonCodes: f.reasonCodes.sorted(), title: id, status: status, openedBy: "S_AUD",
                              opened: now, disposition: disposition)
            }
            try store.saveInvestigation(inv("I1", a, .nonBusiness, status: "closed"))
            try store.saveInvestigation(inv("I2", b, .business, status: "closed"))
            try store.saveInvestigation(inv("I3", c, .interview, status: "open"))
            try store.saveInvestigation(inv("I4", d, nil, status: "open"))
            let fb = try await AuditFeedback.decisions(in: store)
            for code in Set(a.reasonCodes) {
                #expect(fb.confirmed[AuditFeedback.Key(office: a.office!, reason: ReasonCode(rawValue: code)!)] ?? 0 >= 1)
            }
            for code in Set(b.reasonCodes) {
                #expect(fb.dismissed[AuditFeedback.Key(office: b.office!, reason: ReasonCode(rawValue: code)!)] ?? 0 >= 1)
            }
            let total = fb.confirmed.values.reduce(0, +) + fb.dismissed.values.reduce(0, +)
            #expect(total == Set(a.reasonCodes).count + Set(b.reasonCodes).count)
            // The service built from the console carries them.
            #expect(try await AuditService.taught(store: store).config.feedback == fb)
        }
    }
}
