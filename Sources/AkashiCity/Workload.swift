import AkashiDomain
import AkashiInterchange

extension Engine {
    struct Team {
        var all: [Int] = []        // everyone at the counter (incl. contractors, trainees)
        var examiners: [Int] = []  // clerks and supervisors
        var supervisors: [Int] = []
    }

    func teams(on d: Int32) -> [Team] {
        var t = Array(repeating: Team(), count: cityWard)
        for (s, st) in staffing.staff.enumerated() {
            guard let w = st.kosekiWard(on: d), w < cityWard else { continue }
            // About 6 % of staff are away on any day (leave, training), not the scenario's clerks on their days.
            let h = (UInt64(s) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt32(bitPattern: d)) &* 0xBF58_476D_1CE4_E5B9)
            if (h >> 33) % 100 < 6 { continue }
            t[w].all.append(s)
            if st.role == .clerk || st.role == .supervisor { t[w].examiners.append(s) }
            if st.role == .supervisor { t[w].supervisors.append(s) }
        }
        return t
    }

    func runWorkload() throws {
        accessWriter = try LineWriter(path: path("access.jsonl"))
        caseWriter = try LineWriter(path: path("cases.jsonl"))
        let years = Double(to.day - from.day + 1) / 365.25
        _ = years
        let certPerDay = Facts.certificatesPerYear * scale / 259
        var d = from.day
        var lastYear = 0
        while d <= to.day {
            let ld = LocalDate(day: d)
            if ld.parts.year != lastYear {
                lastYear = ld.parts.year
                progress("workload \(lastYear)")
            }
            var evs: [Ev] = future.removeValue(forKey: d) ?? []
            let team = teams(on: d)
            let business = cal.isBusinessDay(d)
            let sunday = cal.isSundayOpening(d)
            if business || sunday {
                let p = ld.parts
                var f = 1.0
                switch p.month {
                case 3: f = 1.25
                case 4: f = 1.2
                case 8, 12: f = 0.9
                default: break
                }
                if ld.weekday == 1 { f *= 1.15 }
                if sunday { f = 0.25 }
                for _ in 0..<rng.poisson(certPerDay * f) { try certificate(on: d, team: team, into: &evs) }
                if business {
                    for k in notificationsByDay[d] ?? [] { try notification(pop.events[k], on: d, team: team, into: &evs) }
                    for _ in 0..<rng.poisson(900 * scale / 246) { try correction(on: d, team: team, into: &evs) }
                    for _ in 0..<rng.poisson(Facts.certificatesPerYear * 0.02 * scale / 246) {
                        try inquiry(on: d, team: team, into: &evs)
                    }
                }
                for _ in 0..<rng.poisson(Facts.certificatesPerYear * 0.012 * scale / 246 * (sunday ? 0.25 : 1)) {
                    consultation(on: d, team: team, into: &evs)
                }
            }
            if let m = mayorRequestDays[d] { try mayorRequest(m, on: d, team: team, into: &evs) }
            if let p = planned.removeValue(forKey: d) { evs.append(contentsOf: p) }
            try flush(day: d, evs, team: team)
            d += 1
        }
        try accessWriter.close()
        try caseWriter.close()
        summary.files += [path("access.jsonl"), path("cases.jsonl")]
    }

    var mayorRequestDays: [Int32: Int] {
        guard config.scenario == .osaka2014 else { return [:] }
        return [day(2010, 6, 15): 0, day(2012, 3, 22): 1, day(2013, 9, 10): 2]
    }

    // MARK: Certificates (交付請求)

    func certificate(on d: Int32, team: [Team], into evs: inout [Ev]) throws {
        let x = rng.double()
        var requester: Requester = x < 0.42 ? .own : x < 0.62 ? .family : x < 0.77 ? .professional
            : x < 0.84 ? .official : x < 0.88 ? .third_party : .wide_area
        var target: Int32
        if requester == .professional && rng.chance(0.5) {
            // 相続: a deceased person's registers.
            var found: Int32? = nil
            for _ in 0..<300 {
                let p = Int32(rng.int(pop.persons.count))
                let q = pop.persons[Int(p)]
                if !q.excluded && q.died < d && q.family >= 0 && !pop.families[Int(q.family)].excluded { found = p; break }
            }
            guard let f = found else { return }
            target = f
        } else {
            guard let p = randomPresent(on: d) else { return }
            target = p
        }
        if requester == .family {
            // A relative's register: parents' or a child's.
            let q = pop.persons[Int(target)]
            let rel = [q.father, q.mother, q.spouse].filter { $0 >= 0 && !pop.persons[Int($0)].excluded && pop.persons[Int($0)].birth < d }
            if !rel.isEmpty, rng.chance(0.5) { target = rel[rng.int(rel.count)] }
        }
        let fam = pop.familyOn(target, d)
        guard fam >= 0, pop.families[Int(fam)].opened <= d else { return }
        let keep = Int(pop.families[Int(fam)].ward)
        var office = keep
        if requester == .wide_area || (requester != .official && rng.chance(0.06)) {
            let home = Int(pop.persons[Int(target)].addr.ward)
            office = home >= 0 && home != keep ? home : pop.randomWard()
            if office != keep { requester = .wide_area } else if requester == .wide_area { requester = .own }
        }
        // Certificate kind and the record it needs.
        let k = rng.double()
        var kind: CaseKind
        switch requester {
        case .own, .wide_area:
            kind = k < 0.5 ? .certificate_full : k < 0.75 ? .certificate_individual : k < 0.9 ? .certificate_fuhyo
                : k < 0.95 ? .certificate_original : k < 0.98 ? .certificate_acceptance : .certificate_other
        case .family:
            kind = k < 0.35 ? .certificate_full : k < 0.55 ? .certificate_removed : k < 0.75 ? .certificate_original
                : k < 0.85 ? .certificate_individual : .certificate_fuhyo
        case .professional:
            kind = k < 0.3 ? .certificate_full : k < 0.6 ? .certificate_removed : k < 0.9 ? .certificate_original
                : .certificate_fuhyo
        case .official:
            kind = k < 0.5 ? .certificate_full : k < 0.8 ? .certificate_fuhyo : .certificate_individual
        default:
            kind = k < 0.6 ? .certificate_full : .certificate_fuhyo
        }
        var records: [(Int32, RecordKind)] = []
        let main = mainRecord(fam)
        switch kind {
        case .certificate_original:
            let f = pop.families[Int(fam)]
            if f.recH >= 0 { records.append((f.recH, .heisei_original)) }
            if f.recS >= 0, rng.chance(0.5) { records.append((f.recS, .showa_original)) }
            if records.isEmpty { kind = .certificate_full; records.append((main, recordKind(main, on: d))) }
        case .certificate_removed:
            if pop.records[Int(main)].closed < d { records.append((main, .removed)) }
            let prev = pop.persons[Int(target)].prevFamily
            if prev >= 0, pop.records[Int(mainRecord(prev))].closed < d, !pop.families[Int(prev)].excluded {
                records.append((mainRecord(prev), .removed))
            }
            if records.isEmpty { kind = .certificate_full; records.append((main, recordKind(main, on: d))) }
        case .certificate_fuhyo:
            records.append((main, .fuhyo))
        default:
            records.append((main, recordKind(main, on: d)))
        }
        try counterSession(office: office, kind: kind, requester: requester, target: target, records: records, on: d,
                           team: team, extras: true, into: &evs)
    }

    /// 受付 → search → view → (審査, 決裁) → print, with the case on the operations only sometimes.
    @discardableResult
    func counterSession(office: Int, kind: CaseKind, requester: Requester, target: Int32, records: [(Int32, RecordKind)],
                        on d: Int32, team: [Team], extras: Bool, into evs: inout [Ev],
                        minute: Int? = nil, caseOnAll: Bool = false) throws -> String? {
        let t = team[office]
        guard !t.all.isEmpty else { return nil }
        let a = t.all[rng.int(t.all.count)]
        var b: Int? = nil
        if rng.chance(0.6) { b = t.examiners.filter { $0 != a }.randomElement(using: &rng) }
        var sup: Int? = nil
        if rng.chance(0.3) { sup = t.supervisors.filter { $0 != a && $0 != b }.randomElement(using: &rng) }
        let startMinute = minute ?? officeMinute()
        let received = millis(d, minute: startMinute, second: rng.int(60))
        let (cid, number) = newCaseID(office: office, at: received)
        var ms = received + Int64(60_000 + rng.int(180_000))
        let pc = caseOnAll ? 1.0 : caseChance(a, office)
        func ev(_ s: Int, _ action: AccessAction, _ rec: Int32, _ kind: RecordKind, _ p: Double) -> Ev {
            Ev(at: ms, seq: nextSeq(), staff: s, ward: office, action: action, record: kind, register: rec, person: target,
               caseID: rng.chance(p) ? cid : nil)
        }
        // Search.
        let withBirth = rng.chance(0.7)
        let results = extras ? searchResults(for: target, on: d, withBirth: withBirth) : [records[0].0]
        var search = ev(a, .search, -1, .current, caseOnAll ? 1 : pc * 0.4)
        search.register = -1
        search.query = query(for: target, withBirth: withBirth)
        search.results = results
        evs.append(search)
        ms += Int64(20_000 + rng.int(90_000))
        // Namesake: the wrong register first, then the right one.
        if extras, results.count > 1, rng.chance(0.05) {
            let wrong = results[1 + rng.int(results.count - 1)]
            var e = ev(a, .view, wrong, recordKind(wrong, on: d), pc)
            e.person = -1
            e.label = .namesake
            evs.append(e)
            ms += Int64(15_000 + rng.int(60_000))
        }
        for (r, k) in records {
            evs.append(ev(a, .view, r, k, pc))
            ms += Int64(20_000 + rng.int(120_000))
        }
        if let b {
            ms += Int64(rng.int(600_000))
            for (r, k) in records { evs.append(ev(b, .view, r, k, pc * 0.8)) }
        }
        var status: CaseStatus = .done
        let s = rng.double()
        if requester == .third_party && s < 0.15 || s < 0.015 { status = .rejected } else if s < 0.025 { status = .withdrawn }
        if status == .done {
            let printer = b != nil && rng.chance(0.5) ? b! : a
            ms += Int64(30_000 + rng.int(240_000))
            for (r, k) in records { evs.append(ev(printer, .print, r, k, pc)) }
        }
        var staffList = [a]
        if let b { staffList.append(b) }
        if let sup {
            let sm = ms + Int64(rng.int(3_600_000))
            let saved = ms
            ms = sm
            evs.append(ev(sup, .view, records[0].0, records[0].1, pc * 0.6))
            ms = saved
            if rng.chance(0.9) { staffList.append(sup) }
        }
        // A colleague helps (same office, same day, no case).
        if extras, rng.chance(0.04), let c = t.all.filter({ $0 != a && $0 != b }).randomElement(using: &rng) {
            var e = ev(c, .view, records[0].0, records[0].1, 0)
            e.at = received + Int64(rng.int(1_800_000))
            evs.append(e)
        }
        var rec = received
        var closed = ms + Int64(60_000 + rng.int(300_000))
        if extras, rng.chance(0.07) {
            // Keyed in after the work was done.
            rec = closed + Int64(600_000 + rng.int(6_000_000))
            closed = rec + Int64(60_000 + rng.int(120_000))
        }
        let open = d > to.day - 3 && rng.chance(0.3)
        let c = Case(id: cid, number: number, office: officeCode(office), kind: kind, requester: requester,
                     received: ts(rec), closed: open ? nil : ts(closed),
                     status: open ? .open : status, staff: staffList.map { staffing.staff[$0].id },
                     registers: uniq(records.map(\.0)).map(registerID), persons: [personID(target)])
        try writeCase(c, office: office)
        return cid
    }

    func uniq(_ a: [Int32]) -> [Int32] {
        var out: [Int32] = []
        for x in a where !out.contains(x) { out.append(x) }
        return out
    }

    // MARK: Notifications (届出)

    func notification(_ ev: LifeEvent, on d: Int32, team: [Team], into evs: inout [Ev]) throws {
        let fams = ev.families.filter { $0 >= 0 && !pop.families[Int($0)].excluded }
        guard !fams.isEmpty else { return }
        let keep0 = Int(pop.families[Int(fams[0])].ward)
        let office = ev.residence >= 0 && rng.chance(0.65) ? Int(ev.residence) : keep0
        let t = team[office]
        guard !t.all.isEmpty else { return }
        let a = t.all[rng.int(t.all.count)]
        let b = rng.chance(0.7) ? t.examiners.filter { $0 != a }.randomElement(using: &rng) : nil
        let sup = rng.chance(0.6) ? t.supervisors.filter { $0 != a && $0 != b }.randomElement(using: &rng) : nil
        var ms = millis(d, minute: officeMinute(), second: rng.int(60))
        let received = ms
        let (cid, number) = newCaseID(office: office, at: received)
        let pc = caseChance(a, office)
        let recs = fams.map { mainRecord($0) }
        let person = ev.persons.first ?? -1
        func rk(_ r: Int32, _ day: Int32) -> RecordKind { pop.records[Int(r)].closed < day ? .removed : .current }
        ms += Int64(60_000 + rng.int(120_000))
        evs.append(Ev(at: ms, seq: nextSeq(), staff: a, ward: office, action: .view, record: .form, register: recs[0],
                      person: person, caseID: rng.chance(pc) ? cid : nil))
        if person >= 0 {
            ms += Int64(30_000 + rng.int(60_000))
            var s = Ev(at: ms, seq: nextSeq(), staff: a, ward: office, action: .search, record: .current, person: person,
                       caseID: rng.chance(pc * 0.4) ? cid : nil)
            s.query = query(for: person, withBirth: true)
            s.results = uniq(recs + searchResults(for: person, on: d, withBirth: true)).filter { r in
                !pop.families[Int(pop.records[Int(r)].family)].excluded
            }
            evs.append(s)
        }
        for r in recs {
            ms += Int64(20_000 + rng.int(90_000))
            evs.append(Ev(at: ms, seq: nextSeq(), staff: a, ward: office, action: .view, record: rk(r, d), register: r,
                          person: person, caseID: rng.chance(pc) ? cid : nil))
        }
        var closed = ms
        for (k, f) in fams.enumerated() {
            let r = recs[k]
            let keeper = Int(pop.families[Int(f)].ward)
            if keeper == office {
                let u = b ?? a
                if rng.chance(0.8) {
                    let um = ms + Int64(600_000 + rng.int(6_000_000))
                    evs.append(Ev(at: um, seq: nextSeq(), staff: u, ward: office, action: .update, record: rk(r, d - 1),
                                  register: r, person: person, caseID: rng.chance(pc) ? cid : nil))
                    closed = max(closed, um)
                } else {
                    let nd = cal.nextBusinessDay(onOrAfter: d + 1)
                    let um = millis(nd, minute: officeMinute())
                    future[nd, default: []].append(Ev(at: um, seq: nextSeq(), staff: u, ward: office, action: .update,
                                                      record: rk(r, d - 1), register: r, person: person,
                                                      caseID: rng.chance(pc) ? cid : nil))
                    closed = max(closed, um)
                }
            } else {
                // Forwarded (送付) to the keeping office, entered there days later by whoever is on duty.
                let nd = cal.nextBusinessDay(onOrAfter: d + Int32(2 + rng.int(8)))
                var um = millis(nd, minute: officeMinute())
                let withCase = rng.chance(0.35)
                future[nd, default: []].append(Ev(at: um, seq: nextSeq(), staff: -1, ward: keeper, action: .view,
                                                  record: rk(r, d - 1), register: r, person: person,
                                                  caseID: withCase ? cid : nil))
                um += Int64(60_000 + rng.int(600_000))
                future[nd, default: []].append(Ev(at: um, seq: nextSeq(), staff: -1, ward: keeper, action: .update,
                                                  record: rk(r, d - 1), register: r, person: person,
                                                  caseID: withCase ? cid : nil))
                closed = max(closed, um)
            }
        }
        var staffList = [a]
        if let b { staffList.append(b) }
        if let sup {
            let sm = ms + Int64(1_800_000 + rng.int(9_000_000))
            evs.append(Ev(at: sm, seq: nextSeq(), staff: sup, ward: office, action: .view, record: rk(recs[0], d),
                          register: recs[0], person: person, caseID: rng.chance(pc * 0.6) ? cid : nil))
            staffList.append(sup)
        }
        let requester: Requester
        switch ev.kind {
        case .birth, .death, .recognition, .adoption: requester = .family
        default: requester = .own
        }
        let rejected = rng.chance(0.003)
        let c = Case(id: cid, number: number, office: officeCode(office), kind: ev.kind.caseKind, requester: requester,
                     received: ts(received), closed: ts(closed + 120_000),
                     status: rejected ? .rejected : .done, staff: staffList.map { staffing.staff[$0].id },
                     registers: recs.map(registerID),
                     persons: ev.persons.filter { $0 >= 0 && !pop.persons[Int($0)].excluded }.map(personID))
        try writeCase(c, office: office)
    }

    // MARK: 職権訂正, 公用照会, counter consultations

    func correction(on d: Int32, team: [Team], into evs: inout [Ev]) throws {
        guard let p = randomPresent(on: d) else { return }
        let f = pop.familyOn(p, d)
        let w = Int(pop.families[Int(f)].ward)
        let t = team[w]
        guard let a = t.examiners.randomElement(using: &rng) else { return }
        let r = mainRecord(f)
        let rk = recordKind(r, on: d)
        var ms = millis(d, minute: officeMinute())
        let (cid, number) = newCaseID(office: w, at: ms)
        let pc = caseChance(a, w)
        evs.append(Ev(at: ms, seq: nextSeq(), staff: a, ward: w, action: .view, record: rk, register: r, person: p,
                      caseID: rng.chance(pc) ? cid : nil))
        ms += Int64(300_000 + rng.int(3_000_000))
        evs.append(Ev(at: ms, seq: nextSeq(), staff: a, ward: w, action: .update, record: rk, register: r, person: p,
                      caseID: rng.chance(pc) ? cid : nil))
        var staffList = [a]
        if let s = t.supervisors.filter({ $0 != a }).randomElement(using: &rng) {
            ms += Int64(600_000 + rng.int(3_000_000))
            evs.append(Ev(at: ms, seq: nextSeq(), staff: s, ward: w, action: .view, record: rk, register: r, person: p,
                          caseID: rng.chance(pc) ? cid : nil))
            staffList.append(s)
        }
        try writeCase(Case(id: cid, number: number, office: officeCode(w), kind: .correction, requester: .internal,
                           received: ts(millis(d, minute: 540)), closed: ts(ms + 60_000),
                           status: .done, staff: staffList.map { staffing.staff[$0].id }, registers: [registerID(r)],
                           persons: [personID(p)]), office: w)
    }

    func inquiry(on d: Int32, team: [Team], into evs: inout [Ev]) throws {
        guard let p = randomPresent(on: d) else { return }
        let f = pop.familyOn(p, d)
        let w = Int(pop.families[Int(f)].ward)
        var recs: [(Int32, RecordKind)] = [(mainRecord(f), recordKind(mainRecord(f), on: d))]
        if rng.chance(0.4) { recs.append((mainRecord(f), .fuhyo)) }
        // 公用照会 arrive by post: received a few days before the work.
        guard let cid = try counterSession(office: w, kind: .inquiry, requester: .official, target: p, records: recs,
                                           on: d, team: team, extras: false, into: &evs) else { return }
        _ = cid
    }

    func consultation(on d: Int32, team: [Team], into evs: inout [Ev]) {
        let w = pop.tables.wardWeights.pick(&rng)
        guard let a = team[w].all.randomElement(using: &rng), let p = randomPresent(on: d) else { return }
        let f = pop.familyOn(p, d)
        let r = mainRecord(f)
        var ms = millis(d, minute: officeMinute())
        let withBirth = rng.chance(0.5)
        var s = Ev(at: ms, seq: nextSeq(), staff: a, ward: w, action: .search, record: .current, person: p)
        s.query = query(for: p, withBirth: withBirth)
        s.results = searchResults(for: p, on: d, withBirth: withBirth)
        s.label = .unexplained
        evs.append(s)
        ms += Int64(30_000 + rng.int(120_000))
        var v = Ev(at: ms, seq: nextSeq(), staff: a, ward: w, action: .view, record: recordKind(r, on: d), register: r,
                   person: p)
        v.label = .unexplained
        evs.append(v)
    }

    // MARK: The scenario's mayor asking for his own certificates

    func mayorRequest(_ k: Int, on d: Int32, team: [Team], into evs: inout [Ev]) throws {
        guard let m = pop.mayor else { return }
        let w = Facts.wards.firstIndex { $0.code == "27127" }!
        let x = mainRecord(m.family)
        let kinds: [(CaseKind, RecordKind)] = [(.certificate_full, .current), (.certificate_fuhyo, .fuhyo),
                                               (.certificate_individual, .current)]
        var t = team
        if t[w].all.isEmpty { t[w] = teams(on: d - 1)[w] }
        if let cid = try counterSession(office: w, kind: kinds[k].0, requester: .own, target: m.person,
                                        records: [(x, kinds[k].1)], on: d, team: t, extras: false, into: &evs,
                                        minute: 600 + 45 * k) {
            mayorCases.append(cid)
        }
    }

    // MARK: Writing a day

    func flush(day d: Int32, _ input: [Ev], team: [Team]) throws {
        var evs = input
        evs.sort { $0.at != $1.at ? $0.at < $1.at : $0.seq < $1.seq }
        for var e in evs {
            if e.staff < 0 {
                guard let s = team[e.ward].all.randomElement(using: &rng) else { continue }
                e.staff = s
            }
            if e.caseMode == 1 {
                // Laundering: name a real case of the office that is about something else.
                let ring = recentCases[e.ward]
                let cands = ring.filter { !$0.registers.contains(e.register) }
                guard let c = cands.randomElement(using: &rng) else { continue }
                e.caseID = c.id
            } else if e.caseMode == 2 {
                if let id = selfMadeCases[e.group] {
                    e.caseID = id
                } else {
                    let rec = e.at - Int64(120_000 + rng.int(600_000))
                    let (cid, number) = newCaseID(office: e.ward, at: rec)
                    let withdrawn = rng.chance(0.5)
                    try writeCase(Case(id: cid, number: number, office: officeCode(e.ward),
                                       kind: rng.chance(0.6) ? .certificate_full : .certificate_fuhyo,
                                       requester: rng.chance(0.5) ? .third_party : .own, received: ts(rec),
                                       closed: withdrawn ? ts(e.at + 3_600_000) : nil,
                                       status: withdrawn ? .withdrawn : .open, staff: [staffing.staff[e.staff].id],
                                       registers: e.register >= 0 ? [registerID(e.register)] : [],
                                       persons: e.person >= 0 ? [personID(e.person)] : []), office: e.ward)
                    selfMadeCases[e.group] = cid
                    e.caseID = cid
                }
            }
            summary.access += 1
            let id = "E" + pad(summary.access, 10)
            let st = staffing.staff[e.staff]
            let a = AccessEvent(id: id, at: ts(e.at), staff: st.id, office: officeCode(e.ward),
                                terminal: "T" + officeCode(e.ward) + "-" + pad(st.terminal, 2), action: e.action,
                                record: e.record, register: e.register >= 0 ? registerID(e.register) : nil,
                                person: e.person >= 0 && e.action != .search ? personID(e.person) : nil,
                                caseID: e.caseID, outcome: e.results?.isEmpty == true ? .not_found : e.outcome,
                                query: e.query, results: e.results.map { $0.map(registerID) })
            try accessWriter.write(line: Record.access(a).canonicalJSON)
            switch e.label {
            case .none:
                if misrememberCandidates.contains(e.staff), e.action == .view, e.person >= 0, d < surveyDay {
                    misremember[e.staff] = (e.person, d)
                }
            case let .misuse(kind):
                misuseTruth.append((id, kind, e.staff, e.person, e.register))
                misuseByStaff[e.staff, default: []].append((d, e.person, kind))
                misusers.insert(e.staff)
                if e.scenario { scenarioEvents.append(id) }
            case .unexplained: unexplained.append(id)
            case .namesake: namesakeTruth.append(id)
            }
        }
    }
}

extension Array {
    func randomElement(using rng: inout CityRandom) -> Element? { isEmpty ? nil : self[rng.int(count)] }
}
