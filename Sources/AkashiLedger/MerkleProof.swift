/// RFC 9162 §2.1.3.2 and §2.1.4.2 proof verification.
public enum MerkleProof {
    /// Recomputes the root that an inclusion proof (audit path, leaf side first) leads to for `leafHash` at `index`
    /// in a tree of `treeSize` leaves. Throws when the index is outside the tree or the proof has the wrong length.
    public static func rootFromInclusionProof(
        leafHash: LedgerHash,
        index: UInt64,
        treeSize: UInt64,
        proof: [LedgerHash]
    ) throws -> LedgerHash {
        guard index < treeSize else {
            throw LedgerError(.indexOutOfRange, "leaf index \(index) is not inside a tree of size \(treeSize)")
        }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else {
                throw LedgerError(
                    .inclusionProofFailed,
                    "inclusion proof for leaf \(index) in a tree of size \(treeSize) has \(proof.count) hashes, too many")
            }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError(
                .inclusionProofFailed,
                "inclusion proof for leaf \(index) in a tree of size \(treeSize) has \(proof.count) hashes, too few")
        }
        return r
    }

    /// Verifies that `leafHash` is the leaf at `index` of the tree of `treeSize` leaves whose root is `root`.
    public static func verifyInclusion(
        leafHash: LedgerHash,
        index: UInt64,
        treeSize: UInt64,
        proof: [LedgerHash],
        root: LedgerHash
    ) throws {
        let computed = try rootFromInclusionProof(leafHash: leafHash, index: index, treeSize: treeSize, proof: proof)
        guard computed == root else {
            throw LedgerError(
                .inclusionProofFailed,
                "inclusion proof for leaf \(index) leads to root \(computed.base64), not the expected root \(root.base64) of the tree of size \(treeSize)"
            )
        }
    }

    /// Verifies that the tree of `newSize` leaves with root `newRoot` extends the tree of `oldSize` leaves with root
    /// `oldRoot`. A proof from size 0 is refused (it proves nothing); equal sizes need an empty proof and equal roots.
    public static func verifyConsistency(
        oldSize: UInt64,
        newSize: UInt64,
        oldRoot: LedgerHash,
        newRoot: LedgerHash,
        proof: [LedgerHash]
    ) throws {
        guard oldSize > 0 else {
            throw LedgerError(.consistencyProofFailed, "a consistency proof from the empty tree (size 0) proves nothing")
        }
        guard oldSize <= newSize else {
            throw LedgerError(
                .consistencyProofFailed, "old tree size \(oldSize) is larger than new tree size \(newSize)")
        }
        if oldSize == newSize {
            guard proof.isEmpty else {
                throw LedgerError(
                    .consistencyProofFailed,
                    "consistency proof between equal sizes \(oldSize) must be empty, it has \(proof.count) hashes")
            }
            guard oldRoot == newRoot else {
                throw LedgerError(
                    .consistencyProofFailed,
                    "trees of equal size \(oldSize) have different roots \(oldRoot.base64) and \(newRoot.base64)")
            }
            return
        }
        // RFC 9162 §2.1.4.2: if the old size is a power of two, the old root is the first path element.
        let prependOldRoot = oldSize & (oldSize - 1) == 0
        let pathCount = proof.count + (prependOldRoot ? 1 : 0)
        guard proof.count > 0 else {
            throw LedgerError(
                .consistencyProofFailed, "consistency proof from size \(oldSize) to \(newSize) is empty")
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        let first = prependOldRoot ? oldRoot : proof[0]
        var fr = first
        var sr = first
        var position = prependOldRoot ? 0 : 1
        while position < proof.count {
            let c = proof[position]
            position += 1
            guard sn != 0 else {
                throw LedgerError(
                    .consistencyProofFailed,
                    "consistency proof from size \(oldSize) to \(newSize) has \(pathCount) path hashes, too many")
            }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError(
                .consistencyProofFailed,
                "consistency proof from size \(oldSize) to \(newSize) has \(pathCount) path hashes, too few")
        }
        guard fr == oldRoot else {
            throw LedgerError(
                .consistencyProofFailed,
                "consistency proof from size \(oldSize) to \(newSize) leads to old root \(fr.base64), not \(oldRoot.base64)")
        }
        guard sr == newRoot else {
            throw LedgerError(
                .consistencyProofFailed,
                "consistency proof from size \(oldSize) to \(newSize) leads to new root \(sr.base64), not \(newRoot.base64)")
        }
    }
}
