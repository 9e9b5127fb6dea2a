import AkashiDomain
import Foundation
import Testing

@testable import AkashiInterchange

/// The public decoder's answer and the general path's answer for a line, as comparable text.
private func both(_ line: [UInt8]) -> (String, String) {
    func describe(_ f: () throws(RecordError) -> DecodedLine) -> String {
        do throws(RecordError) {
            switch try f() {
            case let .record(r, unknown): return "record \(r) unknown \(unknown)"
            case let .unknownType(t): return "unknown type \(t)"
            case .blank: return "blank"
            }
        } catch {
            return "error \(error)"
        }
    }
    let a = describe { () throws(RecordError) in try RecordDecoder.decode(line: line) }
    let b = describe { () throws(RecordError) in
        try line.withUnsafeBufferPointer { p throws(RecordError) in try RecordDecoder.decodeGeneral(line: p) }
    }
    return (a, b)
}

@Suite("The canonical access fast path: identical to the general decoder, or not taken")
struct FastAccessDecoderTests {
    static let canonical = #"{"action":"view","at":"2011-03-11T10:15:00+09:00","case":"C1","function":"certificate.issue","id":"E0000000001","office":"27108","outcome":"ok","person":"P1","reason":"窓口","record":"current","register":"R1","screen":"koseki","staff":"S1","terminal":"T27108-01","type":"access"}"#
    static let search = #"{"action":"search","at":"2011-03-11T10:15:00.250+09:00","id":"E2","outcome":"ok","query":{"name":"大阪 太郎","nested":{"a":[1,2.5,true,null]}},"record":"current","results":["R1","R2"],"staff":"S1","type":"access"}"#

    @Test("canonical lines take the fast path and match the general path")
    func canonicalLines() throws {
        for line in [Self.canonical, Self.search] {
            let bytes = Array(line.utf8)
            let quick = bytes.withUnsafeBufferPointer { CanonicalAccessDecoder.decode($0) }
            #expect(quick != nil, "missed the fast path: \(line)")
            let (a, b) = both(bytes)
            #expect(a == b)
            // And the record's canonical form is the line itself.
            if let quick { #expect(Record.access(quick).canonicalJSON == bytes) }
        }
    }

    /// Every deviation from the canonical form: the fast path must not take it, or must give the general answer.
    static let deviations: [String] = {
        let c = canonical
        func swap(_ a: String, _ b: String) -> String { c.replacingOccurrences(of: a, with: b) }
        var d = [
            swap("{\"action\"", "{ \"action\""),                       // white space
            swap(",\"at\":", ", \"at\":"),
            c + " ",                                                    // trailing white space
            c + "x",                                                    // trailing garbage
            swap("\"case\":\"C1\",", ""),                                // optional field absent
            swap("\"id\":\"E0000000001\",", ""),                         // id missing
            swap("\"id\":\"E0000000001\"", "\"id\":\"\""),                // id empty
            swap("E0000000001", String(repeating: "E", count: 64)),      // id at the limit
            swap("E0000000001", String(repeating: "E", count: 65)),      // id too long
            swap("\"staff\":\"S1\"", "\"staff\":\"\""),                   // required empty
            swap("\"staff\":\"S1\",", ""),                                // required missing
            swap("\"office\":\"27108\"", "\"office\":\"\""),              // optional empty (allowed)
            swap("\"office\":\"27108\"", "\"office\":null"),              // null
            swap("\"office\":\"27108\"", "\"office\":27108"),             // not a string
            swap("\"P1\"", "\"P\\u0031\""),                               // escape
            swap("\"P1\"", "\"P\\\"1\""),
            swap("\"person\"", "\"pers\\u006fn\""),                       // escaped key
            swap("窓口", "窓\u{01}口"),                                   // control byte
            swap("\"view\"", "\"peek\""),                                 // bad enum
            swap("\"ok\"", "\"fine\""),
            swap("\"current\"", "\"draft\""),
            swap("\"type\":\"access\"", "\"type\":\"case\""),            // another type
            swap("\"type\":\"access\"", "\"type\":\"telepathy\""),       // unknown type
            swap(",\"type\":\"access\"", ""),                            // no type
            swap("2011-03-11T10:15:00+09:00", "2011-03-11 10:15:00"),    // bad timestamp
            swap("2011-03-11T10:15:00+09:00", "2011-02-30T10:15:00+09:00"),
            swap("2011-03-11T10:15:00+09:00", "2011-03-11T10:15:00Z"),   // valid, not canonical
            swap("\"action\":\"view\",\"at\"", "\"at\":\"2011-03-11T10:15:00+09:00\",\"action\":\"view\",\"at0\""), // order
            swap("\"case\":\"C1\"", "\"case\":\"C1\",\"case\":\"C2\""),  // duplicate
            swap("\"case\":\"C1\"", "\"case\":\"C1\",\"colour\":\"red\""), // unknown field
            swap("\"register\":\"R1\"", "\"register\":\"R1\",\"results\":[]"),
            swap("\"register\":\"R1\"", "\"register\":\"R1\",\"results\":[\"\"]"),
            swap("\"register\":\"R1\"", "\"register\":\"R1\",\"results\":[\"R1\",3]"),
            swap("\"register\":\"R1\"", "\"register\":\"R1\",\"results\":\"R1\""),
            swap("\"person\":\"P1\"", "\"person\":\"P1\",\"query\":null"),
            swap("\"person\":\"P1\"", "\"person\":\"P1\",\"query\":{\"a\":1,\"a\":2}"),
            swap("\"person\":\"P1\"", "\"person\":\"P1\",\"query\":{\"a\":}"),
            // Every ID-valued reference at the 64-byte limit and one byte over (in bytes, not characters).
            swap("\"staff\":\"S1\"", "\"staff\":\"\(String(repeating: "S", count: 64))\""),
            swap("\"staff\":\"S1\"", "\"staff\":\"\(String(repeating: "S", count: 65))\""),
            swap("\"office\":\"27108\"", "\"office\":\"\(String(repeating: "7", count: 64))\""),
            swap("\"office\":\"27108\"", "\"office\":\"\(String(repeating: "7", count: 65))\""),
            swap("\"R1\"", "\"\(String(repeating: "R", count: 64))\""),
            swap("\"R1\"", "\"\(String(repeating: "R", count: 65))\""),
            swap("\"P1\"", "\"\(String(repeating: "戸", count: 21))P\""),
            swap("\"P1\"", "\"\(String(repeating: "戸", count: 22))\""),
            swap("\"C1\"", "\"\(String(repeating: "C", count: 64))\""),
            swap("\"C1\"", "\"\(String(repeating: "C", count: 65))\""),
            swap("\"register\":\"R1\"", "\"register\":\"R1\",\"results\":[\"R1\",\"\(String(repeating: "R", count: 64))\"]"),
            swap("\"register\":\"R1\"", "\"register\":\"R1\",\"results\":[\"R1\",\"\(String(repeating: "R", count: 65))\"]"),
            // The Akashi extensions function and screen with a value that is not a string: skipped, reported.
            swap("\"screen\":\"koseki\"", "\"screen\":7"),
            swap("\"screen\":\"koseki\"", "\"screen\":null"),
            swap("\"screen\":\"koseki\"", "\"screen\":{\"name\":\"koseki\"}"),
            swap("\"function\":\"certificate.issue\"", "\"function\":[\"certificate.issue\"]"),
            swap("\"function\":\"certificate.issue\"", "\"function\":false"),
            swap("\"function\":\"certificate.issue\"", "\"function\":\"\""),
            // NFC and NFD forms of one key: two distinct keys, in the query or as unknown fields of the record.
            swap("\"person\":\"P1\"", "\"person\":\"P1\",\"query\":{\"\u{E9}\":1,\"e\u{301}\":2}"),
            swap("\"person\":\"P1\"", "\"person\":\"P1\",\"query\":{\"\u{E9}\":1,\"\\u00e9\":2}"),
            swap("\"type\":\"access\"", "\"type\":\"access\",\"\u{E9}\":1,\"e\u{301}\":2"),
            String(c.dropLast()),                                        // truncated
            "{}",
        ]
        // Nesting at and beyond the parser's limit inside the query.
        for depth in [62, 63, 64] {
            let q = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            d.append(swap("\"person\":\"P1\"", "\"person\":\"P1\",\"query\":\(q)"))
        }
        return d
    }()

    @Test("deviations give the general path's answer, record or error", arguments: deviations)
    func deviation(_ line: String) {
        let (a, b) = both(Array(line.utf8))
        #expect(a == b, "\(line)")
    }

    @Test("invalid UTF-8 is rejected as before")
    func invalidUTF8() {
        var bytes = Array(Self.canonical.utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "P"))!
        bytes[at] = 0xC3                      // a lead byte without its continuation
        let (a, b) = both(bytes)
        #expect(a == b)
        #expect(a.hasPrefix("error"))
    }
}
