import AkashiDomain
import AkashiInterchange
import AkashiLedger
@testable import AkashiPostgres
import AkashiStorage
import Foundation
import NIOCore
import PostgresNIO
import Testing

// The text COPY format the PostgreSQL store's bulk writes use (CopyTextRows): the exact bytes it writes, and, on a
// real server, that whatever goes in comes back out equal, byte for byte.

/// The encoded rows as one string (the chunks concatenated).
private func encoded(_ rows: CopyTextRows) -> String {
    String(decoding: rows.finished().flatMap { $0.bytes }, as: UTF8.self)
}

/// Awkward text values: COPY's own escapes, its NULL marker and end marker written literally, quotes, separators of
/// other formats, Japanese, emoji (outside the BMP), combining marks, other control characters, empty.
private let awkward: [String] = [
    "", " ", "\\", "\\\\", "\t", "\n", "\r", "\r\n", "\\N", "N", "\\n", "\\t", "\\.", ".", "\\.\n", "a\tb\nc\rd\\e",
    "\"", "'", "\"\"", ",", ";", "|", "{}", "{\"a\",\"b\"}", "NULL", "null", "\\x00", "\\000", "\\\\x41",
    "浪花 一郎", "なにわ いちろう", "𠮷野家", "😀", "👨‍👩‍👧", "e\u{301}", "é", "\u{7F}", "\u{1}", "\u{1B}[0m", "\u{8}",
    "\u{C}", "\u{B}", "\u{85}", "\u{2028}", "\u{FEFF}", "\u{FFFD}", "末尾\\", "\\先頭", String(repeating: "\\\t", count: 300),
]

/// A random string made of the awkward pieces and single characters.
private func randomAwkward(_ rng: inout SeededGenerator) -> String {
    let pieces = awkward + ["a", "Z", "0", "漢", "ア", "\u{10FFFF}", "\u{E000}"]
    return (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
}

@Suite("PostgreSQL text COPY: the encoder")
struct CopyTextEncoderTests {
    @Test("each value is written exactly as PostgreSQL's text COPY format reads it")
    func exactBytes() throws {
        var rows = CopyTextRows()
        try rows.text("a\\b\tc\nd\re")
        try rows.text("\\N")
        try rows.text("")
        try rows.text(nil as String?)
        rows.null()
        try rows.text("浪花😀")
        rows.endRow()
        rows.int(0)
        rows.int(-1)
        rows.int(Int64.min)
        rows.int(Int64.max)
        rows.bytea([0x00, 0x5C, 0xFF, 0x0A, 0x4E])
        rows.bytea([])
        rows.bytea(ByteBuffer(bytes: [0xAB]))
        rows.endRow()
        #expect(rows.count == 2)
        #expect(encoded(rows) == "a\\\\b\\tc\\nd\\re\t\\\\N\t\t\\N\t\\N\t浪花😀\n"
            + "0\t-1\t-9223372036854775808\t9223372036854775807\t\\\\000\\\\\\\\\\\\377\\\\012N\t\t\\\\253\n")
    }

    @Test("a NUL character is refused: PostgreSQL's text cannot hold one")
    func nulRefused() {
        var rows = CopyTextRows()
        #expect(throws: CopyTextError.self) { try rows.text("E\u{0}1") }
        #expect(throws: CopyTextError.self) { try rows.text("\u{0}") }
    }

    @Test("chunks end at a row's end and together are the rows")
    func chunks() throws {
        var small = CopyTextRows(chunkBytes: 64)
        var whole = CopyTextRows(chunkBytes: 1 << 20)
        var rng = SeededGenerator(seed: 7)
        for k in 0..<500 {
            let v = randomAwkward(&rng)
            for r in [0, 1] {
                if r == 0 { small.int(Int64(k)); try small.text(v); small.endRow() } else { whole.int(Int64(k)); try whole.text(v); whole.endRow() }
            }
        }
        let parts = small.finished()
        #expect(parts.count > 10)
        for p in parts { #expect(p.bytes.last == UInt8(ascii: "\n")) }
        #expect(encoded(small) == encoded(whole))
    }
}

@Suite("PostgreSQL text COPY: round trips on a real server", .enabled(if: TestPostgres.url != nil, "\(TestPostgres.skipReason)"))
struct CopyTextRoundTripTests {
    @Test("awkward and random strings, NULL beside empty, integers and any bytes come back equal, byte for byte",
          .timeLimit(.minutes(8)))
    func roundTrip() throws {
        let store = try TestPostgres.store(TestPostgres.freshName())
        var rng = SeededGenerator(seed: 20_261_207)
        var texts: [String?] = awkward.map { $0 } + [nil, "", nil]
        for _ in 0..<2_000 { texts.append(Bool.random(using: &rng) && Int.random(in: 0..<10, using: &rng) == 0 ? nil : randomAwkward(&rng)) }
        var blobs: [[UInt8]] = [[], [0], [0x5C], Array("\\N".utf8), Array("\\x41".utf8), Array(0...255)]
        while blobs.count < texts.count {
            blobs.append((0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        var rows = CopyTextRows(chunkBytes: 4096) // many chunks: rows split over COPY messages
        for (k, t) in texts.enumerated() {
            rows.int(Int64(k))
            try rows.text(t)
            try rows.text(t.map { "\($0)\t\($0)" })
            rows.bytea(blobs[k])
            rows.int(Int64(k) * -7_919 + Int64.max / 3)
            rows.endRow()
        }
        let back: [(Int64, String?, String?, ByteBuffer, Int64)] = try store.connections.blocking { s in
            try s.transaction {
                try s.execute("CREATE TEMP TABLE copy_round_trip(k bigint, t text, u text, b bytea, n bigint) ON COMMIT DROP")
                try s.copy(into: "copy_round_trip", columns: ["k", "t", "u", "b", "n"], rows)
                return try s.rows("SELECT k, t, u, b, n FROM copy_round_trip ORDER BY k").map {
                    try $0.decode((Int64, String?, String?, ByteBuffer, Int64).self)
                }
            }
        }
        #expect(back.count == texts.count)
        for (k, row) in back.enumerated() {
            #expect(row.0 == Int64(k))
            // Compared as UTF-8 bytes (String == would take "é" and "e\u{301}" as equal).
            #expect(row.1.map { Array($0.utf8) } == texts[k].map { Array($0.utf8) }, "row \(k): \(String(reflecting: texts[k]))")
            #expect(row.2.map { Array($0.utf8) } == texts[k].map { Array("\($0)\t\($0)".utf8) })
            #expect(row.3.bytes == blobs[k], "row \(k)")
            #expect(row.4 == Int64(k) * -7_919 + Int64.max / 3)
        }
        #expect(back.filter { $0.1 == nil }.count == texts.filter { $0 == nil }.count)
        #expect(back.contains { $0.1 == "" }, "the empty string stays empty, not NULL")
    }

    @Test("a COPY the server refuses fails naming the row it refused, and the session goes on (the next statement runs)")
    func refusedCopy() throws {
        let store = try TestPostgres.store(TestPostgres.freshName())
        try store.connections.blocking { s in
            try s.execute("CREATE TEMP TABLE copy_refused(k bigint PRIMARY KEY)")
            var rows = CopyTextRows()
            for k in [1, 2, 2, 3] { rows.int(Int64(k)); rows.endRow() }
            // The server names the row it refused (the second 2): the error says which.
            do {
                try s.transaction { try s.copy(into: "copy_refused", columns: ["k"], rows) }
                Issue.record("a duplicate key was copied")
            } catch let e as CopyRowError {
                #expect(e.row == 2)
                #expect(e.error.message.contains("duplicate key"), "\(e.error.message)")
            }
            #expect(try s.rows("SELECT count(*) FROM copy_refused").first?.decode(Int64.self) == 0)
            var good = CopyTextRows()
            for k in [1, 2, 3] { good.int(Int64(k)); good.endRow() }
            try s.copy(into: "copy_refused", columns: ["k"], good)
            #expect(try s.rows("SELECT count(*) FROM copy_refused").first?.decode(Int64.self) == 3)
            try s.execute("DROP TABLE copy_refused")
        }
    }
}

/// Access events for the bulk path (a batch of at least ``EventColumns/copyMinimumRows``), naming `ids`.
private func bulkItems(_ ids: [String], file: String = "bulk.jsonl", month: Int = 5) -> [IngestItem] {
    ids.enumerated().map { k, id in
        let a = AccessEvent(id: id, at: Timestamp(millis: 1_335_830_400_000 + Int64(month - 5) * 2_678_400_000 + Int64(k) * 1_000),
                            staff: id, office: k % 3 == 0 ? nil : id, action: k % 2 == 0 ? .search : .view, record: .current,
                            register: k % 2 == 0 ? nil : id, person: k % 4 == 1 ? id : nil, caseID: k % 5 == 1 ? id : nil,
                            results: k % 2 == 0 ? [id, "R-" + id, id] : nil)
        let record = Record.access(a)
        return IngestItem(record: record, canonical: record.canonicalJSON, raw: record.canonicalJSON[...], file: file, line: k + 1)
    }
}

@Suite("PostgreSQL bulk import through COPY", .enabled(if: TestPostgres.url != nil, "\(TestPostgres.skipReason)"))
struct PostgresBulkCopyTests {
    @Test("awkward IDs go through the event, ID and search-result tables and read back equal; empty IDs are NULL as before",
          .timeLimit(.minutes(8)))
    func awkwardIDs() async throws {
        let store = try TestPostgres.store(TestPostgres.freshName())
        var rng = SeededGenerator(seed: 17)
        // Distinct as Swift sees them (the store's batch bookkeeping keys by String: "é" and "e\u{301}" are one key).
        var ids: [String] = [], seen = Set<String>()
        for id in awkward + (0..<400).map({ "E" + randomAwkward(&rng) + "\($0)" }) where !id.isEmpty && seen.insert(id).inserted {
            ids.append(id)
        }
        let items = bulkItems(ids)
        #expect(items.count >= EventColumns.copyMinimumRows)
        let outcomes = try await store.ingest(items, deferLookupIndexes: true)
        #expect(outcomes == ids.indices.map { .inserted(ledgerIndex: UInt64($0)) })
        // The same through the small-batch path (INSERT … unnest), for the columns' NULLs.
        let small = bulkItems(["", "x\\N"], file: "small.jsonl", month: 6)
        _ = try await store.ingest(small)
        let rows = try store.connections.blocking { s in
            try s.rows("""
                SELECT seq, id, staff, office, register, person, case_id, entry FROM event WHERE muni = \(store.muni) ORDER BY seq
                """).map { try $0.decode((Int64, String, String?, String?, String?, String?, String?, ByteBuffer).self) }
        }
        #expect(rows.count == ids.count + 2)
        var mismatched: [String] = []
        for (k, row) in rows.prefix(ids.count).enumerated() {
            guard case let .access(a) = items[k].record else { continue }
            func bytes(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }
            let id = bytes(a.id)
            // The ID table (through the store's own lookup for a sample; all of it below, in one query).
            let index = k % 16 == 0 ? try await store.ledgerIndex(ofEvent: a.id) : UInt64(k)
            if bytes(row.1) != id || bytes(row.2) != id || bytes(row.3) != bytes(a.office) || bytes(row.4) != bytes(a.register)
                || bytes(row.5) != bytes(a.person) || bytes(row.6) != bytes(a.caseID) || row.7.bytes != items[k].canonical
                || index != UInt64(k) {
                mismatched.append(String(reflecting: a.id))
            }
        }
        #expect(mismatched.isEmpty, "\(mismatched.count) events read back otherwise, first \(mismatched.prefix(3))")
        let keys = try store.connections.blocking { s in
            try s.rows("SELECT id, seq FROM event_key WHERE muni = \(store.muni) ORDER BY seq").map { try $0.decode((String, Int64).self) }
        }
        #expect(keys.map { Array($0.0.utf8) } == rows.map { Array($0.1.utf8) }, "the ID table differs from the events")
        #expect(keys.map(\.1) == rows.map(\.0))
        // The empty staff ID of the small batch is NULL, as an empty ID written by COPY would be.
        #expect(rows[ids.count].1 == "" && rows[ids.count].2 == nil)
        // Search results: each listed register once per search.
        let results = try store.connections.blocking { s in
            try s.rows("""
                SELECT register, seq FROM search_result WHERE muni = \(store.muni) AND seq < \(Int64(ids.count))
                ORDER BY seq, register COLLATE "C"
                """).map { try $0.decode((String, Int64).self) }
        }
        let expected = ids.indices.filter { $0 % 2 == 0 }.flatMap { k in
            [ids[k], "R-" + ids[k]].sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { ($0, Int64(k)) }
        }
        #expect(results.count == expected.count)
        #expect(results.map { Array($0.0.utf8) } == expected.map { Array($0.0.utf8) }, "search results differ")
        #expect(results.map(\.1) == expected.map(\.1), "search results differ")
        #expect(try await store.accessEvents([EventSelection(.searchResult("R-" + ids[0]))], below: nil).map(\.seq) == [0])
    }

    @Test("empty IDs are stored as NULL by COPY exactly as by the small-batch INSERT (empty is unknown)")
    func emptyIsNull() async throws {
        let store = try TestPostgres.store(TestPostgres.freshName())
        func items(_ prefix: String, _ n: Int, month: Int) -> [IngestItem] {
            bulkItems((0..<n).map { "\(prefix)\($0)" }, month: month).enumerated().map { k, item in
                guard case var .access(a) = item.record, k % 3 == 0 else { return item }
                (a.staff, a.office, a.register, a.person, a.caseID) = ("", "", "", "", "")
                return IngestItem(record: .access(a), canonical: Record.access(a).canonicalJSON, raw: item.raw, file: item.file, line: item.line)
            }
        }
        _ = try await store.ingest(items("C", 90, month: 5), deferLookupIndexes: true) // COPY
        _ = try await store.ingest(items("I", 9, month: 6))                           // INSERT … unnest
        let rows = try store.connections.blocking { s in
            try s.rows("""
                SELECT id, staff IS NULL, office IS NULL, register IS NULL, person IS NULL, case_id IS NULL, staff = '' OR office = ''
                    OR register = '' OR person = '' OR case_id = '' FROM event WHERE muni = \(store.muni) ORDER BY seq
                """).map { try $0.decode((String, Bool, Bool, Bool, Bool, Bool, Bool?).self) }
        }
        #expect(rows.count == 99)
        for (k, row) in rows.enumerated() {
            let n = k < 90 ? k : k - 90
            if n % 3 == 0 { #expect(row.1 && row.2 && row.3 && row.4 && row.5, "\(row.0)") }
            #expect(row.6 != true, "\(row.0): an empty string was stored")
        }
    }

    @Test("a NUL in an ID of a bulk batch is refused naming its file and line, and nothing of the batch is stored")
    func nulNamed() async throws {
        let store = try TestPostgres.store(TestPostgres.freshName())
        let items = bulkItems((0..<100).map { $0 == 42 ? "E\u{0}42" : "E\($0)" }, file: "events.jsonl")
        do {
            _ = try await store.ingest(items, deferLookupIndexes: true)
            Issue.record("a NUL in an ID was stored")
        } catch let e as StoreError {
            #expect(e.message.contains("events.jsonl:43"), "\(e.message)")
        }
        #expect(try await store.ledgerSize() == 0)
        #expect(try await store.ledgerIndex(ofEvent: "E1") == nil)
        let good = bulkItems((0..<100).map { "E\($0)" })
        #expect(try await store.ingest(good, deferLookupIndexes: true).last == .inserted(ledgerIndex: 99))
    }

    @Test("a row the server refuses midway through a COPY rolls the whole batch back; the ledger goes on from where it was",
          .timeLimit(.minutes(8)))
    func refusedMidway() async throws {
        let name = TestPostgres.freshName()
        let store = try TestPostgres.store(name)
        _ = try await store.ingest(bulkItems((0..<100).map { "A\($0)" }, month: 5), deferLookupIndexes: true)
        try await store.catchUpLookupIndexes()
        let size = try await store.ledgerSize()
        // The first event of the third of three months names a staff ID too long for an index entry (random letters:
        // it does not compress), which the server refuses only when it reaches that row, after the rows of two months.
        var rng = SeededGenerator(seed: 3)
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let long = String((0..<12_000).map { _ in letters.randomElement(using: &rng)! })
        var batch = (5...7).flatMap { m in bulkItems((0..<100).map { "B\((m - 5) * 100 + $0 + 50)" }, month: m) }
        guard case var .access(refused) = batch[200].record else { return }
        refused.staff = long
        batch[200] = IngestItem(record: .access(refused), canonical: Record.access(refused).canonicalJSON,
                                raw: batch[200].raw, file: "bulk.jsonl", line: 201)
        let before = try await store.stats()
        do {
            _ = try await store.ingest(batch, deferLookupIndexes: true)
            Issue.record("the refused row was stored")
        } catch let e as StoreError {
            // Named by the line it came from, which the server's "COPY event, line 201" leads back to.
            #expect(e.message.hasPrefix("bulk.jsonl:201: "), "\(e.message)")
            #expect(e.message.contains("COPY into event") && e.message.contains("index row"), "\(e.message)")
        }
        #expect(try await store.ledgerSize() == size)
        #expect(try await store.stats() == before)
        #expect(try await store.ledgerIndex(ofEvent: "B50") == nil)
        let rows = try store.connections.blocking { s in
            try s.rows("SELECT (SELECT count(*) FROM event WHERE muni = \(name)), (SELECT count(*) FROM search_result WHERE muni = \(name))")
                .first!.decode((Int64, Int64).self)
        }
        #expect(rows == (100, 100))
        // The same batch again with that ID as long as IDs may be: indexes from the same size, the ledger verifies.
        refused.staff = String(long.prefix(64))
        batch[200] = IngestItem(record: .access(refused), canonical: Record.access(refused).canonicalJSON,
                                raw: batch[200].raw, file: "bulk.jsonl", line: 201)
        let outcomes = try await store.ingest(batch, deferLookupIndexes: true)
        #expect(outcomes == batch.indices.map { .inserted(ledgerIndex: size + UInt64($0)) })
        let signer = try NoteSigner.generate(name: "ledger.test.example/akashi")
        try await LedgerService(store: store).signCheckpoint(with: signer)
        #expect(try await LedgerService(store: store).verify(verifiers: [signer.verifier]).entries == size + 300)
    }
}
