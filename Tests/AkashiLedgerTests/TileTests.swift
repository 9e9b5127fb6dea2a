import AkashiLedger
import Testing

@Suite("Tiles and entry bundles")
struct TileTests {
    @Test func hashTilePaths() {
        #expect(TilePath.hashTile(level: 0, index: 1_234_067, width: 256) == "tile/0/x001/x234/067")
        #expect(TilePath.hashTile(level: 0, index: 0, width: 256) == "tile/0/000")
        #expect(TilePath.hashTile(level: 1, index: 1000, width: 256) == "tile/1/x001/000")
        #expect(TilePath.hashTile(level: 2, index: 7, width: 12) == "tile/2/007.p/12")
        #expect(TilePath.hashTile(level: 0, index: 1_234_067, width: 1) == "tile/0/x001/x234/067.p/1")
        #expect(TilePath.entryBundle(index: 1_234_067, width: 256) == "tile/entries/x001/x234/067")
        #expect(TilePath.entryBundle(index: 5, width: 255) == "tile/entries/005.p/255")
        #expect(TilePath.encode(index: UInt64.max) == "x018/x446/x744/x073/x709/x551/615")
    }

    @Test(arguments: [
        TileAddress.hashes(level: 0, index: 1_234_067, width: 256),
        .hashes(level: 0, index: 0, width: 256),
        .hashes(level: 3, index: 999, width: 1),
        .hashes(level: 1, index: 1000, width: 255),
        .hashes(level: 0, index: UInt64.max, width: 256),
        .entries(index: 1_234_067, width: 256),
        .entries(index: 0, width: 17),
    ])
    func pathRoundTrip(_ address: TileAddress) throws {
        let path: String
        switch address {
        case .hashes(let level, let index, let width): path = TilePath.hashTile(level: level, index: index, width: width)
        case .entries(let index, let width): path = TilePath.entryBundle(index: index, width: width)
        }
        #expect(try TilePath.parse(path) == address)
    }

    @Test(arguments: [
        "tile/0/1234067", "tile/0/001/234/067", "tile/0/x000/067", "tile/0/x001/x234/67", "tile/0/67",
        "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/012", "tile/0/000.p/", "tile/00/000", "tile/-1/000",
        "tile/64/000", "tile/0/", "tile/0", "tiles/0/000", "/tile/0/000", "tile/0/x001/x234/067/", "tile/entries/0000",
        "tile/0/x1000/000", "tile/0/x018/x446/x744/x073/x709/x551/616", "tile/0/+12", "tile/ 0/000",
    ])
    func malformedPathsAreRefused(_ path: String) {
        #expect(throws: LedgerError.self, "\(path)") { try TilePath.parse(path) }
    }

    @Test func entryBundleRoundTrip() throws {
        let entries: [[UInt8]] = [[], [1], Array(repeating: 0xEE, count: 300), Array(repeating: 7, count: 65_535)]
        let bundle = EntryBundle.encode(entries)
        #expect(bundle.count == entries.reduce(0) { $0 + 2 + $1.count })
        #expect(Array(bundle[0..<5]) == [0, 0, 0, 1, 1])
        #expect(try EntryBundle.decode(bundle) == entries)
        #expect(try EntryBundle.checkedEncode(entries) == bundle)
        #expect(try EntryBundle.decode([]) == [])
        #expect(throws: LedgerError.self) { try EntryBundle.decode([0]) }
        #expect(throws: LedgerError.self) { try EntryBundle.decode([0, 3, 1, 2]) }
        let tooLarge = #expect(throws: LedgerError.self) {
            try EntryBundle.checkedEncode([[1], Array(repeating: 0, count: 65_536)])
        }
        #expect(tooLarge?.code == .entryTooLarge)
    }

    @Test func oversizedEntryIsAPreconditionFailureInEncode() async {
        await #expect(processExitsWith: .failure) {
            _ = EntryBundle.encode([Array(repeating: 0, count: 65_536)])
        }
    }

    @Test func appenderReportsEveryChangedTile() throws {
        var appender = TileAppender()
        let leaves = MerkleHash.leaves((0..<600).map(testEntry))
        // 300 leaves: full tile 0/000, partial 0/001.p/44 and partial 1/000.p/1.
        var tiles = try appender.append(Array(leaves[0..<300]))
        #expect(Set(tiles.map(\.path)) == ["tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"])
        #expect(appender.size == 300)
        // 10 more: only the level-0 partial changes.
        tiles = try appender.append(Array(leaves[300..<310]))
        #expect(tiles.map(\.path) == ["tile/0/001.p/54"])
        // Up to 512: tile 0/001 becomes full, level 1 grows to 2, level 0 has no partial tile.
        tiles = try appender.append(Array(leaves[310..<512]))
        #expect(Set(tiles.map(\.path)) == ["tile/0/001", "tile/1/000.p/2"])
        #expect(try appender.append([]).isEmpty)
        #expect(appender.root == naiveRoot(leaves[0..<512]))
        let full = try #require(tiles.first { $0.level == 0 })
        #expect(full.isFull)
        #expect(full.hash(at: 0) == leaves[256])
        #expect(full.hash(at: 255) == leaves[511])
    }

    @Test func appenderRebuildsFromTruncatedAndMissingTiles() throws {
        var log = TestLog()
        try log.grow(to: 600, batchSizes: [50])
        // Rebuilding at an older size reads the wider stored partial tile and uses its prefix.
        var rebuilt = try TileAppender(size: 530, source: log.store)
        #expect(rebuilt.root == naiveRoot(log.leaves[0..<530]))
        let tiles = try rebuilt.append(Array(log.leaves[530..<600]))
        #expect(tiles.map(\.path) == ["tile/0/002.p/88"])
        #expect(tiles[0] == (try log.store.tile(level: 0, index: 2)))
        #expect(rebuilt.root == log.appender.root)
        let empty = InMemoryTileStore()
        #expect(try TileAppender(size: 0, source: empty).root == MerkleHash.emptyRoot)
        let missing = #expect(throws: LedgerError.self) { try TileAppender(size: 5, source: empty) }
        #expect(missing?.code == .missingTile)
        #expect(throws: LedgerError.self) { try TileAppender(size: 601, source: log.store) }
    }

    @Test func tiledHashesReportMissingData() throws {
        var log = TestLog()
        try log.grow(to: 300, batchSizes: [300])
        let hashes = TiledHashes(source: log.store, cacheCapacity: 1)
        #expect(try hashes.hash(level: 0, index: 299) == log.leaves[299])
        #expect(try hashes.hash(level: 8, index: 0) == naiveRoot(log.leaves[0..<256]))
        #expect(try hashes.hash(level: 5, index: 8) == naiveRoot(log.leaves[256..<288]))
        #expect(throws: LedgerError.self) { try hashes.hash(level: 0, index: 300) }
        #expect(throws: LedgerError.self) { try hashes.hash(level: 6, index: 4) }
        #expect(throws: LedgerError.self) { try hashes.hash(level: 8, index: 1) }
        // The tile grows; a cached narrower copy is refreshed.
        try log.grow(to: 512, batchSizes: [1])
        #expect(try hashes.hash(level: 6, index: 7) == naiveRoot(log.leaves[448..<512]))
        #expect(try hashes.hash(level: 9, index: 0) == naiveRoot(log.leaves[0..<512]))
    }
}
