import AkashiDomain

/// What auditors have decided about earlier findings, as evidence for the same pattern at the same office.
///
/// A disposition (misuse confirmed, or for work) teaches more than the one access: each reason the finding carried
/// counts, at the office where the access was made, as confirmed or dismissed once. Each later reason's odds are then
/// multiplied by `(confirmed + prior) / (dismissed + prior)`, bounded, so that a pattern auditors keep dismissing
/// at an office weighs less there, and one they keep confirming weighs more. A few decisions move little (the
/// pseudo-count `prior`); a reason about *who* was looked at (VIP, DV support) is never lowered below its default:
/// dismissing one VIP access must not hide the next.
public struct AuditFeedback: Sendable, Hashable {
    /// Confirmed and dismissed counts per (office, reason code).
    public struct Key: Hashable, Sendable {
        public var office: String
        public var reason: ReasonCode

        public init(office: String, reason: ReasonCode) {
            self.office = office
            self.reason = reason
        }
    }

    public private(set) var confirmed: [Key: Int] = [:]
    public private(set) var dismissed: [Key: Int] = [:]
    /// Pseudo-count on each side.
    public var prior: Double = 3
    /// Bounds of the odds factor.
    public var minFactor: Double = 0.25
    public var maxFactor: Double = 2

    public init() {}

    /// Whether no decision has been recorded.
    public var isEmpty: Bool { confirmed.isEmpty && dismissed.isEmpty }

    /// Records one decided finding: its office and reason codes, misuse confirmed (`true`) or for work (`false`).
    /// Codes that are not reason codes are ignored.
    public mutating func record(office: String?, reasons: [String], misuse: Bool) {
        guard let office = AuditContext.known(office) else { return }
        for code in Set(reasons) {
            guard let r = ReasonCode(rawValue: code) else { continue }
            let key = Key(office: office, reason: r)
            if misuse { confirmed[key, default: 0] += 1 } else { dismissed[key, default: 0] += 1 }
        }
    }

    /// The odds factor for a reason at an office.
    public func factor(_ code: ReasonCode, office: String) -> Double {
        let key = Key(office: office, reason: code)
        let c = Double(confirmed[key] ?? 0), d = Double(dismissed[key] ?? 0)
        guard c > 0 || d > 0 else { return 1 }
        var f = min(max((c + prior) / (d + prior), minFactor), maxFactor)
        if code == .vip || code == .dv_support { f = max(f, 1) }
        return f
    }

    /// A weight adjusted by the auditors' decisions at an office.
    public func weight(_ w: Double, _ code: ReasonCode, office: String?) -> Double {
        guard let office, w > 0, w < 1 else { return w }
        let f = factor(code, office: office)
        guard f != 1 else { return w }
        let odds = w / (1 - w) * f
        return min(odds / (1 + odds), 0.95)
    }
}
