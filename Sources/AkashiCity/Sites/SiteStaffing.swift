import AkashiDomain

struct SiteStaff {
    var id: String
    var name: String
    var role: StaffRole
    /// The site office (index) of the staff member's register work.
    var office: Int
    var assignments: [Assignment]
    var person: Int32 = -1
    var address: String?
    var home: SiteAddr?
    /// How often this clerk names the case on case work.
    var naming: Double
    var terminal: String
    /// Days of register duty within the period (inclusive range).
    var dutyFrom: Int32
    var dutyTo: Int32
    /// Keys cases late more often than the office does.
    var lateQuirk: Double
}

struct SiteProtection {
    var person: Int32
    var kind: ProtectionKind
    var from: Int32
    var to: Int32
    var note: String
}

extension SiteEngine {
    // MARK: Protected persons

    func protect() {
        var rng = CityRandom(seed: seed, stream: 404)
        var used = Set<Int32>()
        func pick(_ ok: (Int32) -> Bool) -> Int32? {
            for _ in 0..<4000 {
                let p = Int32(rng.int(world.persons.count))
                if !used.contains(p), ok(p) { used.insert(p); return p }
            }
            return nil
        }
        let w = world
        func living(_ p: Int32, _ lo: Int, _ hi: Int) -> Bool {
            let q = w.persons[Int(p)]
            return q.register >= 0 && w.alive(p, on: w.p1) && (lo...hi).contains(w.age(p, on: w.p0))
                && w.registers[Int(q.register)].kind == .current && w.registers[Int(q.register)].opened <= w.p0
                && q.addr.ward >= 0
        }
        // The mayor: a register with its Heisei original, at a site office.
        if let m = pick({ p in
            living(p, 45, 68) && w.registers[Int(w.persons[Int(p)].register)].preds.contains {
                w.registers[Int($0)].kind == .heisei_original
            }
        }) ?? pick({ living($0, 45, 68) }) {
            mayor = m
            protections.append(SiteProtection(person: m, kind: .vip, from: w.p0 - Int32(rng.int(30...900)), to: noDate,
                                              note: "市長"))
        }
        for _ in 0..<rng.int(3...7) {
            if let p = pick({ living($0, 35, 75) }) {
                vips.append(p)
                protections.append(SiteProtection(person: p, kind: .vip, from: w.p0 - Int32(rng.int(0...1400)),
                                                  to: noDate, note: "市会議員"))
            }
        }
        for note in ["著名人（芸能）", "著名人（スポーツ）", "著名人（芸能）", "著名人（文化）"].prefix(rng.int(2...4)) {
            if let p = pick({ living($0, 20, 60) }) {
                vips.append(p)
                protections.append(SiteProtection(person: p, kind: .vip, from: w.p0 - Int32(rng.int(0...2000)),
                                                  to: noDate, note: note))
            }
        }
        // DV victims: moved recently to a new address the abuser must not learn.
        let nDV = max(2, Int((Double(rng.int(6...14)) * scale.squareRoot()).rounded()))
        for _ in 0..<nDV {
            guard let p = pick({ living($0, 22, 52) && w.persons[Int($0)].female }) else { break }
            let since = w.randomDay(w.p0 - 500, w.p1 - 90)
            var a = w.addr(ward: w.offices[rng.int(w.offices.count)])
            if a.sameBlock(w.persons[Int(p)].addr) { a = w.addr(ward: rng.int(Facts.wards.count)) }
            world.persons[Int(p)].addr = a
            world.persons[Int(p)].addrSince = since
            world.persons[Int(p)].addrMode = 0
            dvVictims.append(p)
            protections.append(SiteProtection(person: p, kind: .dv_support, from: since + Int32(rng.int(3...40)),
                                              to: noDate, note: "DV等支援措置（住民票・附票の交付制限）"))
        }
        protectedSet = Set(protections.map(\.person))
    }

    // MARK: Staff

    func hire() {
        var rng = CityRandom(seed: seed, stream: 505)
        let w = world
        let p = profile
        // The HR boundary inside the period (1 April, else 1 October).
        var boundary: Int32 = noDate
        for y in yearOf(w.p0)...yearOf(w.p1) {
            for (m, dd) in [(4, 1), (10, 1)] {
                let b = day(y, m, dd)
                if b > w.p0 + 60, b < w.p1 - 60, boundary == noDate { boundary = b }
            }
        }
        hrBoundary = boundary
        var linked = Set<Int32>()
        func resident(_ rng: inout CityRandom) -> Int32? {
            // Some staff are picked among people with a former spouse or a deceased parent (life happens to staff too).
            let want = rng.double()
            for _ in 0..<3000 {
                let q = Int32(rng.int(w.persons.count))
                let r = w.persons[Int(q)]
                guard r.register >= 0, w.alive(q, on: w.p1), (23...62).contains(w.age(q, on: w.p0)), r.addr.ward >= 0,
                      !protectedSet.contains(q), !linked.contains(q) else { continue }
                if want < 0.15, r.former < 0 { continue }
                if want >= 0.15, want < 0.35, !((r.father >= 0 && !w.alive(r.father, on: w.p0))
                    || (r.mother >= 0 && !w.alive(r.mother, on: w.p0))) { continue }
                linked.insert(q)
                return q
            }
            return nil
        }
        var serial = 0
        let otherDuties = ["tax", "welfare", "resident", "health", "general"]
        for (o, weight) in w.officeWeight.enumerated() {
            let code = Facts.wards[w.offices[o]].code
            let base = Double(rng.int(p.staffPerOffice)) * weight.squareRoot()
            let n = max(5, Int((base * scale.squareRoot()).rounded()))
            let supervisors = max(1, n / 11)
            let contractors = Int((Double(n) * p.contractorShare).rounded())
            let trainees = n >= 12 ? 1 : 0
            for k in 0..<n {
                serial += 1
                let role: StaffRole = k < supervisors ? .supervisor
                    : k < supervisors + contractors ? .contractor
                    : k < supervisors + contractors + trainees ? .trainee : .clerk
                var s = SiteStaff(id: p.ids.staff + pad(serial * 7 + rng.int(7), 5), name: "", role: role, office: o,
                                  assignments: [], naming: 0, terminal: "T" + code + "-" + pad(k + 1, 2),
                                  dutyFrom: w.p0, dutyTo: w.p1, lateQuirk: rng.chance(0.2) ? 2.0 : 1.0)
                s.naming = min(0.995, max(0.01, rng.normal(p.caseNaming, p.caseNamingSpread)))
                if role == .supervisor { s.naming = min(0.995, s.naming + 0.05) }
                // HR history.
                let joined = day(yearOf(w.p0) - rng.int(1...12), 4, 1)
                var stints: [Assignment] = []
                if role != .contractor, rng.chance(0.3), w.offices.count > 1 {
                    // Register work at another office of the site years ago.
                    let other = (o + 1 + rng.int(w.offices.count - 1)) % w.offices.count
                    let a0 = day(yearOf(joined) - rng.int(2...6), 4, 1)
                    stints.append(Assignment(office: Facts.wards[w.offices[other]].code, duty: "koseki",
                                             from: LocalDate(day: a0), to: LocalDate(day: joined - 1)))
                }
                let x = rng.double()
                if boundary != noDate, role == .clerk || role == .trainee, x < 0.1 {
                    // Leaves register work at the boundary.
                    stints.append(Assignment(office: code, duty: "koseki", from: LocalDate(day: joined),
                                             to: LocalDate(day: boundary - 1)))
                    stints.append(Assignment(office: code, duty: otherDuties[rng.int(otherDuties.count)],
                                             from: LocalDate(day: boundary), to: nil))
                    s.dutyTo = boundary - 1
                } else if boundary != noDate, x < 0.2 {
                    // Joins register work at the boundary.
                    stints.append(Assignment(office: code, duty: otherDuties[rng.int(otherDuties.count)],
                                             from: LocalDate(day: joined), to: LocalDate(day: boundary - 1)))
                    stints.append(Assignment(office: code, duty: "koseki", from: LocalDate(day: boundary), to: nil))
                    s.dutyFrom = boundary
                } else {
                    stints.append(Assignment(office: code, duty: "koseki", from: LocalDate(day: joined), to: nil))
                }
                s.assignments = stints
                if rng.chance(p.residentStaff), let q = resident(&rng) {
                    s.person = q
                    s.name = w.fullName(q)
                    s.home = w.persons[Int(q)].addr
                    s.address = w.addressText(w.persons[Int(q)].addr)
                } else {
                    let female = rng.chance(0.5)
                    s.name = w.names.surnames[Int(w.names.surname(&rng))].kanji + " "
                        + w.names.given[Int(w.names.givenName(year: 1960 + rng.int(35), female: female, &rng))].kanji
                    let y = rng.double()
                    if y < 0.55 {
                        let a = w.outsideAddr()
                        s.address = w.addressText(a)
                    } else if y < 0.8 {
                        s.address = nil
                    } else {
                        let a = w.addr(ward: rng.int(Facts.wards.count))
                        s.address = w.addressText(a)
                        s.home = a
                    }
                }
                staff.append(s)
            }
        }
        if p.traineeIntake > 0, boundary != noDate {
            // New staff (新規採用) join register work on the HR boundary; each gets a mentor for the first weeks.
            var r2 = CityRandom(seed: seed, stream: 515)
            for o in w.offices.indices {
                let code = Facts.wards[w.offices[o]].code
                let k = max(1, Int((Double(p.traineeIntake) * w.officeWeight[o].squareRoot() * scale.squareRoot()).rounded()))
                let seniors = staff.indices.filter { staff[$0].office == o && staff[$0].role == .clerk && staff[$0].dutyFrom <= w.p0 }
                let already = staff.filter { $0.office == o }.count
                for j in 0..<k {
                    serial += 1
                    var s = SiteStaff(id: p.ids.staff + pad(serial * 7 + r2.int(7), 5), name: "", role: .trainee, office: o,
                                      assignments: [Assignment(office: code, duty: "koseki", from: LocalDate(day: boundary), to: nil)],
                                      naming: 0, terminal: "T" + code + "-" + pad(already + j + 1, 2),
                                      dutyFrom: boundary, dutyTo: w.p1, lateQuirk: 1.0)
                    s.naming = min(0.995, max(0.01, r2.normal(p.caseNaming, p.caseNamingSpread)))
                    let female = r2.chance(0.5)
                    var young: Int32? = nil
                    if r2.chance(p.residentStaff) {
                        for _ in 0..<3000 {
                            let q = Int32(r2.int(w.persons.count))
                            let r = w.persons[Int(q)]
                            if r.register >= 0, w.alive(q, on: w.p1), (22...29).contains(w.age(q, on: boundary)), r.addr.ward >= 0,
                               !protectedSet.contains(q), !linked.contains(q) { young = q; break }
                        }
                    }
                    if let q = young {
                        linked.insert(q)
                        s.person = q
                        s.name = w.fullName(q)
                        s.home = w.persons[Int(q)].addr
                        s.address = w.addressText(w.persons[Int(q)].addr)
                    } else {
                        s.name = w.names.surnames[Int(w.names.surname(&r2))].kanji + " "
                            + w.names.given[Int(w.names.givenName(year: yearOf(boundary) - 23 - r2.int(5), female: female, &r2))].kanji
                        s.address = w.addressText(w.outsideAddr())
                    }
                    if !seniors.isEmpty { mentor[Int32(staff.count)] = Int32(seniors[r2.int(seniors.count)]) }
                    staff.append(s)
                }
            }
        }
        staffOfOffice = w.offices.indices.map { o in staff.indices.filter { staff[$0].office == o }.map { Int32($0) } }
        if p.postalShare > 0 || p.relayShare > 0 || p.searchTeam > 0 || p.migrationTeam > 0 { desks() }
        if profile.name == "tidy-ward" {
            for s in staff where s.person >= 0 {
                protections.append(SiteProtection(person: s.person, kind: .staff, from: w.p0 - 365, to: noDate, note: "職員"))
            }
        }
    }

    /// The desk teams of the later profiles: a few staff per office who take the postal batches, the 広域交付 relays, the
    /// searches for the counter, or the migration checks (they do counter work as well).
    func desks() {
        var rng = CityRandom(seed: seed, stream: 525)
        let p = profile
        func team(_ o: Int, _ n: Int, _ ok: (SiteStaff) -> Bool) -> [Int32] {
            var list = staffOfOffice[o].filter { ok(staff[Int($0)]) }
            rng.shuffle(&list)
            return Array(list.prefix(n))
        }
        let small = scale.squareRoot()
        for o in world.offices.indices {
            let weight = world.officeWeight[o].squareRoot()
            postalTeamOf.append(p.postalShare > 0
                ? team(o, max(2, Int((Double(rng.int(3...5)) * weight * small).rounded()))) { $0.role == .clerk || $0.role == .contractor } : [])
            relayDeskOf.append(p.relayShare > 0 ? team(o, max(2, Int((3 * weight * small).rounded()))) { $0.role == .clerk } : [])
            searchTeamOf.append(p.searchTeam > 0
                ? team(o, max(2, Int((Double(rng.int(3...5)) * weight * small).rounded()))) { $0.role == .clerk && $0.dutyFrom <= self.world.p0 } : [])
            var m: [Int32] = []
            if p.migrationTeam > 0 {
                m = team(o, max(3, Int((Double(p.migrationTeam) * weight * small).rounded()))) { $0.role == .clerk || $0.role == .trainee }
                m += team(o, 1) { $0.role == .supervisor }
            }
            migrationTeamOf.append(m)
        }
    }

    /// Whether a staff member is on register duty at their office that day.
    func onDuty(_ s: Int32, _ d: Int32) -> Bool { staff[Int(s)].dutyFrom <= d && d <= staff[Int(s)].dutyTo }
}
