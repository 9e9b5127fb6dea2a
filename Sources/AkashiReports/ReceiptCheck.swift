import AkashiDomain
import AkashiInterchange
import AkashiLedger
import Foundation

/// The outcome of checking one event of a report offline.
public struct ReceiptCheck: Sendable, Equatable {
    public var eventID: String
    public var ok: Bool
    /// Why it failed (empty when `ok`).
    public var problem: String
    /// What was checked when less than everything could be (the entry's content is withheld from the report: only
    /// its inclusion, by the leaf hash, was proved); empty otherwise.
    public var note: String

    public init(eventID: String, ok: Bool, problem: String = "", note: String = "") {
        self.eventID = eventID
        self.ok = ok
        self.problem = problem
        self.note = note
    }

    /// The note for an event checked by its leaf hash.
    public static let contentWithheld =
        "内容は非開示のため、台帳への包含だけを葉ハッシュで確認 / content withheld: inclusion checked by the leaf hash only"
}

/// Offline verification of receipts: what a resident (or anyone) can run with the report and the log's public key,
/// without the store.
public enum ReceiptVerifier {
    /// Checks one receipt against its entry bytes and the trusted keys; returns the verified checkpoint.
    public static func verify(receipt text: String, entry: [UInt8], verifiers: [NoteVerifier]) throws -> Checkpoint {
        try Receipt(parsing: text).verify(entry: entry, verifiers: verifiers)
    }

    /// Checks a receipt against a leaf hash (SHA-256(0x00 || entry), lower-case hex) when the entry bytes are
    /// withheld; returns the verified checkpoint.
    @discardableResult
    public static func verify(receipt text: String, leaf: String, verifiers: [NoteVerifier]) throws -> Checkpoint {
        try Receipt(parsing: text).verify(leafHash: try leafHash(leaf), verifiers: verifiers)
    }

    static func leafHash(_ hex: String) throws -> LedgerHash {
        guard let hash = LedgerHash(hex: hex) else { throw ReportError("the leaf hash is not 64 lower-case hex digits") }
        return hash
    }

    /// Checks every event of a report: the receipt proves the entry is in the log whose checkpoint the key signed,
    /// the receipt is against the report's checkpoint, and the entry says what the report's row says (ID, time,
    /// action, record, register, staff when shown). An event whose entry is withheld (only its ``DisclosedEvent/leaf``
    /// is given) is checked for inclusion by the leaf hash, with ``ReceiptCheck/contentWithheld`` as its note.
    public static func verify(report: DisclosureReport, verifiers: [NoteVerifier]) -> [ReceiptCheck] {
        report.allEvents.map { verify(event: $0, checkpoint: report.checkpoint, verifiers: verifiers) }
    }

    static func verify(event d: DisclosedEvent, checkpoint: String?, verifiers: [NoteVerifier]) -> ReceiptCheck {
        func fail(_ s: String) -> ReceiptCheck { ReceiptCheck(eventID: d.id, ok: false, problem: s) }
        guard let receiptText = d.receipt else { return fail("no receipt (the event is newer than the checkpoint)") }
        let receipt: Receipt
        do { receipt = try Receipt(parsing: receiptText) } catch { return fail("receipt unreadable: \(error)") }
        guard receipt.index == d.index else { return fail("receipt index \(receipt.index) ≠ event index \(d.index)") }
        if let checkpoint, receipt.checkpoint != checkpoint {
            return fail("the receipt is against another checkpoint than the report's")
        }
        guard let entryText = d.entry else {
            guard let leaf = d.leaf else { return fail("neither the entry nor its leaf hash is given") }
            do {
                try receipt.verify(leafHash: try leafHash(leaf), verifiers: verifiers)
            } catch {
                return fail("receipt does not verify: \(error)")
            }
            return ReceiptCheck(eventID: d.id, ok: true, note: ReceiptCheck.contentWithheld)
        }
        guard let data = Data(base64Encoded: entryText) else { return fail("the entry is not base64") }
        let entry = [UInt8](data)
        if let leaf = d.leaf, leaf != MerkleHash.leaf(entry).hex { return fail("the leaf hash is not the entry's") }
        do {
            _ = try receipt.verify(entry: entry, verifiers: verifiers)
        } catch {
            return fail("receipt does not verify: \(error)")
        }
        guard case let .record(.access(e), _)? = try? RecordDecoder.decodeStored(line: entry) else {
            return fail("the entry is not an access event")
        }
        if e.id != d.id || e.at.description != d.at || e.action.rawValue != d.action || e.record.rawValue != d.record
            || e.register != d.register || e.outcome.rawValue != d.outcome || (d.staff != nil && d.staff != e.staff) {
            return fail("the entry does not say what the report's row says")
        }
        return ReceiptCheck(eventID: d.id, ok: true)
    }
}
