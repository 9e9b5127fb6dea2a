import AkashiAudit
import AkashiDomain
import AkashiStorage
import Foundation

/// One flagged access as the reconciliation shows it to auditors.
public struct FlaggedAccess: Codable, Sendable, Equatable {
    public var access: String
    public var at: String
    public var date: String
    public var person: String?
    public var register: String?
    public var office: String?
    public var score: Double
    /// Reason codes.
    public var reasons: [String]
    /// Index into the staff member's declared items of the item this access matches (`nil`: undeclared).
    public var item: Int?

    public init(access: String, at: String, date: String, person: String?, register: String?, office: String?,
                score: Double, reasons: [String], item: Int?) {
        self.access = access
        self.at = at
        self.date = date
        self.person = person
        self.register = register
        self.office = office
        self.score = score
        self.reasons = reasons
        self.item = item
    }
}

/// One declared item with what the audit found for it.
public struct DeclaredItem: Codable, Sendable, Equatable {
    public var person: String?
    public var name: String?
    public var from: String?
    public var to: String?
    public var count: Int?
    public var note: String?
    /// Flagged accesses matched to this item.
    public var matched: Int

    public init(person: String?, name: String?, from: String?, to: String?, count: Int?, note: String?, matched: Int) {
        self.person = person
        self.name = name
        self.from = from
        self.to = to
        self.count = count
        self.note = note
        self.matched = matched
    }
}

/// A staff member's answer set against the audit.
public struct StaffReconciliation: Codable, Sendable, Equatable {
    public var staff: String
    /// `none`, `some`, or `missing` (no answer to the survey).
    public var declares: String
    public var submitted: String?
    public var items: [DeclaredItem]
    /// Flagged accesses up to the answer (or the survey's end).
    public var flagged: [FlaggedAccess]
    /// Flagged accesses that match a declared item.
    public var matched: Int
    /// Flagged accesses no item covers.
    public var undeclared: Int

    public init(staff: String, declares: String, submitted: String?, items: [DeclaredItem], flagged: [FlaggedAccess],
                matched: Int, undeclared: Int) {
        self.staff = staff
        self.declares = declares
        self.submitted = submitted
        self.items = items
        self.flagged = flagged
        self.matched = matched
        self.undeclared = undeclared
    }
}

/// The self-report reconciliation (自己申告調査との突合): who declared personal use and was found, who was found
/// but declared nothing (the city's heavier-penalty list), who declared but was not found.
public struct Reconciliation: Codable, Sendable, Equatable {
    public var survey: String
    public var declaredAndFound: [String]
    public var undeclaredFound: [String]
    public var declaredNotFound: [String]
    /// Per staff member in any of the three lists.
    public var details: [String: StaffReconciliation]

    enum CodingKeys: String, CodingKey {
        case survey
        case declaredAndFound = "declared_and_found"
        case undeclaredFound = "undeclared_found"
        case declaredNotFound = "declared_not_found"
        case details
    }

    public init(survey: String, declaredAndFound: [String], undeclaredFound: [String], declaredNotFound: [String],
                details: [String: StaffReconciliation]) {
        self.survey = survey
        self.declaredAndFound = declaredAndFound
        self.undeclaredFound = undeclaredFound
        self.declaredNotFound = declaredNotFound
        self.details = details
    }

    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try enc.encode(self)
    }

    /// A plain-text table for the terminal.
    public var table: String {
        var s = "自己申告調査 \(survey) reconciliation\n"
        func block(_ title: String, _ ids: [String]) {
            s += "\n\(title) (\(ids.count))\n"
            for id in ids {
                guard let d = details[id] else { continue }
                s += "  " + id.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + " declares \(d.declares.padding(toLength: 7, withPad: " ", startingAt: 0)) items \(d.items.count)"
                    + "  flagged \(d.flagged.count)  matched \(d.matched)  undeclared \(d.undeclared)\n"
            }
        }
        block("申告あり・検出あり declared and found", declaredAndFound)
        block("申告なし・検出あり undeclared but found", undeclaredFound)
        block("申告あり・検出なし declared but not found", declaredNotFound)
        return s
    }
}

/// Reconciles a self-report survey with the audit's flagged accesses.
public struct ReconcileService: Sendable {
    public let store: any ReportStore & FindingStore
    /// Flagged accesses a staff member needs to count as found.
    public var minimumFlagged = 1
    /// Days of slack around a declared item's period when matching.
    public var slackDays = 3

    public init(store: any ReportStore & FindingStore) {
        self.store = store
    }

    /// The survey's answers; a survey with no answers in the store is a ``ReportError`` (a mistyped survey ID
    /// would otherwise list every flagged staff member as undeclared but found).
    public func answers(survey: String) async throws -> [SelfReport] {
        let answers = try await store.selfReports(survey: survey)
        guard answers.isEmpty else { return answers }
        let total = try await store.stats().selfReports
        throw ReportError(
            "no self-report answers for survey \(survey) in the store"
                + (total == 0 ? " (it holds no self-report answers at all)"
                    : " (it holds \(total) \(total == 1 ? "answer" : "answers") to other surveys)"))
    }

    /// Reconciles one survey; throws a ``ReportError`` when the store has no answers to it.
    public func reconcile(survey: String) async throws -> Reconciliation {
        try await reconcile(survey: survey, answers: try answers(survey: survey))
    }

    /// Reconciles one survey's `answers`, as ``answers(survey:)`` read them (a caller that checked them first need not
    /// read them again).
    public func reconcile(survey: String, answers: [SelfReport]) async throws -> Reconciliation {
        var byStaff: [String: SelfReport] = [:]
        for a in answers { byStaff[a.staff] = a }
        // The survey's cut-off: flagged accesses after the latest answer cannot have been declared.
        let cutoff = answers.compactMap(\.submitted).max()
        var flagged: [String: [StoredFinding]] = [:]
        try await store.forEachFinding(FindingFilter(to: cutoff.map { $0.adding(seconds: 1) }, flaggedOnly: true)) { f in
            flagged[f.finding.staff, default: []].append(f)
        }
        // Names for items given by name only.
        let personIDs = Set(flagged.values.flatMap { $0.compactMap(\.finding.person) })
        var names: [String: String] = [:]
        for p in try await store.persons(ids: personIDs.sorted()) { names[p.id] = Self.normalize(p.name) }

        var declaredAndFound: [String] = [], undeclaredFound: [String] = [], declaredNotFound: [String] = []
        var details: [String: StaffReconciliation] = [:]
        for staff in Set(byStaff.keys).union(flagged.keys).sorted() {
            let answer = byStaff[staff]
            let own = (flagged[staff] ?? []).filter { f in
                guard let s = answer?.submitted else { return true }
                return f.finding.at <= s
            }.sorted { $0.finding.at.millis < $1.finding.at.millis }
            let declares = answer?.declares.rawValue ?? "missing"
            let items = answer?.items ?? []
            var matchedPerItem = [Int](repeating: 0, count: items.count)
            var rows: [FlaggedAccess] = []
            for f in own {
                let item = match(f.finding, items: items, names: names)
                if let item { matchedPerItem[item] += 1 }
                rows.append(FlaggedAccess(access: f.finding.access, at: f.finding.at.description,
                                          date: f.finding.at.jstDate.description, person: f.finding.person,
                                          register: f.finding.register, office: f.finding.office, score: f.finding.score,
                                          reasons: f.finding.reasonCodes, item: item))
            }
            let found = own.count >= minimumFlagged
            let declared = declares == "some"
            guard found || declared else { continue }
            let matched = rows.count { $0.item != nil }
            details[staff] = StaffReconciliation(
                staff: staff, declares: declares, submitted: answer?.submitted?.description,
                items: items.enumerated().map { k, i in
                    DeclaredItem(person: i.person, name: i.name, from: i.from?.description, to: i.to?.description,
                                 count: i.count, note: i.note, matched: matchedPerItem[k])
                },
                flagged: rows, matched: matched, undeclared: rows.count - matched)
            switch (declared, found) {
            case (true, true): declaredAndFound.append(staff)
            case (false, true): undeclaredFound.append(staff)
            case (true, false): declaredNotFound.append(staff)
            default: break
            }
        }
        return Reconciliation(survey: survey, declaredAndFound: declaredAndFound, undeclaredFound: undeclaredFound,
                              declaredNotFound: declaredNotFound, details: details)
    }

    /// The declared item a flagged access falls under: same person (by ID, or by name), within the item's period
    /// (± slack); an item with neither person nor name (e.g. "searched names outside work") covers any access in
    /// its period.
    func match(_ f: AccessFinding, items: [SelfReport.Item], names: [String: String]) -> Int? {
        let day = f.at.jstDate
        for (k, i) in items.enumerated() {
            if let from = i.from, day < from.adding(days: -slackDays) { continue }
            if let to = i.to, day > to.adding(days: slackDays) { continue }
            if let p = i.person {
                if p == f.person { return k }
            } else if let n = i.name {
                if let p = f.person, names[p] == Self.normalize(n) { return k }
            } else {
                return k
            }
        }
        return nil
    }

    /// Removes spaces (half- and full-width) so that `橋下 徹` and `橋下　徹` compare equal.
    static func normalize(_ s: String) -> String { s.filter { $0 != " " && $0 != "\u{3000}" } }
}
