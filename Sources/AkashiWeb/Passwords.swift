import AkashiLedger
import Crypto
import Foundation
import _CryptoExtras

/// Password hashing with scrypt (RFC 7914): a random 16-byte salt per hash, the parameters kept with the hash as
/// `scrypt$<logN>$<r>$<p>$<salt base64>$<hash base64>`. A password is never stored, logged or echoed.
public enum PasswordHasher {
    /// Hashes a password with cost N = 2^`logN`.
    public static func hash(_ password: String, logN: Int = 15) throws -> String {
        let salt = Tokens.randomBytes(16)
        let key = try derive(password, salt: salt, logN: logN, r: 8, p: 1)
        return "scrypt$\(logN)$8$1$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// Whether `password` matches a stored hash (constant-time comparison; `false` for a malformed hash).
    public static func verify(_ password: String, hash stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]),
              let p = Int(parts[3]), (1...22).contains(logN), (1...32).contains(r), (1...16).contains(p),
              let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])),
              let key = try? derive(password, salt: [UInt8](salt), logN: logN, r: r, p: p)
        else { return false }
        return Tokens.constantTimeEqual(key, [UInt8](expected))
    }

    private static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: 1 << logN, blockSize: r, parallelism: p,
                                           maxMemory: 256 * 1024 * 1024)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Random tokens and their stored forms.
public enum Tokens {
    /// `n` bytes from the system's secure random generator.
    public static func randomBytes(_ n: Int) -> [UInt8] {
        // Eight bytes per draw from the system generator (one getrandom call each, not one per byte).
        var g = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(n + 8)
        while out.count < n { withUnsafeBytes(of: g.next() as UInt64) { out.append(contentsOf: $0) } }
        out.removeLast(out.count - n)
        return out
    }

    /// A fresh 256-bit token, base64url without padding (safe in a cookie and a header).
    public static func newToken() -> String { base64URL(randomBytes(32)) }

    /// The form a token is stored in: lower-case hex SHA-256.
    public static func storedHash(_ token: String) -> String { sha256Hex(Array(token.utf8)) }

    /// Lower-case hex SHA-256 of raw bytes.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).withUnsafeBytes { Hex.encode($0) }
    }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares without leaking where the first difference is.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in a.indices { d |= a[i] ^ b[i] }
        return d == 0
    }

    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    /// A new event ID: `W` + milliseconds + 12 random hex digits (well under the 64-byte limit).
    public static func eventID(millis: Int64) -> String {
        "W" + String(millis) + "-" + Hex.encode(randomBytes(6))
    }
}
