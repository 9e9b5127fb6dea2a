import AkashiDomain
import AkashiInterchange
@testable import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

/// The request path's key lookups (``PointReads``): same answers as the records imported, in the order asked,
/// the latest commit visible, and no way to write through them.
@Suite("point reads")
struct PointReadTests {
    static let person2 = #"{"type":"person","id":"P0092772","name":"浪花 花子","register":"R0031877"}"#

    @Test("records by key, lists in the order asked with missing keys left out, later commits visible")
    func lookups() async throws {
        try await withTempDir { dir in
            try writeLines(dir + "/a.jsonl", Sample.all + [Self.person2])
            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: [dir + "/a.jsonl"])
            #expect(try store.staffMember(id: "S0412")?.name == "山田 花子")
            await #expect(try store.register(id: "R0031877")?.members == ["P0092771"])
            await #expect(try store.register(id: "R-missing") == nil)
            #expect(try store.office(code: "27108")?.name == "大正区役所")
            await #expect(try store.caseRecord(id: "C2011-27108-001234")?.staff == ["S0412"])
            await #expect(try store.person(id: "P0092771")?.kana == "なにわ いちろう")
            #expect(try store.persons(ids: ["P0092772", "P-missing", "P0092771", "P0092772"]).map(\.id)
                    == ["P0092772", "P0092771", "P0092772"])
            #expect(try store.persons(ids: []).isEmpty)
            #expect(try store.protections(person: "P0092771").map(\.kind) == [.vip])

            // Decoded once per document: reading again reuses it; a changed document is a new one.
            let cached = store.decodedRecords.countForTesting
            for _ in 0..<3 { _ = try store.persons(ids: ["P0092771", "P0092772"]) }
            #expect(store.decodedRecords.countForTesting == cached)

            // A commit after the connection was opened is seen by the next lookup.
            var c = try await #require(try store.caseRecord(id: "C2011-27108-001234"))
            c.status = .withdrawn
            try store.updateCase(c)
            await #expect(try store.caseRecord(id: "C2011-27108-001234")?.status == .withdrawn)
            #expect(store.decodedRecords.countForTesting == cached + 1)

            let s = WorkspaceSession(tokenHash: "ab", staff: "S0412", kind: "api", csrf: "x", terminal: "T1", created: 1,
                                     lastSeen: 2, bannerVersion: nil)
            #expect(try store.session(tokenHash: "ab") == nil)
            try store.createSession(s)
            #expect(try store.session(tokenHash: "ab") == s)
            try store.acknowledgeBanner(tokenHash: "ab", version: "v2")
            #expect(try store.session(tokenHash: "ab")?.bannerVersion == "v2")
        }
    }

    @Test("the connections are query-only")
    func readOnly() throws {
        try withTempDir { dir in
            let store = try SQLiteStore(directory: dir + "/store")
            #expect(throws: StoreError.self) {
                try store.points.with { c in
                    try c.rows(try c.statement("DELETE FROM ledger_meta")) { _ in }
                }
            }
            #expect(throws: StoreError.self) {
                try store.points.with { c in
                    try c.rows(try c.statement("INSERT INTO office(code, doc) VALUES ('1', x'00')")) { _ in }
                }
            }
        }
    }
}

@Suite("decoded records")
struct DecodedRecordsTests {
    @Test("same bytes, same record; an unknown type, nil; a document that does not decode, an error; bounded")
    func cache() throws {
        let cache = DecodedRecords(limit: 2)
        let doc = Array(Sample.person.utf8)
        guard case let .person(p)? = try cache.record(doc) else { Issue.record("not decoded"); return }
        #expect(p.id == "P0092771")
        #expect(try cache.record(doc) == cache.record(Array(Sample.person.utf8)))
        #expect(try cache.record(Array(#"{"type":"vehicle","id":"V1"}"#.utf8)) == nil)
        // A damaged document is never "no record" (a protection read as absent would drop the DV check).
        #expect(throws: StoreError.self) { try cache.record(Array("{not json".utf8)) }
        #expect(throws: StoreError.self) { try cache.record(Array(#"{"type":"protection","person":"P1"}"#.utf8)) }
        _ = try cache.record(Array(Sample.register.utf8))
        #expect(cache.countForTesting == 2)
        _ = try cache.record(Array(Sample.staff.utf8))
        #expect(cache.countForTesting == 1)
    }
}
