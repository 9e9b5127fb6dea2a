import AkashiDomain

extension Engine {
    /// Business days of the period on which a staff member sits at a register counter (or, for off-duty, elsewhere).
    func randomWorkDay(_ s: Int, koseki: Bool, lo: Int32? = nil, hi: Int32? = nil) -> (day: Int32, ward: Int)? {
        let a = max(lo ?? from.day, from.day + 20), b = min(hi ?? to.day, to.day)
        guard a <= b else { return nil }
        for _ in 0..<200 {
            let d = a + Int32(rng.int(Int(b - a) + 1))
            guard cal.isBusinessDay(d), let st = staffing.staff[s].stint(on: d), st.koseki == koseki else { continue }
            if koseki && st.ward >= cityWard { continue }
            return (d, st.ward)
        }
        return nil
    }

    func plan(_ e: Ev) {
        var e = e
        e.seq = nextSeq()
        let d = ts(e.at).jstDate.day
        planned[d, default: []].append(e)
    }

    /// A view (or other operation) with no case, labelled.
    func misuseEv(_ s: Int, _ w: Int, _ ms: Int64, _ action: AccessAction, _ rec: RecordKind, _ reg: Int32, _ p: Int32,
                  _ kind: MisuseKind) -> Ev {
        var e = Ev(at: ms, staff: s, ward: w, action: action, record: rec, register: reg, person: p)
        e.label = .misuse(kind)
        return e
    }

    func misuseSearch(_ s: Int, _ w: Int, _ ms: Int64, _ p: Int32, _ kind: MisuseKind, on d: Int32) -> Ev {
        var e = Ev(at: ms, staff: s, ward: w, action: .search, record: .current, person: p)
        let wb = rng.chance(0.5)
        e.query = query(for: p, withBirth: wb)
        e.results = searchResults(for: p, on: d, withBirth: wb)
        e.label = .misuse(kind)
        return e
    }

    /// Plans a browsing session on a target: optional search, views of the register (and its 附票), print.
    /// Returns the number of events planned.
    @discardableResult
    func session(_ s: Int, _ w: Int, day d: Int32, minute: Int, target p: Int32, kind: MisuseKind, search: Double,
                 fuhyo: Double, print: Bool = false, caseMode: UInt8 = 0, group: Int = -1) -> Int {
        let f = pop.familyOn(p, d)
        guard f >= 0, pop.families[Int(f)].opened <= d, !pop.families[Int(f)].excluded else { return 0 }
        let r = mainRecord(f)
        var ms = millis(d, minute: minute, second: rng.int(60))
        var n = 0
        var list: [Ev] = []
        if rng.chance(search) {
            list.append(misuseSearch(s, w, ms, p, kind, on: d))
            ms += Int64(20_000 + rng.int(60_000))
        }
        if kind != .dv_support || rng.chance(0.5) {
            list.append(misuseEv(s, w, ms, .view, recordKind(r, on: d), r, p, kind))
            ms += Int64(20_000 + rng.int(90_000))
        }
        if rng.chance(fuhyo) || list.allSatisfy({ $0.action == .search }) {
            list.append(misuseEv(s, w, ms, .view, .fuhyo, r, p, kind))
            ms += Int64(20_000 + rng.int(90_000))
        }
        if print {
            list.append(misuseEv(s, w, ms, .print, recordKind(r, on: d), r, p, kind))
        }
        for var e in list {
            if e.action != .search {
                e.caseMode = caseMode
                e.group = group
            }
            plan(e)
            n += 1
        }
        return n
    }

    func planMisuse() {
        let staff = staffing.staff
        let perKind = max(50, Int((800 * scale).rounded()))
        let excludedStaff = Set(staffing.scenarioClerks.values)
        // Staff who worked a register counter during the period.
        let koseki = staff.indices.filter { s in
            !excludedStaff.contains(s) && staff[s].stints.contains { $0.koseki && $0.to >= from.day && $0.from <= to.day }
        }
        guard !koseki.isEmpty else { return }
        let nMisusers = max(10, Int((Double(koseki.count) * 0.06).rounded()))
        var pool: [Int] = []
        func choose(_ cands: [Int], _ n: Int) -> [Int] {
            var out: [Int] = []
            var c = cands
            rng.shuffle(&c)
            // Prefer those already misusing (some misusers do several kinds).
            for s in c where pool.contains(s) && out.count < n && rng.chance(0.4) { out.append(s) }
            for s in c where !out.contains(s) && out.count < n {
                if pool.count >= nMisusers && !pool.contains(s) && out.count > 0 { continue }
                out.append(s)
            }
            for s in out where !pool.contains(s) { pool.append(s) }
            return out
        }
        func split(_ total: Int, among n: Int) -> [Int] {
            (0..<n).map { k in total / n + (k < total % n ? 1 : 0) }
        }
        let protectedVIP = staffing.protections.filter { $0.kind == .vip && !pop.persons[Int($0.person)].excluded }
        let protectedDV = staffing.protections.filter { $0.kind == .dv_support }
        let linked = koseki.filter { staff[$0].person >= 0 }
        let contractors = koseki.filter { staff[$0].role == .contractor }
        func offDutyCandidates() -> [Int] {
            staffing.staff.indices.filter { s in
                !excludedStaff.contains(s) && staffing.staff[s].stints.enumerated().contains { k, st in
                    !st.koseki && st.ward < cityWard && st.to > from.day + 40 && st.from < to.day - 10
                        && staffing.staff[s].stints[..<k].contains { $0.koseki }
                }
            }
        }
        var offDuty = offDutyCandidates()
        if offDuty.isEmpty, let s = koseki.first(where: { staff[$0].role == .clerk && staff[$0].stints.last?.to == noDate }) {
            // A short period with no rotation in it: one clerk moves to another section mid-period (HR says so).
            let mid = from.day + (to.day - from.day) / 2
            let last = staffing.staff[s].stints.count - 1
            staffing.staff[s].stints[last].to = mid - 1
            staffing.staff[s].stints.append(.init(ward: staffing.staff[s].stints[last].ward, duty: "tax", from: mid, to: noDate))
            offDuty = offDutyCandidates()
        }
        var group = 0

        func spread(_ s: Int, koseki k: Bool = true, _ body: (Int32, Int) -> Int) -> Int {
            guard let (d, w) = randomWorkDay(s, koseki: k) else { return 0 }
            return body(d, w)
        }

        for kind in MisuseKind.allCases {
            switch kind {
            case .vip, .dv_support, .search_protected:
                let list = kind == .dv_support ? protectedDV : kind == .vip ? protectedVIP : protectedVIP + protectedDV
                guard !list.isEmpty else { continue }
                for (s, quota) in zip(choose(koseki, 2), split(perKind, among: 2)) {
                    var n = 0, guardN = 0
                    while n < quota && guardN < quota * 20 {
                        guardN += 1
                        let pr = list[rng.int(list.count)]
                        guard let (d, w) = randomWorkDay(s, koseki: true, lo: pr.from, hi: pr.to) else { continue }
                        if kind == .search_protected {
                            guard pop.persons[Int(pr.person)].alive(on: d) else { continue }
                            plan(misuseSearch(s, w, millis(d, minute: officeMinute()), pr.person, kind, on: d))
                            n += 1
                        } else {
                            n += session(s, w, day: d, minute: officeMinute(), target: pr.person, kind: kind,
                                         search: 0.4, fuhyo: kind == .dv_support ? 0.95 : 0.4)
                        }
                    }
                }
            case .own_register, .relative, .former_spouse, .coworker, .neighbour:
                var cands = linked
                if kind == .former_spouse {
                    cands = linked.filter { pop.persons[Int(staff[$0].person)].formerSpouse >= 0 }
                }
                if kind == .relative {
                    cands = linked.filter { !relatives(of: staff[$0].person).isEmpty }
                }
                guard !cands.isEmpty else { continue }
                let n = min(cands.count, kind == .own_register ? 3 : 2)
                for (s, quota) in zip(choose(cands, n), split(perKind, among: n)) {
                    let me = staff[s].person
                    var targets: [Int32] = []
                    switch kind {
                    case .own_register: targets = [me]
                    case .relative: targets = relatives(of: me)
                    case .former_spouse: targets = [pop.persons[Int(me)].formerSpouse]
                    case .coworker:
                        let mine = staff[s].stints.first { $0.koseki }?.ward
                        let others = staff.indices.filter { $0 != s && staff[$0].person >= 0 }
                        let same = others.filter { o in staff[o].stints.contains { $0.ward == mine } }
                        targets = (same.isEmpty ? others : same).prefix(6).map { staff[$0].person }
                    default:
                        targets = neighbours(of: s)
                    }
                    targets = targets.filter { !pop.persons[Int($0)].excluded }
                    guard !targets.isEmpty else { continue }
                    var n = 0, guardN = 0
                    while n < quota && guardN < quota * 20 {
                        guardN += 1
                        let p = targets[rng.int(targets.count)]
                        n += spread(s) { d, w in
                            session(s, w, day: d, minute: officeMinute(), target: p, kind: kind, search: 0.2,
                                    fuhyo: kind == .former_spouse ? 0.7 : 0.25)
                        }
                    }
                }
            case .off_duty, .contractor, .night_holiday, .repeated, .print_no_request, .case_mismatch,
                 .self_made_case, .search_no_case:
                let cands = kind == .off_duty ? offDuty : kind == .contractor ? contractors : koseki
                guard !cands.isEmpty else { continue }
                let n = min(cands.count, 2)
                for (s, quota) in zip(choose(cands, n), split(perKind, among: n)) {
                    var n = 0, guardN = 0
                    let fixed = kind == .repeated
                        ? randomPresent(on: from.day, tries: 2000, where: { $0.died == noDate && !$0.movedOut }) : nil
                    var window: (Int32, Int32)? = nil
                    if kind == .repeated {
                        let lo = from.day + Int32(rng.int(max(1, Int(to.day - from.day) / 2)))
                        window = (lo, min(to.day, lo + Int32(120 + rng.int(300))))
                    }
                    while n < quota && guardN < quota * 20 {
                        guardN += 1
                        guard var (d, w) = randomWorkDay(s, koseki: kind != .off_duty, lo: window?.0, hi: window?.1)
                            ?? randomWorkDay(s, koseki: kind != .off_duty) else { continue }
                        var minute = officeMinute()
                        if kind == .night_holiday {
                            if rng.chance(0.5) {
                                minute = 20 * 60 + rng.int(200)
                            } else {
                                // A weekend or holiday nearby.
                                var h = d + 1
                                while cal.isBusinessDay(h) || cal.isSundayOpening(h) { h += 1 }
                                guard h <= to.day else { continue }
                                d = h
                                minute = 10 * 60 + rng.int(420)
                            }
                        }
                        if kind == .off_duty {
                            w = staffing.staff[s].stint(on: d)?.ward ?? w
                        }
                        guard let p = fixed ?? randomPresent(on: d) else { continue }
                        guard pop.persons[Int(p)].alive(on: d) else { continue }
                        switch kind {
                        case .search_no_case:
                            var ms = millis(d, minute: minute)
                            for _ in 0..<(1 + rng.int(4)) {
                                guard let q = randomPresent(on: d) else { continue }
                                plan(misuseSearch(s, w, ms, q, kind, on: d))
                                ms += Int64(30_000 + rng.int(120_000))
                                n += 1
                            }
                        case .case_mismatch:
                            n += session(s, w, day: d, minute: minute, target: p, kind: kind, search: 0, fuhyo: 0.2,
                                         caseMode: 1)
                        case .self_made_case:
                            group += 1
                            n += session(s, w, day: d, minute: minute, target: p, kind: kind, search: 0.3, fuhyo: 0.5,
                                         caseMode: 2, group: group)
                        case .print_no_request:
                            n += session(s, w, day: d, minute: minute, target: p, kind: kind, search: 0.3, fuhyo: 0,
                                         print: true)
                        default:
                            n += session(s, w, day: d, minute: minute, target: p, kind: kind, search: 0.3, fuhyo: 0.3)
                        }
                    }
                }
            case .bulk_search:
                // One clerk searches names far beyond peers (osaka.json: 1,750 at 大正区), over some months.
                let taisho = Facts.wards.firstIndex { $0.code == "27108" }!
                let local = koseki.filter { s in staff[s].stints.contains { $0.koseki && $0.ward == taisho } && staff[s].role == .clerk }
                guard let s = choose(local.isEmpty ? koseki : local, 1).first else { continue }
                let years = Double(to.day - from.day) / 365.25
                let peer = (Facts.certificatesPerYear + 90_000) * scale * years * 1.1 / Double(max(1, koseki.count))
                let total = max(Facts.worstSearches, Int(3 * peer))
                var n = 0, guardN = 0
                let lo = from.day + Int32(rng.int(max(1, Int(to.day - from.day) / 3)))
                let hi = min(to.day, lo + 300)
                while n < total && guardN < total * 10 {
                    guardN += 1
                    guard let (d, w) = randomWorkDay(s, koseki: true, lo: lo, hi: hi) ?? randomWorkDay(s, koseki: true)
                    else { continue }
                    var ms = millis(d, minute: officeMinute())
                    for _ in 0..<(5 + rng.int(20)) where n < total {
                        guard let q = randomPresent(on: d) else { continue }
                        plan(misuseSearch(s, w, ms, q, kind, on: d))
                        ms += Int64(15_000 + rng.int(60_000))
                        n += 1
                    }
                }
            }
        }
    }

    /// Relatives in other registers: parents, children, siblings, parents-in-law.
    func relatives(of p: Int32) -> [Int32] {
        let q = pop.persons[Int(p)]
        var out: [Int32] = []
        for r in [q.father, q.mother] where r >= 0 { out.append(r) }
        if q.spouse >= 0 {
            let s = pop.persons[Int(q.spouse)]
            for r in [s.father, s.mother] where r >= 0 { out.append(r) }
        }
        if q.father >= 0 {
            // Siblings: others with the same father (a linear scan is too slow; look near the person's ID).
            let lo = max(0, Int(p) - 12), hi = min(pop.persons.count, Int(p) + 12)
            for k in lo..<hi where k != Int(p) && pop.persons[k].father == q.father { out.append(Int32(k)) }
        }
        let lo = max(0, Int(p) + 1), hi = min(pop.persons.count, Int(p) + 40)
        for k in lo..<hi where pop.persons[k].father == p || pop.persons[k].mother == p { out.append(Int32(k)) }
        return out.filter { r in
            let rp = pop.persons[Int(r)]
            return !rp.excluded && rp.family >= 0 && rp.family != q.family && !(rp.movedOut && rp.family < 0)
        }
    }

    /// Persons of the same 町丁目 as a staff member's home; one is moved there if none lives there (tiny scales).
    func neighbours(of s: Int) -> [Int32] {
        guard let home = staffing.staff[s].home, let key = home.blockKey else { return [] }
        var out: [Int32] = []
        for (i, q) in pop.persons.enumerated() where q.addr.blockKey == key && Int32(i) != staffing.staff[s].person
            && !q.excluded && q.died == noDate && !q.movedOut {
            out.append(Int32(i))
            if out.count >= 8 { break }
        }
        if out.isEmpty, let p = randomPresent(on: to.day, tries: 500, where: { $0.died == noDate && !$0.movedOut }) {
            var a = home
            a.ban = UInt8(1 + (Int(home.ban) + 3) % 30)
            pop.persons[Int(p)].addr = a
            out.append(p)
        }
        return out
    }

    // MARK: The osaka-2014 scenario

    func planScenario() {
        guard let m = pop.mayor else { return }
        let x = mainRecord(m.family)
        let h = pop.families[Int(m.family)].recH
        if let s = staffing.scenarioClerks["27108"] {
            let w = Facts.wards.firstIndex { $0.code == "27108" }!
            let visits: [(Int32, [(Int, RecordKind)])] = [
                (day(2011, 3, 11), [(10 * 60 + 41, .current), (10 * 60 + 42, .fuhyo), (14 * 60 + 3, .current)]),
                (day(2011, 10, 5), [(11 * 60 + 15, .current), (11 * 60 + 16, .fuhyo), (16 * 60 + 20, .current)]),
                (day(2011, 11, 15), [(13 * 60 + 30, .current), (13 * 60 + 31, .fuhyo)]),
            ]
            for (d, views) in visits {
                for (minute, rec) in views {
                    var e = misuseEv(s, w, millis(d, minute: minute, second: 12), .view, rec, x, m.person, .vip)
                    e.scenario = true
                    plan(e)
                }
            }
        }
        if let s = staffing.scenarioClerks["27123"] {
            let w = Facts.wards.firstIndex { $0.code == "27123" }!
            let d = day(2013, 11, 14)
            var a = misuseEv(s, w, millis(d, minute: 10 * 60 + 5, second: 40), .view, .current, x, m.person, .vip)
            a.scenario = true
            plan(a)
            var b = misuseEv(s, w, millis(d, minute: 10 * 60 + 7, second: 5), .view, .heisei_original, h, m.person, .vip)
            b.scenario = true
            plan(b)
        }
    }

    /// A few honest staff will misremember a business access as personal in the survey.
    func chooseMisrememberers() {
        let excluded = Set(staffing.scenarioClerks.values)
        var cands = staffing.staff.indices.filter { s in
            !excluded.contains(s) && staffing.staff[s].stints.contains { $0.koseki }
        }
        rng.shuffle(&cands)
        for s in cands.prefix(max(3, cands.count / 50)) { misrememberCandidates.insert(s) }
    }
}
