import AkashiDomain
import Foundation
import Testing

@testable import AkashiInterchange

private func decode(_ line: String) throws(RecordError) -> DecodedLine {
    try RecordDecoder.decode(line: Array(line.utf8))
}

private func record(_ line: String) throws -> Record {
    guard case let .record(r, _) = try decode(line) else { Issue.record("not a record: \(line)"); throw RecordError("x") }
    return r
}

/// Asserts the line is rejected and the error names the field (when given) and says `contains`.
private func expectRejected(_ line: String, field: String?, _ contains: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let r = try decode(line)
        Issue.record("accepted: \(r)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.field == field, sourceLocation: sourceLocation)
        #expect(error.message.contains(contains), "\(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Interchange decoding: the spec's examples and every rejection rule")
struct DecoderTests {
    // The examples of ../shared/spec/interchange.md, verbatim.
    static let specExamples = [
        #"{"type":"office","code":"27108","name":"大正区役所","municipality":"27100"}"#,
        #"{"type":"staff","id":"S0412","name":"山田 花子","role":"clerk","assignments":[{"office":"27108","duty":"koseki","from":"2009-04-01","to":"2013-03-31"},{"office":"27108","duty":"tax","from":"2013-04-01","to":null}],"person":"P0092771","address":"大阪市大正区三軒家東二丁目3番4号"}"#,
        #"{"type":"register","id":"R0031877","kind":"current","honseki":"大阪市北区西天満二丁目1番","office":"27127","head":"P0092771","members":["P0092771","P0092772"],"opened":"2010-02-22","closed":null,"predecessors":["R0031876"],"successors":[]}"#,
        #"{"type":"person","id":"P0092771","name":"橋下 徹","kana":"はしもと とおる","birth":"1969-06-29","sex":"M","register":"R0031877","address":"大阪市北区…","addressSince":"2008-02-06","relations":[{"kind":"spouse","person":"P0092772"},{"kind":"parent","person":"P0011120"}],"died":null}"#,
        #"{"type":"protection","person":"P0092771","kind":"vip","from":"2011-12-19","to":null,"note":"市長"}"#,
        #"{"type":"case","id":"C2011-27108-001234","number":"大正-2011-1234","office":"27108","kind":"certificate.full","requester":"self","received":"2011-03-11T10:02:00+09:00","closed":"2011-03-11T10:20:00+09:00","status":"done","staff":["S0412"],"registers":["R0031877"],"persons":["P0092771"]}"#,
        #"{"type":"access","id":"E000000123","at":"2011-03-11T10:15:00+09:00","staff":"S0412","office":"27118","terminal":"T27118-07","action":"view","record":"current","register":"R0031877","person":null,"case":null,"reason":null,"outcome":"ok"}"#,
        #"{"type":"self_report","survey":"2014-02","staff":"S0412","submitted":"2014-02-28T17:00:00+09:00","declares":"some","items":[{"person":"P0092771","from":"2011-01-01","to":"2011-12-31","count":8,"note":"興味本位で閲覧"}]}"#,
    ]

    @Test("every example record of the spec decodes with no unknown fields", arguments: specExamples)
    func specExample(_ line: String) throws {
        guard case let .record(_, unknown) = try decode(line) else { Issue.record("not a record"); return }
        #expect(unknown.isEmpty)
    }

    @Test("the access example keeps its fields")
    func accessFields() throws {
        guard case let .access(a) = try record(Self.specExamples[6]) else { Issue.record("not access"); return }
        #expect(a.id == "E000000123")
        #expect(a.at.description == "2011-03-11T10:15:00+09:00")
        #expect(a.at.jstDate.description == "2011-03-11")
        #expect(a.action == .view && a.record == .current && a.outcome == .ok)
        #expect(a.register == "R0031877" && a.person == nil && a.caseID == nil)
    }

    @Test("a search carries query and results")
    func search() throws {
        let line = #"{"type":"access","id":"E1","at":"2011-03-11T10:15:00+09:00","staff":"S1","action":"search","record":"current","query":{"name":"はしもと","birth":"1969"},"results":["R1","R2"]}"#
        guard case let .access(a) = try record(line) else { Issue.record("not access"); return }
        #expect(a.query?["name"]?.stringValue == "はしもと")
        #expect(a.results == ["R1", "R2"])
    }

    @Test("null is the same as absent; outcome defaults to ok")
    func nullIsAbsent() throws {
        let a = try record(#"{"type":"access","id":"E1","at":"2011-03-11T10:15:00+09:00","staff":"S1","action":"view","record":"fuhyo","outcome":null,"case":null}"#)
        let b = try record(#"{"type":"access","id":"E1","at":"2011-03-11T10:15:00+09:00","staff":"S1","action":"view","record":"fuhyo"}"#)
        #expect(a == b)
        #expect(a.canonicalJSON == b.canonicalJSON)
    }

    @Test("unknown fields are reported (with their path) and skipped, never fatal")
    func unknownFields() throws {
        let line = #"{"type":"staff","id":"S1","role":"clerk","assignments":[{"office":"27108","duty":"koseki","from":"2009-04-01","shift":"early"}],"badge":7}"#
        guard case let .record(r, unknown) = try decode(line) else { Issue.record("not a record"); return }
        #expect(Set(unknown) == ["badge", "assignments[0].shift"])
        #expect(!String(decoding: r.canonicalJSON, as: UTF8.self).contains("badge"))
    }

    @Test("function and screen (Akashi extensions) are kept as strings; any other value is an unknown field, skipped")
    func extensionFields() throws {
        let base = #"{"type":"access","id":"E1","at":"2011-03-11T10:15:00+09:00","staff":"S1","action":"view","record":"current""#
        guard case let .record(.access(a), unknown) = try decode(base + #","function":"certificate.issue","screen":"koseki"}"#) else {
            Issue.record("not access"); return
        }
        #expect(a.function == "certificate.issue" && a.screen == "koseki" && unknown.isEmpty)
        guard case let .record(.access(null), nullUnknown) = try decode(base + #","function":null,"screen":null}"#) else {
            Issue.record("not access"); return
        }
        #expect(null.function == nil && null.screen == nil && nullUnknown.isEmpty)
        for (value, other) in [("7", "\"koseki\""), ("true", "[\"a\"]"), ("{\"id\":\"koseki\"}", "false"), ("[]", "1.5")] {
            let line = base + #","function":\#(value),"screen":\#(other)}"#
            guard case let .record(.access(e), unknown) = try decode(line) else { Issue.record("not access: \(line)"); continue }
            #expect(e.function == nil && e.screen == (other == "\"koseki\"" ? "koseki" : nil), "\(line)")
            #expect(Set(unknown) == (other == "\"koseki\"" ? ["function"] : ["function", "screen"]), "\(line)")
            // Neither a skipped value nor its key reaches the canonical form.
            let canonical = String(decoding: Record.access(e).canonicalJSON, as: UTF8.self)
            #expect(!canonical.contains("function"), "\(canonical)")
        }
    }

    @Test("an unknown type is reported and skipped, not rejected")
    func unknownType() throws {
        guard case let .unknownType(t) = try decode(#"{"type":"vehicle","id":"V1"}"#) else { Issue.record("expected unknownType"); return }
        #expect(t == "vehicle")
    }

    @Test("blank lines are ignored")
    func blank() throws {
        guard case .blank = try decode("   ") else { Issue.record("expected blank"); return }
        guard case .blank = try decode("") else { Issue.record("expected blank"); return }
    }

    @Test("rejections name the field and the reason")
    func rejections() {
        let at = #""at":"2011-03-11T10:15:00+09:00""#
        expectRejected("{not json", field: nil, "not valid JSON")
        expectRejected(#"["type","office"]"#, field: nil, "must be a JSON object")
        expectRejected(#"{"code":"27108","name":"x"}"#, field: "type", "missing")
        expectRejected(#"{"type":"office","name":"大正区役所"}"#, field: "code", "missing")
        expectRejected(#"{"type":"office","code":"","name":"x"}"#, field: "code", "must not be empty")
        expectRejected(#"{"type":"office","code":27108,"name":"x"}"#, field: "code", "must be a string")
        expectRejected(#"{"type":"staff","id":"S1","role":"janitor","assignments":[]}"#, field: "role", "unknown value \"janitor\"")
        expectRejected(#"{"type":"staff","id":"S1","role":"clerk"}"#, field: "assignments", "missing")
        expectRejected(#"{"type":"staff","id":"S1","role":"clerk","assignments":[{"office":"27108","duty":"koseki","from":"2009-04-31"}]}"#,
                       field: "assignments[0].from", "not a date")
        expectRejected(#"{"type":"access","id":"E1","at":"2011-03-11T10:15:00","staff":"S1","action":"view","record":"current"}"#,
                       field: "at", "RFC 3339")
        expectRejected(#"{"type":"access","id":"E1",\#(at),"staff":"S1","action":"peek","record":"current"}"#, field: "action", "unknown value")
        expectRejected(#"{"type":"access","id":"E1",\#(at),"staff":"S1","action":"view"}"#, field: "record", "missing")
        expectRejected(#"{"type":"access","id":"E1",\#(at),"action":"view","record":"current"}"#, field: "staff", "missing")
        expectRejected(#"{"type":"access","id":"\#(String(repeating: "E", count: 65))",\#(at),"staff":"S1","action":"view","record":"current"}"#,
                       field: "id", "longer than 64 bytes")
        expectRejected(#"{"type":"access","id":"E1",\#(at),"staff":"S1","action":"search","record":"current","results":"R1"}"#,
                       field: "results", "list of strings")
        expectRejected(#"{"type":"case","id":"C1","office":"27108","kind":"certificate.full","received":"2011-03-11T10:02:00+09:00","staff":[]}"#,
                       field: "registers", "missing")
        expectRejected(#"{"type":"case","id":"C1","office":"27108","kind":"certificate.gold","received":"2011-03-11T10:02:00+09:00","staff":[],"registers":[]}"#,
                       field: "kind", "unknown value")
        expectRejected(#"{"type":"register","id":"R1","kind":"current","honseki":"x"}"#, field: "office", "missing")
        expectRejected(#"{"type":"person","id":"P1","name":"x","register":"R1","relations":[{"kind":"cousin","person":"P2"}]}"#,
                       field: "relations[0].kind", "unknown value")
        expectRejected(#"{"type":"protection","person":"P1","kind":"vip"}"#, field: "from", "missing")
        expectRejected(#"{"type":"self_report","survey":"2014-02","staff":"S1","declares":"maybe"}"#, field: "declares", "unknown value")
        expectRejected(#"{"type":"self_report","survey":"2014-02","staff":"S1","declares":"some","items":[{"count":"many"}]}"#,
                       field: "items[0].count", "whole number")
        expectRejected(#"{"type":"office","code":"27108","name":"x","code":"27109"}"#, field: nil, "duplicate field")
        expectRejected(#"{"type":"office","code":"27108","name":"x"} trailing"#, field: nil, "unexpected data")
        expectRejected("\u{FEFF}{\"type\":\"office\",\"code\":\"27108\",\"name\":\"x\"}", field: nil, "byte order mark")
    }

    @Test("an office code is the 5-digit local-government code: exactly five ASCII digits")
    func officeCode() throws {
        for good in ["27108", "27100", "01100", "00000"] {
            guard case let .office(o) = try record(#"{"type":"office","code":"\#(good)","name":"x"}"#) else {
                Issue.record("not an office"); continue
            }
            #expect(o.code == good)
        }
        // Too short, too long, letters, white space, sign, full-width and other non-ASCII digits, an ID-like code.
        for bad in ["2710", "271080", "27l08", " 27108", "27108 ", "+2710", "2710８", "２７１０８", "٢٧١٠٨", "O27108", "S0412"] {
            expectRejected(#"{"type":"office","code":"\#(bad)","name":"x"}"#, field: "code", "5-digit local-government code")
        }
    }

    /// Every ID-valued field of the spec, as a line with `@@` where the ID goes, and the field name a rejection gives.
    static let idFields: [(line: String, field: String)] = {
        let at = #""at":"2011-03-11T10:15:00+09:00""#
        let received = #""received":"2011-03-11T10:02:00+09:00""#
        return [
            (#"{"type":"staff","id":"@@","role":"clerk","assignments":[]}"#, "id"),
            (#"{"type":"staff","id":"S1","role":"clerk","assignments":[{"office":"27108","duty":"tax","from":"2009-04-01"},{"office":"@@","duty":"koseki","from":"2010-04-01"}]}"#, "assignments[1].office"),
            (#"{"type":"staff","id":"S1","role":"clerk","assignments":[],"person":"@@"}"#, "person"),
            (#"{"type":"register","id":"@@","kind":"current","honseki":"x","office":"27127"}"#, "id"),
            (#"{"type":"register","id":"R1","kind":"current","honseki":"x","office":"@@"}"#, "office"),
            (#"{"type":"register","id":"R1","kind":"current","honseki":"x","office":"27127","head":"@@"}"#, "head"),
            (#"{"type":"register","id":"R1","kind":"current","honseki":"x","office":"27127","members":["P1","@@"]}"#, "members[1]"),
            (#"{"type":"register","id":"R1","kind":"current","honseki":"x","office":"27127","predecessors":["@@"]}"#, "predecessors[0]"),
            (#"{"type":"register","id":"R1","kind":"current","honseki":"x","office":"27127","successors":["R2","@@"]}"#, "successors[1]"),
            (#"{"type":"person","id":"@@","name":"x","register":"R1"}"#, "id"),
            (#"{"type":"person","id":"P1","name":"x","register":"@@"}"#, "register"),
            (#"{"type":"person","id":"P1","name":"x","register":"R1","relations":[{"kind":"spouse","person":"@@"}]}"#, "relations[0].person"),
            (#"{"type":"protection","person":"@@","kind":"vip","from":"2011-12-19"}"#, "person"),
            (#"{"type":"case","id":"@@","office":"27108","kind":"other",\#(received),"staff":[],"registers":[]}"#, "id"),
            (#"{"type":"case","id":"C1","office":"@@","kind":"other",\#(received),"staff":[],"registers":[]}"#, "office"),
            (#"{"type":"case","id":"C1","office":"27108","kind":"other",\#(received),"staff":["@@"],"registers":[]}"#, "staff[0]"),
            (#"{"type":"case","id":"C1","office":"27108","kind":"other",\#(received),"staff":[],"registers":["R1","@@"]}"#, "registers[1]"),
            (#"{"type":"case","id":"C1","office":"27108","kind":"other",\#(received),"staff":[],"registers":[],"persons":["@@"]}"#, "persons[0]"),
            (#"{"type":"access","id":"@@",\#(at),"staff":"S1","action":"view","record":"current"}"#, "id"),
            (#"{"type":"access","id":"E1",\#(at),"staff":"@@","action":"view","record":"current"}"#, "staff"),
            (#"{"type":"access","id":"E1",\#(at),"staff":"S1","office":"@@","action":"view","record":"current"}"#, "office"),
            (#"{"type":"access","id":"E1",\#(at),"staff":"S1","action":"view","record":"current","register":"@@"}"#, "register"),
            (#"{"type":"access","id":"E1",\#(at),"staff":"S1","action":"view","record":"current","person":"@@"}"#, "person"),
            (#"{"type":"access","id":"E1",\#(at),"staff":"S1","action":"view","record":"current","case":"@@"}"#, "case"),
            (#"{"type":"access","id":"E1",\#(at),"staff":"S1","action":"search","record":"current","results":["R1","@@"]}"#, "results[1]"),
            (#"{"type":"self_report","survey":"2014-02","staff":"@@","declares":"none"}"#, "staff"),
            (#"{"type":"self_report","survey":"2014-02","staff":"S1","declares":"some","items":[{"count":1},{"person":"@@"}]}"#, "items[1].person"),
        ]
    }()

    @Test("every ID-valued field, a record's own ID or a reference, is at most 64 bytes (counted in UTF-8)",
          arguments: idFields)
    func idLength(_ c: (line: String, field: String)) throws {
        func with(_ id: String) -> String { c.line.replacingOccurrences(of: "@@", with: id) }
        // At the limit: 64 ASCII bytes, or 21 three-byte characters and one ASCII byte.
        for id in [String(repeating: "A", count: 64), String(repeating: "戸", count: 21) + "A"] {
            guard case let .record(_, unknown) = try decode(with(id)) else { Issue.record("not a record"); continue }
            #expect(unknown.isEmpty)
        }
        // One byte over: 65 ASCII bytes, or 22 characters (22 characters but 66 bytes).
        for id in [String(repeating: "A", count: 65), String(repeating: "戸", count: 22)] {
            expectRejected(with(id), field: c.field, "ID longer than 64 bytes")
        }
    }

    @Test("keys are told apart byte for byte: NFC and NFD forms of a key are two fields, not a duplicate")
    func keysByBytes() throws {
        let nfc = "\u{E9}", nfd = "e\u{301}"   // "é" precomposed and decomposed: equal as Swift Strings
        #expect(nfc == nfd)
        let v = try JSONParser.parse(Array(#"{"\#(nfc)":1,"\#(nfd)":2}"#.utf8))
        guard case let .object(m) = v else { Issue.record("not an object"); return }
        #expect(m.map { Array($0.0.utf8) } == [Array(nfc.utf8), Array(nfd.utf8)])
        // On a record both are unknown fields, reported and skipped.
        guard case let .record(_, unknown) = try decode(#"{"type":"office","code":"27108","name":"x","\#(nfc)":1,"\#(nfd)":2}"#) else {
            Issue.record("not a record"); return
        }
        #expect(unknown.map { Array($0.utf8) } == [Array(nfc.utf8), Array(nfd.utf8)])
        // The same bytes, escaped or not, are still a duplicate.
        expectRejected(#"{"type":"office","code":"27108","name":"x","\#(nfc)":1,"\u00e9":2}"#, field: nil, "duplicate field")
        expectRejected(#"{"type":"office","code":"27108","name":"x","\#(nfd)":1,"e\u0301":2}"#, field: nil, "duplicate field")
    }

    @Test("invalid UTF-8 is rejected, not repaired")
    func invalidUTF8() {
        var bytes = Array(#"{"type":"office","code":"27108","name":"x"#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#""}"#.utf8)
        #expect(throws: RecordError.self) { try RecordDecoder.decode(line: bytes) }
    }
}

@Suite("Canonical JSON")
struct CanonicalTests {
    @Test("keys are sorted, absent fields omitted, and decode(canonical) gives the same record", arguments: DecoderTests.specExamples)
    func roundTrip(_ line: String) throws {
        let r = try record(line)
        let bytes = r.canonicalJSON
        let again = try record(String(decoding: bytes, as: UTF8.self))
        #expect(again == r)
        #expect(again.canonicalJSON == bytes)
        // Keys of every object are in byte order.
        func checkSorted(_ v: JSONValue) {
            switch v {
            case let .object(m):
                let keys = m.map(\.0)
                #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "\(keys)")
                m.forEach { checkSorted($0.1) }
            case let .array(a): a.forEach(checkSorted)
            default: break
            }
        }
        checkSorted(try JSONParser.parse(bytes))
        #expect(!bytes.contains(UInt8(ascii: " ")) || line.contains(" "))
    }

    @Test("strings are escaped only where JSON requires")
    func escaping() {
        var w = CanonicalWriter()
        w.string("a\"b\\c\n\u{01}é/日本")
        #expect(String(decoding: w.bytes, as: UTF8.self) == #""a\"b\\c\n\u0001é/日本""#)
    }

    @Test("parser: escapes, surrogate pairs, numbers, depth")
    func parser() throws {
        let v = try JSONParser.parse(Array(#"{"s":"\u00e9\ud83d\ude00\n","n":[-0.5e+3,0,12],"t":true,"f":false,"z":null}"#.utf8))
        #expect(v["s"] == .string("é😀\n"))
        #expect(v["n"] == .array([.number("-0.5e+3"), .number("0"), .number("12")]))
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(#"{"s":"\ud83d"}"#.utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("[01]".utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(String(repeating: "[", count: 100).utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("{\"a\":\"x\ty\"}".utf8)) }
    }
}

@Suite("Dates and timestamps")
struct TimeTests {
    @Test("RFC 3339 with offsets, kept as written")
    func timestamps() throws {
        let t = try #require(Timestamp("2011-03-11T10:15:00+09:00"))
        let z = try #require(Timestamp("2011-03-11T01:15:00Z"))
        #expect(t.millis == z.millis)
        #expect(t.description == "2011-03-11T10:15:00+09:00")
        #expect(z.description == "2011-03-11T01:15:00+00:00")
        #expect(z.jstDate == t.jstDate)
        #expect(Timestamp("2011-03-11T23:30:00-05:00")!.jstDate.description == "2011-03-12")
        #expect(Timestamp("2011-03-11T10:15:00.250+09:00")!.description == "2011-03-11T10:15:00.250+09:00")
        #expect(Timestamp("2011-03-11T10:15:00") == nil)
        #expect(Timestamp("2011-02-30T10:15:00+09:00") == nil)
        #expect(Timestamp("2011-03-11 10:15:00+09:00") == nil)
    }

    @Test("timestamps written byte by byte match the field-by-field rendering and parse back, over many instants")
    func timestampRendering() throws {
        func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        var rng = SystemRandomNumberGenerator()
        for k in 0..<20_000 {
            // Years 0001–9998, any millisecond (every fourth whole seconds), offsets −12:00…+14:00 in quarter hours.
            var millis = Int64.random(in: -62_135_596_800_000 + 86_400_000 ..< 253_370_764_800_000, using: &rng)
            if k % 4 == 0 { millis -= millis % 1000 }
            let offset = Int16(Int.random(in: -48...56, using: &rng) * 15)
            let t = Timestamp(millis: millis, offsetMinutes: offset)
            let local = millis + Int64(offset) * 60_000
            let secs = local >= 0 ? local / 1000 : (local - 999) / 1000
            let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
            let sod = Int(secs - days * 86_400)
            let ms = Int(((millis % 1000) + 1000) % 1000)
            var want = LocalDate(day: Int32(days)).description + "T" + pad(sod / 3600, 2) + ":" + pad(sod / 60 % 60, 2)
                + ":" + pad(sod % 60, 2)
            if ms != 0 { want += "." + pad(ms, 3) }
            want += (offset < 0 ? "-" : "+") + pad(abs(Int(offset)) / 60, 2) + ":" + pad(abs(Int(offset)) % 60, 2)
            #expect(t.description == want)
            #expect(Timestamp(t.description) == t, "\(t.description) does not parse back")
            if t.description != want { break }
        }
    }

    @Test("dates: leap years, weekdays, round trip")
    func dates() {
        #expect(LocalDate("2012-02-29") != nil)
        #expect(LocalDate("2011-02-29") == nil)
        #expect(LocalDate("2011-03-11")!.weekday == 5)  // a Friday
        #expect(LocalDate("1969-06-29")!.description == "1969-06-29")
        #expect(LocalDate("1900-01-01")!.adding(days: 1).description == "1900-01-02")
    }
}

@Suite("Reading stored bytes back")
struct StoredDecodeTests {
    @Test("decodeStored reads back what the format rules for new input refuse, and nothing structurally wrong")
    func lenientOnlyForNewRules() throws {
        let sixDigitOffice = #"{"type":"office","code":"271004","name":"北区役所"}"#
        let longRef = #"{"type":"access","id":"E1","at":"2011-03-11T10:00:00+09:00","staff":"S1","action":"view","record":"current","register":"\#(String(repeating: "R", count: 70))"}"#
        for line in [sixDigitOffice, longRef] {
            #expect(throws: RecordError.self) { try RecordDecoder.decode(line: Array(line.utf8)) }
            guard case .record = try RecordDecoder.decodeStored(line: Array(line.utf8)) else {
                Issue.record("not read back: \(line)")
                continue
            }
        }
        // Still refused when stored: broken JSON, a missing required field, a wrong type, an unknown enum value.
        for bad in [#"{"type":"access","id":"E1""#,
                    #"{"type":"access","id":"E1","at":"2011-03-11T10:00:00+09:00","action":"view","record":"current"}"#,
                    #"{"type":"access","id":"E1","at":"2011-03-11T10:00:00+09:00","staff":5,"action":"view","record":"current"}"#,
                    #"{"type":"access","id":"E1","at":"2011-03-11T10:00:00+09:00","staff":"S1","action":"peek","record":"current"}"#] {
            #expect(throws: RecordError.self) { try RecordDecoder.decodeStored(line: Array(bad.utf8)) }
        }
    }
}
