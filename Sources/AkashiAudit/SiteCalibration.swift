import AkashiDomain
import Foundation

/// What ordinary work looks like at this site, learned from the store's own accesses while auditing them.
///
/// A reason such as "opened directly, with no search" or "weekend" means little where that is how the site works
/// (registers opened from a document number, a weekend counter) and much where it never happens in legitimate work.
/// The engine counts, per office, how often each *contextual* reason would hold on accesses that a business
/// document explains strongly (legitimate work labels itself that way), and turns the rate into evidence: a reason's
/// odds are multiplied by `referenceRate / rateHere`, the likelihood ratio of that reason at this site against the
/// reference rate at which its default weight was set. Rates are shrunk towards the site's rate, and the site's rate
/// towards the reference, by pseudo-counts, so an office with little data keeps the defaults.
///
/// Deterministic (counts in event order), incremental (the counts are part of ``AuditState``), and cheap (a few
/// checks per explained access).
public struct SiteCalibration: Sendable, Hashable {
    /// The reasons whose weight is learned from the site's own work. Reasons about *who* was looked at (VIP, DV,
    /// own register, relatives, former spouse) are not: their legitimate undocumented rate is near zero everywhere.
    ///
    /// `alone_other_office` is about the *case* that explains an access, not about who was looked at: how often
    /// legitimate work here is explained by a case one member of staff handled alone, received at an office other than
    /// the one keeping the register (where a counter issues other wards' certificates, that is every such request).
    /// New reasons go at the end: saved counts of a shorter list are restored as a prefix.
    public static let reasons: [ReasonCode] = [.no_search, .night_holiday, .off_duty, .contractor, .neighbour,
                                               .search_nothing_opened, .alone_other_office]

    /// How often each reason holds on strongly explained register accesses where the default weights were set: the
    /// rate at which a reason keeps its default weight. Measured with `akashi audit calibrate` on `akashi generate
    /// --scale 0.02 --seed 3 --misuse` (190,261 explained accesses: no_search 0.453, night_holiday 0.0001, off_duty
    /// 0.0001, contractor 0.216, neighbour 0.0022), the generator the defaults were fitted on (docs/audit.md §7);
    /// the two rarest are floored at 0.0005 so that one site's handful of cases cannot double a weight.
    /// `alone_other_office` 0.03 on the same city (5,776 of 190,256; 0.021–0.040 by office): until a site's own data
    /// says otherwise, cases one clerk handled about another office's register are presumed ordinary, as they are in
    /// a city whose every ward office issues every ward's certificates (``AuditConfig/aloneRareRate``).
    public static func referenceRate(_ code: ReasonCode) -> Double {
        switch code {
        case .no_search: 0.45
        case .night_holiday: 0.0005
        case .off_duty: 0.0005
        case .contractor: 0.22
        case .neighbour: 0.002
        case .search_nothing_opened: 0.05
        case .alone_other_office: 0.03
        default: 0
        }
    }

    /// The register reasons (bits 0–4) are counted on strongly explained register accesses; `search_nothing_opened`
    /// (bit 5) on strongly explained searches that listed results, when their session ends.
    static let registerMask = 0b011111
    static let searchMask = 0b100000
    /// The case reason (bit 6), counted on the same register accesses when every office it needs is known.
    static let aloneOtherOfficeBit = 1 << 6

    /// Pseudo-counts: an office's rate counts as this many accesses at the site's rate …
    public var officePrior: Double = 300
    /// … and the site's rate as this many accesses at the reference rate.
    public var sitePrior: Double = 1000
    /// The learned odds factor is kept within these bounds: a reason that is ordinary here weighs less, down to
    /// 2 % of its odds; one that is rarer here than the reference keeps its default (rarity in documented work does
    /// not make undocumented work more suspect: contractors, say, may do little documented work and much counter
    /// consultation).
    public var minFactor: Double = 0.02
    public var maxFactor: Double = 1

    /// Reasons also weighed against this site's *undocumented* work: how often they hold on accesses no document
    /// explains. Most undocumented work is ordinary (counter consultations), so where a reason is common there it is
    /// common in ordinary work; a misuser's own accesses count at most ``perStaffDay`` a day, so one busy insider
    /// cannot make their own pattern look ordinary.
    public static let undocumentedReasons: [ReasonCode] = [.fuhyo_no_case, .contractor, .search_nothing_opened]

    /// How often each holds on undocumented legitimate work where the defaults were set: measured with `akashi audit
    /// calibrate` on `akashi generate --scale 0.02 --seed 3` without misuse (1,229 undocumented accesses: contractor
    /// 0.33; no 附票 and no search that opened nothing, so those two take a floor of 0.05: where more than one in
    /// twenty undocumented accesses does it, it is ordinary there).
    public static func undocumentedReference(_ code: ReasonCode) -> Double {
        switch code {
        case .fuhyo_no_case: 0.05
        case .contractor: 0.33
        case .search_nothing_opened: 0.05
        default: 0
        }
    }

    @inline(__always) static func undocumentedIndex(_ code: ReasonCode) -> Int? {
        switch code {
        case .fuhyo_no_case: 0
        case .contractor: 1
        case .search_nothing_opened: 2
        default: nil
        }
    }

    /// Undocumented accesses of one staff member counted per day, at most.
    public var perStaffDay = 20
    /// Per office, per undocumented reason: undocumented accesses it applies to and how many it holds on.
    var uSeen: [[Int]] = []
    var uHolds: [[Int]] = []
    var uSiteSeen: [Int] = Array(repeating: 0, count: SiteCalibration.undocumentedReasons.count)
    var uSiteHolds: [Int] = Array(repeating: 0, count: SiteCalibration.undocumentedReasons.count)

    /// Per office (index = office), per reason (index into ``reasons``): strongly explained accesses the reason
    /// applies to, and how many of them it would hold on; and the site's totals.
    var explained: [[Int]] = []
    var holds: [[Int]] = []
    var siteExplained: [Int] = Array(repeating: 0, count: SiteCalibration.reasons.count)
    var siteHolds: [Int] = Array(repeating: 0, count: SiteCalibration.reasons.count)

    /// How late documents are filed here (the explanation windows of late-filed work).
    public var lags = FilingLags()

    /// `in_case_session`, per staff member: undocumented accesses counted (at most ``perStaffDay`` a day) and how
    /// many of them were made amid the accessor's own documented case work (``AuditEngine``: within `amidCaseMinutes`
    /// after an access of theirs a case explains strongly). Counted per person because undocumented work is where misuse is: a site
    /// rate pooled over every undocumented access would be raised by the very insiders it should expose, so the
    /// site's rate is the **median** member of staff's (``sessionRate``), which a minority of insiders cannot move.
    var sessionSeen: [Int32] = []
    var sessionHolds: [Int32] = []
    /// Undocumented accesses counted for `in_case_session` so far, and the site's rate as of the latest multiple of
    /// ``sessionRefresh`` of them (a median over staff is too dear to take on every access; refreshed in event order
    /// and kept in the saved state, so an audit resumed from its state weighs exactly as one that never stopped).
    var sessionTotal = 0
    public private(set) var sessionRateNow = SiteCalibration.sessionReference
    /// How many members of staff ``sessionRateNow`` rests on (0: the reference).
    public private(set) var sessionRateStaff = 0
    public static let sessionRefresh = 256

    /// The reference rate of `in_case_session` over undocumented work: the share at which it keeps its default
    /// weight. A site whose counter clerks answer consultations between requests (so undocumented accesses often
    /// fall amid case work) has a higher median and the reason weighs less there. Measured with `akashi audit
    /// calibrate` on `akashi bench audit --scale 0.05 --seeds 3` (our generator, misuse on): a median of 0.019 over
    /// 201 members of staff (docs/audit.md §4a), the generator the default weight was set on.
    public static let sessionReference = 0.02
    /// A member of staff's rate counts towards the median from this many undocumented accesses; their rate is shrunk
    /// to the reference by as many pseudo-counts.
    public static let sessionMinAccesses = 5
    /// Fewer members of staff than this with enough accesses: the reference rate.
    public static let sessionMinStaff = 5

    public init() {}

    init(offices: Int, staff: Int = 0) {
        sessionSeen = [Int32](repeating: 0, count: staff)
        sessionHolds = sessionSeen
        lags = FilingLags(offices: offices)
        explained = Array(repeating: Array(repeating: 0, count: Self.reasons.count), count: offices)
        holds = explained
        uSeen = Array(repeating: Array(repeating: 0, count: Self.undocumentedReasons.count), count: offices)
        uHolds = uSeen
    }

    @inline(__always) static func index(_ code: ReasonCode) -> Int? {
        switch code {
        case .no_search: 0
        case .night_holiday: 1
        case .off_duty: 2
        case .contractor: 3
        case .neighbour: 4
        case .search_nothing_opened: 5
        case .alone_other_office: 6
        default: nil
        }
    }

    /// Counts one strongly explained access at office `o` for the reasons in `applies` (bit = index), of which those
    /// in `mask` would hold on it.
    mutating func count(office o: Int32, applies: Int, mask: Int) {
        Self.tally(&siteExplained, &siteHolds, &explained, &holds, office: o, applies: applies, mask: mask)
    }

    /// Counts one undocumented access at office `o` for the undocumented reasons in `applies` (bit = index into
    /// ``undocumentedReasons``), of which those in `mask` hold on it. The caller enforces ``perStaffDay``.
    mutating func countUndocumented(office o: Int32, applies: Int, mask: Int) {
        Self.tally(&uSiteSeen, &uSiteHolds, &uSeen, &uHolds, office: o, applies: applies, mask: mask)
    }

    /// Counts one undocumented access of member of staff `s` for `in_case_session` (the caller enforces
    /// ``perStaffDay``).
    mutating func countSession(staff s: Int, amidCaseWork: Bool) {
        guard s >= 0, s < sessionSeen.count else { return }
        sessionSeen[s] &+= 1
        if amidCaseWork { sessionHolds[s] &+= 1 }
        sessionTotal += 1
        if sessionTotal % Self.sessionRefresh == 0 { (sessionRateNow, sessionRateStaff) = sessionRate() }
    }

    /// The site's rate of `in_case_session` over undocumented work: the median, over members of staff with at least
    /// ``sessionMinAccesses`` undocumented accesses, of their rate shrunk to the reference; the reference itself
    /// while fewer than ``sessionMinStaff`` have that many. Returns the rate and how many members of staff it rests on.
    public func sessionRate() -> (rate: Double, staff: Int) {
        let k = Double(Self.sessionMinAccesses), ref = Self.sessionReference
        var rates: [Double] = []
        for i in sessionSeen.indices where sessionSeen[i] >= Int32(Self.sessionMinAccesses) {
            rates.append((Double(sessionHolds[i]) + k * ref) / (Double(sessionSeen[i]) + k))
        }
        guard rates.count >= Self.sessionMinStaff else { return (ref, rates.count) }
        rates.sort()
        let n = rates.count
        return (n % 2 == 1 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2, n)
    }

    /// The weight of `in_case_session` at this site: the default's odds times reference / the site's rate, bounded
    /// like every other factor (never above the default).
    public func sessionWeight(_ w: Double, rate: Double) -> Double {
        guard w > 0, w < 1 else { return w }
        return Self.scaled(w, by: bounded(Self.sessionReference, rate))
    }

    /// The likelihood-ratio factor reference / rate here, within `minFactor`…`maxFactor` (`maxFactor` at a rate of 0).
    func bounded(_ reference: Double, _ here: Double) -> Double {
        here > 0 ? min(max(reference / here, minFactor), maxFactor) : maxFactor
    }

    /// A weight whose odds are multiplied by `f` (at most 0.95).
    static func scaled(_ w: Double, by f: Double) -> Double {
        let odds = w / (1 - w) * f
        return min(odds / (1 + odds), 0.95)
    }

    /// Adds one access to the site's and the office's counts: seen for each reason in `applies`, held for each in `mask`.
    static func tally(_ siteSeen: inout [Int], _ siteHolds: inout [Int], _ seen: inout [[Int]], _ holds: inout [[Int]],
                      office o: Int32, applies: Int, mask: Int) {
        let known = o >= 0 && Int(o) < seen.count
        for k in siteSeen.indices where applies & (1 << k) != 0 {
            siteSeen[k] += 1
            if known { seen[Int(o)][k] += 1 }
            guard mask & (1 << k) != 0 else { continue }
            siteHolds[k] += 1
            if known { holds[Int(o)][k] += 1 }
        }
    }

    /// The rate of undocumented reason `k` at office `o` (shrunk to the site's, and that to the reference).
    func undocumentedRate(_ k: Int, office o: Int32) -> Double {
        shrunk(siteHolds: uSiteHolds[k], siteSeen: uSiteSeen[k], reference: Self.undocumentedReference(Self.undocumentedReasons[k]),
               office: o, holds: { self.uHolds[$0][k] }, seen: { self.uSeen[$0][k] }, offices: uSeen.count)
    }

    /// An office's rate shrunk to the site's by `officePrior` pseudo-counts, and the site's to `reference` by
    /// `sitePrior` (the site's rate when the office is unknown).
    func shrunk(siteHolds: Int, siteSeen: Int, reference: Double, office o: Int32, holds: (Int) -> Int,
                seen: (Int) -> Int, offices: Int) -> Double {
        let site = (Double(siteHolds) + sitePrior * reference) / (Double(siteSeen) + sitePrior)
        guard o >= 0, Int(o) < offices else { return site }
        return (Double(holds(Int(o))) + officePrior * site) / (Double(seen(Int(o))) + officePrior)
    }

    /// The rate of reason `k` among explained accesses at office `o` (shrunk to the site's rate).
    func rate(_ k: Int, office o: Int32) -> Double {
        shrunk(siteHolds: siteHolds[k], siteSeen: siteExplained[k], reference: Self.referenceRate(Self.reasons[k]),
               office: o, holds: { self.holds[$0][k] }, seen: { self.explained[$0][k] }, offices: explained.count)
    }

    /// The likelihood-ratio factor for a reason at an office: reference rate / rate here, bounded.
    public func factor(_ code: ReasonCode, office o: Int32) -> Double {
        var f = 1.0
        if let k = Self.index(code) { f = bounded(Self.referenceRate(code), rate(k, office: o)) }
        if let k = Self.undocumentedIndex(code) {
            f = min(f, bounded(Self.undocumentedReference(code), undocumentedRate(k, office: o)))
        }
        return f
    }

    /// A default weight turned into this site's: its odds times ``factor(_:office:)``.
    public func weight(_ w: Double, _ code: ReasonCode, office o: Int32) -> Double {
        guard Self.index(code) != nil || Self.undocumentedIndex(code) != nil, w > 0, w < 1 else { return w }
        return Self.scaled(w, by: factor(code, office: o))
    }

    // MARK: State

    /// The counts in a form ``AuditState`` keeps (office codes, not indexes).
    func saved(officeIDs: [String], staffIDs: [String]) -> AuditState.Calibration {
        var rows: [AuditState.Calibration.Office] = []
        for o in explained.indices where explained[o].contains(where: { $0 > 0 }) {
            rows.append(.init(office: officeIDs[o], explained: explained[o], holds: holds[o]))
        }
        var uRows: [AuditState.Calibration.Office] = []
        for o in uSeen.indices where uSeen[o].contains(where: { $0 > 0 }) {
            uRows.append(.init(office: officeIDs[o], explained: uSeen[o], holds: uHolds[o]))
        }
        return AuditState.Calibration(reasons: Self.reasons.map(\.rawValue), siteExplained: siteExplained,
                                      siteHolds: siteHolds, offices: rows,
                                      undocumented: .init(reasons: Self.undocumentedReasons.map(\.rawValue),
                                                          siteExplained: uSiteSeen, siteHolds: uSiteHolds,
                                                          offices: uRows),
                                      lags: lags.saved(officeIDs: officeIDs),
                                      session: sessionSeen.indices.filter { sessionSeen[$0] > 0 }.map {
                                          .init(office: staffIDs[$0], explained: [Int(sessionSeen[$0])],
                                                holds: [Int(sessionHolds[$0])])
                                      },
                                      sessionRate: sessionRateNow, sessionRateStaff: sessionRateStaff)
    }

    /// Restores counts saved with the same reason list or a prefix of it (reasons added since start at zero; a
    /// different list starts afresh).
    mutating func restore(_ c: AuditState.Calibration, officeIndex: (String) -> Int32,
                          staffIndex: (String) -> Int32 = { _ in -1 }) {
        Self.restore(reasons: c.reasons, expected: Self.reasons, siteSeen: c.siteExplained, siteHolds: c.siteHolds,
                     offices: c.offices, officeIndex: officeIndex,
                     into: &siteExplained, &siteHolds, &explained, &holds)
        if let u = c.undocumented {
            Self.restore(reasons: u.reasons, expected: Self.undocumentedReasons, siteSeen: u.siteExplained,
                         siteHolds: u.siteHolds, offices: u.offices, officeIndex: officeIndex,
                         into: &uSiteSeen, &uSiteHolds, &uSeen, &uHolds)
        }
        if let l = c.lags { lags.restore(l, officeIndex: officeIndex) }
        for row in c.session ?? [] where row.explained.count == 1 && row.holds.count == 1 {
            let s = Int(staffIndex(row.office))
            guard s >= 0, s < sessionSeen.count else { continue }
            sessionSeen[s] = Int32(clamping: row.explained[0])
            sessionHolds[s] = Int32(clamping: min(row.holds[0], row.explained[0]))
        }
        sessionTotal = sessionSeen.reduce(0) { $0 + Int($1) }
        if let r = c.sessionRate, let n = c.sessionRateStaff, r.isFinite, r >= 0, r <= 1, n >= 0 {
            (sessionRateNow, sessionRateStaff) = (r, n)
        }
    }

    /// Copies one family of saved counts back when it was saved for the same reasons in the same order.
    static func restore(reasons: [String], expected: [ReasonCode], siteSeen savedSeen: [Int], siteHolds savedHolds: [Int],
                        offices: [AuditState.Calibration.Office], officeIndex: (String) -> Int32,
                        into siteSeen: inout [Int], _ siteHolds: inout [Int], _ seen: inout [[Int]],
                        _ holds: inout [[Int]]) {
        // A list saved before reasons were added at the end is restored as a prefix; the new ones start at zero.
        let n = reasons.count
        guard n <= expected.count, reasons == expected.prefix(n).map(\.rawValue), savedSeen.count == n,
              savedHolds.count == n else { return }
        siteSeen.replaceSubrange(0..<n, with: savedSeen)
        siteHolds.replaceSubrange(0..<n, with: savedHolds)
        for row in offices where row.holds.count == n && row.explained.count == n {
            let o = officeIndex(row.office)
            guard o >= 0, Int(o) < seen.count else { continue }
            seen[Int(o)].replaceSubrange(0..<n, with: row.explained)
            holds[Int(o)].replaceSubrange(0..<n, with: row.holds)
        }
    }
}

extension AuditState {
    /// The site calibration's counts (``SiteCalibration``).
    public struct Calibration: Codable, Sendable, Hashable {
        /// The reason codes the counts are in the order of.
        public var reasons: [String]
        /// Per reason: strongly explained accesses it applies to, and how many it would hold on.
        public var siteExplained: [Int]
        public var siteHolds: [Int]
        public var offices: [Office]
        /// Strongly explained register accesses seen so far (the calibration counts every eighth).
        public var tick: Int? = nil
        /// The same counts over undocumented accesses (``SiteCalibration/undocumentedReasons``); `explained` there
        /// counts undocumented accesses.
        public var undocumented: Undocumented? = nil
        /// How late documents are filed here (``FilingLags``).
        public var lags: Lags? = nil
        /// `in_case_session`, per member of staff (`office` holds the staff ID): undocumented accesses counted and how
        /// many were amid their own case work (``SiteCalibration/sessionRate()``).
        public var session: [Office]? = nil
        /// The site's `in_case_session` rate in use, and how many members of staff it rests on.
        public var sessionRate: Double? = nil
        public var sessionRateStaff: Int? = nil

        public struct Undocumented: Codable, Sendable, Hashable {
            public var reasons: [String]
            public var siteExplained: [Int]
            public var siteHolds: [Int]
            public var offices: [Office]
        }

        public struct Office: Codable, Sendable, Hashable {
            public var office: String
            public var explained: [Int]
            public var holds: [Int]
        }
    }
}

/// One row of the learned table `akashi audit calibrate` prints.
public struct CalibrationRow: Sendable, Hashable {
    public var office: String?
    public var officeName: String?
    public var reason: ReasonCode
    /// Strongly explained accesses seen (at the office, or at the site when `office` is nil).
    public var explained: Int
    /// How many of them the reason would hold on.
    public var holds: Int
    /// The rate used (shrunk), the reference rate, and the weight before and after.
    public var rate: Double
    public var referenceRate: Double
    public var defaultWeight: Double
    public var weight: Double
    /// Counted over undocumented accesses (`explained` then counts those) rather than explained ones.
    public var undocumented: Bool = false
    /// For a case shape (`alone_other_office`): the rate at or below which the shape puts the case in doubt. Its
    /// weight here is then the default where the rate is at most this, and 0 (never raised) above it.
    public var doubtAtMost: Double? = nil
    /// For `in_case_session`: the rate is the median member of staff's, over this many members of staff (0: too few
    /// yet, the reference is used).
    public var medianOverStaff: Int? = nil

    /// Why the weight is what it is here (ja / en). A weight is the smaller of its two baselines' (documented and
    /// undocumented work), so a row whose own rate is not above its reference was lowered by the other row.
    public var why: String {
        if let n = medianOverStaff, n < SiteCalibration.sessionMinStaff {
            return "職員が少なく（\(n)人）基準の値 / too few staff yet (\(n)): the reference rate"
        }
        if let t = doubtAtMost {
            let limit = "\((t * 1000).rounded() / 10)%"
            return rate <= t
                ? "ここではまれ（\(limit)以下）：この形の案件は弱い説明 / rare here (at most \(limit)): such a case is a weak explanation"
                : "ここでは普通の業務（\(limit)超）：疑わない / ordinary work here (above \(limit)): not in doubt"
        }
        if weight < defaultWeight - 0.005, rate > referenceRate {
            return "ここでは普通の業務にも多い（基準の\(String(format: "%.1f", rate / max(referenceRate, 1e-9)))倍） / common in ordinary work here"
        }
        if weight < defaultWeight - 0.005 {
            return undocumented
                ? "文書のある業務での割合で軽くなった / lowered by its rate in documented work (its row above)"
                : "文書なしの業務での割合で軽くなった / lowered by its rate over undocumented work (its row marked so)"
        }
        if weight > defaultWeight + 0.005 { return "ここでは普通の業務にまれ / rare in ordinary work here" }
        return "基準どおり / as the reference"
    }
}

extension AuditEngine {
    /// The learned table: for the site and each office, each calibrated reason's rate among explained work here,
    /// the reference rate, and the weight it gets here.
    public func calibrationTable() -> [CalibrationRow] {
        let ctx = context
        let cal = calibration
        /// One reason's row at office `o` (−1: the site), over explained or undocumented work.
        func row(_ o: Int, _ k: Int, _ code: ReasonCode, undocumented u: Bool) -> CalibrationRow {
            let w0 = config.weights.weight(code)
            let site = o < 0
            let seen = u ? (site ? cal.uSiteSeen[k] : cal.uSeen[o][k]) : (site ? cal.siteExplained[k] : cal.explained[o][k])
            let held = u ? (site ? cal.uSiteHolds[k] : cal.uHolds[o][k]) : (site ? cal.siteHolds[k] : cal.holds[o][k])
            let rate = u ? cal.undocumentedRate(k, office: Int32(o)) : cal.rate(k, office: Int32(o))
            let shape = code == .alone_other_office ? config.aloneRareRate : nil
            let weight = shape.map { rate <= $0 ? w0 : 0 } ?? cal.weight(w0, code, office: Int32(o))
            return CalibrationRow(office: site ? nil : ctx.officeTable.ids[o], officeName: site ? nil : ctx.officeNames[o],
                                  reason: code, explained: seen, holds: held, rate: rate,
                                  referenceRate: u ? SiteCalibration.undocumentedReference(code)
                                      : SiteCalibration.referenceRate(code),
                                  defaultWeight: w0, weight: weight, undocumented: u, doubtAtMost: shape)
        }
        var rows: [CalibrationRow] = []
        for o in [-1] + cal.explained.indices.filter({ cal.explained[$0].contains(where: { $0 > 0 }) }) {
            for (k, code) in SiteCalibration.reasons.enumerated() { rows.append(row(o, k, code, undocumented: false)) }
            for (k, code) in SiteCalibration.undocumentedReasons.enumerated() { rows.append(row(o, k, code, undocumented: true)) }
            if o < 0 {
                // `in_case_session`: counted per member of staff, weighed at the site's median (not per office).
                let w0 = config.weights.inCaseSession
                rows.append(CalibrationRow(office: nil, officeName: nil, reason: .in_case_session,
                                           explained: cal.sessionSeen.reduce(0) { $0 + Int($1) },
                                           holds: cal.sessionHolds.reduce(0) { $0 + Int($1) },
                                           rate: cal.sessionRateNow, referenceRate: SiteCalibration.sessionReference,
                                           defaultWeight: w0, weight: cal.sessionWeight(w0, rate: cal.sessionRateNow),
                                           undocumented: true, medianOverStaff: cal.sessionRateStaff))
            }
        }
        return rows
    }
}
