import AkashiDomain

/// One piece of work waiting for a clerk.
struct SiteTask {
    enum Kind {
        case certificate, consultation, inquiry, correction, otherNotification
        case notification(Int)      // index into world.events
        case forwardedEntry(Int32)  // the case, keyed at the keeping office
        case postal([Int64])        // a batch of letters (their arrival times)
        case relay([Int64])         // 広域交付 relays waiting at the desk (their arrival times)
        case fix(Int32, Int32)      // a new clerk's keying error put right: register, person
    }
    var kind: Kind
    var arrival: Int
    /// Only clerks (not contractors) do it.
    var clerksOnly: Bool
    /// The desk that takes it (0 = whoever is free; 1 = postal team; 2 = relay desk).
    var desk: UInt8 = 0
}

extension SiteEngine {
    // MARK: The period

    enum DayMode { case closed, weekday, saturday, sunday }

    func mode(office o: Int, _ d: Int32) -> DayMode {
        if calendar.isBusinessDay(d) { return .weekday }
        if calendar.isHoliday(d) { return .closed }
        let wd = LocalDate(day: d).weekday
        if o < profile.saturdayOffices {
            if wd == 6 { return .saturday }
            if wd == 0, profile.sundayCounter { return .sunday }
        }
        return .closed
    }

    func dayFactor(_ d: Int32, _ m: DayMode) -> Double {
        let ld = LocalDate(day: d)
        var f: Double = switch ld.weekday {
        case 1: 1.25
        case 5: 1.1
        default: 1.0
        }
        if m == .saturday { f = 0.55 } else if m == .sunday { f = 0.4 }
        let month = ld.parts.month
        if month == 3 || month == 4 { f *= 1.3 }
        if month == 8 { f *= 0.85 }
        return f
    }

    func work() {
        var rng = CityRandom(seed: seed, stream: 606)
        let w = world
        let days = Int(w.p1 - w.p0) + 1
        let target = Double(profile.eventsPerYear) * scale * Double(days) / 365.0
        // Notifications: the period's family events, filed at the keeping office or (forwarded) another one.
        var notifByDay: [Int32: [(office: Int, event: Int, night: Bool)]] = [:]
        for (i, e) in w.events.enumerated() {
            let keeper = w.registers[Int(e.registers[0])].office
            var filed = e.day
            switch e.kind {
            case .notification_birth: filed += Int32(rng.int(0...13))
            case .notification_death: filed += Int32(rng.int(0...3))
            default: break
            }
            var office = keeper
            if w.offices.count > 1, rng.chance(profile.forwarded) {
                office = (keeper + 1 + rng.int(w.offices.count - 1)) % w.offices.count
            }
            var night = false
            if mode(office: office, filed) == .closed {
                if profile.nightDesk, e.kind == .notification_death || e.kind == .notification_birth {
                    night = true
                } else {
                    filed = calendar.nextBusinessDay(onOrAfter: filed)
                }
            } else if profile.nightDesk, e.kind == .notification_death, rng.chance(0.25) {
                night = true
            }
            guard filed <= w.p1 else { continue }
            notifByDay[filed, default: []].append((office, i, night))
        }
        let notifCount = notifByDay.values.reduce(0) { $0 + $1.count }
        let certCases = max(target * 0.3, target - Double(notifCount) * 7.5) / 4.2
        var openWeight = 0.0
        for d in w.p0...w.p1 {
            for o in w.offices.indices {
                let m = mode(office: o, d)
                if m != .closed { openWeight += w.officeWeight[o] * dayFactor(d, m) }
            }
        }
        var forwardQueue: [Int32: [(office: Int, kase: Int32)]] = [:]
        // The later profiles' queues: letters and relays waiting for their desk, new clerks' errors waiting to be put right.
        var postalQueue: [Int32: [(office: Int, arrival: Int64)]] = [:]
        var relayQueue: [Int32: [(office: Int, arrival: Int64)]] = [:]
        var fixQueue: [Int32: [(office: Int, register: Int32, person: Int32)]] = [:]
        var migrationDays: [Int32] = []
        if profile.migrationMonth > 0 { migrationDays = planMigration() }
        for d in w.p0...w.p1 {
            for o in w.offices.indices {
                let m = mode(office: o, d)
                var tasks: [SiteTask] = []
                for n in notifByDay[d] ?? [] where n.office == o && n.night {
                    nightDesk(office: o, day: d, event: n.event, &rng)
                }
                if !migrationDays.isEmpty, let k = migrationDays.firstIndex(of: d) { migration(office: o, day: d, weekend: k < 2, &rng) }
                guard m != .closed else { continue }
                let lambda = certCases * w.officeWeight[o] * dayFactor(d, m) / openWeight
                let counterEnd = m == .weekday ? 17 * 3600 + 15 * 60 : 12 * 3600 + 30 * 60
                let evening = m == .weekday && profile.eveningUntil > 0 && [2, 4].contains(LocalDate(day: d).weekday)
                func arrival() -> Int {
                    if evening, rng.chance(0.1) { return 17 * 3600 + 30 * 60 + rng.int(0...(profile.eveningUntil * 60 - 17 * 3600 - 30 * 60 - 600)) }
                    if m != .weekday { return 9 * 3600 + rng.int(0...(counterEnd - 9 * 3600 - 300)) }
                    // Busy at opening and after lunch.
                    let x = rng.double()
                    if x < 0.45 { return 8 * 3600 + 45 * 60 + Int(Double(3 * 3600 + 15 * 60) * rng.double()) }
                    if x < 0.53 { return 12 * 3600 + rng.int(0...3599) }
                    return 13 * 3600 + Int(Double(counterEnd - 13 * 3600 - 300) * rng.double())
                }
                func backOffice() -> Int { 13 * 3600 + 30 * 60 + rng.int(0...(3 * 3600 + 30 * 60)) }
                for _ in 0..<rng.poisson(profile.postalShare > 0 ? lambda * (1 - profile.postalShare) : lambda) {
                    tasks.append(SiteTask(kind: .certificate, arrival: arrival(), clerksOnly: false))
                }
                for _ in 0..<rng.poisson(lambda * profile.consultations) {
                    tasks.append(SiteTask(kind: .consultation, arrival: arrival(), clerksOnly: false))
                }
                if m == .weekday {
                    for _ in 0..<rng.poisson(lambda * profile.inquiryShare) {
                        tasks.append(SiteTask(kind: .inquiry, arrival: rng.chance(0.5) ? arrival() : backOffice(), clerksOnly: true))
                    }
                    for _ in 0..<rng.poisson(lambda * 0.02) {
                        tasks.append(SiteTask(kind: .correction, arrival: backOffice(), clerksOnly: true))
                    }
                    for _ in 0..<rng.poisson(lambda * 0.015) {
                        tasks.append(SiteTask(kind: .otherNotification, arrival: arrival(), clerksOnly: true))
                    }
                    for f in forwardQueue[d] ?? [] where f.office == o {
                        tasks.append(SiteTask(kind: .forwardedEntry(f.kase), arrival: backOffice(), clerksOnly: true))
                    }
                    if profile.postalShare > 0 {
                        // Letters are opened and stamped in the morning; most wait in the tray for a batch.
                        for _ in 0..<rng.poisson(lambda * profile.postalShare) {
                            let arr = at(d, 8 * 3600 + 50 * 60 + rng.int(0...5400))
                            let pd = rng.chance(profile.postalSameDay) ? d : postalDay(after: d, &rng)
                            if pd <= w.p1 { postalQueue[pd, default: []].append((o, arr)) }
                        }
                        let due = (postalQueue[d] ?? []).filter { $0.office == o }.map(\.arrival).sorted()
                        let old = due.filter { dayOf($0) < d }, fresh = due.filter { dayOf($0) == d }
                        for (list, time) in [(old, 9 * 3600 + 20 * 60), (fresh, 13 * 3600 + 40 * 60)] where !list.isEmpty {
                            let size = rng.int(12...22)
                            for k in stride(from: 0, to: list.count, by: size) {
                                tasks.append(SiteTask(kind: .postal(Array(list[k..<min(list.count, k + size)])),
                                                      arrival: time + rng.int(0...1200), clerksOnly: false, desk: 1))
                            }
                        }
                    }
                    if profile.relayShare > 0 {
                        // 広域交付 relays come in while other counters are open; the desk looks at its queue three times a day.
                        let slots = [10 * 3600 + 30 * 60, 13 * 3600 + 30 * 60, 15 * 3600 + 30 * 60]
                        for _ in 0..<rng.poisson(lambda * profile.relayShare) {
                            let sec = 8 * 3600 + 50 * 60 + rng.int(0...(8 * 3600 + 30 * 60))
                            let pd = sec + 600 < slots[2] ? d : calendar.nextBusinessDay(onOrAfter: d + 1)
                            if pd <= w.p1 { relayQueue[pd, default: []].append((o, at(d, sec))) }
                        }
                        let due = (relayQueue[d] ?? []).filter { $0.office == o }.map(\.arrival).sorted()
                        var start = 0
                        for (k, slot) in ([9 * 3600 + 15 * 60] + slots).enumerated() {
                            // The morning round takes yesterday's late relays; the others what came in before them.
                            let upTo = k == 0 ? at(d, 0) : at(d, slot - 600)
                            var end = start
                            while end < due.count, due[end] < upTo { end += 1 }
                            if end > start {
                                tasks.append(SiteTask(kind: .relay(Array(due[start..<end])), arrival: slot, clerksOnly: true, desk: 2))
                            }
                            start = end
                        }
                    }
                    for f in fixQueue[d] ?? [] where f.office == o {
                        tasks.append(SiteTask(kind: .fix(f.register, f.person), arrival: backOffice(), clerksOnly: true))
                    }
                }
                for n in notifByDay[d] ?? [] where n.office == o && !n.night {
                    tasks.append(SiteTask(kind: .notification(n.event), arrival: arrival(), clerksOnly: true))
                }
                // Who is in today.
                var present = staffOfOffice[o].filter { onDuty($0, d) && !rng.chance(0.06) }
                if m != .weekday {
                    rng.shuffle(&present)
                    present = Array(present.prefix(max(2, present.count / 5)))
                }
                let clerks = present.filter { staff[Int($0)].role != .contractor }
                guard !present.isEmpty, !clerks.isEmpty else { continue }
                var free: [Int32: Int] = [:]
                for s in present { free[s] = 8 * 3600 + 40 * 60 + rng.int(0...900) }
                tasks.sort { $0.arrival < $1.arrival }
                for task in tasks {
                    var pool = task.clerksOnly ? clerks : present
                    if task.desk != 0 {
                        let team = Set(task.desk == 1 ? postalTeamOf[o] : relayDeskOf[o])
                        let here = pool.filter { team.contains($0) }
                        if !here.isEmpty { pool = here }
                    }
                    var best = pool[rng.int(pool.count)]
                    for s in pool where free[s]! < free[best]! { best = s }
                    let start = max(task.arrival, free[best]!) + rng.int(20...120)
                    var c = SiteCursor(staff: best, office: o, terminal: staff[Int(best)].terminal, t: at(d, start))
                    let firstEvent = events.count
                    switch task.kind {
                    case .certificate: certificate(&c, &rng)
                    case .consultation: consultation(&c, &rng)
                    case .inquiry: inquiry(&c, &rng)
                    case .correction: correction(&c, &rng)
                    case .otherNotification: otherNotification(&c, &rng)
                    case let .notification(i):
                        if let fwd = notification(&c, event: i, &rng) {
                            var fd = d + Int32(rng.int(1...4))
                            fd = calendar.nextBusinessDay(onOrAfter: fd)
                            if fd <= w.p1 { forwardQueue[fd, default: []].append((fwd.office, fwd.kase)) }
                        }
                    case let .forwardedEntry(k): forwardedEntry(&c, kase: k, &rng)
                    case let .postal(letters):
                        for a in letters { postalRequest(&c, arrival: a, &rng); c.t += Int64(rng.int(20...150)) }
                    case let .relay(relays):
                        for a in relays { relayRequest(&c, arrival: a, &rng); c.t += Int64(rng.int(30...240)) }
                    case let .fix(r, p): fix(&c, register: r, person: p, &rng)
                    }
                    if profile.ojtDays > 0, learning(best, d), let mt = mentor[best] {
                        // OJT: the mentor looks over the new clerk's work; a keying error is put right days later.
                        ojtCheck(c, mentor: mt, firstEvent: firstEvent, &rng)
                        if let e = events[firstEvent...].first(where: { $0.action == .update && $0.staff == best }), rng.chance(0.3) {
                            let fd = addOfficeDays(d, rng.int(1...5))
                            if fd <= w.p1 { fixQueue[fd, default: []].append((o, e.register, e.person)) }
                        }
                    }
                    free[best] = Int(c.t - at(d, 0)) + rng.int(60...400)
                }
            }
        }
    }

    // MARK: Pieces of work

    /// Names the case on an operation as this clerk usually does.
    func caseFor(_ c: SiteCursor, _ rng: inout CityRandom) -> Int32 {
        guard c.kase >= 0, !lateCases.contains(c.kase) else { return -1 }
        return c.named ? (rng.chance(0.97) ? c.kase : -1) : (rng.chance(0.02) ? c.kase : -1)
    }

    func newCase(_ c: SiteCase) -> Int32 {
        cases.append(c)
        return Int32(cases.count - 1)
    }

    /// Opens a case at the start of a session; late filing moves `received` after the work (done in `fileCase`).
    func openCase(_ c: inout SiteCursor, kind: CaseKind, requester: Requester?, registers: [Int32], persons: [Int32],
                  late: Bool, _ rng: inout CityRandom) {
        let received = c.t - Int64(rng.int(30...420))
        c.kase = newCase(SiteCase(office: c.office, kind: kind, requester: requester, received: received, closed: nil,
                                  status: .done, staff: [c.staff], registers: registers, persons: persons))
        c.named = !late && rng.chance(staff[Int(c.staff)].naming)
        if late { lateCases.insert(c.kase) }
    }

    /// Closes the case after the work; a late-filed case gets its `received` now.
    func closeCase(_ c: SiteCursor, late: Bool, start: Int64, certificate: Bool, persons: [Int32], _ rng: inout CityRandom) {
        let k = Int(c.kase)
        if late {
            let x = rng.double()
            let delay = 300 + Int(Double(profile.lateFilingMaxMinutes * 60 - 300) * x * x)
            var r = c.t + Int64(delay)
            // Keyed during office hours.
            let sec = Int(r % 86_400)
            if sec > 19 * 3600 { r += Int64(86_400 - sec + 9 * 3600 + rng.int(0...3600)) }
            if sec < 8 * 3600 { r += Int64(8 * 3600 + 45 * 60 - sec) }
            cases[k].received = r
            cases[k].closed = r + Int64(rng.int(60...1800))
        } else {
            cases[k].closed = c.t + Int64(rng.int(60...900))
        }
        sessions.append(SiteSession(staff: c.staff, office: c.office, kase: c.kase, start: start, end: c.t,
                                    certificate: certificate, named: c.named, persons: persons))
    }

    func isLate(_ c: SiteCursor, _ rng: inout CityRandom) -> Bool {
        rng.chance(min(0.95, profile.lateFiling * staff[Int(c.staff)].lateQuirk))
    }

    /// A search then (maybe) a slip onto a namesake; or the register opened straight from the document.
    func find(_ c: inout SiteCursor, _ p: Int32, direct: Bool, _ rng: inout CityRandom) {
        guard !direct else { return }
        let style = queryStyle(&rng)
        let (q, results) = searchQuery(p, style: style, &rng)
        emit(SiteEvent(t: c.step(&rng, 20, 70), staff: c.staff, office: c.office, terminal: c.terminal, action: .search,
                       record: .current, kase: caseFor(c, &rng), query: q, results: results))
        if profile.ojtDays > 0, learning(c.staff, dayOf(c.t)), results.count > 1, rng.chance(0.2) {
            // A new clerk opens the wrong row of the list first.
            let r = results.first { $0 != world.persons[Int(p)].register } ?? results[0]
            slips.append(emit(SiteEvent(t: c.step(&rng), staff: c.staff, office: c.office, terminal: c.terminal, action: .view,
                                        record: recordKind(r), register: r, kase: caseFor(c, &rng))))
        }
        if style == .surname, results.count > 8, rng.chance(0.5) {
            let (q2, r2) = searchQuery(p, style: .full, &rng)
            emit(SiteEvent(t: c.step(&rng, 15, 50), staff: c.staff, office: c.office, terminal: c.terminal,
                           action: .search, record: .current, kase: caseFor(c, &rng), query: q2, results: r2))
        }
        if let other = namesake(of: p), rng.chance(profile.namesakeSlip) {
            let r = world.persons[Int(other)].register
            let e = emit(SiteEvent(t: c.step(&rng), staff: c.staff, office: c.office, terminal: c.terminal, action: .view,
                                   record: recordKind(r), register: r, kase: caseFor(c, &rng)))
            namesakes.append(e)
        }
    }

    func view(_ c: inout SiteCursor, _ r: Int32, as record: RecordKind? = nil, person: Int32 = -1,
              _ rng: inout CityRandom) {
        emit(SiteEvent(t: c.step(&rng), staff: c.staff, office: c.office, terminal: c.terminal, action: .view,
                       record: record ?? recordKind(r), register: r, person: person, kase: caseFor(c, &rng)))
    }

    func printOut(_ c: inout SiteCursor, _ r: Int32, as record: RecordKind? = nil, person: Int32 = -1,
               _ rng: inout CityRandom) {
        emit(SiteEvent(t: c.step(&rng, 30, 150), staff: c.staff, office: c.office, terminal: c.terminal, action: .print,
                       record: record ?? recordKind(r), register: r, person: person, kase: caseFor(c, &rng)))
    }

    func update(_ c: inout SiteCursor, _ r: Int32, person: Int32 = -1, _ rng: inout CityRandom) {
        emit(SiteEvent(t: c.step(&rng, 60, 400), staff: c.staff, office: c.office, terminal: c.terminal,
                       action: .update, record: recordKind(r), register: r, person: person, kase: caseFor(c, &rng)))
    }

    /// A person whose register a counter request is about: mostly kept at this office.
    func requestTarget(office o: Int, _ rng: inout CityRandom) -> Int32 {
        var oo = o
        if world.offices.count > 1, rng.chance(0.2) { oo = rng.int(world.offices.count) }
        let list = residentsOf[oo].isEmpty ? residentsOf.first { !$0.isEmpty }! : residentsOf[oo]
        return list[rng.int(list.count)]
    }

    /// The clerk's spouse or a parent, when the clerk is a resident and they are alive with a register.
    func ownFamily(of s: Int32, on d: Int32) -> Int32? {
        let me = staff[Int(s)].person
        guard me >= 0 else { return nil }
        let q = world.persons[Int(me)]
        return [q.spouse, q.father, q.mother].first { p in
            p >= 0 && world.alive(p, on: d) && world.persons[Int(p)].register >= 0
                && world.registers[Int(world.persons[Int(p)].register)].opened <= world.p0
                && world.registers[Int(world.persons[Int(p)].register)].kind == .current
        }
    }

    /// A colleague at the same office (not the clerk), or the clerk when alone.
    func colleague(of s: Int32, office o: Int, day d: Int32, _ rng: inout CityRandom) -> Int32 {
        let list = staffOfOffice[o].filter { $0 != s && onDuty($0, d) }
        return list.isEmpty ? s : list[rng.int(list.count)]
    }

    func supervisor(office o: Int, day d: Int32, _ rng: inout CityRandom) -> Int32? {
        let list = staffOfOffice[o].filter { staff[Int($0)].role == .supervisor && onDuty($0, d) }
        return list.isEmpty ? nil : list[rng.int(list.count)]
    }

    /// A supervisor looks at the register a little later (審査・決裁).
    func supervisorCheck(_ c: SiteCursor, _ r: Int32, _ rng: inout CityRandom) {
        guard rng.chance(profile.supervisorCheck), let s = supervisor(office: c.office, day: dayOf(c.t), &rng),
              s != c.staff else { return }
        if profile.supervisorOnCase, c.kase >= 0, !cases[Int(c.kase)].staff.contains(s) { cases[Int(c.kase)].staff.append(s) }
        var sc = SiteCursor(staff: s, office: c.office, terminal: staff[Int(s)].terminal, t: c.t + Int64(rng.int(120...3600)),
                            kase: c.kase, named: rng.chance(staff[Int(s)].naming))
        view(&sc, r, &rng)
    }

    func certificate(_ c: inout SiteCursor, _ rng: inout CityRandom) {
        let w = world
        let start = c.t
        let x = rng.double()
        let kind: CaseKind
        let regs: [Int32]
        let records: [RecordKind]
        let p: Int32
        if x < profile.inheritanceShare, !oldRegistersOf[c.office].isEmpty {
            // Inheritance paperwork: the removed / original registers and the chain around them.
            let r0 = oldRegistersOf[c.office][rng.int(oldRegistersOf[c.office].count)]
            if profile.chainDepth > 1 {
                // From birth to death (出生から死亡まで): generations back, whichever ward keeps them.
                regs = chain(from: r0, office: -1, &rng)
            } else {
                var chain = [r0]
                for q in w.registers[Int(r0)].preds + w.registers[Int(r0)].succs where rng.chance(0.7) { chain.append(q) }
                regs = siteUniq(chain)
            }
            records = regs.map { recordKind($0) }
            p = w.registers[Int(r0)].head
            kind = w.registers[Int(r0)].kind == .removed ? .certificate_removed : .certificate_original
        } else {
            // Now and then the clerk's own family comes to the counter and the clerk serves them (documented).
            p = rng.chance(0.005) ? (ownFamily(of: c.staff, on: dayOf(c.t)) ?? requestTarget(office: c.office, &rng))
                : requestTarget(office: c.office, &rng)
            let r = w.persons[Int(p)].register
            let y = rng.double()
            if y < 0.5 {
                kind = .certificate_full
                records = [recordKind(r)]
            } else if y < 0.75 {
                kind = .certificate_individual
                records = [recordKind(r)]
            } else if y < 0.95 {
                kind = .certificate_fuhyo
                records = [.fuhyo]
            } else if y < 0.98 {
                kind = .certificate_acceptance
                records = [.form]
            } else {
                kind = .certificate_other
                records = [recordKind(r)]
            }
            regs = [r]
        }
        let z = rng.double()
        let mix = profile.requesterMix ?? [0.45, 0.75, 0.79, 0.97]
        let requesters: [(Double, Requester)] = [(mix[0], .own), (mix[1], .family), (mix[2], .third_party), (mix[3], .professional)]
        let requester = requesters.first { z < $0.0 }?.1 ?? .wide_area
        let late = isLate(c, &rng)
        openCase(&c, kind: kind, requester: requester, registers: regs, persons: [p], late: late, &rng)
        if profile.searchTeam > 0, rng.chance(profile.searchTeam),
           case let team = searchTeamOf[c.office].filter({ $0 != c.staff && onDuty($0, dayOf(c.t)) }), !team.isEmpty {
            searchTeamIssue(&c, searcher: team[rng.int(team.count)], regs: regs, records: records, person: p, kind: kind,
                            requester: requester, late: late, &rng)
            closeCase(c, late: late, start: start, certificate: true, persons: [p], &rng)
            supervisorCheck(c, regs[0], &rng)
            return
        }
        let direct = rng.chance(profile.directOpen)
        find(&c, p, direct: direct, &rng)
        let withPerson = rng.chance(profile.personOnEvents) && (kind == .certificate_individual || kind == .certificate_fuhyo)
        let helper = rng.chance(profile.colleagueHelp) ? colleague(of: c.staff, office: c.office, day: dayOf(c.t), &rng) : c.staff
        for (r, rec) in zip(regs, records) { view(&c, r, as: rec, person: withPerson ? p : -1, &rng) }
        if requester == .third_party, rng.chance(0.3) {
            cases[Int(c.kase)].status = .rejected
        } else {
            let copies = rng.chance(0.15) ? 2 : 1
            for (r, rec) in zip(regs, records) {
                for _ in 0..<copies {
                    if helper != c.staff {
                        // A colleague at the issuing station prints it.
                        var h = SiteCursor(staff: helper, office: c.office, terminal: staff[Int(helper)].terminal, t: c.t,
                                           kase: c.kase, named: rng.chance(staff[Int(helper)].naming) && !late)
                        printOut(&h, r, as: rec, person: withPerson ? p : -1, &rng)
                        c.t = h.t
                        if rng.chance(0.3) { cases[Int(c.kase)].staff.append(helper) }
                    } else {
                        printOut(&c, r, as: rec, person: withPerson ? p : -1, &rng)
                    }
                }
            }
        }
        closeCase(c, late: late, start: start, certificate: true, persons: [p], &rng)
        supervisorCheck(c, regs[0], &rng)
    }

    /// A counter consultation that ends without a request: searches and views, no document at all.
    func consultation(_ c: inout SiteCursor, _ rng: inout CityRandom) {
        let p = requestTarget(office: c.office, &rng)
        let (q, results) = searchQuery(p, style: queryStyle(&rng), &rng)
        unexplained.append(emit(SiteEvent(t: c.step(&rng), staff: c.staff, office: c.office, terminal: c.terminal,
                                          action: .search, record: .current, query: q, results: results)))
        if rng.chance(0.75) {
            let r = world.persons[Int(p)].register
            unexplained.append(emit(SiteEvent(t: c.step(&rng, 30, 120), staff: c.staff, office: c.office,
                                              terminal: c.terminal, action: .view, record: recordKind(r), register: r)))
            if rng.chance(0.2), let pr = world.registers[Int(r)].preds.first {
                unexplained.append(emit(SiteEvent(t: c.step(&rng, 30, 120), staff: c.staff, office: c.office,
                                                  terminal: c.terminal, action: .view, record: recordKind(pr), register: pr)))
            }
        }
        c.t += Int64(rng.int(120...600))
    }

    /// 公用照会: by mail (keyed on arrival) or by phone (looked up now, the written request filed days later).
    func inquiry(_ c: inout SiteCursor, _ rng: inout CityRandom) {
        let w = world
        let start = c.t
        let p = requestTarget(office: c.office, &rng)
        let r = w.persons[Int(p)].register
        let phone = rng.chance(profile.phoneInquiry)
        openCase(&c, kind: .inquiry, requester: .official, registers: [r], persons: [p], late: phone, &rng)
        let first = Int32(events.count)
        find(&c, p, direct: !phone && rng.chance(0.5), &rng)
        view(&c, r, &rng)
        if rng.chance(0.65) { view(&c, r, as: .fuhyo, &rng) }
        if !phone || rng.chance(0.3) { printOut(&c, r, as: rng.chance(0.5) ? RecordKind.fuhyo : recordKind(r), &rng) }
        if phone, rng.chance(0.05) {
            // The caller never sent the written request: genuine work that no document stands behind.
            droppedCases.insert(c.kase)
            unexplained += Array(first..<Int32(events.count))
        } else if phone {
            // The written request arrives days later; the same clerk keys it in.
            var d = dayOf(c.t) + Int32(rng.int(1...6))
            d = calendar.nextBusinessDay(onOrAfter: d)
            let received = at(d, 9 * 3600 + rng.int(0...(7 * 3600)))
            cases[Int(c.kase)].received = received
            cases[Int(c.kase)].closed = received + Int64(rng.int(300...7200))
            sessions.append(SiteSession(staff: c.staff, office: c.office, kase: c.kase, start: start, end: c.t,
                                        certificate: false, named: false, persons: [p]))
        } else {
            closeCase(c, late: false, start: start, certificate: false, persons: [p], &rng)
        }
    }

    /// 職権訂正: internal, with the supervisor on the case.
    func correction(_ c: inout SiteCursor, _ rng: inout CityRandom) {
        let w = world
        let start = c.t
        let p = requestTarget(office: c.office, &rng)
        let r = w.persons[Int(p)].register
        var regs = [r]
        if let pr = w.registers[Int(r)].preds.first, rng.chance(0.4) { regs.append(pr) }
        let late = isLate(c, &rng)
        openCase(&c, kind: .correction, requester: .internal, registers: regs, persons: [p], late: late, &rng)
        if let s = supervisor(office: c.office, day: dayOf(c.t), &rng), s != c.staff { cases[Int(c.kase)].staff.append(s) }
        for q in regs { view(&c, q, &rng) }
        update(&c, r, person: p, &rng)
        closeCase(c, late: late, start: start, certificate: false, persons: [p], &rng)
    }

    /// 養子縁組・認知・氏名の変更・その他の届出 on a random register of the office.
    func otherNotification(_ c: inout SiteCursor, _ rng: inout CityRandom) {
        let w = world
        let start = c.t
        let p = requestTarget(office: c.office, &rng)
        let r = w.persons[Int(p)].register
        let kinds: [CaseKind] = [.notification_adoption, .notification_recognition, .notification_name_change,
                                 .notification_other, .notification_other, .notification_dissolution]
        let late = isLate(c, &rng)
        openCase(&c, kind: kinds[rng.int(kinds.count)], requester: .own, registers: [r], persons: [p], late: late, &rng)
        view(&c, r, as: .form, &rng)
        find(&c, p, direct: rng.chance(profile.directOpen), &rng)
        view(&c, r, &rng)
        update(&c, r, person: p, &rng)
        closeCase(c, late: late, start: start, certificate: false, persons: [p], &rng)
    }

    /// A 届出 from the period's family events. Returns the keeping office and case when it must be forwarded.
    func notification(_ c: inout SiteCursor, event i: Int, _ rng: inout CityRandom) -> (office: Int, kase: Int32)? {
        let w = world
        let e = w.events[i]
        let start = c.t
        let keeper = w.registers[Int(e.registers[0])].office
        let forwarded = keeper != c.office
        let late = isLate(c, &rng)
        let requester: Requester = e.kind == .notification_death || e.kind == .notification_birth ? .family : .own
        openCase(&c, kind: e.kind, requester: requester, registers: e.registers, persons: e.persons, late: late, &rng)
        if profile.supervisorOnCase, rng.chance(0.6), let s = supervisor(office: c.office, day: dayOf(c.t), &rng),
           s != c.staff { cases[Int(c.kase)].staff.append(s) }
        view(&c, e.registers[0], as: .form, &rng)
        let p = e.persons.first ?? w.registers[Int(e.registers[0])].head
        find(&c, p, direct: rng.chance(profile.directOpen), &rng)
        for r in e.registers { view(&c, r, &rng) }
        if !forwarded {
            let helper = rng.chance(profile.colleagueHelp) ? colleague(of: c.staff, office: c.office, day: dayOf(c.t), &rng) : c.staff
            if helper != c.staff {
                // A colleague keys the update later the same day.
                var h = SiteCursor(staff: helper, office: c.office, terminal: staff[Int(helper)].terminal,
                                   t: c.t + Int64(rng.int(600...7200)), kase: c.kase,
                                   named: !late && rng.chance(staff[Int(helper)].naming))
                for r in e.registers { update(&h, r, &rng) }
            } else {
                for r in e.registers { update(&c, r, &rng) }
            }
        }
        closeCase(c, late: late, start: start, certificate: false, persons: e.persons, &rng)
        supervisorCheck(c, e.registers[0], &rng)
        return forwarded ? (keeper, c.kase) : nil
    }

    /// The keeping office enters a notification received elsewhere (not on the case's staff).
    func forwardedEntry(_ c: inout SiteCursor, kase k: Int32, _ rng: inout CityRandom) {
        c.kase = k
        c.named = rng.chance(staff[Int(c.staff)].naming * 0.7)
        let regs = cases[Int(k)].registers
        view(&c, regs[0], as: .form, &rng)
        for r in regs where world.registers[Int(r)].office == c.office { view(&c, r, &rng) }
        for r in regs where world.registers[Int(r)].office == c.office { update(&c, r, &rng) }
        c.t += Int64(rng.int(60...300))
    }

    /// 宿日直: a death or birth notification keyed at night or on a closed day by the duty clerk.
    func nightDesk(office o: Int, day d: Int32, event i: Int, _ rng: inout CityRandom) {
        let list = staffOfOffice[o].filter { onDuty($0, d) && staff[Int($0)].role != .contractor }
        guard !list.isEmpty else { return }
        let s = list[rng.int(list.count)]
        let closed = mode(office: o, d) == .closed
        let sec = closed ? 9 * 3600 + rng.int(0...(12 * 3600)) : 18 * 3600 + rng.int(0...(5 * 3600))
        var c = SiteCursor(staff: s, office: o, terminal: staff[Int(s)].terminal, t: at(d, sec))
        _ = notification(&c, event: i, &rng)
    }
}
