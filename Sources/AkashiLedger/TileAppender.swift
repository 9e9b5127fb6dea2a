/// Appends leaf hashes to a tiled log and reports every tile that changed, keeping only the right edge of the tree
/// in memory: per tile level, the current partial tile and its compact range (the roots of its complete subtrees).
///
/// Appending a batch costs one node hash per leaf (amortised) plus O(log n) for the root.
public struct TileAppender: Sendable {
    private struct Edge: Sendable {
        /// Items ever appended at this tile level (leaf count for level 0, full level-(l-1) tiles for level l).
        var count: UInt64 = 0
        /// The current partial tile's hashes, 32 bytes each.
        var bytes: [UInt8] = []
        /// Roots of the complete perfect subtrees of the partial tile, largest (leftmost) first.
        var stack: [LedgerHash] = []
        /// Whether the partial tile changed in the current batch.
        var dirty = false
    }

    /// The number of leaves appended so far.
    public private(set) var size: UInt64
    private var edges: [Edge]

    /// An appender for an empty log.
    public init() {
        size = 0
        edges = []
    }

    /// An appender for a log of `size` leaves whose tiles are in `source`; reads only the partial tile of each
    /// level. Stored tiles wider than `size` needs are truncated in memory (not rewritten until the next append).
    public init(size: UInt64, source: some TileSource) throws {
        self.size = size
        self.edges = []
        var level = 0
        while level < 8, size >> (8 * UInt64(level)) > 0 {
            let count = size >> (8 * UInt64(level))
            var edge = Edge(count: count)
            let width = Int(count & 255)
            if width > 0 {
                let index = count >> 8
                guard let tile = try source.tile(level: level, index: index) else {
                    throw LedgerError(
                        .missingTile,
                        "tile \(TilePath.hashTile(level: level, index: index, width: width)) is needed for size \(size) but is not stored"
                    )
                }
                guard tile.width >= width, tile.hashes.count % 32 == 0 else {
                    throw LedgerError(
                        .missingTile,
                        "tile \(tile.path) holds \(tile.width) hashes, size \(size) needs \(width)")
                }
                edge.bytes.reserveCapacity(Tile.fullWidth * 32)
                edge.bytes.append(contentsOf: tile.hashes[0..<(width * 32)])
                for position in 0..<width {
                    Self.merge(&edge.stack, tile.hash(at: position), position: UInt64(position))
                }
            }
            edges.append(edge)
            level += 1
        }
    }

    /// The RFC 9162 root of the tree of ``size`` leaves.
    public var root: LedgerHash {
        var result: LedgerHash? = nil
        for edge in edges {
            for h in edge.stack.reversed() {
                result = result.map { MerkleHash.node(h, $0) } ?? h
            }
        }
        return result ?? MerkleHash.emptyRoot
    }

    /// Appends leaf hashes and returns every tile that changed, at all levels: each tile that became full, and the
    /// new partial tile of each level that grew. Upsert them together with the new size.
    public mutating func append(_ leafHashes: [LedgerHash]) throws -> [Tile] {
        let (newSize, overflow) = size.addingReportingOverflow(UInt64(leafHashes.count))
        guard !overflow else {
            throw LedgerError(.treeTooLarge, "appending \(leafHashes.count) leaves to a log of \(size) overflows")
        }
        var changed: [Tile] = []
        for h in leafHashes {
            push(h, level: 0, into: &changed)
        }
        size = newSize
        for level in edges.indices where edges[level].dirty {
            edges[level].dirty = false
            if !edges[level].bytes.isEmpty {
                changed.append(Tile(level: level, index: edges[level].count >> 8, hashes: edges[level].bytes))
            }
        }
        return changed
    }

    private mutating func push(_ hash: LedgerHash, level: Int, into changed: inout [Tile]) {
        if level == edges.count {
            var edge = Edge()
            edge.bytes.reserveCapacity(Tile.fullWidth * 32)
            edges.append(edge)
        }
        let position = edges[level].count & 255
        edges[level].count += 1
        hash.withUnsafeBytes { edges[level].bytes.append(contentsOf: $0) }
        Self.merge(&edges[level].stack, hash, position: position)
        edges[level].dirty = true
        if position == 255 {
            let tileRoot = edges[level].stack[0]
            changed.append(Tile(level: level, index: (edges[level].count - 1) >> 8, hashes: edges[level].bytes))
            edges[level].bytes.removeAll(keepingCapacity: true)
            edges[level].stack.removeAll(keepingCapacity: true)
            push(tileRoot, level: level + 1, into: &changed)
        }
    }

    /// Adds the hash at `position` (0-based within its tile) to a compact range, merging completed subtrees.
    private static func merge(_ stack: inout [LedgerHash], _ hash: LedgerHash, position: UInt64) {
        var h = hash
        var p = position
        while p & 1 == 1 {
            h = MerkleHash.node(stack.removeLast(), h)
            p >>= 1
        }
        stack.append(h)
    }
}
