import AkashiDomain
import AkashiInterchange
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    /// Issue 18, ST202 (schemathesis `positive_data_acceptance`): what the published schema says is a valid request
    /// is not refused as malformed, and a refusal names where the input went wrong. The fuzzer finds such requests at
    /// random (`scripts/api_fuzz.py`); these are the ones it found, made on purpose.
    @Suite("The API accepts what its schema allows")
    struct SchemaAcceptanceTests {
        /// A member of register A, whose name and kana the searches use.
        func member(_ f: Fixture) async throws -> Person {
            try #require(try f.store.persons(ids: f.registerA.members).first { $0.name.contains(" ") })
        }

        // MARK: The schema's rules against the server's own

        /// The published schema's text.
        static func schema() throws -> String {
            try String(contentsOfFile: WebApp.resourceDirectory + "/Static/openapi.yaml", encoding: .utf8)
        }

        /// The patterns given under a line of the schema (`    Date:`), up to the next line as little indented, as regular
        /// expressions (YAML's `\\` read as one backslash, `$` as the end of the text).
        static func patterns(under heading: String, in text: String) throws -> [NSRegularExpression] {
            let start = try #require(text.range(of: "\n" + heading + "\n"), "\(heading) is not in the schema")
            let indent = heading.prefix { $0 == " " }.count
            var out: [NSRegularExpression] = []
            for line in text[start.upperBound...].split(separator: "\n") {
                if line.prefix(while: { $0 == " " }).count <= indent { break }
                guard let at = line.range(of: "pattern: \""), line.hasSuffix("\"") else { continue }
                var source = line[at.upperBound..<line.index(before: line.endIndex)].replacingOccurrences(of: "\\\\", with: "\\")
                // JSON Schema's `$` (ECMA-262, not multi-line) is the end of the text; ICU's also matches before a line
                // break that ends it (U+0085 included), which would let a control character through.
                if source.hasSuffix("$") { source = source.dropLast() + "\\z" }
                out.append(try NSRegularExpression(pattern: source))
            }
            return out
        }

        static func matches(_ r: NSRegularExpression, _ s: String) -> Bool {
            r.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        }

        @Test("the schema's dates are exactly the ISO dates the server reads, 1800 to 2200; its year-months too")
        func datesAgree() throws {
            let text = try Self.schema()
            let date = try #require(try Self.patterns(under: "    Date:", in: text).first)
            var checked = 0
            // Every day and every impossible day (the 29th to 31st of each month) of the years around the range's ends
            // and of every leap-year rule (1900, 2000, 2100), and the 1st of every month in between.
            for year in [1799, 1800, 1801, 1896, 1900, 1904, 1972, 1999, 2000, 2024, 2100, 2104, 2199, 2200, 2201] {
                for month in 0...13 {
                    for day in 0...32 {
                        let s = String(format: "%04d-%02d-%02d", year, month, day)
                        let server = BirthDate.parse(s).map { $0.count == 10 } ?? false
                        #expect(Self.matches(date, s) == server, "\(s): schema \(Self.matches(date, s)), server \(server)")
                        checked += 1
                    }
                }
            }
            for year in 1790...2210 {
                let s = String(format: "%04d-03-01", year)
                #expect(Self.matches(date, s) == (BirthDate.parse(s) != nil), "\(s)")
            }
            for s in ["1972-3-6", "19720306", "1972-03-06 ", "昭和47年3月6日", "x1972-03-06", "1972-03-061"] {
                #expect(!Self.matches(date, s), "the schema states the ISO form only: \(s)")
            }
            let months = try Self.patterns(under: "              birth:", in: text)
            let yearMonth = try #require(months.first)
            for year in [1799, 1800, 2200, 2201] {
                for month in 0...13 {
                    for s in [String(format: "%04d", year), String(format: "%04d-%02d", year, month)] {
                        #expect(Self.matches(yearMonth, s) == (BirthDate.parse(s) != nil), "\(s)")
                    }
                }
            }
            #expect(checked > 6_000)
        }

        @Test("the schema's IDs are IDs the server takes: each of its cases keeps within 64 bytes, without control characters")
        func idsAgree() throws {
            let cases = try Self.patterns(under: "    Id:", in: try Self.schema())
            #expect(cases.count == 4, "the control-character pattern and the three cases")
            // Characters of every UTF-8 length, white space, and control characters.
            let pool: [Character] = ["A", "z", "0", "-", " ", "~", "\u{7F}", "\u{1F}", "\u{0}", "\u{85}", "\u{A0}", "é", "ß",
                                     "\u{7FF}", "戸", "籍", "\u{3000}", "\u{FFFD}", "😀", "\u{10FFFF}"]
            var rng = SeededGenerator(seed: 18)
            var accepted = 0
            for _ in 0..<20_000 {
                let s = String((0..<Int.random(in: 1...70, using: &rng)).map { _ in pool.randomElement(using: &rng)! })
                let schema = Self.matches(cases[0], s) && cases.dropFirst().contains { Self.matches($0, s) }
                if schema {
                    accepted += 1
                    #expect(RecordDecoder.idProblem(s) == nil, "the schema allows \(s.unicodeScalars.map { String($0.value, radix: 16) }), the server refuses it")
                }
            }
            #expect(accepted > 100)
            // The largest each case allows, at its widest characters: within 64 bytes.
            for s in [String(repeating: "A", count: 64), String(repeating: "戸", count: 21), String(repeating: "😀", count: 16)] {
                #expect(cases.dropFirst().contains { Self.matches($0, s) } && RecordDecoder.idProblem(s) == nil)
            }
            for s in [String(repeating: "A", count: 65), String(repeating: "戸", count: 22), String(repeating: "😀", count: 17)] {
                #expect(!cases.dropFirst().contains { Self.matches($0, s) }, "\(s.count) characters")
            }
        }

        @Test("the schema's given text is text the server does not trim away, and its text has no control character a body refuses")
        func filledAgrees() throws {
            let text = try Self.schema()
            let filled = try #require(try Self.patterns(under: "    Filled:", in: text).first)
            let plain = try #require(try Self.patterns(under: "    Text:", in: text).first)
            // Every character up to U+3000 and a few beyond, alone and between spaces.
            let scalars = (0...0x3000).compactMap(Unicode.Scalar.init) + ["\u{FEFF}", "\u{FFFD}", "\u{1F600}"]
            for c in scalars {
                for s in [String(c), " " + String(c) + "\u{3000}"] {
                    let body = !RecordDecoder.hasControlCharacter(s, allowingLineBreaks: true)
                    #expect(Self.matches(plain, s) == body, "U+\(String(c.value, radix: 16))")
                    // Given, as the server reads it: not blank once trimmed, and no control character.
                    #expect(Self.matches(filled, s) == (body && !s.trimmed.isEmpty), "U+\(String(c.value, radix: 16))")
                }
            }
        }

        @Test("a query is read as a form sends it: `+` is a space, `%2B` a plus (the search's name, a blank birth, a reason)")
        func queryPlusIsSpace() async throws {
            let f = try await Fixture.shared.value
            let person = try await member(f)
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                // A full name, its space written `+` (as Python's requests, urllib and HTML forms write it).
                let formName = person.name.split(separator: " ").map { percentEncode(String($0)) }.joined(separator: "+")
                let full = try await client.get("/api/v1/registers?name=\(formName)", auth)
                #expect(full.status == .ok)
                let ids = (full.json["results"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                #expect(ids.contains(f.registerA.id), "a full name with its space written + finds nothing")
                // A birth date of white space only is no condition, however the spaces are written.
                let blank = try await client.get("/api/v1/registers?name=\(formName)&birth=+%E3%80%80+", auth)
                #expect(blank.status == .ok, "\(blank.text)")
                // A plus written %2B stays a plus (and finds no one).
                let plus = try await client.get("/api/v1/registers?name=\(percentEncode(person.name).replacingOccurrences(of: "%20", with: "%2B"))", auth)
                #expect(plus.status == .ok && (plus.json["results"] as? [Any])?.isEmpty == true)
                // A stated reason with spaces is recorded with its spaces.
                let before = try f.store.ledgerSize()
                let reason = "電話+による+照会への回答"
                let view = try await client.get("/api/v1/registers/\(f.registerA.id)?reason=\(reason)", auth)
                #expect(view.status == .ok, "\(view.text)")
                let access = try #require(try f.entries(since: before).first { $0["type"] as? String == "access" })
                #expect(access["reason"] as? String == "電話 による 照会への回答")
            }
        }

        @Test("a record the register does not hold is a 404 naming the record field, recorded as not found")
        func recordNotHeld() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                let caseID = try await client.certificateCase(auth, registers: [f.registerA.id])
                let before = try f.store.ledgerSize()
                let r = try await client.get("/api/v1/registers/\(f.registerA.id)?record=removed&case=\(caseID)", auth)
                #expect(r.status == .notFound)
                #expect(r.errorCode == "not_found")
                #expect(r.errorField == "record")
                let access = try #require(try f.entries(since: before).first { $0["type"] as? String == "access" })
                #expect(access["outcome"] as? String == "not_found" && access["record"] as? String == "removed")
            }
        }

        @Test("a refusal of bad input names its field: a body field, a query parameter, the path, an ID, a missing detail")
        func refusalsNameTheField() async throws {
            let f = try await Fixture.shared.value
            try await f.app().test(.router) { client in
                let auth = try await client.ready(f.clerk.id)
                // A control character in a body field, known or not: the field is named (and shown without it).
                let note = try await client.postJSON("/api/v1/cases", auth, ["kind": "other", "subjectName": "山田 太郎", "note": "a\u{1}b"])
                #expect(note.status == .badRequest && note.errorField == "note", "\(note.text)")
                #expect(note.text.contains("'note'"))
                let odd = try await client.postJSON("/api/v1/cases", auth, ["kind": "other", "subjectName": "山田 太郎", "x\u{7}y": "1"])
                #expect(odd.status == .badRequest && odd.errorField == "x\u{FFFD}y", "\(odd.text)")
                // In a URL: the query parameter, or the path.
                let query = try await client.get("/api/v1/registers?name=%01", auth)
                #expect(query.status == .badRequest && query.errorField == "name", "\(query.text)")
                let path = try await client.get("/api/v1/registers/R%01", auth)
                #expect(path.status == .badRequest && path.errorField == "path", "\(path.text)")
                // An ID too long to be one.
                let long = try await client.get("/api/v1/registers/\(f.registerA.id)?case=\(String(repeating: "C", count: 65))", auth)
                #expect(long.status == .badRequest && long.errorField == "case", "\(long.text)")
                // A notification without its notifier; a search without a field.
                let notifier = try await client.postJSON("/api/v1/cases", auth, ["kind": "notification.birth", "registers": [f.registerA.id]])
                #expect(notifier.errorCode == "details_required" && notifier.errorField == "notifier", "\(notifier.text)")
                let empty = try await client.get("/api/v1/registers?name=+&kana=%E3%80%80", auth)
                #expect(empty.status == .badRequest && empty.errorField == "name", "\(empty.text)")
                let birth = try await client.get("/api/v1/registers?birth=1972-02-30", auth)
                #expect(birth.status == .badRequest && birth.errorField == "birth", "\(birth.text)")
            }
        }
    }
}
