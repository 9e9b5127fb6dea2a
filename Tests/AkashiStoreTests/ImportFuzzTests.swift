import AkashiInterchange
import AkashiSQLite
import AkashiStorage
import Foundation
import GRDB
import Testing

/// Issue 18, "Prove, systematically", item 3: valid interchange lines mutated tens of thousands of times (truncation,
/// wrong types, huge strings, control characters, invalid UTF-8, deep nesting, missing fields, duplicate IDs with
/// other content). No crash; every valid line is kept; every other line is accounted for, and the problems name their
/// file and line (and the field, where one field is to blame).
@Suite("Import fuzzing")
struct ImportFuzzTests {
    /// A small deterministic generator (SplitMix64): the same mutations on every run.
    struct Mix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    enum Mutation: CaseIterable {
        case truncate, flipByte, controlInID, rawControlInString, hugeID, wrongType, deepNesting, missingField,
             invalidUTF8, duplicateID
        /// Whether the line can never be taken (a truncation or a flipped byte may leave a valid line; deep nesting in
        /// an unknown field may be skipped).
        var mustBeRefused: Bool {
            switch self {
            case .truncate, .flipByte, .deepNesting: false
            default: true
            }
        }
        /// The field a problem must name, where one field is to blame.
        var field: String? {
            switch self {
            case .controlInID, .hugeID, .wrongType: "register"
            case .missingField: "staff"
            default: nil
            }
        }
    }

    static func access(_ id: String, minute: Int, register: String = "R0031877") -> String {
        #"{"type":"access","id":"\#(id)","at":"2011-03-11T10:\#(String(format: "%02d", minute % 60)):00+09:00","staff":"S0412","office":"27108","action":"view","record":"current","register":"\#(register)"}"#
    }

    @Test("20,000 lines, three in four mutated: no crash, every valid line kept, the rest accounted for with file and line")
    func fuzz() async throws {
        try await withTempDir { dir in
            var rng = Mix(state: 18)
            var lines: [[UInt8]] = []
            var kinds: [Int: Mutation] = [:]  // line number (1-based) → mutation
            var valid: [String] = []
            let total = 20_000
            for k in 0..<total {
                if k % 4 == 0 || k < 8 {
                    let id = "EF\(k)"
                    valid.append(id)
                    lines.append(Array(Self.access(id, minute: k).utf8))
                    continue
                }
                let m = Mutation.allCases[rng.below(Mutation.allCases.count)]
                kinds[k + 1] = m
                var line = Array(Self.access("EM\(k)", minute: k).utf8)
                switch m {
                case .truncate:
                    line = Array(line.prefix(rng.below(line.count)))
                case .flipByte:
                    line[rng.below(line.count)] = UInt8(truncatingIfNeeded: rng.next())
                case .controlInID:
                    let c = String(format: "\\u%04x", rng.below(0x20))
                    line = Array(Self.access("EM\(k)", minute: k, register: "R\(c)1").utf8)
                case .rawControlInString:
                    let at = line.lastIndex(of: UInt8(ascii: "\""))!  // inside the last string value
                    // Any control byte but the line feed, which ends the line (the file's own line break).
                    let c = UInt8(rng.below(0x1F))
                    line.insert(c >= 0x0A ? c + 1 : c, at: at)
                case .hugeID:
                    line = Array(Self.access("EM\(k)", minute: k, register: String(repeating: "R", count: 64 + rng.below(100_000))).utf8)
                case .wrongType:
                    let s = String(decoding: line, as: UTF8.self)
                    line = Array(s.replacingOccurrences(of: #""register":"R0031877""#, with: #""register":\#(rng.below(100_000))"#).utf8)
                case .deepNesting:
                    let depth = 100 + rng.below(5_000)
                    let s = String(decoding: line.dropLast(), as: UTF8.self)
                    line = Array((s + #","x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
                case .missingField:
                    let s = String(decoding: line, as: UTF8.self)
                    line = Array(s.replacingOccurrences(of: #""staff":"S0412","#, with: "").utf8)
                case .invalidUTF8:
                    let at = line.lastIndex(of: UInt8(ascii: "\""))!
                    line.insert(contentsOf: [0xC3, 0x28] as [UInt8], at: at)
                case .duplicateID:
                    // An ID a valid line already used, with other content: a conflict; the first version stays.
                    let j = rng.below(valid.count)
                    line = Array(Self.access(valid[j], minute: 59 - (j % 60), register: "R0031878").utf8)
                }
                // A line break inside a mutated line would split it into two lines: keep each mutation on its line.
                line = line.map { $0 == 0x0A ? 0x20 : $0 }
                lines.append(line)
            }
            let file = dir + "/fuzz.jsonl"
            var bytes: [UInt8] = []
            for l in lines { bytes += l; bytes.append(0x0A) }
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            try writeLines(dir + "/base.jsonl", Sample.all)

            let store = try SQLiteStore(directory: dir + "/store")
            _ = try await Importer(store: store).run(files: [dir + "/base.jsonl"])
            let r = try await Importer(store: store).run(files: [file])

            // Every valid line is in the ledger, as it was written (not as a later duplicate with other content).
            for id in valid { #expect(try store.ledgerIndex(ofEvent: id) != nil, "valid line \(id) lost") }
            let kept = try store.ledgerEntries(0..<(try store.ledgerSize())).filter {
                String(decoding: $0, as: UTF8.self).contains(#""register":"R0031878""#)
            }
            #expect(kept.isEmpty, "a duplicate ID's other content replaced the first version")
            // Every non-blank line is accounted for.
            #expect(r.imported + r.duplicates + r.conflicts + r.rejected + r.unknownTypes == r.lines,
                    "imported \(r.imported) duplicates \(r.duplicates) conflicts \(r.conflicts) rejected \(r.rejected) of \(r.lines)")
            // Each problem names its file and line, and that line is a mutated one; where one field is to blame, the
            // message names it.
            #expect(!r.problems.isEmpty)
            for p in r.problems where p.file.hasSuffix("fuzz.jsonl") {
                #expect("\(p)".hasPrefix(p.file + ":\(p.line): "))
                let m = kinds[p.line]
                #expect(m != nil, "line \(p.line), a valid one, was reported: \(p)")
                if let field = m?.field, p.kind == .rejected {
                    #expect(p.message.contains(field), "line \(p.line) (\(String(describing: m))): \(p.message)")
                }
            }
            // The quarantine holds every refused line with its file, line and reason: each line that can never be
            // taken is there, naming the field where one is to blame, and no valid line is.
            var config = Configuration()
            config.readonly = true
            let q = try DatabaseQueue(path: dir + "/store/akashi.sqlite", configuration: config)
            let quarantined = try q.read { db in
                try Row.fetchAll(db, sql: "SELECT line, reason, raw FROM quarantine WHERE file = ?", arguments: [file])
            }
            let reasons = Dictionary(quarantined.map { (Int($0["line"] as Int64), $0["reason"] as String) }, uniquingKeysWith: { a, _ in a })
            // A line identical to one already quarantined for the same reason is not kept twice: look lines up by bytes.
            let byRaw = Dictionary(quarantined.map { ([UInt8]($0["raw"] as Data), $0["reason"] as String) }, uniquingKeysWith: { a, _ in a })
            for (line, m) in kinds where m.mustBeRefused {
                guard let reason = reasons[line] ?? byRaw[lines[line - 1]] else {
                    Issue.record("line \(line) (\(m)) was taken")
                    continue
                }
                if let field = m.field { #expect(reason.contains(field), "line \(line) (\(m)): \(reason)") }
            }
            for (line, _) in reasons { #expect(kinds[line] != nil, "valid line \(line) was quarantined") }
            await #expect(try LedgerService(store: store).verify().entries == (try store.ledgerSize()))
        }
    }
}
