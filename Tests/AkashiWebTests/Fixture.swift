import AkashiCity
import AkashiDomain
import AkashiInterchange
import AkashiPostgres
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

/// Every web test, one at a time: they share one store and check the ledger entries each operation appends.
@Suite(.serialized) enum AllWebTests {}

/// The PostgreSQL server the web tests may also run against: `AKASHI_TEST_POSTGRES`, a base store URL such as
/// `postgres://postgres@127.0.0.1:55432/akashi_test` (`.ci/run` starts a throwaway server and sets it). Unset, the
/// PostgreSQL runs are skipped, and say so.
enum TestPostgres {
    static let url: String? = {
        let v = ProcessInfo.processInfo.environment["AKASHI_TEST_POSTGRES"] ?? ""
        return v.isEmpty ? nil : v
    }()

    /// Why the PostgreSQL runs did not happen, shown by the tests that skip them.
    static let skipReason = "PostgreSQL run skipped: set AKASHI_TEST_POSTGRES=postgres://USER@HOST:PORT/DB to run it (.ci/run does)"
}

/// Where a web test's app keeps its data: a fresh, empty store of one kind for a scratch directory. The web tests build
/// their app on a store only through this (SQL stays in the store targets).
struct WebStoreFactory<Store: ServerStore>: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable (_ scratch: String) throws -> Store
    var testDescription: String { name }
}

extension WebStoreFactory where Store == SQLiteStore {
    /// The embedded store, in the scratch directory.
    static var sqlite: Self { Self(name: "SQLite") { try SQLiteStore(directory: $0 + "/store") } }
}

extension WebStoreFactory where Store == PostgresStore {
    /// PostgreSQL: a municipality no other run uses, on the server `AKASHI_TEST_POSTGRES` names. Every table's first
    /// key column is the municipality and the ledger's lock is taken per municipality, so a fresh one is a fresh,
    /// empty store of its own (nothing to drop afterwards, and no other test sees it).
    static var postgres: Self {
        Self(name: "PostgreSQL") { _ in
            guard let url = TestPostgres.url else { throw StoreError(.unsupportedStore, TestPostgres.skipReason) }
            let name = "w" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24).lowercased()
            return try PostgresStore(location: PostgresLocation.parse(url + (url.contains("?") ? "&" : "?") + "municipality=" + name))
        }
    }
}

/// The embedded store's fixture, imported once for every web test.
private let sharedFixture = Task { try await Fixture.make(.sqlite) }

/// The fixture almost every web test uses: the shared one, on the embedded store.
typealias Fixture = StoreFixture<SQLiteStore>

extension StoreFixture where Store == SQLiteStore {
    static var shared: Task<Fixture, any Error> { sharedFixture }

    /// Ledger entries appended since `from`, decoded.
    func entries(since from: UInt64) throws -> [[String: Any]] {
        let size = try store.ledgerSize()
        return try store.ledgerEntries(from..<size).compactMap {
            try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
        }
    }
}

/// One tiny synthetic Osaka (2014 scenario) imported into a store, with accounts for the staff the tests use.
struct StoreFixture<Store: ServerStore>: Sendable {
    let store: Store
    let workspace: Workspace
    let clerk: Staff
    let clerk2: Staff
    let supervisor: Staff
    /// A second supervisor at the clerk's office (added to the generated staff): the one who decides the first
    /// supervisor's own requests, since no one approves their own.
    let supervisor2: Staff
    let trainee: Staff
    let auditor: Staff
    let lockoutVictim: Staff
    /// A register with a member under DV support (in force today).
    let dvRegister: Register
    /// Two unrelated current registers.
    let registerA: Register
    let registerB: Register
    /// The mayor's register (a member under VIP protection in force today, from the generated 2014 scenario): every
    /// record needs a supervisor's approval (issue 18, F-4). `registerA`, `registerB` and `dvRegister` have no member
    /// under VIP protection.
    let vipRegister: Register
    /// The member of `vipRegister` under VIP protection, and the protection's note.
    let vipPerson: Person
    let vipNote: String
    static var password: String { "correct horse battery staple" }

    /// The city in a fresh store from `factory`.
    static func make(_ factory: WebStoreFactory<Store>) async throws -> StoreFixture<Store> {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("akashi-web-tests-\(getpid())-\(factory.name)").path
        try? FileManager.default.removeItem(atPath: dir)
        _ = try CityGenerator(config: CityConfig(scale: 0.002, seed: 11, scenario: .osaka2014)).write(to: dir + "/city")
        let store = try factory.make(dir)
        // As `akashi import` takes it in: the bulk path, which on PostgreSQL also brings the planner's statistics up to
        // date at the end (without them the audit's reads of a freshly loaded store are many times slower).
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/city").sorted()
            .filter { $0.hasSuffix(".jsonl") }.map { dir + "/city/" + $0 }
        // The generated VIPs under protection today (the 2014 scenario's mayor among them), from the files themselves.
        let today = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).jstDate
        var vip: [Protection] = []
        for f in files {
            for line in try String(contentsOfFile: f, encoding: .utf8).split(separator: "\n") {
                if case let .record(.protection(p), _) = try RecordDecoder.decode(line: Array(line.utf8)), p.kind == .vip,
                   p.covers(today) { vip.append(p) }
            }
        }
        let report = try await Importer(store: store).run(files: files)
        try #require(report.allTaken && report.imported == report.lines, "\(report.problems.prefix(3))")
        try? FileManager.default.removeItem(atPath: dir + "/city")
        var all = try await store.staffMembers(office: nil, role: nil)
        func onDuty(_ role: StaffRole) -> [Staff] {
            all.filter { $0.role == role && $0.assignment(on: today)?.duty == Assignment.registerDuty }
        }
        let clerks = onDuty(.clerk)
        let clerk = try #require(clerks.first)
        let office = clerk.assignment(on: today)!.office
        let sameOffice = clerks.filter { $0.assignment(on: today)!.office == office }
        let clerk2 = try #require(sameOffice.dropFirst().first ?? clerks.dropFirst().first)
        let supervisor = try #require(onDuty(.supervisor).first { $0.assignment(on: today)!.office == office })
        let second = Staff(id: "S09901", name: "二宮 次郎", role: .supervisor,
                           assignments: [Assignment(office: office, duty: Assignment.registerDuty, from: LocalDate(year: 2020, month: 1, day: 1)!)])
        let sr = Record.staff(second)
        _ = try await store.ingest([IngestItem(record: sr, canonical: sr.canonicalJSON, raw: [], file: "test", line: 0)])
        let supervisor2 = try #require(try await store.staffMember(id: second.id))
        all.append(supervisor2)
        let trainee = try #require(onDuty(.trainee).first)
        let auditor = try #require(all.first { $0.role == .auditor })
        let victim = try #require(clerks.last)
        for s in [clerk, clerk2, supervisor, supervisor2, trainee, auditor, victim] {
            try await store.setPasswordHash(staff: s.id, hash: try PasswordHasher.hash(password, logN: 10))
        }
        // The mayor (the generated scenario's VIP whose note says 市長) and their register.
        let mayor = try #require(vip.first { $0.note?.contains("市長") == true && !$0.note!.contains("副市長") } ?? vip.first)
        let vipPerson = try #require(try await store.person(id: mayor.person))
        let vipRegister = try #require(try await store.register(id: vipPerson.register))
        // Registers under the VIP rule need an approval for everything: the other tests' registers have none.
        let vipPersons = Set(vip.map(\.person))
        let regs = try await store.searchRegisters(RegisterQuery(honseki: "大阪市"), limit: 200)
            .filter { $0.kind == .current && !$0.members.isEmpty && vipPersons.isDisjoint(with: $0.members) }
        let registerA = try #require(regs.first)
        let personsA = Set(try await store.persons(ids: registerA.members).flatMap { $0.relations.map(\.person) } + registerA.members)
        let registerB = try #require(regs.first { r in
            r.id != registerA.id && !registerA.predecessors.contains(r.id) && !registerA.successors.contains(r.id)
                && personsA.isDisjoint(with: r.members)
        })
        // A household (two members or more), so that a 附票 shows what else her address could be read from (N-8).
        let dv = try #require(regs.last { $0.id != registerA.id && $0.id != registerB.id && $0.members.count >= 2 })
        let p = Record.protection(Protection(person: dv.members[0], kind: .dv_support, from: LocalDate(year: 2020, month: 1, day: 1)!))
        _ = try await store.ingest([IngestItem(record: p, canonical: p.canonicalJSON, raw: [], file: "test", line: 0)])
        var config = WebConfiguration()
        config.lockoutAfter = 3
        // The test accounts' hashes are cheap (logN 10); the web tests sign in hundreds of times from one address.
        config.scryptLogN = 10
        config.signInsPerAddressPerMinute = 100_000
        config.anonymousSignInFailuresJournaledPerMinute = 100_000
        let workspace = try await Workspace(store: store, config: config)
        return StoreFixture(store: store, workspace: workspace, clerk: clerk, clerk2: clerk2, supervisor: supervisor,
                            supervisor2: supervisor2, trainee: trainee, auditor: auditor, lockoutVictim: victim, dvRegister: dv,
                            registerA: registerA, registerB: registerB, vipRegister: vipRegister, vipPerson: vipPerson,
                            vipNote: mayor.note ?? "")
    }

    func app() async throws -> some ApplicationProtocol {
        PrometheusMetrics.bootstrapOnce()
        let templates = try await WebApp.templates()
        return Application(router: WebApp.router(workspace: workspace, templates: templates))
    }

    /// Ledger entries appended since `from`, decoded (on any store).
    func appended(since from: UInt64) async throws -> [[String: Any]] {
        let size = try await store.ledgerSize()
        return try await store.ledgerEntries(from..<size).compactMap {
            try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
        }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    /// The field an API error names (`error.field`), when it names one.
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
}

/// API helpers.
extension TestClientProtocol {
    func login(_ staff: String, _ password: String = Fixture.password) async throws -> TestResponse {
        try await execute(uri: "/api/v1/login", method: .post, headers: [.contentType: "application/json"],
                          body: ByteBuffer(string: "{\"staff\":\"\(staff)\",\"password\":\"\(password)\"}"))
    }

    /// Signs in and acknowledges the banner; returns the Authorization header.
    func ready(_ staff: String) async throws -> HTTPFields {
        let r = try await login(staff)
        let token = try #require(r.json["token"] as? String)
        let auth: HTTPFields = [.authorization: "Bearer " + token]
        let ack = try await execute(uri: "/api/v1/banner/acknowledge", method: .post, headers: auth)
        #expect(ack.status == .noContent)
        return auth
    }

    func get(_ uri: String, _ headers: HTTPFields) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }

    func postJSON(_ uri: String, _ headers: HTTPFields, _ body: [String: Any]) async throws -> TestResponse {
        var h = headers
        h[.contentType] = "application/json"
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await execute(uri: uri, method: .post, headers: h, body: ByteBuffer(bytes: data))
    }

    /// Takes in a certificate case (本人) for registers; returns its ID.
    func certificateCase(_ auth: HTTPFields, registers: [String], kind: String = "certificate.full") async throws -> String {
        let r = try await postJSON("/api/v1/cases", auth, ["kind": kind, "requester": "self", "requesterName": "山田 太郎",
                                                           "registers": registers])
        #expect(r.status == .created)
        return try #require(r.json["id"] as? String)
    }
}

func percentEncode(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
}
