extension Sequence {
    /// `map` for a transform that reads a store (async): one element after another, in order.
    public func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        out.reserveCapacity(underestimatedCount)
        for element in self { out.append(try await transform(element)) }
        return out
    }

    /// `compactMap` for a transform that reads a store (async): one element after another, in order.
    public func asyncCompactMap<T>(_ transform: (Element) async throws -> T?) async rethrows -> [T] {
        var out: [T] = []
        for element in self { if let t = try await transform(element) { out.append(t) } }
        return out
    }
}
