import AkashiDomain

/// Akashi's canonical JSON: the one byte form of a record, used for duplicate detection, export and ledger entries.
///
/// Rules: UTF-8, no white space, object keys sorted by their UTF-8 bytes, absent and `null` fields omitted,
/// strings escaped only where JSON requires (`"`, `\`, U+0000–U+001F; `\b \f \n \r \t` short forms, others
/// `\u00xx`), numbers as their literal text, dates `YYYY-MM-DD`, timestamps RFC 3339 in the offset they were
/// given (`+00:00` for `Z`), list fields whose absence means empty written as `[]`.
public struct CanonicalWriter {
    /// The bytes written so far.
    public var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Writes a JSON string with canonical escaping.
    public mutating func string(_ s: String) {
        bytes.append(0x22)
        var s = s
        s.withUTF8 { u in
            var runStart = 0
            for k in 0..<u.count {
                let c = u[k]
                guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<k]))
                runStart = k + 1
                bytes.append(0x5C)
                switch c {
                case 0x22: bytes.append(0x22)
                case 0x5C: bytes.append(0x5C)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<u.count]))
        }
        bytes.append(0x22)
    }

    /// Writes any JSON value, sorting object keys.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: bytes.append(contentsOf: Array("null".utf8))
        case let .bool(b): bytes.append(contentsOf: Array((b ? "true" : "false").utf8))
        case let .number(n): bytes.append(contentsOf: Array(n.utf8))
        case let .string(s): string(s)
        case let .array(items):
            bytes.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case let .object(members):
            bytes.append(UInt8(ascii: "{"))
            for (k, m) in members.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }).enumerated() {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                string(m.0)
                bytes.append(UInt8(ascii: ":"))
                value(m.1)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    // MARK: Objects written field by field (callers give keys in sorted order)

    /// Opens an object.
    public mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes an object.
    public mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Writes `"key":` with the comma before it where needed.
    public mutating func key(_ k: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(0x22)
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    public mutating func field(_ k: StaticString, _ s: String?) {
        guard let s else { return }
        key(k)
        string(s)
    }
    public mutating func field(_ k: StaticString, _ d: LocalDate?) { field(k, d?.description) }
    public mutating func field(_ k: StaticString, _ t: Timestamp?) { field(k, t?.description) }
    public mutating func field<E: InterchangeEnum>(_ k: StaticString, _ e: E?) { field(k, e?.rawValue) }
    public mutating func field(_ k: StaticString, _ n: Int?) {
        guard let n else { return }
        key(k)
        bytes.append(contentsOf: Array(String(n).utf8))
    }
    public mutating func field(_ k: StaticString, _ v: JSONValue?) {
        guard let v else { return }
        key(k)
        value(v)
    }
    public mutating func field(_ k: StaticString, _ list: [String]?) {
        guard let list else { return }
        key(k)
        bytes.append(UInt8(ascii: "["))
        for (n, s) in list.enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            string(s)
        }
        bytes.append(UInt8(ascii: "]"))
    }
    /// Writes a list of objects, each written by `body`.
    public mutating func objects<T>(_ k: StaticString, _ list: [T], _ body: (inout CanonicalWriter, T) -> Void) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        for (n, item) in list.enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            open()
            body(&self, item)
            close()
        }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }
}

extension Record {
    /// The canonical JSON bytes of this record (no trailing newline).
    public var canonicalJSON: [UInt8] {
        var w = CanonicalWriter()
        w.record(self)
        return w.bytes
    }
}

extension JournalEvent {
    /// The canonical JSON bytes of this event: its ledger entry.
    public var canonicalJSON: [UInt8] {
        var w = CanonicalWriter()
        w.journal(self)
        return w.bytes
    }
}

extension CanonicalWriter {
    /// Writes one record as a canonical JSON object, keys in byte order.
    public mutating func record(_ r: Record) {
        open()
        switch r {
        case let .office(o):
            field("code", o.code)
            field("municipality", o.municipality)
            field("name", o.name)
            field("type", "office")
        case let .staff(s):
            field("address", s.address)
            objects("assignments", s.assignments) { w, a in
                w.field("duty", a.duty)
                w.field("from", a.from)
                w.field("office", a.office)
                w.field("to", a.to)
            }
            field("id", s.id)
            field("name", s.name)
            field("person", s.person)
            field("role", s.role)
            field("type", "staff")
        case let .register(g):
            field("closed", g.closed)
            field("head", g.head)
            field("honseki", g.honseki)
            field("id", g.id)
            field("kind", g.kind)
            field("members", g.members)
            field("office", g.office)
            field("opened", g.opened)
            field("predecessors", g.predecessors)
            field("successors", g.successors)
            field("type", "register")
        case let .person(p):
            field("address", p.address)
            field("addressSince", p.addressSince)
            field("birth", p.birth)
            field("died", p.died)
            field("id", p.id)
            field("kana", p.kana)
            field("name", p.name)
            field("register", p.register)
            objects("relations", p.relations) { w, rel in
                w.field("kind", rel.kind)
                w.field("person", rel.person)
            }
            field("sex", p.sex)
            field("type", "person")
        case let .protection(p):
            field("from", p.from)
            field("kind", p.kind)
            field("note", p.note)
            field("person", p.person)
            field("to", p.to)
            field("type", "protection")
        case let .case(c):
            field("closed", c.closed)
            field("id", c.id)
            field("kind", c.kind)
            field("number", c.number)
            field("office", c.office)
            field("persons", c.persons)
            field("received", c.received)
            field("registers", c.registers)
            field("requester", c.requester)
            field("staff", c.staff)
            field("status", c.status)
            field("type", "case")
        case let .access(a):
            access(a)
        case let .selfReport(s):
            field("declares", s.declares)
            objects("items", s.items) { w, item in
                w.field("count", item.count)
                w.field("from", item.from)
                w.field("name", item.name)
                w.field("note", item.note)
                w.field("person", item.person)
                w.field("to", item.to)
            }
            field("staff", s.staff)
            field("submitted", s.submitted)
            field("survey", s.survey)
            field("type", "self_report")
        }
        close()
    }

    /// Writes a journal event as a canonical JSON object (`"type":"journal"`).
    public mutating func journal(_ e: JournalEvent) {
        open()
        field("at", e.at)
        field("detail", e.detail)
        field("id", e.id)
        field("kind", e.kind)
        field("office", e.office)
        field("staff", e.staff)
        field("subject", e.subject)
        field("terminal", e.terminal)
        field("type", "journal")
        close()
    }

    /// The fields of an access event (the object braces are the caller's).
    mutating func access(_ a: AccessEvent) {
        field("action", a.action)
        field("at", a.at)
        field("case", a.caseID)
        field("function", a.function)
        field("id", a.id)
        field("office", a.office)
        field("outcome", a.outcome)
        field("person", a.person)
        field("query", a.query)
        field("reason", a.reason)
        field("record", a.record)
        field("register", a.register)
        field("results", a.results)
        field("screen", a.screen)
        field("staff", a.staff)
        field("terminal", a.terminal)
        field("type", "access")
    }
}
