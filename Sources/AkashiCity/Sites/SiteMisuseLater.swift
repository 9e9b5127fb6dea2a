import AkashiDomain

/// The misuse stories added with the postal-batches, wide-area-relay and big-ward-teams profiles. Written, like the
/// first seventeen, from how register counters work and from published incidents, without reading the audit engine.
extension SiteEngine {
    // MARK: Helpers

    /// The misuser's sessions of one kind of work.
    func sessionsOf(_ s: Int32, _ habit: SiteHabit, _ ctx: SitePlanting) -> [Int] {
        ctx.bySession[Int(s)].filter { sessions[$0].habit == habit }
    }

    /// A session of `s` that starts between `from` and `to` (seconds), if any.
    func session(of s: Int32, from: Int64, to: Int64, _ ctx: SitePlanting, _ rng: inout CityRandom) -> SiteSession? {
        let list = ctx.bySession[Int(s)].filter { sessions[$0].start >= from && sessions[$0].start <= to }
        return list.isEmpty ? nil : sessions[list[rng.int(list.count)]]
    }

    /// Someone the misuser might be curious about: an acquaintance mostly, now and then a public figure.
    func curiosity(of s: Int32, publicShare: Double, _ rng: inout CityRandom) -> Int32 {
        let famous = vips + (mayor >= 0 ? [mayor] : [])
        if !famous.isEmpty, rng.chance(publicShare) { return famous[rng.int(famous.count)] }
        return acquaintance(of: s, &rng)
    }

    /// A protected person's protection start (day), or the period's start.
    func protectedSince(_ p: Int32) -> Int32 {
        protections.first { $0.person == p }?.from ?? world.p0
    }

    // MARK: The stories

    func performLater(_ name: String, _ s: Int32, _ ctx: inout SitePlanting, _ rng: inout CityRandom) {
        let w = world
        let sz = ctx.size
        switch name {
        case "postal-batch-extra":
            let mine = sessionsOf(s, .postal, ctx)
            for _ in 0..<rng.int(2...5) {
                let x = sessions[mine[rng.int(mine.count)]]
                let p = rng.chance(0.25) ? livingAdult(&rng) : curiosity(of: s, publicShare: 0.25, &rng)
                let kase: Int32 = x.named && rng.chance(0.5) ? x.kase : -1
                lookUp(name, s, p: p, t: x.end + Int64(rng.int(5...40)), office: x.office, search: rng.chance(0.3),
                       records: rng.chance(0.3) ? [.current, .fuhyo] : [.current], print: rng.chance(0.3) ? .current : nil,
                       kase: kase, &rng)
            }
        case "fake-postal-request":
            let mine = sessionsOf(s, .postal, ctx)
            for _ in 0..<rng.int(1...4) {
                let x = sessions[mine[rng.int(mine.count)]]
                let p = rng.chance(0.5) ? acquaintance(of: s, &rng) : livingAdult(&rng)
                let r = w.persons[Int(p)].register
                let fuhyo = rng.chance(0.45)
                let t = x.end + Int64(rng.int(10...60))
                // Dated like the real letters of the batch (stamped the morning they came).
                let arrival = min(t - 600, cases[Int(x.kase)].received + Int64(rng.int(0...900)))
                var handlers = [s]
                if profile.supervisorOnCase, rng.chance(0.5), let b = supervisor(office: x.office, day: dayOf(t), &rng), b != s {
                    handlers.append(b)
                }
                let k = newCase(SiteCase(office: x.office, kind: fuhyo ? .certificate_fuhyo : .certificate_full,
                                         requester: rng.chance(0.5) ? .family : .professional, received: arrival, closed: nil,
                                         status: .done, staff: handlers, registers: [r], persons: [p]))
                let rec: RecordKind = fuhyo ? .fuhyo : .current
                let t1 = lookUp(name, s, p: p, t: t, office: x.office, search: rng.chance(0.3), records: [rec], print: rec,
                                kase: x.named ? k : -1, &rng)
                cases[Int(k)].closed = t1 + Int64(rng.int(60...600))
            }
        case "dv-fuhyo-by-post":
            let p = dvVictims[rng.int(dvVictims.count)]
            let since = Int64(protectedSince(p)) * 86_400
            let mine = sessionsOf(s, .postal, ctx).filter { sessions[$0].start > since }
            guard !mine.isEmpty else { return }
            let x = sessions[mine[rng.int(mine.count)]]
            let r = w.persons[Int(p)].register
            let t = x.end + Int64(rng.int(10...60))
            let arrival = min(t - 600, cases[Int(x.kase)].received + Int64(rng.int(0...900)))
            let k = newCase(SiteCase(office: x.office, kind: .certificate_fuhyo,
                                     requester: rng.chance(0.6) ? .professional : .family, received: arrival, closed: nil,
                                     status: .done, staff: [s], registers: [r], persons: [p]))
            let t1 = lookUp(name, s, p: p, t: t, office: x.office, search: rng.chance(0.4), records: [.current, .fuhyo],
                            print: .fuhyo, kase: x.named ? k : -1, &rng)
            cases[Int(k)].closed = t1 + Int64(rng.int(60...600))
        case "broker-professional-requests":
            let n = max(5, min(ctx.remaining / 3, Int(Double(rng.int(8...20)) * sz)))
            let mine = ctx.bySession[Int(s)]
            let postal = sessionsOf(s, .postal, ctx)
            for _ in 0..<n {
                let byPost = !postal.isEmpty && rng.chance(0.6)
                let x = sessions[byPost ? postal[rng.int(postal.count)] : mine[rng.int(mine.count)]]
                let p = livingAdult(&rng)
                let r = w.persons[Int(p)].register
                let fuhyo = rng.chance(0.5)
                let t = x.end + Int64(rng.int(byPost ? 10...60 : 30...600))
                let received = byPost ? min(t - 600, cases[Int(x.kase)].received + Int64(rng.int(0...900)))
                    : t - Int64(rng.int(120...1200))
                let k = newCase(SiteCase(office: x.office, kind: fuhyo ? .certificate_fuhyo : .certificate_full,
                                         requester: .professional, received: received, closed: nil, status: .done,
                                         staff: [s], registers: [r], persons: [p]))
                let t1 = lookUp(name, s, p: p, t: t, office: x.office, search: rng.chance(0.3),
                                records: fuhyo ? [.current, .fuhyo] : [.current], print: fuhyo ? .fuhyo : .current,
                                kase: rng.chance(0.8) ? k : -1, &rng)
                cases[Int(k)].closed = t1 + Int64(rng.int(60...600))
            }
        case "news-lookup":
            if news.isEmpty { makeNews(&rng) }
            guard !news.isEmpty else { return }
            let item = news[rng.int(news.count)]
            var lookers = [s]
            let others = ctx.bySession.indices.filter { ctx.bySession[$0].count >= 8 && Int32($0) != s }.map { Int32($0) }
            if !others.isEmpty { for _ in 0..<rng.int(1...4) { lookers.append(others[rng.int(others.count)]) } }
            let from = Int64(item.day) * 86_400
            for l in siteUniq(lookers) {
                guard let x = session(of: l, from: from, to: from + 6 * 86_400, ctx, &rng) else { continue }
                let t = rng.chance(0.6) ? x.end + Int64(rng.int(20...400)) : at(dayOf(x.start), 12 * 3600 + 5 * 60 + rng.int(0...2400))
                var recs: [RecordKind] = []
                if rng.chance(0.55) { recs.append(.current) }
                if !recs.isEmpty, rng.chance(0.3) { recs.append(.fuhyo) }
                lookUp(name, l, p: item.person, t: t, office: x.office, search: true, style: rng.chance(0.8) ? .full : .kana,
                       records: recs, &rng)
            }
        case "colleague-case-number":
            let o = staff[Int(s)].office
            let mates = staffOfOffice[o].filter { $0 != s }
            let myDays = Set(ctx.bySession[Int(s)].map { dayOf(sessions[$0].start) })
            var theirs: [Int] = []
            for m in mates {
                for i in ctx.bySession[Int(m)] where sessions[i].office == o && sessions[i].habit != .migration
                    && myDays.contains(dayOf(sessions[i].start)) && !lateCases.contains(sessions[i].kase)
                    && !droppedCases.contains(sessions[i].kase) && cases[Int(sessions[i].kase)].received < sessions[i].start {
                    theirs.append(i)
                }
            }
            guard !theirs.isEmpty else { return }
            for _ in 0..<rng.int(2...4) {
                let x = sessions[theirs[rng.int(theirs.count)]]
                let p = curiosity(of: s, publicShare: 0.2, &rng)
                let t = x.start + Int64(rng.int(0...Int(max(60, x.end - x.start))))
                lookUp(name, s, p: p, t: t, office: o, search: rng.chance(0.3),
                       records: rng.chance(0.25) ? [.current, .fuhyo] : [.current], kase: x.kase, &rng)
            }
        case "cover-request-filed-later":
            for _ in 0..<rng.int(1...3) {
                let p = curiosity(of: s, publicShare: 0.2, &rng)
                let r = w.persons[Int(p)].register
                let (t, o) = moment(s, busyShare: 0.5, ctx, &rng)
                let fuhyo = rng.chance(0.4)
                let t1 = lookUp(name, s, p: p, t: t, office: o, search: rng.chance(0.6),
                                records: fuhyo ? [.current, .fuhyo] : [.current], &rng)
                guard let y = session(of: s, from: t1 + 86_400, to: t1 + 10 * 86_400, ctx, &rng) else { continue }
                let received = y.end + Int64(rng.int(30...600))
                let requester: Requester = profile.relayShare > 0 && rng.chance(0.5) ? .wide_area : (rng.chance(0.5) ? .own : .family)
                let k = newCase(SiteCase(office: y.office, kind: fuhyo && rng.chance(0.5) ? .certificate_fuhyo : .certificate_full,
                                         requester: requester, received: received, closed: nil, status: .done, staff: [s],
                                         registers: [r], persons: [p]))
                var closed = received + Int64(rng.int(120...900))
                if rng.chance(0.5) {
                    let tp = received + Int64(rng.int(60...300))
                    misuseEvent(name, actor: s, t: tp, office: y.office, action: .print,
                                record: cases[Int(k)].kind == .certificate_fuhyo ? .fuhyo : recordKind(r), register: r, person: p,
                                kase: k)
                    closed = tp + Int64(rng.int(60...300))
                }
                cases[Int(k)].closed = closed
            }
        case "thin-spread-months":
            let targets = (0..<rng.int(1...2)).map { _ in curiosity(of: s, publicShare: 0.15, &rng) }
            let mine = ctx.bySession[Int(s)].map { sessions[$0].start }.sorted()
            guard var t0 = mine.first else { return }
            t0 += Int64(rng.int(0...40)) * 86_400
            for _ in 0..<rng.int(6...11) {
                guard let x = session(of: s, from: t0, to: t0 + 10 * 86_400, ctx, &rng) else { break }
                let p = targets[rng.int(targets.count)]
                lookUp(name, s, p: p, t: x.end + Int64(rng.int(20...300)), office: x.office, search: false,
                       records: rng.chance(0.2) ? [.fuhyo] : [.current], &rng)
                t0 = x.start + Int64(rng.int(21...42)) * 86_400
            }
        case "supervisor-approval-abuse":
            let o = staff[Int(s)].office
            for _ in 0..<rng.int(2...4) {
                let x0 = rng.double()
                let p: Int32 = x0 < 0.4 ? curiosity(of: s, publicShare: 1, &rng)
                    : x0 < 0.55 && !dvVictims.isEmpty ? dvVictims[rng.int(dvVictims.count)] : acquaintance(of: s, &rng)
                let r = w.persons[Int(p)].register
                let subs = staffOfOffice[o].filter { $0 != s && staff[Int($0)].role != .supervisor }
                var checked: [Int] = []
                if rng.chance(0.5) {
                    for m in subs {
                        for i in ctx.bySession[Int(m)] where sessions[i].certificate && sessions[i].habit != .migration
                            && !lateCases.contains(sessions[i].kase) && cases[Int(sessions[i].kase)].received < sessions[i].start
                            && onDuty(s, dayOf(sessions[i].start)) { checked.append(i) }
                    }
                }
                if !checked.isEmpty {
                    // Signs a subordinate's request as checker, looks at its register, then at someone else's.
                    let x = sessions[checked[rng.int(checked.count)]]
                    let k = Int(x.kase)
                    if !cases[k].staff.contains(s) { cases[k].staff.append(s) }
                    var sc = SiteCursor(staff: s, office: o, terminal: staff[Int(s)].terminal,
                                        t: x.end + Int64(rng.int(120...2400)), kase: x.kase, named: true)
                    view(&sc, cases[k].registers.first ?? r, &rng)
                    lookUp(name, s, p: p, t: sc.t + Int64(rng.int(20...120)), office: o, search: false,
                           records: rng.chance(0.4) ? [.current, .fuhyo] : [.current], kase: x.kase, &rng)
                } else {
                    // A 職権訂正 of nothing, with a subordinate's name on it.
                    let (t, _) = busyMoment(s, ctx, &rng)
                    var handlers = [s]
                    if !subs.isEmpty { handlers.append(subs[rng.int(subs.count)]) }
                    let k = newCase(SiteCase(office: o, kind: .correction, requester: .internal,
                                             received: t - Int64(rng.int(300...1800)), closed: nil, status: .done,
                                             staff: handlers, registers: [r], persons: [p]))
                    var recs: [RecordKind] = [.current]
                    if rng.chance(0.5) { recs.append(.fuhyo) }
                    if rng.chance(0.3) { recs.append(.heisei_original) }
                    let t1 = lookUp(name, s, p: p, t: t, office: o, search: rng.chance(0.3), records: recs, kase: k, &rng)
                    cases[Int(k)].closed = t1 + Int64(rng.int(600...3600))
                }
            }
        case "migration-check-cover":
            let mine = sessionsOf(s, .migration, ctx)
            let x = sessions[mine[rng.int(mine.count)]]
            let o = x.office
            let me = staff[Int(s)].person
            let famous = (vips + (mayor >= 0 ? [mayor] : [])).filter { w.registers[Int(w.persons[Int($0)].register)].office == o }
            for _ in 0..<rng.int(2...5) {
                let y = rng.double()
                var p: Int32
                if y < 0.4, !famous.isEmpty {
                    p = famous[rng.int(famous.count)]
                } else if y < 0.55, let f = ownFamily(of: s, on: dayOf(x.start)) {
                    p = f
                } else {
                    let b = me >= 0 ? w.persons[Int(me)].birth : w.p0 - 40 * 365
                    p = livingAdult(&rng) { q in
                        w.registers[Int(w.persons[Int(q)].register)].office == o && q != me
                            && (abs(w.persons[Int(q)].birth - b) < 730 || w.persons[Int(q)].addr.ward == (self.staff[Int(s)].home?.ward ?? -2))
                    }
                }
                let r = w.persons[Int(p)].register
                if !cases[Int(x.kase)].registers.contains(r) { cases[Int(x.kase)].registers.append(r) }
                let t = x.start + Int64(rng.int(0...Int(max(60, x.end - x.start))))
                lookUp(name, s, p: p, t: t, office: o, search: false,
                       records: rng.chance(0.5) ? [.current, .fuhyo] : [.current], kase: x.named ? x.kase : -1, &rng)
            }
        case "origin-tracing":
            for _ in 0..<rng.int(1...2) {
                let p = livingAdult(&rng) { (22...42).contains(w.age($0, on: w.p0)) && !self.protectedSet.contains($0) }
                let relay = sessionsOf(s, .relay, ctx)
                var (t, o) = moment(s, busyShare: 0.6, ctx, &rng)
                if !relay.isEmpty, rng.chance(0.6) {
                    let x = sessions[relay[rng.int(relay.count)]]
                    (t, o) = (x.end + Int64(rng.int(20...300)), x.office)
                }
                if rng.chance(0.5) {
                    let (q, res) = searchQuery(p, style: .full, &rng)
                    misuseEvent(name, actor: s, t: t, office: o, action: .search, record: .current, person: p, query: q, results: res)
                    t += Int64(rng.int(20...90))
                }
                // Back through the originals and the register the family came from, three generations at most.
                var level = [w.persons[Int(p)].register]
                var seen = Set(level)
                var oldest = level[0]
                for _ in 0..<3 {
                    var next: [Int32] = []
                    for r in level {
                        misuseEvent(name, actor: s, t: t, office: o, action: .view, record: recordKind(r), register: r,
                                    person: w.registers[Int(r)].head)
                        t += Int64(rng.int(30...150))
                        oldest = r
                        for q in w.registers[Int(r)].preds where seen.insert(q).inserted { next.append(q) }
                    }
                    level = Array(next.prefix(3))
                    if level.isEmpty { break }
                }
                if rng.chance(0.25) {
                    misuseEvent(name, actor: s, t: t, office: o, action: .print, record: recordKind(oldest), register: oldest,
                                person: w.registers[Int(oldest)].head)
                }
            }
        case "trainee-curiosity":
            let first = staff[Int(s)].dutyFrom
            let early = ctx.bySession[Int(s)].filter { dayOf(sessions[$0].start) - first < 56 }
            for _ in 0..<rng.int(3...8) {
                let x = sessions[early[rng.int(early.count)]]
                let y = rng.double()
                let p: Int32 = y < 0.2 ? (ownFamily(of: s, on: dayOf(x.start)) ?? acquaintance(of: s, &rng))
                    : y < 0.45 ? curiosity(of: s, publicShare: 1, &rng) : acquaintance(of: s, &rng)
                let t = rng.chance(0.5) ? at(dayOf(x.start), 12 * 3600 + 5 * 60 + rng.int(0...2400)) : x.end + Int64(rng.int(20...300))
                lookUp(name, s, p: p, t: t, office: x.office, search: true, style: rng.chance(0.7) ? .full : .kana,
                       records: rng.chance(0.4) ? [.current] : [], &rng)
            }
        default:
            break
        }
    }

    /// Three to five people in the local news: living residents (an arrest, a wedding) and someone killed in an
    /// accident (the death notification is in the data); the day the story ran.
    func makeNews(_ rng: inout CityRandom) {
        let w = world
        let staffPersons = Set(staff.map(\.person))
        for _ in 0..<rng.int(2...4) {
            let p = livingAdult(&rng) { !self.protectedSet.contains($0) && !staffPersons.contains($0) }
            news.append((p, w.p0 + 20 + Int32(rng.int(Int(w.p1 - w.p0) - 60))))
        }
        let deaths = w.events.filter { e in
            e.kind == .notification_death && e.day < w.p1 - 30 && e.persons.contains { (20...65).contains(w.age($0, on: e.day)) }
        }
        if !deaths.isEmpty {
            let e = deaths[rng.int(deaths.count)]
            news.append((e.persons[0], e.day + Int32(rng.int(1...2))))
        }
    }
}
