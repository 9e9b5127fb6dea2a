/// A SHA-256 hash in the ledger's Merkle tree: exactly 32 bytes, stored inline (no heap allocation).
public struct LedgerHash: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline
    internal var storage: (UInt64, UInt64, UInt64, UInt64)

    @inlinable
    internal init(storage: (UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    /// The all-zero hash (a placeholder, not the empty tree's root: that is ``MerkleHash/emptyRoot``).
    public static let zero = LedgerHash(storage: (0, 0, 0, 0))

    /// Copies exactly 32 bytes from a raw buffer; the caller guarantees the count.
    @inlinable
    internal init(unsafe raw: UnsafeRawBufferPointer) {
        var s: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &s) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(32))) }
        self.storage = s
    }

    /// Creates a hash from exactly 32 bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var s: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &s) { out in
            var i = 0
            for b in bytes {
                out[i] = b
                i += 1
            }
        }
        self.storage = s
    }

    /// Creates a hash from canonical padded base64 of exactly 32 bytes; nil otherwise.
    public init?(base64: some StringProtocol) {
        guard let bytes = Base64.decode(base64) else { return nil }
        self.init(bytes: bytes)
    }

    /// Creates a hash from 64 lowercase hex digits (as ``hex`` writes it); nil otherwise.
    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Standard padded base64 of the 32 bytes (44 characters), as used in checkpoints and proofs.
    public var base64: String { withUnsafeBytes { Base64.encode($0) } }

    /// Lowercase hex of the 32 bytes (64 characters).
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    /// The hex form.
    public var description: String { hex }

    /// Calls `body` with the 32 bytes, without copying them to the heap.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// Byte-wise equality.
    @inlinable
    public static func == (lhs: LedgerHash, rhs: LedgerHash) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    /// Hashes all 32 bytes.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
