import AkashiDomain

/// Every window, threshold and weight the audit uses, with defaults (docs/audit.md explains each).
///
/// Windows are in minutes or days as named. The weights are the probability-like strength of each reason,
/// combined by noisy-OR into ``AccessFinding/score``; the defaults were set by hand from how often the
/// legitimate look-alike of each reason occurs without a document (see docs/audit.md, “重み / Weights”) and are
/// meant to be calibrated on generated data.
public struct AuditConfig: Sendable {
    // MARK: Explanation windows

    /// A case received up to this many minutes AFTER an access still explains it (cases keyed in after the
    /// counter work was done). Also the slack before `received` for every case-based rule.
    public var lateKeyingMinutes: Int = 24 * 60
    /// A case about the very register opened, handled by the accessor, explains the access when it was filed up to
    /// this many days AFTER it (work done first, filed later: an official inquiry taken by phone, a request keyed in
    /// at the end of the week). Other links keep `lateKeyingMinutes`.
    public var ownLateFilingDays: Int = 14
    /// `late_filed`: a request about the very register opened, received at the accessor's office up to this many days
    /// AFTER the access (paper forms keyed in later by another member of staff) explains it. At most
    /// `ownLateFilingDays`.
    public var officeLateFilingDays: Int = 7
    /// A case explains accesses up to this many days after it was closed (follow-up, 審査, 決裁).
    public var closedSlackDays: Int = 3
    /// A case with no `closed` time counts as active this many days after `received`.
    public var openCaseDays: Int = 30
    /// How far back (days, by `received`) the engine looks for a case; bounds the scan of each case list.
    public var maxCaseLookbackDays: Int = 120
    /// A case named on the access (`named_case`) explains it from `received − lateKeying` to this many days after
    /// it was closed; outside that the named case is a `case_mismatch` (an old case reused).
    public var namedCaseSlackDays: Int = 7
    /// `forwarded_case`: the keeping office may act on a case received by another office up to this many days
    /// after it was closed (or received).
    public var forwardDays: Int = 14
    /// `inquiry` / `correction`: office-wide, up to this many days after the case was closed (or received).
    public var inquiryDays: Int = 30
    /// `namesake`: the same staff member opened the register within this many minutes of working a case for a
    /// person of the same name (one session).
    public var sessionGapMinutes: Int = 30
    /// `in_case_session`: an access no document explains, made within this many minutes after an access of the same
    /// member of staff that a case explains strongly, counts as made amid their case work.
    public var amidCaseMinutes: Int = 10
    /// How many steps of predecessors / successors (改製, 転籍, 婚姻 …) count as the same lineage.
    public var lineageDepth: Int = 3

    // MARK: Risk windows

    /// Night starts at this minute of the day (JST). Default 20:00.
    public var nightStartMinute: Int = 20 * 60
    /// Night ends at this minute of the day (JST). Default 07:30.
    public var nightEndMinute: Int = 7 * 60 + 30
    /// `night_holiday` is not raised when the accessor's office received some case within this many minutes
    /// of the access (the office was open: 時間外受付, 休日開庁).
    public var nightCaseWindowMinutes: Int = 120
    /// Extra closed days (e.g. a municipality's own closures) besides weekends, national holidays and 年末年始.
    public var extraHolidays: [LocalDate] = []
    /// Whether 12/29–1/3 (年末年始) count as closed days.
    public var newYearBreak: Bool = true
    /// Years for which the holiday table is computed.
    public var holidayYears: ClosedRange<Int> = 1990...2060
    /// `repeated`: raised when the staff member already made unexplained accesses to the same person on at
    /// least this many other days …
    public var repeatedMinPriorDays: Int = 1
    /// … within this many days.
    public var repeatedWindowDays: Int = 365
    /// `bulk_search`: raised on an unexplained search once the staff member's unexplained searches that day exceed
    /// both this floor …
    public var bulkMinSearches: Int = 10
    /// … and this multiple of the office's peer mean (unexplained searches per staff-day).
    public var bulkFactor: Double = 5
    /// After a day over the `bulk_search` threshold, every unexplained search by the same staff member in this many
    /// days counts as bulk from the first (a bulk pattern spans months, not one day).
    public var bulkMemoryDays: Int = 0
    /// The peer mean is used only after this many staff-days have been seen in the office.
    public var bulkMinPeerDays: Int = 5
    /// `search_protected`: a query of a protected person's surname alone names them only when at most this many
    /// persons carry that surname (a full name, or a name reaching past the surname, always does).
    public var rareSurnamePersons: Int = 20
    /// `self_made_case`: an open case counts as never completed when it was received this many days before the
    /// newest case in the data.
    public var selfMadeStaleDays: Int = 14
    /// `alone_other_office`: a case one clerk alone handled, about a register kept by another office than the case's
    /// and the clerk's, is a weak explanation only where such cases explain at most this share of the office's
    /// explained accesses (learned; presumed ordinary until the site's data shows it rare).
    public var aloneRareRate: Double = 0.005
    /// `staff_pattern`: raised on an unexplained register access (or an unexplained search with a reason besides
    /// `search_no_case`) when the same staff member had at least `patternMinFlags` flagged accesses in the
    /// `patternDays` days before.
    public var patternDays: Int = 60
    public var patternMinFlags: Int = 5

    // MARK: Scoring

    /// Per-reason weights (noisy-OR).
    public var weights: Weights = Weights()
    /// Score of an unexplained register access before any reason (so every unexplained access ranks above every
    /// explained one).
    public var unexplainedBase: Double = 0.15
    /// Reason weights are multiplied by this when the access is only weakly explained (`namesake`).
    public var weakDamping: Double = 0.5
    /// A finding is flagged when its score reaches this.
    public var flagThreshold: Double = 0.5
    /// Learn the weight of the contextual reasons from this site's own explained work (``SiteCalibration``).
    public var calibrate: Bool = true
    /// Auditors' decisions on earlier findings (``AuditFeedback``), applied to the reasons of new accesses.
    public var feedback: AuditFeedback = AuditFeedback()

    public init() {}

    /// The weight of each reason code. See docs/audit.md for how each default was chosen.
    public struct Weights: Sendable, Hashable {
        public var vip: Double = 0.7
        public var dvSupport: Double = 0.75
        /// `dv_support` when the address attachment (附票) itself was opened.
        public var dvSupportFuhyo: Double = 0.9
        public var ownRegister: Double = 0.6
        public var relative: Double = 0.55
        public var formerSpouse: Double = 0.65
        public var coworker: Double = 0.5
        public var neighbour: Double = 0.3
        public var offDuty: Double = 0.45
        public var contractor: Double = 0.3
        public var nightHoliday: Double = 0.45
        public var repeated: Double = 0.45
        public var searchNoCase: Double = 0.1
        public var searchProtected: Double = 0.55
        /// `search_protected` when the protected person is only a row of a long result list (more than
        /// `relatedResultLimit` rows) and the query does not name them: mostly chance, so it does not flag alone.
        public var searchProtectedInList: Double = 0.3
        public var bulkSearch: Double = 0.5
        public var caseMismatch: Double = 0.6
        public var selfMadeCase: Double = 0.4
        /// `self_made_case` when the case was left open (stale) rather than withdrawn.
        public var selfMadeOpenCase: Double = 0.5
        public var printNoRequest: Double = 0.45
        public var breakGlass: Double = 0.35
        public var noSearch: Double = 0.45
        public var fuhyoNoCase: Double = 0.45
        public var searchSeries: Double = 0.5
        public var searchLedToFlag: Double = 0.5
        public var sessionLedToFlag: Double = 0.5
        public var searchNothingOpened: Double = 0.3
        public var staffPattern: Double = 0.15
        /// `alone_other_office` where the shape is as rare as at the reference rate
        /// (``SiteCalibration/referenceRate(_:)``); the same as a withdrawn self-made case.
        public var aloneOtherOffice: Double = 0.4
        /// `in_case_session` on a register access (flags alone with the unexplained base) and on a search (does not
        /// flag alone: with `search_no_case` it needs one more reason), where the site's rate is at the reference.
        public var inCaseSession: Double = 0.45
        public var inCaseSessionSearch: Double = 0.4

        public init() {}

        /// The weight for a reason code (0 for an unknown code). `fuhyo` selects the variant of a code that has one:
        /// `dv_support` on the 附票 itself (heavier), `search_protected` only as a row of a long result list (lighter).
        public func weight(_ code: ReasonCode, fuhyo: Bool = false) -> Double {
            switch code {
            case .vip: vip
            case .dv_support: fuhyo ? dvSupportFuhyo : dvSupport
            case .own_register: ownRegister
            case .relative: relative
            case .former_spouse: formerSpouse
            case .coworker: coworker
            case .neighbour: neighbour
            case .off_duty: offDuty
            case .contractor: contractor
            case .night_holiday: nightHoliday
            case .repeated: repeated
            case .search_no_case: searchNoCase
            case .search_protected: fuhyo ? searchProtectedInList : searchProtected
            case .bulk_search: bulkSearch
            case .case_mismatch: caseMismatch
            case .self_made_case: selfMadeCase
            case .print_no_request: printNoRequest
            case .break_glass: breakGlass
            case .no_search: noSearch
            case .fuhyo_no_case: fuhyoNoCase
            case .search_series: searchSeries
            case .search_led_to_flag: searchLedToFlag
            case .session_led_to_flag: sessionLedToFlag
            case .search_nothing_opened: searchNothingOpened
            case .staff_pattern: staffPattern
            case .alone_other_office: aloneOtherOffice
            case .in_case_session: inCaseSession
            }
        }

        /// Sets the weight for a reason code (`dv_support` sets the non-fuhyo weight; `dv_support_fuhyo` is not a
        /// code). Returns false for nothing set.
        @discardableResult
        public mutating func set(_ code: ReasonCode, _ v: Double) -> Bool {
            switch code {
            case .vip: vip = v
            case .dv_support: dvSupport = v
            case .own_register: ownRegister = v
            case .relative: relative = v
            case .former_spouse: formerSpouse = v
            case .coworker: coworker = v
            case .neighbour: neighbour = v
            case .off_duty: offDuty = v
            case .contractor: contractor = v
            case .night_holiday: nightHoliday = v
            case .repeated: repeated = v
            case .search_no_case: searchNoCase = v
            case .search_protected: searchProtected = v
            case .bulk_search: bulkSearch = v
            case .case_mismatch: caseMismatch = v
            case .self_made_case: selfMadeCase = v
            case .print_no_request: printNoRequest = v
            case .break_glass: breakGlass = v
            case .no_search: noSearch = v
            case .fuhyo_no_case: fuhyoNoCase = v
            case .search_series: searchSeries = v
            case .search_led_to_flag: searchLedToFlag = v
            case .session_led_to_flag: sessionLedToFlag = v
            case .search_nothing_opened: searchNothingOpened = v
            case .staff_pattern: staffPattern = v
            case .alone_other_office: aloneOtherOffice = v
            case .in_case_session: inCaseSession = v
            }
            return true
        }
    }
}
