import AkashiLedger
import Foundation
import Testing

struct NoteVectors: Decodable {
    struct Note: Decodable {
        struct CheckpointFields: Decodable {
            var origin: String
            var size: UInt64
            var root_b64: String
        }
        var name: String
        var note: String
        var verifiers: [String]
        var verifies_with: [String]
        var signer_key: String?
        var checkpoint: CheckpointFields?
    }
    var notes: [Note]
    var bad_verifier_keys: [String]

    static func load() throws -> NoteVectors {
        try JSONDecoder().decode(NoteVectors.self, from: Fixtures.data("signed-notes.json"))
    }
}

@Suite("C2SP signed notes")
struct SignedNoteTests {
    static let noteNames: [String] = (try? NoteVectors.load().notes.map(\.name)) ?? []

    @Test func vectorsLoaded() {
        #expect(Self.noteNames.count == 5)
    }

    @Test(arguments: noteNames)
    func noteVerifiesAsListed(_ name: String) throws {
        let vector = try #require(try NoteVectors.load().notes.first { $0.name == name })
        let verifiers = try vector.verifiers.map { try NoteVerifier(text: $0) }
        for (text, verifier) in zip(vector.verifiers, verifiers) {
            #expect(verifier.text == text)
        }
        let note = try SignedNote(parsing: vector.note)
        #expect(note.serialized == vector.note)
        if vector.verifies_with.isEmpty {
            #expect(throws: LedgerError.self) { try note.verify(verifiers: verifiers) }
        } else {
            let good = try note.verify(verifiers: verifiers)
            #expect(Set(good.map(\.name)) == Set(vector.verifies_with))
            // Each key alone also verifies (the others are unknown and ignored).
            for v in verifiers {
                #expect(try note.verify(verifiers: [v]).map(\.name) == [v.name])
            }
        }
    }

    @Test func badVerifierKeysAreRefused() throws {
        let vectors = try NoteVectors.load()
        #expect(vectors.bad_verifier_keys.count == 3)
        for key in vectors.bad_verifier_keys {
            #expect(throws: LedgerError.self, "\(key)") { try NoteVerifier(text: key) }
        }
        let good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        for bad in [
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        ] {
            #expect(throws: LedgerError.self, "\(bad)") { try NoteVerifier(text: bad) }
        }
        #expect(try NoteVerifier(text: good).keyID == 0xc74f_20a3)
    }

    @Test func signingReproducesGoSignatureByteForByte() throws {
        let vector = try #require(try NoteVectors.load().notes.first { $0.name == "go-note-peterneumann" })
        let signerKey = try #require(vector.signer_key)
        let signer = try NoteSigner(privateKeyText: signerKey)
        #expect(signer.privateKeyText == signerKey)
        #expect(signer.verifier.text == vector.verifiers[0])
        let text = try SignedNote(parsing: vector.note).text
        #expect(signer.sign(text: text) == vector.note)
    }

    @Test func signerKeyTextIsStrict() throws {
        let key = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        for bad in [
            "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            "PRIVATE+KEY+Other+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            "PUBLIC+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            String(key.dropLast(4)),
        ] {
            #expect(throws: LedgerError.self, "\(bad)") { try NoteSigner(privateKeyText: bad) }
        }
        #expect(throws: LedgerError.self) { try NoteSigner.generate(name: "has space") }
        #expect(throws: LedgerError.self) { try NoteSigner.generate(name: "a+b") }
    }

    @Test func generatedKeysRoundTrip() throws {
        let signer = try NoteSigner.generate(name: "ledger.city.osaka.example/akashi")
        let again = try NoteSigner(privateKeyText: signer.privateKeyText)
        #expect(again.verifier.text == signer.verifier.text)
        let verifier = try NoteVerifier(text: signer.verifier.text)
        let note = try SignedNote(parsing: signer.sign(text: "hello\nworld\n"))
        #expect(note.text == "hello\nworld\n")
        #expect(try note.verify(verifiers: [verifier]).count == 1)
    }

    @Test func sumdbCheckpointParses() throws {
        let vector = try #require(try NoteVectors.load().notes.first { $0.name == "sumdb-checkpoint-multi-signature" })
        let expected = try #require(vector.checkpoint)
        let verifiers = try vector.verifiers.map { try NoteVerifier(text: $0) }
        let checkpoint = try Checkpoint.verified(note: vector.note, verifiers: verifiers, requireOriginKey: false)
        #expect(checkpoint.origin == expected.origin)
        #expect(checkpoint.size == expected.size)
        #expect(checkpoint.root.base64 == expected.root_b64)
        #expect(checkpoint.text == (try SignedNote(parsing: vector.note)).text)
        // The origin is not a key name here, so Akashi's stricter policy refuses it.
        #expect(throws: LedgerError.self) { try Checkpoint.verified(note: vector.note, verifiers: verifiers) }
    }

    @Test func knownKeyWithBadSignatureRejectsEvenIfAnotherVerifies() throws {
        let a = try NoteSigner.generate(name: "a.example")
        let b = try NoteSigner.generate(name: "b.example")
        let text = "some text\n"
        let forged = SignedNote.Signature(name: b.name, keyID: b.keyID, signature: [UInt8](repeating: 7, count: 64))
        let note = try SignedNote(parsing: a.sign(text: text) + forged.line + "\n")
        #expect(note.signatures.count == 2)
        #expect(try note.verify(verifiers: [a.verifier]).count == 1)
        let error = #expect(throws: LedgerError.self) { try note.verify(verifiers: [a.verifier, b.verifier]) }
        #expect(error?.code == .invalidSignature)
        let none = #expect(throws: LedgerError.self) { try note.verify(verifiers: []) }
        #expect(none?.code == .noVerifiedSignature)
    }

    @Test func manySignaturesAreAccepted() throws {
        let signers = try (0..<20).map { try NoteSigner.generate(name: "witness\($0).example") }
        let text = "checkpoint-ish\n1\n\(MerkleHash.emptyRoot.base64)\n"
        let lines = signers.map { $0.signatureLine(text: text) + "\n" }.joined()
        let note = try SignedNote(parsing: text + "\n" + lines)
        #expect(note.signatures.count == 20)
        #expect(try note.verify(verifiers: signers.map(\.verifier)).count == 20)
    }

    @Test func textEndsAtLastBlankLine() throws {
        let signer = try NoteSigner.generate(name: "k")
        let text = "para one\n\npara two\n"
        let note = try SignedNote(parsing: signer.sign(text: text))
        #expect(note.text == text)
        #expect(try note.verify(verifiers: [signer.verifier]).count == 1)
    }

    @Test func malformedNotesAreRejected() throws {
        let signer = try NoteSigner.generate(name: "k")
        let good = signer.sign(text: "hello\n")
        _ = try SignedNote(parsing: good)
        let line = signer.signatureLine(text: "hello\n")
        for bad in [
            String(good.dropLast()),  // no final newline
            "hello\n" + line + "\n",  // no blank line
            "hello\n\n" + "- " + line.dropFirst(2) + "\n",  // ASCII dash
            "hello\n\n\u{2014}k AAAA\n",  // no space after the dash
            "hel\tlo\n\n" + line + "\n",  // control character
            "hello\r\n\n" + line + "\n",  // carriage return
            "hello\n\n" + line + "\n\n",  // trailing blank line: no signatures after the last blank line
            "hello\n\n\u{2014} k\n",  // no signature
            "hello\n\n\u{2014} k AAAA\n",  // signature too short
            "hello\n\n\u{2014} k !!!!!!!!\n",  // not base64
            "hello\n\n\u{2014} k+x " + line.split(separator: " ").last! + "\n",  // bad name
        ] {
            #expect(throws: LedgerError.self, "\(bad.debugDescription)") { try SignedNote(parsing: bad) }
        }
    }
}
