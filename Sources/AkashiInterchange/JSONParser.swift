import AkashiDomain

/// A strict RFC 8259 JSON parser over UTF-8 bytes, built for the import hot path.
///
/// It rejects what a lenient parser would silently repair: invalid UTF-8, duplicate object keys, lone
/// surrogate escapes, trailing garbage, control characters in strings. Errors carry the byte column. Keys are compared
/// as UTF-8 bytes, never by Unicode canonical equivalence.
public struct JSONParser: ~Copyable {
    /// Why a line is not JSON, and where (1-based byte column).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var column: Int
        public var description: String { "\(message) at column \(column)" }
    }

    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var i = 0
    private var depth = 0
    private static let maxDepth = 64

    private init(_ buffer: UnsafeBufferPointer<UInt8>) {
        base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
        end = buffer.count
    }

    /// Parses exactly one JSON value (surrounded by optional white space) from the bytes.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> JSONValue {
        var p = JSONParser(bytes)
        p.skipWS()
        let v = try p.value()
        p.skipWS()
        guard p.i == p.end else { throw p.fail("unexpected data after the JSON value") }
        return v
    }

    /// Parses one JSON value starting exactly at `start` (no white space skipped) and returns it with the index just
    /// past it; what follows is the caller's. `depth` is how deeply the value is already nested (its nesting counts
    /// against the same limit). The same strictness as ``parse(_:)-(UnsafeBufferPointer<UInt8>)``.
    static func parseValue(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, depth: Int) throws(Failure) -> (JSONValue, end: Int) {
        var p = JSONParser(bytes)
        p.i = start
        p.depth = depth
        let v = try p.value()
        return (v, p.i)
    }

    /// Parses one JSON value from an array of bytes.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let r: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buf in
            do throws(Failure) {
                return .success(try parse(buf))
            } catch {
                return .failure(error)
            }
        }
        return try r.get()
    }

    private func fail(_ m: String) -> Failure { Failure(message: m, column: i + 1) }

    @inline(__always) private mutating func skipWS() {
        while i < end {
            let c = base[i]
            if c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D { i += 1 } else { break }
        }
    }

    private mutating func value() throws(Failure) -> JSONValue {
        guard i < end else { throw fail("unexpected end of line") }
        switch base[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard i + n <= end else { throw fail("unexpected end of line") }
        for k in 0..<n where base[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
        i += n
    }

    private mutating func object() throws(Failure) -> JSONValue {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        defer { depth -= 1 }
        i += 1
        var members: [(String, JSONValue)] = []
        skipWS()
        if i < end, base[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWS()
            guard i < end, base[i] == UInt8(ascii: "\"") else { throw fail("expected a field name") }
            let keyStart = i
            let key = try string()
            // Byte for byte: Swift's `String ==` treats canonically equivalent keys (NFC "é", NFD "e\u{301}") as equal,
            // but they are distinct JSON keys.
            for m in members where m.0.utf8.elementsEqual(key.utf8) {
                i = keyStart
                throw fail("duplicate field \"\(key)\"")
            }
            skipWS()
            guard i < end, base[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            skipWS()
            members.append((key, try value()))
            skipWS()
            guard i < end else { throw fail("unexpected end of line in an object") }
            if base[i] == UInt8(ascii: ",") { i += 1; continue }
            if base[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw fail("expected ',' or '}'")
        }
    }

    private mutating func array() throws(Failure) -> JSONValue {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        defer { depth -= 1 }
        i += 1
        var items: [JSONValue] = []
        skipWS()
        if i < end, base[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipWS()
            items.append(try value())
            skipWS()
            guard i < end else { throw fail("unexpected end of line in an array") }
            if base[i] == UInt8(ascii: ",") { i += 1; continue }
            if base[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    private mutating func number() throws(Failure) -> String {
        let start = i
        if base[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, isDigit(base[i]) else { throw fail("invalid number") }
        if base[i] == UInt8(ascii: "0") { i += 1 } else { while i < end, isDigit(base[i]) { i += 1 } }
        if i < end, base[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(base[i]) else { throw fail("invalid number") }
            while i < end, isDigit(base[i]) { i += 1 }
        }
        if i < end, base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, isDigit(base[i]) else { throw fail("invalid number") }
            while i < end, isDigit(base[i]) { i += 1 }
        }
        return String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
    }

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// A string starting at the opening quote. The fast path copies runs without escapes straight into the result.
    private mutating func string() throws(Failure) -> String {
        i += 1
        let start = i
        // Fast scan: plain ASCII / UTF-8 without escapes.
        var ascii = true
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                let buf = UnsafeBufferPointer(start: base + start, count: i - start)
                i += 1
                if ascii { return String(decoding: buf, as: UTF8.self) }
                guard let s = String(validating: buf, as: UTF8.self) else {
                    i = start
                    throw fail("invalid UTF-8 in a string")
                }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in a string") }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        guard i < end else { throw fail("unterminated string") }
        // Slow path with escapes.
        var out = [UInt8](UnsafeBufferPointer(start: base + start, count: i - start))
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return s
            }
            if c < 0x20 { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < end else { break }
            let e = base[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < end, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") else {
                        throw fail("lone surrogate escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("lone surrogate escape")
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                i -= 1
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= end else { throw fail("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}
