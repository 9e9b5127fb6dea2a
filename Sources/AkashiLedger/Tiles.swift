import Dispatch
import Foundation
import Synchronization

/// A C2SP tlog-tiles hash tile: up to 256 consecutive hashes at one tile level (height 8).
///
/// Level-0 tiles hold leaf hashes; a hash in a level-`l+1` tile is the root of a full level-`l` tile.
public struct Tile: Sendable, Equatable {
    /// Hashes per full tile.
    public static let fullWidth = 256

    /// The tile level (0 for leaf hashes).
    public var level: Int
    /// The tile's index within its level.
    public var index: UInt64
    /// The concatenated hashes, 32 bytes each, `32 * width` bytes in all.
    public var hashes: [UInt8]

    /// Creates a tile from its level, index and concatenated hashes.
    public init(level: Int, index: UInt64, hashes: [UInt8]) {
        self.level = level
        self.index = index
        self.hashes = hashes
    }

    /// The number of hashes (1...256; below 256 the tile is partial).
    public var width: Int { hashes.count / 32 }

    /// Whether the tile holds all 256 hashes.
    public var isFull: Bool { width == Tile.fullWidth }

    /// The hash at `position` (`0..<width`).
    public func hash(at position: Int) -> LedgerHash {
        precondition(position >= 0 && position < width, "tile position \(position) outside width \(width)")
        return hashes.withUnsafeBytes { LedgerHash(unsafe: UnsafeRawBufferPointer(rebasing: $0[(position * 32)...])) }
    }

    /// The tile's path under the log prefix, e.g. `tile/0/x001/x234/067.p/12`.
    public var path: String { TilePath.hashTile(level: level, index: index, width: width) }
}

/// Where a tile path points (parsed by ``TilePath/parse(_:)``).
public enum TileAddress: Sendable, Equatable, Hashable {
    /// A hash tile at `level`, number `index`, with `width` hashes (256 for a full tile).
    case hashes(level: Int, index: UInt64, width: Int)
    /// An entry bundle number `index` with `width` entries (256 for a full bundle).
    case entries(index: UInt64, width: Int)
}

/// C2SP tlog-tiles paths, relative to the log prefix.
public enum TilePath {
    /// `tile/<L>/<N>[.p/<W>]`; the `.p/W` suffix is present when `width` < 256.
    public static func hashTile(level: Int, index: UInt64, width: Int) -> String {
        "tile/\(level)/" + encode(index: index, width: width)
    }

    /// `tile/entries/<N>[.p/<W>]`; the `.p/W` suffix is present when `width` < 256.
    public static func entryBundle(index: UInt64, width: Int) -> String {
        "tile/entries/" + encode(index: index, width: width)
    }

    /// The tile index in groups of three digits, each but the last prefixed by `x`: 1234067 → `x001/x234/067`.
    public static func encode(index: UInt64) -> String {
        var groups: [String] = []
        var n = index
        repeat {
            let g = n % 1000
            n /= 1000
            let digits = String(g)
            groups.append(String(repeating: "0", count: 3 - digits.count) + digits)
        } while n > 0
        groups.reverse()
        return groups.dropLast().map { "x" + $0 + "/" }.joined() + groups[groups.count - 1]
    }

    private static func encode(index: UInt64, width: Int) -> String {
        let base = encode(index: index)
        return width < Tile.fullWidth ? base + ".p/\(width)" : base
    }

    /// Parses a path produced by ``hashTile(level:index:width:)`` or ``entryBundle(index:width:)``, refusing any
    /// non-canonical spelling (missing `x`, extra leading groups, leading zeros, width outside 1...255).
    public static func parse(_ path: String) throws -> TileAddress {
        func fail(_ why: String) -> LedgerError {
            LedgerError(.malformedTilePath, "tile path \"\(path)\" is malformed: \(why)")
        }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "tile" else { throw fail("it must start with tile/<level>/") }
        let kind = parts[1]
        parts.removeFirst(2)
        var width = Tile.fullWidth
        if parts.count >= 2, parts[parts.count - 2].hasSuffix(".p") {
            guard let w = Decimal64.parse(parts[parts.count - 1]), w >= 1, w <= 255 else {
                throw fail("a partial width must be 1 to 255")
            }
            width = Int(w)
            parts.removeLast()
            parts[parts.count - 1].removeLast(2)
        }
        var index: UInt64 = 0
        for (i, group) in parts.enumerated() {
            var digits = Substring(group)
            if i < parts.count - 1 {
                guard digits.first == "x" else { throw fail("every index group but the last starts with x") }
                digits = digits.dropFirst()
            }
            guard digits.count == 3, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let g = UInt64(digits)
            else { throw fail("index groups are three digits") }
            let (m, o1) = index.multipliedReportingOverflow(by: 1000)
            let (a, o2) = m.addingReportingOverflow(g)
            guard !o1, !o2 else { throw fail("the index does not fit in 64 bits") }
            index = a
        }
        guard encode(index: index) == parts.joined(separator: "/") else {
            throw fail("the index is not written canonically")
        }
        if kind == "entries" { return .entries(index: index, width: width) }
        guard let level = Decimal64.parse(kind), level < 64 else { throw fail("the level must be 0 to 63") }
        return .hashes(level: Int(level), index: index, width: width)
    }
}

/// Reads stored hash tiles.
public protocol TileSource: Sendable {
    /// The tile at `level`, number `index`, as currently stored (full, or the latest partial), or nil if none is.
    func tile(level: Int, index: UInt64) throws -> Tile?
    /// The stored tiles among `indexes` at `level` (missing ones left out), in one read where the source can.
    func tiles(level: Int, indexes: [UInt64]) throws -> [Tile]
}

extension TileSource {
    /// One ``tile(level:index:)`` per index.
    public func tiles(level: Int, indexes: [UInt64]) throws -> [Tile] {
        try indexes.compactMap { try tile(level: level, index: $0) }
    }
}

/// Answers perfect-subtree hashes from stored tiles; subtrees inside a tile are recomputed from the tile's hashes.
///
/// Expanded tiles are kept in a small shared cache (copies of this value share it), so keep one `TiledHashes` per
/// log and make a ``LogProver`` from it per request.
public struct TiledHashes: SubtreeHashSource, Sendable {
    private let source: any TileSource
    private let cache: TileCache

    /// Reads tiles from `source`, caching up to `cacheCapacity` expanded tiles (each about 16 KB).
    public init(source: some TileSource, cacheCapacity: Int = 256) {
        self.source = source
        self.cache = TileCache(capacity: max(1, cacheCapacity))
    }

    /// The hash of the perfect subtree of `2^level` leaves starting at leaf `index * 2^level`.
    public func hash(level: Int, index: UInt64) throws -> LedgerHash {
        let at = try Self.locate(level: level, index: index)
        let expanded = try expandedTile(level: at.key.level, index: at.key.index, width: at.needed)
        return expanded.levels[at.inner][at.offset >> at.inner]
    }

    /// A view for one request on one thread (e.g. all receipts of one report): it keeps every expanded tile it has
    /// used, so each tile is looked up in the shared cache (under its lock) at most once per request.
    public func requestView() -> RequestTiledHashes { RequestTiledHashes(self) }

    /// Where the subtree hash lives: its tile, the level inside the tile, its first position, and the tile width it
    /// needs.
    static func locate(level: Int, index: UInt64) throws -> (key: TileKey, inner: Int, offset: Int, needed: Int) {
        guard level >= 0, level < 64, index >> (64 - level) == 0 else {
            throw LedgerError(.indexOutOfRange, "there is no subtree at level \(level), index \(index)")
        }
        let inner = level % 8
        let first = index << inner
        let offset = Int(first & 255)
        return (TileKey(level: level / 8, index: first >> 8), inner, offset, offset + (1 << inner))
    }

    /// Reads the tiles at `level` among `indexes` that are not cached, in one read from the source, and caches
    /// them expanded. Best effort: a tile that is missing or malformed is left for ``hash(level:index:)`` to report.
    public func prefetch(level: Int, indexes: some Sequence<UInt64>) throws {
        let missing = Set(indexes).filter { cache.get(TileKey(level: level, index: $0)) == nil }
        guard !missing.isEmpty else { return }
        let tiles = try source.tiles(level: level, indexes: missing.sorted()).filter { tile in
            tile.level == level && missing.contains(tile.index) && tile.hashes.count % 32 == 0 && tile.width >= 1
                && tile.width <= Tile.fullWidth
        }
        // Expanding a tile is 255 hashes; many of them are spread over the cores.
        let parts = min(Parallelism.cores, tiles.count / 8)
        guard parts > 1 else {
            for tile in tiles { cache.put(TileKey(level: level, index: tile.index), ExpandedTile(tile)) }
            return
        }
        let shared = cache
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            var k = p
            while k < tiles.count {
                shared.put(TileKey(level: level, index: tiles[k].index), ExpandedTile(tiles[k]))
                k += parts
            }
        }
    }

    func expandedTile(level: Int, index: UInt64, width: Int) throws -> ExpandedTile {
        let key = TileKey(level: level, index: index)
        if let cached = cache.get(key), cached.width >= width { return cached }
        guard let tile = try source.tile(level: level, index: index) else {
            throw LedgerError(.missingTile, "tile \(TilePath.hashTile(level: level, index: index, width: 256)) is not stored")
        }
        guard tile.hashes.count % 32 == 0, tile.width <= Tile.fullWidth, tile.level == level, tile.index == index else {
            throw LedgerError(.malformedTile, "stored tile at level \(level), index \(index) is malformed")
        }
        guard tile.width >= width else {
            throw LedgerError(
                .missingTile,
                "tile \(tile.path) holds \(tile.width) hashes, \(width) are needed")
        }
        let expanded = ExpandedTile(tile)
        cache.put(key, expanded)
        return expanded
    }
}

/// A ``TiledHashes`` view for one request on one thread (not `Sendable`): expanded tiles it has used are kept in the
/// view, so repeated hashes from the same tile skip the shared cache and its lock. Make one per request and drop it.
public final class RequestTiledHashes: SubtreeHashSource {
    private let shared: TiledHashes
    private var tiles: [TileKey: ExpandedTile] = [:]

    init(_ shared: TiledHashes) {
        self.shared = shared
    }

    /// Reads, in one batch per tile level, the tiles holding the audit paths of `leaves` in a tree of `size` that
    /// the shared cache lacks (a report's receipts need tiles all over the log; one read each would dominate).
    public func prefetch(leaves: some Sequence<UInt64>, size: UInt64) throws {
        let leaves = Array(leaves)
        var level = 0
        // A tile at tile level t exists when the tree has at least one hash at tree level 8t.
        while level < 8, size >> (8 * UInt64(level)) > 0 {
            let shift = 8 * UInt64(level + 1)
            let lastTile = ((size >> (8 * UInt64(level))) - 1) >> 8
            try shared.prefetch(level: level, indexes: Set(leaves.lazy.map { $0 >> shift }.filter { $0 <= lastTile }))
            level += 1
        }
    }

    /// The hash of the perfect subtree of `2^level` leaves starting at leaf `index * 2^level`.
    public func hash(level: Int, index: UInt64) throws -> LedgerHash {
        let at = try TiledHashes.locate(level: level, index: index)
        let expanded: ExpandedTile
        if let kept = tiles[at.key], kept.width >= at.needed {
            expanded = kept
        } else {
            expanded = try shared.expandedTile(level: at.key.level, index: at.key.index, width: at.needed)
            tiles[at.key] = expanded
        }
        return expanded.levels[at.inner][at.offset >> at.inner]
    }
}

struct TileKey: Hashable, Sendable {
    var level: Int
    var index: UInt64
}

/// A tile with every complete inner subtree hash: `levels[k][i]` is the root of hashes `i*2^k ..< (i+1)*2^k`.
struct ExpandedTile: Sendable {
    let width: Int
    let levels: [[LedgerHash]]

    init(_ tile: Tile) {
        width = tile.width
        var levels: [[LedgerHash]] = []
        levels.reserveCapacity(8)
        var current = (0..<tile.width).map { tile.hash(at: $0) }
        levels.append(current)
        for _ in 1..<8 {
            var next: [LedgerHash] = []
            next.reserveCapacity(current.count / 2)
            var i = 0
            while i + 1 < current.count {
                next.append(MerkleHash.node(current[i], current[i + 1]))
                i += 2
            }
            levels.append(next)
            current = next
        }
        self.levels = levels
    }
}

/// A bounded FIFO cache of expanded tiles, safe to share between threads.
final class TileCache: Sendable {
    private struct State {
        var entries: [TileKey: ExpandedTile] = [:]
        var order: [TileKey] = []
        var next = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    func get(_ key: TileKey) -> ExpandedTile? {
        state.withLock { $0.entries[key] }
    }

    func put(_ key: TileKey, _ tile: ExpandedTile) {
        state.withLock { s in
            if s.entries.updateValue(tile, forKey: key) != nil { return }
            if s.order.count < capacity {
                s.order.append(key)
            } else {
                s.entries[s.order[s.next]] = nil
                s.order[s.next] = key
                s.next = (s.next + 1) % capacity
            }
        }
    }
}

/// An in-memory tile and entry-bundle store for tests and benchmarks. Thread-safe.
public final class InMemoryTileStore: TileSource, Sendable {
    private struct State {
        var tiles: [TileKey: Tile] = [:]
        var bundles: [UInt64: [UInt8]] = [:]
    }

    private let state = Mutex(State())

    /// An empty store.
    public init() {}

    /// The stored tile at `level`, `index`, or nil.
    public func tile(level: Int, index: UInt64) throws -> Tile? {
        state.withLock { $0.tiles[TileKey(level: level, index: index)] }
    }

    /// Inserts or replaces tiles (a wider tile replaces a partial one with the same level and index).
    public func upsert(_ tiles: [Tile]) {
        state.withLock { s in
            for tile in tiles { s.tiles[TileKey(level: tile.level, index: tile.index)] = tile }
        }
    }

    /// Inserts or replaces the entry bundle number `index`.
    public func upsertEntryBundle(index: UInt64, bytes: [UInt8]) {
        state.withLock { $0.bundles[index] = bytes }
    }

    /// The stored entry bundle number `index`, or nil.
    public func entryBundle(index: UInt64) -> [UInt8]? {
        state.withLock { $0.bundles[index] }
    }

    /// How many hash tiles are stored.
    public var tileCount: Int { state.withLock { $0.tiles.count } }
}

/// C2SP tlog-tiles entry bundles: each entry as a big-endian uint16 length followed by its bytes.
public enum EntryBundle {
    /// The largest entry a bundle can hold.
    public static let maxEntryLength = 65_535

    /// Encodes entries into a bundle. Every entry must be at most ``maxEntryLength`` bytes (a precondition; use
    /// ``checkedEncode(_:)`` to get an error instead).
    public static func encode(_ entries: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(0) { $0 + 2 + $1.count })
        for entry in entries {
            precondition(entry.count <= maxEntryLength, "entry of \(entry.count) bytes exceeds 65,535 bytes")
            out.append(UInt8(entry.count >> 8))
            out.append(UInt8(entry.count & 0xFF))
            out.append(contentsOf: entry)
        }
        return out
    }

    /// Encodes entries into a bundle, throwing ``LedgerError/Code/entryTooLarge`` for an entry over 65,535 bytes.
    public static func checkedEncode(_ entries: [[UInt8]]) throws -> [UInt8] {
        if let i = entries.firstIndex(where: { $0.count > maxEntryLength }) {
            throw LedgerError(
                .entryTooLarge, "entry \(i) has \(entries[i].count) bytes, more than the 65,535 an entry bundle allows")
        }
        return encode(entries)
    }

    /// Decodes a bundle into its entries; throws when a length prefix or entry is truncated.
    public static func decode(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard i + 2 <= bytes.count else {
                throw LedgerError(.malformedEntryBundle, "entry bundle ends inside the length of entry \(entries.count)")
            }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            i += 2
            guard i + length <= bytes.count else {
                throw LedgerError(
                    .malformedEntryBundle,
                    "entry bundle ends inside entry \(entries.count) (\(length) bytes announced, \(bytes.count - i) left)")
            }
            entries.append(Array(bytes[i..<(i + length)]))
            i += length
        }
        return entries
    }
}
