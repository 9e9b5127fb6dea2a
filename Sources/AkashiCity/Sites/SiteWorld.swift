import AkashiDomain

/// A home or 本籍 location: ward (index into `Facts.wards`, −1 = outside the city), town, 丁目, 番, 号.
struct SiteAddr: Hashable {
    var ward: Int16
    var town: Int16
    var chome: UInt8
    var ban: UInt8
    var go: UInt8

    /// Same 町丁目.
    func sameBlock(_ o: SiteAddr) -> Bool { ward >= 0 && ward == o.ward && town == o.town && chome == o.chome }
}

struct SitePerson {
    var sur: Int32
    var maiden: Int32
    var given: Int32
    var female: Bool
    var birth: Int32
    var died: Int32 = noDate
    var father: Int32 = -1
    var mother: Int32 = -1
    var spouse: Int32 = -1
    var former: Int32 = -1
    /// The family the person is last recorded in.
    var fam: Int32 = -1
    var addr: SiteAddr
    var addrSince: Int32
    /// 0 = kana filled, 1 = absent, 2 = "".
    var kanaMode: UInt8 = 0
    /// 0 = address filled, 1 = absent, 2 = "".
    var addrMode: UInt8 = 0
    /// The register the person is (last) recorded in, once registers are built.
    var register: Int32 = -1
}

struct SiteMember {
    var person: Int32
    var joined: Int32
    var left: Int32
}

/// A logical family register through its forms (昭和原戸籍 → 平成原戸籍 → 現在/除籍, 転籍).
struct SiteFamily {
    enum Origin { case root, marriage, divorce, separation }
    var office: Int
    var honseki: SiteAddr
    var head: Int32
    var opened: Int32
    var closed: Int32 = noDate
    var origin: Origin
    /// Families the founders came from (in the city).
    var from: [Int32] = []
    var members: [SiteMember] = []
    var home: SiteAddr
    /// A transfer (転籍) of the register: date, new office, new 本籍.
    var transfer: (day: Int32, office: Int, honseki: SiteAddr)? = nil
    /// The registers, oldest first.
    var regs: [Int32] = []
}

struct SiteRegister {
    var family: Int32
    var kind: RegisterKind
    var office: Int
    var honseki: SiteAddr
    var head: Int32
    var opened: Int32
    var closed: Int32
    var members: [Int32] = []
    var preds: [Int32] = []
    var succs: [Int32] = []
}

/// A family event inside the period, which a notification (届出) is about.
struct SiteLifeEvent {
    var kind: CaseKind
    var day: Int32
    /// Registers the notification touches (the main one first).
    var registers: [Int32]
    var persons: [Int32]
}

/// The name tables of a site.
struct SiteNames {
    var surnames: [(kanji: String, kana: String)] = []
    var surnameTable: WeightedTable
    /// Surnames with index < this are among the 100 commonest.
    let top100 = 100
    var given: [(kanji: String, kana: String)] = []
    /// Per era: (years, male indices, female indices).
    var eras: [(ClosedRange<Int>, [Int32], [Int32])] = []

    init(pool: SurnamePool) {
        var seen = Set<String>()
        for (k, v) in Facts.pairs(Facts.surnames) where seen.insert(k).inserted { surnames.append((k, v)) }
        let listed = surnames.count
        var tail: [(String, String)] = []
        for (pk, pv) in Facts.pairs(Facts.tailPrefixes) {
            for (sk, sv) in Facts.pairs(Facts.tailSuffixes) where seen.insert(pk + sk).inserted {
                tail.append((pk + sk, pv + sv))
            }
        }
        // A fixed interleave so that tail weights do not follow the prefix order.
        var r = CityRandom(seed: 0x5173, stream: 3)
        r.shuffle(&tail)
        surnames += tail.map { (kanji: $0.0, kana: $0.1) }
        var w = [Double](repeating: 0, count: surnames.count)
        func zipf(_ range: Range<Int>, mass: Double, offset: Double) {
            let raw = range.map { 1.0 / (Double($0 - range.lowerBound) + offset) }
            let sum = raw.reduce(0, +)
            for (k, i) in range.enumerated() { w[i] = raw[k] / sum * mass }
        }
        switch pool {
        case .commonOnly:
            zipf(0..<30, mass: 1, offset: 6)
        case .commonHeavy:
            zipf(0..<100, mass: 0.66, offset: 8)
            zipf(100..<listed, mass: 0.2, offset: 10)
            zipf(listed..<surnames.count, mass: 0.14, offset: 40)
        case .realistic:
            zipf(0..<100, mass: 0.334, offset: 10)
            zipf(100..<listed, mass: 0.12, offset: 20)
            zipf(listed..<surnames.count, mass: 0.546, offset: 80)
        }
        surnameTable = WeightedTable(w)
        var index: [String: Int32] = [:]
        func add(_ text: String) -> [Int32] {
            Facts.pairs(text).map { k, v in
                let key = k + ":" + v
                if let i = index[key] { return i }
                index[key] = Int32(given.count)
                given.append((k, v))
                return Int32(given.count - 1)
            }
        }
        for e in Facts.givenNames { eras.append((e.era, add(e.male), add(e.female))) }
    }

    func surname(_ rng: inout CityRandom) -> Int32 { Int32(surnameTable.pick(&rng)) }

    func givenName(year: Int, female: Bool, _ rng: inout CityRandom) -> Int32 {
        let era = eras.first { $0.0.contains(year) } ?? (year < 1900 ? eras[0] : eras[eras.count - 1])
        let list = female ? era.2 : era.1
        let x = rng.double()
        return list[min(list.count - 1, Int(Double(list.count) * x * x))]
    }
}

/// Towns of the wards (町名 and number of 丁目).
struct SiteTowns {
    var names: [[(name: String, chome: Int)]] = []

    init() {
        for w in Facts.wards {
            var seen = Set<String>()
            var list: [(String, Int)] = []
            for (n, c) in Facts.pairs(w.towns) where seen.insert(n).inserted { list.append((n, max(1, Int(c) ?? 3))) }
            names.append(list.map { (name: $0.0, chome: $0.1) })
        }
    }
}

/// The registry of the site: persons, families, registers and the period's family events.
final class SiteWorld {
    let profile: SiteProfile
    let names: SiteNames
    let towns = SiteTowns()
    /// Ward indices (into `Facts.wards`) of the site's offices.
    var offices: [Int] = []
    var officeWeight: [Double] = []
    var persons: [SitePerson] = []
    var families: [SiteFamily] = []
    var registers: [SiteRegister] = []
    var events: [SiteLifeEvent] = []
    /// First and last day of the period.
    let p0: Int32
    let p1: Int32
    /// 平成改製 (computerisation) and 昭和改製 of this site.
    var compDate: Int32 = 0
    var showaDate: Int32 = 0
    var rng: CityRandom
    let scale: Double

    init(profile: SiteProfile, seed: UInt64, scale: Double) {
        self.profile = profile
        self.scale = scale
        names = SiteNames(pool: profile.surnamePool)
        rng = CityRandom(seed: seed, stream: 101)
        p0 = day(profile.periodStart.year, profile.periodStart.month, 1)
        var y = profile.periodStart.year, m = profile.periodStart.month + profile.periodMonths
        while m > 12 { m -= 12; y += 1 }
        p1 = day(y, m, 1) - 1
    }

    // MARK: Offices

    func pickOffices() {
        var order = Array(0..<Facts.wards.count)
        rng.shuffle(&order)
        let n = rng.int(profile.officeCount)
        offices = Array(order.prefix(n)).sorted { Facts.wards[$0].code < Facts.wards[$1].code }
        // Office sizes: one large ward, the others smaller (ratio up to ~3:1).
        officeWeight = offices.indices.map { _ in 0.35 + rng.double() * 0.65 }
        officeWeight[rng.int(offices.count)] = 1.0
        compDate = day(2010, 1 + rng.int(12), 1 + rng.int(28))
        showaDate = day(1958 + rng.int(8), 1 + rng.int(12), 1 + rng.int(28))
    }

    // MARK: Building blocks

    func addr(ward: Int) -> SiteAddr {
        let list = towns.names[ward]
        let t = rng.int(list.count)
        return SiteAddr(ward: Int16(ward), town: Int16(t), chome: UInt8(1 + rng.int(list[t].chome)),
                        ban: UInt8(1 + rng.int(30)), go: UInt8(1 + rng.int(20)))
    }

    func outsideAddr() -> SiteAddr {
        SiteAddr(ward: -1, town: Int16(rng.int(Facts.outsideTowns.count)), chome: UInt8(1 + rng.int(5)),
                 ban: UInt8(1 + rng.int(30)), go: UInt8(1 + rng.int(20)))
    }

    /// A place to live for a family kept at office `o`: mostly the same ward, sometimes another ward or outside.
    func home(office o: Int) -> SiteAddr {
        let x = rng.double()
        if x < 0.78 { return addr(ward: offices[o]) }
        if x < 0.9 { return addr(ward: offices[rng.int(offices.count)]) }
        if x < 0.96 { return addr(ward: rng.int(Facts.wards.count)) }
        return outsideAddr()
    }

    func lifespan(birth: Int32, female: Bool) -> Int32 {
        let years = rng.chance(0.025) ? rng.double() * 65 : min(104, rng.normal(female ? 87 : 81, 8.5))
        let d = birth + Int32(max(0.1, years) * 365.25)
        return d <= p1 ? d : noDate
    }

    func newPerson(female: Bool, birth: Int32, sur: Int32, father: Int32 = -1, mother: Int32 = -1,
                   addr: SiteAddr) -> Int32 {
        var p = SitePerson(sur: sur, maiden: sur, given: names.givenName(year: yearOf(birth), female: female, &rng),
                           female: female, birth: birth, father: father, mother: mother, addr: addr, addrSince: birth)
        p.died = lifespan(birth: birth, female: female)
        let k = rng.double()
        p.kanaMode = k < profile.kanaFilled ? 0 : (k < profile.kanaFilled + profile.kanaEmpty ? 2 : 1)
        let a = rng.double()
        p.addrMode = a < profile.addressEmpty ? 2 : (a < profile.addressEmpty + profile.addressAbsent ? 1 : 0)
        persons.append(p)
        return Int32(persons.count - 1)
    }

    /// Someone who marries on day `d` is alive then.
    func survive(_ p: Int32, _ d: Int32) {
        if persons[Int(p)].died <= d + 30 { persons[Int(p)].died = noDate }
    }

    func newFamily(office: Int, head: Int32, opened: Int32, origin: SiteFamily.Origin, from: [Int32]) -> Int32 {
        let home = self.home(office: office)
        let honseki = rng.chance(0.55) && home.ward == Int16(offices[office]) ? home : addr(ward: offices[office])
        families.append(SiteFamily(office: office, honseki: honseki, head: head, opened: opened, origin: origin,
                                   from: from, home: home))
        return Int32(families.count - 1)
    }

    func join(_ f: Int32, _ p: Int32, _ d: Int32) {
        families[Int(f)].members.append(SiteMember(person: p, joined: d, left: noDate))
        persons[Int(p)].fam = f
        let fam = families[Int(f)]
        persons[Int(p)].addr = fam.home
        persons[Int(p)].addrSince = max(d, persons[Int(p)].birth)
    }

    func leave(_ f: Int32, _ p: Int32, _ d: Int32) {
        if let k = families[Int(f)].members.lastIndex(where: { $0.person == p && $0.left == noDate }) {
            families[Int(f)].members[k].left = d
        }
    }

    func randomDay(_ from: Int32, _ to: Int32) -> Int32 { to <= from ? from : from + Int32(rng.int(Int(to - from) + 1)) }

    // MARK: Population

    func build() {
        pickOffices()
        let target = Double(profile.personsPerOffice) * scale
        for (o, w) in officeWeight.enumerated() {
            let goal = Int(target * w / officeWeight.reduce(0, +) * Double(offices.count)) + 8
            let start = persons.count
            while persons.count - start < goal { lineage(office: o) }
        }
        transfers()
        buildRegisters()
        lifeEvents()
    }

    /// A founding couple and their descendants.
    func lineage(office o: Int) {
        let by = 1925 + Int(Double(50) * rng.double().squareRoot())
        let hb = day(by, 1 + rng.int(12), 1 + rng.int(28))
        let wb = hb + Int32(rng.int(-4 * 365...2 * 365))
        let married = hb + Int32(rng.int(23 * 365...34 * 365))
        guard married < p1 else { return }
        let sur = names.surname(&rng)
        let h = newPerson(female: false, birth: hb, sur: sur, addr: outsideAddr())
        let w = newPerson(female: true, birth: wb, sur: names.surname(&rng), addr: outsideAddr())
        survive(h, married)
        survive(w, married)
        couple(office: o, husband: h, wife: w, married: married, from: [], depth: 0)
    }

    /// A married couple's register, children, and what becomes of them.
    func couple(office o: Int, husband h: Int32, wife w: Int32, married: Int32, from: [Int32], depth: Int) {
        let headIsWife = rng.chance(0.04)
        let head = headIsWife ? w : h
        let f = newFamily(office: o, head: head, opened: married, origin: depth == 0 ? .root : .marriage, from: from)
        persons[Int(w)].sur = persons[Int(head)].sur
        persons[Int(h)].sur = persons[Int(head)].sur
        join(f, h, married)
        join(f, w, married)
        persons[Int(h)].spouse = w
        persons[Int(w)].spouse = h
        // Divorce.
        let end = min(persons[Int(h)].died, persons[Int(w)].died, p1)
        var divorced = noDate
        if rng.chance(0.09) {
            let d = married + Int32(rng.int(365...22 * 365))
            if d < end { divorced = d }
        }
        // Children.
        let kids = [0, 1, 1, 2, 2, 2, 2, 3, 3, 4][rng.int(10)]
        var born = married + Int32(rng.int(200...3 * 365))
        for _ in 0..<kids {
            guard born < min(p1, persons[Int(w)].died), born < divorced else { break }
            let girl = rng.chance(0.49)
            let c = newPerson(female: girl, birth: born, sur: persons[Int(head)].sur, father: h, mother: w,
                              addr: families[Int(f)].home)
            join(f, c, born)
            child(c, of: f, depth: depth)
            born += Int32(rng.int(400...5 * 365))
        }
        if divorced != noDate {
            // The one who took the other's name leaves to a new register under the maiden name.
            let leaver = headIsWife ? h : w
            leave(f, leaver, divorced)
            persons[Int(h)].spouse = -1
            persons[Int(w)].spouse = -1
            persons[Int(h)].former = w
            persons[Int(w)].former = h
            persons[Int(leaver)].sur = persons[Int(leaver)].maiden
            let o2 = rng.chance(0.7) ? o : rng.int(offices.count)
            let g = newFamily(office: o2, head: leaver, opened: divorced, origin: .divorce, from: [f])
            join(g, leaver, divorced)
            // The one who stayed may marry again.
            let stayer = headIsWife ? w : h
            let again = divorced + Int32(rng.int(300...8 * 365))
            if rng.chance(0.35), again < persons[Int(stayer)].died, again < p1 {
                let s2 = newPerson(female: !persons[Int(stayer)].female,
                                   birth: persons[Int(stayer)].birth + Int32(rng.int(-6 * 365...3 * 365)),
                                   sur: names.surname(&rng), addr: outsideAddr())
                survive(s2, again)
                persons[Int(s2)].sur = persons[Int(stayer)].sur
                join(f, s2, again)
                persons[Int(stayer)].spouse = s2
                persons[Int(s2)].spouse = stayer
            }
        }
    }

    /// A child grows up: stays, marries out (into a new register here, or away), or separates (分籍).
    func child(_ c: Int32, of f: Int32, depth: Int) {
        let p = persons[Int(c)]
        let ageAtEnd = Int(min(p.died, p1) - p.birth) / 365
        guard ageAtEnd >= 21 else { return }
        let marryAge = rng.int(23...38)
        if marryAge <= ageAtEnd, rng.chance(0.78) {
            let d = p.birth + Int32(marryAge * 365 + rng.int(365))
            guard d < p1, d < p.died else { return }
            leave(f, c, d)
            if depth >= 2 || rng.chance(0.12) {
                // Married away from the site: only the old register records them.
                persons[Int(c)].addr = rng.chance(0.5) ? outsideAddr() : addr(ward: rng.int(Facts.wards.count))
                persons[Int(c)].addrSince = d
                return
            }
            let spouse = newPerson(female: !p.female, birth: p.birth + Int32(rng.int(-5 * 365...5 * 365)),
                                   sur: names.surname(&rng), addr: outsideAddr())
            survive(spouse, d)
            let o = rng.chance(0.72) ? families[Int(f)].office : rng.int(offices.count)
            let (h, w) = p.female ? (spouse, c) : (c, spouse)
            couple(office: o, husband: h, wife: w, married: d, from: [f], depth: depth + 1)
        } else if ageAtEnd >= 30, rng.chance(0.04) {
            let d = p.birth + Int32(rng.int(25 * 365...max(25 * 365, ageAtEnd * 365)))
            guard d < p1, d < p.died else { return }
            leave(f, c, d)
            let g = newFamily(office: families[Int(f)].office, head: c, opened: d, origin: .separation, from: [f])
            join(g, c, d)
        }
    }

    /// 転籍: some registers move their 本籍 (before or during the period), sometimes to another office of the site.
    func transfers() {
        for f in families.indices {
            let fam = families[f]
            guard rng.chance(0.07) else { continue }
            let last = fam.members.map { max($0.joined, min($0.left, persons[Int($0.person)].died)) }.max() ?? fam.opened
            let lo = max(fam.opened + 400, p0 - 6 * 365)
            let hi = min(p1, last) - 1
            guard hi > lo else { continue }
            let d = rng.chance(0.4) ? randomDay(max(lo, p0), hi) : randomDay(lo, hi)
            let o = rng.chance(0.6) ? fam.office : rng.int(offices.count)
            families[f].transfer = (d, o, addr(ward: offices[o]))
        }
    }

    // MARK: Registers

    func buildRegisters() {
        for f in families.indices {
            var fam = families[f]
            // The family closes when its last member leaves or dies.
            let gone = fam.members.map { min($0.left, persons[Int($0.person)].died) }
            let last = gone.max() ?? fam.opened
            if last != noDate, last <= p1 { fam.closed = max(last, fam.opened + 1) }
            var cuts: [(Int32, RegisterKind)] = []
            if showaDate > fam.opened, showaDate < fam.closed { cuts.append((showaDate, .showa_original)) }
            if compDate > fam.opened, compDate < fam.closed { cuts.append((compDate, .heisei_original)) }
            if let t = fam.transfer, t.day > fam.opened, t.day < fam.closed { cuts.append((t.day, .removed)) }
            cuts.sort { $0.0 < $1.0 }
            var start = fam.opened
            var office = fam.office
            var honseki = fam.honseki
            var prev: Int32 = -1
            var segments: [(Int32, RegisterKind)] = cuts
            segments.append((fam.closed, fam.closed == noDate ? RegisterKind.current : RegisterKind.removed))
            for (k, (end, kind0)) in segments.enumerated() {
                var kind = kind0
                // A paper register closed before computerisation is a removed register, not an original.
                if kind == .heisei_original, k > 0, segments[k - 1].1 == .removed, start >= compDate { kind = .removed }
                let members = fam.members.filter { $0.joined < end && min($0.left, persons[Int($0.person)].died) > start
                    || ($0.joined == start && start == fam.opened) }.map(\.person)
                guard !members.isEmpty else { start = end; continue }
                let head = members.contains(fam.head) ? fam.head : members[0]
                var r = SiteRegister(family: Int32(f), kind: kind, office: office, honseki: honseki, head: head,
                                     opened: start, closed: end, members: siteUniq(members))
                let id = Int32(registers.count)
                if prev >= 0 {
                    r.preds = [prev]
                    registers[Int(prev)].succs.append(id)
                }
                registers.append(r)
                fam.regs.append(id)
                prev = id
                if kind0 == .removed, let t = fam.transfer, end == t.day {
                    office = t.office
                    honseki = t.honseki
                }
                start = end
            }
            families[f] = fam
        }
        // Links between families (a marriage's register comes from the parents' registers).
        for f in families.indices {
            guard let first = families[f].regs.first else { continue }
            for g in families[f].from {
                guard let r = register(of: g, on: families[f].opened) else { continue }
                if !registers[Int(first)].preds.contains(r) {
                    registers[Int(first)].preds.append(r)
                    registers[Int(r)].succs.append(first)
                }
            }
        }
        // Each person's register: the last register of their family that records them.
        for p in persons.indices {
            let f = persons[p].fam
            guard f >= 0 else { continue }
            for r in families[Int(f)].regs.reversed() where registers[Int(r)].members.contains(Int32(p)) {
                persons[p].register = r
                break
            }
        }
        // Persons never recorded (a spouse from elsewhere who died before the first register?): drop their family
        // link by recording them in their family's first register.
        for p in persons.indices where persons[p].register < 0 {
            let f = persons[p].fam
            if f >= 0, let r = families[Int(f)].regs.first {
                persons[p].register = r
                registers[Int(r)].members.append(Int32(p))
            }
        }
    }

    /// The register of a family in force on a day (or the nearest).
    func register(of f: Int32, on d: Int32) -> Int32? {
        let regs = families[Int(f)].regs
        for r in regs where registers[Int(r)].opened <= d && d < registers[Int(r)].closed { return r }
        return regs.last
    }

    /// The current or last register of a person's family.
    func mainRegister(_ p: Int32) -> Int32 { persons[Int(p)].register }

    // MARK: The period's notifications

    func lifeEvents() {
        let inPeriod = { (d: Int32) in d >= self.p0 && d <= self.p1 }
        for (i, p) in persons.enumerated() where p.register >= 0 {
            let pid = Int32(i)
            if inPeriod(p.birth), p.fam >= 0, let r = register(of: p.fam, on: p.birth) {
                events.append(SiteLifeEvent(kind: .notification_birth, day: p.birth, registers: [r], persons: [pid]))
            }
            if inPeriod(p.died) {
                events.append(SiteLifeEvent(kind: .notification_death, day: p.died, registers: [p.register], persons: [pid]))
            }
        }
        for (f, fam) in families.enumerated() {
            guard let first = fam.regs.first else { continue }
            if inPeriod(fam.opened) {
                let kind: CaseKind = switch fam.origin {
                case .root, .marriage: .notification_marriage
                case .divorce: .notification_divorce
                case .separation: .notification_separation
                }
                let regs = [first] + registers[Int(first)].preds
                let ps = fam.members.filter { $0.joined == fam.opened }.map(\.person)
                events.append(SiteLifeEvent(kind: kind, day: fam.opened, registers: siteUniq(regs), persons: ps))
            }
            if let t = fam.transfer, inPeriod(t.day), let old = register(of: Int32(f), on: t.day - 1),
               let new = register(of: Int32(f), on: t.day), old != new {
                events.append(SiteLifeEvent(kind: .notification_transfer, day: t.day, registers: [new, old],
                                            persons: [fam.head]))
            }
        }
        events.sort { ($0.day, $0.registers[0]) < ($1.day, $1.registers[0]) }
    }

    // MARK: Text

    func surname(_ p: Int32) -> String { names.surnames[Int(persons[Int(p)].sur)].kanji }
    func fullName(_ p: Int32) -> String {
        names.surnames[Int(persons[Int(p)].sur)].kanji + " " + names.given[Int(persons[Int(p)].given)].kanji
    }
    func fullKana(_ p: Int32) -> String {
        names.surnames[Int(persons[Int(p)].sur)].kana + " " + names.given[Int(persons[Int(p)].given)].kana
    }
    func surnameKana(_ p: Int32) -> String { names.surnames[Int(persons[Int(p)].sur)].kana }

    func addressText(_ a: SiteAddr) -> String {
        if a.ward < 0 {
            return Facts.outsideTowns[Int(a.town)] + String(a.chome) + "丁目" + String(a.ban) + "番" + String(a.go) + "号"
        }
        let w = Facts.wards[Int(a.ward)]
        return Facts.cityName + w.name + towns.names[Int(a.ward)][Int(a.town)].name + Facts.kanji(Int(a.chome)) + "丁目"
            + String(a.ban) + "番" + String(a.go) + "号"
    }

    func honsekiText(_ a: SiteAddr) -> String {
        let w = Facts.wards[Int(a.ward)]
        return Facts.cityName + w.name + towns.names[Int(a.ward)][Int(a.town)].name + Facts.kanji(Int(a.chome)) + "丁目"
            + String(a.ban) + "番"
    }

    func alive(_ p: Int32, on d: Int32) -> Bool { persons[Int(p)].birth <= d && persons[Int(p)].died > d }
    func age(_ p: Int32, on d: Int32) -> Int { Int(d - persons[Int(p)].birth) / 365 }
}

func siteUniq(_ a: [Int32]) -> [Int32] {
    var seen = Set<Int32>()
    return a.filter { seen.insert($0).inserted }
}
