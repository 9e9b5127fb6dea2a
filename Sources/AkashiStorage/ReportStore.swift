import AkashiAudit
import AkashiDomain

/// A resident's standing request to be told when a certificate about them is issued to someone else
/// (本人通知制度の事前登録).
public struct NoticeRegistration: Sendable, Equatable {
    public var person: String
    /// The day the registration took effect; issuances before it produce no notice.
    public var registered: LocalDate
    /// Where notices are mailed.
    public var address: String

    public init(person: String, registered: LocalDate, address: String) {
        self.person = person
        self.registered = registered
        self.address = address
    }
}

/// One notice to a registered resident (本人通知): what was issued, when, where, to which class of requester —
/// never the requester's name.
public struct ResidentNotice: Sendable, Equatable {
    /// Assigned by the store (0 before it is stored).
    public var id: Int64
    public var person: String
    /// The certificate request (case) the notice is about; one notice per person and issuance.
    public var caseID: String
    /// When the certificate was issued.
    public var issued: Timestamp
    /// The issuing office's code.
    public var office: String
    /// The certificate kind (`certificate.full` …).
    public var certificate: String
    /// Copies issued, when known.
    public var copies: Int?
    /// `third_party` or `professional`.
    public var requester: String
    /// When the notice was produced.
    public var produced: Timestamp
    /// The ID of the `notice.produced` journal event recording it in the ledger.
    public var journalID: String
    /// Whether that journal event is in the ledger.
    public var journaled: Bool
    /// When it was marked as mailed.
    public var sent: Timestamp?

    public init(id: Int64 = 0, person: String, caseID: String, issued: Timestamp, office: String, certificate: String,
                copies: Int?, requester: String, produced: Timestamp, journalID: String, journaled: Bool = false,
                sent: Timestamp? = nil) {
        self.id = id
        self.person = person
        self.caseID = caseID
        self.issued = issued
        self.office = office
        self.certificate = certificate
        self.copies = copies
        self.requester = requester
        self.produced = produced
        self.journalID = journalID
        self.journaled = journaled
        self.sent = sent
    }
}

/// A one-time code printed on a disclosure letter: only its hash is stored.
public struct AccessCodeRecord: Sendable, Equatable {
    /// Lower-case hex SHA-256 (domain-separated) of the code.
    public var hash: String
    public var person: String
    /// The period the code discloses.
    public var from: LocalDate
    public var to: LocalDate
    public var created: Timestamp
    /// The code is refused at or after this instant.
    public var expires: Timestamp
    /// When it was used (a code works once).
    public var used: Timestamp?

    public init(hash: String, person: String, from: LocalDate, to: LocalDate, created: Timestamp, expires: Timestamp,
                used: Timestamp? = nil) {
        self.hash = hash
        self.person = person
        self.from = from
        self.to = to
        self.created = created
        self.expires = expires
        self.used = used
    }
}

/// What the resident- and auditor-facing reports need from a store beyond ``AkashiStore``: reference records by
/// ID, the events that touch a subject (by register, person and search result), notice registrations and notices,
/// and one-time access codes.
///
/// Nothing here can change or remove a ledger entry. The reports read events through ``EventLogReader``.
public protocol ReportStore: AkashiStore, ReferenceStore, IssuanceStore, FindingStore {
    // MARK: Findings
    /// For each of the accesses the audit explained by a case: access ID → that case's ID (accesses without a
    /// finding, or explained without a case, are left out).
    func explainingCases(accessIDs: [String]) async throws -> [String: String]

    // MARK: 本人通知
    /// Creates or replaces a person's registration.
    func saveNoticeRegistration(_ r: NoticeRegistration) async throws
    /// Every registration, in person-ID order.
    func noticeRegistrations() async throws -> [NoticeRegistration]
    /// Stores a notice unless one exists for the same person and case; returns the stored notice (new or old) and
    /// whether it is new.
    func insertNotice(_ n: ResidentNotice) async throws -> (notice: ResidentNotice, inserted: Bool)
    /// Notices in the order they were produced; only those not yet mailed when `pendingOnly`.
    func notices(pendingOnly: Bool) async throws -> [ResidentNotice]
    /// Notices whose journal event is not (known to be) in the ledger, in the order they were produced.
    func unjournaledNotices() async throws -> [ResidentNotice]
    func markNoticesJournaled(ids: [Int64]) async throws
    /// Marks a notice as mailed; `false` when there is no such notice or it was marked already.
    func markNoticeSent(id: Int64, at: Timestamp) async throws -> Bool

    // MARK: One-time access codes
    func saveAccessCode(_ c: AccessCodeRecord) async throws
    /// Atomically marks the code with this hash as used at `at` if it exists, is unused and has not expired;
    /// returns it (with `used` set), or `nil` when it cannot be used.
    func consumeAccessCode(hash: String, at: Timestamp) async throws -> AccessCodeRecord?
    func accessCode(hash: String) async throws -> AccessCodeRecord?
    /// Ends a code's validity at `at` (its expiry becomes `at`) when it is still valid then; `false` when there is no
    /// such code or it had expired already.
    func revokeAccessCode(hash: String, at: Timestamp) async throws -> Bool
    /// The codes made for a person, newest first, at most `limit` (the console lists them to revoke one).
    func accessCodes(person: String, limit: Int) async throws -> [AccessCodeRecord]
}

extension ReportStore {
    /// Reads the audit findings through ``FindingStore`` when the store keeps them (no findings: `[:]`).
    public func explainingCases(accessIDs: [String]) async throws -> [String: String] {
        guard !accessIDs.isEmpty else { return [:] }
        var out: [String: String] = [:]
        for f in try await findings(accessIDs: accessIDs) {
            if let c = f.finding.explanation?.caseID { out[f.finding.access] = c }
        }
        return out
    }
}
