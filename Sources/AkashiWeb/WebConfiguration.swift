import AkashiReports
import AkashiStorage

/// Settings of the web app (clerk workspace, auditor console, API); defaults suit a single ward office.
public struct WebConfiguration: Sendable {
    /// Address to listen on.
    public var host = "127.0.0.1"
    /// Port to listen on.
    public var port = 8080
    /// Failed sign-ins of one account from one client address, within `lockoutSeconds`, after which that address
    /// (and only that address) is locked out of the account. The clerk at their own workstation is not kept out by
    /// a stranger's guesses (issue 18, F-6).
    public var lockoutAfter = 5
    /// How long an address's lockout lasts, and the window its failures are counted in, in seconds.
    public var lockoutSeconds: Int64 = 15 * 60
    /// Failed sign-ins of one account from every address together, within `accountLockoutWindowSeconds`, after
    /// which the account is locked for everyone for `accountLockoutSeconds` (journaled as `account.locked` with
    /// `scope: account`, listed on the administrator's page; `akashi account set-password` lifts it): a guess spread
    /// over many addresses is still bounded.
    public var accountLockoutAfter = 50
    public var accountLockoutWindowSeconds: Int64 = 60 * 60
    public var accountLockoutSeconds: Int64 = 60 * 60
    /// Addresses of the reverse proxies in front of the server (the TLS proxy). Only from these is `X-Forwarded-For`
    /// believed: the client is then the last address the proxy added. From anyone else the header is ignored, so no
    /// client can choose the address recorded for it or counted against a sign-in limit.
    public var trustedProxies: Set<String> = []
    /// Seconds a connection may stay silent (no bytes either way) before it is closed.
    public var idleTimeoutSeconds: Int64 = 60
    /// The token a metrics scraper sends (`Authorization: Bearer …`) to read `/metrics`; without one, only a signed-in
    /// auditor can read it. Set by `akashi serve` from `AKASHI_METRICS_TOKEN` (never on the command line).
    public var metricsToken: String?
    /// Sign-in attempts one client address may make a minute (counted before any password is checked). An office
    /// whose clerks all reach the server through one address (NAT) needs it as high as its morning sign-ins.
    public var signInsPerAddressPerMinute = 60
    /// Sign-in failures that anyone can cause without knowing an account (an unknown ID, a locked account, a throttled
    /// address) journaled a minute, across all clients; each journaled one counts those skipped before it.
    public var anonymousSignInFailuresJournaledPerMinute = RefusalJournalCap.perMinute
    /// Idle time after which a session ends, in seconds.
    public var sessionIdleSeconds: Int64 = 30 * 60
    /// Seconds between signed checkpoints while serving (when a signing key is given).
    public var checkpointInterval: Double = 10
    /// Seconds between background audits of new accesses while serving (0: never; then only `akashi audit` audits).
    /// With several servers on one store, one at a time audits (the store's audit lease).
    public var auditIntervalSeconds: Double = 30
    /// Whether cookies carry `Secure` (set it when the server is reached over TLS, e.g. behind a proxy).
    public var secureCookies = false
    /// The municipality's name, its desk for residents' questions and the resident page's public address: on the
    /// resident page and on every letter with a one-time code. Empty fields are unknown and left out.
    public var residentContact = ResidentContact()
    /// The warning banner shown before the business menu on every sign-in (Japanese).
    public var bannerJapanese = WebConfiguration.defaultBannerJapanese
    /// The same warning in English, shown beside it.
    public var bannerEnglish = WebConfiguration.defaultBannerEnglish
    /// scrypt cost for new password hashes: N = 2^`scryptLogN` (r = 8, p = 1). 15 ≈ 32 MiB and ~0.1 s per hash.
    public var scryptLogN = 15
    /// Most results a register search shows.
    public var searchLimit = 50
    /// Minutes an approval (second approver) stays usable after it is granted: for its purpose (the 附票 of its
    /// register, for its case or its stated reason), shown and issued as often as that purpose needs until then.
    public var approvalMinutes: Int64 = 30
    /// How long after an issuance its printable certificate can be opened, and only by the member of staff who issued
    /// it (security retest N-1): it shows the whole register. Each opening is recorded as a view; later, a new
    /// issuance is needed (recorded as such).
    public var printMinutes: Int64 = 60
    /// Minutes the page after a POST (a register shown, a letter with its one-time code) can be shown again, by the
    /// same session, without acting again (post/redirect/get); later it says it has expired.
    public var resultMinutes: Int64 = 10
    /// Microseconds a ledger commit waits for more events while commits run back to back (0: never; see
    /// `GroupCommitter`). Off by default: at 2,000 views/s, 400 µs gave 2.3-2.9 events a commit instead of 1.1-1.3 and
    /// 50-80 µs less CPU a view, but a p50 0.5-1 ms higher and no p99 gain that showed through the VM's noise.
    public var commitLingerMicroseconds = 0

    /// 「業務以外での利用は禁止されています。…」
    public static let defaultBannerJapanese = "業務以外での利用は禁止されています。すべての操作は記録され、監査されます。"
    public static let defaultBannerEnglish =
        "Use for anything but your duties is prohibited. Every operation is recorded and audited."

    /// The lockout limits as the store applies them.
    public var signInLimits: SignInLimits {
        SignInLimits(perAddress: lockoutAfter, addressWindowMillis: lockoutSeconds * 1000, addressLockMillis: lockoutSeconds * 1000,
                     perAccount: accountLockoutAfter, accountWindowMillis: accountLockoutWindowSeconds * 1000,
                     accountLockMillis: accountLockoutSeconds * 1000)
    }

    public init() {}
}
