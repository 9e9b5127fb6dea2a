import AkashiLedger
import Testing

/// ``LogProver/inclusionProofs(indexes:)`` (one walk for many leaves) gives exactly the proofs of
/// ``LogProver/inclusionProof(index:)``, through the shared tile cache and through a per-request view.
@Suite("Shared-walk inclusion proofs")
struct SharedProofTests {
    /// A deterministic spread of indexes in `0..<size` with the edges, neighbours and tile boundaries.
    static func indexes(size: UInt64, seed: UInt64, count: Int) -> [UInt64] {
        var out: Set<UInt64> = [0, size - 1, size / 2]
        for b in [255, 256, 257, 65_535, 65_536, 65_537] as [UInt64] where b < size { out.insert(b) }
        var state = seed
        for _ in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let i = (state >> 33) % size
            out.insert(i)
            if i + 1 < size { out.insert(i + 1) }
        }
        return Array(out)
    }

    /// Every size 1…70 and every subset shape: all indexes, each single index, every other index, and duplicates.
    @Test func everySmallSize() throws {
        var log = TestLog()
        try log.grow(to: 70, batchSizes: [1, 2, 3, 5, 1, 7, 11, 4])
        let hashes = TiledHashes(source: log.store)
        for size in 1...70 {
            let prover = LogProver(size: UInt64(size), source: hashes)
            let viewProver = LogProver(size: UInt64(size), source: hashes.requestView())
            let all = (0..<UInt64(size)).map { $0 }
            let single = try all.map { try prover.inclusionProof(index: $0) }
            for subset in [all, all.filter { $0 % 2 == 1 }, all.reversed() + all, [all[all.count / 2]]] {
                let shared = try prover.inclusionProofs(indexes: subset)
                let viewed = try viewProver.inclusionProofs(indexes: subset)
                #expect(shared.count == Set(subset).count)
                for i in subset {
                    #expect(shared[i] == single[Int(i)], "size \(size), index \(i)")
                    #expect(viewed[i] == single[Int(i)], "size \(size), index \(i) through a request view")
                }
            }
        }
    }

    /// Sizes around tile and level boundaries in a 70,000-leaf log (level-2 tiles exist), many indexes each.
    @Test(arguments: [1, 2, 255, 256, 257, 511, 4097, 65_535, 65_536, 65_537, 69_999, 70_000] as [UInt64])
    func sizesAcrossTileLevels(size: UInt64) throws {
        var log = TestLog()
        try log.grow(to: 70_000, batchSizes: [1, 255, 3, 256, 1000, 7, 4097, 300])
        let hashes = TiledHashes(source: log.store, cacheCapacity: 4)
        let root = naiveRoot(log.leaves[0..<Int(size)])
        let wanted = Self.indexes(size: size, seed: size, count: 300)
        let prover = LogProver(size: size, source: hashes)
        let shared = try LogProver(size: size, source: hashes.requestView()).inclusionProofs(indexes: wanted)
        #expect(shared.count == wanted.count)
        for i in wanted {
            let proof = try #require(shared[i])
            #expect(proof == (try prover.inclusionProof(index: i)), "size \(size), index \(i)")
            try MerkleProof.verifyInclusion(leafHash: log.leaves[Int(i)], index: i, treeSize: size, proof: proof, root: root)
        }
    }

    /// A request view of a log that grew after the view was made: complete subtrees do not change, and the
    /// view still answers proofs for the larger tree.
    @Test func requestViewAcrossGrowth() throws {
        var log = TestLog()
        try log.grow(to: 1000, batchSizes: [300])
        let hashes = TiledHashes(source: log.store)
        let view = hashes.requestView()
        let early = try LogProver(size: 1000, source: view).inclusionProofs(indexes: [0, 500, 999])
        try log.grow(to: 1300, batchSizes: [300])
        let late = try LogProver(size: 1300, source: view).inclusionProofs(indexes: [0, 500, 999, 1299])
        for (i, proof) in late {
            #expect(proof == (try LogProver(size: 1300, source: hashes).inclusionProof(index: i)))
        }
        for (i, proof) in early {
            #expect(proof == (try LogProver(size: 1000, source: hashes).inclusionProof(index: i)))
        }
    }

    @Test func emptyAndOutOfRange() throws {
        var log = TestLog()
        try log.grow(to: 10, batchSizes: [10])
        let prover = LogProver(size: 10, source: TiledHashes(source: log.store))
        #expect(try prover.inclusionProofs(indexes: []).isEmpty)
        #expect(try prover.inclusionProofs(indexes: [0]) == [0: try prover.inclusionProof(index: 0)])
        #expect(throws: LedgerError.self) { try prover.inclusionProofs(indexes: [3, 10]) }
        #expect(throws: LedgerError.self) { try LogProver(size: 0, source: TiledHashes(source: log.store)).inclusionProofs(indexes: [0]) }
        // A tree larger than the stored log fails like a single proof does.
        #expect(throws: LedgerError.self) { try LogProver(size: 11, source: TiledHashes(source: log.store)).inclusionProofs(indexes: [0]) }
    }

    /// The receipt text is byte-for-byte the C2SP tlog-proof layout (built as bytes now): header, optional extra,
    /// index, one base64 hash per line, blank line, checkpoint.
    @Test func receiptTextLayout() throws {
        var log = TestLog()
        try log.grow(to: 13, batchSizes: [13])
        let proof = try LogProver(size: 13, source: TiledHashes(source: log.store)).inclusionProof(index: 5)
        let note = "example.com/log\n13\n\(log.appender.root.base64)\n\n— example.com/log AAAA\n"
        let extras: [([UInt8]?, String?)] = [(nil, nil), ([], ""), ([1], "AQ=="), ([1, 2], "AQI="), ([1, 2, 3], "AQID"),
                                             (Array("age-v1.2.1".utf8), "YWdlLXYxLjIuMQ==")]
        for (extra, base64) in extras {
            let receipt = Receipt(index: 5, proof: proof, extra: extra, checkpoint: note)
            let expected = "c2sp.org/tlog-proof@v1\n" + (base64.map { "extra \($0)\n" } ?? "") + "index 5\n"
                + proof.map { $0.base64 + "\n" }.joined() + "\n" + note
            #expect(receipt.text == expected)
            #expect(try Receipt(parsing: receipt.text) == receipt)
        }
        #expect(Receipt(index: UInt64.max, proof: [], checkpoint: "c\n").text == "c2sp.org/tlog-proof@v1\nindex 18446744073709551615\n\nc\n")
    }
}
