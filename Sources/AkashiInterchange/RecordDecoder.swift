import AkashiDomain

/// Why a line was rejected: the field (when one is to blame) and a plain message.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault, e.g. `at` or `assignments[1].from`; `nil` when the line as a whole is wrong.
    public var field: String?
    public var message: String

    public init(field: String? = nil, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "field \"\($0)\": \(message)" } ?? message }
}

/// What decoding one line gave.
public enum DecodedLine: Sendable {
    /// A valid record, with the names of fields that were not understood and skipped.
    case record(Record, unknownFields: [String])
    /// A line whose `type` this version does not know: reported and skipped, never fatal.
    case unknownType(String)
    /// A blank line (ignored).
    case blank
}

/// Turns one line of akashi-interchange/1 into a validated ``Record``.
public enum RecordDecoder {
    /// The longest ID the format allows, in bytes.
    public static let maxIDBytes = 64

    /// Why `s` cannot be an ID, or `nil` when it can: longer than ``maxIDBytes``, or holding a control character
    /// (U+0000–U+001F, U+007F–U+009F). The one rule for IDs from every boundary: import, the web forms, the API, URLs.
    /// (A NUL in an ID once reached the store, where the lookup column read it back cut short and `ledger verify`
    /// failed for good.)
    public static func idProblem(_ s: String) -> String? {
        if s.utf8.count > maxIDBytes { return "ID longer than \(maxIDBytes) bytes" }
        if let c = s.unicodeScalars.first(where: isControl) {
            let hex = String(c.value, radix: 16, uppercase: true)
            return "ID contains a control character (U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex))"
        }
        return nil
    }

    /// Whether `s` holds a control character; tab, line feed and carriage return are allowed with `allowingLineBreaks`
    /// (free text such as a reason or a note).
    public static func hasControlCharacter(_ s: String, allowingLineBreaks: Bool = false) -> Bool {
        s.unicodeScalars.contains { c in
            isControl(c) && !(allowingLineBreaks && (c == "\t" || c == "\n" || c == "\r"))
        }
    }

    static func isControl(_ c: Unicode.Scalar) -> Bool { c.value < 0x20 || (c.value >= 0x7F && c.value <= 0x9F) }

    /// Decodes one line (without its `\n`). Throws ``RecordError`` for anything the format rejects (`stored`: see
    /// ``decodeStored(line:)``).
    public static func decode(line: UnsafeBufferPointer<UInt8>, stored: Bool = false) throws(RecordError) -> DecodedLine {
        var k = 0
        while k < line.count, line[k] == 0x20 || line[k] == 0x09 || line[k] == 0x0D { k += 1 }
        if k == line.count { return .blank }
        if line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
            throw RecordError("byte order mark (BOM) is not allowed")
        }
        if line[0] == UInt8(ascii: "{"), let access = CanonicalAccessDecoder.decode(line) {
            return .record(.access(access), unknownFields: [])
        }
        return try decodeGeneral(line: line, stored: stored)
    }

    /// The general path of ``decode(line:stored:)-(UnsafeBufferPointer<UInt8>,_)``: a JSON tree, then the record's fields.
    static func decodeGeneral(line: UnsafeBufferPointer<UInt8>, stored: Bool = false) throws(RecordError) -> DecodedLine {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw RecordError("not valid JSON: \(error)")
        }
        return try decode(value, stored: stored)
    }

    /// Decodes one line given as bytes.
    public static func decode(line: [UInt8], stored: Bool = false) throws(RecordError) -> DecodedLine {
        let r: Result<DecodedLine, RecordError> = line.withUnsafeBufferPointer { buf in
            do throws(RecordError) { return .success(try decode(line: buf, stored: stored)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Decodes bytes a store accepted when they were written (a record's document, a ledger entry), to read them back.
    ///
    /// Structure and types are checked as on import, but not the format rules an import applies to incoming data (the
    /// 64-byte ID limit, an office's 5-digit code): a record or entry stored before such a rule existed, or written by
    /// Akashi itself, must never be dropped or refused when it is read again (entries cannot be changed), while new
    /// input still meets every rule.
    public static func decodeStored(line: [UInt8]) throws(RecordError) -> DecodedLine { try decode(line: line, stored: true) }

    /// Decodes a parsed JSON value (`stored`: see ``decodeStored(line:)``).
    public static func decode(_ value: JSONValue, stored: Bool = false) throws(RecordError) -> DecodedLine {
        guard case let .object(members) = value else { throw RecordError("a line must be a JSON object") }
        var f = Fields(members, stored: stored)
        guard let typeName = try f.string("type") else { throw RecordError(field: "type", "missing") }
        guard let type = RecordType(rawValue: typeName) else { return .unknownType(typeName) }
        let record: Record
        switch type {
        case .office:
            record = .office(Office(code: try f.officeCode("code"), name: try f.required("name"),
                                    municipality: try f.string("municipality")))
        case .staff:
            record = .staff(Staff(
                id: try f.id("id"), name: try f.string("name"), role: try f.requiredEnum("role"),
                assignments: try f.objects("assignments", required: true) { (g: inout Fields) throws(RecordError) in
                    Assignment(office: try g.id("office"), duty: try g.required("duty"),
                               from: try g.requiredDate("from"), to: try g.date("to"))
                },
                person: try f.idRef("person"), address: try f.string("address")))
        case .register:
            record = .register(Register(
                id: try f.id("id"), kind: try f.requiredEnum("kind"), honseki: try f.required("honseki"),
                office: try f.id("office"), head: try f.idRef("head"),
                members: try f.ids("members") ?? [], opened: try f.date("opened"), closed: try f.date("closed"),
                predecessors: try f.ids("predecessors") ?? [], successors: try f.ids("successors") ?? []))
        case .person:
            record = .person(Person(
                id: try f.id("id"), name: try f.required("name"), kana: try f.string("kana"),
                birth: try f.date("birth"), sex: try f.string("sex"), register: try f.id("register"),
                address: try f.string("address"), addressSince: try f.date("addressSince"),
                relations: try f.objects("relations", required: false) { (g: inout Fields) throws(RecordError) in
                    Relation(kind: try g.requiredEnum("kind"), person: try g.id("person"))
                },
                died: try f.date("died")))
        case .protection:
            record = .protection(Protection(
                person: try f.id("person"), kind: try f.requiredEnum("kind"), from: try f.requiredDate("from"),
                to: try f.date("to"), note: try f.string("note")))
        case .case:
            record = .case(Case(
                id: try f.id("id"), number: try f.string("number"), office: try f.id("office"),
                kind: try f.requiredEnum("kind"), requester: try f.enumValue("requester"),
                received: try f.requiredTimestamp("received"), closed: try f.timestamp("closed"),
                status: try f.enumValue("status"),
                staff: try f.requiredIDs("staff"), registers: try f.requiredIDs("registers"),
                persons: try f.ids("persons") ?? []))
        case .access:
            let action: AccessAction = try f.requiredEnum("action")
            record = .access(AccessEvent(
                id: try f.id("id"), at: try f.requiredTimestamp("at"), staff: try f.id("staff"),
                office: try f.idRef("office"), terminal: try f.string("terminal"), action: action,
                record: try f.requiredEnum("record"), register: try f.idRef("register"),
                person: try f.idRef("person"), caseID: try f.idRef("case"), reason: try f.string("reason"),
                outcome: try f.enumValue("outcome") ?? .ok, query: f.any("query"), results: try f.ids("results"),
                function: f.extensionString("function"), screen: f.extensionString("screen")))
        case .self_report:
            record = .selfReport(SelfReport(
                survey: try f.required("survey"), staff: try f.id("staff"),
                submitted: try f.timestamp("submitted"), declares: try f.requiredEnum("declares"),
                items: try f.objects("items", required: false) { (g: inout Fields) throws(RecordError) in
                    SelfReport.Item(person: try g.idRef("person"), name: try g.string("name"),
                                    from: try g.date("from"), to: try g.date("to"), count: try g.int("count"),
                                    note: try g.string("note"))
                }))
        }
        return .record(record, unknownFields: f.unusedIncludingNested)
    }
}

/// The members of one JSON object, read field by field; remembers which were read so the rest can be reported.
struct Fields {
    private var members: [(String, JSONValue)]
    private var used: [Bool]
    private var prefix: String
    /// Reading back stored bytes: the format rules for incoming data (ID length, office code) are not applied.
    private let stored: Bool

    init(_ members: [(String, JSONValue)], prefix: String = "", stored: Bool = false) {
        self.members = members
        self.used = Array(repeating: false, count: members.count)
        self.prefix = prefix
        self.stored = stored
    }

    /// Field names present but never read.
    var unused: [String] {
        zip(members, used).compactMap { $1 ? nil : prefix + $0.0 }
    }

    private func name(_ key: String) -> String { prefix + key }

    /// Whether a member's key is `key`, byte for byte (as the parser tells keys apart; not `String ==`, which treats
    /// canonically equivalent keys as equal).
    private static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// The value of `key`, `nil` when absent or `null`.
    mutating func any(_ key: String) -> JSONValue? {
        for k in members.indices where Self.same(members[k].0, key) {
            used[k] = true
            if case .null = members[k].1 { return nil }
            return members[k].1
        }
        return nil
    }

    /// An Akashi extension field outside akashi-interchange/1 (`function`, `screen` on access): taken when it is a
    /// string. Any other value is left unread, so it is reported and skipped like an unknown field, never fatal;
    /// `null` is the same as absent.
    mutating func extensionString(_ key: String) -> String? {
        for k in members.indices where Self.same(members[k].0, key) {
            switch members[k].1 {
            case let .string(s): used[k] = true; return s
            case .null: used[k] = true; return nil
            default: return nil
            }
        }
        return nil
    }

    mutating func string(_ key: String) throws(RecordError) -> String? {
        guard let v = any(key) else { return nil }
        guard case let .string(s) = v else { throw RecordError(field: name(key), "must be a string") }
        return s
    }

    mutating func required(_ key: String) throws(RecordError) -> String {
        guard let s = try string(key) else { throw RecordError(field: name(key), "missing") }
        guard !s.isEmpty else { throw RecordError(field: name(key), "must not be empty") }
        return s
    }

    /// A required ID: a record's own `id`, or a required reference to one (non-empty, at most 64 bytes).
    mutating func id(_ key: String) throws(RecordError) -> String {
        let s = try required(key)
        try checkIDLength(s, field: name(key))
        return s
    }

    /// An optional reference to an ID (at most 64 bytes; `nil` when absent or `null`).
    mutating func idRef(_ key: String) throws(RecordError) -> String? {
        guard let s = try string(key) else { return nil }
        try checkIDLength(s, field: name(key))
        return s
    }

    /// The ID rules (``RecordDecoder/idProblem(_:)``), for incoming data only (see ``RecordDecoder/decodeStored(line:)``).
    private func checkIDLength(_ s: String, field: String) throws(RecordError) {
        if !stored, let problem = RecordDecoder.idProblem(s) { throw RecordError(field: field, problem) }
    }

    /// An office's own `code`: the 5-digit local-government code of the ward, exactly five ASCII digits.
    mutating func officeCode(_ key: String) throws(RecordError) -> String {
        let s = try required(key)
        guard stored || (s.utf8.count == 5 && s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })) else {
            throw RecordError(field: name(key), "not a 5-digit local-government code (five ASCII digits): \"\(s)\"")
        }
        return s
    }

    mutating func enumValue<E: InterchangeEnum>(_ key: String) throws(RecordError) -> E? {
        guard let s = try string(key) else { return nil }
        guard let e = E(rawValue: s) else {
            throw RecordError(field: name(key), "unknown value \"\(s)\" (expected \(E.accepted))")
        }
        return e
    }

    mutating func requiredEnum<E: InterchangeEnum>(_ key: String) throws(RecordError) -> E {
        guard let e: E = try enumValue(key) else { throw RecordError(field: name(key), "missing") }
        return e
    }

    mutating func date(_ key: String) throws(RecordError) -> LocalDate? {
        guard let s = try string(key) else { return nil }
        guard let d = LocalDate(s) else { throw RecordError(field: name(key), "not a date YYYY-MM-DD: \"\(s)\"") }
        return d
    }

    mutating func requiredDate(_ key: String) throws(RecordError) -> LocalDate {
        guard let d = try date(key) else { throw RecordError(field: name(key), "missing") }
        return d
    }

    mutating func timestamp(_ key: String) throws(RecordError) -> Timestamp? {
        guard let s = try string(key) else { return nil }
        guard let t = Timestamp(s) else {
            throw RecordError(field: name(key), "not an RFC 3339 timestamp with an offset: \"\(s)\"")
        }
        return t
    }

    mutating func requiredTimestamp(_ key: String) throws(RecordError) -> Timestamp {
        guard let t = try timestamp(key) else { throw RecordError(field: name(key), "missing") }
        return t
    }

    mutating func int(_ key: String) throws(RecordError) -> Int? {
        guard let v = any(key) else { return nil }
        guard case let .number(n) = v, let i = Int(n) else {
            throw RecordError(field: name(key), "must be a whole number")
        }
        return i
    }

    /// A list of ID references: each a non-empty string of at most 64 bytes, named `key[n]` when at fault.
    mutating func ids(_ key: String) throws(RecordError) -> [String]? {
        guard let v = any(key) else { return nil }
        guard case let .array(items) = v else { throw RecordError(field: name(key), "must be a list of strings") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (n, item) in items.enumerated() {
            guard case let .string(s) = item, !s.isEmpty else {
                throw RecordError(field: "\(name(key))[\(n)]", "must be a non-empty string")
            }
            try checkIDLength(s, field: "\(name(key))[\(n)]")
            out.append(s)
        }
        return out
    }

    mutating func requiredIDs(_ key: String) throws(RecordError) -> [String] {
        guard let list = try ids(key) else { throw RecordError(field: name(key), "missing (may be empty: [])") }
        return list
    }

    /// A list of objects, each decoded by `body`; unknown fields inside them are reported with their path.
    mutating func objects<T>(_ key: String, required: Bool,
                             _ body: (inout Fields) throws(RecordError) -> T) throws(RecordError) -> [T] {
        guard let v = any(key) else {
            if required { throw RecordError(field: name(key), "missing (may be empty: [])") }
            return []
        }
        guard case let .array(items) = v else { throw RecordError(field: name(key), "must be a list of objects") }
        var out: [T] = []
        for (n, item) in items.enumerated() {
            guard case let .object(m) = item else {
                throw RecordError(field: "\(name(key))[\(n)]", "must be an object")
            }
            var inner = Fields(m, prefix: "\(name(key))[\(n)].", stored: stored)
            out.append(try body(&inner))
            nested.append(contentsOf: inner.unused)
        }
        return out
    }

    /// Unknown fields found inside nested objects.
    private var nested: [String] = []

    var unusedIncludingNested: [String] { unused + nested }
}
