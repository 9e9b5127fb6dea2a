import AkashiLedger
import Testing

@Suite("Generated proofs")
struct ProofGenerationTests {
    /// Every size 1…70, every index and every old size, from tiles built in small uneven batches.
    @Test func everySizeUpTo70() throws {
        var log = TestLog()
        try log.grow(to: 70, batchSizes: [1, 2, 3, 5, 1, 7, 11, 4])
        let hashes = TiledHashes(source: log.store)
        let roots = (0...70).map { naiveRoot(log.leaves[0..<$0]) }
        for (size, root) in log.rootsBySize {
            #expect(root == roots[Int(size)], "appender root at size \(size)")
        }
        for size in 1...70 {
            let prover = LogProver(size: UInt64(size), source: hashes)
            #expect(try prover.root() == roots[size])
            // Rebuilding the appender at any stored size gives the same root.
            #expect(try TileAppender(size: UInt64(size), source: log.store).root == roots[size])
            for index in 0..<size {
                let proof = try prover.inclusionProof(index: UInt64(index))
                try MerkleProof.verifyInclusion(
                    leafHash: log.leaves[index], index: UInt64(index), treeSize: UInt64(size), proof: proof,
                    root: roots[size])
            }
            for old in 1...size {
                let proof = try prover.consistencyProof(from: UInt64(old))
                try MerkleProof.verifyConsistency(
                    oldSize: UInt64(old), newSize: UInt64(size), oldRoot: roots[old], newRoot: roots[size],
                    proof: proof)
            }
        }
        #expect(try LogProver(size: 0, source: hashes).root() == MerkleHash.emptyRoot)
        #expect(throws: LedgerError.self) { try LogProver(size: 5, source: hashes).inclusionProof(index: 5) }
        #expect(throws: LedgerError.self) { try LogProver(size: 5, source: hashes).consistencyProof(from: 0) }
        #expect(throws: LedgerError.self) { try LogProver(size: 5, source: hashes).consistencyProof(from: 6) }
        #expect(throws: LedgerError.self) { try LogProver(size: 71, source: hashes).root() }
    }

    @Test func tamperedProofsAreRejected() throws {
        var log = TestLog()
        try log.grow(to: 70, batchSizes: [9])
        let prover = LogProver(size: 70, source: TiledHashes(source: log.store))
        let root = try prover.root()
        let oldRoot = naiveRoot(log.leaves[0..<37])
        let inclusion = try prover.inclusionProof(index: 42)
        let consistency = try prover.consistencyProof(from: 37)
        for i in inclusion.indices {
            var bad = inclusion
            var bytes = bad[i].bytes
            bytes[17] ^= 0x01
            bad[i] = LedgerHash(bytes: bytes)!
            #expect(throws: LedgerError.self) {
                try MerkleProof.verifyInclusion(leafHash: log.leaves[42], index: 42, treeSize: 70, proof: bad, root: root)
            }
        }
        for i in consistency.indices {
            var bad = consistency
            var bytes = bad[i].bytes
            bytes[0] ^= 0x80
            bad[i] = LedgerHash(bytes: bytes)!
            #expect(throws: LedgerError.self) {
                try MerkleProof.verifyConsistency(oldSize: 37, newSize: 70, oldRoot: oldRoot, newRoot: root, proof: bad)
            }
        }
        // Wrong leaf, wrong index, wrong size.
        #expect(throws: LedgerError.self) {
            try MerkleProof.verifyInclusion(leafHash: log.leaves[41], index: 42, treeSize: 70, proof: inclusion, root: root)
        }
        #expect(throws: LedgerError.self) {
            try MerkleProof.verifyInclusion(leafHash: log.leaves[42], index: 43, treeSize: 70, proof: inclusion, root: root)
        }
        #expect(throws: LedgerError.self) {
            try MerkleProof.verifyConsistency(oldSize: 36, newSize: 70, oldRoot: oldRoot, newRoot: root, proof: consistency)
        }
    }

    /// 70,000 leaves fill more than one level-1 tile (65,536 leaves), so level-2 tiles exist.
    @Test func spotSizesAcrossTileLevels() throws {
        var log = TestLog()
        try log.grow(to: 70_000, batchSizes: [1, 255, 3, 256, 1000, 7, 4097, 300])
        let hashes = TiledHashes(source: log.store)
        let sizes = [1, 255, 256, 257, 511, 4097, 65_535, 65_536, 65_537, 69_999, 70_000]
        var roots: [Int: LedgerHash] = [:]
        for size in sizes {
            roots[size] = naiveRoot(log.leaves[0..<size])
        }
        for (size, root) in log.rootsBySize {
            #expect(root == naiveRoot(log.leaves[0..<Int(size)]), "appender root at size \(size)")
        }
        // Level-1 and level-2 tiles hold the roots of full tiles below.
        let level1 = try #require(try log.store.tile(level: 1, index: 0))
        #expect(level1.width == 256)
        #expect(level1.hash(at: 5) == naiveRoot(log.leaves[(5 * 256)..<(6 * 256)]))
        let level2 = try #require(try log.store.tile(level: 2, index: 0))
        #expect(level2.width == 1)
        #expect(level2.hash(at: 0) == naiveRoot(log.leaves[0..<65_536]))
        let partial1 = try #require(try log.store.tile(level: 1, index: 1))
        #expect(partial1.width == (70_000 - 65_536) / 256)
        let partial0 = try #require(try log.store.tile(level: 0, index: 70_000 / 256))
        #expect(partial0.width == 70_000 % 256)

        for size in sizes {
            let root = try #require(roots[size])
            let prover = LogProver(size: UInt64(size), source: hashes)
            #expect(try prover.root() == root)
            #expect(try TileAppender(size: UInt64(size), source: log.store).root == root)
            var indices = Set([0, size - 1, size / 2, size / 3])
            for k in stride(from: 0, to: size, by: max(1, size / 37)) { indices.insert(k) }
            for index in indices {
                let proof = try prover.inclusionProof(index: UInt64(index))
                try MerkleProof.verifyInclusion(
                    leafHash: log.leaves[index], index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root)
            }
            for old in sizes where old <= size {
                let proof = try prover.consistencyProof(from: UInt64(old))
                try MerkleProof.verifyConsistency(
                    oldSize: UInt64(old), newSize: UInt64(size), oldRoot: try #require(roots[old]), newRoot: root,
                    proof: proof)
            }
        }
    }

    /// Measures nothing: a 1,000,000-leaf in-memory log gives consistent roots and proofs.
    @Test func millionLeafLogIsConsistent() throws {
        var log = TestLog()
        try log.grow(to: 1_000_000, batchSizes: [10_000, 3_331, 65_536, 1, 40_000])
        #expect(log.appender.size == 1_000_000)
        let hashes = TiledHashes(source: log.store)
        let sizes = log.rootsBySize.keys.sorted()
        let spot = [sizes[0], sizes[1], sizes[sizes.count / 3], sizes[sizes.count / 2], sizes[sizes.count - 2], 1_000_000]
        for size in spot {
            let root = try #require(log.rootsBySize[size])
            let prover = LogProver(size: size, source: hashes)
            #expect(try prover.root() == root)
            for index in [0, size / 7, size / 2, size - 1] {
                let proof = try prover.inclusionProof(index: index)
                try MerkleProof.verifyInclusion(
                    leafHash: log.leaves[Int(index)], index: index, treeSize: size, proof: proof, root: root)
            }
            for old in spot where old <= size {
                let proof = try prover.consistencyProof(from: old)
                try MerkleProof.verifyConsistency(
                    oldSize: old, newSize: size, oldRoot: try #require(log.rootsBySize[old]), newRoot: root, proof: proof)
            }
        }
        #expect(naiveRoot(log.leaves[...]) == log.appender.root)
    }
}
