import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

// The storage contract: what every Akashi store must do, written from the protocols' doc comments alone
// (AkashiStore, ReferenceStore, IssuanceStore, WorkspaceStore, ConsoleStore, ReportStore, FindingStore).
// Each test runs against every store in `StoreFactory.all`; a new store (PostgreSQL) is correct when it passes them.

/// A store implementation under contract test.
struct StoreFactory: CustomTestStringConvertible, Sendable {
    let name: String
    /// A fresh, empty store under `dir` (a new directory for each test).
    let make: @Sendable (_ dir: String) throws -> any ServerStore
    /// A second handle on the store `make` created under the same `dir`, as another process would open it.
    let reopen: @Sendable (_ dir: String) throws -> any ServerStore
    var testDescription: String { name }
    static let sqlite = StoreFactory(name: "SQLite", make: { try SQLiteStore(directory: $0 + "/store") }, reopen: { try SQLiteStore(directory: $0 + "/store") })
    /// A fresh municipality on the test server per test directory (see ``LedgerStoreKind/postgres``).
    static let postgres = StoreFactory(name: "PostgreSQL", make: { try LedgerStoreKind.postgresStore($0) },
                                       reopen: { try LedgerStoreKind.postgresStore($0) })
    /// Every store these tests run against: PostgreSQL too when `AKASHI_TEST_POSTGRES` names a server.
    static let all: [StoreFactory] = TestPostgres.url == nil ? [.sqlite] : [.sqlite, .postgres]
}

// MARK: - Test data

/// A small, closed city: every reference resolves (also used by the PostgreSQL-only workspace tests). Lines are in the interchange format (spec/interchange.md) and are
/// deliberately not in ID or code order, so that order guarantees are tested.
enum ContractCity {
    static let officeKita = #"{"type":"office","code":"27127","name":"北区役所","municipality":"27100"}"#
    static let officeMiyakojima = #"{"type":"office","code":"27102","name":"都島区役所","municipality":"27100"}"#
    static let officeTaisho = #"{"type":"office","code":"27108","name":"大正区役所","municipality":"27100"}"#

    /// Latest assignment: 27108, clerk.
    static let staff3 = #"{"type":"staff","id":"S0003","name":"大阪 三郎","role":"clerk","assignments":[{"office":"27108","duty":"koseki","from":"2005-04-01","to":null}]}"#
    /// Earlier at 27108, latest assignment at 27127 (current); clerk.
    static let staff1 = #"{"type":"staff","id":"S0001","name":"山田 花子","role":"clerk","assignments":[{"office":"27108","duty":"koseki","from":"2009-04-01","to":"2013-03-31"},{"office":"27127","duty":"koseki","from":"2013-04-01","to":null}]}"#
    /// Earlier at 27127, latest assignment at 27108 (ended); supervisor.
    static let staff2 = #"{"type":"staff","id":"S0002","name":"田中 次郎","role":"supervisor","assignments":[{"office":"27127","duty":"koseki","from":"2010-04-01","to":"2012-03-31"},{"office":"27108","duty":"koseki","from":"2012-04-01","to":"2014-03-31"}]}"#
    /// No assignment at all; auditor.
    static let staff4 = #"{"type":"staff","id":"S0004","name":"監査 四郎","role":"auditor","assignments":[]}"#

    static let register2 = #"{"type":"register","id":"R0000002","kind":"current","honseki":"大阪市北区西天満二丁目1番","office":"27127","head":"P0000001","members":["P0000001","P0000002"],"opened":"2010-02-22","predecessors":["R0000001"],"successors":[]}"#
    static let register1 = #"{"type":"register","id":"R0000001","kind":"removed","honseki":"大阪市大正区三軒家東一丁目5番","office":"27108","head":"P0000001","members":["P0000001"],"opened":"1995-05-01","closed":"2010-02-21","predecessors":[],"successors":["R0000002"]}"#
    static let register3 = #"{"type":"register","id":"R0000003","kind":"current","honseki":"大阪市都島区都島本通三丁目7番","office":"27102","head":"P0000003","members":["P0000003","P0000004"],"opened":"2001-10-10","predecessors":[],"successors":[]}"#

    static let person2 = #"{"type":"person","id":"P0000002","name":"浪花 花子","kana":"なにわ はなこ","birth":"1971-02-03","sex":"F","register":"R0000002"}"#
    static let person1 = #"{"type":"person","id":"P0000001","name":"浪花 一郎","kana":"なにわ いちろう","birth":"1969-06-29","sex":"M","register":"R0000002","address":"大阪市北区西天満二丁目1番1号"}"#
    /// Kana given but empty: unknown, never matched.
    static let person3 = #"{"type":"person","id":"P0000003","name":"堺 太郎","kana":"","sex":"M","register":"R0000003"}"#
    /// No kana at all.
    static let person4 = #"{"type":"person","id":"P0000004","name":"堺 次郎","birth":"1980-01-01","sex":"M","register":"R0000003"}"#

    static let protectionVIP = #"{"type":"protection","person":"P0000001","kind":"vip","from":"2008-02-06","note":"市長"}"#
    static let protectionDV = #"{"type":"protection","person":"P0000001","kind":"dv_support","from":"2015-01-01","to":"2016-01-01"}"#

    static let case3 = #"{"type":"case","id":"C0003","number":"大正-2011-3","office":"27108","kind":"certificate.full","requester":"self","received":"2011-03-11T10:02:00+09:00","closed":"2011-03-11T10:20:00+09:00","status":"done","staff":["S0001"],"registers":["R0000002"],"persons":["P0000001"]}"#
    /// Names P0000002 but not her register.
    static let case1 = #"{"type":"case","id":"C0001","office":"27127","kind":"notification.birth","received":"2011-03-11T11:00:00+09:00","status":"open","staff":["S0001","S0002"],"registers":["R0000003"],"persons":["P0000002"]}"#
    /// Received in UTC (18:00 JST): the newest of S0001's open cases; kept with its offset.
    static let case2 = #"{"type":"case","id":"C0002","office":"27108","kind":"certificate.individual","requester":"third_party","received":"2011-03-12T09:00:00+00:00","status":"open","staff":["S0001"],"registers":["R0000002"],"persons":[]}"#
    static let case4 = #"{"type":"case","id":"C0004","office":"27108","kind":"other","received":"2011-03-10T09:00:00+09:00","status":"done","staff":["S0003"],"registers":["R0000001"]}"#

    static let selfReport3 = #"{"type":"self_report","survey":"2014-02","staff":"S0003","declares":"none"}"#
    static let selfReport1 = #"{"type":"self_report","survey":"2014-02","staff":"S0001","submitted":"2014-02-28T17:00:00+09:00","declares":"some","items":[{"person":"P0000001","from":"2011-01-01","to":"2011-12-31","count":8,"note":"興味本位で閲覧"}]}"#
    static let selfReport2 = #"{"type":"self_report","survey":"2015-02","staff":"S0002","declares":"none"}"#

    static let access1 = #"{"type":"access","id":"E0001","at":"2011-03-11T10:05:00+09:00","staff":"S0001","office":"27108","terminal":"T27108-01","action":"view","record":"current","register":"R0000002","case":"C0003"}"#
    static let access2 = #"{"type":"access","id":"E0002","at":"2011-03-11T10:06:00+09:00","staff":"S0003","office":"27108","action":"view","record":"fuhyo","register":"R0000002"}"#
    static let access3 = #"{"type":"access","id":"E0003","at":"2011-03-11T10:07:00+09:00","staff":"S0001","office":"27108","action":"search","record":"current","query":{"name":"浪花"},"results":["R0000002","R0000001"]}"#
    static let access4 = #"{"type":"access","id":"E0004","at":"2011-03-11T10:08:00+09:00","staff":"S0002","office":"27108","action":"view","record":"current","register":"R0000003","reason":"緊急の照会"}"#

    static let offices = [officeKita, officeMiyakojima, officeTaisho]
    static let staff = [staff3, staff1, staff2, staff4]
    static let registers = [register2, register1, register3]
    static let persons = [person2, person1, person3, person4]
    static let protections = [protectionVIP, protectionDV]
    static let cases = [case3, case1, case2, case4]
    static let selfReports = [selfReport3, selfReport1, selfReport2]
    static let accesses = [access1, access2, access3, access4]
    /// Every reference record (no event).
    static let reference = offices + staff + registers + persons + protections + cases + selfReports
    static let all = reference + accesses
}

private struct NotARecord: Error, CustomStringConvertible {
    var line: String
    var description: String { "test data is not a single valid record: \(line)" }
}

/// Decodes one line of test data (which must be a valid record with no unknown field).
private func record(_ line: String) throws -> Record {
    guard case let .record(r, unknown) = try RecordDecoder.decode(line: Array(line.utf8)), unknown.isEmpty else {
        throw NotARecord(line: line)
    }
    return r
}

private func canonical(_ line: String) throws -> [UInt8] { try record(line).canonicalJSON }

/// An ingest item as the importer builds one: the decoded record, its canonical JSON and the raw line.
private func item(_ line: String, file: String = "contract.jsonl", number: Int = 1) throws -> IngestItem {
    let raw = Array(line.utf8)
    let r = try record(line)
    return IngestItem(record: r, canonical: r.canonicalJSON, raw: raw[...], file: file, line: number)
}

private func office(_ line: String) throws -> Office {
    guard case let .office(x) = try record(line) else { throw NotARecord(line: line) }
    return x
}

private func staff(_ line: String) throws -> Staff {
    guard case let .staff(x) = try record(line) else { throw NotARecord(line: line) }
    return x
}

private func register(_ line: String) throws -> Register {
    guard case let .register(x) = try record(line) else { throw NotARecord(line: line) }
    return x
}

private func person(_ line: String) throws -> Person {
    guard case let .person(x) = try record(line) else { throw NotARecord(line: line) }
    return x
}

private func protection(_ line: String) throws -> Protection {
    guard case let .protection(x) = try record(line) else { throw NotARecord(line: line) }
    return x
}

private func kase(_ line: String) throws -> Case {
    guard case let .case(x) = try record(line) else { throw NotARecord(line: line) }
    return x
}

private func selfReport(_ line: String) throws -> SelfReport {
    guard case let .selfReport(x) = try record(line) else { throw NotARecord(line: line) }
    return x
}

/// Two digits (`07`).
private func two(_ n: some BinaryInteger) -> String { n < 10 ? "0\(n)" : "\(n)" }

/// A timestamp literal (RFC 3339 with an offset).
private func ts(_ text: String) -> Timestamp {
    guard let t = Timestamp(text) else { preconditionFailure("bad timestamp literal \(text)") }
    return t
}

private func date(_ text: String) -> LocalDate {
    guard let d = LocalDate(text) else { preconditionFailure("bad date literal \(text)") }
    return d
}

/// One of Akashi's own events, distinct by ID.
private func journal(_ id: String, minute: Int = 0) -> JournalEvent {
    JournalEvent(id: id, at: Timestamp(millis: 1_700_000_000_000 + Int64(minute) * 60_000), kind: "signin",
                 staff: "S0001", office: "27108", terminal: "T27108-01", detail: .object([("n", .string(id))]))
}

/// An access event line naming whatever it is given (references need not resolve).
private func accessLine(_ id: String, register: String = "R0000002", minute: Int = 0) -> String {
    let m = two(minute % 60)
    return #"{"type":"access","id":"\#(id)","at":"2012-05-01T09:\#(m):00+09:00","staff":"S0001","office":"27108","action":"view","record":"current","register":"\#(register)"}"#
}

/// Imports lines through the importer (as `akashi import` does) and checks that every line was taken.
@discardableResult
private func importLines(_ store: any AkashiStore, _ lines: [String], dir: String, name: String = "city.jsonl") async throws
    -> ImportReport {
    let path = dir + "/" + name
    try writeLines(path, lines)
    return try await Importer(store: store).run(files: [path])
}

/// A fresh store holding the whole city (reference records, then the four access events at ledger indexes 0…3).
private func cityStore(_ factory: StoreFactory, _ dir: String) async throws -> any ServerStore {
    let store = try factory.make(dir)
    let report = try await importLines(store, ContractCity.all, dir: dir)
    #expect(report.allTaken)
    #expect(report.imported == ContractCity.all.count)
    return store
}

/// RFC 9162 MTH, computed directly from the leaf hashes (independent of tiles).
private func merkleRoot(_ leaves: ArraySlice<LedgerHash>) -> LedgerHash {
    if leaves.isEmpty { return MerkleHash.emptyRoot }
    if leaves.count == 1 { return leaves[leaves.startIndex] }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    return MerkleHash.node(merkleRoot(leaves.prefix(k)), merkleRoot(leaves.dropFirst(k)))
}

/// The ledger's tiles agree with its entries: the root a sequencer rebuilds from the store's tiles equals the root
/// of the stored entries appended to a fresh tree (and the root computed directly from their leaf hashes).
private func expectTilesAgree(_ store: any AkashiStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let size = try await store.ledgerSize()
    let entries = try await store.ledgerEntries(0..<size)
    #expect(UInt64(entries.count) == size, sourceLocation: sourceLocation)
    var fresh = try LedgerSequencer(size: 0, tiles: InMemoryTileStore())
    _ = try fresh.append(entries)
    // The sequencer reads tiles synchronously: every tile of the tree, read through the store first.
    let tiles = InMemoryTileStore()
    var level = 0
    while level < 8, size >> (8 * UInt64(level)) > 0 {
        let count = ((size >> (8 * UInt64(level))) + 255) / 256
        tiles.upsert(try await store.tiles(level: level, indexes: Array(0..<count)))
        level += 1
    }
    let fromTiles = try LedgerSequencer(size: size, tiles: tiles)
    #expect(fromTiles.root == fresh.root, "root from the store's tiles at size \(size)", sourceLocation: sourceLocation)
    #expect(merkleRoot(MerkleHash.leaves(entries)[...]) == fresh.root, sourceLocation: sourceLocation)
}

/// Calls `body` again while the store says other writers kept it busy (``StoreError/Code/ledgerBusy``: "nothing was
/// written, try again").
private func retryingBusy<T>(_ body: () async throws -> T) async throws -> T {
    for _ in 0..<200 {
        do {
            return try await body()
        } catch let e as StoreError where e.code == .ledgerBusy {
            continue
        }
    }
    return try await body()
}

// MARK: - The contract

@Suite("Store contract")
struct StoreContractTests {

    // MARK: ReferenceStore

    @Test("staffMember, staffMembers(office:role:) by the latest assignment, office(code:), offices() in code order",
          arguments: StoreFactory.all)
    func staffAndOffices(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            #expect(try await store.staffMember(id: "S0001") == staff(ContractCity.staff1))
            #expect(try await store.staffMember(id: "S0004") == staff(ContractCity.staff4))
            #expect(try await store.staffMember(id: "S9999") == nil)

            // Every staff member, in ID order.
            #expect(try await store.staffMembers(office: nil, role: nil)
                == [staff(ContractCity.staff1), staff(ContractCity.staff2), staff(ContractCity.staff3), staff(ContractCity.staff4)])
            // By the latest assignment's office: S0001 was at 27108 once but is now at 27127; S0002's latest
            // (ended) assignment is at 27108.
            #expect(try await store.staffMembers(office: "27108", role: nil).map(\.id) == ["S0002", "S0003"])
            #expect(try await store.staffMembers(office: "27127", role: nil).map(\.id) == ["S0001"])
            #expect(try await store.staffMembers(office: "27102", role: nil).isEmpty)
            #expect(try await store.staffMembers(office: "27108", role: .clerk) == [staff(ContractCity.staff3)])
            #expect(try await store.staffMembers(office: "27108", role: .supervisor).map(\.id) == ["S0002"])
            #expect(try await store.staffMembers(office: "27127", role: .supervisor).isEmpty)
            #expect(try await store.staffMembers(office: nil, role: .clerk).map(\.id) == ["S0001", "S0003"])
            #expect(try await store.staffMembers(office: nil, role: .auditor).map(\.id) == ["S0004"])
            #expect(try await store.staffMembers(office: nil, role: .contractor).isEmpty)

            #expect(try await store.office(code: "27108") == office(ContractCity.officeTaisho))
            #expect(try await store.office(code: "99999") == nil)
            #expect(try await store.offices()
                == [office(ContractCity.officeMiyakojima), office(ContractCity.officeTaisho), office(ContractCity.officeKita)])
        }
    }

    @Test("register(id:), registers(ids:) in the order asked, registerIDs(member:), person(id:), persons(ids:)",
          arguments: StoreFactory.all)
    func registersAndPersons(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let r1 = try register(ContractCity.register1), r2 = try register(ContractCity.register2), r3 = try register(ContractCity.register3)
            #expect(try await store.register(id: "R0000001") == r1)
            #expect(try await store.register(id: "R9999999") == nil)
            // In the order asked, each as often as asked, unknown IDs left out.
            #expect(try await store.registers(ids: ["R0000003", "R9999999", "R0000001", "R0000003", "R0000002"])
                == [r3, r1, r3, r2])
            #expect(try await store.registers(ids: []).isEmpty)
            #expect(try await store.registers(ids: ["R9999999"]).isEmpty)

            // Registers that list the person as a member, in ID order.
            #expect(try await store.registerIDs(member: "P0000001") == ["R0000001", "R0000002"])
            #expect(try await store.registerIDs(member: "P0000004") == ["R0000003"])
            #expect(try await store.registerIDs(member: "P9999999").isEmpty)

            let p1 = try person(ContractCity.person1), p2 = try person(ContractCity.person2), p3 = try person(ContractCity.person3)
            #expect(try await store.person(id: "P0000001") == p1)
            // An empty kana is read back as it was imported.
            #expect(try await store.person(id: "P0000003") == p3)
            #expect(try await store.person(id: "P0000003")?.kana == "")
            #expect(try await store.person(id: "P0000004")?.kana == nil)
            #expect(try await store.person(id: "P9999999") == nil)
            #expect(try await store.persons(ids: ["P0000002", "P0000001", "P0000002", "P9999999"]) == [p2, p1, p2])
            #expect(try await store.persons(ids: []).isEmpty)
        }
    }

    @Test("protections(person:) and selfReports(survey:) in staff order", arguments: StoreFactory.all)
    func protectionsAndSelfReports(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let found = try await store.protections(person: "P0000001")
            #expect(found.count == 2)
            #expect(Set(found) == [try protection(ContractCity.protectionVIP), try protection(ContractCity.protectionDV)])
            #expect(try await store.protections(person: "P0000002").isEmpty)
            #expect(try await store.protections(person: "P9999999").isEmpty)

            #expect(try await store.selfReports(survey: "2014-02")
                == [selfReport(ContractCity.selfReport1), selfReport(ContractCity.selfReport3)])
            #expect(try await store.selfReports(survey: "2015-02") == [selfReport(ContractCity.selfReport2)])
            #expect(try await store.selfReports(survey: "2099-01").isEmpty)
        }
    }

    @Test("surveys(): every survey with answers, its answer count, in survey order", arguments: StoreFactory.all)
    func surveys(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            #expect(try await factory.make(dir + "/empty").surveys().isEmpty)
            let store = try await cityStore(factory, dir)
            #expect(try await store.surveys() == [SurveyCount(survey: "2014-02", answers: 2), SurveyCount(survey: "2015-02", answers: 1)])
            // An answer given in the workspace (ingested as a record) counts at once, from any handle.
            let answer = Record.selfReport(SelfReport(survey: "2014-02", staff: "S0002", submitted: ts("2014-02-27T09:00:00+09:00"),
                                                      declares: .none, items: []))
            _ = try await store.ingest([IngestItem(record: answer, canonical: answer.canonicalJSON, raw: [], file: "workspace", line: 0)])
            let workspaceSurvey = Record.selfReport(SelfReport(survey: "2026-12-ui", staff: "S0001", submitted: nil,
                                                               declares: .some, items: []))
            _ = try await store.ingest([IngestItem(record: workspaceSurvey, canonical: workspaceSurvey.canonicalJSON, raw: [],
                                             file: "workspace", line: 0)])
            #expect(try await factory.reopen(dir).surveys() == [SurveyCount(survey: "2014-02", answers: 3),
                                                                SurveyCount(survey: "2015-02", answers: 1),
                                                                SurveyCount(survey: "2026-12-ui", answers: 1)])
        }
    }

    @Test("caseRecord(id:), cases(ids:), cases(person:registers:) each once in ID order", arguments: StoreFactory.all)
    func cases(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let c1 = try kase(ContractCity.case1), c2 = try kase(ContractCity.case2), c3 = try kase(ContractCity.case3), c4 = try kase(ContractCity.case4)
            #expect(try await store.caseRecord(id: "C0003") == c3)
            // Kept as imported, with the offset it was written with.
            #expect(try await store.caseRecord(id: "C0002") == c2)
            #expect(try await store.caseRecord(id: "C0002")?.received.offsetMinutes == 0)
            #expect(try await store.caseRecord(id: "C9999") == nil)
            #expect(try await store.cases(ids: ["C0004", "C9999", "C0001", "C0004"]) == [c4, c1, c4])
            #expect(try await store.cases(ids: []).isEmpty)

            // By person only.
            #expect(try await store.cases(person: "P0000001", registers: []) == [c3])
            #expect(try await store.cases(person: "P0000002", registers: []) == [c1])
            // By register only.
            #expect(try await store.cases(person: nil, registers: ["R0000002"]) == [c2, c3])
            #expect(try await store.cases(person: nil, registers: ["R0000001", "R0000003"]) == [c1, c4])
            // Both: the union, each case once, in ID order.
            #expect(try await store.cases(person: "P0000002", registers: ["R0000002"]) == [c1, c2, c3])
            #expect(try await store.cases(person: "P0000001", registers: ["R0000002", "R0000002"]) == [c2, c3])
            // Nothing named, or nothing known.
            #expect(try await store.cases(person: nil, registers: []).isEmpty)
            #expect(try await store.cases(person: "P9999999", registers: ["R9999999"]).isEmpty)
        }
    }

    @Test("closedCases(staff:limit:): a handler's closed cases (a closing time or a status other than open), newest first",
          arguments: StoreFactory.all)
    func closedCases(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let c1 = try kase(ContractCity.case1), c3 = try kase(ContractCity.case3), c4 = try kase(ContractCity.case4)
            #expect(try await store.closedCases(staff: "S0001", limit: 10) == [c3])
            #expect(try await store.closedCases(staff: "S0003", limit: 10) == [c4])
            #expect(try await store.closedCases(staff: "S0002", limit: 10).isEmpty)
            #expect(try await store.closedCases(staff: "S9999", limit: 10).isEmpty)
            #expect(try await store.closedCases(staff: "S0001", limit: 0).isEmpty)
            // Closing one through updateCase: seen at once, newest received first.
            var closed = c1
            closed.status = .withdrawn
            closed.closed = c1.received
            try await store.updateCase(closed)
            #expect(try await store.closedCases(staff: "S0001", limit: 10) == [closed, c3])
            #expect(try await store.closedCases(staff: "S0001", limit: 1) == [closed])
            #expect(try await store.closedCases(staff: "S0002", limit: 10) == [closed])
            // Many open cases newer than the closed one: still found with a limit of 1.
            var newer: [IngestItem] = []
            for k in 0..<9 {
                let c = Case(id: "CX\(k)", office: "27108", kind: .other,
                             received: Timestamp("2012-01-0\(k + 1)T09:00:00+09:00")!, status: .open, staff: ["S0003"])
                let rec = Record.case(c)
                newer.append(IngestItem(record: rec, canonical: rec.canonicalJSON, raw: [], file: "test", line: k + 1))
            }
            _ = try await store.ingest(newer)
            #expect(try await store.closedCases(staff: "S0003", limit: 1) == [c4])
        }
    }

    @Test("searchRegisters: name, kana, birth, 本籍; an empty query matches nothing; at most limit",
          arguments: StoreFactory.all)
    func searchRegisters(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let r3 = try register(ContractCity.register3)
            func ids(_ q: RegisterQuery, limit: Int = 50) async throws -> Set<String> {
                Set(try await store.searchRegisters(q, limit: limit).map(\.id))
            }
            // An empty query matches nothing.
            #expect(try await store.searchRegisters(RegisterQuery(), limit: 50).isEmpty)
            #expect(try await store.searchRegisters(RegisterQuery(name: "", kana: "", birth: "", honseki: ""), limit: 50).isEmpty)

            // Part of a name (kanji).
            #expect(try await store.searchRegisters(RegisterQuery(name: "堺"), limit: 50) == [r3])
            #expect(try await ids(RegisterQuery(name: "次郎")) == ["R0000003"])
            let naniwa = try await ids(RegisterQuery(name: "浪花"))
            #expect(naniwa.contains("R0000002"))
            #expect(!naniwa.contains("R0000003"))
            #expect(try await ids(RegisterQuery(name: "存在しない")).isEmpty)
            // Part of a kana name.
            let kana = try await ids(RegisterQuery(kana: "はなこ"))
            #expect(kana.contains("R0000002"))
            #expect(!kana.contains("R0000003"))
            // A birth date, or its start.
            #expect(try await ids(RegisterQuery(birth: "1980")) == ["R0000003"])
            #expect(try await ids(RegisterQuery(birth: "1980-01-01")) == ["R0000003"])
            #expect(try await ids(RegisterQuery(birth: "1971-02")).contains("R0000002"))
            #expect(!(try await ids(RegisterQuery(birth: "1971-02")).contains("R0000003")))
            #expect(try await ids(RegisterQuery(birth: "2099")).isEmpty)
            // Part of the 本籍.
            #expect(try await ids(RegisterQuery(honseki: "都島本通")) == ["R0000003"])
            #expect(try await ids(RegisterQuery(honseki: "西天満")) == ["R0000002"])
            // Several fields that all fit one person.
            #expect(try await ids(RegisterQuery(name: "堺", birth: "1980")) == ["R0000003"])

            // At most `limit`.
            #expect(try await ids(RegisterQuery(honseki: "大阪市")) == ["R0000001", "R0000002", "R0000003"])
            let two = try await store.searchRegisters(RegisterQuery(honseki: "大阪市"), limit: 2)
            #expect(two.count == 2)
            #expect(Set(two.map(\.id)).isSubset(of: ["R0000001", "R0000002", "R0000003"]))
            #expect(try await store.searchRegisters(RegisterQuery(honseki: "大阪市"), limit: 1).count == 1)
        }
    }

    @Test("searchRegisters: an empty kana is unknown, never matched", arguments: StoreFactory.all)
    func searchEmptyKana(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            // R0000003's persons have kana "" (P0000003) and no kana (P0000004): no kana query may find it.
            #expect(try await store.searchRegisters(RegisterQuery(kana: ""), limit: 50).isEmpty)
            for q in ["なにわ", "い", "は", "%", "_", " い", "い "] {
                let found = try await store.searchRegisters(RegisterQuery(kana: q), limit: 50).map(\.id)
                #expect(!found.contains("R0000003"), "kana query \"\(q)\" found a register by an empty kana")
            }
            for q in [" ", "\u{3000}"] {
                let found = try await store.searchRegisters(RegisterQuery(kana: q), limit: 50).map(\.id)
                #expect(!found.contains("R0000003"), "kana query of blanks found a register by an empty kana")
            }
            // Empty fields are not used: with an empty kana, the other fields decide.
            #expect(try await store.searchRegisters(RegisterQuery(name: "太郎", kana: ""), limit: 50).map(\.id)
                == ["R0000003"])
            #expect(try await store.searchRegisters(RegisterQuery(kana: "", birth: ""), limit: 50).isEmpty)
        }
    }

    @Test("searchRegisters: a field of blanks only is answered, never a database error", arguments: StoreFactory.all)
    func searchBlankFields(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            for q in [" ", "\u{3000}", " \u{3000} "] {
                for query in [RegisterQuery(name: q), RegisterQuery(kana: q), RegisterQuery(birth: q), RegisterQuery(honseki: q)] {
                    // A query is answered (whatever blanks are taken to mean), never a database error.
                    await #expect(throws: Never.self, "\(query)") {
                        _ = try await store.searchRegisters(query, limit: 50)
                    }
                }
            }
        }
    }

    @Test("long ID lists: in the order asked, each as often as asked, unknown left out", arguments: StoreFactory.all)
    func longIDLists(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await findingCity(factory, dir)
            // More IDs than a statement can bind at once (SQLite 32,766; PostgreSQL 65,535).
            let n = 70_000
            func list(_ known: [String], unknown: String) -> [String] {
                (0..<n).map { k in k % 10_000 < known.count ? known[k % 10_000] : "\(unknown)\(k)" }
            }
            let r1 = try register(ContractCity.register1), r3 = try register(ContractCity.register3)
            let registers = try await store.registers(ids: list(["R0000003", "R0000001"], unknown: "RX"))
            #expect(registers.count == 14)
            #expect(registers == Array(repeating: [r3, r1], count: 7).flatMap { $0 })
            let p2 = try person(ContractCity.person2)
            #expect(try await store.persons(ids: list(["P0000002"], unknown: "PX")) == Array(repeating: p2, count: 7))
            let c4 = try kase(ContractCity.case4)
            #expect(try await store.cases(ids: list(["C0004"], unknown: "CX")) == Array(repeating: c4, count: 7))
            #expect(try await store.cases(person: nil, registers: list(["R0000002"], unknown: "RX"))
                == [kase(ContractCity.case2), kase(ContractCity.case3)])

            try await store.saveFindings([Self.f1, Self.f2, Self.f3, Self.f4])
            let ids = (0..<n).map { k in k == 50_000 ? "E0002" : k == 10 ? "E0004" : "EX\(k)" }
            await #expect(try store.findings(accessIDs: ids) == [Self.f2, Self.f4])
        }
    }

    @Test("IDs are opaque: quotes, wildcards, backslashes and separators are plain characters", arguments: StoreFactory.all)
    func opaqueIDs(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let rID = "R'\"%_\\ 1", pID = "P'%_\\ 1", cID = "C'%_\\ 1", sID = "S'%_\\ 1", eID = "E'%_\\ 1"
            let r = Register(id: rID, kind: .current, honseki: "大阪市北区天神橋'1%", office: "27127", head: pID,
                             members: [pID])
            let p = Person(id: pID, name: "O'Brien 100%", kana: "おぶらいえん", birth: date("1990-12-31"), register: rID)
            let st = Staff(id: sID, name: "派遣 '", role: .contractor,
                           assignments: [Assignment(office: "27108", duty: "koseki", from: date("2020-04-01"))])
            let c = Case(id: cID, office: "27108", kind: .certificate_other, received: ts("2021-01-05T09:00:00+09:00"),
                         status: .open, staff: [sID], registers: [rID], persons: [pID])
            let e = AccessEvent(id: eID, at: ts("2021-01-05T09:05:00+09:00"), staff: sID, office: "27108", action: .view,
                                record: .current, register: rID, person: pID, caseID: cID)
            func ingestItem(_ record: Record) -> IngestItem {
                let bytes = record.canonicalJSON
                return IngestItem(record: record, canonical: bytes, raw: bytes[...], file: "opaque.jsonl", line: 1)
            }
            await #expect(try store.ingest([.register(r), .person(p), .staff(st), .case(c), .access(e)].map(ingestItem))
                == [.inserted(ledgerIndex: nil), .inserted(ledgerIndex: nil), .inserted(ledgerIndex: nil),
                    .inserted(ledgerIndex: nil), .inserted(ledgerIndex: 4)])
            await #expect(try store.ingest([ingestItem(.register(r))]) == [.duplicate])

            #expect(try await store.register(id: rID) == r)
            #expect(try await store.person(id: pID) == p)
            #expect(try await store.staffMember(id: sID) == st)
            #expect(try await store.caseRecord(id: cID) == c)
            await #expect(try store.ledgerIndex(ofEvent: eID) == 4)
            #expect(try await store.registerIDs(member: pID) == [rID])
            #expect(try await store.cases(person: pID, registers: []) == [c])
            #expect(try await store.cases(person: nil, registers: [rID]) == [c])
            #expect(try await store.openCases(staff: sID, limit: 5) == [c])
            await #expect(try store.danglingReferences(fromLedgerIndex: 0, referenceRecords: true, limit: 10).count == 0)
            // Wildcards are not wildcards.
            #expect(try await store.registers(ids: ["R%", "R_", "R'\"%_\\ _", "R'\"%_\\%"]).isEmpty)
            #expect(try await store.persons(ids: ["P%"]).isEmpty)
            #expect(try await store.staffMember(id: "S%") == nil)
            #expect(try await store.searchRegisters(RegisterQuery(name: "100%"), limit: 10) == [r])
            #expect(try await store.searchRegisters(RegisterQuery(name: "'"), limit: 10) == [r])
            #expect(try await store.searchRegisters(RegisterQuery(name: "_"), limit: 10).isEmpty)
            #expect(try await store.searchRegisters(RegisterQuery(honseki: "'1%"), limit: 10) == [r])
            #expect(try await store.searchRegisters(RegisterQuery(honseki: "天神橋_"), limit: 10).isEmpty)

            // Self-report identities: survey "2014|02" + staff "S1" and survey "2014" + staff "02|S1" are two answers.
            let a = SelfReport(survey: "2014|02", staff: "S1", declares: .none)
            let b = SelfReport(survey: "2014", staff: "02|S1", declares: .some)
            await #expect(try store.ingest([ingestItem(.selfReport(a)), ingestItem(.selfReport(b))])
                == [.inserted(ledgerIndex: nil), .inserted(ledgerIndex: nil)])
            #expect(try await store.selfReports(survey: "2014|02") == [a])
            #expect(try await store.selfReports(survey: "2014") == [b])
            // Protections are one per person, kind and start.
            let later = Protection(person: "P0000002", kind: .vip, from: date("2020-01-01"))
            let earlier = Protection(person: "P0000002", kind: .vip, from: date("2019-01-01"), to: date("2019-12-31"))
            await #expect(try store.ingest([ingestItem(.protection(later)), ingestItem(.protection(earlier))])
                == [.inserted(ledgerIndex: nil), .inserted(ledgerIndex: nil)])
            #expect(Set(try await store.protections(person: "P0000002")) == [later, earlier])
        }
    }

    @Test("ingest and appendJournal are all or nothing: an entry too long for the ledger refuses the whole call",
          arguments: StoreFactory.all)
    func ingestAllOrNothing(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let before = try await store.stats()
            let huge = AccessEvent(id: "EBIG", at: ts("2012-05-01T09:00:00+09:00"), staff: "S0001", office: "27108",
                                   action: .search, record: .current, query: .object([("name", .string("浪花"))]),
                                   results: Array(repeating: "R0000002", count: 8_000))
            let hugeItem = IngestItem(record: .access(huge), canonical: Record.access(huge).canonicalJSON,
                                      raw: Record.access(huge).canonicalJSON[...], file: "big.jsonl", line: 3)
            #expect(hugeItem.canonical.count > EntryBundle.maxEntryLength)
            let newOffice = #"{"type":"office","code":"27113","name":"西淀川区役所"}"#
            await #expect(throws: (any Error).self) {
                try await store.ingest([item(newOffice), item(accessLine("E0005")), hugeItem])
            }
            await #expect(try store.ledgerSize() == 4)
            await #expect(try store.ledgerIndex(ofEvent: "E0005") == nil)
            #expect(try await store.office(code: "27113") == nil)
            await #expect(try store.stats() == before)
            try await expectTilesAgree(store)
            // The index was not used up.
            await #expect(try store.ingest([item(newOffice), item(accessLine("E0005"))])
                == [.inserted(ledgerIndex: nil), .inserted(ledgerIndex: 4)])

            var big = journal("JBIG")
            big.detail = .string(String(repeating: "x", count: 70_000))
            await #expect(throws: (any Error).self) { try await store.appendJournal([journal("J1"), big]) }
            await #expect(try store.ledgerSize() == 5)
            await #expect(try store.appendJournal([journal("J1")]) == [5])
            try await expectTilesAgree(store)
        }
    }

    @Test("notices: two handles inserting the same person and case at once keep one notice", arguments: StoreFactory.all)
    func noticeRace(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let a = try factory.make(dir)
            let b = try factory.reopen(dir)
            for k in 0..<6 {
                let n = ResidentNotice(person: "P0000001", caseID: "C10\(k)", issued: ts("2011-03-12T10:00:00+09:00"),
                                       office: "27108", certificate: "certificate.full", copies: 1,
                                       requester: "professional", produced: ts("2026-01-05T09:00:00+09:00"),
                                       journalID: "NP-\(k)")
                async let x = a.insertNotice(n)
                async let y = b.insertNotice(n)
                let (rx, ry) = try await (x, y)
                #expect(rx.inserted != ry.inserted, "exactly one of two simultaneous inserts is new")
                #expect(rx.notice.id == ry.notice.id)
            }
            #expect(try await a.notices(pendingOnly: false).count == 6)
        }
    }

    // MARK: AkashiStore: ingest

    @Test("ingest: inserted with consecutive ledger indexes for events, nil for reference records; duplicate",
          arguments: StoreFactory.all)
    func ingestOutcomes(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            await #expect(try store.ledgerSize() == 0)
            await #expect(try store.ledgerEntries(0..<0).isEmpty)

            let refs = try ContractCity.reference.enumerated().map { try item($1, number: $0 + 1) }
            await #expect(try store.ingest(refs) == Array(repeating: IngestOutcome.inserted(ledgerIndex: nil), count: refs.count))
            await #expect(try store.ledgerSize() == 0)

            await #expect(try store.ingest([item(ContractCity.access1), item(ContractCity.access2)])
                == [.inserted(ledgerIndex: 0), .inserted(ledgerIndex: 1)])
            await #expect(try store.appendJournal([journal("J1")]) == [2])
            // Indexes go on from the current ledger size (journal entries included); a duplicate takes none.
            await #expect(try store.ingest([item(ContractCity.access3), item(ContractCity.access1), item(ContractCity.access4)])
                == [.inserted(ledgerIndex: 3), .duplicate, .inserted(ledgerIndex: 4)])
            // A reference record and an event in one batch.
            let newOffice = #"{"type":"office","code":"27113","name":"西淀川区役所"}"#
            await #expect(try store.ingest([item(newOffice), item(accessLine("E0005"))])
                == [.inserted(ledgerIndex: nil), .inserted(ledgerIndex: 5)])
            await #expect(try store.ledgerSize() == 6)

            // The same content again is a duplicate, however the line was spelled (the canonical JSON is compared).
            let respelled = #"{ "municipality":"27100", "name":"大正区役所", "code":"27108", "type":"office" }"#
            await #expect(try store.ingest([item(respelled), item(ContractCity.person3), item(ContractCity.selfReport1), item(ContractCity.protectionDV)])
                == [.duplicate, .duplicate, .duplicate, .duplicate])
            let respelledAccess = #"{"record":"current","register":"R0000002","action":"view","case":"C0003","terminal":"T27108-01","office":"27108","staff":"S0001","at":"2011-03-11T10:05:00+09:00","id":"E0001","type":"access","outcome":"ok"}"#
            await #expect(try store.ingest([item(respelledAccess)]) == [.duplicate])
            await #expect(try store.ingest([]).isEmpty)
            await #expect(try store.ledgerSize() == 6)

            // The ledger holds exactly the canonical bytes, in index order.
            let expected = try [canonical(ContractCity.access1), canonical(ContractCity.access2), journal("J1").canonicalJSON,
                                canonical(ContractCity.access3), canonical(ContractCity.access4), canonical(accessLine("E0005"))]
            await #expect(try store.ledgerEntries(0..<6) == expected)
            await #expect(try store.ledgerEntries(2..<4) == Array(expected[2..<4]))
            await #expect(try store.ledgerEntries(6..<6).isEmpty)

            await #expect(try store.ledgerIndex(ofEvent: "E0001") == 0)
            await #expect(try store.ledgerIndex(ofEvent: "E0004") == 4)
            await #expect(try store.ledgerIndex(ofEvent: "E0005") == 5)
            await #expect(try store.ledgerIndex(ofEvent: "E9999") == nil)
            try await expectTilesAgree(store)
        }
    }

    @Test("ingest: the same type and ID with other content is a conflict, the first version kept",
          arguments: StoreFactory.all)
    func ingestConflicts(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let statsBefore = try await store.stats()
            let entriesBefore = try await store.ledgerEntries(0..<4)

            // An access event with other content: refused, never overwritten.
            let otherAccess2 = #"{"type":"access","id":"E0002","at":"2011-03-11T10:06:00+09:00","staff":"S0003","office":"27108","action":"print","record":"fuhyo","register":"R0000002"}"#
            await #expect(try store.ingest([item(otherAccess2)]) == [.conflict])
            await #expect(try store.ledgerSize() == 4)
            await #expect(try store.ledgerEntries(1..<2) == [canonical(ContractCity.access2)])
            await #expect(try store.ledgerIndex(ofEvent: "E0002") == 1)

            // Reference records of each type with other content.
            let otherOffice = #"{"type":"office","code":"27108","name":"大正区役所（旧庁舎）","municipality":"27100"}"#
            let otherStaff = #"{"type":"staff","id":"S0003","name":"大阪 三郎","role":"supervisor","assignments":[{"office":"27108","duty":"koseki","from":"2005-04-01"}]}"#
            let otherRegister = #"{"type":"register","id":"R0000003","kind":"removed","honseki":"大阪市都島区都島本通三丁目7番","office":"27102"}"#
            let otherPerson = #"{"type":"person","id":"P0000001","name":"浪花 一郎","kana":"なにわ かずお","birth":"1969-06-29","sex":"M","register":"R0000002"}"#
            let otherProtection = #"{"type":"protection","person":"P0000001","kind":"vip","from":"2008-02-06","note":"元市長"}"#
            let otherCase = #"{"type":"case","id":"C0004","office":"27108","kind":"other","received":"2011-03-10T09:00:00+09:00","status":"withdrawn","staff":["S0003"],"registers":["R0000001"]}"#
            let otherSelfReport = #"{"type":"self_report","survey":"2014-02","staff":"S0003","declares":"some"}"#
            let others = [otherOffice, otherStaff, otherRegister, otherPerson, otherProtection, otherCase, otherSelfReport]
            await #expect(try store.ingest(others.map { try item($0) })
                == Array(repeating: IngestOutcome.conflict, count: others.count))

            #expect(try await store.office(code: "27108") == office(ContractCity.officeTaisho))
            #expect(try await store.staffMember(id: "S0003") == staff(ContractCity.staff3))
            #expect(try await store.register(id: "R0000003") == register(ContractCity.register3))
            #expect(try await store.person(id: "P0000001") == person(ContractCity.person1))
            #expect(Set(try await store.protections(person: "P0000001"))
                == [try protection(ContractCity.protectionVIP), try protection(ContractCity.protectionDV)])
            #expect(try await store.caseRecord(id: "C0004") == kase(ContractCity.case4))
            #expect(try await store.selfReports(survey: "2014-02")
                == [selfReport(ContractCity.selfReport1), selfReport(ContractCity.selfReport3)])

            // Nothing was added.
            await #expect(try store.stats() == statsBefore)
            await #expect(try store.ledgerEntries(0..<4) == entriesBefore)
        }
    }

    @Test("ingest: outcomes within one batch, in order", arguments: StoreFactory.all)
    func ingestWithinOneBatch(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let a = accessLine("E0010", minute: 1)
            let b = accessLine("E0011", minute: 2)
            let bOther = accessLine("E0011", minute: 3)
            let newOffice = #"{"type":"office","code":"27113","name":"西淀川区役所"}"#
            let newOfficeOther = #"{"type":"office","code":"27113","name":"西淀川区役所別館"}"#
            await #expect(try store.ingest([item(a), item(a), item(b), item(bOther), item(newOffice), item(newOfficeOther), item(newOffice)])
                == [.inserted(ledgerIndex: 0), .duplicate, .inserted(ledgerIndex: 1), .conflict,
                    .inserted(ledgerIndex: nil), .conflict, .duplicate])
            await #expect(try store.ledgerEntries(0..<2) == [canonical(a), canonical(b)])
            #expect(try await store.office(code: "27113") == office(newOffice))
            await #expect(try store.stats().offices == 1)
            await #expect(try store.stats().access == 2)
        }
    }

    @Test("ingest: a batch the size an import writes (PostgreSQL: COPY) keeps the outcomes, ledger order, lookups, and all or nothing",
          arguments: StoreFactory.all)
    func ingestBulkBatch(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let statsBefore = try await store.stats()
            // 300 events over three months (three partitions on PostgreSQL); every fifth a search listing two registers.
            func bulk(_ k: Int, staff: String = "S0003") -> String {
                let at = "2012-0\(5 + k % 3)-01T09:\(two(k % 60)):\(two(k / 60))+09:00"
                return k % 5 == 0
                    ? #"{"type":"access","id":"EB\#(k)","at":"\#(at)","staff":"S0001","office":"27108","action":"search","record":"current","query":{"name":"浪花 \\ \"一郎\" \t 😀"},"results":["R0000001","R0000002","R0000001"]}"#
                    : #"{"type":"access","id":"EB\#(k)","at":"\#(at)","staff":"\#(staff)","office":"27108","action":"view","record":"current","register":"R0000002","person":"P0000001","case":"C0004"}"#
            }
            let otherAccess2 = #"{"type":"access","id":"E0002","at":"2011-03-11T10:06:00+09:00","staff":"S0003","office":"27108","action":"print","record":"fuhyo","register":"R0000002"}"#
            var lines = (0..<300).map { bulk($0) }
            lines.insert(ContractCity.access1, at: 10)   // stored before, same content: duplicate
            lines.insert(otherAccess2, at: 20)           // stored before, other content: conflict
            lines.insert(bulk(7), at: 100)               // earlier in this batch, same content: duplicate
            lines.insert(bulk(8, staff: "S0002"), at: 200) // earlier in this batch, other content: conflict
            let items = try lines.enumerated().map { try item($1, file: "bulk.jsonl", number: $0 + 1) }
            var expected: [IngestOutcome] = []
            var next: UInt64 = 4
            for k in lines.indices {
                switch k {
                case 10, 100: expected.append(.duplicate)
                case 20, 200: expected.append(.conflict)
                default:
                    expected.append(.inserted(ledgerIndex: next))
                    next += 1
                }
            }

            // All or nothing: an entry too long for the ledger, last in the batch, refuses the whole batch after its
            // rows were written (PostgreSQL: after the COPY, inside the transaction).
            let huge = AccessEvent(id: "EBIG", at: ts("2012-05-01T09:00:00+09:00"), staff: "S0001", office: "27108",
                                   action: .search, record: .current, query: .object([("name", .string("浪花"))]),
                                   results: Array(repeating: "R0000002", count: 8_000))
            let hugeItem = IngestItem(record: .access(huge), canonical: Record.access(huge).canonicalJSON,
                                      raw: Record.access(huge).canonicalJSON[...], file: "bulk.jsonl", line: 999)
            await #expect(throws: (any Error).self) { try await store.ingest(items + [hugeItem], deferLookupIndexes: true) }
            await #expect(try store.ledgerSize() == 4)
            await #expect(try store.ledgerIndex(ofEvent: "EB1") == nil)
            await #expect(try store.stats() == statsBefore)
            await #expect(try store.accessEvents([EventSelection(.searchResult("R0000001"))], below: nil).map(\.seq) == [2])

            // The same batch again, without it: every outcome as for a small batch, indexes from the same size.
            await #expect(try store.ingest(items, deferLookupIndexes: true) == expected)
            try await store.catchUpLookupIndexes()
            let inserted = lines.indices.filter { ![10, 20, 100, 200].contains($0) }
            await #expect(try store.ledgerSize() == 4 + UInt64(inserted.count))
            await #expect(try store.ledgerEntries(4..<(4 + UInt64(inserted.count))) == inserted.map { try canonical(lines[$0]) })
            await #expect(try store.ledgerEntries(1..<2) == [canonical(ContractCity.access2)])
            await #expect(try store.ledgerIndex(ofEvent: "EB299") == 4 + UInt64(inserted.count) - 1)
            // The lookups see the new rows: searches by listed register (once each, however often listed), staff, case.
            let searches = try await store.accessEvents([EventSelection(.searchResult("R0000001"))], below: nil)
            #expect(searches.count == 1 + 60)
            #expect(try await store.accessEvents([EventSelection(.case("C0004"))], below: nil).count == 240)
            let may = EventSelection(.staff("S0003"), fromMillis: ts("2012-05-01T00:00:00+09:00").millis,
                                     toMillis: ts("2012-06-01T00:00:00+09:00").millis)
            #expect(try await store.accessEvents([may], below: nil).count == 80)
            await #expect(try store.stats().access == statsBefore.access + inserted.count)
            try await expectTilesAgree(store)
            // Imported again: all duplicates, nothing written.
            await #expect(try store.ingest(items, deferLookupIndexes: true)
                == lines.indices.map { [20, 200].contains($0) ? IngestOutcome.conflict : .duplicate })
            await #expect(try store.ledgerSize() == 4 + UInt64(inserted.count))
        }
    }

    @Test("stats() counts per record type; forEachRecord: events in ledger order", arguments: StoreFactory.all)
    func statsAndForEachRecord(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            await #expect(try store.stats() == StoreStats())
            await #expect(try store.stats().ledgerSize == 0)
            try await importLines(store, ContractCity.all, dir: dir)
            try await store.appendJournal([journal("J1"), journal("J2")])
            // Ledger order (E0006, then E0005) is neither ID nor time order here.
            _ = try await store.ingest([item(accessLine("E0006", minute: 30)), item(accessLine("E0005", minute: 10))])
            // One bad line: rejected and quarantined by the importer.
            let report = try await importLines(store, [#"{"type":"access","id":"E0007"}"#], dir: dir, name: "bad.jsonl")
            #expect(report.rejected == 1)

            let s = try await store.stats()
            #expect(s.offices == 3)
            #expect(s.staff == 4)
            #expect(s.registers == 3)
            #expect(s.persons == 4)
            #expect(s.protections == 2)
            #expect(s.cases == 4)
            #expect(s.access == 6)
            #expect(s.selfReports == 3)
            #expect(s.quarantined == 1)
            #expect(s.ledgerSize == 8)
            await #expect(try store.ledgerSize() == 8)

            var accesses: [[UInt8]] = []
            try await store.forEachRecord(.access) { accesses.append($0) }
            #expect(accesses
                == (try (ContractCity.accesses + [accessLine("E0006", minute: 30), accessLine("E0005", minute: 10)]).map(canonical)))

            func all(_ type: RecordType) async throws -> Set<[UInt8]> {
                var out: [[UInt8]] = []
                try await store.forEachRecord(type) { out.append($0) }
                #expect(out.count == Set(out).count, "\(type.rawValue) records each once")
                return Set(out)
            }
            await #expect(try all(.office) == Set(try ContractCity.offices.map(canonical)))
            await #expect(try all(.staff) == Set(try ContractCity.staff.map(canonical)))
            await #expect(try all(.register) == Set(try ContractCity.registers.map(canonical)))
            await #expect(try all(.person) == Set(try ContractCity.persons.map(canonical)))
            await #expect(try all(.protection) == Set(try ContractCity.protections.map(canonical)))
            await #expect(try all(.case) == Set(try ContractCity.cases.map(canonical)))
            await #expect(try all(.self_report) == Set(try ContractCity.selfReports.map(canonical)))
        }
    }

    @Test("quarantine: returns how many were new; the same line and reason is not kept twice",
          arguments: StoreFactory.all)
    func quarantine(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            #expect(!store.quarantineLocation.isEmpty)
            let q1 = QuarantineItem(file: "a.jsonl", line: 1, reason: "not valid JSON", raw: Array("{".utf8))
            let q2 = QuarantineItem(file: "a.jsonl", line: 2, reason: "not valid JSON", raw: Array("{{".utf8))
            let q1Other = QuarantineItem(file: "a.jsonl", line: 1, reason: "field \"type\": missing", raw: Array("{".utf8))
            let q3 = QuarantineItem(file: "b.jsonl", line: 7, reason: "unknown type \"x\"", raw: Array(#"{"type":"x"}"#.utf8))
            #expect(try await store.quarantine([]) == 0)
            #expect(try await store.quarantine([q1, q2]) == 2)
            #expect(try await store.stats().quarantined == 2)
            #expect(try await store.quarantine([q1]) == 0)
            #expect(try await store.quarantine([q2, q1Other]) == 1)
            #expect(try await store.quarantine([q3, q3]) == 1)
            // A rejected line is kept verbatim, even when it is not UTF-8 or holds a NUL byte.
            let binary = QuarantineItem(file: "c.jsonl.gz", line: 3, reason: "not valid UTF-8", raw: [0xFF, 0xFE, 0x00, 0x7B, 0xC3])
            #expect(try await store.quarantine([binary]) == 1)
            #expect(try await store.quarantine([binary]) == 0)
            #expect(try await store.stats().quarantined == 5)
            #expect(try await store.ledgerSize() == 0)
        }
    }

    @Test("danglingReferences: an access naming an unknown register, until the register arrives",
          arguments: StoreFactory.all)
    func danglingReferences(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            var d = try await store.danglingReferences(fromLedgerIndex: 0, referenceRecords: true, limit: 10)
            #expect(d.count == 0)
            #expect(d.examples.isEmpty)

            // Two events naming an unknown register, at ledger indexes 4 and 5.
            await #expect(try store.ingest([item(accessLine("E0101", register: "R9999999")),
                                      item(accessLine("E0102", register: "R9999999", minute: 1))])
                == [.inserted(ledgerIndex: 4), .inserted(ledgerIndex: 5)])
            d = try await store.danglingReferences(fromLedgerIndex: 4, referenceRecords: false, limit: 10)
            #expect(d.count == 2)
            #expect(d.examples.count == 2)
            #expect(d.examples.contains(DanglingReference(from: "access E0101", field: "register", id: "R9999999")))
            #expect(d.examples.contains(DanglingReference(from: "access E0102", field: "register", id: "R9999999")))
            // The count is all of them; the examples at most `limit`.
            d = try await store.danglingReferences(fromLedgerIndex: 0, referenceRecords: true, limit: 1)
            #expect(d.count == 2)
            #expect(d.examples.count == 1)
            // Only from events at or after the index asked.
            d = try await store.danglingReferences(fromLedgerIndex: 5, referenceRecords: false, limit: 10)
            #expect(d.count == 1)
            #expect(d.examples == [DanglingReference(from: "access E0102", field: "register", id: "R9999999")])
            await #expect(try store.danglingReferences(fromLedgerIndex: 6, referenceRecords: false, limit: 10).count == 0)

            // A reference record naming an unknown register counts only with `referenceRecords`.
            let orphanCase = #"{"type":"case","id":"C0901","office":"27108","kind":"other","received":"2012-01-01T09:00:00+09:00","staff":["S0001"],"registers":["R8888888"]}"#
            await #expect(try store.ingest([item(orphanCase)]) == [.inserted(ledgerIndex: nil)])
            await #expect(try store.danglingReferences(fromLedgerIndex: 6, referenceRecords: false, limit: 10).count == 0)
            d = try await store.danglingReferences(fromLedgerIndex: 6, referenceRecords: true, limit: 10)
            #expect(d.count == 1)
            #expect(d.examples.map(\.id) == ["R8888888"])
            #expect(d.examples.map(\.from) == ["case C0901"])

            // The references resolve when the records arrive.
            let r9 = #"{"type":"register","id":"R9999999","kind":"current","honseki":"大阪市北区梅田一丁目","office":"27127"}"#
            let r8 = #"{"type":"register","id":"R8888888","kind":"current","honseki":"大阪市北区梅田二丁目","office":"27127"}"#
            _ = try await store.ingest([item(r9), item(r8)])
            await #expect(try store.danglingReferences(fromLedgerIndex: 0, referenceRecords: true, limit: 10).count == 0)
        }
    }

    // MARK: AkashiStore: the ledger

    @Test("appendJournal: consecutive indexes after the ingested events; the entries are the events' canonical JSON",
          arguments: StoreFactory.all)
    func appendJournal(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            await #expect(try store.appendJournal([journal("J1"), journal("J2"), journal("J3")]) == [4, 5, 6])
            await #expect(try store.appendJournal([]).isEmpty)
            await #expect(try store.ingest([item(accessLine("E0005"))]) == [.inserted(ledgerIndex: 7)])
            await #expect(try store.appendJournal([journal("J4")]) == [8])
            await #expect(try store.ledgerSize() == 9)
            await #expect(try store.ledgerEntries(4..<9) == [journal("J1").canonicalJSON, journal("J2").canonicalJSON,
                                                       journal("J3").canonicalJSON, try canonical(accessLine("E0005")),
                                                       journal("J4").canonicalJSON])
            // Journal events are not access records.
            var accesses = 0
            try await store.forEachRecord(.access) { _ in accesses += 1 }
            #expect(accesses == 5)
            await #expect(try store.stats().access == 5)
            try await expectTilesAgree(store)
        }
    }

    @Test("the tiles agree with the entries, across full level-0 tiles and after a reopen", arguments: StoreFactory.all)
    func tilesAgreeWithEntries(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            try await expectTilesAgree(store)
            var expected: [[UInt8]] = []
            // Batches that end short of, exactly on and past tile boundaries (256, 512).
            for (k, n) in [1, 99, 150, 6, 7, 249, 10].enumerated() {
                let events = (0..<n).map { journal("J\(k)-\($0)", minute: $0) }
                let first = UInt64(expected.count)
                await #expect(try store.appendJournal(events) == Array(first..<(first + UInt64(n))))
                expected += events.map(\.canonicalJSON)
                try await expectTilesAgree(store)
            }
            // Events through ingest too.
            let lines = (0..<20).map { accessLine("EX-\($0)", minute: $0) }
            let outcomes = try await store.ingest(lines.map { try item($0) })
            #expect(outcomes == (0..<20).map { IngestOutcome.inserted(ledgerIndex: UInt64(expected.count + $0)) })
            expected += try lines.map(canonical)
            try await expectTilesAgree(store)
            await #expect(try store.ledgerSize() == 542)
            await #expect(try store.ledgerEntries(0..<542) == expected)

            // Level-0 tiles hold the leaf hashes of the entries.
            let leaves = MerkleHash.leaves(expected)
            func hashes(_ r: Range<Int>) async -> [UInt8] { leaves[r].flatMap(\.bytes) }
            let t0 = try await #require(try store.tile(level: 0, index: 0))
            #expect(t0.level == 0 && t0.index == 0 && t0.isFull)
            await #expect(t0.hashes == hashes(0..<256))
            await #expect(try store.tile(level: 0, index: 1)?.hashes == hashes(256..<512))
            await #expect(try store.tile(level: 0, index: 2)?.hashes == hashes(512..<542))
            await #expect(try store.tile(level: 0, index: 3) == nil)
            // A level-1 hash is the root of a full level-0 tile.
            let t1 = try await #require(try store.tile(level: 1, index: 0))
            #expect(t1.width == 2)
            #expect(t1.hash(at: 0) == merkleRoot(leaves[0..<256]))
            #expect(t1.hash(at: 1) == merkleRoot(leaves[256..<512]))
            // Missing tiles are left out.
            let some = try await store.tiles(level: 0, indexes: [2, 7, 0])
            #expect(Set(some.map(\.index)) == [0, 2])
            await #expect(some.first { $0.index == 2 }?.hashes == hashes(512..<542))

            // Every stored tile, ordered by level then index, as `tile(level:index:)` reads it.
            var stored: [Tile] = []
            try await store.forEachTile { stored.append($0) }
            let keys = stored.map { [UInt64($0.level), $0.index] }
            #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
            #expect(Set(keys).count == keys.count)
            #expect(keys.contains([0, 0]) && keys.contains([0, 1]) && keys.contains([1, 0]))
            for t in stored { await #expect(try store.tile(level: t.level, index: t.index) == t) }
            await #expect(try store.integrityProblems().isEmpty)

            // Another handle sees the same ledger and extends it.
            let again = try factory.reopen(dir)
            await #expect(try again.ledgerSize() == 542)
            await #expect(try again.ledgerEntries(0..<542) == expected)
            try await expectTilesAgree(again)
            await #expect(try again.appendJournal([journal("K1"), journal("K2")]) == [542, 543])
            try await expectTilesAgree(again)
            try await expectTilesAgree(store)
            await #expect(try store.appendJournal([journal("K3")]) == [544])
            try await expectTilesAgree(again)
        }
    }

    @Test("two handles appending alternately: no index twice, every entry exactly once, tiles agree",
          arguments: StoreFactory.all)
    func twoHandlesAlternately(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let a = try factory.make(dir)
            let b = try factory.reopen(dir)
            var expected: [[UInt8]] = []
            var indexes: [UInt64] = []
            for round in 0..<12 {
                let handle = round % 2 == 0 ? a : b
                let n = 23 + round
                if round % 3 == 2 {
                    // Some rounds ingest access events instead.
                    let lines = (0..<n).map { accessLine("E\(round)-\($0)", minute: $0) }
                    let out = try await handle.ingest(lines.map { try item($0) })
                    let got = out.compactMap { o -> UInt64? in
                        if case let .inserted(ledgerIndex: i?) = o { return i }
                        return nil
                    }
                    #expect(got.count == n)
                    indexes += got
                    expected += try lines.map(canonical)
                } else {
                    let events = (0..<n).map { journal("T\(round)-\($0)", minute: $0) }
                    let got = try await handle.appendJournal(events)
                    #expect(got == Array(UInt64(expected.count)..<UInt64(expected.count + n)))
                    indexes += got
                    expected += events.map(\.canonicalJSON)
                }
            }
            let size = UInt64(expected.count)
            #expect(indexes == Array(0..<size))
            await #expect(try a.ledgerSize() == size)
            await #expect(try b.ledgerSize() == size)
            await #expect(try a.ledgerEntries(0..<size) == expected)
            await #expect(try b.ledgerEntries(0..<size) == expected)
            try await expectTilesAgree(a)
            try await expectTilesAgree(b)
        }
    }

    @Test("two handles appending at the same time: no index twice, every entry exactly once, tiles agree",
          arguments: StoreFactory.all)
    func twoHandlesConcurrently(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let a = try factory.make(dir)
            let b = try factory.reopen(dir)
            let rounds = 8, perBatch = 20
            let results = try await withThrowingTaskGroup(of: [(UInt64, [UInt8])].self) { group in
                for (name, handle) in [("A", a), ("B", b)] {
                    group.addTask {
                        var mine: [(UInt64, [UInt8])] = []
                        for round in 0..<rounds {
                            let events = (0..<perBatch).map { journal("\(name)\(round)-\($0)", minute: $0) }
                            let got = try await retryingBusy { try await handle.appendJournal(events) }
                            #expect(got.count == perBatch)
                            // One call's entries are consecutive.
                            if let f = got.first { #expect(got == Array(f..<(f + UInt64(perBatch)))) }
                            mine += zip(got, events.map(\.canonicalJSON)).map { ($0, $1) }
                        }
                        return mine
                    }
                }
                var all: [(UInt64, [UInt8])] = []
                for try await part in group { all += part }
                return all
            }
            let size = UInt64(2 * rounds * perBatch)
            #expect(Set(results.map(\.0)) == Set(0..<size))
            #expect(results.count == Int(size))
            await #expect(try a.ledgerSize() == size)
            await #expect(try b.ledgerSize() == size)
            let entries = try await a.ledgerEntries(0..<size)
            await #expect(try b.ledgerEntries(0..<size) == entries)
            for (index, entry) in results {
                #expect(entries[Int(index)] == entry, "entry at ledger index \(index)")
            }
            #expect(Set(entries).count == entries.count)
            try await expectTilesAgree(a)
            try await expectTilesAgree(b)
        }
    }

    @Test("checkpoints: latestCheckpoint, checkpoints() oldest first, the same size kept once; verifier key",
          arguments: StoreFactory.all)
    func checkpoints(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            await #expect(try store.latestCheckpoint() == nil)
            await #expect(try store.checkpoints().isEmpty)
            await #expect(try store.recordedVerifierKey() == nil)

            func checkpoint(_ size: UInt64, _ tag: String) async -> StoredCheckpoint {
                let root = MerkleHash.leaf(Array("root \(size)".utf8))
                return StoredCheckpoint(size: size, root: root,
                                        note: "ledger.example/akashi\n\(size)\n\(root.base64)\n\n— ledger.example/akashi \(tag)\n")
            }
            let c1 = await checkpoint(1, "c1"), c3 = await checkpoint(3, "c3"), c7 = await checkpoint(7, "c7")
            try await store.saveCheckpoint(c1)
            await #expect(try store.latestCheckpoint() == c1)
            try await store.saveCheckpoint(c3)
            try await store.saveCheckpoint(c7)
            await #expect(try store.latestCheckpoint() == c7)
            await #expect(try store.checkpoints() == [c1, c3, c7])
            // Append-only: a second checkpoint of a stored size does not replace the first (it may be refused).
            try? await store.saveCheckpoint(checkpoint(3, "other signature"))
            await #expect(try store.checkpoints() == [c1, c3, c7])
            await #expect(try store.latestCheckpoint() == c7)

            let key = "ledger.example/akashi+0a1b2c3d+AXc0S2V5YmFzZTY0K3dpdGgvcGx1cz0="
            try await store.recordVerifierKey(key)
            await #expect(try store.recordedVerifierKey() == key)

            let again = try factory.reopen(dir)
            await #expect(try again.checkpoints() == [c1, c3, c7])
            await #expect(try again.latestCheckpoint() == c7)
            await #expect(try again.recordedVerifierKey() == key)
        }
    }

    // MARK: WorkspaceStore

    @Test("accounts: setPasswordHash, a new password clears every lockout, accounts independent", arguments: StoreFactory.all)
    func accounts(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let hash1 = "scrypt$16384$8$1$c2FsdA==$aGFzaDE="
            let hash2 = "scrypt$16384$8$1$c2FsdDI=$aGFzaDI="
            let limits = SignInLimits(perAddress: 2, perAccount: 3)
            let t0: Int64 = 1_700_000_000_000
            #expect(try await store.account(staff: "S0001") == nil)
            #expect(try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0, limits: limits) == .noAccount)
            #expect(try await store.failedSignIns(staff: "S0001").isEmpty)
            try await store.setPasswordHash(staff: "S0001", hash: hash1)
            #expect(try await store.account(staff: "S0001") == WorkspaceAccount(staff: "S0001", passwordHash: hash1))
            #expect(try await store.account(staff: "S0002") == nil)

            _ = try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0, limits: limits)
            _ = try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0 + 1, limits: limits)
            _ = try await store.claimSignIn(staff: "S0001", address: "10.0.0.2", at: t0 + 2, limits: limits)
            #expect(try await store.account(staff: "S0001")
                == WorkspaceAccount(staff: "S0001", passwordHash: hash1, failures: 3, lockedUntil: t0 + 2 + limits.accountLockMillis,
                                    windowStart: t0))
            #expect(try await store.lockedAccounts(at: t0 + 3).map(\.staff) == ["S0001"])
            #expect(try await store.lockedAccounts(at: t0 + 2 + limits.accountLockMillis).isEmpty)
            // A new password clears the lockout, the account's and every address's.
            try await store.setPasswordHash(staff: "S0001", hash: hash2)
            #expect(try await store.account(staff: "S0001") == WorkspaceAccount(staff: "S0001", passwordHash: hash2))
            #expect(try await store.failedSignIns(staff: "S0001").isEmpty)
            #expect(try await store.lockedAccounts(at: t0 + 3).isEmpty)

            // clearFailedSignIns clears them too, and keeps the password.
            _ = try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0, limits: limits)
            try await store.clearFailedSignIns(staff: "S0001")
            #expect(try await store.account(staff: "S0001") == WorkspaceAccount(staff: "S0001", passwordHash: hash2))
            #expect(try await store.failedSignIns(staff: "S0001").isEmpty)

            // Accounts are independent, and visible to another handle.
            try await store.setPasswordHash(staff: "S0002", hash: hash1)
            #expect(try await store.claimSignIn(staff: "S0002", address: "10.0.0.1", at: t0, limits: limits)
                == .granted(addressFailures: 1, accountFailures: 1, locks: nil))
            let again = try factory.reopen(dir)
            #expect(try await again.account(staff: "S0001") == WorkspaceAccount(staff: "S0001", passwordHash: hash2))
            #expect(try await again.account(staff: "S0002")
                == WorkspaceAccount(staff: "S0002", passwordHash: hash1, failures: 1, windowStart: t0))
            #expect(try await again.failedSignIns(staff: "S0002")
                == [AddressSignInFailures(staff: "S0002", address: "10.0.0.1", failures: 1, windowStart: t0)])
            #expect(try await store.ledgerSize() == 0)
        }
    }

    /// Small limits for the sign-in claim tests: 3 an address in 10 minutes (15-minute lock), 5 for the account in an
    /// hour (30-minute lock); a check open a minute was cut off.
    static let signInLimits = SignInLimits(perAddress: 3, addressWindowMillis: 600_000, addressLockMillis: 900_000,
                                           perAccount: 5, accountWindowMillis: 3_600_000, accountLockMillis: 1_800_000,
                                           cutOffMillis: 60_000)

    @Test("sign-in claims (issue 18, F-6): counted per address and for the account, the limit's check locks, locks expire, a success gives its check back", arguments: StoreFactory.all)
    func signInClaims(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            try await store.setPasswordHash(staff: "S0001", hash: "scrypt$16384$8$1$c2FsdA==$aGFzaDE=")
            let limits = Self.signInLimits
            let t0: Int64 = 1_700_000_000_000
            /// A check whose password was wrong (its outcome recorded, as the workspace does).
            func claim(_ address: String, _ at: Int64) async throws -> SignInClaim {
                let c = try await store.claimSignIn(staff: "S0001", address: address, at: at, limits: limits)
                if case .granted = c { try await store.recordFailedSignIn(staff: "S0001", address: address) }
                return c
            }
            let stranger = "203.0.113.9", clerk = "10.27.108.1"
            #expect(try await claim(stranger, t0) == .granted(addressFailures: 1, accountFailures: 1, locks: nil))
            #expect(try await claim(stranger, t0 + 1) == .granted(addressFailures: 2, accountFailures: 2, locks: nil))
            // The check that reaches the address's limit locks that address at once.
            #expect(try await claim(stranger, t0 + 2) == .granted(addressFailures: 3, accountFailures: 3, locks: .address))
            #expect(try await claim(stranger, t0 + 3) == .locked(.address, until: t0 + 2 + 900_000))
            // A refused attempt is not counted, for the address or the account.
            #expect(try await claim(stranger, t0 + 4) == .locked(.address, until: t0 + 2 + 900_000))
            #expect(try await store.account(staff: "S0001")?.failures == 3)
            #expect(try await store.failedSignIns(staff: "S0001")
                == [AddressSignInFailures(staff: "S0001", address: stranger, failures: 3, windowStart: t0, lockedUntil: t0 + 2 + 900_000)])
            // Another address is not locked out: the clerk at their own workstation.
            #expect(try await claim(clerk, t0 + 5) == .granted(addressFailures: 1, accountFailures: 4, locks: nil))
            try await store.recordSuccessfulSignIn(staff: "S0001", address: clerk, limits: limits)
            // A success clears its address and gives its check back to the account; the stranger's lock stays.
            #expect(try await store.account(staff: "S0001")?.failures == 3)
            #expect(try await store.failedSignIns(staff: "S0001").map(\.address) == [stranger])
            #expect(try await claim(stranger, t0 + 6) == .locked(.address, until: t0 + 2 + 900_000))

            // The lock expires: the window starts afresh.
            #expect(try await claim(stranger, t0 + 2 + 900_000) == .granted(addressFailures: 1, accountFailures: 4, locks: nil))
            // The account's ceiling: the check that reaches it locks the account for everyone, the clerk too.
            #expect(try await claim(clerk, t0 + 900_010) == .granted(addressFailures: 1, accountFailures: 5, locks: .account))
            #expect(try await claim("192.0.2.1", t0 + 900_011) == .locked(.account, until: t0 + 900_010 + 1_800_000))
            #expect(try await claim(clerk, t0 + 900_012) == .locked(.account, until: t0 + 900_010 + 1_800_000))
            #expect(try await store.account(staff: "S0001")?.lockedUntil == t0 + 900_010 + 1_800_000)
            #expect(try await store.lockedAccounts(at: t0 + 900_012).map(\.staff) == ["S0001"])
            // Nothing of an attempt refused by the account's lock is written (192.0.2.1 has no row).
            #expect(try await store.failedSignIns(staff: "S0001").map(\.address) == [clerk, stranger].sorted())
            // The account's lock expires too; its window starts afresh.
            let later = t0 + 900_010 + 1_800_000
            #expect(try await claim("192.0.2.1", later) == .granted(addressFailures: 1, accountFailures: 1, locks: nil))

            // A check that locked, whose password was right, lifts its own lock.
            try await store.clearFailedSignIns(staff: "S0001")
            for k in 0..<2 { _ = try await claim(clerk, later + Int64(k)) }
            #expect(try await claim(clerk, later + 2) == .granted(addressFailures: 3, accountFailures: 3, locks: .address))
            try await store.recordSuccessfulSignIn(staff: "S0001", address: clerk, limits: limits)
            #expect(try await claim(clerk, later + 3) == .granted(addressFailures: 1, accountFailures: 3, locks: nil))
            _ = try await claim("192.0.2.2", later + 4)
            #expect(try await claim("192.0.2.3", later + 5) == .granted(addressFailures: 1, accountFailures: 5, locks: .account))
            try await store.recordSuccessfulSignIn(staff: "S0001", address: "192.0.2.3", limits: limits)
            #expect(try await store.account(staff: "S0001")?.lockedUntil == nil)
            #expect(try await store.lockedAccounts(at: later + 6).isEmpty)

            // A window that has passed starts afresh without a lock; an address idle past its window is forgotten.
            try await store.clearFailedSignIns(staff: "S0001")
            _ = try await claim(clerk, later)
            _ = try await claim("192.0.2.4", later)
            #expect(try await claim(clerk, later + 600_000) == .granted(addressFailures: 1, accountFailures: 3, locks: nil))
            #expect(try await store.failedSignIns(staff: "S0001").map(\.address) == [clerk])
            await #expect(try store.ledgerSize() == 0)
        }
    }

    @Test("sign-in claims cut off by a killed server (fault test): given back by the next claim a minute later, with the lock they set; a wrong password stays counted", arguments: StoreFactory.all)
    func signInClaimsCutOff(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            try await store.setPasswordHash(staff: "S0001", hash: "scrypt$16384$8$1$c2FsdA==$aGFzaDE=")
            let limits = Self.signInLimits
            let t0: Int64 = 1_700_000_000_000, clerk = "10.27.108.1"
            func claim(_ at: Int64) async throws -> SignInClaim {
                try await store.claimSignIn(staff: "S0001", address: clerk, at: at, limits: limits)
            }
            // Three checks, none with an outcome (their server was killed mid-check): the third reaches the limit.
            #expect(try await claim(t0) == .granted(addressFailures: 1, accountFailures: 1, locks: nil))
            #expect(try await claim(t0 + 1) == .granted(addressFailures: 2, accountFailures: 2, locks: nil))
            #expect(try await claim(t0 + 2) == .granted(addressFailures: 3, accountFailures: 3, locks: .address))
            // Within a minute of the latest, they may still be running: they count, and the lock holds.
            #expect(try await claim(t0 + 59_000) == .locked(.address, until: t0 + 2 + 900_000))
            // A minute after it, still without an outcome, they were cut off: given back, the lock lifted.
            #expect(try await claim(t0 + 2 + 60_000) == .granted(addressFailures: 1, accountFailures: 1, locks: nil))
            #expect(try await store.account(staff: "S0001")?.failures == 1)
            // A wrong password is a failure for good: its outcome recorded, nothing is given back later.
            try await store.recordFailedSignIn(staff: "S0001", address: clerk)
            #expect(try await claim(t0 + 200_000) == .granted(addressFailures: 2, accountFailures: 2, locks: nil))
            try await store.recordFailedSignIn(staff: "S0001", address: clerk)
            #expect(try await claim(t0 + 400_000) == .granted(addressFailures: 3, accountFailures: 3, locks: .address))
            try await store.recordFailedSignIn(staff: "S0001", address: clerk)
            #expect(try await claim(t0 + 500_000) == .locked(.address, until: t0 + 400_000 + 900_000))

            // Each open check ages on its own: newer claims arriving (a clerk signing in again and again while the
            // server keeps being killed) do not keep an older cut-off one counted.
            try await store.clearFailedSignIns(staff: "S0001")
            let t1 = t0 + 2_000_000
            func addressFailures(_ c: SignInClaim) -> Int? {
                if case let .granted(n, _, _) = c { return n }
                return nil
            }
            #expect(addressFailures(try await claim(t1)) == 1)
            #expect(addressFailures(try await claim(t1 + 40_000)) == 2)
            #expect(addressFailures(try await claim(t1 + 70_000)) == 2)

            // A server that started after them gives back at once the checks its killed predecessor was making.
            try await store.clearFailedSignIns(staff: "S0001")
            let t2 = t1 + 1_000_000
            #expect(addressFailures(try await claim(t2)) == 1)
            #expect(addressFailures(try await claim(t2 + 1)) == 2)
            var restarted = limits
            restarted.cutOffBefore = t2 + 5
            #expect(addressFailures(try await store.claimSignIn(staff: "S0001", address: clerk, at: t2 + 10, limits: restarted)) == 1)
        }
    }

    @Test("sign-in claims race (F-5): many claims at once, from two handles, never pass a limit", arguments: StoreFactory.all)
    func signInClaimsRace(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let other = try factory.reopen(dir)
            try await store.setPasswordHash(staff: "S0001", hash: "scrypt$16384$8$1$c2FsdA==$aGFzaDE=")
            try await store.setPasswordHash(staff: "S0002", hash: "scrypt$16384$8$1$c2FsdA==$aGFzaDE=")
            let limits = SignInLimits(perAddress: 5, perAccount: 12)
            let now: Int64 = 1_700_000_000_000
            func burst(_ staff: String, _ addresses: [String], _ n: Int) async throws -> [SignInClaim] {
                try await withThrowingTaskGroup(of: SignInClaim.self) { group in
                    for k in 0..<n {
                        let handle = k % 2 == 0 ? store : other
                        group.addTask {
                            try await handle.claimSignIn(staff: staff, address: addresses[k % addresses.count], at: now, limits: limits)
                        }
                    }
                    var all: [SignInClaim] = []
                    for try await c in group { all.append(c) }
                    return all
                }
            }
            func granted(_ claims: [SignInClaim]) -> [(Int, Int, SignInLockScope?)] {
                claims.compactMap { if case let .granted(a, b, l) = $0 { (a, b, l) } else { nil } }
            }
            // One address, forty guesses at once: exactly the address's limit is granted, each count once, the last locking.
            let one = granted(try await burst("S0001", ["203.0.113.9"], 40))
            #expect(one.map(\.0).sorted() == Array(1...5))
            #expect(one.filter { $0.2 == .address }.map(\.0) == [5])
            #expect(try await store.failedSignIns(staff: "S0001").first?.failures == 5)
            // Sixty guesses spread over twenty addresses: exactly the account's ceiling is granted, one check locking it.
            let many = granted(try await burst("S0002", (1...20).map { "198.51.100.\($0)" }, 60))
            #expect(many.map(\.1).sorted() == Array(1...12))
            #expect(many.filter { $0.2 == .account }.map(\.1) == [12])
            #expect(try await other.account(staff: "S0002")?.failures == 12)
            #expect(try await store.failedSignIns(staff: "S0002").allSatisfy { $0.failures <= 5 })
        }
    }

    @Test("sessions: create, read, touch, acknowledge the banner, delete, delete idle", arguments: StoreFactory.all)
    func sessions(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let s1 = WorkspaceSession(tokenHash: String(repeating: "a", count: 64), staff: "S0001", kind: "web",
                                      csrf: "csrf-1", terminal: "T27108-01", created: 1_000, lastSeen: 1_000)
            let s2 = WorkspaceSession(tokenHash: String(repeating: "b", count: 64), staff: "S0002", kind: "api",
                                      csrf: "csrf-2", terminal: "T27108-02", created: 400, lastSeen: 500)
            let s3 = WorkspaceSession(tokenHash: String(repeating: "c", count: 64), staff: "S0001", kind: "web",
                                      csrf: "csrf-3", terminal: "T27127-01", created: 2_500, lastSeen: 3_000)
            #expect(try await store.session(tokenHash: s1.tokenHash) == nil)
            try await store.createSession(s1)
            try await store.createSession(s2)
            try await store.createSession(s3)
            #expect(try await store.session(tokenHash: s1.tokenHash) == s1)
            #expect(try await store.session(tokenHash: s2.tokenHash) == s2)
            #expect(try await store.session(tokenHash: String(repeating: "d", count: 64)) == nil)

            try await store.touchSession(tokenHash: s1.tokenHash, at: 2_000)
            var touched = s1
            touched.lastSeen = 2_000
            #expect(try await store.session(tokenHash: s1.tokenHash) == touched)
            try await store.acknowledgeBanner(tokenHash: s1.tokenHash, version: "2026-01")
            touched.bannerVersion = "2026-01"
            #expect(try await store.session(tokenHash: s1.tokenHash) == touched)
            #expect(try await store.session(tokenHash: s3.tokenHash)?.bannerVersion == nil)

            // Idle since before 2000: s2 (last seen 500) ends; s1 (last seen exactly 2000) and s3 stay.
            try await store.deleteSessions(idleSince: 2_000)
            #expect(try await store.session(tokenHash: s2.tokenHash) == nil)
            #expect(try await store.session(tokenHash: s1.tokenHash) == touched)
            #expect(try await store.session(tokenHash: s3.tokenHash) == s3)

            try await store.deleteSession(tokenHash: s1.tokenHash)
            #expect(try await store.session(tokenHash: s1.tokenHash) == nil)
            #expect(try await store.session(tokenHash: s3.tokenHash) == s3)
            // Another handle (another server) sees the same sessions.
            let again = try factory.reopen(dir)
            #expect(try await again.session(tokenHash: s3.tokenHash) == s3)
            #expect(try await again.session(tokenHash: s1.tokenHash) == nil)
        }
    }

    @Test("banner: currentBanner is the newest version saved", arguments: StoreFactory.all)
    func banner(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            #expect(try await store.currentBanner() == nil)
            let v1 = BannerText(version: "2025-04", ja: "業務目的以外の閲覧は禁止されています。", en: "Access for anything but work is forbidden.")
            let v2 = BannerText(version: "2026-01", ja: "すべての操作は記録されます。", en: "Every operation is recorded.")
            try await store.saveBanner(v1, at: 1_000)
            #expect(try await store.currentBanner() == v1)
            try await store.saveBanner(v2, at: 2_000)
            #expect(try await store.currentBanner() == v2)
            #expect(try await factory.reopen(dir).currentBanner() == v2)
        }
    }

    @Test("nextCounter: starts at 1, increments per name independently, shared by every handle",
          arguments: StoreFactory.all)
    func counters(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            #expect(try await store.nextCounter("receipt/27108/2026") == 1)
            #expect(try await store.nextCounter("receipt/27108/2026") == 2)
            #expect(try await store.nextCounter("issue/27108/2026") == 1)
            #expect(try await store.nextCounter("receipt/27108/2026") == 3)
            #expect(try await store.nextCounter("receipt/27127/2026") == 1)
            let again = try factory.reopen(dir)
            #expect(try await again.nextCounter("receipt/27108/2026") == 4)
            #expect(try await store.nextCounter("receipt/27108/2026") == 5)
            #expect(try await again.nextCounter("issue/27108/2026") == 2)

            // Simultaneous calls from two handles never get the same value.
            let values = try await withThrowingTaskGroup(of: [Int].self) { group in
                for handle in [store, again] {
                    group.addTask {
                        var got: [Int] = []
                        for _ in 0..<10 { got.append(try await handle.nextCounter("race")) }
                        return got
                    }
                }
                var all: [Int] = []
                for try await part in group { all += part }
                return all
            }
            #expect(values.sorted() == Array(1...20))
        }
    }

    @Test("cases: saveCaseDetails/caseDetails, updateCase seen by caseRecord, openCases newest first",
          arguments: StoreFactory.all)
    func caseState(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            #expect(try await store.caseDetails(caseID: "C0001") == nil)
            let json = #"{"requesterName":"浪花 花子","purpose":"年金手続き"}"#
            try await store.saveCaseDetails(caseID: "C0001", json: json)
            #expect(try await store.caseDetails(caseID: "C0001") == json)
            #expect(try await store.caseDetails(caseID: "C0002") == nil)

            // S0001's open cases by the instant received: C0002 (09:00 UTC on the 12th), C0005 (17:30 JST = 08:30 UTC on
            // the 12th), C0001 (11:00 JST on the 11th) — not the order of the IDs, nor of the timestamps' text.
            let case5 = #"{"type":"case","id":"C0005","office":"27108","kind":"certificate.fuhyo","requester":"family","received":"2011-03-12T17:30:00+09:00","status":"open","staff":["S0003","S0001"],"registers":["R0000003"]}"#
            await #expect(try store.ingest([item(case5)]) == [.inserted(ledgerIndex: nil)])
            let c1 = try kase(ContractCity.case1), c2 = try kase(ContractCity.case2), c5 = try kase(case5)
            #expect(try await store.openCases(staff: "S0001", limit: 10) == [c2, c5, c1])
            #expect(try await store.openCases(staff: "S0001", limit: 2) == [c2, c5])
            #expect(try await store.openCases(staff: "S0001", limit: 1) == [c2])
            #expect(try await store.openCases(staff: "S0002", limit: 10) == [c1])
            #expect(try await store.openCases(staff: "S0003", limit: 10) == [c5])
            #expect(try await store.openCases(staff: "S9999", limit: 10).isEmpty)

            var closed = c1
            closed.status = .done
            closed.closed = ts("2011-03-11T11:30:00+09:00")
            try await store.updateCase(closed)
            #expect(try await store.caseRecord(id: "C0001") == closed)
            #expect(try await store.cases(ids: ["C0001"]) == [closed])
            #expect(try await store.cases(person: "P0000002", registers: []) == [closed])
            #expect(try await store.openCases(staff: "S0001", limit: 10) == [c2, c5])
            #expect(try await store.openCases(staff: "S0002", limit: 10).isEmpty)
            // Not the ledger.
            await #expect(try store.ledgerSize() == 4)
            #expect(try await factory.reopen(dir).caseRecord(id: "C0001") == closed)
        }
    }

    @Test("issuances: saveIssuance, issuances(caseID:) in issuance order", arguments: StoreFactory.all)
    func issuances(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            func issuance(_ n: Int, _ caseID: String, _ minute: Int, copies: Int = 1) -> IssuanceRecord {
                IssuanceRecord(number: "27108-2011-0000\(two(n))", caseID: caseID, register: "R0000002",
                               certificate: "certificate.full", copies: copies, requester: n == 3 ? nil : "self",
                               at: ts("2011-03-11T10:\(two(minute)):00+09:00"), staff: "S0001",
                               office: "27108", eventID: "E-print-\(n)")
            }
            let i1 = issuance(1, "C0003", 10, copies: 2), i2 = issuance(2, "C0002", 11), i3 = issuance(3, "C0003", 12)
            #expect(try await store.issuances(caseID: "C0003").isEmpty)
            try await store.saveIssuance(i1)
            try await store.saveIssuance(i2)
            try await store.saveIssuance(i3)
            #expect(try await store.issuances(caseID: "C0003") == [i1, i3])
            #expect(try await store.issuances(caseID: "C0002") == [i2])
            #expect(try await store.issuances(caseID: "C9999").isEmpty)
        }
    }

    @Test("approvals: decided once, spent once and only by its requester while approved, pending by office",
          arguments: StoreFactory.all)
    func approvals(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            func request(_ id: String, office: String = "27108", minute: Int) -> ApprovalRequest {
                ApprovalRequest(id: id, staff: "S0001", office: office, register: "R0000002", record: "fuhyo",
                                caseID: "C0003", reason: "附票の確認",
                                requested: ts("2026-01-05T09:\(two(minute)):00+09:00"))
            }
            let a1 = request("A1", minute: 1), a2 = request("A2", minute: 2)
            var a3 = request("A3", minute: 3)
            let a4 = request("A4", office: "27127", minute: 4)
            // A request for another record than the 附票 (the VIP rule asks per record kind) keeps its kind.
            a3.record = "current"
            var a5 = request("A5", minute: 5)
            a5.caseID = nil
            a5.reason = nil
            #expect(try await store.approval(id: "A1") == nil)
            for a in [a1, a2, a3, a4, a5] { try await store.saveApproval(a) }
            #expect(try await store.approval(id: "A1") == a1)
            #expect(try await store.approval(id: "A3") == a3)
            #expect(try await store.approval(id: "A5") == a5)
            #expect(Set(try await store.pendingApprovals(office: "27108").map(\.id)) == ["A1", "A2", "A3", "A5"])
            #expect(try await store.pendingApprovals(office: "27127") == [a4])
            #expect(try await store.pendingApprovals(office: "27102").isEmpty)

            // Not spendable while pending.
            #expect(try await store.spendApproval(id: "A1", staff: "S0001") == false)
            #expect(try await store.approval(id: "A1")?.status == .pending)

            // Decided once.
            let t1 = ts("2026-01-05T09:30:00+09:00"), t2 = ts("2026-01-05T09:31:00+09:00")
            #expect(try await store.decideApproval(id: "A1", status: .approved, approver: "S0002", decided: t1) == true)
            var approved = a1
            approved.status = .approved
            approved.approver = "S0002"
            approved.decided = t1
            #expect(try await store.approval(id: "A1") == approved)
            #expect(try await store.decideApproval(id: "A1", status: .denied, approver: "S0004", decided: t2) == false)
            #expect(try await store.approval(id: "A1") == approved)
            #expect(try await store.decideApproval(id: "A9", status: .approved, approver: "S0002", decided: t1) == false)

            // Spent once, only by its requester.
            #expect(try await store.spendApproval(id: "A1", staff: "S0002") == false)
            #expect(try await store.approval(id: "A1") == approved)
            #expect(try await store.spendApproval(id: "A1", staff: "S0001") == true)
            var used = approved
            used.status = .used
            #expect(try await store.approval(id: "A1") == used)
            #expect(try await store.spendApproval(id: "A1", staff: "S0001") == false)
            #expect(try await store.decideApproval(id: "A1", status: .approved, approver: "S0002", decided: t2) == false)
            #expect(try await store.spendApproval(id: "A9", staff: "S0001") == false)

            // A denied approval cannot be spent.
            #expect(try await store.decideApproval(id: "A2", status: .denied, approver: "S0002", decided: t2) == true)
            #expect(try await store.approval(id: "A2")?.status == .denied)
            #expect(try await store.spendApproval(id: "A2", staff: "S0001") == false)
            #expect(try await store.approval(id: "A2")?.status == .denied)

            #expect(Set(try await store.pendingApprovals(office: "27108").map(\.id)) == ["A3", "A5"])
            #expect(try await factory.reopen(dir).approval(id: "A1") == used)
        }
    }

    @Test("approvals: the decision's note is kept; approvals(staff:office:limit:) newest first, any status",
          arguments: StoreFactory.all)
    func approvalLists(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            func request(_ id: String, staff: String, office: String, minute: Int) -> ApprovalRequest {
                ApprovalRequest(id: id, staff: staff, office: office, register: "R0000002", record: "fuhyo", caseID: nil,
                                reason: "附票の確認", requested: ts("2026-01-05T09:\(two(minute)):00+09:00"))
            }
            let b1 = request("B1", staff: "S0001", office: "27108", minute: 1)
            let b2 = request("B2", staff: "S0003", office: "27108", minute: 2)
            let b3 = request("B3", staff: "S0001", office: "27127", minute: 3)
            let b4 = request("B4", staff: "S0001", office: "27108", minute: 4)
            for a in [b3, b1, b4, b2] { try await store.saveApproval(a) }
            #expect(try await store.approvals(staff: nil, office: nil, limit: 10).map(\.id) == ["B4", "B3", "B2", "B1"])
            #expect(try await store.approvals(staff: "S0001", office: nil, limit: 10).map(\.id) == ["B4", "B3", "B1"])
            #expect(try await store.approvals(staff: "S0001", office: nil, limit: 2).map(\.id) == ["B4", "B3"])
            #expect(try await store.approvals(staff: nil, office: "27108", limit: 10).map(\.id) == ["B4", "B2", "B1"])
            #expect(try await store.approvals(staff: "S0001", office: "27108", limit: 10).map(\.id) == ["B4", "B1"])
            #expect(try await store.approvals(staff: "S9999", office: nil, limit: 10).isEmpty)
            #expect(try await store.approvals(staff: nil, office: nil, limit: 0).isEmpty)

            // A denial with its note; a grant without one. Decided requests are still listed, with their decision.
            let t = ts("2026-01-05T09:30:00+09:00")
            #expect(try await store.decideApproval(id: "B1", status: .denied, approver: "S0002", decided: t,
                                                   note: "第三者請求で正当な理由の確認ができないため"))
            #expect(try await store.decideApproval(id: "B4", status: .approved, approver: "S0002", decided: t))
            var denied = b1
            denied.status = .denied
            denied.approver = "S0002"
            denied.decided = t
            denied.note = "第三者請求で正当な理由の確認ができないため"
            #expect(try await store.approval(id: "B1") == denied)
            #expect(try await store.approval(id: "B4")?.note == nil)
            // A later decision cannot replace the note.
            #expect(try await store.decideApproval(id: "B1", status: .approved, approver: "S0004", decided: t, note: "上書き") == false)
            #expect(try await factory.reopen(dir).approvals(staff: "S0001", office: "27108", limit: 10) == [
                try #require(try await store.approval(id: "B4")), denied,
            ])
        }
    }

    @Test("form submissions: claimed once while live, completed and released only by the owner, expired ones reclaimed and deleted",
          arguments: StoreFactory.all)
    func submissions(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let key = String(repeating: "a", count: 64)
            let s1 = FormSubmission(key: key, owner: "owner-1", kind: "view", created: 1_000, expires: 5_000)
            #expect(try await store.submission(key: key) == nil)
            #expect(try await store.claimSubmission(s1) == nil)
            #expect(try await store.submission(key: key) == s1)
            // A second claim of the same key, by anyone, while it is live: refused, the first returned.
            let again = FormSubmission(key: key, owner: "owner-2", kind: "issue", created: 2_000, expires: 9_000)
            #expect(try await store.claimSubmission(again) == s1)
            #expect(try await store.claimSubmission(FormSubmission(key: key, owner: "owner-1", kind: "view", created: 4_999,
                                                                   expires: 9_000)) == s1)

            // Completed only by its owner.
            try await store.completeSubmission(key: key, owner: "owner-2", result: "{\"x\":1}", expires: 50_000)
            #expect(try await store.submission(key: key) == s1)
            try await store.completeSubmission(key: key, owner: "owner-1", result: "{\"event\":\"W1\"}", expires: 50_000)
            var done = s1
            done.result = "{\"event\":\"W1\"}"
            done.expires = 50_000
            #expect(try await store.submission(key: key) == done)
            #expect(try await factory.reopen(dir).claimSubmission(again) == done)
            // A completed submission is not released.
            try await store.releaseSubmission(key: key, owner: "owner-1")
            #expect(try await store.submission(key: key) == done)

            // Released while it has no result, by its owner only: then it can be claimed again.
            let key2 = String(repeating: "b", count: 64)
            let s2 = FormSubmission(key: key2, owner: "owner-1", kind: "issue", created: 1_000, expires: 90_000)
            #expect(try await store.claimSubmission(s2) == nil)
            try await store.releaseSubmission(key: key2, owner: "owner-2")
            #expect(try await store.submission(key: key2) == s2)
            try await store.releaseSubmission(key: key2, owner: "owner-1")
            #expect(try await store.submission(key: key2) == nil)
            #expect(try await store.claimSubmission(s2) == nil)

            // Renewed (a request still running extends its lease): only claims without a result move.
            try await store.renewSubmissions(keys: [key2, key, String(repeating: "c", count: 64)], expires: 95_000)
            #expect(try await store.submission(key: key2)?.expires == 95_000)
            #expect(try await store.submission(key: key) == done)
            try await store.renewSubmissions(keys: [key2], expires: 90_000)
            #expect(try await store.submission(key: key2) == s2)

            // Expired (at or after `expires`): claimed again, as new (no result).
            let s3 = FormSubmission(key: key, owner: "owner-3", kind: "letter", created: 50_000, expires: 60_000)
            #expect(try await store.claimSubmission(s3) == nil)
            #expect(try await store.submission(key: key) == s3)

            // Deleted once expired before the given instant (one expiring exactly then stays).
            try await store.deleteSubmissions(expiredBefore: 60_000)
            #expect(try await store.submission(key: key) == s3)
            #expect(try await store.submission(key: key2) == s2)
            try await store.deleteSubmissions(expiredBefore: 60_001)
            #expect(try await store.submission(key: key) == nil)
            #expect(try await store.submission(key: key2) == s2)
            try await store.deleteSubmissions(expiredBefore: 90_001)
            #expect(try await factory.reopen(dir).submission(key: key2) == nil)
        }
    }

    @Test("form submissions: of two simultaneous claims of one key, from two handles, exactly one succeeds",
          arguments: StoreFactory.all)
    func submissionsRace(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let a = try factory.make(dir)
            let b = try factory.reopen(dir)
            for k in 0..<8 {
                let key = String(repeating: String(k), count: 64)
                async let x = a.claimSubmission(FormSubmission(key: key, owner: "A", kind: "issue", created: 1_000, expires: 9_000))
                async let y = b.claimSubmission(FormSubmission(key: key, owner: "B", kind: "issue", created: 1_000, expires: 9_000))
                let (first, second) = try await (x, y)
                #expect((first == nil) != (second == nil), "exactly one claim of key \(k) succeeds")
                let winner = first == nil ? "A" : "B"
                #expect((first ?? second)?.owner == winner)
                #expect(try await a.submission(key: key)?.owner == winner)
            }
        }
    }

    @Test("approvals: of two simultaneous decisions or uses, from two handles, only one takes effect",
          arguments: StoreFactory.all)
    func approvalsRace(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let a = try factory.make(dir)
            let b = try factory.reopen(dir)
            let n = 6
            for k in 0..<n {
                try await a.saveApproval(ApprovalRequest(id: "R\(k)", staff: "S0001", office: "27108", register: "R0000002",
                                                         record: "fuhyo", caseID: nil, reason: "確認",
                                                         requested: ts("2026-01-05T09:00:00+09:00")))
            }
            let t = ts("2026-01-05T10:00:00+09:00")
            for k in 0..<n {
                // A grant and a denial at once.
                async let grant = a.decideApproval(id: "R\(k)", status: .approved, approver: "S0002", decided: t)
                async let deny = b.decideApproval(id: "R\(k)", status: .denied, approver: "S0003", decided: t)
                let (g, d) = try await (grant, deny)
                #expect(g != d, "exactly one decision on R\(k) takes effect")
                let stored = try await a.approval(id: "R\(k)")
                #expect(stored?.status == (g ? .approved : .denied))
                #expect(stored?.approver == (g ? "S0002" : "S0003"))
                if g {
                    // Two uses at once.
                    async let u1 = a.spendApproval(id: "R\(k)", staff: "S0001")
                    async let u2 = b.spendApproval(id: "R\(k)", staff: "S0001")
                    let (x, y) = try await (u1, u2)
                    #expect(x != y, "exactly one use of R\(k) spends it")
                    #expect(try await b.approval(id: "R\(k)")?.status == .used)
                }
            }
        }
    }

    // MARK: ConsoleStore

    @Test("investigations: save, replace, read, filters, newest first", arguments: StoreFactory.all)
    func investigations(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            // Opened: INV-2, then INV-3, then INV-1 (neither ID nor saving order).
            let i1 = Investigation(id: "INV-2", finding: "E0002", staff: "S0003", register: "R0000002",
                                   reasonCodes: ["fuhyo_no_case", "vip"], title: "附票の閲覧（案件なし）",
                                   openedBy: "S0004", opened: ts("2026-01-05T09:00:00+09:00"))
            let i2 = Investigation(id: "INV-3", finding: nil, staff: "S0001", register: nil, reasonCodes: [],
                                   title: "職員の全アクセス", status: "closed", assignee: "S0004", openedBy: "S0004",
                                   opened: ts("2026-01-06T09:00:00+09:00"), disposition: .business,
                                   rule: "窓口の照会対応", decidedBy: "S0004", decided: ts("2026-01-07T09:00:00+09:00"))
            let i3 = Investigation(id: "INV-1", finding: "E0004", staff: "S0003", register: "R0000003",
                                   reasonCodes: ["break_glass"], title: "緊急の照会", openedBy: "S0004",
                                   opened: ts("2026-01-08T09:00:00+09:00"), disposition: .interview)
            #expect(try await store.investigation(id: "INV-1") == nil)
            #expect(try await store.investigations(status: nil, staff: nil, finding: nil).isEmpty)
            for i in [i2, i1, i3] { try await store.saveInvestigation(i) }
            #expect(try await store.investigation(id: "INV-2") == i1)
            #expect(try await store.investigation(id: "INV-3") == i2)
            #expect(try await store.investigation(id: "INV-1") == i3)
            #expect(try await store.investigation(id: "INV-9") == nil)

            #expect(try await store.investigations(status: nil, staff: nil, finding: nil) == [i3, i2, i1])
            #expect(try await store.investigations(status: "open", staff: nil, finding: nil) == [i3, i1])
            #expect(try await store.investigations(status: "closed", staff: nil, finding: nil) == [i2])
            #expect(try await store.investigations(status: nil, staff: "S0003", finding: nil) == [i3, i1])
            #expect(try await store.investigations(status: nil, staff: nil, finding: "E0002") == [i1])
            #expect(try await store.investigations(status: "closed", staff: "S0003", finding: nil).isEmpty)
            #expect(try await store.investigations(status: "open", staff: "S0003", finding: "E0004") == [i3])

            // Saving again replaces (assignment, disposition).
            var decided = i1
            decided.assignee = "S0004"
            decided.status = "closed"
            decided.disposition = .nonBusiness
            decided.decidedBy = "S0004"
            decided.decided = ts("2026-01-09T09:00:00+09:00")
            try await store.saveInvestigation(decided)
            #expect(try await store.investigation(id: "INV-2") == decided)
            #expect(try await store.investigations(status: nil, staff: nil, finding: nil) == [i3, i2, decided])
            #expect(try await store.investigations(status: "open", staff: nil, finding: nil) == [i3])
        }
    }

    @Test("investigation entries: added with and without a file, read back; investigationFile",
          arguments: StoreFactory.all)
    func investigationEntries(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let e1 = InvestigationEntry(investigation: "INV-1", kind: "open", author: "S0004",
                                        at: ts("2026-01-05T09:00:00+09:00"), text: "所見から開始", journal: "J-open")
            let file: [UInt8] = Array("事情聴取の記録\n".utf8) + [0, 255, 10]
            let e2 = InvestigationEntry(investigation: "INV-1", kind: "interview", author: "S0004",
                                        at: ts("2026-01-06T09:00:00+09:00"), text: "本人から聴取",
                                        fileName: "聴取記録.txt", fileSize: file.count, journal: "J-interview")
            let e3 = InvestigationEntry(investigation: "INV-2", kind: "note", author: "S0004",
                                        at: ts("2026-01-06T10:00:00+09:00"), text: "別件", journal: "J-note")
            let id1 = try await store.addInvestigationEntry(e1, file: nil)
            let id2 = try await store.addInvestigationEntry(e2, file: file)
            let id3 = try await store.addInvestigationEntry(e3, file: nil)
            #expect(Set([id1, id2, id3]).count == 3)

            var s1 = e1, s2 = e2, s3 = e3
            s1.id = id1
            s2.id = id2
            s3.id = id3
            #expect(try await store.investigationEntries(investigation: "INV-1").sorted { $0.id < $1.id }
                == [s1, s2].sorted { $0.id < $1.id })
            #expect(try await store.investigationEntries(investigation: "INV-2") == [s3])
            #expect(try await store.investigationEntries(investigation: "INV-9").isEmpty)

            let got = try await store.investigationFile(entry: id2)
            #expect(got?.name == "聴取記録.txt")
            #expect(got?.bytes == file)
            #expect(try await store.investigationFile(entry: id1) == nil)
            #expect(try await store.investigationFile(entry: max(id1, id2, id3) + 1000) == nil)
        }
    }

    @Test("held findings (issue 19, A-4): appended, each pair once, filtered by investigation or access, in order; alerts paged below a seq",
          arguments: StoreFactory.all)
    func heldFindingsAndAlertPages(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            #expect(try await store.heldFindings(investigation: nil, access: nil).isEmpty)
            try await store.holdFindings(investigation: "INV-2", accesses: ["E0003", "E0001"])
            try await store.holdFindings(investigation: "INV-1", accesses: ["E0001"])
            // Again: ignored, not an error and not a second row; an empty list is nothing.
            try await store.holdFindings(investigation: "INV-2", accesses: ["E0001", "E0002"])
            try await store.holdFindings(investigation: "INV-3", accesses: [])
            func h(_ i: String, _ a: String) -> HeldFinding { HeldFinding(investigation: i, access: a) }
            #expect(try await store.heldFindings(investigation: nil, access: nil)
                == [h("INV-1", "E0001"), h("INV-2", "E0001"), h("INV-2", "E0002"), h("INV-2", "E0003")])
            #expect(try await store.heldFindings(investigation: "INV-2", access: nil).map(\.access) == ["E0001", "E0002", "E0003"])
            #expect(try await store.heldFindings(investigation: nil, access: "E0001").map(\.investigation) == ["INV-1", "INV-2"])
            #expect(try await store.heldFindings(investigation: "INV-1", access: "E0003").isEmpty)
            #expect(try await store.heldFindings(investigation: "INV-9", access: nil).isEmpty)
            #expect(try await factory.reopen(dir).heldFindings(investigation: nil, access: "E0002") == [h("INV-2", "E0002")])

            let alerts = (1...5).map { n in
                ConsoleAlert(seq: UInt64(n * 10), access: "E000\(n)", at: ts("2026-01-0\(n)T09:00:00+09:00"), staff: "S0001",
                             office: "27108", register: "R0000002", kinds: ["vip"], reason: nil)
            }
            try await store.saveAlerts(alerts)
            #expect(try await store.alerts(limit: 2, below: nil).map(\.seq) == [50, 40])
            #expect(try await store.alerts(limit: 2, below: 40).map(\.seq) == [30, 20])
            #expect(try await store.alerts(limit: 10, below: 20).map(\.seq) == [10])
            #expect(try await store.alerts(limit: 10, below: 10).isEmpty)
            #expect(try await store.alerts(limit: 10, below: UInt64.max).count == 5)
            #expect(try await store.alerts(limit: 3) == Array(alerts.reversed().prefix(3)))
        }
    }

    @Test("suppressions and console values", arguments: StoreFactory.all)
    func suppressionsAndValues(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            #expect(try await store.suppressions().isEmpty)
            let s1 = Suppression(investigation: "INV-2", staff: nil, register: nil, reasonCodes: ["night_holiday", "coworker"],
                                 rule: "夜間窓口の通常業務", createdBy: "S0004", created: ts("2026-01-07T09:00:00+09:00"))
            let s2 = Suppression(investigation: "INV-3", staff: "S0003", register: "R0000003", reasonCodes: ["break_glass"],
                                 rule: "緊急照会の手順どおり", createdBy: "S0004", created: ts("2026-01-08T09:00:00+09:00"))
            let id1 = try await store.addSuppression(s1)
            let id2 = try await store.addSuppression(s2)
            #expect(id1 != id2)
            var k1 = s1, k2 = s2
            k1.id = id1
            k2.id = id2
            let got = try await store.suppressions()
            #expect(got.count == 2)
            #expect(got.first { $0.id == id1 } == k1)
            #expect(got.first { $0.id == id2 } == k2)

            #expect(try await store.consoleValue("alerts.cursor") == nil)
            try await store.setConsoleValue("alerts.cursor", "17")
            try await store.setConsoleValue("survey.open", "2014-02")
            #expect(try await store.consoleValue("alerts.cursor") == "17")
            try await store.setConsoleValue("alerts.cursor", "42")
            #expect(try await store.consoleValue("alerts.cursor") == "42")
            #expect(try await store.consoleValue("survey.open") == "2014-02")
            #expect(try await factory.reopen(dir).consoleValue("alerts.cursor") == "42")
        }
    }

    @Test("suppressions across staff (issue 18, F-14): pending until another auditor decides, one decision kept, appended", arguments: StoreFactory.all)
    func suppressionDecisions(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let plain = Suppression(investigation: "INV-1", staff: "S0003", register: "R0000003", reasonCodes: ["break_glass"],
                                    rule: "緊急照会の手順どおり", createdBy: "S0004", created: ts("2026-01-08T09:00:00+09:00"))
            let wide = Suppression(investigation: "INV-2", staff: nil, register: "R0000002", reasonCodes: ["print_no_request"],
                                   rule: "窓口の一括交付", createdBy: "S0004", created: ts("2026-01-09T09:00:00+09:00"),
                                   needsConfirmation: true)
            let plainID = try await store.addSuppression(plain)
            let wideID = try await store.addSuppression(wide)
            var got = try await store.suppressions()
            #expect(got.map(\.needsConfirmation) == [false, true])
            #expect(got.allSatisfy { $0.decision == nil })
            #expect(got.map(\.inEffect) == [true, false])
            #expect(got.map(\.isPending) == [false, true])
            let at = ts("2026-01-10T09:00:00+09:00")
            // The auditor who made it cannot decide it; a suppression that needs no decision takes none; nor an unknown one.
            #expect(try await store.decideSuppression(id: wideID, SuppressionDecision(kind: .confirmed, by: "S0004", at: at, journal: "J0")) == false)
            #expect(try await store.decideSuppression(id: plainID, SuppressionDecision(kind: .confirmed, by: "S0005", at: at, journal: "J0")) == false)
            #expect(try await store.decideSuppression(id: wideID + 1000, SuppressionDecision(kind: .confirmed, by: "S0005", at: at, journal: "J0")) == false)
            #expect(try await store.suppressions().allSatisfy { $0.decision == nil })
            // Two auditors at once, one confirming, one declining, from two handles: exactly one decision is kept.
            let other = try factory.reopen(dir)
            let confirm = SuppressionDecision(kind: .confirmed, by: "S0005", at: at, journal: "J1")
            let decline = SuppressionDecision(kind: .declined, by: "S0006", at: at, journal: "J2")
            async let a = store.decideSuppression(id: wideID, confirm)
            async let b = other.decideSuppression(id: wideID, decline)
            let (ra, rb) = try await (a, b)
            #expect(ra != rb)
            got = try await other.suppressions()
            let kept = try #require(got.first { $0.id == wideID }?.decision)
            #expect(kept == (ra ? confirm : decline))
            #expect(got.first { $0.id == wideID }?.inEffect == ra)
            #expect(try await store.decideSuppression(id: wideID, confirm) == false)
            // The suppression itself is unchanged.
            var expected = wide
            expected.id = wideID
            expected.decision = kept
            #expect(got.first { $0.id == wideID } == expected)
        }
    }

    @Test("alerts: stored once, newest first, at most limit", arguments: StoreFactory.all)
    func alerts(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            func alert(_ seq: UInt64, kinds: [String], reason: String? = nil) -> ConsoleAlert {
                ConsoleAlert(seq: seq, access: "E\(seq)", at: ts("2026-01-05T09:\(two(seq)):00+09:00"),
                             staff: "S0001", office: seq == 3 ? nil : "27108", register: seq == 5 ? nil : "R0000002",
                             kinds: kinds, reason: reason)
            }
            let a1 = alert(1, kinds: ["vip"]), a3 = alert(3, kinds: ["break_glass", "dv_support"], reason: "緊急")
            let a5 = alert(5, kinds: ["break_glass"], reason: "至急")
            #expect(try await store.alerts(limit: 10).isEmpty)
            try await store.saveAlerts([a1, a5])
            try await store.saveAlerts([a5, a3])
            try await store.saveAlerts([])
            #expect(try await store.alerts(limit: 10) == [a5, a3, a1])
            #expect(try await store.alerts(limit: 2) == [a5, a3])
            #expect(try await store.alerts(limit: 0).isEmpty)
        }
    }

    // MARK: ReportStore

    @Test("notice registrations: created or replaced per person", arguments: StoreFactory.all)
    func noticeRegistrations(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            #expect(try await store.noticeRegistrations().isEmpty)
            let r1 = NoticeRegistration(person: "P0000001", registered: date("2011-01-01"), address: "大阪市北区西天満二丁目1番1号")
            let r1b = NoticeRegistration(person: "P0000001", registered: date("2012-04-01"), address: "大阪市大正区三軒家東一丁目5番")
            let r2 = NoticeRegistration(person: "P0000002", registered: date("2011-06-01"), address: "大阪市北区西天満二丁目1番1号")
            try await store.saveNoticeRegistration(r1)
            try await store.saveNoticeRegistration(r2)
            try await store.saveNoticeRegistration(r1b)
            #expect(try await store.noticeRegistrations().sorted { $0.person < $1.person } == [r1b, r2])
        }
    }

    @Test("notices: one per person and case, oldest first, pending, journaled marks, sent once",
          arguments: StoreFactory.all)
    func notices(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            func notice(_ person: String, _ caseID: String, minute: Int, office: String = "27108") -> ResidentNotice {
                ResidentNotice(person: person, caseID: caseID, issued: ts("2011-03-12T10:00:00+09:00"), office: office,
                               certificate: "certificate.individual", copies: minute == 2 ? nil : 1,
                               requester: "third_party", produced: ts("2026-01-05T09:\(two(minute)):00+09:00"),
                               journalID: "NP-\(person)-\(caseID)")
            }
            let n1 = notice("P0000001", "C0002", minute: 1)
            let n2 = notice("P0000001", "C0005", minute: 2)
            let n3 = notice("P0000002", "C0002", minute: 3)
            #expect(try await store.notices(pendingOnly: false).isEmpty)

            let r1 = try await store.insertNotice(n1)
            #expect(r1.inserted)
            #expect(r1.notice.id != 0)
            var k1 = n1
            k1.id = r1.notice.id
            #expect(r1.notice == k1)
            // The same person and case again: the old notice, not new.
            let again = try await store.insertNotice(notice("P0000001", "C0002", minute: 9, office: "27127"))
            #expect(!again.inserted)
            #expect(again.notice == k1)
            let r2 = try await store.insertNotice(n2)
            let r3 = try await store.insertNotice(n3)
            #expect(r2.inserted && r3.inserted)
            #expect(Set([r1.notice.id, r2.notice.id, r3.notice.id]).count == 3)
            var k2 = n2, k3 = n3
            k2.id = r2.notice.id
            k3.id = r3.notice.id
            #expect(try await store.notices(pendingOnly: false) == [k1, k2, k3])
            #expect(try await store.notices(pendingOnly: true) == [k1, k2, k3])

            // Journaled marks.
            #expect(try await store.unjournaledNotices() == [k1, k2, k3])
            try await store.markNoticesJournaled(ids: [k1.id, k3.id])
            k1.journaled = true
            k3.journaled = true
            #expect(try await store.unjournaledNotices() == [k2])
            #expect(try await store.notices(pendingOnly: false) == [k1, k2, k3])
            try await store.markNoticesJournaled(ids: [])
            #expect(try await store.unjournaledNotices() == [k2])

            // Sent once.
            let sent = ts("2026-01-06T15:00:00+09:00")
            #expect(try await store.markNoticeSent(id: k1.id, at: sent) == true)
            #expect(try await store.markNoticeSent(id: k1.id, at: ts("2026-01-07T15:00:00+09:00")) == false)
            #expect(try await store.markNoticeSent(id: max(k1.id, k2.id, k3.id) + 1000, at: sent) == false)
            k1.sent = sent
            #expect(try await store.notices(pendingOnly: false) == [k1, k2, k3])
            #expect(try await store.notices(pendingOnly: true) == [k2, k3])
            // Still one notice per person and case once sent.
            #expect(try await store.insertNotice(n1).inserted == false)
            #expect(try await store.notices(pendingOnly: false).count == 3)
        }
    }

    @Test("access codes: saved, consumed once, refused at or after expiry", arguments: StoreFactory.all)
    func accessCodes(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            let created = ts("2026-01-05T09:00:00+09:00")
            let expires = ts("2026-02-05T09:00:00+09:00")
            func code(_ h: String) -> AccessCodeRecord {
                AccessCodeRecord(hash: String(repeating: h, count: 64), person: "P0000001", from: date("2011-01-01"),
                                 to: date("2011-12-31"), created: created, expires: expires)
            }
            let c1 = code("1"), c2 = code("2"), c3 = code("3")
            #expect(try await store.accessCode(hash: c1.hash) == nil)
            for c in [c1, c2, c3] { try await store.saveAccessCode(c) }
            #expect(try await store.accessCode(hash: c1.hash) == c1)

            let at = ts("2026-01-10T12:00:00+09:00")
            var used = c1
            used.used = at
            #expect(try await store.consumeAccessCode(hash: c1.hash, at: at) == used)
            #expect(try await store.accessCode(hash: c1.hash) == used)
            #expect(try await store.consumeAccessCode(hash: c1.hash, at: ts("2026-01-10T12:01:00+09:00")) == nil)
            #expect(try await store.accessCode(hash: c1.hash) == used)
            #expect(try await store.consumeAccessCode(hash: String(repeating: "f", count: 64), at: at) == nil)

            // Refused at the expiry instant; accepted a millisecond before.
            #expect(try await store.consumeAccessCode(hash: c2.hash, at: expires) == nil)
            #expect(try await store.accessCode(hash: c2.hash) == c2)
            let justBefore = Timestamp(millis: expires.millis - 1)
            var used3 = c3
            used3.used = justBefore
            #expect(try await store.consumeAccessCode(hash: c3.hash, at: justBefore) == used3)

            // Two handles at once: one use.
            let c4 = code("4")
            try await store.saveAccessCode(c4)
            let other = try factory.reopen(dir)
            async let x = store.consumeAccessCode(hash: c4.hash, at: at)
            async let y = other.consumeAccessCode(hash: c4.hash, at: at)
            let (rx, ry) = try await (x, y)
            #expect((rx == nil) != (ry == nil), "exactly one of two simultaneous uses succeeds")
        }
    }

    // MARK: FindingStore

    /// A store with the city and one journal entry first, so that the accesses E0001…E0004 are at ledger indexes 1…4.
    private func findingCity(_ factory: StoreFactory, _ dir: String) async throws -> any ServerStore {
        let store = try factory.make(dir)
        try await store.appendJournal([journal("J0")])
        let report = try await importLines(store, ContractCity.all, dir: dir)
        #expect(report.allTaken)
        for (k, id) in ["E0001", "E0002", "E0003", "E0004"].enumerated() {
            await #expect(try store.ledgerIndex(ofEvent: id) == UInt64(k + 1))
        }
        return store
    }

    private static let f1 = StoredFinding(seq: 1, finding: AccessFinding(
        access: "E0001", staff: "S0001", at: ts("2011-03-11T10:05:00+09:00"), explained: true,
        explanation: Explanation(rule: "named_case", caseID: "C0003", strength: .strong), score: 0, flagged: false,
        reasons: [], register: "R0000002", person: "P0000001", office: "27108"))
    private static let f2 = StoredFinding(seq: 2, finding: AccessFinding(
        access: "E0002", staff: "S0003", at: ts("2011-03-11T10:06:00+09:00"), explained: false, explanation: nil,
        score: 0.75, flagged: true,
        reasons: [Reason(code: "vip", ja: "VIPの戸籍", en: "a VIP's register"),
                  Reason(code: "fuhyo_no_case", ja: "案件のない附票の閲覧", en: "address attachment opened with no document")],
        register: "R0000002", person: "P0000001", office: "27108"))
    private static let f3 = StoredFinding(seq: 3, finding: AccessFinding(
        access: "E0003", staff: "S0001", at: ts("2011-03-11T10:07:00+09:00"), explained: true,
        explanation: Explanation(rule: "namesake", caseID: nil, strength: .weak), score: 0.5, flagged: true,
        reasons: [Reason(code: "search_no_case", ja: "案件のない検索", en: "a search with no document")],
        register: nil, person: nil, office: "27108"))
    private static let f4 = StoredFinding(seq: 4, finding: AccessFinding(
        access: "E0004", staff: "S0002", at: ts("2011-03-11T10:08:00+09:00"), explained: false, explanation: nil,
        score: 0.25, flagged: false, reasons: [Reason(code: "break_glass", ja: "理由の入力", en: "a reason instead of a case")],
        register: "R0000003", person: "P0000003", office: "27108"))

    @Test("findings: saved and read back in ledger order, missing skipped; replaced; counts; filters",
          arguments: StoreFactory.all)
    func findings(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await findingCity(factory, dir)
            // Two more accesses: E0000 (the oldest, in 2010) at ledger index 5, and E0001a (at the same instant as
            // E0002) at 6: ledger order, time order and ID order all differ.
            let e0 = #"{"type":"access","id":"E0000","at":"2010-01-04T09:00:00+09:00","staff":"S0002","office":"27127","action":"view","record":"removed","register":"R0000001"}"#
            let e5 = #"{"type":"access","id":"E0001a","at":"2011-03-11T10:06:00+09:00","staff":"S0003","office":"27108","action":"view","record":"current","register":"R0000002"}"#
            await #expect(try store.ingest([item(e0), item(e5)]) == [.inserted(ledgerIndex: 5), .inserted(ledgerIndex: 6)])
            let (f1, f2, f3, f4) = (Self.f1, Self.f2, Self.f3, Self.f4)
            let f0 = StoredFinding(seq: 5, finding: AccessFinding(
                access: "E0000", staff: "S0002", at: ts("2010-01-04T09:00:00+09:00"), explained: false, explanation: nil,
                score: 0.125, flagged: false, reasons: [], register: "R0000001", person: "P0000001", office: "27127"))
            let f5 = StoredFinding(seq: 6, finding: AccessFinding(
                access: "E0001a", staff: "S0003", at: ts("2011-03-11T10:06:00+09:00"), explained: false, explanation: nil,
                score: 0.5, flagged: true, reasons: [Reason(code: "repeated", ja: "繰り返しの閲覧", en: "repeated access")],
                register: "R0000002", person: "P0000002", office: "27108"))
            await #expect(try store.findings(accessIDs: ["E0001"]).isEmpty)
            await #expect(try store.findingCounts() == FindingCounts())

            try await store.saveFindings([f3, f5, f1])
            try await store.saveSweepFindings([f4, f0, f2])
            // In ledger order, missing IDs skipped.
            await #expect(try store.findings(accessIDs: ["E0004", "E9999", "E0000", "E0001", "E0003", "E0001a", "E0002"])
                == [f1, f2, f3, f4, f0, f5])
            await #expect(try store.findings(accessIDs: ["E0003"]) == [f3])
            await #expect(try store.findings(accessIDs: []).isEmpty)
            var counts = FindingCounts()
            counts.total = 6
            counts.explained = 2
            counts.flagged = 3
            await #expect(try store.findingCounts() == counts)

            // Replaced by access ID.
            var f4b = f4
            f4b.finding.score = 0.875
            f4b.finding.flagged = true
            try await store.saveFindings([f4b])
            await #expect(try store.findings(accessIDs: ["E0004"]) == [f4b])
            counts.flagged = 4
            await #expect(try store.findingCounts() == counts)

            // The report's reading of them: access → explaining case.
            #expect(try await store.explainingCases(accessIDs: ["E0001", "E0002", "E0003", "E9999"]) == ["E0001": "C0003"])

            func read(_ filter: FindingFilter) async throws -> [StoredFinding] {
                var out: [StoredFinding] = []
                try await store.forEachFinding(filter) { out.append($0) }
                return out
            }
            // Oldest first, then ledger order (E0002 and E0001a are at the same instant).
            await #expect(try read(FindingFilter()) == [f0, f1, f2, f5, f3, f4b])
            // Highest score first, then oldest first (E0001a and E0003 both score 0.5; E0001a is older).
            await #expect(try read(FindingFilter(flaggedOnly: true, order: .score)) == [f4b, f2, f5, f3])
            await #expect(try read(FindingFilter(order: .score, limit: 2, offset: 1)) == [f2, f5])
            await #expect(try read(FindingFilter(staff: "S0001")) == [f1, f3])
            await #expect(try read(FindingFilter(register: "R0000002")) == [f1, f2, f5])
            await #expect(try read(FindingFilter(person: "P0000003")) == [f4b])
            await #expect(try read(FindingFilter(office: "27127")) == [f0])
            await #expect(try read(FindingFilter(office: "27102")).isEmpty)
            // [from, to).
            await #expect(try read(FindingFilter(from: f2.finding.at)) == [f2, f5, f3, f4b])
            await #expect(try read(FindingFilter(to: f3.finding.at)) == [f0, f1, f2, f5])
            await #expect(try read(FindingFilter(from: f2.finding.at, to: f3.finding.at)) == [f2, f5])
            await #expect(try read(FindingFilter(limit: 2, offset: 1)) == [f1, f2])
        }
    }

    @Test("findings: unjournaled oldest first, markJournaled, a finding that becomes flagged is unjournaled again",
          arguments: StoreFactory.all)
    func findingJournalMarks(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await findingCity(factory, dir)
            let (f1, f2, f3) = (Self.f1, Self.f2, Self.f3)
            try await store.saveFindings([Self.f4, f3, f2, f1])
            await #expect(try store.unjournaledFindings(limit: 10) == [f2, f3])
            await #expect(try store.unjournaledFindings(limit: 1) == [f2])

            try await store.markJournaled(["E0002"])
            await #expect(try store.unjournaledFindings(limit: 10) == [f3])
            // Staying flagged keeps the mark.
            var f2b = f2
            f2b.finding.score = 0.8
            try await store.saveFindings([f2b])
            await #expect(try store.unjournaledFindings(limit: 10) == [f3])
            // Unflagged, then flagged again: not yet journaled.
            var f2c = f2
            f2c.finding.flagged = false
            f2c.finding.score = 0.1
            try await store.saveFindings([f2c])
            await #expect(try store.unjournaledFindings(limit: 10) == [f3])
            try await store.saveFindings([f2])
            await #expect(try store.unjournaledFindings(limit: 10) == [f2, f3])
            // A finding that becomes flagged.
            var f1b = f1
            f1b.finding.flagged = true
            f1b.finding.score = 0.9
            try await store.saveFindings([f1b])
            await #expect(try store.unjournaledFindings(limit: 10) == [f1b, f2, f3])

            try await store.markJournaled(["E0001", "E0002", "E0003", "E9999"])
            await #expect(try store.unjournaledFindings(limit: 10).isEmpty)
        }
    }

    @Test("audit checkpoint saved and replaced; resetAudit forgets findings and checkpoint, not the ledger",
          arguments: StoreFactory.all)
    func auditCheckpointAndReset(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await findingCity(factory, dir)
            await #expect(try store.auditCheckpoint() == nil)
            var state = AuditState()
            state.events = 3
            state.lastEventAt = 1_299_805_500_000
            let c1 = AuditCheckpoint(lastSeq: 3, lastCaseRow: 2, state: state)
            try await store.saveAuditCheckpoint(c1)
            await #expect(try store.auditCheckpoint() == c1)
            state.events = 4
            let c2 = AuditCheckpoint(lastSeq: 4, lastCaseRow: 4, state: state)
            try await store.saveAuditCheckpoint(c2)
            await #expect(try store.auditCheckpoint() == c2)

            try await store.saveFindings([Self.f1, Self.f2, Self.f3])
            try await store.markJournaled(["E0002"])
            try await store.appendJournal([journal("AF-E0002")])
            let size = try await store.ledgerSize()

            try await store.resetAudit()
            await #expect(try store.auditCheckpoint() == nil)
            await #expect(try store.findings(accessIDs: ["E0001", "E0002", "E0003"]).isEmpty)
            await #expect(try store.findingCounts() == FindingCounts())
            await #expect(try store.unjournaledFindings(limit: 10).isEmpty)
            await #expect(try store.ledgerSize() == size)
            // Saved again after a reset, a flagged finding is not yet journaled.
            try await store.saveFindings([Self.f2])
            await #expect(try store.unjournaledFindings(limit: 10) == [Self.f2])
        }
    }

    @Test("the audit over a small city: a finding per access, flagged ones journaled; reset and run again",
          arguments: StoreFactory.all)
    func auditServiceRun(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try await cityStore(factory, dir)
            let ids = ["E0004", "E0002", "E0001", "E0003"]
            let service = AuditService(store: store)
            let first = try await service.run()
            #expect(first.fullSweep)
            #expect(first.audited == 4)
            #expect(first.counts.total == 4)
            let found = try await store.findings(accessIDs: ids)
            #expect(found.map(\.finding.access) == ["E0001", "E0002", "E0003", "E0004"])
            #expect(found.map(\.seq) == [0, 1, 2, 3])
            await #expect(try store.findingCounts() == first.counts)
            #expect(first.counts.flagged == found.count { $0.finding.flagged })
            #expect(first.counts.explained == found.count { $0.finding.explained })
            // Every flagged finding went into the ledger.
            await #expect(try store.unjournaledFindings(limit: 100).isEmpty)
            #expect(first.journaled == first.counts.flagged)
            await #expect(try store.ledgerSize() == UInt64(4 + first.counts.flagged))
            await #expect(try store.auditCheckpoint()?.lastSeq == 3)
            var expectedCases: [String: String] = [:]
            for f in found { if let c = f.finding.explanation?.caseID { expectedCases[f.finding.access] = c } }
            #expect(try await store.explainingCases(accessIDs: ids) == expectedCases)

            // Nothing new: nothing audited.
            let second = try await service.run()
            #expect(!second.fullSweep)
            #expect(second.audited == 0)
            #expect(second.counts == first.counts)

            try await store.resetAudit()
            await #expect(try store.auditCheckpoint() == nil)
            await #expect(try store.findingCounts() == FindingCounts())
            let third = try await service.run()
            #expect(third.fullSweep)
            #expect(third.audited == 4)
            #expect(third.counts == first.counts)
            await #expect(try store.findings(accessIDs: ids).map(\.finding) == found.map(\.finding))
        }
    }

    @Test("cases in arrival order: latestCaseRow, casesArrived(after:)", arguments: StoreFactory.all)
    func casesArrived(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            await #expect(try store.latestCaseRow() == 0)
            await #expect(try store.casesArrived(after: 0).isEmpty)
            try await importLines(store, ContractCity.offices + ContractCity.staff + ContractCity.registers + ContractCity.persons + [ContractCity.case3, ContractCity.case1],
                            dir: dir)
            try await importLines(store, [ContractCity.case2, ContractCity.case1], dir: dir, name: "later.jsonl")
            let arrived = try await store.casesArrived(after: 0)
            func caseIDs(_ list: [ArrivedCase]) async throws -> [String] {
                try list.map { a in
                    guard case let .record(.case(c), _) = try RecordDecoder.decodeStored(line: a.doc) else {
                        throw NotARecord(line: String(decoding: a.doc, as: UTF8.self))
                    }
                    return c.id
                }
            }
            await #expect(try caseIDs(arrived) == ["C0003", "C0001", "C0002"])
            #expect(arrived.map(\.doc) == (try [ContractCity.case3, ContractCity.case1, ContractCity.case2].map(canonical)))
            let rows = arrived.map(\.row)
            #expect(rows == rows.sorted() && Set(rows).count == 3)
            #expect(rows.allSatisfy { $0 > 0 })
            await #expect(try store.latestCaseRow() == rows.last)
            await #expect(try caseIDs(store.casesArrived(after: rows[0])) == ["C0001", "C0002"])
            await #expect(try store.casesArrived(after: rows[2]).isEmpty)
            // A duplicate or a conflict does not arrive.
            let otherCase4 = #"{"type":"case","id":"C0003","office":"27108","kind":"other","received":"2011-03-10T09:00:00+09:00","staff":[],"registers":[]}"#
            await #expect(try store.ingest([item(ContractCity.case2), item(otherCase4)]) == [.duplicate, .conflict])
            await #expect(try store.latestCaseRow() == rows[2])
            _ = try await store.ingest([item(ContractCity.case4)])
            await #expect(try caseIDs(store.casesArrived(after: rows[2])) == ["C0004"])
        }
    }

    @Test("one-time access codes: saved, listed per person newest first (bounded), used once; a used code stays listed as used",
          arguments: StoreFactory.all)
    func accessCodesPerPerson(_ factory: StoreFactory) async throws {
        try await withTempDir { dir in
            let store = try factory.make(dir)
            func code(_ hash: String, _ person: String, created: String, expires: String) -> AccessCodeRecord {
                AccessCodeRecord(hash: hash, person: person, from: LocalDate("2013-01-01")!, to: LocalDate("2013-12-31")!,
                                 created: Timestamp(created)!, expires: Timestamp(expires)!)
            }
            let a = code("a1", "P1", created: "2014-01-01T09:00:00+09:00", expires: "2014-04-01T09:00:00+09:00")
            let b = code("b2", "P1", created: "2014-02-01T09:00:00+09:00", expires: "2014-05-01T09:00:00+09:00")
            let c = code("c3", "P2", created: "2014-02-02T09:00:00+09:00", expires: "2014-05-02T09:00:00+09:00")
            for x in [a, b, c] { try await store.saveAccessCode(x) }
            #expect(try await store.accessCodes(person: "P1", limit: 10) == [b, a])
            #expect(try await store.accessCodes(person: "P1", limit: 1) == [b])
            #expect(try await store.accessCodes(person: "P2", limit: 10) == [c])
            #expect(try await store.accessCodes(person: "P9", limit: 10).isEmpty)
            #expect(try await store.accessCodes(person: "", limit: 10).isEmpty)
            let at = Timestamp("2014-02-10T10:00:00+09:00")!
            var used = a
            used.used = at
            #expect(try await store.consumeAccessCode(hash: "a1", at: at) == used)
            #expect(try await store.accessCodes(person: "P1", limit: 10) == [b, used])
            // Revoking ends the validity at that instant: once, and never for an expired code.
            let revokedAt = Timestamp("2014-02-11T10:00:00+09:00")!
            #expect(try await store.revokeAccessCode(hash: "b2", at: revokedAt))
            #expect(try await store.accessCode(hash: "b2")?.expires == revokedAt)
            #expect(try await !store.revokeAccessCode(hash: "b2", at: revokedAt))
            #expect(try await !store.revokeAccessCode(hash: "c3", at: Timestamp("2014-06-01T09:00:00+09:00")!))
            #expect(try await !store.revokeAccessCode(hash: "nope", at: revokedAt))
            #expect(try await store.consumeAccessCode(hash: "b2", at: revokedAt) == nil)
        }
    }
}
