/// How late this site files the documents behind its work, learned from its own accesses (docs/audit.md §4a).
///
/// Work is sometimes done before its document exists: an inquiry taken by phone and filed days later by the clerk
/// who took it, a paper form keyed in at the end of the week by a back office, a notification filed at another ward
/// and entered first by the office that keeps the register. A case about the very register opened, filed some days
/// after the access, explains it when links at that lag are much more common than chance would make them.
///
/// For every register access whose next ``horizonDays`` are already in the data, the engine notes the lag, in whole
/// days, to the next case about that very register received after it: handled by the accessor (``Link/own``), or
/// received at the accessor's office or about a register that office keeps (``Link/office``). Links in the second half
/// of the horizon are taken as chance (a register's later, unrelated business): their rate per day is the chance rate.
/// Going out from the access in widening bins, a bin counts as filing lag while its links per day are at least
/// ``minRatio`` times the chance rate (and at least ``minBinLinks``); the learned window ends at the last such bin.
/// An office uses its own window once it has ``minLinks`` links, else the site's, else the configured default.
///
/// Deterministic (counts in event order), incremental (kept in ``AuditState`` with the calibration), and bounded to
/// half the horizon.
public struct FilingLags: Sendable, Hashable {
    /// Which cases a lag is measured to.
    public enum Link: Int, CaseIterable, Sendable {
        /// A case handled by the accessor (`ownLateFilingDays`).
        case own = 0
        /// A case another member of staff handled, received at the accessor's office or about a register the
        /// accessor's office keeps (`officeLateFilingDays`, the `late_filed` rule).
        case office = 1
    }

    /// Days after an access in which later cases are looked for; the second half estimates chance.
    public static let horizonDays = 60
    /// The bins (start day, end day) a window can end at: days 0–1, 1–2, … 21–30.
    static let bins: [(Int, Int)] = [(0, 1), (1, 2), (2, 3), (3, 5), (5, 7), (7, 10), (10, 14), (14, 21), (21, 30)]
    /// A bin is filing lag while its links per day are at least this many times the chance rate …
    public static let minRatio = 2.0
    /// … and it holds at least this many links.
    public static let minBinLinks = 5
    /// Links within half the horizon needed before a window is learned (for the site, or for one office).
    public static let minLinks = 50
    /// The windows are recomputed after this many accesses noted.
    static let refreshEvery = 64

    /// Per office, per link kind, links by whole days of lag (`horizonDays` entries).
    var office: [[[Int]]] = []
    /// The site's totals.
    var site: [[Int]] = Link.allCases.map { _ in Array(repeating: 0, count: FilingLags.horizonDays) }
    /// Learned windows in days (nil: not learned), per office and kind, and for the site; refreshed as counts grow.
    var officeWindow: [[Int?]] = []
    var siteWindow: [Int?] = [nil, nil]
    var sinceRefresh = 0

    public init() {}

    init(offices: Int) {
        office = Array(repeating: Link.allCases.map { _ in Array(repeating: 0, count: Self.horizonDays) }, count: offices)
        officeWindow = Array(repeating: [nil, nil], count: offices)
    }

    /// Notes one access at office `o`: the lag in whole days to the next own and office case (nil: none within the
    /// horizon).
    mutating func observe(office o: Int32, own: Int?, office: Int?) {
        let known = o >= 0 && Int(o) < self.office.count
        if let d = own { note(0, d, known ? Int(o) : -1) }
        if let d = office { note(1, d, known ? Int(o) : -1) }
        sinceRefresh += 1
        if sinceRefresh >= Self.refreshEvery { refresh() }
    }

    private mutating func note(_ k: Int, _ d: Int, _ o: Int) {
        guard d >= 0, d < Self.horizonDays else { return }
        site[k][d] += 1
        if o >= 0 {
            self.office[o][k][d] += 1
            if !dirty.contains(o) { dirty.append(o) }
        }
    }

    /// Offices whose counts changed since the last refresh.
    var dirty: [Int] = []

    /// Recomputes the learned windows from the counts (the site's, and the offices whose counts changed).
    mutating func refresh() {
        sinceRefresh = 0
        for k in 0..<2 {
            siteWindow[k] = Self.window(site[k])
            for o in dirty { officeWindow[o][k] = Self.window(office[o][k]) }
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// The learned window in days for a link kind at office `o` (the office's, else the site's), or nil.
    public func days(_ link: Link, office o: Int32) -> Int? {
        if o >= 0, Int(o) < officeWindow.count, let d = officeWindow[Int(o)][link.rawValue] { return d }
        return siteWindow[link.rawValue]
    }

    /// Links counted for a link kind at office `o` (nil: the site) within half the horizon, and the chance rate per day.
    public func evidence(_ link: Link, office o: Int32?) -> (links: Int, chancePerDay: Double) {
        let c = o.map { Int($0) < office.count && $0 >= 0 ? office[Int($0)][link.rawValue] : [] } ?? site[link.rawValue]
        guard c.count == Self.horizonDays else { return (0, 0) }
        let half = Self.horizonDays / 2
        return (c[0..<half].reduce(0, +), Double(c[half...].reduce(0, +)) / Double(Self.horizonDays - half))
    }

    /// The window learned from one histogram of lags (nil: too few links).
    static func window(_ c: [Int]) -> Int? {
        guard c.count == horizonDays else { return nil }
        let half = horizonDays / 2
        let links = c[0..<half].reduce(0, +)
        guard links >= minLinks else { return nil }
        let chance = Double(c[half...].reduce(0, +)) / Double(horizonDays - half)
        var end = 1
        for (a, b) in bins {
            let n = c[a..<b].reduce(0, +)
            let perDay = Double(n) / Double(b - a)
            if n >= minBinLinks, perDay >= minRatio * chance { end = b }
        }
        return end
    }

    // MARK: State

    /// The counts in a form ``AuditState`` keeps.
    func saved(officeIDs: [String]) -> AuditState.Calibration.Lags {
        var rows: [AuditState.Calibration.Lags.Office] = []
        for o in office.indices where office[o].contains(where: { $0.contains { $0 > 0 } }) {
            rows.append(.init(office: officeIDs[o], own: office[o][0], atOffice: office[o][1], windows: officeWindow[o]))
        }
        return .init(horizonDays: Self.horizonDays, siteOwn: site[0], siteOffice: site[1], offices: rows,
                     sinceRefresh: sinceRefresh, siteWindows: siteWindow, changed: dirty.map { officeIDs[$0] })
    }

    /// Restores counts saved with the same horizon (another horizon starts afresh).
    mutating func restore(_ s: AuditState.Calibration.Lags, officeIndex: (String) -> Int32) {
        let h = Self.horizonDays
        guard s.horizonDays == h, s.siteOwn.count == h, s.siteOffice.count == h else { return }
        site = [s.siteOwn, s.siteOffice]
        // The windows as they were last refreshed (not recomputed now): a resumed audit decides as an uninterrupted one.
        siteWindow = s.siteWindows.count == 2 ? s.siteWindows : [nil, nil]
        for row in s.offices where row.own.count == h && row.atOffice.count == h {
            let o = officeIndex(row.office)
            guard o >= 0, Int(o) < office.count else { continue }
            office[Int(o)] = [row.own, row.atOffice]
            officeWindow[Int(o)] = row.windows.count == 2 ? row.windows : [nil, nil]
        }
        sinceRefresh = s.sinceRefresh
        dirty = (s.changed ?? []).map { Int(officeIndex($0)) }.filter { $0 >= 0 && $0 < office.count }
    }
}

extension AuditState.Calibration {
    /// The filing-lag counts (``FilingLags``).
    public struct Lags: Codable, Sendable, Hashable {
        public var horizonDays: Int
        /// Links by whole days of lag, for the site (own cases, office cases) and per office.
        public var siteOwn: [Int]
        public var siteOffice: [Int]
        public var offices: [Office]
        /// Accesses noted since the windows were last recomputed.
        public var sinceRefresh: Int
        /// The windows in use (days; own, office; null: not learned).
        public var siteWindows: [Int?]
        /// Offices whose counts changed since the windows were last recomputed.
        public var changed: [String]? = nil

        public struct Office: Codable, Sendable, Hashable {
            public var office: String
            public var own: [Int]
            public var atOffice: [Int]
            public var windows: [Int?]
        }
    }
}

/// One row of the learned filing windows `akashi audit calibrate` prints.
public struct FilingWindowRow: Sendable, Hashable {
    public var office: String?
    public var officeName: String?
    public var link: FilingLags.Link
    /// Links within half the horizon, and chance links per day (from the second half).
    public var links: Int
    public var chancePerDay: Double
    /// The window learned from these counts (nil: too few links), the configured default, and the window in use.
    public var learnedDays: Int?
    public var defaultDays: Int
    public var usedDays: Int
}

extension AuditEngine {
    /// The filing windows: for the site and each office with links, each link kind's learned window and the one in use.
    public func filingWindowTable() -> [FilingWindowRow] {
        let ctx = context
        let lags = calibration.lags
        var rows: [FilingWindowRow] = []
        func row(_ o: Int32?, _ link: FilingLags.Link) -> FilingWindowRow {
            let ev = lags.evidence(link, office: o)
            let learned = o.map { Int($0) < lags.officeWindow.count ? lags.officeWindow[Int($0)][link.rawValue] : nil }
                ?? lags.siteWindow[link.rawValue]
            let def = link == .own ? config.ownLateFilingDays : config.officeLateFilingDays
            let used = Int(late(link, o ?? -1) / Self.dayMs)
            return FilingWindowRow(office: o.map { ctx.officeTable.ids[Int($0)] }, officeName: o.flatMap { ctx.officeNames[Int($0)] },
                                   link: link, links: ev.links, chancePerDay: ev.chancePerDay, learnedDays: learned,
                                   defaultDays: def, usedDays: used)
        }
        for link in FilingLags.Link.allCases { rows.append(row(nil, link)) }
        for o in lags.office.indices where lags.office[o].contains(where: { $0.contains { $0 > 0 } }) {
            for link in FilingLags.Link.allCases { rows.append(row(Int32(o), link)) }
        }
        return rows
    }
}
