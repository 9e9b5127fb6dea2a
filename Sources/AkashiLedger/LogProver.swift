/// Answers the hash of any perfect subtree of a log that has been stored so far.
public protocol SubtreeHashSource {
    /// The hash of the perfect subtree of `2^level` leaves that starts at leaf `index * 2^level`.
    /// Throws when that subtree is not complete in the stored log.
    func hash(level: Int, index: UInt64) throws -> LedgerHash
}

/// Builds RFC 9162 roots, inclusion proofs and consistency proofs for a tree of `size` leaves (any size up to the
/// stored size) from perfect-subtree hashes. Ragged right edges are folded from perfect subtrees, so any size works.
public struct LogProver {
    /// The tree size the proofs are for.
    public let size: UInt64
    private let source: any SubtreeHashSource

    /// A prover for the tree made of the first `size` leaves of the log behind `source`.
    public init(size: UInt64, source: some SubtreeHashSource) {
        self.size = size
        self.source = source
    }

    /// The RFC 9162 root of the tree of ``size`` leaves (the empty-string hash when the size is 0).
    public func root() throws -> LedgerHash {
        size == 0 ? MerkleHash.emptyRoot : try subtreeRoot(0, size)
    }

    /// The audit path for the leaf at `index`, leaf side first (RFC 9162 §2.1.3.1).
    public func inclusionProof(index: UInt64) throws -> [LedgerHash] {
        guard index < size else {
            throw LedgerError(.indexOutOfRange, "leaf index \(index) is not inside a tree of size \(size)")
        }
        var proof: [LedgerHash] = []
        proof.reserveCapacity(64)
        var lo: UInt64 = 0
        var hi = size
        while hi - lo > 1 {
            let k = Self.largestPowerOfTwo(below: hi - lo)
            if index - lo < k {
                proof.append(try subtreeRoot(lo + k, hi))
                hi = lo + k
            } else {
                proof.append(try subtreeRoot(lo, lo + k))
                lo += k
            }
        }
        proof.reverse()
        return proof
    }

    /// The audit paths of many leaves at once, keyed by leaf index: one walk down the tree shared by all of them, so
    /// a subtree hash on several paths (the top of the tree, the ragged right edge) is computed once. Each path is
    /// the same as ``inclusionProof(index:)`` gives. Duplicate indexes are answered once; an empty list gives `[:]`.
    public func inclusionProofs(indexes: some Sequence<UInt64>) throws -> [UInt64: [LedgerHash]] {
        let sorted = Array(Set(indexes)).sorted()
        guard let last = sorted.last else { return [:] }
        guard last < size else {
            throw LedgerError(.indexOutOfRange, "leaf index \(last) is not inside a tree of size \(size)")
        }
        var proofs: [UInt64: [LedgerHash]] = [:]
        proofs.reserveCapacity(sorted.count)
        // The siblings from the root down to the current node; a leaf's audit path is this stack reversed.
        var stack: [LedgerHash] = []
        stack.reserveCapacity(64)
        /// Proofs for `sorted[a..<b]`, all inside leaves `lo..<hi`.
        func walk(_ lo: UInt64, _ hi: UInt64, _ a: Int, _ b: Int) throws {
            if hi - lo == 1 {
                proofs[sorted[a]] = stack.reversed()
                return
            }
            let mid = lo + Self.largestPowerOfTwo(below: hi - lo)
            // First position at or right of `mid` (binary search in the sorted slice).
            var l = a, r = b
            while l < r {
                let m = (l + r) / 2
                if sorted[m] < mid { l = m + 1 } else { r = m }
            }
            if a < l {
                stack.append(try subtreeRoot(mid, hi))
                try walk(lo, mid, a, l)
                stack.removeLast()
            }
            if l < b {
                stack.append(try subtreeRoot(lo, mid))
                try walk(mid, hi, l, b)
                stack.removeLast()
            }
        }
        try walk(0, size, 0, sorted.count)
        return proofs
    }

    /// The consistency proof from the tree of `oldSize` leaves to this tree (RFC 9162 §2.1.4.1).
    /// `oldSize` must be in `1...size`; equal sizes give an empty proof.
    public func consistencyProof(from oldSize: UInt64) throws -> [LedgerHash] {
        guard oldSize > 0 else {
            throw LedgerError(.indexOutOfRange, "a consistency proof from the empty tree (size 0) proves nothing")
        }
        guard oldSize <= size else {
            throw LedgerError(.indexOutOfRange, "old tree size \(oldSize) is larger than the tree size \(size)")
        }
        var proof: [LedgerHash] = []
        proof.reserveCapacity(64)
        var lo: UInt64 = 0
        var hi = size
        var complete = true
        while true {
            let n = hi - lo
            let m = oldSize - lo
            if m == n {
                if !complete { proof.append(try subtreeRoot(lo, hi)) }
                break
            }
            let k = Self.largestPowerOfTwo(below: n)
            if m <= k {
                proof.append(try subtreeRoot(lo + k, hi))
                hi = lo + k
            } else {
                proof.append(try subtreeRoot(lo, lo + k))
                lo += k
                complete = false
            }
        }
        proof.reverse()
        return proof
    }

    /// MTH of leaves `lo..<hi`, where `lo` is a multiple of every power of two in the decomposition of `hi - lo`.
    private func subtreeRoot(_ lo: UInt64, _ hi: UInt64) throws -> LedgerHash {
        let count = hi - lo
        // Fold right: start with the smallest (rightmost) perfect chunk, then prepend larger ones.
        var result: LedgerHash? = nil
        var remaining = count
        while remaining != 0 {
            let level = remaining.trailingZeroBitCount
            let chunkStart = lo + (count & ~((UInt64(2) << level) &- 1))
            let chunkSize = UInt64(1) << level
            guard chunkStart & (chunkSize - 1) == 0 else {
                throw LedgerError(.indexOutOfRange, "leaves \(lo)..<\(hi) are not a subtree of the Merkle tree")
            }
            let h = try source.hash(level: level, index: chunkStart >> level)
            result = result.map { MerkleHash.node(h, $0) } ?? h
            remaining &= remaining - 1
        }
        return result ?? MerkleHash.emptyRoot
    }

    /// The largest power of two strictly less than `n` (n ≥ 2).
    private static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }
}
