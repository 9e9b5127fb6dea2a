import AkashiDomain

let noDate: Int32 = .max

@inline(__always) func day(_ y: Int, _ m: Int, _ d: Int) -> Int32 { LocalDate(year: y, month: m, day: d)!.day }
@inline(__always) func yearOf(_ d: Int32) -> Int { LocalDate(day: d).parts.year }

/// A home address: ward (−1 = outside the city), town (global town index, or index into the outside list), 丁目, 番, 号.
struct Addr: Hashable {
    var ward: Int16
    var town: Int16
    var chome: UInt8
    var ban: UInt8
    var go: UInt8

    /// The 町丁目 key (ward, town, 丁目) for neighbour comparisons; nil outside the city.
    var blockKey: Int32? { ward < 0 ? nil : Int32(town) * 64 + Int32(chome) }
}

struct PersonRec {
    var surname: Int32
    var maiden: Int32
    var given: Int32
    var birth: Int32
    var died: Int32 = noDate
    var female: Bool
    /// The family (logical register) the person is in now, or was last in.
    var family: Int32 = -1
    var prevFamily: Int32 = -1
    var movedAt: Int32 = 0
    var father: Int32 = -1
    var mother: Int32 = -1
    var spouse: Int32 = -1
    var formerSpouse: Int32 = -1
    var adoptiveParent: Int32 = -1
    var addr: Addr
    var addressSince: Int32
    /// Left the city's registry (married or transferred elsewhere).
    var movedOut = false
    /// The mayor's family in the osaka-2014 scenario: untouched by random work.
    var excluded = false

    func alive(on d: Int32) -> Bool { birth <= d && died > d }
}

struct Member {
    var person: Int32
    var joined: Int32
    var left: Int32
}

/// A logical family register: one 戸籍 through its paper and computerised forms.
struct FamilyRec {
    var ward: Int16
    var town: Int16
    var chome: UInt8
    var ban: UInt8
    var head: Int32
    var husband: Int32 = -1
    var wife: Int32 = -1
    var opened: Int32
    var closed: Int32 = noDate
    /// Closed by an explicit act (transfer), not by its members leaving.
    var closedExplicitly = false
    var members: [Member] = []
    var excluded = false
    var home: Addr
    // The records, once built.
    var recS: Int32 = -1
    var recH: Int32 = -1
    var recX: Int32 = -1
}

struct FamilyLink {
    var from: Int32
    var to: Int32
    var date: Int32
}

/// A register record as written.
struct RegisterRec {
    var family: Int32
    var kind: RegisterKind
    var opened: Int32
    var closed: Int32
    var members: [Int32] = []
    var predecessors: [Int32] = []
    var successors: [Int32] = []
}

/// A vital or register event inside the workload period: what notifications are about.
struct LifeEvent {
    enum Kind: UInt8 {
        case birth, death, marriage, divorce, transfer, separation, adoption, recognition, nameChange, other
        var caseKind: CaseKind {
            switch self {
            case .birth: .notification_birth
            case .death: .notification_death
            case .marriage: .notification_marriage
            case .divorce: .notification_divorce
            case .transfer: .notification_transfer
            case .separation: .notification_separation
            case .adoption: .notification_adoption
            case .recognition: .notification_recognition
            case .nameChange: .notification_name_change
            case .other: .notification_other
            }
        }
    }
    var kind: Kind
    var date: Int32
    /// Affected families: the first is the main one (new register for marriage/divorce/transfer/separation).
    var families: [Int32]
    var persons: [Int32]
    /// Where the notifier lives (the office that receives it, usually).
    var residence: Int16
}

/// The registry of the synthetic city: persons, families, records, and the period's life events.
final class Population {
    let tables: Tables
    var persons: [PersonRec] = []
    var families: [FamilyRec] = []
    var links: [FamilyLink] = []
    var records: [RegisterRec] = []
    var events: [LifeEvent] = []
    /// 平成改製 (computerisation) and 昭和改製 dates per ward.
    var compDate: [Int32] = []
    var showaDate: [Int32] = []
    var mayor: (person: Int32, family: Int32)? = nil

    let t0: Int32
    let t1: Int32
    let scale: Double
    var rng: CityRandom
    var living: [Int32] = []
    var livingPos: [Int32] = []

    init(tables: Tables, scale: Double, from: LocalDate, to: LocalDate, seed: UInt64) {
        self.tables = tables
        self.scale = scale
        t0 = from.day
        t1 = to.day
        rng = CityRandom(seed: seed, stream: 11)
        var order = Array(0..<Facts.wards.count)
        rng.shuffle(&order)
        compDate = Array(repeating: 0, count: order.count)
        showaDate = Array(repeating: 0, count: order.count)
        for (k, w) in order.enumerated() {
            compDate[w] = day(2010, 1, 18) + Int32(7 * k)
            showaDate[w] = day(1957 + rng.int(9), 1 + rng.int(12), 1 + rng.int(28))
        }
    }

    // MARK: Building blocks

    func randomAddr(ward: Int) -> Addr {
        let towns = tables.townsOfWard[ward]
        let t = towns[rng.int(towns.count)]
        return Addr(ward: Int16(ward), town: Int16(t), chome: UInt8(1 + rng.int(tables.towns[t].chome)),
                    ban: UInt8(1 + rng.int(30)), go: UInt8(1 + rng.int(25)))
    }

    func outsideAddr() -> Addr {
        Addr(ward: -1, town: Int16(rng.int(Facts.outsideTowns.count)), chome: UInt8(1 + rng.int(5)),
             ban: UInt8(1 + rng.int(30)), go: UInt8(1 + rng.int(25)))
    }

    func randomWard() -> Int { tables.wardWeights.pick(&rng) }

    @discardableResult
    func newPerson(female: Bool, birth: Int32, surname: Int32, father: Int32 = -1, mother: Int32 = -1,
                   addr: Addr, history: Bool) -> Int32 {
        let id = Int32(persons.count)
        var p = PersonRec(surname: surname, maiden: surname,
                          given: tables.given(year: yearOf(birth), female: female, &rng), birth: birth,
                          female: female, father: father, mother: mother, addr: addr, addressSince: birth)
        if history {
            // Death age: a few die young, the rest around 80 (men) / 86 (women).
            let age = rng.chance(0.03) ? rng.double() * 60 : min(106, rng.normal(female ? 86.5 : 80.5, 9))
            let d = birth + Int32(age * 365.25)
            if d < t0 { p.died = max(d, birth + 1) }
        }
        persons.append(p)
        return id
    }

    func newFamily(ward: Int, head: Int32, opened: Int32) -> Int32 {
        let home = randomAddr(ward: ward)
        let honseki = rng.chance(0.6) ? home : randomAddr(ward: ward)
        families.append(FamilyRec(ward: Int16(ward), town: honseki.town, chome: honseki.chome,
                                  ban: UInt8(1 + rng.int(40)), head: head, opened: opened, home: home))
        return Int32(families.count - 1)
    }

    func join(_ f: Int32, _ p: Int32, _ date: Int32, moveHome: Bool = true) {
        families[Int(f)].members.append(Member(person: p, joined: date, left: noDate))
        persons[Int(p)].prevFamily = persons[Int(p)].family
        persons[Int(p)].family = f
        persons[Int(p)].movedAt = date
        if moveHome {
            persons[Int(p)].addr = families[Int(f)].home
            persons[Int(p)].addressSince = date
        }
    }

    func leave(_ p: Int32, _ date: Int32) {
        let f = persons[Int(p)].family
        guard f >= 0 else { return }
        if let k = families[Int(f)].members.lastIndex(where: { $0.person == p && $0.left == noDate }) {
            families[Int(f)].members[k].left = date
        }
    }

    /// The day a member stopped being present: left, or died.
    func end(_ m: Member) -> Int32 { min(m.left, persons[Int(m.person)].died) }

    func updateClosure(_ f: Int32) {
        guard !families[Int(f)].closedExplicitly else { return }
        var last: Int32 = .min
        for m in families[Int(f)].members {
            let e = end(m)
            if e == noDate { families[Int(f)].closed = noDate; return }
            last = max(last, e)
        }
        families[Int(f)].closed = families[Int(f)].members.isEmpty ? noDate : last
    }

    func ageYears(_ p: Int32, on d: Int32) -> Int { Int(d - persons[Int(p)].birth) / 365 }

    func days(years: Double) -> Int32 { Int32(years * 365.25) }

    // MARK: History (before the period)

    func buildHistory(targetCurrent: Int, withMayor: Bool) {
        var mayorDone = !withMayor
        // A finished cluster never changes again, so open registers are counted once, incrementally.
        var open = 0, counted = 0
        while true {
            while counted < families.count {
                if familyOpen(Int32(counted), at: t0) { open += 1 }
                counted += 1
            }
            if !mayorDone && open >= targetCurrent / 2 { makeMayor(); mayorDone = true }
            if open >= targetCurrent { break }
            cluster()
        }
        if !mayorDone { makeMayor() }
        for f in families.indices { updateClosure(Int32(f)) }
    }

    func familyOpen(_ f: Int32, at d: Int32) -> Bool {
        let fam = families[Int(f)]
        if fam.opened > d { return false }
        if fam.closedExplicitly { return fam.closed > d }
        for m in fam.members where end(m) > d { return true }
        return false
    }

    func cluster() {
        let ward = randomWard()
        let y = 1895 + Int(rng.double() * 78)
        let birth = day(y, 1, 1) + Int32(rng.int(365))
        let founder = newPerson(female: false, birth: birth, surname: tables.surname(&rng), addr: randomAddr(ward: ward),
                                history: true)
        adult(founder, depth: 0, ward: ward)
    }

    /// An adult's life: marriage (new register), children, divorce, transfer.
    func adult(_ p: Int32, depth: Int, ward: Int) {
        let person = persons[Int(p)]
        let by = yearOf(person.birth)
        let marryP = by < 1960 ? 0.9 : by < 1975 ? 0.82 : 0.7
        let mean = (person.female ? 25.5 : 28.0) + (by >= 1965 ? 2.0 : 0)
        let age = max(18.5, rng.normal(mean, 3.2))
        let d = person.birth + days(years: age)
        func single() {
            if persons[Int(p)].family < 0 {
                // A founder who never married: his own register (分籍).
                let f = newFamily(ward: ward, head: p, opened: person.birth + days(years: 20 + rng.double() * 10))
                join(f, p, families[Int(f)].opened)
            }
        }
        guard rng.chance(marryP), d < t0, person.died > d else { return single() }
        // 25 %: the couple settle outside the city; the child leaves the registry here.
        if depth > 0, rng.chance(0.22) {
            leave(p, d)
            persons[Int(p)].movedOut = true
            persons[Int(p)].addr = outsideAddr()
            persons[Int(p)].addressSince = d
            return
        }
        let female = person.female
        let sb = person.birth + days(years: female ? rng.normal(2.5, 3) : rng.normal(-2.5, 3))
        let sAge = Double(d - sb) / 365.25
        guard sAge >= 17 else { return single() }
        let spouse = newPerson(female: !female, birth: sb, surname: tables.surname(&rng), addr: person.addr, history: true)
        if persons[Int(spouse)].died <= d { persons[Int(spouse)].died = d + days(years: 1 + rng.double() * 40) }
        if persons[Int(spouse)].died >= t0 { persons[Int(spouse)].died = noDate }
        let husband = female ? spouse : p
        let wife = female ? p : spouse
        // The spouse's parents' register, in the city for about a third.
        if rng.chance(0.35) { inLaws(of: spouse, until: d) }
        let newWard = rng.chance(0.7) ? ward : randomWard()
        let headIsWife = rng.chance(0.04)
        let head = headIsWife ? wife : husband
        let f = newFamily(ward: newWard, head: head, opened: d)
        families[Int(f)].husband = husband
        families[Int(f)].wife = wife
        for q in [p, spouse] {
            let old = persons[Int(q)].family
            if old >= 0 {
                leave(q, d)
                links.append(FamilyLink(from: old, to: f, date: d))
            }
        }
        let surname = persons[Int(head)].surname
        persons[Int(husband)].surname = surname
        persons[Int(wife)].surname = surname
        persons[Int(husband)].spouse = wife
        persons[Int(wife)].spouse = husband
        join(f, head, d)
        join(f, head == husband ? wife : husband, d)
        // Children.
        let my = yearOf(d)
        let lambda = my < 1950 ? 3.0 : my < 1970 ? 2.3 : my < 1990 ? 1.9 : 1.5
        var n = rng.poisson(lambda)
        var t = d + Int32(250 + rng.int(700))
        var kids: [Int32] = []
        let wifeBirth = persons[Int(wife)].birth
        var lastEvent = d
        while n > 0, t < t0, t - wifeBirth < days(years: 44), persons[Int(husband)].died > t - 280,
              persons[Int(wife)].died > t {
            let c = newPerson(female: rng.chance(0.487), birth: t, surname: surname, father: husband, mother: wife,
                              addr: families[Int(f)].home, history: true)
            join(f, c, t)
            kids.append(c)
            lastEvent = t
            n -= 1
            t += Int32(400 + rng.int(1100))
        }
        // Divorce.
        let divP = my < 1970 ? 0.07 : my < 1990 ? 0.15 : 0.24
        if rng.chance(divP) {
            let dv = d + Int32(365 + rng.int(Int(days(years: 22))))
            if dv < t0, persons[Int(husband)].died > dv, persons[Int(wife)].died > dv {
                divorce(family: f, on: dv, history: true)
                lastEvent = max(lastEvent, dv)
            }
        }
        for c in kids where depth < 3 {
            adult(c, depth: depth + 1, ward: newWard)
        }
        for m in families[Int(f)].members where m.left != noDate { lastEvent = max(lastEvent, m.left) }
        // Transfer of 本籍 (転籍) after the family's last change.
        if rng.chance(0.07), lastEvent + 30 < t0 {
            let tt = lastEvent + 30 + Int32(rng.int(Int(t0 - lastEvent - 30)))
            transfer(family: f, on: tt, outOfCity: rng.chance(0.25), history: true)
        }
    }

    /// The spouse's parents and siblings, in a register of the city.
    func inLaws(of s: Int32, until d: Int32) {
        let sp = persons[Int(s)]
        let ward = randomWard()
        let fb = sp.birth - days(years: 26 + rng.double() * 10)
        let mb = fb + days(years: rng.normal(2, 2))
        let father = newPerson(female: false, birth: fb, surname: sp.surname, addr: randomAddr(ward: ward), history: true)
        let mother = newPerson(female: true, birth: mb, surname: sp.surname, addr: persons[Int(father)].addr, history: true)
        let opened = max(fb + days(years: 20), sp.birth - days(years: 1 + rng.double() * 4))
        let f = newFamily(ward: ward, head: father, opened: opened)
        families[Int(f)].husband = father
        families[Int(f)].wife = mother
        persons[Int(father)].spouse = mother
        persons[Int(mother)].spouse = father
        join(f, father, opened)
        join(f, mother, opened)
        persons[Int(s)].father = father
        persons[Int(s)].mother = mother
        join(f, s, sp.birth, moveHome: false)
        for _ in 0..<rng.poisson(1.0) {
            let b = sp.birth + Int32(rng.int(-2000...2000))
            guard b > opened, b < t0, b - mb > days(years: 17), b - mb < days(years: 44) else { continue }
            let c = newPerson(female: rng.chance(0.49), birth: b, surname: sp.surname, father: father, mother: mother,
                              addr: families[Int(f)].home, history: true)
            join(f, c, b)
            let leaveAt = b + days(years: 24 + rng.double() * 10)
            if leaveAt < t0, persons[Int(c)].died > leaveAt {
                leave(c, leaveAt)
                persons[Int(c)].movedOut = true
                persons[Int(c)].addr = outsideAddr()
                persons[Int(c)].addressSince = leaveAt
            }
        }
    }

    func divorce(family f: Int32, on dv: Int32, history: Bool) {
        let fam = families[Int(f)]
        let husband = fam.husband, wife = fam.wife
        let leaver = fam.head == husband ? wife : husband
        let ward = rng.chance(0.8) ? Int(fam.ward) : randomWard()
        leave(leaver, dv)
        let g = newFamily(ward: ward, head: leaver, opened: dv)
        links.append(FamilyLink(from: f, to: g, date: dv))
        persons[Int(leaver)].surname = persons[Int(leaver)].maiden
        join(g, leaver, dv)
        persons[Int(husband)].spouse = -1
        persons[Int(wife)].spouse = -1
        persons[Int(husband)].formerSpouse = wife
        persons[Int(wife)].formerSpouse = husband
        families[Int(f)].wife = -1
        families[Int(f)].husband = leaver == husband ? -1 : husband
        if !history { events.append(LifeEvent(kind: .divorce, date: dv, families: [g, f], persons: [leaver, fam.head],
                                              residence: persons[Int(leaver)].addr.ward)) }
    }

    @discardableResult
    func transfer(family f: Int32, on t: Int32, outOfCity: Bool, history: Bool) -> Int32 {
        let present = families[Int(f)].members.filter { end($0) > t && $0.joined <= t }.map(\.person)
        families[Int(f)].closed = t
        families[Int(f)].closedExplicitly = true
        for q in present { leave(q, t) }
        if outOfCity || present.isEmpty {
            let a = outsideAddr()
            for q in present {
                persons[Int(q)].movedOut = true
                persons[Int(q)].addr = a
                persons[Int(q)].addressSince = t
            }
            return -1
        }
        var ward = randomWard()
        if ward == Int(families[Int(f)].ward) { ward = (ward + 1 + rng.int(Facts.wards.count - 1)) % Facts.wards.count }
        let head = present.contains(families[Int(f)].head) ? families[Int(f)].head : present[0]
        let g = newFamily(ward: ward, head: head, opened: t)
        families[Int(g)].husband = families[Int(f)].husband
        families[Int(g)].wife = families[Int(f)].wife
        let moveHome = rng.chance(0.5)
        if !moveHome { families[Int(g)].home = families[Int(f)].home }
        for q in present { join(g, q, t, moveHome: moveHome) }
        links.append(FamilyLink(from: f, to: g, date: t))
        return g
    }

    // MARK: The scenario's mayor (fictional)

    func makeMayor() {
        let ward = Facts.wards.firstIndex { $0.code == "27127" }!
        let surname = Int32(tables.surnames.count)
        // Names outside the tables: 浪花 一郎 and family.
        extraNames = [Tables.Name(kanji: "浪花", kana: "なにわ")]
        let married = day(1996, 5, 18)
        let home = Addr(ward: Int16(ward), town: Int16(tables.townsOfWard[ward][0]), chome: 2, ban: 1, go: 8)
        let m = newPerson(female: false, birth: day(1968, 9, 12), surname: surname, addr: home, history: false)
        let w = newPerson(female: true, birth: day(1970, 2, 3), surname: surname, addr: home, history: false)
        persons[Int(m)].given = Int32(tables.givenNames.firstIndex { $0.kanji == "一郎" }!)
        let f = newFamily(ward: ward, head: m, opened: married)
        families[Int(f)].home = home
        families[Int(f)].town = home.town
        families[Int(f)].chome = 2
        families[Int(f)].ban = 1
        families[Int(f)].husband = m
        families[Int(f)].wife = w
        families[Int(f)].excluded = true
        persons[Int(m)].spouse = w
        persons[Int(w)].spouse = m
        join(f, m, married)
        join(f, w, married)
        for b in [day(1998, 4, 2), day(2001, 7, 21), day(2005, 11, 30)] {
            let c = newPerson(female: rng.chance(0.5), birth: b, surname: surname, father: m, mother: w, addr: home,
                              history: false)
            join(f, c, b)
        }
        for k in families[Int(f)].members { persons[Int(k.person)].excluded = true; persons[Int(k.person)].addressSince = day(2008, 2, 6) }
        mayor = (m, f)
    }

    /// Surnames outside the weighted tables (the mayor's), appended after ``Tables/surnames``.
    var extraNames: [Tables.Name] = []

    func surnameName(_ i: Int32) -> Tables.Name {
        Int(i) < tables.surnames.count ? tables.surnames[Int(i)] : extraNames[Int(i) - tables.surnames.count]
    }

    // MARK: The period: life events at the city's rates

    func buildLiving() {
        livingPos = Array(repeating: -1, count: persons.count)
        living.removeAll()
        for i in persons.indices {
            let p = persons[i]
            if !p.movedOut, !p.excluded, p.died == noDate, p.family >= 0 { addLiving(Int32(i)) }
        }
    }

    func addLiving(_ p: Int32) {
        if Int(p) >= livingPos.count { livingPos.append(contentsOf: repeatElement(-1, count: Int(p) + 1 - livingPos.count)) }
        livingPos[Int(p)] = Int32(living.count)
        living.append(p)
    }

    func removeLiving(_ p: Int32) {
        let k = Int(livingPos[Int(p)])
        guard k >= 0 else { return }
        let last = living.removeLast()
        if last != p { living[k] = last; livingPos[Int(last)] = Int32(k) }
        livingPos[Int(p)] = -1
    }

    func randomLiving(where ok: (PersonRec) -> Bool, tries: Int = 400) -> Int32? {
        guard !living.isEmpty else { return nil }
        for _ in 0..<tries {
            let p = living[rng.int(living.count)]
            if ok(persons[Int(p)]) { return p }
        }
        return nil
    }

    func randomOpenFamily(on d: Int32, where ok: (FamilyRec) -> Bool, tries: Int = 400) -> Int32? {
        for _ in 0..<tries {
            let f = Int32(rng.int(families.count))
            let fam = families[Int(f)]
            if !fam.excluded, fam.opened <= d, fam.closed == noDate, ok(fam) { return f }
        }
        return nil
    }

    func simulatePeriod() {
        buildLiving()
        let perDay = scale / 365.25
        // Annual figures for the city (osaka.json vital events; transfers etc. from national rates).
        let rates: [(LifeEvent.Kind, Double)] = [
            (.death, 27_518), (.birth, 22_351), (.marriage, 17_717), (.divorce, 6_210), (.transfer, 8_000),
            (.separation, 2_400), (.adoption, 1_300), (.recognition, 700), (.nameChange, 1_100), (.other, 3_000),
        ]
        var d = t0
        while d <= t1 {
            for (kind, annual) in rates {
                for _ in 0..<rng.poisson(annual * perDay) { lifeEvent(kind, on: d) }
            }
            d += 1
        }
    }

    func lifeEvent(_ kind: LifeEvent.Kind, on d: Int32) {
        switch kind {
        case .death:
            // Gompertz acceptance: mortality doubles about every 8 years of age.
            guard let p = randomLiving(where: { q in
                let age = Double(d - q.birth) / 365.25
                return rng.double() < _exp(0.085 * (age - 105))
            }, tries: 3000) else { return }
            persons[Int(p)].died = d
            removeLiving(p)
            let f = persons[Int(p)].family
            updateClosure(f)
            events.append(LifeEvent(kind: .death, date: d, families: [f], persons: [p], residence: persons[Int(p)].addr.ward))
        case .birth:
            guard let f = randomOpenFamily(on: d, where: { fam in
                fam.husband >= 0 && fam.wife >= 0 && persons[Int(fam.wife)].died == noDate
                    && persons[Int(fam.husband)].died == noDate && persons[Int(fam.wife)].spouse == fam.husband
                    && (d - persons[Int(fam.wife)].birth) > days(years: 19) && (d - persons[Int(fam.wife)].birth) < days(years: 44)
                    && fam.members.count < 7
            }, tries: 5000) else { return }
            let fam = families[Int(f)]
            let c = newPerson(female: rng.chance(0.487), birth: d, surname: persons[Int(fam.head)].surname,
                              father: fam.husband, mother: fam.wife, addr: fam.home, history: false)
            join(f, c, d, moveHome: false)
            persons[Int(c)].addr = persons[Int(fam.wife)].addr
            addLiving(c)
            events.append(LifeEvent(kind: .birth, date: d, families: [f], persons: [c, fam.wife], residence: persons[Int(c)].addr.ward))
        case .marriage:
            guard let man = randomLiving(where: { q in
                !q.female && q.spouse < 0 && (d - q.birth) > days(years: 20) && (d - q.birth) < days(years: 55)
            }) else { return }
            let mage = d - persons[Int(man)].birth
            var woman = randomLiving(where: { q in
                q.female && q.spouse < 0 && (d - q.birth) > days(years: 18) && (d - q.birth) > mage - days(years: 12)
                    && (d - q.birth) < mage + days(years: 4) && q.family != persons[Int(man)].family
                    && (q.father < 0 || q.father != persons[Int(man)].father)
            }, tries: rng.chance(0.45) ? 400 : 0)
            if woman == nil {
                woman = newPerson(female: true, birth: persons[Int(man)].birth + days(years: rng.normal(2, 3)),
                                  surname: tables.surname(&rng), addr: outsideAddr(), history: false)
                addLiving(woman!)
            }
            let w = woman!
            let ward = persons[Int(man)].addr.ward >= 0 && rng.chance(0.7) ? Int(persons[Int(man)].addr.ward) : randomWard()
            let headIsWife = rng.chance(0.04)
            let head = headIsWife ? w : man
            let f = newFamily(ward: ward, head: head, opened: d)
            families[Int(f)].husband = man
            families[Int(f)].wife = w
            var affected: [Int32] = [f]
            for q in [man, w] {
                let old = persons[Int(q)].family
                if old >= 0 {
                    leave(q, d)
                    links.append(FamilyLink(from: old, to: f, date: d))
                    updateClosure(old)
                    affected.append(old)
                }
            }
            let s = persons[Int(head)].surname
            persons[Int(man)].surname = s
            persons[Int(w)].surname = s
            persons[Int(man)].spouse = w
            persons[Int(w)].spouse = man
            join(f, head, d)
            join(f, head == man ? w : man, d)
            events.append(LifeEvent(kind: .marriage, date: d, families: affected, persons: [man, w],
                                    residence: persons[Int(man)].addr.ward))
        case .divorce:
            guard let f = randomOpenFamily(on: d, where: { fam in
                fam.husband >= 0 && fam.wife >= 0 && persons[Int(fam.wife)].spouse == fam.husband
                    && persons[Int(fam.wife)].died == noDate && persons[Int(fam.husband)].died == noDate
                    && fam.opened + 200 < d && !persons[Int(fam.husband)].movedOut && !persons[Int(fam.wife)].movedOut
            }, tries: 3000) else { return }
            divorce(family: f, on: d, history: false)
        case .transfer:
            guard let f = randomOpenFamily(on: d, where: { fam in fam.opened < d }) else { return }
            let out = rng.chance(0.15)
            let present = families[Int(f)].members.filter { end($0) > d }.map(\.person)
            let g = transfer(family: f, on: d, outOfCity: out, history: false)
            if g < 0 { for q in present { removeLiving(q) } }
            events.append(LifeEvent(kind: .transfer, date: d, families: g >= 0 ? [g, f] : [f], persons: present,
                                    residence: families[Int(f)].home.ward))
        case .separation:
            guard let p = randomLiving(where: { q in
                q.spouse < 0 && (d - q.birth) > days(years: 20) && q.family >= 0
                    && (q.father >= 0 || q.mother >= 0) && q.movedAt < d
            }) else { return }
            guard families[Int(persons[Int(p)].family)].head != p else { return }
            let old = persons[Int(p)].family
            leave(p, d)
            let g = newFamily(ward: persons[Int(p)].addr.ward >= 0 ? Int(persons[Int(p)].addr.ward) : Int(families[Int(old)].ward),
                              head: p, opened: d)
            links.append(FamilyLink(from: old, to: g, date: d))
            join(g, p, d, moveHome: false)
            updateClosure(old)
            events.append(LifeEvent(kind: .separation, date: d, families: [g, old], persons: [p], residence: persons[Int(p)].addr.ward))
        case .adoption:
            guard let f = randomOpenFamily(on: d, where: { fam in
                fam.husband >= 0 && persons[Int(fam.husband)].died == noDate && !persons[Int(fam.husband)].movedOut
            }), let c = randomLiving(where: { q in
                (d - q.birth) < days(years: 25) && q.adoptiveParent < 0 && q.family != f && q.movedAt < d
            }) else { return }
            let old = persons[Int(c)].family
            leave(c, d)
            join(f, c, d)
            updateClosure(old)
            persons[Int(c)].adoptiveParent = families[Int(f)].husband
            links.append(FamilyLink(from: old, to: f, date: d))
            events.append(LifeEvent(kind: .adoption, date: d, families: [f, old], persons: [c, families[Int(f)].husband],
                                    residence: persons[Int(c)].addr.ward))
        case .recognition, .nameChange, .other:
            guard let f = randomOpenFamily(on: d, where: { _ in true }) else { return }
            let present = families[Int(f)].members.filter { end($0) > d }.map(\.person)
            guard !present.isEmpty else { return }
            let p = present[rng.int(present.count)]
            events.append(LifeEvent(kind: kind, date: d, families: [f], persons: [p], residence: persons[Int(p)].addr.ward))
        }
    }

    // MARK: Records

    /// Builds the register records: 昭和改製原戸籍 → 平成改製原戸籍 → computerised register, or one paper 除籍.
    func buildRecords() {
        for f in families.indices where !families[f].closedExplicitly { updateClosure(Int32(f)) }
        records.reserveCapacity(families.count * 3 / 2)
        for f in families.indices {
            let fam = families[f]
            let comp = compDate[Int(fam.ward)], showa = showaDate[Int(fam.ward)]
            let ends = fam.members.map { end($0) }
            func members(from a: Int32, to b: Int32) -> [Int32] {
                var out: [Int32] = []
                for (k, m) in fam.members.enumerated() where m.joined < b && ends[k] >= a && !out.contains(m.person) {
                    out.append(m.person)
                }
                return out
            }
            if fam.closed != noDate && fam.closed < comp {
                families[f].recX = Int32(records.count)
                records.append(RegisterRec(family: Int32(f), kind: .removed, opened: fam.opened, closed: fam.closed,
                                           members: members(from: .min, to: noDate)))
                continue
            }
            var prev: Int32 = -1
            var xOpened = fam.opened
            if fam.opened < comp {
                if fam.opened < showa {
                    families[f].recS = Int32(records.count)
                    records.append(RegisterRec(family: Int32(f), kind: .showa_original, opened: fam.opened, closed: showa,
                                               members: members(from: .min, to: showa)))
                    prev = families[f].recS
                    xOpened = showa
                }
                families[f].recH = Int32(records.count)
                var h = RegisterRec(family: Int32(f), kind: .heisei_original, opened: xOpened, closed: comp,
                                    members: members(from: prev >= 0 ? showa : .min, to: comp))
                if prev >= 0 { h.predecessors = [prev]; records[Int(prev)].successors.append(families[f].recH) }
                records.append(h)
                prev = families[f].recH
            }
            families[f].recX = Int32(records.count)
            var x = RegisterRec(family: Int32(f), kind: fam.closed == noDate ? .current : .removed, opened: xOpened,
                                closed: fam.closed, members: members(from: prev >= 0 ? comp : .min, to: noDate))
            if prev >= 0 { x.predecessors = [prev]; records[Int(prev)].successors.append(families[f].recX) }
            records.append(x)
        }
        for l in links {
            let a = recordAt(l.from, l.date - 1)
            let fam = families[Int(l.to)]
            let b = fam.recS >= 0 ? fam.recS : fam.recH >= 0 ? fam.recH : fam.recX
            if !records[Int(a)].successors.contains(b) { records[Int(a)].successors.append(b) }
            if !records[Int(b)].predecessors.contains(a) { records[Int(b)].predecessors.append(a) }
        }
    }

    /// The record of a family that was in force on a date.
    func recordAt(_ f: Int32, _ d: Int32) -> Int32 {
        let fam = families[Int(f)]
        if fam.recS >= 0, d < showaDate[Int(fam.ward)] { return fam.recS }
        if fam.recH >= 0, d < compDate[Int(fam.ward)] { return fam.recH }
        return fam.recX
    }

    /// The record a person is (or was last) recorded in.
    func personRecord(_ p: Int32) -> Int32 {
        let pr = persons[Int(p)]
        let f = pr.family
        var e = pr.died
        if let m = families[Int(f)].members.last(where: { $0.person == p }) { e = min(e, m.left) }
        return recordAt(f, e == noDate ? noDate : e - 1)
    }

    /// The family a person was in on a date (the current one, or the one before their last move).
    func familyOn(_ p: Int32, _ d: Int32) -> Int32 {
        let pr = persons[Int(p)]
        if d >= pr.movedAt || pr.prevFamily < 0 { return pr.family }
        return pr.prevFamily
    }
}
