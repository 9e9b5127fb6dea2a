import AkashiDomain

/// One operation, before IDs are given.
struct SiteEvent {
    /// Local (JST) seconds since 1970-01-01.
    var t: Int64
    /// The account the log records.
    var staff: Int32
    var office: Int
    var terminal: String
    var action: AccessAction
    var record: RecordKind
    var register: Int32 = -1
    var person: Int32 = -1
    var kase: Int32 = -1
    var reason: String? = nil
    var outcome: AccessOutcome = .ok
    var query: JSONValue? = nil
    var results: [Int32]? = nil
}

struct SiteCase {
    var office: Int
    var kind: CaseKind
    var requester: Requester?
    var received: Int64
    var closed: Int64?
    var status: CaseStatus
    var staff: [Int32]
    var registers: [Int32]
    var persons: [Int32]
}

/// A stretch of genuine case work by one clerk (what insiders hide inside).
struct SiteSession {
    var staff: Int32
    var office: Int
    var kase: Int32
    var start: Int64
    var end: Int64
    var certificate: Bool
    var named: Bool
    var persons: [Int32]
    /// Which kind of desk work it was (only the later profiles have desks).
    var habit: SiteHabit = .counter
}

/// Where a session's work came from.
enum SiteHabit {
    /// The counter, notifications, inquiries, corrections.
    case counter
    /// A batch of postal requests (郵送請求).
    case postal
    /// A 広域交付 relay from another municipality.
    case relay
    /// The search team looking a register up for the counter.
    case search
    /// Verification after a system migration.
    case migration
}

struct SiteTruth {
    var event: Int32
    var kind: String
    /// The real actor.
    var actor: Int32
    var person: Int32
    var register: Int32
}

/// Builds one site: world, protections, staff, workload, planted misuse; then writes it.
final class SiteEngine {
    let profile: SiteProfile
    let seed: UInt64
    let scale: Double
    let misuse: Bool
    let world: SiteWorld
    var protections: [SiteProtection] = []
    var protectedSet = Set<Int32>()
    var mayor: Int32 = -1
    var vips: [Int32] = []
    var dvVictims: [Int32] = []
    var staff: [SiteStaff] = []
    var staffOfOffice: [[Int32]] = []
    var hrBoundary: Int32 = noDate
    var cases: [SiteCase] = []
    var events: [SiteEvent] = []
    var sessions: [SiteSession] = []
    var truth: [SiteTruth] = []
    var unexplained: [Int32] = []
    var namesakes: [Int32] = []
    /// Cases keyed in after the work: no operation can name them before they exist.
    var lateCases = Set<Int32>()
    /// Phone inquiries whose written request never came: no case is written.
    var droppedCases = Set<Int32>()
    var behavioursUsed: [String] = []
    /// Genuine wrong-row opens by new staff (written to truth.json only when there are some).
    var slips: [Int32] = []
    /// Desk teams per office (postal, relay, search), the migration team, and each new staff member's mentor.
    var postalTeamOf: [[Int32]] = []
    var relayDeskOf: [[Int32]] = []
    var searchTeamOf: [[Int32]] = []
    var migrationTeamOf: [[Int32]] = []
    var mentor: [Int32: Int32] = [:]
    /// The migration weekend's first day (noDate when none).
    var migrationDay: Int32 = noDate
    /// People in the local news and the day the news came out (chosen when a story first needs them).
    var news: [(person: Int32, day: Int32)] = []
    let calendar: OfficeCalendar
    // Search indexes.
    var bySurname: [[Int32]] = []
    var byFull: [Int64: [Int32]] = [:]
    var bySurnameKana: [String: [Int32]] = [:]
    var byFullKana: [String: [Int32]] = [:]
    /// Per office: persons whose current register the office keeps; registers of kinds other than current.
    var residentsOf: [[Int32]] = []
    var oldRegistersOf: [[Int32]] = []

    /// The seed as given (written to truth.json).
    let givenSeed: UInt64

    init(profile: SiteProfile, seed: UInt64, scale: Double, misuse: Bool) {
        self.profile = profile
        givenSeed = seed
        // Salted with the profile's name (FNV-1a) so that two profiles with one seed draw differently.
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in profile.name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        self.seed = seed ^ h
        self.scale = scale
        self.misuse = misuse
        world = SiteWorld(profile: profile, seed: self.seed, scale: scale)
        calendar = OfficeCalendar(from: profile.periodStart.year - 1, to: profile.periodStart.year + 3,
                                  modern: profile.modernCalendar)
    }

    func build() {
        world.build()
        protect()
        hire()
        index()
        work()
        if misuse { plant() }
    }

    func index() {
        let w = world
        bySurname = Array(repeating: [], count: w.names.surnames.count)
        residentsOf = Array(repeating: [], count: w.offices.count)
        oldRegistersOf = Array(repeating: [], count: w.offices.count)
        for (i, p) in w.persons.enumerated() where p.register >= 0 {
            let id = Int32(i)
            bySurname[Int(p.sur)].append(id)
            byFull[Int64(p.sur) << 32 | Int64(p.given), default: []].append(id)
            bySurnameKana[w.surnameKana(id), default: []].append(id)
            byFullKana[w.fullKana(id), default: []].append(id)
            let r = w.registers[Int(p.register)]
            // Registers that exist for the whole period (one opened mid-period is asked for only through its notification).
            if r.kind == .current, r.opened <= w.p0, w.alive(id, on: w.p0) { residentsOf[r.office].append(id) }
        }
        for (i, r) in w.registers.enumerated() where r.kind != .current && r.closed < w.p0 {
            oldRegistersOf[r.office].append(Int32(i))
        }
    }

    // MARK: Time

    @inline(__always) func at(_ d: Int32, _ sec: Int) -> Int64 { Int64(d) * 86_400 + Int64(sec) }
    @inline(__always) func dayOf(_ t: Int64) -> Int32 { Int32(t / 86_400) }
    func timestamp(_ t: Int64) -> Timestamp { Timestamp(millis: (t - 32_400) * 1000, offsetMinutes: Timestamp.jst) }

    // MARK: Event helpers

    @discardableResult
    func emit(_ e: SiteEvent) -> Int32 {
        events.append(e)
        return Int32(events.count - 1)
    }

    /// The record kind of a view of a register.
    func recordKind(_ r: Int32) -> RecordKind {
        switch world.registers[Int(r)].kind {
        case .current: .current
        case .removed: .removed
        case .heisei_original: .heisei_original
        case .showa_original: .showa_original
        }
    }

    enum QueryStyle { case surname, full, kana }

    func queryStyle(_ rng: inout CityRandom) -> QueryStyle {
        let x = rng.double()
        if x < profile.searchSurnameOnly { return .surname }
        if x < profile.searchSurnameOnly + profile.searchKana { return .kana }
        return .full
    }

    /// A search for a person as a clerk would type it, and the registers the system lists.
    func searchQuery(_ p: Int32, style: QueryStyle, _ rng: inout CityRandom) -> (JSONValue, [Int32]) {
        let w = world
        var members: [(String, JSONValue)] = []
        var hits: [Int32]
        let person = w.persons[Int(p)]
        switch style {
        case .surname:
            members.append(("name", .string(w.surname(p))))
            hits = bySurname[Int(person.sur)]
        case .kana:
            if rng.chance(0.3) {
                members.append((profile.kanaQueryKey, .string(w.surnameKana(p))))
                hits = bySurnameKana[w.surnameKana(p)] ?? [p]
            } else {
                members.append((profile.kanaQueryKey, .string(w.fullKana(p))))
                hits = byFullKana[w.fullKana(p)] ?? [p]
            }
        case .full:
            members.append(("name", .string(w.fullName(p))))
            hits = byFull[Int64(person.sur) << 32 | Int64(person.given)] ?? [p]
        }
        if rng.chance(profile.searchWithBirth) {
            let y = String(yearOf(person.birth))
            members.append(("birth", .string(y)))
            hits = hits.filter { String(yearOf(w.persons[Int($0)].birth)) == y }
        }
        var regs = siteUniq(hits.map { w.persons[Int($0)].register })
        if regs.count > 40 { regs = Array(regs.prefix(40)) }
        if !regs.contains(person.register) { regs.insert(person.register, at: 0) }
        return (.object(members), regs)
    }

    /// Another person with the same full name, if any.
    func namesake(of p: Int32) -> Int32? {
        let q = world.persons[Int(p)]
        let list = byFull[Int64(q.sur) << 32 | Int64(q.given)] ?? []
        return list.first {
            $0 != p && world.persons[Int($0)].register != q.register
                && world.registers[Int(world.persons[Int($0)].register)].opened <= world.p0
        }
    }
}

/// A clerk working through one piece of work: each operation a little after the last.
struct SiteCursor {
    var staff: Int32
    var office: Int
    var terminal: String
    var t: Int64
    var kase: Int32 = -1
    var named = false

    mutating func step(_ rng: inout CityRandom, _ lo: Int = 12, _ hi: Int = 95) -> Int64 {
        t += Int64(rng.int(lo...hi))
        return t
    }
}
