import AkashiCity
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Foundation

/// A store built from interchange lines, with a signed checkpoint; its directory and verifier key.
final class TestStore: @unchecked Sendable {
    let dir: String
    let store: SQLiteStore
    let verifier: NoteVerifier
    let signer: NoteSigner

    init(lines: [String]) async throws {
        dir = NSTemporaryDirectory() + "akashi-reports-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/input.jsonl"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        store = try SQLiteStore(directory: dir + "/store")
        _ = try await Importer(store: store).run(files: [file])
        signer = try NoteSigner.generate(name: "test.akashi.example/ledger")
        verifier = signer.verifier
        try await LedgerService(store: store).signCheckpoint(with: signer)
    }

    /// Built once per process from a static (synchronous) initialiser: waits for the store on this thread.
    init(cityDir: String) throws {
        dir = cityDir
        let store = try SQLiteStore(directory: cityDir + "/store")
        self.store = store
        let files = try FileManager.default.contentsOfDirectory(atPath: cityDir).filter { $0.hasSuffix(".jsonl") }.sorted()
            .map { cityDir + "/" + $0 }
        _ = try Importer(store: store).runBlocking(files: files)
        try AuditService(store: store).runBlocking()
        let signer = try NoteSigner.generate(name: "city.akashi.example/ledger")
        self.signer = signer
        verifier = signer.verifier
        _ = try StoreThreads.wait { try await LedgerService(store: store).signCheckpoint(with: signer) }
    }

    func sign() async throws { try await LedgerService(store: store).signCheckpoint(with: signer) }
}

/// The generated osaka-2014 city (tiny scale, labelled misuse), imported, audited and signed once per process.
enum SeedCity {
    static let built: Result<SeedFixture, any Error> = Result {
        let dir = NSTemporaryDirectory() + "akashi-reports-city-" + UUID().uuidString
        _ = try CityGenerator(config: CityConfig(scale: 0.002, seed: 7, misuse: true, scenario: .osaka2014)).write(to: dir)
        let store = try TestStore(cityDir: dir)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/truth.json"))
        let truth = try JSONParser.parse([UInt8](data))
        return SeedFixture(test: store, truth: truth)
    }

    static func get() throws -> SeedFixture { try built.get() }
}

final class SeedFixture: @unchecked Sendable {
    let test: TestStore
    let truth: JSONValue
    init(test: TestStore, truth: JSONValue) {
        self.test = test
        self.truth = truth
    }

    var store: SQLiteStore { test.store }
    var mayor: String { truth["scenario"]?["mayor"]?["person"]?.stringValue ?? "" }
    var mayorRegister: String { truth["scenario"]?["mayor"]?["register"]?.stringValue ?? "" }
    var mayorOriginal: String { truth["scenario"]?["mayor"]?["heisei_original"]?.stringValue ?? "" }
    var mayorCases: [String] { strings(truth["scenario"]?["mayor_cases"]) }
    var clerks: [String: String] {
        guard case let .object(members)? = truth["scenario"]?["clerks"] else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in members { out[k] = v.stringValue }
        return out
    }
    func selfReportLabel(_ key: String) -> [String] { strings(truth["self_reports"]?[key]) }
    var misusers: [String] { strings(truth["misusers"]) }

    private func strings(_ v: JSONValue?) -> [String] {
        guard case let .array(items)? = v else { return [] }
        return items.compactMap(\.stringValue)
    }
}

/// Interchange lines for small hand-made fixtures.
enum Lines {
    static func office(_ code: String, _ name: String) -> String {
        #"{"type":"office","code":"\#(code)","name":"\#(name)","municipality":"27100"}"#
    }
    static func staff(_ id: String, _ name: String, office: String = "27108") -> String {
        #"{"type":"staff","id":"\#(id)","name":"\#(name)","role":"clerk","assignments":[{"office":"\#(office)","duty":"koseki","from":"2009-04-01","to":null}]}"#
    }
    /// A register; the 筆頭者 is the first member unless `head` is given, and every register has the same 本籍 unless
    /// `honseki` is given (families often keep their parents' 本籍, so only the 筆頭者 tells the registers apart).
    static func register(_ id: String, kind: String = "current", members: [String], head: String? = nil,
                         honseki: String = "大阪市北区西天満二丁目1番", predecessors: [String] = [],
                         successors: [String] = []) -> String {
        func list(_ a: [String]) -> String { "[" + a.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        return #"{"type":"register","id":"\#(id)","kind":"\#(kind)","honseki":"\#(honseki)","office":"27127","head":"\#(head ?? members.first ?? "")","members":\#(list(members)),"predecessors":\#(list(predecessors)),"successors":\#(list(successors))}"#
    }
    static func protection(_ person: String, kind: String = "dv_support", from: String, to: String? = nil) -> String {
        #"{"type":"protection","person":"\#(person)","kind":"\#(kind)","from":"\#(from)""# + (to.map { #","to":"\#($0)""# } ?? "") + "}"
    }
    static func person(_ id: String, _ name: String, register: String) -> String {
        #"{"type":"person","id":"\#(id)","name":"\#(name)","register":"\#(register)"}"#
    }
    static func kase(_ id: String, office: String = "27108", kind: String = "certificate.full", requester: String,
                     received: String, status: String = "done", staff: [String] = ["S1"], registers: [String],
                     persons: [String]) -> String {
        func list(_ a: [String]) -> String { "[" + a.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        return #"{"type":"case","id":"\#(id)","office":"\#(office)","kind":"\#(kind)","requester":"\#(requester)","received":"\#(received)","closed":"\#(received)","status":"\#(status)","staff":\#(list(staff)),"registers":\#(list(registers)),"persons":\#(list(persons))}"#
    }
    static func access(_ id: String, at: String, staff: String = "S1", office: String = "27108", action: String = "view",
                       record: String = "current", register: String?, person: String? = nil, caseID: String? = nil,
                       results: [String]? = nil, reason: String? = nil, outcome: String? = nil) -> String {
        var s = #"{"type":"access","id":"\#(id)","at":"\#(at)","staff":"\#(staff)","office":"\#(office)","action":"\#(action)","record":"\#(record)""#
        if let outcome { s += #","outcome":"\#(outcome)""# }
        if let register { s += #","register":"\#(register)""# }
        if let person { s += #","person":"\#(person)""# }
        if let caseID { s += #","case":"\#(caseID)""# }
        if let reason { s += #","reason":"\#(reason)""# }
        if let results {
            s += #","query":{"name":"x"},"results":["# + results.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        }
        return s + "}"
    }
    static func selfReport(_ staff: String, declares: String, items: String = "[]") -> String {
        #"{"type":"self_report","survey":"2014-02","staff":"\#(staff)","submitted":"2014-02-28T17:00:00+09:00","declares":"\#(declares)","items":\#(items)}"#
    }
}

func day(_ s: String) -> LocalDate { LocalDate(s)! }
