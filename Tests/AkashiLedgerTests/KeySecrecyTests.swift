import AkashiLedger
import Foundation
import Testing

@Suite("Key text stays out of errors and debug output")
struct KeySecrecyTests {
    /// The base64 part of a key text: what follows `<name>+<key ID>+` (base64 may itself hold `+`).
    static func base64Part(_ keyText: String) -> String {
        let body = keyText.hasPrefix("PRIVATE+KEY+") ? String(keyText.dropFirst(12)) : keyText
        return String(body.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).last ?? "")
    }

    @Test("a private signing key given as a verifier key is refused as such, without quoting it")
    func privateKeyAsVerifier() throws {
        let signer = try NoteSigner.generate(name: "test.example/ledger")
        let secret = Self.base64Part(signer.privateKeyText)
        #expect(secret.count > 40)
        for text in [signer.privateKeyText, signer.privateKeyText + "x", "PRIVATE+KEY+" + secret] {
            do {
                _ = try NoteVerifier(text: text)
                Issue.record("a private key was accepted as a verifier key")
            } catch let e as LedgerError {
                #expect(e.code == .malformedKey)
                #expect(!e.description.contains(secret), "\(e)")
                #expect(!e.description.contains(text), "\(e)")
                #expect(e.message.contains("private signing key"), "\(e)")
            }
        }
    }

    @Test("a malformed verifier key is refused without quoting it")
    func malformedVerifierNotQuoted() throws {
        let good = try NoteSigner.generate(name: "test.example/ledger").verifier.text
        let key64 = Self.base64Part(good)
        for bad in [
            good.replacingOccurrences(of: "test.example/ledger", with: "test example"),
            String(good.dropLast()),
            good.replacingOccurrences(of: "+" + key64, with: "+!" + key64),
            "something+else+" + key64,
            key64,
        ] {
            do {
                _ = try NoteVerifier(text: bad)
                Issue.record("accepted \(bad)")
            } catch let e as LedgerError {
                #expect(e.code == .malformedKey)
                #expect(e.message.hasPrefix("verifier key is malformed: "), "\(e)")
                #expect(!e.description.contains(key64.prefix(12)), "\(e)")
            }
        }
    }
}
