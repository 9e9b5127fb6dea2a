import AkashiDomain
import AkashiLedger
import AkashiStorage
import Foundation

/// Why a one-time code was refused. The resident sees one message for all of them (no oracle for guessing).
public enum AccessCodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed
    case unknown
    /// Past its expiry, or revoked (a revocation ends its validity at once).
    case expired

    public var description: String {
        switch self {
        case .malformed: "the code is not well formed"
        case .unknown: "no such code"
        case .expired: "the code has expired"
        }
    }

    /// What to show the resident, whatever the reason (ja / en).
    public static let publicMessage = "確認コードが正しくないか、有効期限が過ぎたか取り消されています。 / The code is not valid, has expired or was revoked."
}

/// A freshly created code: the code itself exists only here (the store keeps its hash).
public struct IssuedAccessCode: Sendable, Equatable {
    /// `XXXX-XXXX-XXXX-XXXX` (80 bits from a 32-symbol alphabet without 0/O and 1/I).
    public var code: String
    public var record: AccessCodeRecord

    /// The detail of the `access_code.create` journal event that records the code's creation (never the code).
    public var journalDetail: [(String, JSONValue)] {
        [("from", .string(record.from.description)), ("to", .string(record.to.description)),
         ("expires", .string(record.expires.description))]
    }
}

/// One-time codes printed on a disclosure letter (like Estonia's Data Tracker): a code shows the person's
/// disclosure once, within its validity, and is then spent.
public struct AccessCodeService: Sendable {
    public let store: any ReportStore
    public var disclosure: DisclosureService
    /// How long a code stays valid.
    public var validDays = 90
    public var clock: @Sendable () -> Timestamp = {
        Timestamp(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    public init(store: any ReportStore) {
        self.store = store
        self.disclosure = DisclosureService(store: store)
    }

    static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789".unicodeScalars)

    /// Creates a code for a person's disclosure over a period.
    public func create(person: String, from: LocalDate, to: LocalDate) async throws -> IssuedAccessCode {
        guard try await !store.persons(ids: [person]).isEmpty else { throw ReportError("no person with ID \(person)") }
        var g = SystemRandomNumberGenerator()
        var chars: [Character] = []
        for k in 0..<16 {
            if k > 0 && k % 4 == 0 { chars.append("-") }
            // 32 symbols: 5 random bits each, 80 bits in all.
            chars.append(Character(Self.alphabet[Int(g.next() & 31)]))
        }
        let code = String(chars)
        let now = clock()
        let record = AccessCodeRecord(hash: Self.hash(code)!, person: person, from: from, to: to, created: now,
                                      expires: now.adding(seconds: Int64(validDays) * 86_400))
        try await store.saveAccessCode(record)
        return IssuedAccessCode(code: code, record: record)
    }

    /// The code in canonical form (upper case, no separators), or `nil` when it cannot be a code.
    static func normalize(_ code: String) -> String? {
        let s = code.uppercased().filter { $0 != "-" && $0 != " " && $0 != "\u{3000}" }
        guard s.count == 16, s.unicodeScalars.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        return s
    }

    /// Lower-case hex SHA-256(0x00 || "akashi-access-code/1\n" || canonical code): the only form stored.
    public static func hash(_ code: String) -> String? {
        guard let n = normalize(code) else { return nil }
        return MerkleHash.leaf(Array(("akashi-access-code/1\n" + n).utf8)).hex
    }

    /// Redeems a code: returns the person's disclosure (same report, with receipts). A code works again and again
    /// until it expires or is revoked (issue 19: a resident comes back to their history within its validity); its
    /// first use is recorded. An unknown, malformed, expired or revoked code throws ``AccessCodeError``.
    public func redeem(_ code: String) async throws -> DisclosureReport {
        guard let hash = Self.hash(code) else { throw AccessCodeError.malformed }
        let now = clock()
        guard let record = try await store.accessCode(hash: hash) else { throw AccessCodeError.unknown }
        if record.expires <= now { throw AccessCodeError.expired }
        let report = try await disclosure.disclose(DisclosureQuery(subject: .person(record.person), from: record.from, to: record.to))
        // The first use is kept (the console shows it); a later one finds it set and changes nothing.
        if record.used == nil { _ = try await store.consumeAccessCode(hash: hash, at: now) }
        return report
    }
}
