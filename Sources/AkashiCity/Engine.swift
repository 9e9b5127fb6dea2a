import AkashiDomain
import AkashiInterchange

/// The misuse kinds (the audit engine uses the same codes).
enum MisuseKind: String, CaseIterable {
    case vip, dv_support, own_register, relative, former_spouse, coworker, neighbour, off_duty, contractor
    case night_holiday, repeated, search_no_case, search_protected, bulk_search, case_mismatch, self_made_case
    case print_no_request
}

/// One access in the making: times and references as indices, written when its day is flushed.
struct Ev {
    enum Label: Equatable { case none, misuse(MisuseKind), unexplained, namesake }
    var at: Int64              // milliseconds since the epoch
    var seq: Int = 0
    var staff: Int             // −1: an on-duty clerk of `ward`, chosen on the day
    var ward: Int
    var action: AccessAction
    var record: RecordKind
    var register: Int32 = -1
    var person: Int32 = -1
    var caseID: String? = nil
    /// 1: name an unrelated real case of the office (laundering); 2: the misuser's own fake case (group).
    var caseMode: UInt8 = 0
    var group: Int = -1
    var query: JSONValue? = nil
    var results: [Int32]? = nil
    var outcome: AccessOutcome = .ok
    var label: Label = .none
    var scenario = false
}

final class Engine {
    let config: CityConfig
    let directory: String
    let progress: (String) -> Void
    let from: LocalDate, to: LocalDate
    let tables = Tables()
    var pop: Population!
    var staffing: Staffing!
    var cal: OfficeCalendar
    var rng: CityRandom
    var summary: CitySummary
    var seq = 0

    // Workload state.
    var wardCaseRate: [Double] = []
    var future: [Int32: [Ev]] = [:]
    var planned: [Int32: [Ev]] = [:]
    var notificationsByDay: [Int32: [Int]] = [:]
    var caseCounter: [String: Int] = [:]
    var recentCases: [[(id: String, registers: [Int32])]] = []
    var selfMadeCases: [Int: String] = [:]
    var surKana: [Int32] = []
    var givenKana: [Int32] = []
    var namesakes: [Int64: [Int32]] = [:]
    let slotTable = WeightedTable([0.8, 1.0, 1.2, 1.2, 1.1, 1.0, 0.6, 0.6, 1.0, 1.1, 1.1, 1.0, 0.9, 0.8, 0.7, 0.5, 0.3])

    // Truth.
    var misuseTruth: [(event: String, kind: MisuseKind, staff: Int, person: Int32, register: Int32)] = []
    var misuseByStaff: [Int: [(day: Int32, person: Int32, kind: MisuseKind)]] = [:]
    var unexplained: [String] = []
    var namesakeTruth: [String] = []
    var scenarioEvents: [String] = []
    var mayorCases: [String] = []
    var misusers = Set<Int>()
    var misremember: [Int: (person: Int32, day: Int32)] = [:]
    var misrememberCandidates = Set<Int>()
    var surveyDay: Int32 = 0
    var selfReportTruth: ([String], [String], [String]) = ([], [], [])

    var accessWriter: LineWriter!
    var caseWriter: LineWriter!

    init(config: CityConfig, directory: String, progress: @escaping (String) -> Void) {
        self.config = config
        self.directory = directory
        self.progress = progress
        (from, to) = config.effectivePeriod
        cal = OfficeCalendar(from: from.parts.year - 1, to: to.parts.year + 1)
        rng = CityRandom(seed: config.seed, stream: 41)
        summary = CitySummary(from: from, to: to)
    }

    var scale: Double { max(config.scale, 0.0001) }
    var cityWard: Int { Facts.wards.count }

    func path(_ name: String) -> String { directory.hasSuffix("/") ? directory + name : directory + "/" + name }

    func run() throws -> CitySummary {
        let scenario = config.scenario == .osaka2014
        progress("population")
        pop = Population(tables: tables, scale: scale, from: from, to: to, seed: config.seed)
        let target = max(12, Int((Facts.registers2013 * scale * 0.97).rounded()))
        pop.buildHistory(targetCurrent: target, withMayor: scenario)
        progress("period life events")
        pop.simulatePeriod()
        pop.buildRecords()
        progress("staff")
        staffing = Staffing(pop: pop, seed: config.seed)
        staffing.build(scenario: scenario)
        staffing.buildProtections(mayor: scenario ? pop.mayor : nil)
        buildIndexes()
        surveyDay = day(2014, 2, 17)
        if config.misuse {
            progress("misuse plan")
            planMisuse()
        }
        if scenario { planScenario() }
        chooseMisrememberers()
        progress("reference data")
        try writeReference()
        progress("workload")
        try runWorkload()
        try writeSelfReports()
        try writeTruth()
        return summary
    }

    // MARK: Indexes

    func buildIndexes() {
        var kanaIDs: [String: Int32] = [:]
        func kid(_ s: String) -> Int32 {
            if let k = kanaIDs[s] { return k }
            let k = Int32(kanaIDs.count)
            kanaIDs[s] = k
            return k
        }
        surKana = tables.surnames.map { kid($0.kana) } + pop.extraNames.map { kid($0.kana) }
        givenKana = tables.givenNames.map { kid($0.kana) }
        for (i, p) in pop.persons.enumerated() where !p.excluded {
            namesakes[nameKey(Int32(i)), default: []].append(Int32(i))
        }
        wardCaseRate = Facts.wards.indices.map { _ in 0.3 + 0.3 * rng.double() } + [0.5]
        recentCases = Array(repeating: [], count: Facts.wards.count + 1)
        // Notifications by the day they reach a counter.
        for (k, ev) in pop.events.enumerated() {
            let maxDelay: Int
            switch ev.kind {
            case .birth: maxDelay = 14
            case .death: maxDelay = 6
            default: maxDelay = 20
            }
            let r = cal.nextBusinessDay(onOrAfter: ev.date + Int32(rng.int(0...maxDelay) / (rng.chance(0.5) ? 3 : 1)))
            if r <= to.day { notificationsByDay[r, default: []].append(k) }
        }
    }

    func nameKey(_ p: Int32) -> Int64 {
        let q = pop.persons[Int(p)]
        return Int64(surKana[Int(q.surname)]) << 24 | Int64(givenKana[Int(q.given)])
    }

    func kana(_ p: Int32) -> String {
        let q = pop.persons[Int(p)]
        return pop.surnameName(q.surname).kana + " " + tables.givenNames[Int(q.given)].kana
    }

    func fullName(_ p: Int32) -> String {
        let q = pop.persons[Int(p)]
        return pop.surnameName(q.surname).kanji + " " + tables.givenNames[Int(q.given)].kanji
    }

    // MARK: Helpers

    func millis(_ d: Int32, minute: Int, second: Int = 0) -> Int64 {
        Timestamp(jst: LocalDate(day: d), hour: minute / 60, minute: minute % 60, second: second).millis
    }

    /// Whole seconds, as the register systems log them.
    func ts(_ ms: Int64) -> Timestamp { Timestamp(millis: ms - ((ms % 1000) + 1000) % 1000) }

    func officeMinute() -> Int { 540 + slotTable.pick(&rng) * 30 + rng.int(30) }

    func nextSeq() -> Int { seq += 1; return seq }

    /// A person present in the registry on a day (alive, recorded here, not the scenario's family).
    func randomPresent(on d: Int32, tries: Int = 200, where ok: ((PersonRec) -> Bool)? = nil) -> Int32? {
        for _ in 0..<tries {
            let p = Int32(rng.int(pop.persons.count))
            let q = pop.persons[Int(p)]
            guard !q.excluded, q.alive(on: d), !(q.movedOut && q.movedAt <= d) else { continue }
            let f = pop.familyOn(p, d)
            guard f >= 0, pop.families[Int(f)].opened <= d, !pop.families[Int(f)].excluded else { continue }
            if let ok, !ok(q) { continue }
            return p
        }
        return nil
    }

    /// The computerised (or paper 除籍) record of a family, and the record kind an operation on it names.
    func mainRecord(_ f: Int32) -> Int32 { pop.families[Int(f)].recX }

    func recordKind(_ r: Int32, on d: Int32) -> RecordKind {
        let rec = pop.records[Int(r)]
        switch rec.kind {
        case .current, .removed: return rec.closed < d ? .removed : .current
        case .heisei_original: return .heisei_original
        case .showa_original: return .showa_original
        }
    }

    func query(for p: Int32, withBirth: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(kana(p)))]
        if withBirth { members.append(("birth", .string(String(yearOf(pop.persons[Int(p)].birth))))) }
        return .object(members)
    }

    /// What a name search shows: the target's register and its namesakes' (same kana), at most 6.
    func searchResults(for p: Int32, on d: Int32, withBirth: Bool) -> [Int32] {
        var out: [Int32] = []
        let f = pop.familyOn(p, d)
        if f >= 0 { out.append(mainRecord(f)) }
        let by = yearOf(pop.persons[Int(p)].birth)
        for n in namesakes[nameKey(p)] ?? [] where n != p && out.count < 6 {
            let q = pop.persons[Int(n)]
            guard q.birth <= d else { continue }
            if withBirth && yearOf(q.birth) != by { continue }
            let g = pop.familyOn(n, d)
            guard g >= 0, pop.families[Int(g)].opened <= d, !pop.families[Int(g)].excluded else { continue }
            let r = mainRecord(g)
            if !out.contains(r) { out.append(r) }
        }
        return out
    }

    func caseChance(_ s: Int, _ w: Int) -> Double { min(0.95, wardCaseRate[w] * staffing.staff[s].caseHabit) }

    func newCaseID(office w: Int, at ms: Int64) -> (id: String, number: String) {
        let y = Timestamp(millis: ms).jstDate.parts.year
        let code = w < cityWard ? Facts.wards[w].code : Facts.municipality
        let key = code + "-" + String(y)
        let n = (caseCounter[key] ?? 0) + 1
        caseCounter[key] = n
        let short = w < cityWard ? Facts.wards[w].short : "市民局"
        return ("C" + String(y) + "-" + code + "-" + pad(n, 6), short + "-" + String(y) + "-" + String(n))
    }

    func writeCase(_ c: Case, office w: Int) throws {
        try caseWriter.write(line: Record.case(c).canonicalJSON)
        summary.cases += 1
        var ring = recentCases[w]
        ring.append((c.id, c.registers.compactMap { registerIndex($0) }))
        if ring.count > 40 { ring.removeFirst(ring.count - 40) }
        recentCases[w] = ring
    }

    func registerIndex(_ id: String) -> Int32? { Int32(id.dropFirst()).map { $0 - 1 } }
    func registerID(_ r: Int32) -> String { "R" + pad(Int(r) + 1, 7) }
    func personID(_ p: Int32) -> String { "P" + pad(Int(p) + 1, 7) }
    func officeCode(_ w: Int) -> String { w < cityWard ? Facts.wards[w].code : Facts.municipality }
}
