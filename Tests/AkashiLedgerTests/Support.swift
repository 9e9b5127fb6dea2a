import AkashiLedger
import Crypto
import Foundation

/// Loads files from the copied fixtures (never from /work/shared).
enum Fixtures {
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures directory missing from the test bundle")
        }
        return url
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relativePath))
    }

    /// Relative paths of every JSON file under `Fixtures/<directory>`, sorted.
    static func jsonFiles(under directory: String) -> [String] {
        let base = root.appendingPathComponent(directory)
        guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
            return []
        }
        var paths: [String] = []
        for case let url as URL in enumerator where url.pathExtension == "json" {
            let components = url.standardizedFileURL.pathComponents
            if let i = components.lastIndex(of: "Fixtures") {
                paths.append(components[(i + 1)...].joined(separator: "/"))
            }
        }
        return paths.sorted()
    }
}

/// Naive recursive RFC 9162 MTH over leaf hashes, the reference the generated proofs are checked against.
func naiveRoot(_ leaves: ArraySlice<LedgerHash>) -> LedgerHash {
    switch leaves.count {
    case 0: return MerkleHash.emptyRoot
    case 1: return leaves[leaves.startIndex]
    default:
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        let mid = leaves.startIndex + k
        return MerkleHash.node(naiveRoot(leaves[..<mid]), naiveRoot(leaves[mid...]))
    }
}

/// Deterministic test entries.
func testEntry(_ i: Int) -> [UInt8] {
    Array("entry \(i) of the Akashi test ledger".utf8)
}

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.utf8.makeIterator()
    while let hi = it.next(), let lo = it.next() {
        out.append(UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16)!)
    }
    return out
}

/// A log built in batches with ``TileAppender``, its tiles in an ``InMemoryTileStore``.
struct TestLog {
    let store = InMemoryTileStore()
    var appender = TileAppender()
    var leaves: [LedgerHash] = []
    /// The appender's root after each batch, by size.
    var rootsBySize: [UInt64: LedgerHash] = [:]

    mutating func append(_ batch: [LedgerHash]) throws {
        let tiles = try appender.append(batch)
        store.upsert(tiles)
        leaves += batch
        rootsBySize[appender.size] = appender.root
    }

    /// Appends `count` leaves in batches whose sizes cycle through `batchSizes`.
    mutating func grow(to count: Int, batchSizes: [Int]) throws {
        var b = 0
        while leaves.count < count {
            let n = min(batchSizes[b % batchSizes.count], count - leaves.count)
            b += 1
            let start = leaves.count
            try append(MerkleHash.leaves((start..<(start + n)).map(testEntry)))
        }
    }
}
