import AkashiCity
import AkashiDomain
import Testing

@testable import AkashiInterchange

@Suite("The canonical access fast path over a whole generated city")
struct FastAccessDecodeTests {
    @Test("every generated access line takes the fast path and decodes exactly as the general path does")
    func wholeCity() throws {
        var c = tiny
        c.misuse = true
        c.scenario = .osaka2014
        let city = try City(c, name: "fast-access")
        defer { city.remove() }
        let reader = try LineReader(path: city.dir + "/access.jsonl")
        var lines = 0, fast = 0, searches = 0
        while let batch = try reader.next() {
            for k in 0..<batch.count {
                let line = Array(batch.bytes[batch.range(k)])
                lines += 1
                let quick = line.withUnsafeBufferPointer { CanonicalAccessDecoder.decode($0) }
                let general = try line.withUnsafeBufferPointer { b throws(RecordError) in try RecordDecoder.decodeGeneral(line: b) }
                guard case let .record(.access(expected), unknown) = general else {
                    Issue.record("line \(lines): not an access record")
                    continue
                }
                #expect(unknown.isEmpty)
                if let quick {
                    fast += 1
                    #expect(quick == expected, "line \(lines) decodes differently on the fast path")
                    if quick.query != nil { searches += 1 }
                }
            }
        }
        #expect(lines > 1000)
        #expect(fast == lines, "\(lines - fast) canonical lines missed the fast path")
        #expect(searches > 0, "the city has searches with a query")
    }
}
