/// The running state of an ``AuditEngine`` that stateful reasons need, in a form a store can save.
///
/// IDs are kept as strings so the state survives a rebuilt ``AuditContext`` (new reference data re-interns
/// every ID). Restore with ``AuditEngine/init(context:config:state:)`` and feed only the new events.
public struct AuditState: Codable, Sendable, Hashable {
    /// Unexplained accesses by one staff member to one subject (person, or register when no person is known).
    public struct Repeat: Codable, Sendable, Hashable {
        public var staff: String
        /// `P…` person ID, or `R…` register ID prefixed with `register:` when no person was known.
        public var subject: String
        /// JST day numbers (days since 1970-01-01) of the most recent distinct days, oldest first.
        public var days: [Int32]
        public var count: Int
    }

    /// Unexplained searches of one staff member on their latest day.
    public struct SearchDay: Codable, Sendable, Hashable {
        public var staff: String
        public var day: Int32
        public var searches: Int
        public var unexplained: Int
        public var office: String?
    }

    /// The peer baseline of one office: staff-days seen and unexplained searches in them.
    public struct OfficeBaseline: Codable, Sendable, Hashable {
        public var office: String
        public var staffDays: Int
        public var unexplainedSearches: Int
    }

    /// The last case that strongly explained an access by a staff member (the current session).
    public struct Session: Codable, Sendable, Hashable {
        public var staff: String
        public var caseID: String
        /// Milliseconds since the epoch.
        public var at: Int64
    }

    /// A recent search of a staff member (the session's searches: `no_search`, `search_series`, revisions).
    public struct RecentSearch: Codable, Sendable, Hashable {
        public var staff: String
        public var access: String
        /// Milliseconds since the epoch.
        public var at: Int64
        public var results: [String]
        public var unexplained: Bool
        public var flagged: Bool
        /// The case that explained the search (namesake slips from its result list).
        public var caseID: String? = nil
        /// True for an undocumented register access kept for `session_led_to_flag` (`results` = its register).
        public var view: Bool? = nil
        /// The name or kana the search asked for (normalised), when it is some person's.
        public var query: String? = nil
        /// The surname part of that query (normalised), for slips the logged result list does not show.
        public var querySurname: String? = nil
        /// The office of the access.
        public var office: String? = nil
        /// Whether the undocumented search was counted for the site calibration when it was audited (within the
        /// day's `perStaffDay`): only then is it counted again, for `search_nothing_opened`, when its session ends
        /// (nil in states saved before: counted).
        public var counted: Bool? = nil
    }

    /// The last register access of a staff member and the last day over the bulk threshold.
    public struct StaffMark: Codable, Sendable, Hashable {
        public var staff: String
        /// Milliseconds since the epoch of the last register access (`nil` if none).
        public var lastOpenedAt: Int64?
        /// JST day number of the last day over the `bulk_search` threshold.
        public var bulkDay: Int32?
        /// JST day numbers of the staff member's latest flagged accesses (`staff_pattern`).
        public var flagDays: [Int32]? = nil
        /// The JST day of the staff member's latest undocumented access counted for the site calibration, and how
        /// many were counted that day (the `perStaffDay` cap goes on across a resumed audit).
        public var undocumentedDay: Int32? = nil
        public var undocumentedCount: Int32? = nil
    }

    public var version: Int = 2
    public var recentSearches: [RecentSearch]? = nil
    public var staffMarks: [StaffMark]? = nil
    public var repeats: [Repeat] = []
    public var searchDays: [SearchDay] = []
    public var baselines: [OfficeBaseline] = []
    public var sessions: [Session] = []
    /// The site calibration's counts (absent in states saved before it existed: it starts afresh). Kept under a key
    /// of its own form's name: a state written by an earlier form of the counts (key `calibration`) is ignored, and
    /// the counts start afresh, rather than failing to decode.
    public var siteCalibration: Calibration? = nil
    /// Milliseconds since the epoch of the newest event audited (`nil` before any).
    public var lastEventAt: Int64?
    /// Events audited so far.
    public var events: Int = 0

    public init() {}
}
