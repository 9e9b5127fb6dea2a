import Testing

@testable import AkashiLedger

@Suite("Hex")
struct HexTests {
    @Test("a ledger hash reads back from its lower-case hex; anything else is refused")
    func ledgerHashFromHex() {
        let h = MerkleHash.leaf(Array("entry".utf8))
        #expect(LedgerHash(hex: h.hex) == h)
        #expect(LedgerHash(hex: h.hex.uppercased()) == nil)
        #expect(LedgerHash(hex: String(h.hex.dropLast())) == nil)
        #expect(LedgerHash(hex: String(h.hex.dropLast(2))) == nil)
        #expect(LedgerHash(hex: h.hex + "00") == nil)
        #expect(LedgerHash(hex: String(h.hex.dropLast()) + "g") == nil)
        #expect(Hex.decode("00ff10") == [0x00, 0xFF, 0x10])
        #expect(Hex.parseUInt32("bd2c3de9") == 0xBD2C_3DE9)
        #expect(Hex.parseUInt32("bd2c3de") == nil && Hex.parseUInt32("BD2C3DE9") == nil)
    }
}
