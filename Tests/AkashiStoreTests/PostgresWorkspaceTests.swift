import AkashiDomain
import AkashiInterchange
@testable import AkashiPostgres
import AkashiStorage
import Foundation
import PostgresNIO
import Testing

// The PostgreSQL store's reference reads, issuance records, workspace state and auditor console state, on a real
// server. Each test opens its own municipality in the database named by AKASHI_TEST_POSTGRES, so tests share nothing
// and leave nothing to clean up (every table is keyed by municipality).

/// A fresh municipality on the test server (``TestPostgres``), and a way to open it again as another server process
/// would.
private struct PGHandle {
    let name: String
    func open() throws -> PostgresStore { try TestPostgres.store(name) }
}

private func freshMunicipality() throws -> PGHandle { PGHandle(name: TestPostgres.freshName()) }

// MARK: - Test data


private struct NotAPGRecord: Error, CustomStringConvertible {
    var line: String
    var description: String { "test data is not a single valid record: \(line)" }
}

private func pgRecord(_ line: String) throws -> Record {
    guard case let .record(r, unknown) = try RecordDecoder.decode(line: Array(line.utf8)), unknown.isEmpty else {
        throw NotAPGRecord(line: line)
    }
    return r
}

/// An ingest item as the importer builds one.
private func pgItem(_ line: String) throws -> IngestItem {
    let r = try pgRecord(line)
    return IngestItem(record: r, canonical: r.canonicalJSON, raw: Array(line.utf8)[...], file: "pg.jsonl", line: 1)
}

private func pgItem(_ r: Record) -> IngestItem {
    let bytes = r.canonicalJSON
    return IngestItem(record: r, canonical: bytes, raw: bytes[...], file: "pg.jsonl", line: 1)
}

private func pgStaff(_ l: String) throws -> Staff {
    guard case let .staff(x) = try pgRecord(l) else { throw NotAPGRecord(line: l) }
    return x
}

private func pgOffice(_ l: String) throws -> Office {
    guard case let .office(x) = try pgRecord(l) else { throw NotAPGRecord(line: l) }
    return x
}

private func pgRegister(_ l: String) throws -> Register {
    guard case let .register(x) = try pgRecord(l) else { throw NotAPGRecord(line: l) }
    return x
}

private func pgPerson(_ l: String) throws -> Person {
    guard case let .person(x) = try pgRecord(l) else { throw NotAPGRecord(line: l) }
    return x
}

private func pgProtection(_ l: String) throws -> Protection {
    guard case let .protection(x) = try pgRecord(l) else { throw NotAPGRecord(line: l) }
    return x
}

private func pgCase(_ l: String) throws -> Case {
    guard case let .case(x) = try pgRecord(l) else { throw NotAPGRecord(line: l) }
    return x
}

private func pgSelfReport(_ l: String) throws -> SelfReport {
    guard case let .selfReport(x) = try pgRecord(l) else { throw NotAPGRecord(line: l) }
    return x
}

private func pgTS(_ text: String) -> Timestamp {
    guard let t = Timestamp(text) else { preconditionFailure("bad timestamp literal \(text)") }
    return t
}

private func pgTwo(_ n: some BinaryInteger) -> String { n < 10 ? "0\(n)" : "\(n)" }

/// A fresh municipality holding the city.
private func pgCity() async throws -> (PGHandle, PostgresStore) {
    let h = try freshMunicipality()
    let store = try h.open()
    let outcomes = try await store.ingest(try (ContractCity.reference + [ContractCity.access1, ContractCity.access2]).map(pgItem))
    #expect(outcomes.allSatisfy { if case .inserted = $0 { true } else { false } })
    return (h, store)
}

// MARK: - Tests

// Skipped unless AKASHI_TEST_POSTGRES names a server: these tests need a running PostgreSQL, and a machine without one
// must still be able to run the suite.
@Suite("PostgreSQL workspace, reference and console state", .enabled(if: TestPostgres.url != nil, "\(TestPostgres.skipReason)"),
       .serialized)
struct PostgresWorkspaceTests {

    // MARK: ReferenceStore

    @Test("staff by the latest assignment and role, offices in code order")
    func staffAndOffices() async throws {
        let (_, store) = try await pgCity()
        #expect(try await store.staffMember(id: "S0001") == pgStaff(ContractCity.staff1))
        #expect(try await store.staffMember(id: "S9999") == nil)
        #expect(try await store.staffMembers(office: nil, role: nil).map(\.id) == ["S0001", "S0002", "S0003", "S0004"])
        #expect(try await store.staffMembers(office: "27108", role: nil).map(\.id) == ["S0002", "S0003"])
        #expect(try await store.staffMembers(office: "27127", role: nil).map(\.id) == ["S0001"])
        #expect(try await store.staffMembers(office: "27108", role: .clerk) == [pgStaff(ContractCity.staff3)])
        #expect(try await store.staffMembers(office: nil, role: .auditor).map(\.id) == ["S0004"])
        #expect(try await store.staffMembers(office: nil, role: .contractor).isEmpty)
        #expect(try await store.office(code: "27108") == pgOffice(ContractCity.officeTaisho))
        #expect(try await store.office(code: "99999") == nil)
        #expect(try await store.offices()
            == [pgOffice(ContractCity.officeMiyakojima), pgOffice(ContractCity.officeTaisho), pgOffice(ContractCity.officeKita)])
    }

    @Test("registers and persons in the order asked, each as often as asked; registerIDs in ID order")
    func registersAndPersons() async throws {
        let (_, store) = try await pgCity()
        let r1 = try pgRegister(ContractCity.register1), r2 = try pgRegister(ContractCity.register2), r3 = try pgRegister(ContractCity.register3)
        #expect(try await store.register(id: "R0000001") == r1)
        #expect(try await store.register(id: "R9999999") == nil)
        #expect(try await store.registers(ids: ["R0000003", "R9999999", "R0000001", "R0000003", "R0000002"]) == [r3, r1, r3, r2])
        #expect(try await store.registers(ids: []).isEmpty)
        #expect(try await store.registerIDs(member: "P0000001") == ["R0000001", "R0000002"])
        #expect(try await store.registerIDs(member: "P9999999").isEmpty)
        let p1 = try pgPerson(ContractCity.person1), p2 = try pgPerson(ContractCity.person2), p3 = try pgPerson(ContractCity.person3)
        #expect(try await store.person(id: "P0000001") == p1)
        #expect(try await store.person(id: "P0000003") == p3)
        #expect(try await store.person(id: "P0000003")?.kana == "")
        #expect(try await store.person(id: "P0000004")?.kana == nil)
        #expect(try await store.persons(ids: ["P0000002", "P0000001", "P0000002", "P9999999"]) == [p2, p1, p2])
        // Beyond what one statement could bind as separate parameters.
        let many = (0..<70_000).map { $0 % 10_000 == 0 ? "P0000002" : "PX\($0)" }
        #expect(try await store.persons(ids: many) == Array(repeating: p2, count: 7))
        // NUL cannot be stored in PostgreSQL text: such an ID names nothing (never a database error).
        #expect(try await store.person(id: "P0000001\u{0}") == nil)
        #expect(try await store.persons(ids: ["P\u{0}", "P0000001"]) == [p1])
    }

    @Test("protections, self-reports in staff order, cases by ID and by person or registers")
    func protectionsReportsCases() async throws {
        let (_, store) = try await pgCity()
        let found = try await store.protections(person: "P0000001")
        #expect(Set(found) == [try pgProtection(ContractCity.protectionVIP), try pgProtection(ContractCity.protectionDV)])
        #expect(found.count == 2)
        #expect(try await store.protections(person: "P0000002").isEmpty)
        #expect(try await store.selfReports(survey: "2014-02") == [pgSelfReport(ContractCity.selfReport1), pgSelfReport(ContractCity.selfReport3)])
        #expect(try await store.selfReports(survey: "2099-01").isEmpty)

        let c1 = try pgCase(ContractCity.case1), c2 = try pgCase(ContractCity.case2), c3 = try pgCase(ContractCity.case3), c4 = try pgCase(ContractCity.case4)
        #expect(try await store.caseRecord(id: "C0002") == c2)
        #expect(try await store.caseRecord(id: "C0002")?.received.offsetMinutes == 0)
        #expect(try await store.caseRecord(id: "C9999") == nil)
        #expect(try await store.cases(ids: ["C0004", "C9999", "C0001", "C0004"]) == [c4, c1, c4])
        #expect(try await store.cases(person: "P0000001", registers: []) == [c3])
        #expect(try await store.cases(person: nil, registers: ["R0000002"]) == [c2, c3])
        #expect(try await store.cases(person: nil, registers: ["R0000001", "R0000003"]) == [c1, c4])
        #expect(try await store.cases(person: "P0000002", registers: ["R0000002"]) == [c1, c2, c3])
        #expect(try await store.cases(person: "P0000001", registers: ["R0000002", "R0000002"]) == [c2, c3])
        #expect(try await store.cases(person: nil, registers: []).isEmpty)
        #expect(try await store.cases(person: "P9999999", registers: ["R9999999"]).isEmpty)
    }

    @Test("searchRegisters: fields, blanks, empty kana, wildcards, ASCII case, current first then ID, limit")
    func search() async throws {
        let (_, store) = try await pgCity()
        func ids(_ q: RegisterQuery, limit: Int = 50) async throws -> [String] {
            try await store.searchRegisters(q, limit: limit).map(\.id)
        }
        #expect(try await ids(RegisterQuery()).isEmpty)
        #expect(try await ids(RegisterQuery(name: "", kana: "", birth: "", honseki: "")).isEmpty)
        #expect(try await ids(RegisterQuery(name: "堺")) == ["R0000003"])
        // Current registers first, then by ID.
        #expect(try await ids(RegisterQuery(name: "浪花")) == ["R0000002", "R0000001"])
        #expect(try await ids(RegisterQuery(name: "浪花一郎")) == ["R0000002", "R0000001"])
        #expect(try await ids(RegisterQuery(name: "浪花\u{3000}一郎")) == ["R0000002", "R0000001"])
        #expect(try await ids(RegisterQuery(kana: "はなこ")) == ["R0000002"])
        #expect(try await ids(RegisterQuery(birth: "1980")) == ["R0000003"])
        #expect(try await ids(RegisterQuery(birth: "1971-02")) == ["R0000002"])
        #expect(try await ids(RegisterQuery(birth: "2099")).isEmpty)
        // 本籍 alone: by ID.
        #expect(try await ids(RegisterQuery(honseki: "大阪市")) == ["R0000001", "R0000002", "R0000003"])
        #expect(try await ids(RegisterQuery(honseki: "大阪市"), limit: 2) == ["R0000001", "R0000002"])
        #expect(try await ids(RegisterQuery(honseki: "大阪市"), limit: 0).isEmpty)
        #expect(try await ids(RegisterQuery(name: "浪花", honseki: "大正区")) == ["R0000001"])
        #expect(try await ids(RegisterQuery(name: "堺", birth: "1980")) == ["R0000003"])
        // An empty kana is unknown, never matched; blanks are empty.
        #expect(try await ids(RegisterQuery(kana: "")).isEmpty)
        for q in [" ", "\u{3000}", " \u{3000} "] {
            #expect(try await ids(RegisterQuery(name: q)).isEmpty)
            #expect(try await ids(RegisterQuery(kana: q)).isEmpty)
            #expect(try await ids(RegisterQuery(birth: q)).isEmpty)
            #expect(try await ids(RegisterQuery(honseki: q)).isEmpty)
        }
        #expect(try await ids(RegisterQuery(name: "太郎", kana: "")) == ["R0000003"])
        #expect(try await ids(RegisterQuery(name: "浪\u{0}")).isEmpty)

        // Wildcards are plain characters; ASCII letters match in either case (as SQLite's LIKE does).
        let rID = "R'\"%_\\ 1", pID = "P'%_\\ 1"
        let r = Register(id: rID, kind: .current, honseki: "大阪市北区天神橋'1%", office: "27127", head: pID, members: [pID])
        let p = Person(id: pID, name: "O'Brien 100%", kana: "おぶらいえん", register: rID)
        _ = try await store.ingest([pgItem(.register(r)), pgItem(.person(p))])
        #expect(try await store.searchRegisters(RegisterQuery(name: "100%"), limit: 10) == [r])
        #expect(try await store.searchRegisters(RegisterQuery(name: "'"), limit: 10) == [r])
        #expect(try await store.searchRegisters(RegisterQuery(name: "o'brien"), limit: 10) == [r])
        #expect(try await store.searchRegisters(RegisterQuery(name: "O'BRIEN100"), limit: 10) == [r])
        #expect(try await store.searchRegisters(RegisterQuery(name: "_"), limit: 10).isEmpty)
        #expect(try await store.searchRegisters(RegisterQuery(name: "\\"), limit: 10).isEmpty)
        #expect(try await store.searchRegisters(RegisterQuery(honseki: "'1%"), limit: 10) == [r])
        #expect(try await store.searchRegisters(RegisterQuery(honseki: "天神橋_"), limit: 10).isEmpty)
        #expect(try await store.register(id: rID) == r)
        #expect(try await store.registers(ids: ["R%", "R_"]).isEmpty)
    }

    @Test("a stored document that does not decode is damage, never absence")
    func damagedDocument() async throws {
        let (_, store) = try await pgCity()
        try store.connections.blocking { s in
            try s.execute("UPDATE protection SET doc = \(Array("{not json".utf8).buffer) WHERE muni = \(store.muni) AND person = 'P0000001'")
        }
        do {
            _ = try await store.protections(person: "P0000001")
            Issue.record("a damaged protection was read")
        } catch let e as StoreError {
            #expect(e.code == .damaged)
        }
    }

    @Test("municipalities are apart: the same IDs in two municipalities of one database")
    func municipalitiesApart() async throws {
        let (_, a) = try await pgCity()
        let b = try freshMunicipality().open()
        #expect(try await b.staffMember(id: "S0001") == nil)
        #expect(try await b.offices().isEmpty)
        #expect(try await b.searchRegisters(RegisterQuery(honseki: "大阪市"), limit: 10).isEmpty)
        #expect(try await b.cases(person: "P0000001", registers: ["R0000002"]).isEmpty)
        try await a.setPasswordHash(staff: "S0001", hash: "h")
        #expect(try await b.account(staff: "S0001") == nil)
        #expect(try await a.nextCounter("n") == 1)
        #expect(try await b.nextCounter("n") == 1)
        try await a.setConsoleValue("k", "a")
        #expect(try await b.consoleValue("k") == nil)
    }

    // MARK: WorkspaceStore

    @Test("accounts: sign-in claims per address and account, a new password clears them; another municipality's are its own")
    func accounts() async throws {
        let h = try freshMunicipality()
        let store = try h.open()
        let hash1 = "scrypt$16384$8$1$c2FsdA==$aGFzaDE=", hash2 = "scrypt$16384$8$1$c2FsdDI=$aGFzaDI="
        let limits = SignInLimits(perAddress: 2, perAccount: 3)
        let t0: Int64 = 1_700_000_000_000
        #expect(try await store.account(staff: "S0001") == nil)
        #expect(try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0, limits: limits) == .noAccount)
        try await store.setPasswordHash(staff: "S0001", hash: hash1)
        #expect(try await store.account(staff: "S0001") == WorkspaceAccount(staff: "S0001", passwordHash: hash1))
        #expect(try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0, limits: limits)
            == .granted(addressFailures: 1, accountFailures: 1, locks: nil))
        #expect(try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0 + 1, limits: limits)
            == .granted(addressFailures: 2, accountFailures: 2, locks: .address))
        // Another municipality on the same database: the same staff ID and address are counted apart.
        let elsewhere = try freshMunicipality().open()
        try await elsewhere.setPasswordHash(staff: "S0001", hash: hash1)
        #expect(try await elsewhere.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0 + 2, limits: limits)
            == .granted(addressFailures: 1, accountFailures: 1, locks: nil))
        #expect(try await store.claimSignIn(staff: "S0001", address: "10.0.0.1", at: t0 + 3, limits: limits)
            == .locked(.address, until: t0 + 1 + limits.addressLockMillis))
        // A NUL cannot be stored in PostgreSQL text: no such account.
        #expect(try await store.claimSignIn(staff: "S00\u{0}1", address: "10.0.0.1", at: t0, limits: limits) == .noAccount)
        try await store.setPasswordHash(staff: "S0001", hash: hash2)
        #expect(try await store.account(staff: "S0001") == WorkspaceAccount(staff: "S0001", passwordHash: hash2))
        #expect(try await store.failedSignIns(staff: "S0001").isEmpty)
        #expect(try await elsewhere.failedSignIns(staff: "S0001").count == 1)
    }

    @Test("sessions: create, read, touch, acknowledge the banner, delete, delete idle (last use at the bound stays)")
    func sessions() async throws {
        let h = try freshMunicipality()
        let store = try h.open()
        let s1 = WorkspaceSession(tokenHash: String(repeating: "a", count: 64), staff: "S0001", kind: "web", csrf: "c1",
                                  terminal: "T1", created: 1_000, lastSeen: 1_000)
        let s2 = WorkspaceSession(tokenHash: String(repeating: "b", count: 64), staff: "S0002", kind: "api", csrf: "c2",
                                  terminal: "T2", created: 400, lastSeen: 500, bannerVersion: "2025-04")
        let s3 = WorkspaceSession(tokenHash: String(repeating: "c", count: 64), staff: "S0001", kind: "web", csrf: "c3",
                                  terminal: "T3", created: 2_500, lastSeen: 3_000)
        #expect(try await store.session(tokenHash: s1.tokenHash) == nil)
        for s in [s1, s2, s3] { try await store.createSession(s) }
        #expect(try await store.session(tokenHash: s2.tokenHash) == s2)
        try await store.touchSession(tokenHash: s1.tokenHash, at: 2_000)
        try await store.acknowledgeBanner(tokenHash: s1.tokenHash, version: "2026-01")
        var touched = s1
        touched.lastSeen = 2_000
        touched.bannerVersion = "2026-01"
        #expect(try await store.session(tokenHash: s1.tokenHash) == touched)
        try await store.deleteSessions(idleSince: 2_000)
        #expect(try await store.session(tokenHash: s2.tokenHash) == nil)
        #expect(try await store.session(tokenHash: s1.tokenHash) == touched)
        try await store.deleteSession(tokenHash: s1.tokenHash)
        #expect(try await store.session(tokenHash: s1.tokenHash) == nil)
        #expect(try await h.open().session(tokenHash: s3.tokenHash) == s3)
    }

    @Test("banner: the newest version saved is current")
    func banner() async throws {
        let h = try freshMunicipality()
        let store = try h.open()
        #expect(try await store.currentBanner() == nil)
        let v1 = BannerText(version: "2025-04", ja: "業務目的以外の閲覧は禁止されています。", en: "Work only.")
        let v2 = BannerText(version: "2026-01", ja: "すべての操作は記録されます。", en: "Everything is recorded.")
        try await store.saveBanner(v1, at: 1_000)
        #expect(try await store.currentBanner() == v1)
        try await store.saveBanner(v2, at: 2_000)
        #expect(try await h.open().currentBanner() == v2)
        // Versions are kept, never changed.
        await #expect(throws: StoreError.self) { try await store.saveBanner(BannerText(version: "2025-04", ja: "x", en: "x"), at: 3_000) }
        #expect(try await store.currentBanner() == v2)
    }

    @Test("nextCounter: from 1, per name, never the same value twice across servers")
    func counters() async throws {
        let h = try freshMunicipality()
        let store = try h.open(), again = try h.open()
        #expect(try await store.nextCounter("receipt/27108/2026") == 1)
        #expect(try await store.nextCounter("receipt/27108/2026") == 2)
        #expect(try await store.nextCounter("issue/27108/2026") == 1)
        #expect(try await again.nextCounter("receipt/27108/2026") == 3)
        let values = try await withThrowingTaskGroup(of: [Int].self) { group in
            for handle in [store, again] {
                group.addTask {
                    var got: [Int] = []
                    for _ in 0..<15 { got.append(try await handle.nextCounter("race")) }
                    return got
                }
            }
            var all: [Int] = []
            for try await part in group { all += part }
            return all
        }
        #expect(values.sorted() == Array(1...30))
    }

    @Test("cases: details kept once, updateCase seen by the reads, openCases newest first past many closed ones")
    func caseState() async throws {
        let (h, store) = try await pgCity()
        #expect(try await store.caseDetails(caseID: "C0001") == nil)
        let json = #"{"requesterName":"浪花 花子","purpose":"年金手続き"}"#
        try await store.saveCaseDetails(caseID: "C0001", json: json)
        try await store.saveCaseDetails(caseID: "C0001", json: "{}")
        #expect(try await store.caseDetails(caseID: "C0001") == json)

        let case5 = #"{"type":"case","id":"C0005","office":"27108","kind":"certificate.fuhyo","requester":"family","received":"2011-03-12T17:30:00+09:00","status":"open","staff":["S0003","S0001"],"registers":["R0000003"]}"#
        _ = try await store.ingest([pgItem(case5)])
        let c1 = try pgCase(ContractCity.case1), c2 = try pgCase(ContractCity.case2), c5 = try pgCase(case5)
        #expect(try await store.openCases(staff: "S0001", limit: 10) == [c2, c5, c1])
        #expect(try await store.openCases(staff: "S0001", limit: 2) == [c2, c5])
        #expect(try await store.openCases(staff: "S0002", limit: 10) == [c1])
        #expect(try await store.openCases(staff: "S9999", limit: 10).isEmpty)
        #expect(try await store.openCases(staff: "S0001", limit: 0).isEmpty)

        var closed = c1
        closed.status = .done
        closed.closed = pgTS("2011-03-11T11:30:00+09:00")
        try await store.updateCase(closed)
        #expect(try await store.caseRecord(id: "C0001") == closed)
        #expect(try await store.cases(person: "P0000002", registers: []) == [closed])
        #expect(try await store.openCases(staff: "S0001", limit: 10) == [c2, c5])
        await #expect(try store.ledgerSize() == 2)
        #expect(try await h.open().caseRecord(id: "C0001") == closed)

        // Nine closed cases newer than S0009's one open case: still found with a limit of 1.
        var newer: [IngestItem] = []
        for k in 0..<9 {
            newer.append(pgItem(.case(Case(id: "CN\(k)", office: "27108", kind: .other, received: pgTS("2012-01-0\(k + 1)T09:00:00+09:00"),
                                           closed: pgTS("2012-01-0\(k + 1)T10:00:00+09:00"), status: .done, staff: ["S0009"]))))
        }
        let old = Case(id: "CO", office: "27108", kind: .other, received: pgTS("2011-01-01T09:00:00+09:00"), status: .open, staff: ["S0009"])
        newer.append(pgItem(.case(old)))
        _ = try await store.ingest(newer)
        #expect(try await store.openCases(staff: "S0009", limit: 1) == [old])
    }

    @Test("issuances in issuance-number order, timestamps kept with their offsets")
    func issuances() async throws {
        let store = try freshMunicipality().open()
        func issuance(_ n: Int, _ caseID: String, _ at: String) -> IssuanceRecord {
            IssuanceRecord(number: "27108-2011-0000\(pgTwo(n))", caseID: caseID, register: "R0000002", certificate: "certificate.full",
                           copies: n, requester: n == 3 ? nil : "self", at: pgTS(at), staff: "S0001", office: "27108",
                           eventID: "E-print-\(n)")
        }
        let i3 = issuance(3, "C0003", "2011-03-11T01:12:00+00:00"), i1 = issuance(1, "C0003", "2011-03-11T10:10:00+09:00")
        let i2 = issuance(2, "C0002", "2011-03-11T10:11:00+09:00")
        for i in [i3, i1, i2] { try await store.saveIssuance(i) }
        #expect(try await store.issuances(caseID: "C0003") == [i1, i3])
        #expect(try await store.issuances(caseID: "C0003").last?.at.offsetMinutes == 0)
        #expect(try await store.issuances(caseID: "C0002") == [i2])
        #expect(try await store.issuances(caseID: "C9999").isEmpty)
        // A number is issued once.
        await #expect(throws: StoreError.self) { try await store.saveIssuance(i1) }
    }

    @Test("approvals: decided once, spent once by its requester while approved; races between servers")
    func approvals() async throws {
        let h = try freshMunicipality()
        let a = try h.open(), b = try h.open()
        func request(_ id: String, office: String = "27108", minute: Int) -> ApprovalRequest {
            ApprovalRequest(id: id, staff: "S0001", office: office, register: "R0000002", record: "fuhyo", caseID: "C0003",
                            reason: "附票の確認", requested: pgTS("2026-01-05T09:\(pgTwo(minute)):00+09:00"))
        }
        var a5 = request("A5", minute: 1)
        a5.caseID = nil
        a5.reason = nil
        let a1 = request("A1", minute: 3), a2 = request("A2", minute: 2), a4 = request("A4", office: "27127", minute: 4)
        for x in [a1, a2, a4, a5] { try await a.saveApproval(x) }
        #expect(try await a.approval(id: "A5") == a5)
        #expect(try await a.pendingApprovals(office: "27108") == [a5, a2, a1])
        #expect(try await a.pendingApprovals(office: "27127") == [a4])
        #expect(try await a.spendApproval(id: "A1", staff: "S0001") == false)
        let t = pgTS("2026-01-05T09:30:00+09:00")
        #expect(try await a.decideApproval(id: "A1", status: .approved, approver: "S0002", decided: t))
        #expect(try await a.decideApproval(id: "A1", status: .denied, approver: "S0004", decided: t) == false)
        #expect(try await a.spendApproval(id: "A1", staff: "S0002") == false)
        #expect(try await a.spendApproval(id: "A1", staff: "S0001"))
        #expect(try await a.spendApproval(id: "A1", staff: "S0001") == false)
        var used = a1
        used.status = .used
        used.approver = "S0002"
        used.decided = t
        #expect(try await b.approval(id: "A1") == used)
        #expect(try await a.decideApproval(id: "A2", status: .denied, approver: "S0002", decided: t))
        #expect(try await a.spendApproval(id: "A2", staff: "S0001") == false)
        #expect(try await a.pendingApprovals(office: "27108") == [a5])

        for k in 0..<8 {
            try await a.saveApproval(ApprovalRequest(id: "R\(k)", staff: "S0001", office: "27108", register: "R0000002",
                                                     record: "fuhyo", caseID: nil, reason: "確認", requested: t))
            async let grant = a.decideApproval(id: "R\(k)", status: .approved, approver: "S0002", decided: t)
            async let deny = b.decideApproval(id: "R\(k)", status: .denied, approver: "S0003", decided: t)
            let (g, d) = try await (grant, deny)
            #expect(g != d)
            if g {
                async let u1 = a.spendApproval(id: "R\(k)", staff: "S0001")
                async let u2 = b.spendApproval(id: "R\(k)", staff: "S0001")
                let (x, y) = try await (u1, u2)
                #expect(x != y)
            }
        }
    }

    // MARK: ConsoleStore

    @Test("investigations: save, replace, read, filters, newest first")
    func investigations() async throws {
        let store = try freshMunicipality().open()
        let i1 = Investigation(id: "INV-2", finding: "E0002", staff: "S0003", register: "R0000002",
                               reasonCodes: ["fuhyo_no_case", "vip"], title: "附票の閲覧（案件なし）", openedBy: "S0004",
                               opened: pgTS("2026-01-05T09:00:00+09:00"))
        let i2 = Investigation(id: "INV-3", finding: nil, staff: "S0001", register: nil, reasonCodes: [], title: "職員の全アクセス",
                               status: "closed", assignee: "S0004", openedBy: "S0004", opened: pgTS("2026-01-06T00:00:00+00:00"),
                               disposition: .business, rule: "窓口の照会対応", decidedBy: "S0004",
                               decided: pgTS("2026-01-07T09:00:00+09:00"))
        let i3 = Investigation(id: "INV-1", finding: "E0004", staff: "S0003", register: "R0000003", reasonCodes: ["break_glass"],
                               title: "緊急の照会", openedBy: "S0004", opened: pgTS("2026-01-08T09:00:00+09:00"),
                               disposition: .interview)
        for i in [i2, i1, i3] { try await store.saveInvestigation(i) }
        #expect(try await store.investigation(id: "INV-3") == i2)
        #expect(try await store.investigation(id: "INV-9") == nil)
        #expect(try await store.investigations(status: nil, staff: nil, finding: nil) == [i3, i2, i1])
        #expect(try await store.investigations(status: "open", staff: nil, finding: nil) == [i3, i1])
        #expect(try await store.investigations(status: nil, staff: "S0003", finding: nil) == [i3, i1])
        #expect(try await store.investigations(status: nil, staff: nil, finding: "E0002") == [i1])
        #expect(try await store.investigations(status: "open", staff: "S0003", finding: "E0004") == [i3])
        var decided = i1
        decided.status = "closed"
        decided.disposition = .nonBusiness
        decided.decidedBy = "S0004"
        decided.decided = pgTS("2026-01-09T09:00:00+09:00")
        try await store.saveInvestigation(decided)
        #expect(try await store.investigation(id: "INV-2") == decided)
        #expect(try await store.investigations(status: "open", staff: nil, finding: nil) == [i3])
    }

    @Test("investigation entries and files; steps and suppressions cannot be changed or removed")
    func entriesAndSuppressions() async throws {
        let store = try freshMunicipality().open()
        let e1 = InvestigationEntry(investigation: "INV-1", kind: "open", author: "S0004", at: pgTS("2026-01-05T09:00:00+09:00"),
                                    text: "所見から開始", journal: "J-open")
        let file: [UInt8] = Array("事情聴取の記録\n".utf8) + [0, 255, 10]
        let e2 = InvestigationEntry(investigation: "INV-1", kind: "interview", author: "S0004", at: pgTS("2026-01-06T09:00:00+09:00"),
                                    text: "本人から聴取", fileName: "聴取記録.txt", fileSize: file.count, journal: "J-interview")
        let id1 = try await store.addInvestigationEntry(e1, file: nil)
        let id2 = try await store.addInvestigationEntry(e2, file: file)
        #expect(id2 > id1)
        var s1 = e1, s2 = e2
        s1.id = id1
        s2.id = id2
        #expect(try await store.investigationEntries(investigation: "INV-1") == [s1, s2])
        #expect(try await store.investigationEntries(investigation: "INV-9").isEmpty)
        let got = try await store.investigationFile(entry: id2)
        #expect(got?.name == "聴取記録.txt")
        #expect(got?.bytes == file)
        #expect(try await store.investigationFile(entry: id1) == nil)
        // Another municipality does not see the file by its entry ID.
        #expect(try await freshMunicipality().open().investigationFile(entry: id2) == nil)

        let x1 = Suppression(investigation: "INV-2", staff: nil, register: nil, reasonCodes: ["night_holiday", "coworker"],
                             rule: "夜間窓口の通常業務", createdBy: "S0004", created: pgTS("2026-01-07T09:00:00+09:00"))
        let x2 = Suppression(investigation: "INV-3", staff: "S0003", register: "R0000003", reasonCodes: ["break_glass"],
                             rule: "緊急照会の手順どおり", createdBy: "S0004", created: pgTS("2026-01-08T09:00:00+09:00"))
        #expect(try await store.suppressions().isEmpty)
        var k1 = x1, k2 = x2
        k1.id = try await store.addSuppression(x1)
        k2.id = try await store.addSuppression(x2)
        #expect(try await store.suppressions() == [k1, k2])
        // A second auditor's decision (F-14) is a row of its own, append-only too.
        var k3 = Suppression(investigation: "INV-4", staff: nil, register: "R0000002", reasonCodes: ["vip"], rule: "確認待ち",
                             createdBy: "S0004", created: pgTS("2026-01-09T09:00:00+09:00"), needsConfirmation: true)
        k3.id = try await store.addSuppression(k3)
        let decision = SuppressionDecision(kind: .declined, by: "S0005", at: pgTS("2026-01-10T09:00:00+09:00"), journal: "J1")
        #expect(try await store.decideSuppression(id: k3.id, decision))
        k3.decision = decision
        #expect(try await store.suppressions() == [k1, k2, k3])
        // Findings an investigation holds (issue 19) are append-only too.
        try await store.holdFindings(investigation: "INV-1", accesses: ["E0001", "E0002"])

        for sql: PostgresQuery in [
            "UPDATE console_held_finding SET access = 'changed' WHERE muni = \(store.muni)",
            "DELETE FROM console_held_finding WHERE muni = \(store.muni)",
            "UPDATE console_entry SET text = 'changed' WHERE muni = \(store.muni)",
            "DELETE FROM console_entry WHERE muni = \(store.muni)",
            "UPDATE console_suppression SET rule = 'changed' WHERE muni = \(store.muni)",
            "DELETE FROM console_suppression WHERE muni = \(store.muni)",
            "UPDATE console_suppression_decision SET decision = 'confirmed' WHERE muni = \(store.muni)",
            "DELETE FROM console_suppression_decision WHERE muni = \(store.muni)",
        ] {
            #expect(throws: StoreError.self) { try store.connections.blocking { s in try s.execute(sql) } }
        }
        #expect(try await store.investigationEntries(investigation: "INV-1") == [s1, s2])
        #expect(try await store.suppressions() == [k1, k2, k3])
        #expect(try await store.heldFindings(investigation: "INV-1", access: nil).map(\.access) == ["E0001", "E0002"])
    }

    @Test("console values and alerts: stored once, newest first, at most limit")
    func valuesAndAlerts() async throws {
        let h = try freshMunicipality()
        let store = try h.open()
        #expect(try await store.consoleValue("alerts.cursor") == nil)
        try await store.setConsoleValue("alerts.cursor", "17")
        try await store.setConsoleValue("alerts.cursor", "42")
        #expect(try await h.open().consoleValue("alerts.cursor") == "42")

        func alert(_ seq: UInt64, kinds: [String], reason: String? = nil) -> ConsoleAlert {
            ConsoleAlert(seq: seq, access: "E\(seq)", at: pgTS("2026-01-05T09:\(pgTwo(seq)):00+09:00"), staff: "S0001",
                         office: seq == 3 ? nil : "27108", register: seq == 5 ? nil : "R0000002", kinds: kinds, reason: reason)
        }
        let a1 = alert(1, kinds: ["vip"]), a3 = alert(3, kinds: ["break_glass", "dv_support"], reason: "緊急")
        let a5 = alert(5, kinds: ["break_glass"], reason: "至急")
        #expect(try await store.alerts(limit: 10).isEmpty)
        try await store.saveAlerts([a1, a5])
        var changed = a5
        changed.reason = "別の理由"
        try await store.saveAlerts([changed, a3])
        try await store.saveAlerts([])
        #expect(try await store.alerts(limit: 10) == [a5, a3, a1])
        #expect(try await store.alerts(limit: 2) == [a5, a3])
        #expect(try await store.alerts(limit: 0).isEmpty)
    }
}
