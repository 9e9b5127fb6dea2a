/// A compressed sparse row table: row `i` is `values[offsets[i] ..< offsets[i + 1]]`.
struct CSR: Sendable {
    let offsets: [Int32]
    let values: [Int32]
    /// For time-sorted case lists: the `received` millis of each value, parallel to ``values``.
    var times: [Int64] = []

    init(rows: [[Int32]]) {
        var o = [Int32]()
        o.reserveCapacity(rows.count + 1)
        var v = [Int32]()
        v.reserveCapacity(rows.reduce(0) { $0 + $1.count })
        o.append(0)
        for r in rows {
            v.append(contentsOf: r)
            o.append(Int32(v.count))
        }
        offsets = o
        values = v
    }

    /// Builds from (row, value) pairs; each row sorted and de-duplicated when `sortedUnique`.
    init(count: Int, pairs: [(Int32, Int32)], sortedUnique: Bool) {
        var counts = [Int32](repeating: 0, count: count + 1)
        for (r, _) in pairs { counts[Int(r) + 1] += 1 }
        for i in 0..<count { counts[i + 1] += counts[i] }
        var fill = counts
        var v = [Int32](repeating: 0, count: pairs.count)
        for (r, x) in pairs {
            v[Int(fill[Int(r)])] = x
            fill[Int(r)] += 1
        }
        if !sortedUnique {
            offsets = counts
            values = v
            return
        }
        var o = [Int32](repeating: 0, count: count + 1)
        var out = [Int32]()
        out.reserveCapacity(v.count)
        for i in 0..<count {
            let lo = Int(counts[i]), hi = Int(counts[i + 1])
            if hi - lo > 1 { v[lo..<hi].sort() }
            var last: Int32? = nil
            for j in lo..<hi where v[j] != last {
                out.append(v[j])
                last = v[j]
            }
            o[i + 1] = Int32(out.count)
        }
        offsets = o
        values = out
    }

    var rowCount: Int { offsets.count - 1 }

    @inline(__always) func range(_ i: Int32) -> Range<Int> {
        guard i >= 0, Int(i) < offsets.count - 1 else { return 0..<0 }
        return Int(offsets[Int(i)])..<Int(offsets[Int(i) + 1])
    }

    @inline(__always) func row(_ i: Int32) -> ArraySlice<Int32> { values[range(i)] }

    /// Binary search in a sorted row.
    @inline(__always) func contains(_ i: Int32, _ x: Int32) -> Bool {
        var lo = range(i).lowerBound, hi = range(i).upperBound
        while lo < hi {
            let mid = (lo + hi) >> 1
            let v = values[mid]
            if v == x { return true }
            if v < x { lo = mid + 1 } else { hi = mid }
        }
        return false
    }
}

/// A string → dense Int32 table: open addressing with a cheap hash of the UTF-8 bytes, the hash kept in the slot
/// so a probe touches one slot and one ID. The hot path avoids `Dictionary<String, _>` (SipHash and extra
/// cache misses dominate a sweep otherwise).
struct Interner: Sendable {
    struct Slot: Sendable {
        /// `hash << 32 | (index + 1)`; 0 = empty.
        var tag: UInt64
        /// The ID itself (IDs up to 15 bytes are stored inline, so a hit is one cache line).
        var key: String
    }

    private(set) var ids: [String] = []
    /// Open addressing; the count is a power of two, at most half full.
    private var slots: [Slot] = [Slot](repeating: Slot(tag: 0, key: ""), count: 16)

    @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for x in b { h = (h ^ UInt32(x)) &* 16_777_619 }
        return h ^ (h >> 15)
    }

    @inline(__always) static func hash(_ s: String) -> UInt32 {
        if let h = s.utf8.withContiguousStorageIfAvailable({ hash($0) }) { return h }
        var c = s
        return c.withUTF8 { hash($0) }
    }

    @inline(__always) private func find(_ s: String, _ h: UInt32) -> (slot: Int, index: Int32) {
        slots.withUnsafeBufferPointer { t in
            let mask = t.count - 1
            var i = Int(h) & mask
            let want = UInt64(h) << 32
            while true {
                let v = t[i].tag
                if v == 0 { return (i, -1) }
                if v & 0xFFFF_FFFF_0000_0000 == want, t[i].key == s { return (i, Int32(v & 0xFFFF_FFFF) - 1) }
                i = (i + 1) & mask
            }
        }
    }

    /// Interns an ID and returns its dense index; "" is never interned (-1): empty is unknown.
    @discardableResult mutating func intern(_ s: String) -> Int32 {
        guard !s.isEmpty else { return -1 }
        let h = Self.hash(s)
        let (slot, found) = find(s, h)
        if found >= 0 { return found }
        let k = Int32(ids.count)
        ids.append(s)
        slots[slot] = Slot(tag: (UInt64(h) << 32) | UInt64(k + 1), key: s)
        if ids.count * 2 > slots.count { grow() }
        return k
    }

    private mutating func grow() {
        var n = [Slot](repeating: Slot(tag: 0, key: ""), count: slots.count * 2)
        let mask = n.count - 1
        for v in slots where v.tag != 0 {
            var i = Int(v.tag >> 32) & mask
            while n[i].tag != 0 { i = (i + 1) & mask }
            n[i] = v
        }
        slots = n
    }

    /// The dense index of an ID, or -1. Empty is unknown: `nil` and "" never match anything.
    @inline(__always) func lookup(_ s: String?) -> Int32 {
        guard let s, !s.isEmpty else { return -1 }
        return find(s, Self.hash(s)).index
    }

    var count: Int { ids.count }
}
