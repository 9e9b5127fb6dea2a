import AkashiDomain

/// Misuse planted as behaviour: each misuser is an ordinary staff member with one or more small stories.
extension SiteEngine {
    func plant() {
        var rng = CityRandom(seed: seed, stream: 707)
        let size = min(1.0, scale).squareRoot()
        let budget = max(30, Int(Double(rng.int(150...400)) * size))
        var bySession: [[Int]] = Array(repeating: [], count: staff.count)
        for (i, s) in sessions.enumerated() { bySession[Int(s.staff)].append(i) }
        let eligible = staff.indices.filter { bySession[$0].count >= 8 }.map { Int32($0) }
        guard !eligible.isEmpty else { return }
        let wanted = max(5, Int(Double(rng.int(15...40)) * size))
        var pool = eligible
        rng.shuffle(&pool)
        let misusers = Array(pool.prefix(min(wanted, max(3, eligible.count * 35 / 100)))).sorted()
        var ctx = SitePlanting(bySession: bySession, size: size)
        var uses: [String: Int] = [:]
        func run(_ s: Int32) {
            var options: [(String, Double)] = []
            for (name, weight) in profile.behaviourWeights where possible(name, s, ctx) {
                // One spree searcher and one broker per city at most; the insiders' tricks may repeat.
                if name == "celebrity-search-spree" || name == "broker-sale", uses[name] != nil { continue }
                if name == "mayor-register-curiosity", (uses[name] ?? 0) >= 4 { continue }
                if name == "broker-professional-requests", uses[name] != nil { continue }
                if name == "news-lookup", (uses[name] ?? 0) >= 3 { continue }
                options.append((name, weight / Double(1 + (uses[name] ?? 0) * 2)))
            }
            guard !options.isEmpty else { return }
            let table = WeightedTable(options.map(\.1))
            let name = options[table.pick(&rng)].0
            let before = truth.count
            ctx.remaining = budget - truth.count
            perform(name, s, &ctx, &rng)
            if truth.count > before {
                uses[name, default: 0] += 1
                if !behavioursUsed.contains(name) { behavioursUsed.append(name) }
            }
        }
        for s in misusers { run(s) }
        var tries = 0
        while truth.count < budget, tries < 400 {
            tries += 1
            run(misusers[rng.int(misusers.count)])
        }
        guard profile.plantEach else { return }
        // Every story the profile knows is told at least once, by a misuser if one can, else by another member of staff.
        for (name, _) in profile.behaviourWeights where !behavioursUsed.contains(name) {
            var others = eligible.filter { !misusers.contains($0) }
            rng.shuffle(&others)
            var mine = misusers
            rng.shuffle(&mine)
            for s in (mine + others).filter({ possible(name, $0, ctx) }).prefix(6) {
                let before = truth.count
                ctx.remaining = max(40, budget - truth.count)
                perform(name, s, &ctx, &rng)
                if truth.count > before {
                    behavioursUsed.append(name)
                    break
                }
            }
        }
    }

    // MARK: Preconditions

    func possible(_ name: String, _ s: Int32, _ ctx: SitePlanting) -> Bool {
        let st = staff[Int(s)]
        let me = st.person
        switch name {
        case "mayor-register-curiosity": return mayor >= 0
        case "dv-address-leak": return !dvVictims.isEmpty
        case "ex-spouse-check":
            guard me >= 0, case let f = world.persons[Int(me)].former, f >= 0 else { return false }
            let r = world.persons[Int(f)].register
            return r >= 0 && world.registers[Int(r)].opened <= world.p0
        case "inheritance-peek": return me >= 0 && deceasedParent(me) != nil
        case "neighbour-nosiness": return st.home != nil && st.home!.ward >= 0
        case "colleague-peek", "borrowed-terminal":
            return staffOfOffice[st.office].contains { $0 != s && (name == "borrowed-terminal" || staff[Int($0)].person >= 0) }
        case "extra-print-in-request": return ctx.bySession[Int(s)].contains { sessions[$0].certificate && sessions[$0].named }
        case "own-case-as-cover": return ctx.bySession[Int(s)].contains { sessions[$0].named }
        case "namesake-cover":
            return ctx.bySession[Int(s)].contains { i in sessions[i].persons.contains { namesake(of: $0) != nil } }
        case "postal-batch-extra", "fake-postal-request": return ctx.bySession[Int(s)].contains { sessions[$0].habit == .postal }
        case "dv-fuhyo-by-post":
            return !dvVictims.isEmpty && ctx.bySession[Int(s)].contains { sessions[$0].habit == .postal }
        case "supervisor-approval-abuse": return st.role == .supervisor && staffOfOffice[st.office].count > 1
        case "migration-check-cover": return ctx.bySession[Int(s)].contains { sessions[$0].habit == .migration }
        case "trainee-curiosity":
            return st.role == .trainee && st.dutyFrom > world.p0
                && ctx.bySession[Int(s)].contains { dayOf(sessions[$0].start) - st.dutyFrom < 56 }
        case "colleague-case-number": return staffOfOffice[st.office].count > 1
        default: return true
        }
    }

    func deceasedParent(_ p: Int32) -> Int32? {
        let q = world.persons[Int(p)]
        for par in [q.father, q.mother] where par >= 0 && world.persons[Int(par)].died <= world.p0
            && world.persons[Int(par)].register >= 0 { return par }
        return nil
    }

    // MARK: Timing

    /// A moment right after a genuine piece of the misuser's work (busy counter hours).
    func busyMoment(_ s: Int32, _ ctx: SitePlanting, _ rng: inout CityRandom) -> (Int64, Int) {
        let list = ctx.bySession[Int(s)]
        let x = sessions[list[rng.int(list.count)]]
        return (x.end + Int64(rng.int(20...400)), x.office)
    }

    /// Lunch time, after hours, or (rarely) late evening on one of the misuser's working days.
    func quietMoment(_ s: Int32, _ ctx: SitePlanting, _ rng: inout CityRandom) -> (Int64, Int) {
        let list = ctx.bySession[Int(s)]
        let x = sessions[list[rng.int(list.count)]]
        let d = dayOf(x.start)
        let y = rng.double()
        let sec = y < 0.5 ? 12 * 3600 + 5 * 60 + rng.int(0...2700)
            : y < 0.85 ? 17 * 3600 + 20 * 60 + rng.int(0...4800) : 19 * 3600 + rng.int(0...9000)
        return (at(d, sec), x.office)
    }

    func moment(_ s: Int32, busyShare: Double, _ ctx: SitePlanting, _ rng: inout CityRandom) -> (Int64, Int) {
        rng.chance(busyShare) ? busyMoment(s, ctx, &rng) : quietMoment(s, ctx, &rng)
    }

    /// A moment on a day at least `after` days from `t0` (one of the misuser's working days).
    func laterMoment(_ s: Int32, after t0: Int64, busyShare: Double, _ ctx: SitePlanting,
                     _ rng: inout CityRandom) -> (Int64, Int) {
        let later = ctx.bySession[Int(s)].filter { sessions[$0].start > t0 + 86_400 }
        guard !later.isEmpty else { return moment(s, busyShare: busyShare, ctx, &rng) }
        let x = sessions[later[rng.int(later.count)]]
        if rng.chance(busyShare) { return (x.end + Int64(rng.int(20...400)), x.office) }
        return (at(dayOf(x.start), 12 * 3600 + 10 * 60 + rng.int(0...2400)), x.office)
    }

    // MARK: Targets

    func livingAdult(_ rng: inout CityRandom, _ ok: (Int32) -> Bool = { _ in true }) -> Int32 {
        let w = world
        for _ in 0..<2000 {
            let p = Int32(rng.int(w.persons.count))
            let r = w.persons[Int(p)].register
            if r >= 0, w.registers[Int(r)].opened <= w.p0, w.alive(p, on: w.p1), w.age(p, on: w.p0) >= 18, ok(p) { return p }
        }
        return residentsOf.first { !$0.isEmpty }!.first!
    }

    /// Someone the misuser knows: a classmate (born within two years), someone in their ward, or anyone.
    func acquaintance(of s: Int32, _ rng: inout CityRandom) -> Int32 {
        let me = staff[Int(s)].person
        let w = world
        let x = rng.double()
        if me >= 0, x < 0.5 {
            let b = w.persons[Int(me)].birth
            return livingAdult(&rng) { abs(w.persons[Int($0)].birth - b) < 730 && $0 != me && !self.sameFamily($0, me) }
        }
        if let h = staff[Int(s)].home, h.ward >= 0, x < 0.8 {
            return livingAdult(&rng) { w.persons[Int($0)].addr.ward == h.ward && $0 != me }
        }
        return livingAdult(&rng) { $0 != me }
    }

    func sameFamily(_ a: Int32, _ b: Int32) -> Bool { world.persons[Int(a)].fam == world.persons[Int(b)].fam }

    // MARK: Emitting

    @discardableResult
    func misuseEvent(_ kind: String, actor: Int32, account: Int32? = nil, t: Int64, office: Int,
                     action: AccessAction, record: RecordKind, register: Int32 = -1, person: Int32 = -1,
                     kase: Int32 = -1, query: JSONValue? = nil, results: [Int32]? = nil) -> Int32 {
        let acc = account ?? actor
        let e = emit(SiteEvent(t: t, staff: acc, office: office, terminal: staff[Int(acc)].terminal, action: action,
                               record: record, register: register, person: -1, kase: kase, query: query, results: results))
        truth.append(SiteTruth(event: e, kind: kind, actor: actor, person: person, register: register))
        return e
    }

    /// A search for `p` then views of the given records of their register; returns the time after.
    @discardableResult
    func lookUp(_ kind: String, _ s: Int32, account: Int32? = nil, p: Int32, t t0: Int64, office: Int, search: Bool,
                style: QueryStyle? = nil, records: [RecordKind], print printRecord: RecordKind? = nil, kase: Int32 = -1,
                _ rng: inout CityRandom) -> Int64 {
        var t = t0
        let r = world.persons[Int(p)].register
        if search {
            let (q, res) = searchQuery(p, style: style ?? queryStyle(&rng), &rng)
            misuseEvent(kind, actor: s, account: account, t: t, office: office, action: .search, record: .current,
                        person: p, kase: kase, query: q, results: res)
            t += Int64(rng.int(15...80))
        }
        for rec in records {
            let reg = rec == .heisei_original || rec == .showa_original
                ? (world.registers[Int(r)].preds.first { recordKind($0) == rec } ?? r) : r
            misuseEvent(kind, actor: s, account: account, t: t, office: office, action: .view,
                        record: rec == .fuhyo ? .fuhyo : recordKind(reg), register: reg, person: p, kase: kase)
            t += Int64(rng.int(20...140))
        }
        if let pr = printRecord {
            misuseEvent(kind, actor: s, account: account, t: t, office: office, action: .print, record: pr == .fuhyo ? .fuhyo : recordKind(r),
                        register: r, person: p, kase: kase)
            t += Int64(rng.int(30...120))
        }
        return t
    }

    // MARK: The stories

    func perform(_ name: String, _ s: Int32, _ ctx: inout SitePlanting, _ rng: inout CityRandom) {
        let w = world
        let sz = ctx.size
        switch name {
        case "mayor-register-curiosity":
            var t0: Int64 = 0
            for k in 0..<rng.int(1...3) {
                let (t, o) = k == 0 ? moment(s, busyShare: 0.5, ctx, &rng) : laterMoment(s, after: t0, busyShare: 0.5, ctx, &rng)
                t0 = t
                var recs: [RecordKind] = [.current]
                if rng.chance(0.3) { recs.append(.current) }
                if rng.chance(0.6) { recs.append(.fuhyo) }
                if rng.chance(0.35) { recs.append(.heisei_original) }
                lookUp(name, s, p: mayor, t: t, office: o, search: rng.chance(0.4), records: recs, &rng)
            }
        case "celebrity-search-spree":
            let n = max(12, min(ctx.remaining, Int(Double(rng.int(30...80)) * sz)))
            let famous = vips + (mayor >= 0 ? [mayor] : [])
            var done = 0
            while done < n {
                let (t, o) = moment(s, busyShare: 0.6, ctx, &rng)
                var tt = t
                for _ in 0..<rng.int(1...4) where done < n {
                    let p = !famous.isEmpty && rng.chance(0.55) ? famous[rng.int(famous.count)] : acquaintance(of: s, &rng)
                    let open = rng.chance(0.12)
                    tt = lookUp(name, s, p: p, t: tt, office: o, search: true, style: rng.chance(0.5) ? .full : .surname,
                                records: open ? [.current] : [], &rng) + Int64(rng.int(30...600))
                    done += open ? 2 : 1
                }
            }
        case "acquaintance-browsing":
            for _ in 0..<rng.int(1...4) {
                let p = acquaintance(of: s, &rng)
                let (t, o) = moment(s, busyShare: 0.4, ctx, &rng)
                var recs: [RecordKind] = [.current]
                if rng.chance(0.25) { recs.append(.fuhyo) }
                let t1 = lookUp(name, s, p: p, t: t, office: o, search: rng.chance(0.6), records: recs, &rng)
                if rng.chance(0.3) {
                    let (t2, o2) = laterMoment(s, after: t1, busyShare: 0.4, ctx, &rng)
                    lookUp(name, s, p: p, t: t2, office: o2, search: false, records: [.current], &rng)
                }
            }
        case "dv-address-leak":
            let p = dvVictims[rng.int(dvVictims.count)]
            var (t, o) = moment(s, busyShare: 0.5, ctx, &rng)
            var kase: Int32 = -1
            if rng.chance(0.3), let x = ctx.bySession[Int(s)].first(where: { sessions[$0].named && rng.chance(0.1) }) {
                // Hidden under the clerk's own open case.
                t = sessions[x].start + Int64(rng.int(10...60))
                o = sessions[x].office
                kase = sessions[x].kase
            }
            let t1 = lookUp(name, s, p: p, t: t, office: o, search: true, style: rng.chance(0.5) ? .kana : .full,
                            records: [.current, .fuhyo], print: rng.chance(0.4) ? .fuhyo : nil, kase: kase, &rng)
            if rng.chance(0.4) {
                let (t2, o2) = laterMoment(s, after: t1, busyShare: 0.5, ctx, &rng)
                lookUp(name, s, p: p, t: t2, office: o2, search: false, records: [.fuhyo], &rng)
            }
        case "ex-spouse-check":
            let p = w.persons[Int(staff[Int(s)].person)].former
            var (t, o) = moment(s, busyShare: 0.4, ctx, &rng)
            for k in 0..<rng.int(2...4) {
                let recs: [RecordKind] = rng.chance(0.6) ? [.current, .fuhyo] : [.current]
                let t1 = lookUp(name, s, p: p, t: t, office: o, search: k == 0 && rng.chance(0.6), records: recs, &rng)
                (t, o) = laterMoment(s, after: t1 + Int64(rng.int(0...60)) * 86_400, busyShare: 0.4, ctx, &rng)
            }
        case "inheritance-peek":
            let me = staff[Int(s)].person
            let par = deceasedParent(me)!
            let (t, o) = moment(s, busyShare: 0.3, ctx, &rng)
            var tt = t
            let r = w.persons[Int(par)].register
            for reg in [r] + w.registers[Int(r)].preds {
                misuseEvent(name, actor: s, t: tt, office: o, action: .view, record: recordKind(reg), register: reg, person: par)
                tt += Int64(rng.int(30...200))
            }
            let sibs = (bySurname[Int(w.persons[Int(me)].sur)] + bySurname[Int(w.persons[Int(me)].maiden)])
            for q in siteUniq(sibs) where q != me && (w.persons[Int(q)].father == w.persons[Int(me)].father
                                                       && w.persons[Int(me)].father >= 0) {
                let rq = w.persons[Int(q)].register
                misuseEvent(name, actor: s, t: tt, office: o, action: .view, record: recordKind(rq), register: rq, person: q)
                tt += Int64(rng.int(30...200))
                if rng.chance(0.4) {
                    misuseEvent(name, actor: s, t: tt, office: o, action: .view, record: .fuhyo, register: rq, person: q)
                    tt += Int64(rng.int(30...200))
                }
            }
        case "neighbour-nosiness":
            let h = staff[Int(s)].home!
            let me = staff[Int(s)].person
            var near: [Int32] = []
            for (i, p) in w.persons.enumerated() where p.register >= 0 && p.addr.sameBlock(h) && Int32(i) != me
                && w.registers[Int(p.register)].opened <= w.p0
                && w.alive(Int32(i), on: w.p1) && (me < 0 || !sameFamily(Int32(i), me)) { near.append(Int32(i)) }
            if near.isEmpty { near = [acquaintance(of: s, &rng)] }
            for _ in 0..<rng.int(1...3) {
                let p = near[rng.int(near.count)]
                let (t, o) = moment(s, busyShare: 0.4, ctx, &rng)
                lookUp(name, s, p: p, t: t, office: o, search: rng.chance(0.5), style: .surname, records: [.current], &rng)
            }
        case "colleague-peek":
            let mates = staffOfOffice[staff[Int(s)].office].filter { $0 != s && staff[Int($0)].person >= 0 }
            let p = staff[Int(mates[rng.int(mates.count)])].person
            let (t, o) = moment(s, busyShare: 0.5, ctx, &rng)
            lookUp(name, s, p: p, t: t, office: o, search: rng.chance(0.5), style: .full,
                   records: rng.chance(0.3) ? [.current, .fuhyo] : [.current], &rng)
        case "romantic-interest":
            let me = staff[Int(s)].person
            let b = me >= 0 ? w.persons[Int(me)].birth : w.p0 - 35 * 365
            let female = me >= 0 ? !w.persons[Int(me)].female : rng.chance(0.5)
            let p = livingAdult(&rng) { abs(w.persons[Int($0)].birth - b) < 6 * 365 && w.persons[Int($0)].female == female }
            var (t, o) = moment(s, busyShare: 0.3, ctx, &rng)
            for k in 0..<rng.int(2...4) {
                let t1 = lookUp(name, s, p: p, t: t, office: o, search: k == 0, style: .full,
                                records: k == 0 ? [.current, .fuhyo] : [.current], &rng)
                (t, o) = laterMoment(s, after: t1, busyShare: 0.3, ctx, &rng)
            }
        case "broker-sale":
            let n = max(6, min(ctx.remaining / 2, Int(Double(rng.int(10...24)) * sz)))
            let first = busyMoment(s, ctx, &rng).0
            let span = Int64(rng.int(20...55)) * 86_400
            let window = ctx.bySession[Int(s)].filter { sessions[$0].start >= first && sessions[$0].start <= first + span }
            for _ in 0..<n {
                let p = livingAdult(&rng)
                let x = window.isEmpty ? sessions[ctx.bySession[Int(s)][rng.int(ctx.bySession[Int(s)].count)]]
                    : sessions[window[rng.int(window.count)]]
                var kase: Int32 = -1
                var t = x.end + Int64(rng.int(10...300))
                if x.named, rng.chance(0.25) {
                    kase = x.kase
                    t = x.start + (x.end - x.start) / 2
                }
                lookUp(name, s, p: p, t: t, office: x.office, search: rng.chance(0.4), style: .full,
                       records: [rng.chance(0.6) ? RecordKind.current : RecordKind.fuhyo],
                       print: rng.chance(0.85) ? (rng.chance(0.6) ? RecordKind.current : RecordKind.fuhyo) : nil,
                       kase: kase, &rng)
            }
        case "own-case-as-cover":
            let mine = ctx.bySession[Int(s)].filter { sessions[$0].named }
            for _ in 0..<rng.int(2...5) {
                let x = sessions[mine[rng.int(mine.count)]]
                let p = rng.chance(0.3) && !vips.isEmpty ? vips[rng.int(vips.count)] : acquaintance(of: s, &rng)
                let t = x.start + Int64(rng.int(0...Int(max(1, x.end - x.start))))
                lookUp(name, s, p: p, t: t, office: x.office, search: false,
                       records: rng.chance(0.3) ? [.current, .fuhyo] : [.current], kase: x.kase, &rng)
            }
        case "extra-register-in-session":
            let mine = ctx.bySession[Int(s)]
            for _ in 0..<rng.int(2...5) {
                let x = sessions[mine[rng.int(mine.count)]]
                let p = acquaintance(of: s, &rng)
                let t = x.start + Int64(rng.int(0...Int(max(1, x.end - x.start))))
                let kase: Int32 = x.named && rng.chance(0.5) ? x.kase : -1
                lookUp(name, s, p: p, t: t, office: x.office, search: false, records: [.current], kase: kase, &rng)
            }
        case "fabricated-case":
            let (t, o) = busyMoment(s, ctx, &rng)
            var p: Int32
            if rng.chance(0.5), !(vips + dvVictims).isEmpty {
                let prot = vips + dvVictims + (mayor >= 0 ? [mayor] : [])
                p = prot[rng.int(prot.count)]
            } else {
                let other = (0..<w.offices.count).filter { $0 != o }
                let oo = other.isEmpty ? o : other[rng.int(other.count)]
                p = residentsOf[oo].isEmpty ? acquaintance(of: s, &rng) : residentsOf[oo][rng.int(residentsOf[oo].count)]
            }
            let r = w.persons[Int(p)].register
            let inquiry = rng.chance(0.4)
            let withdrawn = rng.chance(0.55)
            let received = t - Int64(rng.int(60...600))
            let k = newCase(SiteCase(office: o, kind: inquiry ? .inquiry : .certificate_full,
                                     requester: inquiry ? .official : (rng.chance(0.5) ? .own : .family),
                                     received: received, closed: nil, status: withdrawn ? .withdrawn : .done,
                                     staff: [s], registers: [r], persons: [p]))
            let t1 = lookUp(name, s, p: p, t: t, office: o, search: rng.chance(0.5),
                            records: rng.chance(0.5) ? [.current, .fuhyo] : [.current],
                            print: !withdrawn && rng.chance(0.5) ? RecordKind.current : nil, kase: k, &rng)
            cases[Int(k)].closed = withdrawn ? t1 + Int64(rng.int(3600...(3 * 86_400))) : t1 + Int64(rng.int(60...900))
        case "slow-drip-searches":
            let pool = dvVictims + vips
            let p = rng.chance(0.4) && !pool.isEmpty ? pool[rng.int(pool.count)] : acquaintance(of: s, &rng)
            var (t, o) = busyMoment(s, ctx, &rng)
            for _ in 0..<rng.int(8...18) {
                let styles: [QueryStyle] = [.surname, .kana, .full]
                lookUp(name, s, p: p, t: t, office: o, search: true, style: styles[rng.int(3)],
                       records: rng.chance(0.1) ? [.current] : [], &rng)
                (t, o) = laterMoment(s, after: t + Int64(rng.int(0...5)) * 86_400, busyShare: 0.8, ctx, &rng)
            }
        case "borrowed-terminal":
            let mates = staffOfOffice[staff[Int(s)].office].filter { $0 != s }
            let mate = mates[rng.int(mates.count)]
            let theirs = ctx.bySession[Int(mate)]
            let me = staff[Int(s)].person
            let p: Int32 = me >= 0 && w.persons[Int(me)].former >= 0 && rng.chance(0.5) ? w.persons[Int(me)].former
                : (!dvVictims.isEmpty && rng.chance(0.3) ? dvVictims[rng.int(dvVictims.count)] : acquaintance(of: s, &rng))
            for _ in 0..<rng.int(1...3) {
                var (t, o) = quietMoment(s, ctx, &rng)
                if !theirs.isEmpty {
                    let x = sessions[theirs[rng.int(theirs.count)]]
                    (t, o) = (x.end + Int64(rng.int(60...900)), x.office)
                }
                lookUp(name, s, account: mate, p: p, t: t, office: o, search: rng.chance(0.5),
                       records: rng.chance(0.5) ? [.current, .fuhyo] : [.current], &rng)
            }
        case "extra-print-in-request":
            let mine = ctx.bySession[Int(s)].filter { sessions[$0].certificate && sessions[$0].named }
            for _ in 0..<rng.int(2...5) {
                let x = sessions[mine[rng.int(mine.count)]]
                let p = rng.chance(0.5) ? acquaintance(of: s, &rng) : livingAdult(&rng)
                let r = w.persons[Int(p)].register
                let t = x.end - Int64(rng.int(5...30))
                if rng.chance(0.4) {
                    misuseEvent(name, actor: s, t: t - 40, office: x.office, action: .view, record: recordKind(r),
                                register: r, person: p, kase: x.kase)
                }
                misuseEvent(name, actor: s, t: t, office: x.office, action: .print, record: recordKind(r), register: r,
                            person: p, kase: x.kase)
            }
        case "namesake-cover":
            let mine = ctx.bySession[Int(s)].filter { i in sessions[i].persons.contains { namesake(of: $0) != nil } }
            for _ in 0..<rng.int(1...3) {
                let x = sessions[mine[rng.int(mine.count)]]
                guard let real = x.persons.first(where: { namesake(of: $0) != nil }), let p = namesake(of: real) else { continue }
                let t = x.start + Int64(rng.int(0...Int(max(1, x.end - x.start))))
                let kase: Int32 = x.named ? x.kase : -1
                lookUp(name, s, p: p, t: t, office: x.office, search: false,
                       records: rng.chance(0.4) ? [.current, .fuhyo] : [.current], kase: kase, &rng)
            }
        default:
            performLater(name, s, &ctx, &rng)
        }
    }
}

/// What the planting needs to know about the genuine work.
struct SitePlanting {
    /// Per staff member: indices of their sessions.
    var bySession: [[Int]]
    var size: Double
    /// Events still to plant before the city's budget is reached.
    var remaining = 0
}
