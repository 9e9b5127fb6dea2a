import AkashiInterchange
import Foundation
import Testing

/// Issue 18, F-1: no ID with a control character comes in, through import or anywhere else.
@Suite("IDs with control characters are refused")
struct IDControlCharacterTests {
    @Test("an access whose case, register or staff holds a control character is rejected naming the field; a stored one still reads back")
    func refused() throws {
        let fields: [(String, String)] = [("case", #""case":"\u0000""#), ("case", #""case":"C1\u001f""#),
                                          ("register", #""register":"R\u0007""#), ("staff", #""staff":"S\u007f1""#)]
        for (field, json) in fields {
            var line = #"{"type":"access","id":"E1","at":"2011-03-11T11:00:00+09:00","staff":"S0412","office":"27108","action":"view","record":"current","register":"R1""#
            line = line.replacingOccurrences(of: #""staff":"S0412""#, with: field == "staff" ? json : #""staff":"S0412""#)
            line = line.replacingOccurrences(of: #""register":"R1""#, with: field == "register" ? json : #""register":"R1""#)
            if field == "case" { line += "," + json }
            line += "}"
            let error = #expect(throws: RecordError.self) { try RecordDecoder.decode(line: Array(line.utf8)) }
            #expect(error?.field == field, "\(line): \(String(describing: error))")
            #expect("\(error.map { "\($0)" } ?? "")".contains("control character"))
            // What an old store holds still reads back (verify and the audit must be able to read it).
            _ = try RecordDecoder.decodeStored(line: Array(line.utf8))
        }
    }

    @Test("the one rule: at most 64 bytes, no C0 or C1 control character; ordinary IDs pass")
    func rule() {
        #expect(RecordDecoder.idProblem("C2011-27108-001234") == nil)
        #expect(RecordDecoder.idProblem("戸籍-名前") == nil)
        #expect(RecordDecoder.idProblem(String(repeating: "x", count: 65))?.contains("64") == true)
        for c in ["\u{0}", "\u{1F}", "\u{7F}", "\u{85}", "\n", "\t"] {
            #expect(RecordDecoder.idProblem("A" + c + "B")?.contains("control character") == true, "\(c.unicodeScalars.first!.value)")
        }
        #expect(!RecordDecoder.hasControlCharacter("二行の\nメモ\tです", allowingLineBreaks: true))
        #expect(RecordDecoder.hasControlCharacter("メモ\u{0}", allowingLineBreaks: true))
    }
}
