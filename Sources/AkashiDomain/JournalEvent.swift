/// An event of Akashi's own that the ledger records beside register accesses: sign-ins, failed sign-ins,
/// sign-outs, banner acknowledgements, auditor page views, investigation steps.
///
/// Not part of akashi-interchange/1 (which carries register accesses as `access`); its ledger entry has
/// `"type":"journal"`.
public struct JournalEvent: Hashable, Sendable {
    public var id: String
    public var at: Timestamp
    /// What happened, dotted: `signin`, `signin.failed`, `signout`, `banner.ack`, `console.view`, …
    public var kind: String
    public var staff: String?
    public var office: String?
    public var terminal: String?
    /// The person, register, staff member or finding the event concerns, when there is one.
    public var subject: String?
    /// Anything else worth keeping (never a password or a secret).
    public var detail: JSONValue?

    public init(id: String, at: Timestamp, kind: String, staff: String? = nil, office: String? = nil,
                terminal: String? = nil, subject: String? = nil, detail: JSONValue? = nil) {
        self.id = id
        self.at = at
        self.kind = kind
        self.staff = staff
        self.office = office
        self.terminal = terminal
        self.subject = subject
        self.detail = detail
    }
}
