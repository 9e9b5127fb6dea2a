import AkashiDomain

/// A fast path for the commonest line Akashi reads: an access event in its own canonical form (a ledger entry, an
/// export, a generated city). It reads the fields straight into an ``AccessEvent`` without building a JSON tree.
///
/// It accepts only what it can decide alone — keys in strictly increasing byte order (so no duplicates), every key
/// one the access record knows, no white space, strings without escapes or control bytes, valid UTF-8 — and returns
/// `nil` for anything else, which then goes through ``RecordDecoder``'s general path. When it returns an event, the
/// general path would have returned the same event with no unknown fields (a test checks this over a whole city and
/// over every kind of deviation), so using it changes speed only, never a result or an error message.
enum CanonicalAccessDecoder {
    /// The access record's keys in canonical (byte) order.
    private static let keys: [[UInt8]] = [
        "action", "at", "case", "function", "id", "office", "outcome", "person", "query", "reason", "record",
        "register", "results", "screen", "staff", "terminal", "type",
    ].map { Array($0.utf8) }
    private enum Key: Int {
        case action, at, caseID, function, id, office, outcome, person, query, reason, record, register, results
        case screen, staff, terminal, type
    }
    private static let quote = UInt8(ascii: "\"")

    static func decode(_ b: UnsafeBufferPointer<UInt8>) -> AccessEvent? {
        let n = b.count
        let maxID = RecordDecoder.maxIDBytes
        guard n > 2, b[0] == UInt8(ascii: "{"), b[n - 1] == UInt8(ascii: "}") else { return nil }
        var i = 1
        var nextKey = 0
        var id: String?, staff: String?, at: Timestamp?
        var office: String?, terminal: String?, register: String?, person: String?, caseID: String?
        var reason: String?, function: String?, screen: String?
        var action: AccessAction?, record: RecordKind?, outcome: AccessOutcome?
        var query: JSONValue?, results: [String]?
        var sawType = false

        /// The byte range of a string starting at `i` (on its opening quote); nil if it has escapes or control bytes.
        func stringRange(_ i: inout Int) -> Range<Int>? {
            guard i < n, b[i] == quote else { return nil }
            let start = i + 1
            var k = start
            while k < n {
                let c = b[k]
                if c == quote { i = k + 1; return start..<k }
                if c == 0x5C || c < 0x20 { return nil }
                k += 1
            }
            return nil
        }
        func string(_ i: inout Int) -> String? {
            guard let r = stringRange(&i) else { return nil }
            let u = UnsafeBufferPointer(rebasing: b[r])
            var ascii = true
            for c in u where c >= 0x80 { ascii = false; break }
            return ascii ? String(decoding: u, as: UTF8.self) : String(validating: u, as: UTF8.self)
        }

        while true {
            // "key":
            guard let kr = stringRange(&i), i < n, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            let key = UnsafeBufferPointer(rebasing: b[kr])
            var found: Key?
            while nextKey < keys.count {
                let candidate = keys[nextKey]
                nextKey += 1
                if candidate.elementsEqual(key) { found = Key(rawValue: nextKey - 1); break }
            }
            guard let found else { return nil }
            switch found {
            case .query:
                guard let (v, end) = try? JSONParser.parseValue(b, at: i, depth: 1), end < n else { return nil }
                i = end
                if case .null = v {} else { query = v }
            case .results:
                guard i < n, b[i] == UInt8(ascii: "[") else { return nil }
                i += 1
                var list: [String] = []
                if i < n, b[i] == UInt8(ascii: "]") {
                    i += 1
                } else {
                    while true {
                        guard let s = string(&i), !s.isEmpty, s.utf8.count <= maxID, i < n else { return nil }
                        list.append(s)
                        if b[i] == UInt8(ascii: ",") { i += 1; continue }
                        guard b[i] == UInt8(ascii: "]") else { return nil }
                        i += 1
                        break
                    }
                }
                results = list
            case .at:
                guard let r = stringRange(&i), let t = Timestamp(utf8: UnsafeBufferPointer(rebasing: b[r])) else {
                    return nil
                }
                at = t
            default:
                guard let s = string(&i) else { return nil }
                switch found {
                case .action: guard let v = AccessAction(rawValue: s) else { return nil }; action = v
                case .record: guard let v = RecordKind(rawValue: s) else { return nil }; record = v
                case .outcome: guard let v = AccessOutcome(rawValue: s) else { return nil }; outcome = v
                case .type: guard s == "access" else { return nil }; sawType = true
                case .id: id = s
                case .staff: staff = s
                case .office: office = s
                case .terminal: terminal = s
                case .register: register = s
                case .person: person = s
                case .caseID: caseID = s
                case .reason: reason = s
                case .function: function = s
                case .screen: screen = s
                case .query, .results, .at: return nil
                }
            }
            guard i < n else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "}"), i == n - 1 else { return nil }
            break
        }
        // Every ID-valued field within the format's limit; anything longer is the general path's to reject.
        func fits(_ s: String?) -> Bool { (s?.utf8.count ?? 0) <= maxID }
        guard sawType, let id, !id.isEmpty, fits(id), let at, let staff, !staff.isEmpty, fits(staff),
              fits(office), fits(register), fits(person), fits(caseID), let action, let record else { return nil }
        return AccessEvent(id: id, at: at, staff: staff, office: office, terminal: terminal, action: action,
                           record: record, register: register, person: person, caseID: caseID, reason: reason,
                           outcome: outcome ?? .ok, query: query, results: results, function: function, screen: screen)
    }
}
