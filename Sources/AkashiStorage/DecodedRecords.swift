import AkashiDomain
import AkashiInterchange
import Foundation

/// Decoded reference records by their exact document bytes: the request path reads the same staff member, register,
/// case and persons over and over, and decoding a document (JSON to a record) cost more than reading it (about a
/// tenth of a register view's CPU under load). Shared by the stores (each keeps one). Keyed by the bytes, so a changed document is simply a new key:
/// nothing to invalidate, and an answer is always what decoding those bytes gives. Bounded: emptied when full.
public final class DecodedRecords: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [Document: Record] = [:]
    private let limit: Int

    public init(limit: Int = 8192) { self.limit = limit }

    /// The record the document `bytes` holds (nil when it is of a type this version does not know). A document that
    /// does not decode is an error, never "no record": a protection (DV support) read as absent would let its 附票 be
    /// shown without the second approval.
    public func record(_ bytes: [UInt8]) throws -> Record? {
        lock.lock()
        let hit = records[Document(bytes: bytes)]
        lock.unlock()
        if let hit { return hit }
        let line: DecodedLine
        do {
            line = try RecordDecoder.decodeStored(line: bytes)
        } catch {
            throw StoreError(.damaged, "a stored record does not decode; the store may be damaged: run `akashi ledger verify`", cause: error)
        }
        guard case let .record(r, _) = line else { return nil }
        lock.lock()
        if records.count >= limit { records.removeAll(keepingCapacity: true) }
        records[Document(bytes: bytes)] = r
        lock.unlock()
        return r
    }

    /// Document bytes as a key, hashed as one block (an array of bytes hashes element by element).
    private struct Document: Hashable {
        let bytes: [UInt8]
        func hash(into h: inout Hasher) { bytes.withUnsafeBytes { h.combine(bytes: $0) } }
    }

    /// How many records are cached (for tests).
    public var countForTesting: Int {
        lock.lock()
        defer { lock.unlock() }
        return records.count
    }
}
