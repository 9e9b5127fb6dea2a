import AkashiAudit
import AkashiDomain

/// How an auditor decided an investigation (処分区分).
public enum Disposition: String, Sendable, CaseIterable {
    /// 業務上: the access was part of the staff member's work.
    case business
    /// 業務外: the access was not for work (misuse).
    case nonBusiness = "non_business"
    /// 要聴取: an interview (事情聴取) is needed before deciding.
    case interview

    public var ja: String {
        switch self {
        case .business: "業務上"
        case .nonBusiness: "業務外"
        case .interview: "要聴取"
        }
    }

    public var en: String {
        switch self {
        case .business: "for work"
        case .nonBusiness: "not for work"
        case .interview: "interview needed"
        }
    }
}

/// An investigation of a finding or of a staff member, from opening to disposition.
public struct Investigation: Sendable, Equatable {
    public var id: String
    /// The access (finding) it was opened from, if any.
    public var finding: String?
    /// The staff member investigated.
    public var staff: String
    /// The register of the finding, if any.
    public var register: String?
    /// The finding's reason codes (sorted), if opened from a finding.
    public var reasonCodes: [String]
    public var title: String
    /// `open` or `closed` (closed once disposed as 業務上 or 業務外).
    public var status: String
    public var assignee: String?
    public var openedBy: String
    public var opened: Timestamp
    public var disposition: Disposition?
    /// The rule an auditor stated with a 業務上 disposition (e.g. 「窓口の照会対応」).
    public var rule: String?
    public var decidedBy: String?
    public var decided: Timestamp?

    public init(id: String, finding: String?, staff: String, register: String?, reasonCodes: [String], title: String,
                status: String = "open", assignee: String? = nil, openedBy: String, opened: Timestamp,
                disposition: Disposition? = nil, rule: String? = nil, decidedBy: String? = nil, decided: Timestamp? = nil) {
        self.id = id
        self.finding = finding
        self.staff = staff
        self.register = register
        self.reasonCodes = reasonCodes
        self.title = title
        self.status = status
        self.assignee = assignee
        self.openedBy = openedBy
        self.opened = opened
        self.disposition = disposition
        self.rule = rule
        self.decidedBy = decidedBy
        self.decided = decided
    }
}

/// One step of an investigation: opening, assignment, note, interview record (事情聴取), disposition.
public struct InvestigationEntry: Sendable, Equatable {
    public var id: Int64
    public var investigation: String
    /// `open`, `assign`, `note`, `interview`, `disposition`.
    public var kind: String
    public var author: String
    public var at: Timestamp
    public var text: String
    public var fileName: String?
    public var fileSize: Int?
    /// The ledger journal event recording the step.
    public var journal: String

    public init(id: Int64 = 0, investigation: String, kind: String, author: String, at: Timestamp, text: String,
                fileName: String? = nil, fileSize: Int? = nil, journal: String) {
        self.id = id
        self.investigation = investigation
        self.kind = kind
        self.author = author
        self.at = at
        self.text = text
        self.fileName = fileName
        self.fileSize = fileSize
        self.journal = journal
    }
}

/// A pattern an auditor declared to be work (業務上, with a stated rule): matching findings leave the worklist.
///
/// A finding matches when its reason codes are exactly ``reasonCodes`` (as a set), and — when given — its staff is
/// ``staff`` and its register is ``register``. `staff == nil` means any staff member (a rule across staff);
/// `register == nil` means any register.
///
/// A suppression across staff (``staff`` nil) hides every staff member's future accesses of that pattern from the
/// worklist, so it needs a second, different auditor (issue 18, F-14): it is made with ``needsConfirmation`` and
/// takes effect only once another auditor confirms it (``decision``). Nothing of a suppression is ever changed: the
/// decision is a row of its own, appended.
public struct Suppression: Sendable, Equatable {
    public var id: Int64
    public var investigation: String
    public var staff: String?
    public var register: String?
    public var reasonCodes: [String]
    public var rule: String
    public var createdBy: String
    public var created: Timestamp
    /// Whether it takes effect only once a second auditor confirms it.
    public var needsConfirmation: Bool
    /// The second auditor's decision, once made (as the store reads it back; ignored by ``ConsoleStore/addSuppression(_:)``).
    public var decision: SuppressionDecision?

    public init(id: Int64 = 0, investigation: String, staff: String?, register: String?, reasonCodes: [String],
                rule: String, createdBy: String, created: Timestamp, needsConfirmation: Bool = false,
                decision: SuppressionDecision? = nil) {
        self.id = id
        self.investigation = investigation
        self.staff = staff
        self.register = register
        self.reasonCodes = Array(Set(reasonCodes)).sorted()
        self.rule = rule
        self.createdBy = createdBy
        self.created = created
        self.needsConfirmation = needsConfirmation
        self.decision = decision
    }

    /// Whether it takes findings out of the worklist now: it needs no second auditor, or one confirmed it.
    public var inEffect: Bool { !needsConfirmation || decision?.kind == .confirmed }
    /// Whether it waits for a second auditor.
    public var isPending: Bool { needsConfirmation && decision == nil }

    /// Whether a finding falls under the pattern (whether or not the suppression is in effect).
    public func matches(_ f: AccessFinding) -> Bool {
        if let staff, staff != f.staff { return false }
        if let register, register != f.register { return false }
        return Array(Set(f.reasonCodes)).sorted() == reasonCodes
    }

    /// The scope in words (ja / en).
    public var scopeJa: String {
        (staff.map { "職員 \($0)" } ?? "全職員") + "・" + (register.map { "戸籍 \($0)" } ?? "全戸籍") + "・理由 " + reasonCodes.joined(separator: "+")
    }

    /// Where it stands, in words (ja and en).
    public var stateText: String {
        guard needsConfirmation else { return "有効 in effect" }
        guard let d = decision else { return "確認待ち pending a second auditor" }
        switch d.kind {
        case .confirmed: return "有効（\(d.by) が確認） in effect, confirmed by \(d.by)"
        case .declined: return "却下（\(d.by)） declined by \(d.by)"
        }
    }
}

/// A second auditor's decision on a suppression that needs one.
public struct SuppressionDecision: Sendable, Equatable {
    public enum Kind: String, Sendable { case confirmed, declined }
    public var kind: Kind
    /// The auditor who decided (never the one who made the suppression).
    public var by: String
    public var at: Timestamp
    /// The ledger journal event recording the decision.
    public var journal: String

    public init(kind: Kind, by: String, at: Timestamp, journal: String) {
        self.kind = kind
        self.by = by
        self.at = at
        self.journal = journal
    }
}

/// An access the live alerts show: break-the-glass (reason instead of a case), a VIP's or a DV-supported person's
/// register.
public struct ConsoleAlert: Sendable, Equatable {
    public var seq: UInt64
    public var access: String
    public var at: Timestamp
    public var staff: String
    public var office: String?
    public var register: String?
    /// `break_glass`, `vip`, `dv_support`.
    public var kinds: [String]
    public var reason: String?

    public init(seq: UInt64, access: String, at: Timestamp, staff: String, office: String?, register: String?,
                kinds: [String], reason: String?) {
        self.seq = seq
        self.access = access
        self.at = at
        self.staff = staff
        self.office = office
        self.register = register
        self.kinds = kinds
        self.reason = reason
    }
}

/// What the auditor console keeps beyond the ledger: investigations and their steps, suppressions, alerts and small
/// settings (the alert cursors, the open survey). Every change is also journaled by the caller.
public protocol ConsoleStore: AnyObject, Sendable {
    func saveInvestigation(_ i: Investigation) async throws
    func investigation(id: String) async throws -> Investigation?
    /// Investigations, newest first; filters are optional.
    func investigations(status: String?, staff: String?, finding: String?) async throws -> [Investigation]
    /// Adds a step (with an optional uploaded file); returns its ID.
    @discardableResult
    func addInvestigationEntry(_ e: InvestigationEntry, file: [UInt8]?) async throws -> Int64
    func investigationEntries(investigation: String) async throws -> [InvestigationEntry]
    func investigationFile(entry: Int64) async throws -> (name: String, bytes: [UInt8])?
    /// Appends a suppression (its ``Suppression/needsConfirmation`` kept; its ``Suppression/decision`` ignored);
    /// returns its ID.
    @discardableResult
    func addSuppression(_ s: Suppression) async throws -> Int64
    /// Every suppression, by ID, each with its decision if one was made.
    func suppressions() async throws -> [Suppression]
    /// Appends the decision on suppression `id` if, and only if, the suppression needs one, has none yet and was made by
    /// someone other than `decision.by`, in one conditional write: of two decisions at once (two auditors, or a
    /// confirmation and a refusal) only one is kept. The suppression itself is never changed. Returns whether this
    /// call decided it.
    func decideSuppression(id: Int64, _ decision: SuppressionDecision) async throws -> Bool
    func consoleValue(_ key: String) async throws -> String?
    func setConsoleValue(_ key: String, _ value: String) async throws
    /// Stores alerts (ignoring ones already stored).
    func saveAlerts(_ alerts: [ConsoleAlert]) async throws
    /// The newest alerts first.
    func alerts(limit: Int) async throws -> [ConsoleAlert]
    /// The newest alerts with ledger index below `seq` (every alert when `nil`) first, at most `limit`: the pages of
    /// older alerts (issue 19, A-2).
    func alerts(limit: Int, below seq: UInt64?) async throws -> [ConsoleAlert]
    /// Records that an investigation holds these findings (access IDs), appended: a pair already held is ignored, and
    /// nothing is ever changed or removed (issue 19, A-4: an investigation opened from a worklist group holds every
    /// finding of the group, and its disposition covers them all).
    func holdFindings(investigation: String, accesses: [String]) async throws
    /// The findings held, by investigation and then access (byte order); either filter may be `nil` (any).
    func heldFindings(investigation: String?, access: String?) async throws -> [HeldFinding]
}

/// A finding an investigation holds (issue 19, A-4).
public struct HeldFinding: Sendable, Hashable {
    public var investigation: String
    /// The access ID of the finding.
    public var access: String

    public init(investigation: String, access: String) {
        self.investigation = investigation
        self.access = access
    }
}

/// Everything `akashi serve` needs of a store: the clerk workspace's records and state, the reports' reads, the
/// audit's findings and the auditor console's state. Required by type, so a store that lacks one of them does not
/// compile as a server's store (rather than losing the console, or a disclosure's DV check, at run time).
public typealias ServerStore = WorkspaceStore & ReportStore & ConsoleStore
