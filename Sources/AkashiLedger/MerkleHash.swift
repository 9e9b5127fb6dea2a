import Crypto
import Dispatch
import Foundation

/// RFC 9162 §2.1.1 Merkle tree hashing: `leaf = SHA-256(0x00 || entry)`, `node = SHA-256(0x01 || left || right)`.
public enum MerkleHash {
    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: LedgerHash = {
        SHA256().finalize().withUnsafeBytes { LedgerHash(unsafe: $0) }
    }()

    /// The leaf hash of an entry, hashed straight from its bytes (no concatenated copy).
    @inlinable
    public static func leaf(_ entry: UnsafeRawBufferPointer) -> LedgerHash {
        var hasher = SHA256()
        var prefix: UInt8 = 0x00
        Swift.withUnsafeBytes(of: &prefix) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: entry)
        return hasher.finalize().withUnsafeBytes { LedgerHash(unsafe: $0) }
    }

    /// The leaf hash of an entry. Contiguous collections (`[UInt8]`, `ArraySlice`, `Data`…) are hashed in place.
    @inlinable
    public static func leaf(_ entry: some Collection<UInt8>) -> LedgerHash {
        if let hash = entry.withContiguousStorageIfAvailable({ leaf(UnsafeRawBufferPointer($0)) }) {
            return hash
        }
        return Array(entry).withUnsafeBytes { leaf($0) }
    }

    /// The interior node hash of two children.
    @inlinable
    public static func node(_ l: LedgerHash, _ r: LedgerHash) -> LedgerHash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            buffer[0] = 0x01
            l.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            r.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0) }
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            return hasher.finalize().withUnsafeBytes { LedgerHash(unsafe: $0) }
        }
    }

    /// Leaf hashes of a batch of entries, in order, spread over all cores for large batches.
    ///
    /// The result array is allocated once and written in place; each worker hashes a contiguous chunk.
    public static func leaves(_ entries: [[UInt8]]) -> [LedgerHash] {
        let count = entries.count
        if count == 0 { return [] }
        return [LedgerHash](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = SendablePointer(base: buffer.baseAddress!)
            let cores = Parallelism.cores
            if count < 1024 || cores < 2 {
                for i in 0..<count {
                    (out.base + i).initialize(to: entries[i].withUnsafeBytes { leaf($0) })
                }
            } else {
                let chunks = min(cores * 4, count / 256)
                let chunkSize = (count + chunks - 1) / chunks
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let lo = chunk * chunkSize
                    let hi = min(count, lo + chunkSize)
                    var i = lo
                    while i < hi {
                        (out.base + i).initialize(to: entries[i].withUnsafeBytes { leaf($0) })
                        i += 1
                    }
                }
            }
            initialized = count
        }
    }
}

/// A pointer handed to concurrent workers that each write a disjoint range.
private struct SendablePointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<LedgerHash>
}
