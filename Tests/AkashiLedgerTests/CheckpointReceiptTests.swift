import AkashiLedger
import Foundation
import Testing

@Suite("Checkpoints and receipts")
struct CheckpointReceiptTests {
    static let origin = "ledger.city.osaka.example/akashi"
    static let root = MerkleHash.leaf(Array("root".utf8))

    @Test func checkpointRoundTrip() throws {
        let checkpoint = Checkpoint(origin: Self.origin, size: 1_234, root: Self.root, extensions: ["ext one", "x"])
        #expect(checkpoint.text == "\(Self.origin)\n1234\n\(Self.root.base64)\next one\nx\n")
        #expect(try Checkpoint(text: checkpoint.text) == checkpoint)
        let zero = Checkpoint(origin: Self.origin, size: 0, root: MerkleHash.emptyRoot)
        #expect(try Checkpoint(text: zero.text) == zero)
        let max = Checkpoint(origin: Self.origin, size: .max, root: Self.root)
        #expect(try Checkpoint(text: max.text) == max)
    }

    @Test func checkpointIsStrict() {
        let r = Self.root.base64
        let short = MerkleHash.emptyRoot.bytes.dropLast()
        let badBodies = [
            "\(Self.origin)\n0012\n\(r)\n",  // leading zeros
            "\(Self.origin)\n00\n\(r)\n",
            "\(Self.origin)\n+12\n\(r)\n",
            "\(Self.origin)\n-1\n\(r)\n",
            "\(Self.origin)\n1 2\n\(r)\n",
            "\(Self.origin)\n18446744073709551616\n\(r)\n",  // overflows UInt64
            "\(Self.origin)\n12\n\(r.dropLast())\n",  // bad base64 (padding)
            "\(Self.origin)\n12\n\(r.replacingOccurrences(of: "=", with: "!"))\n",
            "\(Self.origin)\n12\n\(r)=\n",
            "\(Self.origin)\n12\n\(LedgerHash.zero.base64.dropLast(2))B=\n",  // non-canonical pad bits
            "\(Self.origin)\n12\n\(Array(short).base64ForTest)\n",  // 31-byte hash
            "\(Self.origin)\n12\n\((Self.root.bytes + [0]).base64ForTest)\n",  // 33-byte hash
            "\n12\n\(r)\n",  // empty origin
            "\(Self.origin)\n12\n\(r)",  // no final newline
            "\(Self.origin)\n12\n",  // no root
            "\(Self.origin)\n12\n\(r)\n\n",  // empty extension line
            "\(Self.origin)\n12\n\(r)\nbad\u{7}ext\n",
        ]
        for body in badBodies {
            #expect(throws: LedgerError.self, "\(body.debugDescription)") { try Checkpoint(text: body) }
        }
    }

    /// A small signed log with a receipt for entry 5.
    static func makeReceipt(extra: [UInt8]? = nil) throws -> (Receipt, NoteSigner, [[UInt8]]) {
        let entries = (0..<13).map(testEntry)
        var log = TestLog()
        try log.append(MerkleHash.leaves(entries))
        let signer = try NoteSigner.generate(name: origin)
        let checkpoint = Checkpoint(origin: origin, size: 13, root: log.appender.root)
        let proof = try LogProver(size: 13, source: TiledHashes(source: log.store)).inclusionProof(index: 5)
        let receipt = Receipt(index: 5, proof: proof, extra: extra, checkpoint: signer.sign(text: checkpoint.text))
        return (receipt, signer, entries)
    }

    @Test func receiptRoundTripAndOfflineVerification() throws {
        let (receipt, signer, entries) = try Self.makeReceipt()
        let text = receipt.text
        #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nindex 5\n\(receipt.proof[0].base64)\n"))
        #expect(text.contains("\n\n\(Self.origin)\n13\n"))
        let parsed = try Receipt(parsing: text)
        #expect(parsed == receipt)
        // The resident only has the text, the entry and the published verifier key.
        let verifier = try NoteVerifier(text: signer.verifier.text)
        let checkpoint = try Receipt(parsing: text).verify(entry: entries[5], verifiers: [verifier])
        #expect(checkpoint.size == 13)
        #expect(checkpoint.origin == Self.origin)
    }

    @Test func receiptWithExtraRoundTrips() throws {
        let (receipt, signer, entries) = try Self.makeReceipt(extra: Array("age-v1.2.1".utf8))
        #expect(receipt.text.hasPrefix("c2sp.org/tlog-proof@v1\nextra YWdlLXYxLjIuMQ==\nindex 5\n"))
        let parsed = try Receipt(parsing: receipt.text)
        #expect(parsed == receipt)
        #expect(try parsed.verify(entry: entries[5], verifiers: [signer.verifier]).size == 13)
    }

    @Test func receiptForDifferentEntryOrKeyFails() throws {
        let (receipt, signer, entries) = try Self.makeReceipt()
        let wrongEntry = #expect(throws: LedgerError.self) {
            try receipt.verify(entry: entries[6], verifiers: [signer.verifier])
        }
        #expect(wrongEntry?.code == .inclusionProofFailed)
        let other = try NoteSigner.generate(name: Self.origin)
        let wrongKey = #expect(throws: LedgerError.self) { try receipt.verify(entry: entries[5], verifiers: [other.verifier]) }
        #expect(wrongKey?.code == .noVerifiedSignature)
        var moved = receipt
        moved.index = 4
        #expect(throws: LedgerError.self) { try moved.verify(entry: entries[5], verifiers: [signer.verifier]) }
        var tampered = receipt
        tampered.checkpoint = tampered.checkpoint.replacingOccurrences(of: "\n13\n", with: "\n14\n")
        let badSig = #expect(throws: LedgerError.self) { try tampered.verify(entry: entries[5], verifiers: [signer.verifier]) }
        #expect(badSig?.code == .invalidSignature)
        // A witness-style key that is not named after the origin is not enough.
        let witness = try NoteSigner.generate(name: "witness.example")
        let cp = try SignedNote(parsing: receipt.checkpoint)
        let witnessOnly = Receipt(index: 5, proof: receipt.proof, checkpoint: witness.sign(text: cp.text))
        #expect(throws: LedgerError.self) { try witnessOnly.verify(entry: entries[5], verifiers: [witness.verifier]) }
    }

    @Test func malformedReceiptsAreRefused() throws {
        let (receipt, _, _) = try Self.makeReceipt()
        let text = receipt.text
        for bad in [
            text.replacingOccurrences(of: "tlog-proof@v1", with: "tlog-proof@v2"),
            text.replacingOccurrences(of: "index 5", with: "index 05"),
            text.replacingOccurrences(of: "index 5", with: "index five"),
            text.replacingOccurrences(of: "index 5\n", with: ""),
            text.replacingOccurrences(of: receipt.proof[0].base64, with: "AAAA"),
            text.replacingOccurrences(of: "index 5", with: "extra !!!!\nindex 5"),
            "c2sp.org/tlog-proof@v1\nindex 5\n",
            String(text.split(separator: "\n")[0]),
        ] {
            #expect(throws: LedgerError.self, "\(bad.debugDescription)") { try Receipt(parsing: bad) }
        }
    }
}

extension Array where Element == UInt8 {
    /// Standard padded base64 from Foundation, independent of the module's encoder.
    var base64ForTest: String { Data(self).base64EncodedString() }
}
