#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64): the same seed gives the same city.
struct CityRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64, stream: UInt64 = 0) {
        var x = seed &+ stream &* 0x9E37_79B9_7F4A_7C15
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&x); s1 = splitmix(&x); s2 = splitmix(&x); s3 = splitmix(&x)
    }

    @inline(__always) mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in 0..<n (n > 0).
    @inline(__always) mutating func int(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in the closed range.
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + int(r.upperBound - r.lowerBound + 1) }

    /// Uniform in [0, 1).
    @inline(__always) mutating func double() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    @inline(__always) mutating func chance(_ p: Double) -> Bool { double() < p }

    mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u = max(double(), 1e-12), v = double()
        return (-2 * _log(u)).squareRoot() * _cos(2 * Double.pi * v)
    }

    mutating func normal(_ mean: Double, _ sd: Double) -> Double { mean + sd * normal() }

    /// Poisson-distributed count.
    mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda > 40 { return max(0, Int((normal(lambda, lambda.squareRoot())).rounded())) }
        let l = _exp(-lambda)
        var k = 0, p = 1.0
        repeat { k += 1; p *= double() } while p > l
        return k - 1
    }

    /// Shuffles in place (Fisher–Yates).
    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(i + 1)) }
    }
}

/// Weighted choice by cumulative weights and binary search.
struct WeightedTable {
    private(set) var cumulative: [Double] = []

    init(_ weights: [Double]) {
        var total = 0.0
        cumulative.reserveCapacity(weights.count)
        for w in weights { total += max(0, w); cumulative.append(total) }
    }

    var total: Double { cumulative.last ?? 0 }

    func pick(_ rng: inout CityRandom) -> Int {
        let x = rng.double() * total
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
