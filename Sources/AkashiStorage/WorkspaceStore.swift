import AkashiDomain

/// A workspace sign-in account: the scrypt hash (with its salt and parameters) and the account-wide lockout state.
///
/// The hash is the only form in which a password is ever kept; it is never logged. Failures per client address are
/// kept apart (``AddressSignInFailures``); what is here is the ceiling over every address together.
public struct WorkspaceAccount: Sendable, Equatable {
    public var staff: String
    /// `scrypt$N$r$p$<salt base64>$<hash base64>`.
    public var passwordHash: String
    /// Password checks of the account that failed (or are still being checked) in its current window, from every
    /// address together (``SignInLimits/perAccount``).
    public var failures: Int
    /// Milliseconds since the epoch until which the account is locked for everyone; `nil` when not locked.
    public var lockedUntil: Int64?
    /// When the account's current window of failures began (milliseconds since the epoch); `nil` before the first.
    public var windowStart: Int64?

    public init(staff: String, passwordHash: String, failures: Int = 0, lockedUntil: Int64? = nil, windowStart: Int64? = nil) {
        self.staff = staff
        self.passwordHash = passwordHash
        self.failures = failures
        self.lockedUntil = lockedUntil
        self.windowStart = windowStart
    }
}

/// When failed sign-ins lock (issue 18, F-6): per client address, so that a stranger's guesses keep only the
/// stranger out, and a ceiling over every address together, so that a guess spread over many addresses is still
/// bounded. The store applies them in ``WorkspaceStore/claimSignIn(staff:address:at:limits:)``.
public struct SignInLimits: Sendable, Equatable {
    /// Password checks one address may have for one account within `addressWindowMillis` (from its first counted
    /// one); the one that reaches it locks that address out of that account for `addressLockMillis`.
    public var perAddress: Int
    public var addressWindowMillis: Int64
    public var addressLockMillis: Int64
    /// Password checks of one account from every address together within `accountWindowMillis`; the one that
    /// reaches it locks the account for everyone for `accountLockMillis` (a new password lifts it).
    public var perAccount: Int
    public var accountWindowMillis: Int64
    public var accountLockMillis: Int64
    /// A claimed check still without an outcome this long after it was claimed was cut off (its server killed
    /// mid-check): the next claim gives its count back. A check takes about a second at most (a wait for the hashing
    /// thread, then scrypt); this is far beyond it.
    public var cutOffMillis: Int64
    /// Checks claimed before this instant (epoch milliseconds) and still open were cut off too: the server asking
    /// started after them, so a check its predecessor was making when it was killed is given back at once, however
    /// fast the restarts come. (Another live server's check in flight at that moment, a second at most, may be given
    /// back with them: at most those go uncounted.) By default, none.
    public var cutOffBefore: Int64 = .min

    public init(perAddress: Int = 5, addressWindowMillis: Int64 = 15 * 60_000, addressLockMillis: Int64 = 15 * 60_000,
                perAccount: Int = 50, accountWindowMillis: Int64 = 60 * 60_000, accountLockMillis: Int64 = 60 * 60_000,
                cutOffMillis: Int64 = 30_000) {
        self.perAddress = perAddress
        self.addressWindowMillis = addressWindowMillis
        self.addressLockMillis = addressLockMillis
        self.perAccount = perAccount
        self.accountWindowMillis = accountWindowMillis
        self.accountLockMillis = accountLockMillis
        self.cutOffMillis = cutOffMillis
    }
}

/// The password checks of one account from one address that are claimed and have no outcome yet, as a store keeps
/// them: their claim times (milliseconds since the epoch), oldest first, as text (`1700000000000,1700000001000`).
public struct OpenSignInChecks: Sendable, Equatable {
    public private(set) var times: [Int64]

    public init(_ text: String?) {
        times = (text ?? "").split(separator: ",").compactMap { Int64($0) }
    }

    /// The stored form.
    public var text: String { times.map(String.init).joined(separator: ",") }

    /// Takes out the checks open for `cutOff` or longer at `now`, or claimed before `before` (cut off: their server
    /// was killed mid-check), and returns how many there were.
    public mutating func cutOff(at now: Int64, after cutOff: Int64, before: Int64 = .min) -> Int {
        let count = times.count
        times.removeAll { now - $0 >= cutOff || $0 < before }
        return count - times.count
    }

    /// One more check claimed at `now`.
    public mutating func claim(at now: Int64) { times.append(now) }

    /// One check's outcome recorded (the oldest open one: checks of an address end in about the order they start).
    public mutating func resolveOne() { if !times.isEmpty { times.removeFirst() } }
}

/// Whom a sign-in lock keeps out.
public enum SignInLockScope: String, Sendable, Equatable {
    /// One client address, for one account.
    case address
    /// Everyone, for one account.
    case account
}

/// What ``WorkspaceStore/claimSignIn(staff:address:at:limits:)`` decided.
public enum SignInClaim: Sendable, Equatable {
    /// No such account: nothing was counted.
    case noAccount
    /// Locked: refused before any password check, and nothing was counted.
    case locked(SignInLockScope, until: Int64)
    /// The password may be checked once. The check is counted as a failure (from the address and for the account)
    /// until ``WorkspaceStore/recordSuccessfulSignIn(staff:address:limits:)`` gives it back. `addressFailures` and
    /// `accountFailures` are the counts with this one; `locks` is the lock this check set, if it reached a limit
    /// (`.account` when it reached both): in force at once, lifted if the password turns out right.
    case granted(addressFailures: Int, accountFailures: Int, locks: SignInLockScope?)
}

/// The failed sign-ins of one account from one client address.
public struct AddressSignInFailures: Sendable, Equatable {
    public var staff: String
    public var address: String
    /// Password checks counted in the address's current window.
    public var failures: Int
    public var windowStart: Int64
    /// Until when this address is locked out of the account; `nil` when it is not.
    public var lockedUntil: Int64?

    public init(staff: String, address: String, failures: Int, windowStart: Int64, lockedUntil: Int64? = nil) {
        self.staff = staff
        self.address = address
        self.failures = failures
        self.windowStart = windowStart
        self.lockedUntil = lockedUntil
    }
}

/// A signed-in session (browser cookie or API bearer token). Only the SHA-256 of the token is stored.
public struct WorkspaceSession: Sendable, Equatable {
    /// Lower-case hex SHA-256 of the session token.
    public var tokenHash: String
    public var staff: String
    /// `web` (cookie, CSRF-checked forms) or `api` (bearer token).
    public var kind: String
    /// The synchronizer token every form of this session carries.
    public var csrf: String
    public var terminal: String
    public var created: Int64
    public var lastSeen: Int64
    /// The banner version acknowledged in this session; `nil` until acknowledged.
    public var bannerVersion: String?

    public init(tokenHash: String, staff: String, kind: String, csrf: String, terminal: String, created: Int64,
                lastSeen: Int64, bannerVersion: String? = nil) {
        self.tokenHash = tokenHash
        self.staff = staff
        self.kind = kind
        self.csrf = csrf
        self.terminal = terminal
        self.created = created
        self.lastSeen = lastSeen
        self.bannerVersion = bannerVersion
    }
}

/// One version of the warning banner shown before the business menu.
public struct BannerText: Sendable, Equatable {
    public var version: String
    public var ja: String
    public var en: String

    public init(version: String, ja: String, en: String) {
        self.version = version
        self.ja = ja
        self.en = en
    }
}

/// A certificate issued at the counter (発行番号 and what it was for): what a disclosure report and a later
/// 本人通知 need.
public struct IssuanceRecord: Sendable, Equatable {
    /// 発行番号, e.g. `27108-2026-000001`.
    public var number: String
    public var caseID: String
    public var register: String
    /// The certificate kind (the case kind, e.g. `certificate.full`).
    public var certificate: String
    public var copies: Int
    /// The requester class of the case (`self`, `family`, `third_party` …).
    public var requester: String?
    public var at: Timestamp
    public var staff: String
    public var office: String
    /// The `print` access event recording it.
    public var eventID: String

    public init(number: String, caseID: String, register: String, certificate: String, copies: Int, requester: String?,
                at: Timestamp, staff: String, office: String, eventID: String) {
        self.number = number
        self.caseID = caseID
        self.register = register
        self.certificate = certificate
        self.copies = copies
        self.requester = requester
        self.at = at
        self.staff = staff
        self.office = office
        self.eventID = eventID
    }
}

/// A request for a second person's approval (e.g. to show the 附票 of a person under DV support).
public struct ApprovalRequest: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, approved, denied, used }

    public var id: String
    /// Who asked.
    public var staff: String
    public var office: String
    public var register: String
    public var record: String
    public var caseID: String?
    public var reason: String?
    public var requested: Timestamp
    public var status: Status
    /// Who decided (never the requester).
    public var approver: String?
    public var decided: Timestamp?
    /// What the approver wrote with the decision (the reason for a denial, a condition of a grant); also in the
    /// decision's ledger entry.
    public var note: String?

    public init(id: String, staff: String, office: String, register: String, record: String, caseID: String?,
                reason: String?, requested: Timestamp, status: Status = .pending, approver: String? = nil,
                decided: Timestamp? = nil, note: String? = nil) {
        self.id = id
        self.staff = staff
        self.office = office
        self.register = register
        self.record = record
        self.caseID = caseID
        self.reason = reason
        self.requested = requested
        self.status = status
        self.approver = approver
        self.decided = decided
        self.note = note
    }
}

/// One submission of a form that acts (post/redirect/get): claimed by its one-time form token when the POST arrives,
/// it then holds what the operation did, so that the page the POST redirects to can show it and a second submission
/// of the same form (a double click, a reload of the POST, Back and send again) shows the first result instead of
/// acting again. Not a ledger entry: the ledger records the operation itself; a submission only remembers which one
/// it was, and is deleted once it expires.
public struct FormSubmission: Sendable, Equatable {
    /// Lower-case hex SHA-256 of the form's one-time token (the token itself is never stored).
    public var key: String
    /// Whose submission it is: the staff session's token hash, or `resident` for the resident page.
    public var owner: String
    /// What the form does: `view`, `issue`, `update`, `approval`, `letter`, `resident`.
    public var kind: String
    /// Milliseconds since the epoch when it was claimed.
    public var created: Int64
    /// Milliseconds since the epoch from which it is gone: its key may be claimed again and it may be deleted.
    public var expires: Int64
    /// What the operation did (JSON, or a sealed result in base64); `nil` while it is still running.
    public var result: String?

    public init(key: String, owner: String, kind: String, created: Int64, expires: Int64, result: String? = nil) {
        self.key = key
        self.owner = owner
        self.kind = kind
        self.created = created
        self.expires = expires
        self.result = result
    }
}

/// What a register search looks for; empty fields are not used.
public struct RegisterQuery: Sendable, Equatable {
    /// Part of a person's name (kanji).
    public var name: String?
    /// Part of a person's name in kana.
    public var kana: String?
    /// Birth date `YYYY-MM-DD`, or its start (`YYYY`, `YYYY-MM`).
    public var birth: String?
    /// Part of the 本籍.
    public var honseki: String?

    public init(name: String? = nil, kana: String? = nil, birth: String? = nil, honseki: String? = nil) {
        self.name = name
        self.kana = kana
        self.birth = birth
        self.honseki = honseki
    }

    /// Whether nothing is asked.
    public var isEmpty: Bool { [name, kana, birth, honseki].allSatisfy { ($0 ?? "").isEmpty } }
}

/// What the clerk workspace needs from a store beyond ``AkashiStore``: accounts, sessions, the banner, lookups of
/// reference records, case status, issuance records and approvals.
///
/// Nothing here can change or remove a ledger entry: events still go only through ``AkashiStore/ingest(_:)`` and
/// ``AkashiStore/appendJournal(_:)`` (by way of ``GroupCommitter``).
public protocol WorkspaceStore: AkashiStore, ReferenceStore, IssuanceStore {
    // MARK: Accounts and sessions
    func account(staff: String) async throws -> WorkspaceAccount?
    /// Creates or replaces the password hash of an account, clearing its lockout (every address's and the account's).
    func setPasswordHash(staff: String, hash: String) async throws
    /// Takes one password check for `staff` from client `address` at `at` (milliseconds since the epoch), before the
    /// password is checked, or refuses it. Counting and locking are one decision in the store (issue 18, F-5/F-6):
    /// the address's count and the account's count go up together, and the check that reaches
    /// ``SignInLimits/perAddress`` or ``SignInLimits/perAccount`` sets the lock then and there, so that however many
    /// servers share the store and however many guesses arrive at once, no address gets more than `perAddress`
    /// checks of an account in its window, and the account no more than `perAccount` in its window. A lock that has
    /// expired no longer refuses (the window starts afresh); a refused attempt is not counted. Without an account,
    /// ``SignInClaim/noAccount`` and nothing is written.
    ///
    /// A claim stays open until its outcome is recorded (``recordSuccessfulSignIn(staff:address:limits:)`` or
    /// ``recordFailedSignIn(staff:address:)``; ``OpenSignInChecks``). Claims still open ``SignInLimits/cutOffMillis``
    /// after they were made were cut off (their server was killed mid-check; the fault test locked a clerk out that
    /// way): the next claim of the address first gives their counts back, on the address and the account, lifting a
    /// lock they had set.
    func claimSignIn(staff: String, address: String, at millis: Int64, limits: SignInLimits) async throws -> SignInClaim
    /// The password of a granted claim was wrong: its count stays, and the claim is no longer open.
    func recordFailedSignIn(staff: String, address: String) async throws
    /// The password of a granted claim was right: clears the address's failures and its lock, and gives back the
    /// claim's count on the account (lifting the account's lock if this claim had set it).
    func recordSuccessfulSignIn(staff: String, address: String, limits: SignInLimits) async throws
    /// Clears every failure count and lock of the account (every address's and the account's).
    func clearFailedSignIns(staff: String) async throws
    /// The account's failures per client address, by address.
    func failedSignIns(staff: String) async throws -> [AddressSignInFailures]
    /// Accounts locked for everyone at `millis` (by the account-wide ceiling), by staff ID.
    func lockedAccounts(at millis: Int64) async throws -> [WorkspaceAccount]
    func createSession(_ session: WorkspaceSession) async throws
    func session(tokenHash: String) async throws -> WorkspaceSession?
    func touchSession(tokenHash: String, at millis: Int64) async throws
    func acknowledgeBanner(tokenHash: String, version: String) async throws
    func deleteSession(tokenHash: String) async throws
    /// Ends sessions whose last use is before `millis` (one last used at `millis` stays).
    func deleteSessions(idleSince millis: Int64) async throws

    // MARK: Banner
    /// The banner version stored last, if any was stored.
    func currentBanner() async throws -> BannerText?
    /// Stores a new banner version (versions are kept, never changed; the workspace numbers them).
    func saveBanner(_ banner: BannerText, at millis: Int64) async throws

    // MARK: Cases
    /// Open cases a staff member handles, newest first.
    func openCases(staff: String, limit: Int) async throws -> [Case]
    /// Closed cases (done, rejected or withdrawn, or with a closing time) a staff member handles, newest received
    /// first, at most `limit` (issue 19, C-10: the clerk sees their closed cases).
    func closedCases(staff: String, limit: Int) async throws -> [Case]
    /// Changes a case's status (and closing time): rewrites its stored record. Does not touch the ledger.
    func updateCase(_ c: Case) async throws
    /// Next value of a named counter (e.g. 受付番号 or 発行番号 per office and year), starting at 1.
    func nextCounter(_ name: String) async throws -> Int
    /// Keeps the details a case intake asked for (requester name, purpose …) as JSON text.
    func saveCaseDetails(caseID: String, json: String) async throws
    func caseDetails(caseID: String) async throws -> String?

    // MARK: Issuance and approvals
    func saveApproval(_ approval: ApprovalRequest) async throws
    func approval(id: String) async throws -> ApprovalRequest?
    /// Marks an approval used if, and only if, it is still approved and was asked for by `staff`, in one conditional
    /// write: of two simultaneous uses only one spends it. Returns whether this call spent it.
    func spendApproval(id: String, staff: String) async throws -> Bool
    /// Records a decision on an approval (with the approver's note, if any) if, and only if, it is still pending, in
    /// one conditional write: of two simultaneous decisions (two supervisors, or a grant and a denial) only one takes
    /// effect. Returns whether this call decided it. Who may decide (never the requester) is the workspace's rule, not
    /// the store's.
    func decideApproval(id: String, status: ApprovalRequest.Status, approver: String, decided: Timestamp,
                        note: String?) async throws -> Bool
    func pendingApprovals(office: String) async throws -> [ApprovalRequest]
    /// Approvals asked for by `staff` (any staff when `nil`) at `office` (any office when `nil`), whatever their status,
    /// newest request first (ties by ID, descending), at most `limit`.
    func approvals(staff: String?, office: String?, limit: Int) async throws -> [ApprovalRequest]

    // MARK: Form submissions (post/redirect/get)
    /// Claims a form submission's key: stores `submission` (without a result) unless a submission with the same key
    /// is there and has not expired at `submission.created`, in one conditional write (of two simultaneous claims only
    /// one succeeds). Returns `nil` when this call claimed it, or else the submission already there.
    func claimSubmission(_ submission: FormSubmission) async throws -> FormSubmission?
    /// Stores what a claimed submission did and when it expires; only the owner's claim is changed.
    func completeSubmission(key: String, owner: String, result: String, expires: Int64) async throws
    /// Extends to `expires` the claims among `keys` that have no result yet (the lease of a request still running;
    /// a claim whose request died is left to expire, and then the next claim of its key takes it over). Done ones and
    /// unknown keys are left alone.
    func renewSubmissions(keys: [String], expires: Int64) async throws
    /// Gives up a claim that has no result yet (the operation was refused), so the same form can be sent again; only
    /// the owner's claim, and never one that has a result.
    func releaseSubmission(key: String, owner: String) async throws
    /// The submission with this key, expired or not.
    func submission(key: String) async throws -> FormSubmission?
    /// Deletes the submissions that expired before `millis` (one expiring at `millis` stays).
    func deleteSubmissions(expiredBefore millis: Int64) async throws
}

extension WorkspaceStore {
    /// Records a decision without a note.
    public func decideApproval(id: String, status: ApprovalRequest.Status, approver: String, decided: Timestamp) async throws -> Bool {
        try await decideApproval(id: id, status: status, approver: approver, decided: decided, note: nil)
    }
}
