import AkashiDomain

/// The legitimate habits of the profiles added later: postal batches, 広域交付 relays, a search team, new staff with
/// mentors, and a system migration. Only profiles that set the matching ``SiteProfile`` parameters reach this code.
extension SiteEngine {
    // MARK: Office days

    /// `n` office days after `d`.
    func addOfficeDays(_ d: Int32, _ n: Int) -> Int32 {
        var x = d
        for _ in 0..<max(0, n) { x = calendar.nextBusinessDay(onOrAfter: x + 1) }
        return x
    }

    /// The day a letter waiting in the tray is processed: one to `postalMaxLag` office days later, twice that in the
    /// March–April rush and in the fortnight after Golden Week or the New Year closure.
    func postalDay(after d: Int32, _ rng: inout CityRandom) -> Int32 {
        let p = LocalDate(day: d).parts
        let rush = p.month == 3 || p.month == 4 || (p.month == 5 && p.day <= 15) || (p.month == 1 && p.day <= 15)
        let most = max(1, profile.postalMaxLag * (rush ? 2 : 1))
        let x = rng.double()
        return addOfficeDays(d, 1 + Int(Double(most) * x * x))
    }

    /// A new member of staff still in the weeks their mentor checks their work.
    func learning(_ s: Int32, _ d: Int32) -> Bool {
        let st = staff[Int(s)]
        return st.role == .trainee && st.dutyFrom > world.p0 && d >= st.dutyFrom && d - st.dutyFrom < Int32(profile.ojtDays)
    }

    // MARK: Chains of registers

    /// The registers of one inheritance request from `r0` back `chainDepth` generations (改製原戸籍, the parents'
    /// register a marriage came from …), and the register `r0` went on to. `office` ≥ 0 keeps only that office's
    /// registers (a letter or a relay reaches the ward keeping them; the others get their own).
    func chain(from r0: Int32, office: Int, _ rng: inout CityRandom) -> [Int32] {
        let w = world
        var out = [r0]
        var level = [r0]
        for _ in 0..<max(1, profile.chainDepth) {
            var next: [Int32] = []
            for r in level {
                for q in w.registers[Int(r)].preds where rng.chance(0.85) && !out.contains(q) {
                    next.append(q)
                    out.append(q)
                }
            }
            level = next
            if level.isEmpty { break }
        }
        for q in w.registers[Int(r0)].succs where rng.chance(0.5) && !out.contains(q) { out.append(q) }
        if office >= 0 { out = out.filter { w.registers[Int($0)].office == office } }
        return out.isEmpty ? [r0] : out
    }

    // MARK: A name that is not kept here

    /// A search for someone this office does not keep (the letter or relay gave a wrong 本籍): nothing listed.
    func notFoundSearch(_ c: inout SiteCursor, _ rng: inout CityRandom) {
        let names = world.names
        var text = ""
        for _ in 0..<50 {
            let sur = names.surname(&rng)
            let given = names.givenName(year: 1930 + rng.int(60), female: rng.chance(0.5), &rng)
            if byFull[Int64(sur) << 32 | Int64(given)] == nil {
                text = names.surnames[Int(sur)].kanji + " " + names.given[Int(given)].kanji
                break
            }
        }
        guard !text.isEmpty else { return }
        let q: JSONValue = .object([("name", .string(text)), ("birth", .string(String(1930 + rng.int(60))))])
        emit(SiteEvent(t: c.step(&rng, 20, 70), staff: c.staff, office: c.office, terminal: c.terminal, action: .search,
                       record: .current, kase: caseFor(c, &rng), outcome: .not_found, query: q, results: []))
    }

    // MARK: 郵送請求

    /// One letter of a postal batch: keyed with the date it arrived, processed now. Postal forms give the 本籍 and
    /// 筆頭者, so most registers are opened straight from the form. Professionals (司法書士・弁護士) ask for whole
    /// inheritance chains; a letter without the fee or the proof of relation is sent back (返戻).
    func postalRequest(_ c: inout SiteCursor, arrival: Int64, _ rng: inout CityRandom) {
        let w = world
        let o = c.office
        let start = c.t
        let z = rng.double()
        let requester: Requester = z < 0.25 ? .own : z < 0.58 ? .family : z < 0.63 ? .third_party : .professional
        let x = rng.double()
        if x < 0.03 {
            // 該当なし: the letter names someone whose 本籍 is not here.
            let k = newCase(SiteCase(office: o, kind: .certificate_full, requester: requester, received: arrival, closed: nil,
                                     status: .rejected, staff: [c.staff], registers: [], persons: []))
            c.kase = k
            c.named = rng.chance(staff[Int(c.staff)].naming)
            notFoundSearch(&c, &rng)
            cases[Int(k)].closed = c.t + Int64(rng.int(60...600))
            c.kase = -1
            return
        }
        let regs: [Int32]
        let records: [RecordKind]
        let kind: CaseKind
        let p: Int32
        if x < (requester == .professional ? 0.7 : 0.35), !oldRegistersOf[o].isEmpty {
            let r0 = oldRegistersOf[o][rng.int(oldRegistersOf[o].count)]
            regs = chain(from: r0, office: o, &rng)
            records = regs.map { recordKind($0) }
            p = w.registers[Int(r0)].head
            kind = w.registers[Int(r0)].kind == .removed ? .certificate_removed : .certificate_original
        } else {
            let list = residentsOf[o].isEmpty ? residentsOf.first { !$0.isEmpty }! : residentsOf[o]
            p = list[rng.int(list.count)]
            let r = w.persons[Int(p)].register
            let y = rng.double()
            kind = y < 0.55 ? .certificate_full : y < 0.7 ? .certificate_individual : y < 0.96 ? .certificate_fuhyo : .certificate_other
            records = [kind == .certificate_fuhyo ? .fuhyo : recordKind(r)]
            regs = [r]
        }
        let k = newCase(SiteCase(office: o, kind: kind, requester: requester, received: arrival, closed: nil, status: .done,
                                 staff: [c.staff], registers: regs, persons: [p]))
        c.kase = k
        c.named = rng.chance(staff[Int(c.staff)].naming)
        find(&c, p, direct: rng.chance(0.7), &rng)
        let withPerson = kind == .certificate_individual && rng.chance(profile.personOnEvents)
        for (r, rec) in zip(regs, records) { view(&c, r, as: rec, person: withPerson ? p : -1, &rng) }
        if rng.chance(0.04) || (requester == .third_party && rng.chance(0.3)) {
            cases[Int(k)].status = .rejected
        } else {
            for (r, rec) in zip(regs, records) { printOut(&c, r, as: rec, person: withPerson ? p : -1, &rng) }
        }
        cases[Int(k)].closed = c.t + Int64(rng.int(60...600))
        sessions.append(SiteSession(staff: c.staff, office: o, kase: k, start: start, end: c.t, certificate: true,
                                    named: c.named, persons: [p], habit: .postal))
        supervisorCheck(c, regs[0], &rng)
        c.kase = -1
        c.named = false
    }

    // MARK: 広域交付 relays

    /// A request made at another municipality's counter (広域交付) for a register this office keeps only as an image
    /// (除籍・改製原戸籍): the relay desk opens the chain it names and sends the images (`export`).
    func relayRequest(_ c: inout SiteCursor, arrival: Int64, _ rng: inout CityRandom) {
        let w = world
        let o = c.office
        guard !oldRegistersOf[o].isEmpty else { return }
        let start = c.t
        let r0 = oldRegistersOf[o][rng.int(oldRegistersOf[o].count)]
        // Current registers reach the other counter straight through the system; only the images need this desk.
        let regs = chain(from: r0, office: o, &rng).filter { w.registers[Int($0)].kind != .current }
        let p = w.registers[Int(r0)].head
        let kind: CaseKind = w.registers[Int(r0)].kind == .removed ? .certificate_removed : .certificate_original
        let k = newCase(SiteCase(office: o, kind: kind, requester: .wide_area, received: arrival, closed: nil, status: .done,
                                 staff: [c.staff], registers: regs, persons: [p]))
        c.kase = k
        c.named = rng.chance(staff[Int(c.staff)].naming)
        if rng.chance(0.02) {
            // The 本籍 given at the other counter was wrong: nothing here.
            notFoundSearch(&c, &rng)
            cases[Int(k)].status = .rejected
            cases[Int(k)].registers = []
            cases[Int(k)].persons = []
        } else {
            if rng.chance(0.15) { find(&c, p, direct: false, &rng) }
            for r in regs { view(&c, r, &rng) }
            for r in regs {
                emit(SiteEvent(t: c.step(&rng, 40, 160), staff: c.staff, office: o, terminal: c.terminal, action: .export,
                               record: recordKind(r), register: r, kase: caseFor(c, &rng)))
            }
            sessions.append(SiteSession(staff: c.staff, office: o, kase: k, start: start, end: c.t, certificate: false,
                                        named: c.named, persons: [p], habit: .relay))
        }
        cases[Int(k)].closed = c.t + Int64(rng.int(60...900))
        c.kase = -1
        c.named = false
    }

    // MARK: 検索係

    /// The counter keys the request; a search-team clerk looks the register up and checks it, the counter prints.
    func searchTeamIssue(_ c: inout SiteCursor, searcher: Int32, regs: [Int32], records: [RecordKind], person p: Int32,
                         kind: CaseKind, requester: Requester, late: Bool, _ rng: inout CityRandom) {
        let k = c.kase
        var s = SiteCursor(staff: searcher, office: c.office, terminal: staff[Int(searcher)].terminal,
                           t: c.t + Int64(rng.int(60...600)), kase: k, named: !late && rng.chance(staff[Int(searcher)].naming))
        let t0 = s.t
        let withPerson = rng.chance(profile.personOnEvents) && (kind == .certificate_individual || kind == .certificate_fuhyo)
        find(&s, p, direct: rng.chance(profile.directOpen), &rng)
        for (r, rec) in zip(regs, records) { view(&s, r, as: rec, person: withPerson ? p : -1, &rng) }
        if rng.chance(0.3) { cases[Int(k)].staff.append(searcher) }
        sessions.append(SiteSession(staff: searcher, office: c.office, kase: k, start: t0, end: s.t, certificate: false,
                                    named: s.named, persons: [p], habit: .search))
        c.t = s.t + Int64(rng.int(60...400))
        if requester == .third_party, rng.chance(0.3) {
            cases[Int(k)].status = .rejected
            return
        }
        for (r, rec) in zip(regs, records) { printOut(&c, r, as: rec, person: withPerson ? p : -1, &rng) }
    }

    // MARK: New staff

    /// The mentor opens what the new clerk just handled (ダブルチェック), sometimes signing the case.
    func ojtCheck(_ c: SiteCursor, mentor m: Int32, firstEvent: Int, _ rng: inout CityRandom) {
        guard c.kase >= 0, onDuty(m, dayOf(c.t)), rng.chance(0.7) else { return }
        let k = Int(c.kase)
        if rng.chance(0.5), !cases[k].staff.contains(m) { cases[k].staff.append(m) }
        var mc = SiteCursor(staff: m, office: c.office, terminal: staff[Int(m)].terminal, t: c.t + Int64(rng.int(90...1200)),
                            kase: c.kase, named: rng.chance(staff[Int(m)].naming))
        let wrong = Set(slips.suffix(4))
        let opened = siteUniq((firstEvent..<events.count).filter { i in
            let e = events[i]
            return e.staff == c.staff && e.register >= 0 && e.action != .search && e.record != .form && !wrong.contains(Int32(i))
        }.map { events[$0].register })
        for r in (opened.isEmpty ? cases[k].registers : opened).prefix(3) { view(&mc, r, &rng) }
    }

    /// A new clerk's keying error put right days later under a 職権訂正, with the supervisor.
    func fix(_ c: inout SiteCursor, register r: Int32, person p: Int32, _ rng: inout CityRandom) {
        let start = c.t
        openCase(&c, kind: .correction, requester: .internal, registers: [r], persons: p >= 0 ? [p] : [], late: false, &rng)
        if let s = supervisor(office: c.office, day: dayOf(c.t), &rng), s != c.staff { cases[Int(c.kase)].staff.append(s) }
        view(&c, r, &rng)
        update(&c, r, person: p, &rng)
        closeCase(c, late: false, start: start, certificate: false, persons: p >= 0 ? [p] : [], &rng)
    }

    // MARK: システム更改

    /// The migration weekend (the first Saturday after the 7th of the month) and the two office days after it.
    func planMigration() -> [Int32] {
        let w = world
        for d in w.p0...w.p1 {
            let ld = LocalDate(day: d)
            if ld.parts.month == profile.migrationMonth, ld.parts.day > 7, ld.weekday == 6, d + 1 < w.p1 - 10 {
                migrationDay = d
                let first = calendar.nextBusinessDay(onOrAfter: d + 2)
                return [d, d + 1, first, calendar.nextBusinessDay(onOrAfter: first + 1)]
            }
        }
        return []
    }

    /// The verification team checks a sample of the office's registers against the old system: all day on the weekend,
    /// after the counter closes on the two days after. Each member works under the day's work order (an internal case
    /// listing the registers checked, with the supervisor).
    func migration(office o: Int, day d: Int32, weekend: Bool, _ rng: inout CityRandom) {
        let w = world
        let team = migrationTeamOf[o].filter { onDuty($0, d) }
        guard !team.isEmpty else { return }
        let boss = team.first { staff[Int($0)].role == .supervisor }
        let kept = w.registers.indices.filter { w.registers[$0].office == o }.map { Int32($0) }
        guard !kept.isEmpty else { return }
        let small = scale.squareRoot()
        for s in team where s != boss || team.count == 1 {
            let n = max(8, Int(Double(weekend ? rng.int(80...140) : rng.int(15...35)) * small))
            var sample: [Int32] = []
            for _ in 0..<n { sample.append(kept[rng.int(kept.count)]) }
            sample = siteUniq(sample)
            let t0 = at(d, weekend ? 9 * 3600 + rng.int(0...1200) : 17 * 3600 + 35 * 60 + rng.int(0...900))
            let k = newCase(SiteCase(office: o, kind: .other, requester: .internal, received: t0 - Int64(rng.int(300...1800)),
                                     closed: nil, status: .done, staff: boss.map { [s, $0] } ?? [s], registers: sample, persons: []))
            var c = SiteCursor(staff: s, office: o, terminal: staff[Int(s)].terminal, t: t0, kase: k,
                               named: rng.chance(staff[Int(s)].naming))
            for r in sample {
                // Each register is compared with the old system's printout before the next is opened.
                c.t += Int64(rng.int(40...150))
                if weekend, c.t > at(d, 12 * 3600), c.t < at(d, 13 * 3600) { c.t = at(d, 13 * 3600) + Int64(rng.int(0...600)) }
                view(&c, r, &rng)
                if rng.chance(0.15) { view(&c, r, as: .fuhyo, &rng) }
                if rng.chance(0.06) { printOut(&c, r, &rng) }
            }
            cases[Int(k)].closed = c.t + Int64(rng.int(300...1800))
            sessions.append(SiteSession(staff: s, office: o, kase: k, start: t0, end: c.t, certificate: false, named: c.named,
                                        persons: [], habit: .migration))
        }
    }
}
