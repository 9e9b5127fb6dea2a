import Crypto
import Foundation

/// C2SP signed-note key names: non-empty, no Unicode white space, no `+`, no control characters.
enum NoteName {
    static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                !$0.properties.isWhitespace && $0 != "+" && $0.properties.generalCategory != .control
            }
    }

    /// First 4 bytes of SHA-256(name || 0x0A || type || public key), big-endian.
    static func keyID(name: String, type: UInt8, publicKey: some Collection<UInt8>) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, type] + Array(publicKey))
        return hasher.finalize().withUnsafeBytes { raw in
            raw.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}

/// An Ed25519 (type 0x01) signed-note verifier key, `<name>+<hex8 key ID>+<base64(0x01 || public key)>`.
public struct NoteVerifier: Sendable {
    /// The key name (for Akashi, the log's origin).
    public let name: String
    /// The key ID: first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
    public let keyID: UInt32
    /// The Ed25519 public key.
    public let publicKey: Curve25519.Signing.PublicKey

    /// Parses a verifier key. Splits on the first two `+` only; refuses bad names, bad base64, a type byte other
    /// than 0x01, a key that is not 32 bytes, and a key ID that does not match the name and key.
    ///
    /// The errors never quote the text: it may be a private signing key given by mistake (`PRIVATE+KEY+…`), which
    /// is refused as such.
    public init(text: String) throws {
        func fail(_ why: String) -> LedgerError { LedgerError(.malformedKey, "verifier key is malformed: \(why)") }
        guard !text.hasPrefix("PRIVATE+KEY") else {
            throw LedgerError(
                .malformedKey,
                "this is a private signing key (PRIVATE+KEY+…), not a verifier key: give the log's public verifier key "
                    + "(<name>+<key ID>+<key>, as printed by akashi ledger keygen), and keep the private key secret")
        }
        guard !text.isEmpty else { throw fail("it is empty") }
        guard let plus1 = text.firstIndex(of: "+") else { throw fail("it has no +") }
        let name = text[..<plus1]
        let rest = text[text.index(after: plus1)...]
        guard let plus2 = rest.firstIndex(of: "+") else { throw fail("it has only one +") }
        let hex = rest[..<plus2]
        let key64 = rest[rest.index(after: plus2)...]
        guard NoteName.isValid(name) else { throw fail("the name is empty or has spaces, + or control characters") }
        guard let id = Hex.parseUInt32(hex) else { throw fail("the key ID is not 8 lowercase hex digits") }
        guard let key = Base64.decode(key64) else { throw fail("the key is not valid base64") }
        guard key.count == 33 else { throw fail("the key is \(key.count) bytes, not 33 (type byte and 32-byte key)") }
        guard key[0] == 0x01 else { throw fail("the key type is \(key[0]), only Ed25519 (1) is supported") }
        let publicKey: Curve25519.Signing.PublicKey
        do {
            publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: key[1...])
        } catch {
            throw fail("the public key is not a valid Ed25519 key")
        }
        let computed = NoteName.keyID(name: String(name), type: 0x01, publicKey: key[1...])
        guard computed == id else {
            throw fail("the key ID \(hex) does not match the name and key (\(Hex.hex8(computed)))")
        }
        self.name = String(name)
        self.keyID = id
        self.publicKey = publicKey
    }

    /// Creates a verifier from a valid name and a public key.
    public init(name: String, publicKey: Curve25519.Signing.PublicKey) throws {
        guard NoteName.isValid(name) else {
            throw LedgerError(.malformedKey, "key name \"\(name)\" is empty or has spaces, + or control characters")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteName.keyID(name: name, type: 0x01, publicKey: publicKey.rawRepresentation)
    }

    /// The verifier key text, `<name>+<hex8>+<base64(0x01 || public key)>`.
    public var text: String {
        "\(name)+\(Hex.hex8(keyID))+" + Base64.encode([0x01] + Array(publicKey.rawRepresentation))
    }

    /// Whether `signature` (the 64-byte Ed25519 signature, without the key ID) signs `text`.
    public func verify(text: String, signature: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        return publicKey.isValidSignature(signature, for: Array(text.utf8))
    }
}

/// An Ed25519 signed-note signer.
public struct NoteSigner: Sendable {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    private let privateKey: Curve25519.Signing.PrivateKey

    /// A signer with a fresh random key.
    public static func generate(name: String) throws -> NoteSigner {
        try NoteSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// A signer from a name and an Ed25519 private key.
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        guard NoteName.isValid(name) else {
            throw LedgerError(.malformedKey, "key name \"\(name)\" is empty or has spaces, + or control characters")
        }
        self.name = name
        self.privateKey = privateKey
        self.keyID = NoteName.keyID(name: name, type: 0x01, publicKey: privateKey.publicKey.rawRepresentation)
    }

    /// Parses Go's signer key format `PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || 32-byte seed)>`, checking the key
    /// ID against the name and the derived public key.
    public init(privateKeyText text: String) throws {
        func fail(_ why: String) -> LedgerError { LedgerError(.malformedKey, "signer key is malformed: \(why)") }
        let prefix = "PRIVATE+KEY+"
        guard text.hasPrefix(prefix) else { throw fail("it does not start with PRIVATE+KEY+") }
        let rest = text.dropFirst(prefix.count)
        guard let plus1 = rest.firstIndex(of: "+") else { throw fail("it has no key ID") }
        let name = rest[..<plus1]
        let rest2 = rest[rest.index(after: plus1)...]
        guard let plus2 = rest2.firstIndex(of: "+") else { throw fail("it has no key") }
        let hex = rest2[..<plus2]
        let key64 = rest2[rest2.index(after: plus2)...]
        guard NoteName.isValid(name) else { throw fail("the name is empty or has spaces, + or control characters") }
        guard let id = Hex.parseUInt32(hex) else { throw fail("the key ID is not 8 lowercase hex digits") }
        guard let key = Base64.decode(key64), key.count == 33, key[0] == 0x01 else {
            throw fail("the key is not base64 of the type byte 1 and a 32-byte seed")
        }
        let privateKey: Curve25519.Signing.PrivateKey
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: key[1...])
        } catch {
            throw fail("the seed is not a valid Ed25519 seed")
        }
        try self.init(name: String(name), privateKey: privateKey)
        guard keyID == id else { throw fail("the key ID \(hex) does not match the name and key") }
    }

    /// The signer key text in Go's format (secret: store it like a password).
    public var privateKeyText: String {
        "PRIVATE+KEY+\(name)+\(Hex.hex8(keyID))+" + Base64.encode([0x01] + Array(privateKey.rawRepresentation))
    }

    /// The matching verifier.
    public var verifier: NoteVerifier {
        // The name was validated at init, so this cannot fail.
        try! NoteVerifier(name: name, publicKey: privateKey.publicKey)
    }

    /// The signature line for `text`: `— <name> <base64(key ID || signature)>` without its newline.
    public func signatureLine(text: String) -> String {
        precondition(SignedNote.isValidText(text), "note text must end in a newline and have no control characters")
        let signature: Data
        do {
            signature = try privateKey.signature(for: Array(text.utf8))
        } catch {
            preconditionFailure("Ed25519 signing failed: \(error)")
        }
        return "\u{2014} \(name) " + Base64.encode(NoteName.bigEndian(keyID) + Array(signature))
    }

    /// Signs `text` (non-empty, ending in `\n`, no control characters but `\n`; a precondition) and returns the
    /// whole signed note: the text, a blank line, and this key's signature line.
    public func sign(text: String) -> String {
        text + "\n" + signatureLine(text: text) + "\n"
    }
}

/// A C2SP signed note: text, then a blank line, then signature lines.
public struct SignedNote: Sendable {
    /// One signature line.
    public struct Signature: Sendable, Equatable {
        /// The key name.
        public var name: String
        /// The key ID (first 4 bytes of the decoded signature field).
        public var keyID: UInt32
        /// The signature bytes after the key ID (64 for Ed25519).
        public var signature: [UInt8]

        /// Creates a signature line value.
        public init(name: String, keyID: UInt32, signature: [UInt8]) {
            self.name = name
            self.keyID = keyID
            self.signature = signature
        }

        /// The line, `— <name> <base64(key ID || signature)>`, without its newline.
        public var line: String {
            "\u{2014} \(name) " + Base64.encode(NoteName.bigEndian(keyID) + signature)
        }
    }

    /// The most signature lines a note may have.
    public static let maxSignatures = 100

    /// The signed text, up to and including its final newline.
    public let text: String
    /// The signature lines, in order.
    public let signatures: [Signature]

    /// Parses a signed note. The text ends at the last blank line; refuses control characters other than `\n`, a
    /// missing final newline, and malformed or too many (over 100) signature lines.
    public init(parsing note: String) throws {
        func fail(_ why: String) -> LedgerError { LedgerError(.malformedNote, "signed note is malformed: \(why)") }
        let bytes = Array(note.utf8)
        for scalar in note.unicodeScalars where scalar != "\n" && scalar.properties.generalCategory == .control {
            throw fail("it contains the control character U+\(String(scalar.value, radix: 16, uppercase: true))")
        }
        var split = -1
        var i = bytes.count - 2
        while i >= 0 {
            if bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
                split = i
                break
            }
            i -= 1
        }
        guard split >= 0 else { throw fail("it has no blank line before the signatures") }
        let sigBytes = bytes[(split + 2)...]
        guard let last = sigBytes.last, last == 0x0A else { throw fail("it does not end with a signature line and newline") }
        var signatures: [Signature] = []
        for lineBytes in sigBytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            let line = String(decoding: lineBytes, as: UTF8.self)
            guard line.hasPrefix("\u{2014} ") else { throw fail("signature line \"\(line)\" does not start with \u{2014} and a space") }
            let body = line.dropFirst(2)
            guard let space = body.firstIndex(of: " ") else { throw fail("signature line \"\(line)\" has no signature") }
            let name = body[..<space]
            let b64 = body[body.index(after: space)...]
            guard NoteName.isValid(name) else { throw fail("signature line \"\(line)\" has an invalid key name") }
            guard let decoded = Base64.decode(b64), decoded.count >= 5 else {
                throw fail("signature line \"\(line)\" has an invalid base64 signature")
            }
            guard signatures.count < Self.maxSignatures else { throw fail("it has more than \(Self.maxSignatures) signatures") }
            let id = decoded.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            signatures.append(Signature(name: String(name), keyID: id, signature: Array(decoded.dropFirst(4))))
        }
        self.text = String(decoding: bytes[0...split], as: UTF8.self)
        self.signatures = signatures
    }

    /// A note from text and signatures (for adding cosignatures).
    public init(text: String, signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// The whole note: text, blank line, signature lines.
    public var serialized: String {
        text + "\n" + signatures.map { $0.line + "\n" }.joined()
    }

    /// Verifies the signatures against known keys (matched by name and key ID) and returns the keys that verified,
    /// each once. Signatures by unknown keys are ignored; any failing signature by a known key, or no verified
    /// signature at all, throws.
    @discardableResult
    public func verify(verifiers: [NoteVerifier]) throws -> [NoteVerifier] {
        var verified: [NoteVerifier] = []
        for signature in signatures {
            guard let verifier = verifiers.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else {
                continue
            }
            guard verifier.verify(text: text, signature: signature.signature) else {
                throw LedgerError(
                    .invalidSignature,
                    "the signature by \(verifier.name)+\(Hex.hex8(verifier.keyID)) does not verify")
            }
            if !verified.contains(where: { $0.name == verifier.name && $0.keyID == verifier.keyID }) {
                verified.append(verifier)
            }
        }
        guard !verified.isEmpty else {
            throw LedgerError(
                .noVerifiedSignature,
                "none of the note's \(signatures.count) signatures is by a known key")
        }
        return verified
    }

    /// Whether `text` can be signed: non-empty, ends in `\n`, no control characters other than `\n`.
    public static func isValidText(_ text: String) -> Bool {
        text.utf8.last == 0x0A
            && text.unicodeScalars.allSatisfy { $0 == "\n" || $0.properties.generalCategory != .control }
    }
}
