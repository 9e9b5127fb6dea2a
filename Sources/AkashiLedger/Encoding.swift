/// Strict, allocation-light base64 (RFC 4648 standard alphabet, padded, canonical) and lowercase hex.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let outCount = (input.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: outCount) { out in
            var o = 0
            var i = 0
            while i + 3 <= input.count {
                let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                out[o] = alphabet[Int(v >> 18 & 63)]
                out[o + 1] = alphabet[Int(v >> 12 & 63)]
                out[o + 2] = alphabet[Int(v >> 6 & 63)]
                out[o + 3] = alphabet[Int(v & 63)]
                o += 4
                i += 3
            }
            let rest = input.count - i
            if rest > 0 {
                let v = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                out[o] = alphabet[Int(v >> 18 & 63)]
                out[o + 1] = alphabet[Int(v >> 12 & 63)]
                out[o + 2] = rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "=")
                out[o + 3] = UInt8(ascii: "=")
                o += 4
            }
            return o
        }
    }

    /// Appends the padded base64 of `bytes` to `out` (the same text as ``encode(_:)``).
    static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
    }

    /// Decodes canonical padded base64; nil for anything else (bad characters, missing padding, non-zero pad bits).
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 4 == 0 else { return nil }
        if utf8.isEmpty { return [] }
        var padding = 0
        if utf8[utf8.count - 1] == UInt8(ascii: "=") { padding += 1 }
        if utf8[utf8.count - 2] == UInt8(ascii: "=") { padding += 1 }
        if padding == 1 && utf8[utf8.count - 2] == UInt8(ascii: "=") { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 4 * 3)
        var i = 0
        while i < utf8.count {
            let isLast = i + 4 == utf8.count
            let pad = isLast ? padding : 0
            var v: UInt32 = 0
            for j in 0..<4 {
                let c = utf8[i + j]
                if j >= 4 - pad {
                    v <<= 6
                    continue
                }
                let d = table[Int(c)]
                if d == 0xFF { return nil }
                v = v << 6 | UInt32(d)
            }
            out.append(UInt8(v >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(v >> 8 & 0xFF)) } else if v >> 8 & 0xFF != 0 || v & 0xFF != 0 { return nil }
            if pad < 1 { out.append(UInt8(v & 0xFF)) } else if v & 0xFF != 0 { return nil }
            i += 4
        }
        return out
    }
}

/// Lowercase hexadecimal, as the ledger's formats and the stored token hashes write it.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses lowercase hex (an even number of digits, nothing else); nil otherwise.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        for k in stride(from: 0, to: utf8.count, by: 2) {
            guard let hi = digit(utf8[k]), let lo = digit(utf8[k + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    /// Parses exactly eight lowercase hex digits.
    static func parseUInt32(_ text: some StringProtocol) -> UInt32? {
        guard text.utf8.count == 8, let bytes = decode(text) else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func hex8(_ v: UInt32) -> String {
        encode([UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)])
    }
}

enum Decimal64 {
    /// Parses a canonical decimal UInt64: ASCII digits only, no sign, no leading zeros (except "0" itself).
    static func parse(_ text: some StringProtocol) -> UInt64? {
        let utf8 = Array(text.utf8)
        guard let first = utf8.first else { return nil }
        if first == UInt8(ascii: "0") && utf8.count > 1 { return nil }
        var v: UInt64 = 0
        for c in utf8 {
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }
}
