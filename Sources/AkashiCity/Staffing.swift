import AkashiDomain

/// One staff account with its HR history in day numbers.
struct StaffRec {
    struct Stint {
        var ward: Int          // index into Facts.wards, or Facts.wards.count for the city hall
        var duty: String
        var from: Int32
        var to: Int32          // noDate while current
        var koseki: Bool { duty == Assignment.registerDuty }
    }

    var id: String
    var role: StaffRole
    var name: String
    var kana: String
    var person: Int32 = -1
    var address: String?
    var home: Addr?
    var stints: [Stint] = []
    var terminal: Int
    /// How often this clerk names the case on an operation (habit).
    var caseHabit: Double
    /// Not rotated before this day (the scenario's clerks).
    var pinnedUntil: Int32 = 0

    func stint(on d: Int32) -> Stint? { stints.last { $0.from <= d && d <= $0.to } }
    func kosekiWard(on d: Int32) -> Int? {
        guard let s = stint(on: d), s.koseki else { return nil }
        return s.ward
    }
}

struct ProtectionRec {
    var person: Int32
    var kind: ProtectionKind
    var from: Int32
    var to: Int32
    var note: String
}

/// Staff, assignments and protections.
final class Staffing {
    let pop: Population
    var staff: [StaffRec] = []
    var protections: [ProtectionRec] = []
    var rng: CityRandom
    let cityWard = Facts.wards.count
    var usedPersons = Set<Int32>()
    /// The scenario's clerks (27108, 27123), when built.
    var scenarioClerks: [String: Int] = [:]
    static let otherDuties = ["tax", "welfare", "juminhyo", "hoken", "kodomo", "soumu", "kosodate"]

    init(pop: Population, seed: UInt64) {
        self.pop = pop
        rng = CityRandom(seed: seed, stream: 23)
    }

    var totalPopulation: Double { Double(Facts.wards.reduce(0) { $0 + $1.population }) }

    func headcount(ward w: Int) -> Int {
        max(6, Int((Facts.staffWithAccess * pop.scale * Double(Facts.wards[w].population) / totalPopulation).rounded()))
    }

    /// A living resident of the registry to be a staff member's own entry (same ward for most).
    func residentFor(ward: Int, wantFormerSpouse: Bool) -> Int32? {
        let lo = pop.t0 - pop.days(years: 60), hi = pop.t0 - pop.days(years: 21)
        for attempt in 0..<4000 {
            guard let p = pop.randomLiving(where: { q in
                q.birth > lo && q.birth < hi && q.died == noDate && !q.excluded && !q.movedOut
            }, tries: 50) else { continue }
            if usedPersons.contains(p) { continue }
            let q = pop.persons[Int(p)]
            if wantFormerSpouse && q.formerSpouse < 0 && attempt < 3000 { continue }
            if attempt < 2000 && rng.chance(0.7) && Int(q.addr.ward) != ward { continue }
            usedPersons.insert(p)
            return p
        }
        return nil
    }

    func newStaff(role: StaffRole, ward: Int, linkChance: Double, wantFormerSpouse: Bool = false) -> Int {
        let id = "S" + pad(staff.count + 1, 5)
        var rec = StaffRec(id: id, role: role, name: "", kana: "", terminal: 1 + rng.int(12),
                           caseHabit: min(1.6, max(0.3, rng.normal(1, 0.25))))
        if ward < cityWard, rng.chance(linkChance) || wantFormerSpouse,
           let p = residentFor(ward: ward, wantFormerSpouse: wantFormerSpouse) {
            rec.person = p
            let q = pop.persons[Int(p)]
            rec.name = pop.surnameName(q.surname).kanji + " " + pop.tables.givenNames[Int(q.given)].kanji
            rec.kana = pop.surnameName(q.surname).kana + " " + pop.tables.givenNames[Int(q.given)].kana
            rec.home = q.addr
            rec.address = address(q.addr)
        } else {
            let female = rng.chance(0.45)
            let s = pop.tables.surnames[Int(pop.tables.surname(&rng))]
            let g = pop.tables.givenNames[Int(pop.tables.given(year: 1960 + rng.int(30), female: female, &rng))]
            rec.name = s.kanji + " " + g.kanji
            rec.kana = s.kana + " " + g.kana
            let a = rng.chance(0.6) ? pop.outsideAddr() : pop.randomAddr(ward: pop.randomWard())
            rec.home = a
            rec.address = address(a)
        }
        staff.append(rec)
        return staff.count - 1
    }

    func address(_ a: Addr) -> String {
        let head = a.ward < 0 ? Facts.outsideTowns[Int(a.town)]
            : Facts.cityName + Facts.wards[Int(a.ward)].name + pop.tables.towns[Int(a.town)].name
        return head + Facts.kanji(Int(a.chome)) + "丁目" + String(a.ban) + "番" + String(a.go) + "号"
    }

    /// Builds the staff of every ward over the period: the initial team, then April rotations.
    func build(scenario: Bool) {
        let startFY = fiscalYear(pop.t0)
        let endFY = fiscalYear(pop.t1)
        // City level: administrators and auditors.
        for _ in 0..<2 {
            let s = newStaff(role: .administrator, ward: cityWard, linkChance: 0)
            staff[s].stints = [.init(ward: cityWard, duty: "system", from: day(startFY - 3, 4, 1), to: noDate)]
        }
        for _ in 0..<3 {
            let s = newStaff(role: .auditor, ward: cityWard, linkChance: 0)
            staff[s].stints = [.init(ward: cityWard, duty: "audit", from: day(startFY - 1, 4, 1), to: noDate)]
        }
        var formerSpouseWanted = max(3, Int(Double(Facts.wards.count) * 0.3))
        // Team slots per ward: the current holder of each slot.
        var slots: [[(role: StaffRole, holder: Int)]] = []
        for w in Facts.wards.indices {
            let h = headcount(ward: w)
            let sup = max(1, Int((Double(h) * 0.1).rounded()))
            let con = max(1, Int((Double(h) * Facts.contractorShare).rounded()))
            let tra = h >= 12 ? max(1, Int((Double(h) * 0.04).rounded())) : (rng.chance(0.4) ? 1 : 0)
            let clk = max(2, h - sup - con - tra)
            var list: [(StaffRole, Int)] = []
            for (role, n) in [(StaffRole.supervisor, sup), (.clerk, clk), (.contractor, con), (.trainee, tra)] {
                for _ in 0..<n {
                    let want = formerSpouseWanted > 0 && role == .clerk && rng.chance(0.3)
                    if want { formerSpouseWanted -= 1 }
                    let s = newStaff(role: role, ward: w, linkChance: role == .contractor ? 0.55 : 0.65,
                                     wantFormerSpouse: want)
                    let back = role == .trainee ? 0 : role == .contractor ? rng.int(0...3) : rng.int(0...6)
                    let from = day(startFY - back, 4, 1)
                    if role != .contractor && role != .trainee && back > 0 && rng.chance(0.5) {
                        staff[s].stints.append(.init(ward: rng.chance(0.6) ? w : pop.randomWard(),
                                                     duty: rng.pick(Self.otherDuties),
                                                     from: day(startFY - back - 3, 4, 1), to: from - 1))
                    }
                    staff[s].stints.append(.init(ward: w, duty: Assignment.registerDuty, from: from, to: noDate))
                    list.append((role, s))
                }
            }
            slots.append(list)
        }
        if scenario {
            for code in ["27108", "27123"] {
                let w = Facts.wards.firstIndex { $0.code == code }!
                if let slot = slots[w].first(where: { $0.role == .clerk }) {
                    staff[slot.holder].pinnedUntil = code == "27108" ? day(2012, 4, 1) : day(2014, 4, 1)
                    scenarioClerks[code] = slot.holder
                }
            }
        }
        // April rotations.
        if startFY + 1 <= endFY {
            for fy in (startFY + 1)...endFY {
                let april = day(fy, 4, 1)
                for w in slots.indices {
                    for k in slots[w].indices {
                        let (role, holder) = slots[w][k]
                        var leaves: Bool
                        switch role {
                        case .trainee: leaves = true
                        case .contractor: leaves = rng.chance(0.2)
                        default: leaves = rng.chance(0.15)
                        }
                        if staff[holder].pinnedUntil > april { leaves = false }
                        guard leaves else { continue }
                        let last = staff[holder].stints.count - 1
                        staff[holder].stints[last].to = april - 1
                        if role == .clerk || role == .supervisor || role == .trainee {
                            if rng.chance(role == .trainee ? 1 : 0.8) {
                                staff[holder].stints.append(.init(ward: rng.chance(0.5) ? w : pop.randomWard(),
                                                                  duty: rng.pick(Self.otherDuties), from: april, to: noDate))
                            }
                        }
                        let s = newStaff(role: role, ward: w, linkChance: role == .contractor ? 0.55 : 0.65)
                        if role == .clerk || role == .supervisor, rng.chance(0.5) {
                            staff[s].stints.append(.init(ward: pop.randomWard(), duty: rng.pick(Self.otherDuties),
                                                         from: day(fy - 4, 4, 1), to: april - 1))
                        }
                        staff[s].stints.append(.init(ward: w, duty: Assignment.registerDuty, from: april, to: noDate))
                        slots[w][k].holder = s
                    }
                }
            }
        }
    }

    func fiscalYear(_ d: Int32) -> Int {
        let p = LocalDate(day: d).parts
        return p.month >= 4 ? p.year : p.year - 1
    }

    // MARK: Protections

    func buildProtections(mayor: (person: Int32, family: Int32)?) {
        if let m = mayor {
            protections.append(ProtectionRec(person: m.person, kind: .vip, from: day(2008, 2, 6), to: noDate,
                                             note: "大阪府知事・大阪市長"))
        }
        let s = pop.scale
        // Council members (86 seats), a few public figures.
        let council = max(4, Int((86 * s).rounded()))
        for k in 0..<council {
            guard let p = pop.randomLiving(where: { q in
                let age = (day(2011, 4, 1) - q.birth) / 365
                return age >= 35 && age <= 75 && !q.excluded && q.died == noDate && q.addr.ward >= 0
            }, tries: 5000), !usedPersons.contains(p) else { continue }
            usedPersons.insert(p)
            let first = k % 3 != 0
            let from = first ? day(2007, 4, 30) : day(2011, 4, 30)
            let to = first && rng.chance(0.3) ? day(2011, 4, 29) : noDate
            protections.append(ProtectionRec(person: p, kind: .vip, from: from, to: to, note: "市会議員"))
        }
        let notes = ["著名人（芸能）", "著名人（スポーツ）", "副市長", "府議会議員", "前市長", "著名人（経済界）"]
        for k in 0..<max(3, Int((24 * s).rounded())) {
            guard let p = pop.randomLiving(where: { q in
                let age = (pop.t0 - q.birth) / 365
                return age >= 20 && age <= 80 && !q.excluded && q.died == noDate
            }, tries: 5000), !usedPersons.contains(p) else { continue }
            usedPersons.insert(p)
            protections.append(ProtectionRec(person: p, kind: .vip, from: pop.t0 - Int32(rng.int(3000)), to: noDate,
                                             note: notes[k % notes.count]))
        }
        // DV・ストーカー等支援措置.
        for _ in 0..<max(12, Int((1500 * s).rounded())) {
            let female = rng.chance(0.9)
            guard let p = pop.randomLiving(where: { q in
                let age = (pop.t0 - q.birth) / 365
                return q.female == female && age >= 18 && age <= 60 && !q.excluded
            }, tries: 5000), !usedPersons.contains(p) else { continue }
            usedPersons.insert(p)
            let from = day(2005, 1, 1) + Int32(rng.int(Int(pop.t1 - 60 - day(2005, 1, 1))))
            let to = rng.chance(0.4) ? from + Int32(365 * (1 + rng.int(3))) : noDate
            protections.append(ProtectionRec(person: p, kind: .dv_support, from: from, to: to, note: "DV等支援措置"))
            pop.persons[Int(p)].addressSince = max(pop.persons[Int(p)].addressSince, from - Int32(rng.int(200)))
        }
        // Staff and their families.
        for st in staff where st.person >= 0 && st.role != .contractor && rng.chance(0.6) {
            let from = st.stints.first?.from ?? pop.t0
            protections.append(ProtectionRec(person: st.person, kind: .staff, from: from, to: noDate, note: "職員"))
            let sp = pop.persons[Int(st.person)].spouse
            if sp >= 0, rng.chance(0.5), !pop.persons[Int(sp)].excluded {
                protections.append(ProtectionRec(person: sp, kind: .staff, from: from, to: noDate, note: "職員家族"))
            }
        }
    }
}

func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
