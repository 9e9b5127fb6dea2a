/// A C2SP tlog-checkpoint body: origin, tree size, root hash, optional extension lines.
public struct Checkpoint: Sendable, Equatable {
    /// The log's origin line (for Akashi, also its signing key's name).
    public var origin: String
    /// The tree size.
    public var size: UInt64
    /// The RFC 9162 root of the tree of `size` leaves.
    public var root: LedgerHash
    /// Extension lines after the root, without newlines.
    public var extensions: [String]

    /// Creates a checkpoint.
    public init(origin: String, size: UInt64, root: LedgerHash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` and one line per extension.
    public var text: String {
        "\(origin)\n\(size)\n\(root.base64)\n" + extensions.map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint body strictly: non-empty origin, decimal size without sign or leading zeros, canonical
    /// base64 of exactly 32 bytes, non-empty extension lines, final newline, no control characters.
    public init(text: String) throws {
        func fail(_ why: String) -> LedgerError { LedgerError(.malformedCheckpoint, "checkpoint is malformed: \(why)") }
        guard text.utf8.last == 0x0A else { throw fail("it does not end with a newline") }
        guard SignedNote.isValidText(text) else { throw fail("it contains control characters") }
        let lines = text.utf8.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3 else { throw fail("it has \(lines.count) lines, at least 3 are needed") }
        guard !lines[0].isEmpty else { throw fail("the origin line is empty") }
        guard let size = Decimal64.parse(lines[1]) else {
            throw fail("the size \"\(lines[1])\" is not a decimal number without leading zeros")
        }
        guard let rootBytes = Base64.decode(lines[2]) else { throw fail("the root hash \"\(lines[2])\" is not base64") }
        guard let root = LedgerHash(bytes: rootBytes) else {
            throw fail("the root hash is \(rootBytes.count) bytes, not 32")
        }
        let extensions = Array(lines[3...])
        guard extensions.allSatisfy({ !$0.isEmpty }) else { throw fail("it has an empty extension line") }
        self.init(origin: lines[0], size: size, root: root, extensions: extensions)
    }

    /// Verifies a signed checkpoint note against `verifiers` and parses its body. When `requireOriginKey` is set
    /// (Akashi's policy), a key named like the origin must be among those that verified.
    public static func verified(
        note: String,
        verifiers: [NoteVerifier],
        requireOriginKey: Bool = true
    ) throws -> Checkpoint {
        let signed = try SignedNote(parsing: note)
        let good = try signed.verify(verifiers: verifiers)
        let checkpoint = try Checkpoint(text: signed.text)
        if requireOriginKey && !good.contains(where: { $0.name == checkpoint.origin }) {
            throw LedgerError(
                .noVerifiedSignature,
                "the checkpoint for \(checkpoint.origin) is not signed by a known key of that name")
        }
        return checkpoint
    }
}

/// A C2SP tlog-proof: an entry's index, its inclusion proof, optional extra data and the signed checkpoint the proof
/// is against — everything a resident needs, with the entry bytes and the log's public key, to check it offline.
public struct Receipt: Sendable, Equatable {
    /// The header line.
    public static let header = "c2sp.org/tlog-proof@v1"

    /// The leaf index of the entry.
    public var index: UInt64
    /// The inclusion proof, leaf side first.
    public var proof: [LedgerHash]
    /// Optional opaque application data.
    public var extra: [UInt8]?
    /// The signed checkpoint note (text, blank line, signatures).
    public var checkpoint: String

    /// Creates a receipt.
    public init(index: UInt64, proof: [LedgerHash], extra: [UInt8]? = nil, checkpoint: String) {
        self.index = index
        self.proof = proof
        self.extra = extra
        self.checkpoint = checkpoint
    }

    /// The receipt text: header, optional `extra <base64>`, `index <N>`, one base64 hash per line, a blank line,
    /// then the signed checkpoint.
    public var text: String {
        // Built as bytes in one buffer (a disclosure report makes one receipt per access).
        var out: [UInt8] = []
        out.reserveCapacity(48 + proof.count * 45 + (extra.map { $0.count / 3 * 4 + 12 } ?? 0) + checkpoint.utf8.count)
        out.append(contentsOf: Self.header.utf8)
        out.append(0x0A)
        if let extra {
            out.append(contentsOf: "extra ".utf8)
            out.append(contentsOf: Base64.encode(extra).utf8)
            out.append(0x0A)
        }
        out.append(contentsOf: "index ".utf8)
        out.append(contentsOf: String(index).utf8)
        out.append(0x0A)
        for hash in proof {
            hash.withUnsafeBytes { Base64.append($0, to: &out) }
            out.append(0x0A)
        }
        out.append(0x0A)
        out.append(contentsOf: checkpoint.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a receipt strictly (the signatures are checked by ``verify(entry:verifiers:)``, not here).
    public init(parsing text: String) throws {
        func fail(_ why: String) -> LedgerError { LedgerError(.malformedReceipt, "receipt is malformed: \(why)") }
        let bytes = Array(text.utf8)
        var split = -1
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
                split = i
                break
            }
            i += 1
        }
        guard split >= 0 else { throw fail("it has no blank line before the checkpoint") }
        var lines = bytes[0..<split].split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }[...]
        guard lines.first == Self.header else { throw fail("the first line is not \(Self.header)") }
        lines = lines.dropFirst()
        var extra: [UInt8]? = nil
        if let line = lines.first, line.hasPrefix("extra ") {
            guard let decoded = Base64.decode(line.dropFirst(6)) else { throw fail("the extra data is not base64") }
            extra = decoded
            lines = lines.dropFirst()
        }
        guard let indexLine = lines.first, indexLine.hasPrefix("index "),
            let index = Decimal64.parse(indexLine.dropFirst(6))
        else { throw fail("the index line is missing or not a decimal number") }
        lines = lines.dropFirst()
        var proof: [LedgerHash] = []
        for line in lines {
            guard let hash = LedgerHash(base64: line) else { throw fail("proof line \"\(line)\" is not a base64 hash") }
            proof.append(hash)
        }
        let checkpoint = String(decoding: bytes[(split + 2)...], as: UTF8.self)
        guard !checkpoint.isEmpty else { throw fail("the signed checkpoint is missing") }
        self.init(index: index, proof: proof, extra: extra, checkpoint: checkpoint)
    }

    /// Checks the checkpoint's signatures (a key named like the origin must verify), then that `entry` is the leaf
    /// at ``index`` of the checkpointed tree. Returns the checkpoint.
    @discardableResult
    public func verify(entry: [UInt8], verifiers: [NoteVerifier]) throws -> Checkpoint {
        try verify(leafHash: MerkleHash.leaf(entry), verifiers: verifiers)
    }

    /// Verifies the receipt for a leaf hash (SHA-256(0x00 || entry)) when the entry itself is not at hand: the
    /// checkpoint's signature, then the inclusion proof of the leaf at ``index``. Returns the verified checkpoint.
    @discardableResult
    public func verify(leafHash: LedgerHash, verifiers: [NoteVerifier]) throws -> Checkpoint {
        let checkpoint = try Checkpoint.verified(note: self.checkpoint, verifiers: verifiers)
        try MerkleProof.verifyInclusion(leafHash: leafHash, index: index, treeSize: checkpoint.size, proof: proof,
                                        root: checkpoint.root)
        return checkpoint
    }
}
