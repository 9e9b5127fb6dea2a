import AkashiDomain

/// What one staff member's accesses add up to.
public struct StaffSummary: Codable, Sendable, Hashable {
    public var staff: String
    public var total: Int = 0
    public var explained: Int = 0
    public var unexplained: Int = 0
    public var flagged: Int = 0
    public var maxScore: Double = 0
    public var sumScore: Double = 0
    /// The highest scores, descending (at most ``StaffRanking/topK``).
    public var topScores: [Double] = []
    /// How often each reason code was raised.
    public var reasonCounts: [String: Int] = [:]
    /// Distinct persons (or registers, when no person is known) touched.
    public var subjects: Set<String> = []
    /// The number of distinct subjects when only the count is known (a store's summary); `nil` → `subjects.count`.
    public var subjectCount: Int?

    public init(staff: String) { self.staff = staff }

    /// Risk used for ranking: the sum of the top scores (several distinct risky accesses outrank one).
    public var risk: Double { topScores.reduce(0, +) }

    /// The most frequent reasons, most frequent first.
    public var topReasons: [String] {
        reasonCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }

    public var personsTouched: Int { subjectCount ?? subjects.count }

    mutating func add(_ f: AccessFinding, topK: Int) {
        total += 1
        if f.explained { explained += 1 } else { unexplained += 1 }
        if f.flagged { flagged += 1 }
        maxScore = max(maxScore, f.score)
        sumScore += f.score
        if f.score > 0, topScores.count < topK || f.score > (topScores.last ?? 0) {
            let i = topScores.firstIndex { $0 < f.score } ?? topScores.count
            topScores.insert(f.score, at: i)
            if topScores.count > topK { topScores.removeLast() }
        }
        for r in f.reasons { reasonCounts[r.code, default: 0] += 1 }
        if let s = f.person ?? f.register { subjects.insert(s) }
    }
}

/// Who looked at one person or register.
public struct SubjectSummary: Codable, Sendable, Hashable {
    /// Person ID, or register ID when the access named no person and the register has no head.
    public var subject: String
    public var total: Int = 0
    public var byStaff: [String: Int] = [:]
    public var byOffice: [String: Int] = [:]
    /// IDs of the flagged accesses.
    public var flagged: [String] = []
    public var maxScore: Double = 0

    public init(subject: String) { self.subject = subject }

    mutating func add(_ f: AccessFinding) {
        total += 1
        byStaff[f.staff, default: 0] += 1
        if let o = f.office { byOffice[o, default: 0] += 1 }
        if f.flagged { flagged.append(f.access) }
        maxScore = max(maxScore, f.score)
    }
}

/// Per-staff and per-subject summaries built incrementally from findings; ranks staff by risk.
public struct StaffRanking: Codable, Sendable {
    /// How many top scores make a staff member's ``StaffSummary/risk``.
    public var topK: Int
    public private(set) var staff: [String: StaffSummary] = [:]
    public private(set) var subjects: [String: SubjectSummary] = [:]

    public init(topK: Int = 10) { self.topK = topK }

    /// Adds one finding.
    public mutating func add(_ f: AccessFinding) {
        staff[f.staff, default: StaffSummary(staff: f.staff)].add(f, topK: topK)
        if let s = f.person ?? f.register { subjects[s, default: SubjectSummary(subject: s)].add(f) }
    }

    /// Adds findings.
    public mutating func add(_ fs: some Sequence<AccessFinding>) {
        for f in fs { add(f) }
    }

    /// Staff by descending risk (then flagged count, then ID).
    public func ranked() -> [StaffSummary] {
        staff.values.sorted {
            if $0.risk != $1.risk { return $0.risk > $1.risk }
            if $0.flagged != $1.flagged { return $0.flagged > $1.flagged }
            return $0.staff < $1.staff
        }
    }

    /// Subjects with flagged accesses, most flagged first.
    public func flaggedSubjects() -> [SubjectSummary] {
        subjects.values.filter { !$0.flagged.isEmpty }.sorted {
            $0.flagged.count != $1.flagged.count ? $0.flagged.count > $1.flagged.count : $0.subject < $1.subject
        }
    }
}
