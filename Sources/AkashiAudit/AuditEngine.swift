import AkashiDomain

/// Explains each access from the business documents and scores what it cannot explain.
///
/// Feed events in time order with ``audit(_:)``; the engine keeps the running state the stateful reasons
/// (`repeated`, `bulk_search`, the `namesake` session) need, which ``state`` exports for an incremental run.
/// Not thread-safe: one engine per sweep (the ``AuditContext`` can be shared).
public final class AuditEngine {
    public let context: AuditContext
    public let config: AuditConfig

    enum Rule: String {
        case named_case, own_case, colleague_case, forwarded_case, late_filed, inquiry, correction, namesake
    }

    struct Found {
        var rule: Rule
        var c: Int32
        var strong: Bool
        /// Why the case is in doubt as this access's explanation (nil: it is not).
        var doubt: Doubt? = nil
        var selfMade: Bool { doubt != nil }
    }

    /// Why a case handled by the accessor alone is no strong explanation.
    enum Doubt {
        /// Withdrawn.
        case withdrawn
        /// Left open and never completed.
        case stale
        /// The address (附票) of a person under DV support, issued on a case no second member of staff checked.
        case dvAddressAlone
        /// Received at an office other than the one keeping the register (nor the accessor's), where the site's
        /// legitimate work rarely is so (``AuditEngine/aloneShape(_:_:_:)``).
        case aloneOtherOffice
    }

    /// One access, resolved to dense indexes.
    struct Ev {
        var s: Int32
        var x: Int32
        var p: Int32
        var o: Int32
        var c: Int32
        var namedGiven: Bool
        var t: Int64
        var day: Int32
        var minute: Int
        /// The address attachment (附票) was opened.
        var fuhyo = false
    }

    let closedDays: ClosedDays
    let lateMs: Int64, ownLateMs: Int64, officeLateMs: Int64, closedSlackMs: Int64, lookbackMs: Int64, namedSlackMs: Int64, forwardMs: Int64
    let inquiryMs: Int64, sessionMs: Int64, amidMs: Int64, nightWindowMs: Int64, staleMs: Int64
    static let dayMs: Int64 = 86_400_000

    // Running state (dense; exported by `state`).
    var repeats: [Int64: (days: [Int32], count: Int)] = [:]
    var searchDay: [Int32]
    var searchCount: [Int32]
    var searchUnexplained: [Int32]
    var searchOffice: [Int32]
    var officeStaffDays: [Int]
    var officeUnexplained: [Int]
    var sessionCase: [Int32]
    var sessionAt: [Int64]
    var lastEventAt: Int64?
    var eventCount = 0
    /// The session's searches per staff member (most recent last, at most ``recentLimit``).
    struct RecentSearch {
        var access: String
        var t: Int64
        var results: [Int32]
        var unexplained: Bool
        var flagged: Bool
        /// The case that explained the search strongly (−1: none).
        var c: Int32 = -1
        /// The name or kana the search asked for (normalised; nil: none).
        var q: String? = nil
        /// The surname part of that name or kana (normalised; the whole when it has no blank), kept only for a search
        /// that served a case (surname slips); nil otherwise.
        var qs: String? = nil
        /// The office the access was made at (for the site calibration of later revisions).
        var o: Int32 = -1
        /// Whether an undocumented search was counted for the site calibration when audited (``learnUndocumented``):
        /// only such a search is counted for `search_nothing_opened` when its session ends, without using the day's
        /// allowance again (one access, one place in the cap).
        var counted = true
    }
    static let recentLimit = 8
    var recent: [[RecentSearch]]
    /// The session's undocumented register accesses per staff member (most recent last, at most ``recentLimit``).
    var recentViews: [[RecentSearch]]
    var lastOpenedAt: [Int64]
    var bulkDay: [Int32]
    /// Per staff member, the JST days of their latest flagged accesses (at most ``flagDaysKept``; `staff_pattern`).
    var flagDays: [[Int32]]
    static let flagDaysKept = 16
    var revisions: [FindingRevision] = []
    /// What ordinary work looks like here (learned in event order; part of ``state``).
    var calibration: SiteCalibration
    /// Strongly explained register accesses seen, for the calibration's sampling (part of ``state``).
    var learnTick = 0
    static let learnStride = 8
    /// Undocumented accesses counted for the calibration per staff member on their latest day (the cap).
    var uDay: [Int32]
    var uCount: [Int32]
    /// What auditors have decided about earlier findings (``AuditFeedback``); set it before auditing new events.
    public var feedback: AuditFeedback

    /// A fresh engine.
    public init(context: AuditContext, config: AuditConfig = AuditConfig()) {
        self.context = context
        self.config = config
        closedDays = ClosedDays(years: config.holidayYears, newYearBreak: config.newYearBreak,
                                extra: config.extraHolidays)
        let m: Int64 = 60_000
        lateMs = Int64(config.lateKeyingMinutes) * m
        ownLateMs = max(lateMs, Int64(config.ownLateFilingDays) * Self.dayMs)
        officeLateMs = min(ownLateMs, max(lateMs, Int64(config.officeLateFilingDays) * Self.dayMs))
        closedSlackMs = Int64(config.closedSlackDays) * Self.dayMs
        lookbackMs = Int64(config.maxCaseLookbackDays) * Self.dayMs
        namedSlackMs = Int64(config.namedCaseSlackDays) * Self.dayMs
        forwardMs = Int64(config.forwardDays) * Self.dayMs
        inquiryMs = Int64(config.inquiryDays) * Self.dayMs
        sessionMs = Int64(config.sessionGapMinutes) * m
        amidMs = Int64(config.amidCaseMinutes) * m
        nightWindowMs = Int64(config.nightCaseWindowMinutes) * m
        staleMs = Int64(config.selfMadeStaleDays) * Self.dayMs
        let nS = context.staffTable.count, nO = context.officeTable.count
        searchDay = [Int32](repeating: Int32.min, count: nS)
        searchCount = [Int32](repeating: 0, count: nS)
        searchUnexplained = [Int32](repeating: 0, count: nS)
        searchOffice = [Int32](repeating: -1, count: nS)
        officeStaffDays = [Int](repeating: 0, count: nO)
        officeUnexplained = [Int](repeating: 0, count: nO)
        sessionCase = [Int32](repeating: -1, count: nS)
        sessionAt = [Int64](repeating: Int64.min, count: nS)
        recent = [[RecentSearch]](repeating: [], count: nS)
        recentViews = [[RecentSearch]](repeating: [], count: nS)
        lastOpenedAt = [Int64](repeating: Int64.min, count: nS)
        bulkDay = [Int32](repeating: Int32.min, count: nS)
        flagDays = [[Int32]](repeating: [], count: nS)
        calibration = SiteCalibration(offices: nO, staff: nS)
        uDay = [Int32](repeating: Int32.min, count: nS)
        uCount = [Int32](repeating: 0, count: nS)
        feedback = config.feedback
    }

    /// An engine that continues from a saved state (IDs unknown to `context` are dropped).
    public convenience init(context: AuditContext, config: AuditConfig = AuditConfig(), state: AuditState) {
        self.init(context: context, config: config)
        let ctx = context
        for r in state.repeats {
            let s = ctx.staffTable.lookup(r.staff)
            guard s >= 0, let subject = subjectCode(r.subject) else { continue }
            repeats[(Int64(s) << 32) | Int64(subject)] = (r.days, r.count)
        }
        for d in state.searchDays {
            let s = ctx.staffTable.lookup(d.staff)
            guard s >= 0 else { continue }
            searchDay[Int(s)] = d.day
            searchCount[Int(s)] = Int32(d.searches)
            searchUnexplained[Int(s)] = Int32(d.unexplained)
            searchOffice[Int(s)] = ctx.officeTable.lookup(d.office)
        }
        for b in state.baselines {
            let o = ctx.officeTable.lookup(b.office)
            guard o >= 0 else { continue }
            officeStaffDays[Int(o)] = b.staffDays
            officeUnexplained[Int(o)] = b.unexplainedSearches
        }
        for x in state.sessions {
            let s = ctx.staffTable.lookup(x.staff), c = ctx.caseTable.lookup(x.caseID)
            guard s >= 0, c >= 0 else { continue }
            sessionCase[Int(s)] = c
            sessionAt[Int(s)] = x.at
        }
        for r in state.recentSearches ?? [] {
            let s = ctx.staffTable.lookup(r.staff)
            guard s >= 0 else { continue }
            let item = RecentSearch(access: r.access, t: r.at, results: r.results.map { ctx.registerTable.lookup($0) },
                                    unexplained: r.unexplained, flagged: r.flagged,
                                    c: r.caseID.map { ctx.caseTable.lookup($0) } ?? -1,
                                    q: AuditContext.known(r.query), qs: AuditContext.known(r.querySurname),
                                    o: ctx.officeTable.lookup(r.office), counted: r.counted ?? true)
            if r.view == true { recentViews[Int(s)].append(item) } else { recent[Int(s)].append(item) }
        }
        for m in state.staffMarks ?? [] {
            let s = ctx.staffTable.lookup(m.staff)
            guard s >= 0 else { continue }
            if let t = m.lastOpenedAt { lastOpenedAt[Int(s)] = t }
            if let d = m.bulkDay { bulkDay[Int(s)] = d }
            if let f = m.flagDays { flagDays[Int(s)] = Array(f.suffix(Self.flagDaysKept)) }
            if let d = m.undocumentedDay, let n = m.undocumentedCount, n >= 0 {
                uDay[Int(s)] = d
                uCount[Int(s)] = n
            }
        }
        if let c = state.siteCalibration {
            calibration.restore(c, officeIndex: { ctx.officeTable.lookup($0) }, staffIndex: { ctx.staffTable.lookup($0) })
            learnTick = c.tick ?? 0
        }
        lastEventAt = state.lastEventAt
        eventCount = state.events
    }

    private func subjectCode(_ text: String) -> Int32? {
        if text.hasPrefix("name:") {
            let n = context.nameIDs.lookup(String(text.dropFirst(5)))
            return n >= 0 ? Int32(context.personTable.count + context.registerTable.count) + n : nil
        }
        if text.hasPrefix("register:") {
            let x = context.registerTable.lookup(String(text.dropFirst(9)))
            return x >= 0 ? Int32(context.personTable.count) + x : nil
        }
        let p = context.personTable.lookup(text)
        return p >= 0 ? p : nil
    }

    /// The running state, to save and restore with ``init(context:config:state:)``.
    public var state: AuditState {
        var st = AuditState()
        let ctx = context
        let nP = Int32(ctx.personTable.count)
        for (key, v) in repeats {
            let s = Int32(truncatingIfNeeded: key >> 32), subj = Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)
            let nR = Int32(ctx.registerTable.count)
            let subject = subj < nP ? ctx.personTable.ids[Int(subj)]
                : subj < nP + nR ? "register:" + ctx.registerTable.ids[Int(subj - nP)]
                : "name:" + ctx.nameIDs.ids[Int(subj - nP - nR)]
            st.repeats.append(.init(staff: ctx.staffTable.ids[Int(s)], subject: subject, days: v.days, count: v.count))
        }
        st.repeats.sort { ($0.staff, $0.subject) < ($1.staff, $1.subject) }
        for s in 0..<searchDay.count where searchDay[s] != Int32.min {
            st.searchDays.append(.init(staff: ctx.staffTable.ids[s], day: searchDay[s], searches: Int(searchCount[s]),
                                       unexplained: Int(searchUnexplained[s]),
                                       office: searchOffice[s] >= 0 ? ctx.officeTable.ids[Int(searchOffice[s])] : nil))
        }
        for o in 0..<officeStaffDays.count where officeStaffDays[o] > 0 {
            st.baselines.append(.init(office: ctx.officeTable.ids[o], staffDays: officeStaffDays[o],
                                      unexplainedSearches: officeUnexplained[o]))
        }
        for s in 0..<sessionCase.count where sessionCase[s] >= 0 {
            st.sessions.append(.init(staff: ctx.staffTable.ids[s], caseID: ctx.caseTable.ids[Int(sessionCase[s])],
                                     at: sessionAt[s]))
        }
        var searches: [AuditState.RecentSearch] = []
        var marks: [AuditState.StaffMark] = []
        for s in 0..<recent.count {
            for (list, view) in [(recent[s], false), (recentViews[s], true)] {
                for r in list {
                    searches.append(.init(staff: ctx.staffTable.ids[s], access: r.access, at: r.t,
                                          results: r.results.map { $0 >= 0 ? ctx.registerTable.ids[Int($0)] : "" },
                                          unexplained: r.unexplained, flagged: r.flagged,
                                          caseID: r.c >= 0 ? ctx.caseTable.ids[Int(r.c)] : nil, view: view ? true : nil,
                                          query: r.q, querySurname: r.qs,
                                          office: r.o >= 0 ? ctx.officeTable.ids[Int(r.o)] : nil,
                                          counted: view || r.counted ? nil : false))
                }
            }
            if lastOpenedAt[s] != Int64.min || bulkDay[s] != Int32.min || !flagDays[s].isEmpty || uDay[s] != Int32.min {
                marks.append(.init(staff: ctx.staffTable.ids[s], lastOpenedAt: lastOpenedAt[s] == Int64.min ? nil : lastOpenedAt[s],
                                   bulkDay: bulkDay[s] == Int32.min ? nil : bulkDay[s],
                                   flagDays: flagDays[s].isEmpty ? nil : flagDays[s],
                                   undocumentedDay: uDay[s] == Int32.min ? nil : uDay[s],
                                   undocumentedCount: uDay[s] == Int32.min ? nil : uCount[s]))
            }
        }
        st.recentSearches = searches
        st.staffMarks = marks
        st.siteCalibration = calibration.saved(officeIDs: ctx.officeTable.ids, staffIDs: ctx.staffTable.ids)
        st.siteCalibration?.tick = learnTick
        st.lastEventAt = lastEventAt
        st.events = eventCount
        return st
    }

    // MARK: Auditing

    /// Audits one event (events must come in time order) and updates the running state.
    public func audit(_ event: AccessEvent) -> AccessFinding {
        evaluate(event, update: true)
    }

    /// Changes to earlier findings revealed by the events audited since the last call (a search that led to a
    /// flagged access, the first searches of a series). Apply them to the stored findings.
    public func takeRevisions() -> [FindingRevision] {
        defer { revisions.removeAll() }
        return revisions
    }

    /// Audits a batch in order.
    public func audit(_ events: some Sequence<AccessEvent>) -> [AccessFinding] {
        events.map { evaluate($0, update: true) }
    }

    /// Re-audits an earlier event (e.g. after a late-keyed case arrived, with a rebuilt context) without
    /// changing the running state; stateful reasons use the state as it is now.
    public func reaudit(_ event: AccessEvent) -> AccessFinding {
        evaluate(event, update: false)
    }

    /// Which earlier accesses a newly arrived case may explain: accesses to these registers, or searches by these
    /// staff, made between `from` and `to`. Re-audit them (``reaudit(_:)``) with a context that includes the case.
    public func explainableWindow(for newCase: Case) -> (registers: [String], staff: [String], from: Timestamp,
                                                        to: Timestamp) {
        let ctx = context
        var regs = Set<Int32>()
        var unknown = Set<String>()
        var direct = newCase.registers
        for p in newCase.persons {
            let pi = ctx.personTable.lookup(p)
            if pi >= 0, ctx.personRegister[Int(pi)] >= 0 {
                direct.append(ctx.registerTable.ids[Int(ctx.personRegister[Int(pi)])])
            }
        }
        for r in direct {
            let x = ctx.registerTable.lookup(r)
            if x >= 0 { regs.formUnion(ctx.registerRelated.row(x)) } else { unknown.insert(r) }
        }
        let end = newCase.closed?.millis ?? (newCase.received.millis + ctx.openCaseMillis)
        let reach = max(closedSlackMs, namedSlackMs, forwardMs, inquiryMs, sessionMs)
        let names = regs.map { ctx.registerTable.ids[Int($0)] } + unknown
        return (names.sorted(), Array(Set(newCase.staff)).sorted(),
                Timestamp(millis: newCase.received.millis - max(ownLateMs, Self.lagHorizonMs / 2) - sessionMs),
                Timestamp(millis: end + reach))
    }

    func resolve(_ e: AccessEvent) -> Ev {
        let ctx = context
        let s = ctx.staffTable.lookup(e.staff)
        var x = ctx.registerTable.lookup(e.register)
        let p = ctx.personTable.lookup(e.person)
        // Empty is unknown: "" names no register, person, office or case (the lookups answer -1 for it).
        if x < 0, Self.absent(e.register), p >= 0 { x = ctx.personRegister[Int(p)] }
        let t = e.at.millis
        let day = e.at.jstDate.day
        var o = ctx.officeTable.lookup(e.office)
        if o < 0 { o = ctx.officeOn(s, day) }
        return Ev(s: s, x: x, p: p, o: o, c: ctx.caseTable.lookup(e.caseID), namedGiven: !Self.absent(e.caseID), t: t,
                  day: day, minute: e.at.jstMinuteOfDay, fuhyo: e.record == .fuhyo)
    }

    /// An optional ID that is missing or empty (empty is unknown). IDs are compared whole, so no normalising here:
    /// the hot path stays free of string scans.
    @inline(__always) static func absent(_ s: String?) -> Bool { s?.isEmpty ?? true }

    @inline(__always) static func jstDay(_ ms: Int64) -> Int32 {
        let v = ms + 9 * 3_600_000
        return Int32(v >= 0 ? v / dayMs : (v - dayMs + 1) / dayMs)
    }

    func evaluate(_ e: AccessEvent, update: Bool) -> AccessFinding {
        let ctx = context
        let ev = resolve(e)
        let isSearch = e.action == .search
            || (Self.absent(e.register) && Self.absent(e.person))
        var mismatch = false
        var found: Found?
        // A search's name is parsed once (explanation, reasons and the session all use it).
        let (qName, qSurname) = isSearch ? Self.queryNameAndSurname(e.query) : (nil, nil)
        if isSearch {
            found = explainSearch(ev, e, query: qName, mismatch: &mismatch)
        } else {
            found = explainRegister(ev, e.register != nil, mismatch: &mismatch)
        }
        if found == nil, !isSearch { found = namesake(ev, print: e.action == .print) }
        if update, let f = found, f.strong, ev.s >= 0 {
            sessionCase[Int(ev.s)] = f.c
            sessionAt[Int(ev.s)] = ev.t
        }

        // Reasons.
        var reasons: [(code: ReasonCode, weight: Double, reason: Reason)] = []
        var mismatchSlip = false
        let strong = found?.strong == true
        let w = config.weights
        let calibrate = config.calibrate
        let taught = !feedback.isEmpty
        let officeID = taught && ev.o >= 0 ? ctx.officeTable.ids[Int(ev.o)] : nil
        func add(_ code: ReasonCode, _ ja: String, _ en: String, fuhyo: Bool = false) {
            var wt = w.weight(code, fuhyo: fuhyo)
            if calibrate { wt = calibration.weight(wt, code, office: ev.o) }
            if taught { wt = feedback.weight(wt, code, office: officeID) }
            reasons.append((code, wt, Reason(code: code.rawValue, ja: ja, en: en)))
        }
        // Every `learnStride`-th strongly explained register access is counted (with that weight): the rates are the
        // same in expectation, at a fraction of the cost, and deterministic (event order).
        // An access whose case is in doubt only for its shape (alone, another office's register) is counted too: else
        // the shape's rate here would be measured only on the accesses it does not hold on.
        if update, calibrate, strong || found?.doubt == .aloneOtherOffice,
           !isSearch, ev.s >= 0 {
            learnTick &+= 1
            if learnTick % Self.learnStride == 0 { learn(ev) }
            learnCase(ev, found!)
        }
        if update, calibrate, !isSearch, ev.s >= 0, ev.x >= 0, ev.t + Self.lagHorizonMs <= ctx.latestCaseReceived {
            observeLags(ev)
        }
        // Amid the accessor's own documented case work: a strongly explained access of theirs `amidCaseMinutes` before.
        let amid = found == nil && ev.s >= 0 && sessionCase[Int(ev.s)] >= 0
            && ev.t >= sessionAt[Int(ev.s)] && ev.t - sessionAt[Int(ev.s)] <= amidMs
        var countedForCalibration = false
        if update, calibrate, found == nil, ev.s >= 0 {
            let contractor = ctx.staffInfo[Int(ev.s)].role == .contractor ? 0b010 : 0
            if isSearch {
                countedForCalibration = learnUndocumented(Int(ev.s), day: ev.day, office: ev.o, applies: 0b010,
                                                          mask: contractor, amid: amid)
            } else {
                learnUndocumented(Int(ev.s), day: ev.day, office: ev.o, applies: 0b011,
                                  mask: contractor | (e.record == .fuhyo ? 0b001 : 0), amid: amid)
            }
        }
        let action = e.action.ja
        // A namesake slip under the named case explains the mismatch; a named case still active in the accessor's
        // own hands is more likely a slip than laundering (weight × weakDamping), but only when something corroborates
        // the slip: the register opened was a row of a result list the accessor saw in this session. Naming one's own
        // active case on a register reached any other way is how a clerk who has read this would hide.
        let slip = ev.c >= 0 && handles(ev.c, ev.s) && ctx.caseCore[Int(ev.c)].received - lateMs <= ev.t
            && ev.t <= ctx.caseCore[Int(ev.c)].end + closedSlackMs
            && (isSearch || listedInSession(ev) != nil || (queriedInSession(ev) && sharesName(ev.c, ev.x)))
        if mismatch, !strong, ev.c >= 0, !(found?.rule == .namesake && found?.c == ev.c) {
            let cid = ctx.caseTable.ids[Int(ev.c)]
            mismatchSlip = slip
            add(.case_mismatch, "指定された業務文書（\(cid)）は開いた戸籍（\(e.register ?? "検索")）に関係しないか期間外",
                "The named case \(cid) does not concern the register opened (\(e.register ?? "search")) or is out of its time window")
        }
        if let f = found, let doubt = f.doubt {
            let cid = ctx.caseTable.ids[Int(f.c)]
            let status = ctx.caseStatus[Int(f.c)]?.rawValue
            switch doubt {
            case .dvAddressAlone:
                add(.self_made_case, "DV等支援措置の対象者の附票（住所）を、本人だけが扱った業務文書（\(cid)）で\(action)（他の職員の確認なし）",
                    "\(Self.pastTense(e.action)) the address attachment of a person under DV support on a document (\(cid)) the accessor alone handled, with no second member of staff")
            case .withdrawn, .stale:
                add(.self_made_case, "根拠の業務文書（\(cid)）は本人だけが扱い、完了していない（\(status ?? "不明")）",
                    "The only document (\(cid)) was handled by the accessor alone and never completed (status \(status ?? "unknown"))")
            case .aloneOtherOffice:
                let keeper = ctx.registerOffice[Int(ev.x)], at = ctx.caseCore[Int(f.c)].office
                let (ja, en) = shapeRate(.alone_other_office, ev.o)
                add(.alone_other_office, "根拠の業務文書（\(cid)、\(ctx.officeNames[Int(at)] ?? ctx.officeTable.ids[Int(at)])受付）は本人だけが扱い、\(ctx.officeNames[Int(keeper)] ?? ctx.officeTable.ids[Int(keeper)])が保管する戸籍についてのもの（\(ja)）",
                    "The only document (\(cid), received at \(ctx.officeTable.ids[Int(at)])) was handled by the accessor alone and is about a register kept by \(ctx.officeTable.ids[Int(keeper)]) (\(en))")
            }
            // Left open for weeks (never withdrawn, never completed) weighs more than a withdrawal, a normal outcome.
            if doubt == .stale { reasons[reasons.count - 1].weight = w.selfMadeOpenCase }
        }
        if let r = e.reason, AuditContext.known(r) != nil, Self.absent(e.caseID) {
            add(.break_glass, "業務文書の代わりに理由を入力して\(action)（「\(r)」）",
                "\(Self.pastTense(e.action)) with a free-text reason instead of a case (\"\(r)\")")
        }
        if e.action == .print {
            let kind = found.flatMap { ctx.caseKind[Int($0.c)] }
            if kind == nil || !(kind!.isCertificate || kind == .inquiry) {
                add(.print_no_request, "証明書の交付請求なしに出力（\(e.record.ja)）",
                    "Printed \(e.record.rawValue) with no certificate request")
            }
        }
        if !strong {
            if isSearch {
                searchReasons(ev, e, query: qName, documented: found != nil, update: update, add: add)
            } else {
                registerReasons(ev, e, update: update, add: add)
            }
            if ev.s >= 0, ctx.staffInfo[Int(ev.s)].role != nil {
                let role = ctx.staffInfo[Int(ev.s)].role!
                if role == .contractor {
                    add(.contractor, "委託業者のアカウントで業務文書なしに\(action)",
                        "A contractor account \(Self.pastTense(e.action).lowercased()) a record with no business document")
                }
                if !ctx.kosekiOn(ev.s, ev.day) {
                    let d = LocalDate(day: ev.day).description
                    add(.off_duty, "\(d)は人事記録上戸籍担当ではない職員による\(action)",
                        "On \(d) the accessor was not assigned to register duty (HR history)")
                }
            }
            if !isSearch, ev.s >= 0 {
                if !searchedFor(ev) {
                    add(.no_search, "検索せずに直接\(e.record.ja)（\(e.register ?? "?")）を業務文書なしで\(action)",
                        "\(Self.pastTense(e.action)) the \(Self.recordEn(e.record)) (\(e.register ?? "?")) directly, with no search and no business document")
                }
                if e.record == .fuhyo, !(found.flatMap { ctx.caseKind[Int($0.c)] }.map(Self.coversFuhyo) ?? false) {
                    add(.fuhyo_no_case, "附票（住所）（\(e.register ?? "?")）を業務文書なしで\(action)",
                        "\(Self.pastTense(e.action)) the address attachment (fuhyo) of \(e.register ?? "?") with no business document")
                }
            }
            if isSearch, found == nil, ev.s >= 0 {
                let series = searchSeries(ev)
                if !series.isEmpty {
                    add(.search_series, "業務文書のない検索が続き（\(series.count + 1)件目）、何も開いていない",
                        "Another search with no business document (number \(series.count + 1) of the session) and nothing opened from them")
                    if update {
                        let r = Reason(code: ReasonCode.search_series.rawValue,
                                       ja: "業務文書のない検索が続いた最初の検索（何も開いていない）",
                                       en: "The first of several searches with no business document in one session, nothing opened")
                        for k in series where !recent[Int(ev.s)][k].flagged {
                            recent[Int(ev.s)][k].flagged = true
                            revisions.append(FindingRevision(access: recent[Int(ev.s)][k].access, reason: r,
                                                             weight: w.searchSeries))
                        }
                    }
                }
            }
            if amid {
                let sc = sessionCase[Int(ev.s)]
                let cid = ctx.caseTable.ids[Int(sc)]
                let minutes = (ev.t - sessionAt[Int(ev.s)]) / 60_000
                let w0 = isSearch ? w.inCaseSessionSearch : w.inCaseSession
                var rateText = ("", "")
                var wt = w0
                if calibrate {
                    let rate = calibration.sessionRateNow
                    wt = calibration.sessionWeight(w0, rate: rate)
                    let tenths = Int((rate * 1000).rounded())
                    let pct = "\(tenths / 10).\(tenths % 10)"
                    rateText = calibration.sessionRateStaff >= SiteCalibration.sessionMinStaff
                        ? ("。この庁の職員の文書なしのアクセスでこの形は中央値\(pct)%",
                           "; at this site the median member of staff makes \(pct)% of their undocumented accesses this way")
                        : ("", "")
                }
                if taught { wt = feedback.weight(wt, .in_case_session, office: officeID) }
                reasons.append((.in_case_session, wt, Reason(
                    code: ReasonCode.in_case_session.rawValue,
                    ja: "業務文書なしに\(isSearch ? "検索" : action + "（" + (e.register ?? "?") + "）")。\(minutes)分前まで本人が案件（\(cid)）の作業中で、その合間のもう1件\(rateText.0)",
                    en: "\(isSearch ? "Searched" : Self.pastTense(e.action) + " " + (e.register ?? "?")) with no business document amid the accessor's own case work (case \(cid), \(minutes) min before): one more inside a genuine session\(rateText.1)")))
            }
            if isNightOrHoliday(ev), !officeWorking(ev) {
                let when = nightLabel(ev)
                add(.night_holiday, "\(when.ja)に業務文書なしで\(action)（同時間帯に受付なし）",
                    "\(Self.pastTense(e.action)) at \(when.en) with no case received around that time")
            }
        }

        // Stateful search volume.
        if isSearch, ev.s >= 0 {
            bulk(ev, explained: found != nil, update: update, add: add)
        }

        // Score.
        var keep = 1.0
        let weak = found != nil && !strong
        if found == nil && !isSearch { keep *= 1 - config.unexplainedBase }
        for r in reasons {
            var wt = r.weight
            if found != nil && !r.code.survivesExplanation { wt *= weak ? config.weakDamping : 0 }
            if r.code == .case_mismatch && mismatchSlip { wt *= config.weakDamping }
            keep *= 1 - min(max(wt, 0), 1)
        }
        // A staff member whose accesses were flagged again and again in the days before: their next unexplained
        // register access, or unexplained search with a reason besides `search_no_case`, weighs a little more (misuse
        // comes in patterns: Osaka 2014 found 56 staff, one with 1,750 searches). Counted on flags before this
        // reason, so it cannot feed itself.
        let flaggedBefore = 1 - keep >= config.flagThreshold
        if found == nil, ev.s >= 0, !isSearch || reasons.contains(where: { $0.code != .search_no_case }) {
            let since = ev.day - Int32(config.patternDays)
            let n = flagDays[Int(ev.s)].reduce(0) { $0 + ($1 >= since && $1 <= ev.day ? 1 : 0) }
            if n >= config.patternMinFlags {
                let capped = n >= Self.flagDaysKept
                add(.staff_pattern, "この職員は直近\(config.patternDays)日に\(n)件\(capped ? "以上" : "")の警報（説明のないアクセスが続く）",
                    "This staff member had \(n)\(capped ? " or more" : "") flagged accesses in the previous \(config.patternDays) days")
                keep *= 1 - min(max(reasons[reasons.count - 1].weight, 0), 1)
            }
        }
        if update, flaggedBefore, ev.s >= 0 {
            flagDays[Int(ev.s)].append(ev.day)
            if flagDays[Int(ev.s)].count > Self.flagDaysKept { flagDays[Int(ev.s)].removeFirst() }
        }
        let score = min(max(1 - keep, 0), 1)
        let explanation = found.map {
            Explanation(rule: $0.rule.rawValue, caseID: $0.c >= 0 ? ctx.caseTable.ids[Int($0.c)] : e.caseID,
                        strength: $0.strong ? .strong : .weak)
        }
        if update {
            eventCount += 1
            lastEventAt = max(lastEventAt ?? Int64.min, ev.t)
            if ev.s >= 0 {
                let si = Int(ev.s)
                closeSessions(si, at: ev.t)
                if isSearch {
                    var list = recent[si].filter { ev.t - $0.t <= sessionMs }
                    list.append(RecentSearch(access: e.id, t: ev.t, results: (e.results ?? []).map { ctx.registerTable.lookup($0) },
                                             unexplained: found == nil, flagged: score >= config.flagThreshold,
                                             c: strong ? found!.c : -1, q: qName, qs: strong ? qSurname : nil,
                                             o: ev.o, counted: countedForCalibration))
                    if list.count > Self.recentLimit { list.removeFirst(list.count - Self.recentLimit) }
                    recent[si] = list
                } else {
                    lastOpenedAt[si] = ev.t
                    let flaggedNow = score >= config.flagThreshold
                    if flaggedNow, ev.x >= 0 {
                        let reg = e.register ?? "?"
                        for k in recent[si].indices {
                            let r = recent[si][k]
                            guard r.unexplained, !r.flagged, ev.t - r.t <= sessionMs, ev.t >= r.t,
                                  r.results.contains(where: { $0 >= 0 && ($0 == ev.x || ctx.registerRelated.contains(ev.x, $0)) })
                            else { continue }
                            recent[si][k].flagged = true
                            revisions.append(FindingRevision(
                                access: r.access,
                                reason: Reason(code: ReasonCode.search_led_to_flag.rawValue,
                                               ja: "業務文書のない検索から警報のアクセス（\(e.id)、\(reg)）へ進んだ",
                                               en: "A search with no business document that led to a flagged access (\(e.id), \(reg))"),
                                weight: w.searchLedToFlag))
                        }
                        for k in recentViews[si].indices {
                            let r = recentViews[si][k]
                            guard !r.flagged, ev.t - r.t <= sessionMs, ev.t >= r.t,
                                  r.results.contains(where: { $0 >= 0 && ($0 == ev.x || ctx.registerRelated.contains(ev.x, $0)) })
                            else { continue }
                            recentViews[si][k].flagged = true
                            revisions.append(FindingRevision(
                                access: r.access,
                                reason: Reason(code: ReasonCode.session_led_to_flag.rawValue,
                                               ja: "同じセッションで同じ戸籍への警報のアクセス（\(e.id)）に続いた、業務文書のないアクセス",
                                               en: "An access with no business document followed in the session by a flagged access to the same register (\(e.id), \(reg))"),
                                weight: w.sessionLedToFlag))
                        }
                    }
                    if found == nil || !strong, ev.x >= 0 {
                        var list = recentViews[si].filter { ev.t - $0.t <= sessionMs }
                        list.append(RecentSearch(access: e.id, t: ev.t, results: [ev.x], unexplained: true, flagged: flaggedNow))
                        if list.count > Self.recentLimit { list.removeFirst(list.count - Self.recentLimit) }
                        recentViews[si] = list
                    }
                }
            }
        }
        var person = e.person
        if person == nil, ev.x >= 0, ctx.registerHead[Int(ev.x)] >= 0 {
            person = ctx.personTable.ids[Int(ctx.registerHead[Int(ev.x)])]
        }
        return AccessFinding(access: e.id, staff: e.staff, at: e.at, explained: found != nil, explanation: explanation,
                             score: score, flagged: score >= config.flagThreshold, reasons: reasons.map(\.reason),
                             register: e.register, person: person,
                             office: e.office ?? (ev.o >= 0 ? ctx.officeTable.ids[Int(ev.o)] : nil))
    }

    static let lagHorizonMs = Int64(FilingLags.horizonDays) * dayMs

    /// Notes, for the learned filing windows, the lag to the next case about this very register received after the
    /// access: one the accessor handled, and one received at the accessor's office or about a register it keeps.
    func observeLags(_ ev: Ev) {
        let ctx = context
        let x = ev.x
        let range = ctx.casesByRegister.range(x)
        var j = ctx.upperBound(ctx.casesByRegister, x, ev.t)
        var own: Int?, office: Int?
        let keeps = ev.o >= 0 && ctx.registerOffice[Int(x)] == ev.o
        while j < range.upperBound, own == nil || office == nil {
            let recv = ctx.casesByRegister.times[j]
            if recv - ev.t >= Self.lagHorizonMs { break }
            let c = ctx.casesByRegister.values[j]
            let d = Int((recv - ev.t) / Self.dayMs)
            if handles(c, ev.s) {
                if own == nil { own = d }
            } else if office == nil, keeps || (ev.o >= 0 && ctx.caseCore[Int(c)].office == ev.o) {
                office = d
            }
            j += 1
        }
        calibration.lags.observe(office: ev.o, own: own, office: office)
    }

    /// How long after an access a late-filed case may arrive at office `o`: the configured default
    /// (`ownLateFilingDays` for the accessor's own case, `officeLateFilingDays` for a request at the office), or longer
    /// where this site's own links say so (``FilingLags``). The window only grows with evidence: a chance link on a
    /// legitimate access costs nothing, a missing link flags it.
    @inline(__always) func late(_ link: FilingLags.Link, _ o: Int32) -> Int64 {
        let def = link == .own ? ownLateMs : officeLateMs
        guard config.calibrate, let d = calibration.lags.days(link, office: o) else { return def }
        return max(def, Int64(d) * Self.dayMs)
    }

    /// Counts the shape of the case that explains a register access (``aloneShape(_:_:_:)``) for the calibration:
    /// on every such access, not every `learnStride`-th (a few comparisons; a stride would alias with any regular
    /// rhythm of the work).
    func learnCase(_ ev: Ev, _ found: Found) {
        let ctx = context
        guard found.c >= 0, ev.x >= 0, ev.o >= 0, ctx.registerOffice[Int(ev.x)] >= 0,
              ctx.caseCore[Int(found.c)].office >= 0 else { return }
        let holds = alone(found.c, ev.s) && otherOffice(found.c, ev, ev.x)
        calibration.count(office: ev.o, applies: SiteCalibration.aloneOtherOfficeBit,
                          mask: holds ? SiteCalibration.aloneOtherOfficeBit : 0)
    }

    /// Counts a strongly explained register access for the site calibration: which contextual reasons would hold
    /// on it if it had no document.
    func learn(_ ev: Ev) {
        let ctx = context
        var mask = 0
        if !searchedFor(ev) { mask |= 1 << 0 }
        if isNightOrHoliday(ev), !officeWorking(ev) { mask |= 1 << 1 }
        let info = ctx.staffInfo[Int(ev.s)]
        if info.role != nil, !ctx.kosekiOn(ev.s, ev.day) { mask |= 1 << 2 }
        if info.role == .contractor { mask |= 1 << 3 }
        if info.chome >= 0, ev.x >= 0 {
            for m in ctx.registerMembers.row(ev.x) where m >= 0 && m != info.person && ctx.personChome[Int(m)] == info.chome {
                mask |= 1 << 4
                break
            }
        }
        for _ in 0..<Self.learnStride {
            calibration.count(office: ev.o, applies: SiteCalibration.registerMask, mask: mask)
        }
    }

    /// Counts an undocumented access of staff member `s` for the calibration, at most `perStaffDay` a day.
    /// `amid`: whether it was made amid the accessor's own case work (`in_case_session`).
    /// Returns whether it was counted (false: the day's allowance was used up).
    @discardableResult
    func learnUndocumented(_ s: Int, day: Int32, office: Int32, applies: Int, mask: Int, amid: Bool) -> Bool {
        if uDay[s] != day {
            uDay[s] = day
            uCount[s] = 0
        }
        guard uCount[s] < Int32(calibration.perStaffDay) else { return false }
        uCount[s] += 1
        calibration.countUndocumented(office: office, applies: applies, mask: mask)
        calibration.countSession(staff: s, amidCaseWork: amid)
        return true
    }

    // MARK: Explanation rules

    @inline(__always) func concerns(_ c: Int32, _ x: Int32) -> Bool {
        let ctx = context
        let row = ctx.caseRegisters.row(c)
        for cr in row where cr == x { return true }
        for cr in row where ctx.registerRelated.contains(x, cr) { return true }
        return false
    }

    @inline(__always) func handles(_ c: Int32, _ s: Int32) -> Bool {
        guard s >= 0 else { return false }
        let core = context.caseCore[Int(c)]
        if core.staff0 == s { return true }
        if core.staffCount <= 1 { return false }
        for h in context.caseStaff.row(c) where h == s { return true }
        return false
    }

    /// How often the case shape `code` holds on strongly explained accesses at office `o`, as a plain clause (ja, en):
    /// what an auditor says when asked why a closed case did not clear the access.
    func shapeRate(_ code: ReasonCode, _ o: Int32) -> (String, String) {
        guard let k = SiteCalibration.index(code) else { return ("", "") }
        let basis = Int((calibration.rate(k, office: o) * 10_000).rounded())
        let pct = "\(basis / 100)." + (basis % 100 < 10 ? "0" : "") + "\(basis % 100)"
        return ("この庁で業務文書に説明される閲覧のうちこの形は\(pct)%", "\(pct)% of accesses explained by a document here have this shape")
    }

    /// Whether case `c`, handled by accessor `s` alone, is in doubt as an explanation: withdrawn, or left open and
    /// never completed. A second member of staff on it clears the doubt.
    func selfMade(_ c: Int32, _ s: Int32) -> Doubt? {
        let ctx = context
        let core = ctx.caseCore[Int(c)]
        guard alone(c, s) else { return nil }
        switch core.status {
        case .withdrawn: return .withdrawn
        case .open: if core.received < ctx.latestCaseReceived - staleMs { return .stale }
        default: break
        }
        return nil
    }

    /// Why case `c` is in doubt as the explanation of `ev` on register `x`, if it is (the first that holds).
    @inline(__always) func doubt(_ c: Int32, _ ev: Ev, _ x: Int32) -> Doubt? {
        selfMade(c, ev.s) ?? dvAddressAlone(c, ev, x) ?? aloneShape(c, ev, x)
    }

    /// Whether member of staff `s` alone handled case `c` (a case with no staff recorded is nobody's).
    @inline(__always) func alone(_ c: Int32, _ s: Int32) -> Bool {
        guard s >= 0 else { return false }
        let core = context.caseCore[Int(c)]
        guard core.staff0 == s else { return false }
        return core.staffCount <= 1 || context.caseStaff.row(c).allSatisfy { $0 == s }
    }

    /// Whether case `c` was received at an office other than the one keeping register `x`, and the accessor's office
    /// is not the keeping one either (every office known: an unknown one proves nothing).
    @inline(__always) func otherOffice(_ c: Int32, _ ev: Ev, _ x: Int32) -> Bool {
        guard x >= 0, ev.o >= 0 else { return false }
        let keeper = context.registerOffice[Int(x)], office = context.caseCore[Int(c)].office
        return keeper >= 0 && office >= 0 && keeper != office && keeper != ev.o
    }

    /// Issue 18 F-4 and issue 16's insider: a case only the accessor handled, about a register another office keeps
    /// (received neither where the register is kept nor where the accessor works), is the shape a case made up to look
    /// under another ward's register has; one need not withdraw it, it can be closed as done. But where a counter
    /// issues every ward's certificates, it is also the shape of ordinary work. So the doubt is earned from the site's
    /// own data: the calibration counts how often strongly explained accesses at the office have the shape
    /// (``SiteCalibration``, `alone_other_office`, presumed ordinary until the data says otherwise), and only where that
    /// rate is at most `aloneRareRate` is the case a weak explanation and the reason counted.
    ///
    /// A case about a protected person handled by one clerk is not put in doubt this way: a VIP's own request taken
    /// at one counter looks the same in the records (docs/audit.md says what that leaves open).
    func aloneShape(_ c: Int32, _ ev: Ev, _ x: Int32) -> Doubt? {
        guard config.calibrate, x >= 0, alone(c, ev.s), otherOffice(c, ev, x),
              let k = SiteCalibration.index(.alone_other_office),
              calibration.rate(k, office: ev.o) <= config.aloneRareRate else { return nil }
        return .aloneOtherOffice
    }

    /// The address attachment (附票) of a person under DV support on the access's day, opened on a case that only the
    /// accessor handled: the harm Akashi exists to prevent (a DV victim's new address handed out), so a single pair
    /// of hands is no strong explanation; a second member of staff on the case (the supervisor's check) is.
    func dvAddressAlone(_ c: Int32, _ ev: Ev, _ x: Int32) -> Doubt? {
        let ctx = context
        guard ev.fuhyo, x >= 0, alone(c, ev.s), !ctx.protectedPersons.isEmpty else { return nil }
        for m in ctx.registerMembers.row(x) where m >= 0 {
            for i in Int(ctx.personProtOffsets[Int(m)])..<Int(ctx.personProtOffsets[Int(m) + 1]) {
                let pr = ctx.prots[i]
                if pr.kind == .dv_support, pr.from <= ev.day, ev.day <= pr.to { return .dvAddressAlone }
            }
        }
        return nil
    }

    func colleagueHandles(_ c: Int32, _ ev: Ev) -> Bool {
        guard ev.o >= 0 else { return false }
        let ctx = context
        for h in ctx.caseStaff.row(c) where h != ev.s && ctx.officeOn(h, ev.day) == ev.o { return true }
        return false
    }

    /// Whether an access at `t` by staff `s` falls in the window of the case it names: from received − late keying
    /// (− `ownLateFilingDays` when the accessor handles the case) to closed + `namedCaseSlackDays`.
    func namedWindow(_ c: Int32, _ t: Int64, _ s: Int32 = -1, office o: Int32 = -1) -> Bool {
        let ctx = context
        let core = ctx.caseCore[Int(c)]
        let late = s >= 0 && handles(c, s) ? late(.own, o) : lateMs
        return core.received - late <= t && t <= core.end + namedSlackMs
    }

    /// Rank of case `c` as an explanation of a register access (lower is better), or nil.
    /// `same`: the case is about the opened register itself (not only a related one).
    @inline(__always) func classify(_ c: Int32, _ ev: Ev, _ x: Int32, same: Bool = false) -> Found? {
        let ctx = context
        let core = ctx.caseCore[Int(c)]
        let recv = core.received, end = core.end
        let mine = handles(c, ev.s)
        // A case about this very register, handled by this very clerk, filed up to `ownLateFilingDays` after the work
        // (an inquiry taken by phone, filed days later) still explains it: such a coincidence is rare by chance.
        if same, !mine, recv > ev.t {
            // A request about this very register, received within `officeLateFilingDays` after the work at the
            // accessor's office (the paper form keyed in later by whoever does the keying, a back office) or at
            // another office when the accessor's office keeps the register (a notification filed elsewhere reaches
            // the keeping office, which enters it before the filing office has keyed its receipt).
            if recv - late(.office, ev.o) <= ev.t, ev.o >= 0, core.office == ev.o || ctx.registerOffice[Int(x)] == ev.o {
                return Found(rule: .late_filed, c: c, strong: true)
            }
            guard recv - lateMs <= ev.t else { return nil }
        }
        guard recv - (same && mine ? late(.own, ev.o) : lateMs) <= ev.t else { return nil }
        let kind = core.kind
        if mine, ev.t <= end + closedSlackMs {
            let rule: Rule = kind == .inquiry ? .inquiry : kind == .correction ? .correction : .own_case
            let sm = doubt(c, ev, x)
            return Found(rule: rule, c: c, strong: sm == nil, doubt: sm)
        }
        if kind == .inquiry || kind == .correction, ev.t <= end + inquiryMs,
           mine || (ev.o >= 0 && (core.office == ev.o || ctx.registerOffice[Int(x)] == ev.o)) {
            return Found(rule: kind == .inquiry ? .inquiry : .correction, c: c, strong: true)
        }
        if Self.jstDay(recv - lateMs) <= ev.day, ev.day <= Self.jstDay(end), colleagueHandles(c, ev) {
            return Found(rule: .colleague_case, c: c, strong: true)
        }
        let keeper = ctx.registerOffice[Int(x)]
        if keeper >= 0, ev.o == keeper, core.office != keeper, ev.t <= end + forwardMs {
            return Found(rule: .forwarded_case, c: c, strong: true)
        }
        return nil
    }

    @inline(__always) static func rank(_ f: Found) -> Int {
        if f.selfMade { return 4 }
        switch f.rule {
        case .named_case, .own_case: return 0
        case .inquiry, .correction: return 1
        case .colleague_case: return 2
        case .forwarded_case, .late_filed: return 3
        case .namesake: return 5
        }
    }

    func explainRegister(_ ev: Ev, _ registerGiven: Bool, mismatch: inout Bool) -> Found? {
        let ctx = context
        let x = ev.x
        if ev.c >= 0 {
            if x >= 0 {
                if concerns(ev.c, x), namedWindow(ev.c, ev.t, ev.s, office: ev.o) {
                    let sm = doubt(ev.c, ev, x)
                    return Found(rule: .named_case, c: ev.c, strong: sm == nil, doubt: sm)
                }
                mismatch = true
            } else {
                // The register is unknown to the reference data: the named case cannot be checked.
                if namedWindow(ev.c, ev.t) { return Found(rule: .named_case, c: ev.c, strong: false) }
                mismatch = true
            }
        }
        guard x >= 0 else { return nil }
        var best: Found?
        var bestRank = Int.max
        let lo = ev.t - lookbackMs
        let reach = max(late(.own, ev.o), late(.office, ev.o))
        // The register itself first (most explanations), then the related ones.
        let related = ctx.registerRelated.range(x)
        for ri in (related.lowerBound - 1)..<related.upperBound {
            let r = ri < related.lowerBound ? x : ctx.registerRelated.values[ri]
            if ri >= related.lowerBound && r == x { continue }
            let start = ctx.casesByRegister.range(r).lowerBound
            var j = ctx.upperBound(ctx.casesByRegister, r, ev.t + (r == x ? reach : lateMs)) - 1
            while j >= start {
                if ctx.casesByRegister.times[j] < lo { break }
                let c = ctx.casesByRegister.values[j]
                if let f = classify(c, ev, x, same: r == x) {
                    let k = Self.rank(f)
                    if k < bestRank {
                        best = f
                        bestRank = k
                        if k == 0 { return best }
                    }
                }
                j -= 1
            }
        }
        return best
    }

    /// A register opened in the same session as a case for a person of the same name: weakly explained.
    ///
    /// A slip needs corroboration: the register must be a row of a result list the accessor saw in this session
    /// (one cannot pick the wrong row of a list one never saw). Then it is the wrong row of a search that served a
    /// case, or it lists a person whose real (non-empty) name or kana is that of a person of the case the accessor
    /// was working in the session or of an active case in their hands.
    ///
    /// A slip is one look at the wrong row: printing that register, or opening it (or its 附票) again in the session,
    /// is not a slip.
    func namesake(_ ev: Ev, print: Bool) -> Found? {
        let ctx = context
        guard ev.s >= 0, ev.x >= 0, !print, !openedInSession(ev) else { return nil }
        let listed = listedInSession(ev)
        if let listed, listed >= 0 { return Found(rule: .namesake, c: listed, strong: false) }
        // Or the accessor typed, in this session, the real name of a person the register lists (a search log may
        // keep only the row chosen, but a name search shows every namesake).
        guard listed != nil || queriedInSession(ev) else { return surnameSlip(ev) }
        func sameName(_ c: Int32) -> Bool { sharesName(c, ev.x) }
        let sc = sessionCase[Int(ev.s)]
        if sc >= 0, ev.t - sessionAt[Int(ev.s)] <= sessionMs, ev.t >= sessionAt[Int(ev.s)] - sessionMs, sameName(sc) {
            return Found(rule: .namesake, c: sc, strong: false)
        }
        let start = ctx.casesByStaff.range(ev.s).lowerBound
        var j = ctx.upperBound(ctx.casesByStaff, ev.s, ev.t + sessionMs) - 1
        while j >= start {
            if ctx.casesByStaff.times[j] < ev.t - lookbackMs { break }
            let c = ctx.casesByStaff.values[j]
            if ev.t <= ctx.caseEnd[Int(c)] + sessionMs, sameName(c) {
                return Found(rule: .namesake, c: c, strong: false)
            }
            j -= 1
        }
        return surnameSlip(ev)
    }

    /// The wrong row of a name search that served a case, when the logged result list (often narrowed, for example by
    /// the year of birth) does not show it: the register lists a person whose surname (name or kana) is the one the
    /// accessor searched for in this session. Only a search that served a case gives this cover: a search with no
    /// document behind it explains nothing.
    func surnameSlip(_ ev: Ev) -> Found? {
        let ctx = context
        for r in recent[Int(ev.s)].reversed() where r.c >= 0 && ev.t - r.t <= sessionMs && ev.t >= r.t {
            guard let qs = r.qs else { continue }
            for m in ctx.registerMembers.row(ev.x) where m >= 0 && ctx.hasSurname(m, qs) {
                return Found(rule: .namesake, c: r.c, strong: false)
            }
        }
        return nil
    }

    /// Whether the accessor already opened this register, with no strong explanation, earlier in the session.
    func openedInSession(_ ev: Ev) -> Bool {
        recentViews[Int(ev.s)].contains { ev.t - $0.t <= sessionMs && ev.t >= $0.t && $0.results.first == ev.x }
    }

    /// Whether register `x` lists a person whose real name or kana is that of a person of case `c`.
    func sharesName(_ c: Int32, _ x: Int32) -> Bool {
        guard c >= 0, x >= 0 else { return false }
        let ctx = context
        for q in ctx.casePersons.row(c) where q >= 0 {
            let n = ctx.personNameID[Int(q)], k = ctx.personKanaID[Int(q)]
            for m in ctx.registerMembers.row(x) where m >= 0 && m != q {
                if n >= 0 && ctx.personNameID[Int(m)] == n { return true }
                if k >= 0 && ctx.personKanaID[Int(m)] == k { return true }
            }
        }
        return false
    }

    /// Whether a search of the accessor's in this session asked for the real (non-empty) name or kana of a person
    /// the register lists. (Requiring the query's year of birth to match as well was tried: on the fit profiles it
    /// dismissed genuine slips, whose logs give the intended person's birth year, and cost more than it caught.)
    func queriedInSession(_ ev: Ev) -> Bool {
        guard ev.s >= 0, ev.x >= 0 else { return false }
        let ctx = context
        for r in recent[Int(ev.s)] where ev.t - r.t <= sessionMs && ev.t >= r.t {
            guard let q = r.q, !q.isEmpty else { continue }
            for m in ctx.registerMembers.row(ev.x) where m >= 0 {
                if ctx.personSearchName[Int(m)] == q || ctx.personSearchKana[Int(m)] == q { return true }
            }
        }
        return false
    }


    /// Whether the register was a row of a result list the accessor saw in this session: the case the newest such
    /// search served (≥ 0), -1 when only searches that served no case listed it, nil when none did.
    func listedInSession(_ ev: Ev) -> Int32? {
        guard ev.s >= 0, ev.x >= 0 else { return nil }
        var found: Int32?
        for r in recent[Int(ev.s)].reversed() where ev.t - r.t <= sessionMs && ev.t >= r.t && r.results.contains(ev.x) {
            if r.c >= 0 { return r.c }
            found = -1
        }
        return found
    }

    /// Whether case `c` is what a search served: its registers among the results, or its persons' names in the query.
    /// A long result list says little: a related register among dozens of surname hits is chance. Related registers
    /// count only in lists up to this long; the case's own register counts in any list.
    static let relatedResultLimit = 5

    func searchMatches(_ c: Int32, results: [Int32], query: String?, queryID: Int32, prefix: Bool) -> Bool {
        let ctx = context
        let rows = ctx.caseRegisters.row(c)
        for r in results where r >= 0 {
            for cr in rows where cr == r { return true }
        }
        if results.count <= Self.relatedResultLimit {
            for r in results where r >= 0 {
                for cr in rows where ctx.registerRelated.contains(r, cr) { return true }
            }
        }
        guard let q = query, !q.isEmpty else { return false }
        for p in ctx.casePersons.row(c) where p >= 0 {
            if queryID >= 0, ctx.personNameID[Int(p)] == queryID || ctx.personKanaID[Int(p)] == queryID { return true }
            // A prefix of the case person's name serves the case when it reaches past the surname (a surname alone
            // is shared by many; then the result list must show the case's register).
            if prefix, (ctx.personSearchName[Int(p)].hasPrefix(q) && q.count > ctx.personSurnameLength[Int(p)])
                || (ctx.personSearchKana[Int(p)].hasPrefix(q) && q.count > ctx.personKanaSurnameLength[Int(p)]) {
                return true
            }
        }
        return false
    }

    /// The name or kana a search asked for (the first of `name`, `kana`, `氏名` with a known value), normalised, and
    /// its surname part: up to the first blank, or the whole when it has none (a surname alone). On UTF-8 bytes: this
    /// runs for every search.
    static func queryNameAndSurname(_ q: JSONValue?) -> (String?, String?) {
        guard let q else { return (nil, nil) }
        for key in ["name", "kana", "氏名"] {
            guard var v = q[key]?.stringValue, let whole = AuditContext.known(v) else { continue }
            v.makeContiguousUTF8()
            // Skip leading blanks, then stop at the first blank (ASCII white space, C2 A0, E3 80 80).
            let cut: (Int, Int)? = v.utf8.withContiguousStorageIfAvailable { b in
                func blank(_ i: Int) -> Int { AuditContext.blankBytes(b, at: i) }
                var i = 0
                while i < b.count, case let n = blank(i), n > 0 { i += n }
                let start = i
                while i < b.count, blank(i) == 0 { i += 1 }
                var rest = i
                while rest < b.count, case let n = blank(rest), n > 0 { rest += n }
                return rest < b.count ? (start, i) : nil  // nothing after the first word: a surname alone
            } ?? nil
            guard let (a, z) = cut else { return (whole, whole) }
            let u = v.utf8
            return (whole, String(decoding: u[u.index(u.startIndex, offsetBy: a)..<u.index(u.startIndex, offsetBy: z)], as: UTF8.self))
        }
        return (nil, nil)
    }

    func explainSearch(_ ev: Ev, _ e: AccessEvent, query: String?, mismatch: inout Bool) -> Found? {
        let ctx = context
        let results = (e.results ?? []).map { ctx.registerTable.lookup($0) }
        // The name's ID is looked up only when the results alone do not settle it.
        var looked = false
        var queryID: Int32 = -1
        func parse() {
            guard !looked else { return }
            looked = true
            queryID = ctx.nameIDs.lookup(query)
        }
        func matches(_ c: Int32, prefix: Bool, shortListOnly: Bool = false) -> Bool {
            if !shortListOnly || results.count <= Self.relatedResultLimit,
               searchMatches(c, results: results, query: nil, queryID: -1, prefix: false) { return true }
            guard e.query != nil else { return false }
            parse()
            return searchMatches(c, results: [], query: query, queryID: queryID, prefix: prefix)
        }
        if ev.c >= 0 {
            if namedWindow(ev.c, ev.t), (results.isEmpty && e.query == nil) || matches(ev.c, prefix: true) {
                let sm = selfMade(ev.c, ev.s)
                // A view or print that names no register (empty is unknown) cannot be checked against the case.
                return Found(rule: .named_case, c: ev.c, strong: sm == nil && e.action == .search, doubt: sm)
            }
            mismatch = true
        }
        guard ev.s >= 0 else { return nil }
        // Own cases in the window: results first (integers), then names.
        var selfMadeHit: Found?
        let start = ctx.casesByStaff.range(ev.s).lowerBound
        // The accessor's own cases, filed up to `ownLateFilingDays` after the search.
        let top = ctx.upperBound(ctx.casesByStaff, ev.s, ev.t + late(.own, ev.o)) - 1
        for pass in 0..<2 {
            var j = top
            while j >= start {
                if ctx.casesByStaff.times[j] < ev.t - lookbackMs { break }
                let c = ctx.casesByStaff.values[j]
                let kind = ctx.caseKind[Int(c)]
                let reach = kind == .inquiry || kind == .correction ? inquiryMs : closedSlackMs
                if ev.t <= ctx.caseEnd[Int(c)] + reach {
                    let hit: Bool
                    if pass == 0 {
                        hit = searchMatches(c, results: results, query: nil, queryID: -1, prefix: false)
                    } else {
                        hit = searchMatches(c, results: [], query: query, queryID: queryID, prefix: true)
                    }
                    if hit {
                        let rule: Rule = kind == .inquiry ? .inquiry : kind == .correction ? .correction : .own_case
                        let sm = selfMade(c, ev.s)
                        let f = Found(rule: rule, c: c, strong: sm == nil, doubt: sm)
                        if !f.selfMade { return f }
                        if selfMadeHit == nil { selfMadeHit = f }
                    }
                }
                j -= 1
            }
            if pass == 0 && e.query == nil { break }
        }
        // Colleagues' cases of the accessor's office that day: the exact name, or the case's register in a short list.
        // An office has many cases a day; one of their registers among dozens of surname hits is chance (on the fit
        // profiles, 9 in 10 such searches opened nothing of the colleague's case).
        if ev.o >= 0 {
            let ostart = ctx.casesByOffice.range(ev.o).lowerBound
            var k = ctx.upperBound(ctx.casesByOffice, ev.o, ev.t + lateMs) - 1
            while k >= ostart {
                if ctx.casesByOffice.times[k] < ev.t - Self.dayMs { break }
                let c = ctx.casesByOffice.values[k]
                if Self.jstDay(ctx.caseReceived[Int(c)] - lateMs) <= ev.day, ev.day <= Self.jstDay(ctx.caseEnd[Int(c)]),
                   !handles(c, ev.s), matches(c, prefix: false, shortListOnly: true), colleagueHandles(c, ev) {
                    return Found(rule: .colleague_case, c: c, strong: true)
                }
                k -= 1
            }
        }
        return selfMadeHit
    }

    // MARK: Risk reasons

    typealias Add = (ReasonCode, String, String, Bool) -> Void

    func registerReasons(_ ev: Ev, _ e: AccessEvent,
                         update: Bool, add: (ReasonCode, String, String, Bool) -> Void) {
        let ctx = context
        let action = e.action.ja
        let what = e.record.ja
        let whatEn = Self.recordEn(e.record)
        let verbEn = Self.pastTense(e.action)
        let reg = e.register ?? "?"
        let fuhyo = e.record == .fuhyo
        var have = Set<ReasonCode>()
        func once(_ code: ReasonCode, _ ja: String, _ en: String) {
            guard !have.contains(code) else { return }
            have.insert(code)
            add(code, ja, en, fuhyo)
        }
        let s = ev.s
        let info = s >= 0 ? ctx.staffInfo[Int(s)] : nil
        if s >= 0, ev.x >= 0, ctx.staffOwnRegisters.contains(s, ev.x) {
            once(.own_register, "職員本人の戸籍（\(reg)）の\(what)を業務文書なしで\(action)",
                 "\(verbEn) the accessor's own \(whatEn) (\(reg)) with no business document")
        }
        var selfMember: Int32 = -1
        var persons: [Int32] = ev.x >= 0 ? Array(ctx.registerMembers.row(ev.x)) : []
        if ev.p >= 0, !persons.contains(ev.p) { persons.append(ev.p) }
        for q in persons where q >= 0 {
            let pid = ctx.personTable.ids[Int(q)]
            for i in Int(ctx.personProtOffsets[Int(q)])..<Int(ctx.personProtOffsets[Int(q) + 1]) {
                let pr = ctx.prots[i]
                guard pr.from <= ev.day, ev.day <= pr.to else { continue }
                let note = pr.note.map { "（\($0)）" } ?? ""
                let noteEn = pr.note.map { " (\($0))" } ?? ""
                switch pr.kind {
                case .vip:
                    once(.vip, "VIP\(note)の\(what)（\(reg)）を業務文書なしで\(action)",
                         "\(verbEn) a VIP's \(whatEn)\(noteEn) (\(reg)) with no business document")
                case .dv_support:
                    once(.dv_support, "DV等支援措置の対象者（\(pid)）の\(what)（\(reg)）を業務文書なしで\(action)",
                         "\(verbEn) the \(whatEn) (\(reg)) of a person under DV support measures (\(pid)) with no business document")
                default: break
                }
            }
            if let info, !have.contains(.own_register) {
                if q == info.person {
                    selfMember = q
                    continue
                }
                if let rel = info.relatives.first(where: { $0.person == q }) {
                    if rel.kind == .former_spouse {
                        once(.former_spouse, "元配偶者（\(pid)）の\(what)（\(reg)）を業務文書なしで\(action)",
                             "\(verbEn) the \(whatEn) (\(reg)) of the accessor's former spouse (\(pid)) with no business document")
                    } else {
                        let (rj, re) = Self.relationLabel(rel.kind)
                        once(.relative, "職員の親族（\(rj)、\(pid)）の\(what)（\(reg)）を業務文書なしで\(action)",
                             "\(verbEn) the \(whatEn) (\(reg)) of the accessor's relative (\(re), \(pid)) with no business document")
                    }
                    continue
                }
                let t = ctx.personStaff[Int(q)]
                if t >= 0, t != s, ev.o >= 0, ctx.officeOn(t, ev.day) == ev.o {
                    let tid = ctx.staffTable.ids[Int(t)]
                    once(.coworker, "同じ職場の職員（\(tid)）の\(what)（\(reg)）を業務文書なしで\(action)",
                         "\(verbEn) the \(whatEn) (\(reg)) of a coworker at the same office (\(tid)) with no business document")
                } else if t >= 0, t != s, ctx.everSharedOffice(s, t) {
                    // A former (or later) colleague: HR history shows an office they both worked at.
                    let tid = ctx.staffTable.ids[Int(t)]
                    once(.coworker, "同じ職場にいたことのある職員（\(tid)）の\(what)（\(reg)）を業務文書なしで\(action)",
                         "\(verbEn) the \(whatEn) (\(reg)) of a former or later colleague at the same office (\(tid)) with no business document")
                }
                if info.chome >= 0, ctx.personChome[Int(q)] == info.chome {
                    let c = ctx.chomeNames[Int(info.chome)]
                    once(.neighbour, "職員の自宅と同じ町丁目（\(c)）に住む人（\(pid)）の\(what)を業務文書なしで\(action)",
                         "\(verbEn) the \(whatEn) of a person (\(pid)) living in the accessor's own neighbourhood (\(c)) with no business document")
                }
            }
        }
        // Listed in a register that is neither theirs nor a relative's (e.g. a closed one): their own record.
        if selfMember >= 0, !have.contains(.relative), !have.contains(.former_spouse) {
            let pid = ctx.personTable.ids[Int(selfMember)]
            once(.own_register, "職員本人（\(pid)）が載る\(what)（\(reg)）を業務文書なしで\(action)",
                 "\(verbEn) a \(whatEn) (\(reg)) that records the accessor (\(pid)) with no business document")
        }
        // repeated
        if s >= 0 {
            var subject: Int32 = -1
            if ev.p >= 0 {
                subject = ev.p
            } else if ev.x >= 0 {
                let h = ctx.registerHead[Int(ev.x)]
                subject = h >= 0 ? h : Int32(ctx.personTable.count) + ev.x
            }
            if subject >= 0,
               let r = returnVisit(staff: s, subject: Int64(subject), day: ev.day, minPrior: config.repeatedMinPriorDays,
                              update: update) {
                let name = subject < ctx.personTable.count ? ctx.personTable.ids[Int(subject)] : reg
                once(.repeated, "同じ人（\(name)）への説明のない\(action)が\(r.first)以降\(r.days)日目（計\(r.count)回）",
                     "Repeated unexplained access to the same person (\(name)): day \(r.days) since \(r.first), \(r.count) accesses in all")
            }
        }
    }

    /// The repeat record of staff `s` and a subject (person, register or searched name): when the staff member
    /// already came back to it on at least `minPrior` other days in the window, the first of those days, how many days
    /// with this one and how many accesses in all; nil otherwise. With `update`, this day and access are recorded.
    func returnVisit(staff s: Int32, subject: Int64, day: Int32, minPrior: Int, update: Bool)
        -> (first: String, days: Int, count: Int)? {
        let key = (Int64(s) << 32) | subject
        var entry = repeats[key] ?? ([], 0)
        let since = day - Int32(config.repeatedWindowDays)
        let prior = entry.days.filter { $0 >= since && $0 != day }
        let result = prior.count >= minPrior
            ? (LocalDate(day: prior.first!).description, prior.count + 1, entry.count + 1) : nil
        if update {
            if entry.days.last != day {
                entry.days.append(day)
                if entry.days.count > 16 { entry.days.removeFirst(entry.days.count - 16) }
            }
            entry.count += 1
            repeats[key] = entry
        }
        return result
    }

    func searchReasons(_ ev: Ev, _ e: AccessEvent, query q: String?, documented: Bool, update: Bool,
                       add: (ReasonCode, String, String, Bool) -> Void) {
        let ctx = context
        let shown = q ?? (e.results.map { "\($0.count)件" } ?? "")
        if !documented {
            add(.search_no_case, "業務文書なしで検索（\(shown)）", "Searched with no business document (\(shown))", false)
        }
        // The same full name or kana (some person's), asked with no document on other days: a search kept up over
        // days (a surname alone is no one's name and is not followed). Three days at least. A name or kana that only
        // one person carries is that person: asking for 中西 麻衣 one day and なかにし まい another, or opening her
        // register, is coming back to the same person.
        if !documented, ev.s >= 0, let q, case let qid = ctx.nameIDs.lookup(q), qid >= 0,
           case let owner = ctx.nameOwner[Int(qid)],
           let r = returnVisit(staff: ev.s,
                               subject: owner >= 0 ? Int64(owner)
                                   : Int64(ctx.personTable.count + ctx.registerTable.count) + Int64(qid),
                               day: ev.day, minPrior: max(2, config.repeatedMinPriorDays), update: update) {
            add(.repeated, "同じ名前（\(q)）を業務文書なしに\(r.first)以降\(r.days)日目の検索（計\(r.count)回）",
                "The same name (\(q)) searched with no business document on day \(r.days) since \(r.first), \(r.count) searches in all", false)
        }
        // Protected persons in the results or the query.
        var hit: (Int32, ProtectionKind)?
        /// Whether the hit is only a row of a long result list (a surname search lists dozens): chance, mostly.
        var onlyInLongList = false
        func protectedNow(_ p: Int32) -> ProtectionKind? {
            for i in Int(ctx.personProtOffsets[Int(p)])..<Int(ctx.personProtOffsets[Int(p) + 1]) {
                let pr = ctx.prots[i]
                if (pr.kind == .vip || pr.kind == .dv_support), pr.from <= ev.day, ev.day <= pr.to { return pr.kind }
            }
            return nil
        }
        if !ctx.protectedPersons.isEmpty {
            outer: for r in e.results ?? [] {
                let x = ctx.registerTable.lookup(r)
                guard x >= 0 else { continue }
                for m in ctx.registerMembers.row(x) where m >= 0 {
                    if let k = protectedNow(m) {
                        hit = (m, k)
                        break outer
                    }
                }
            }
            // The query: the protected person's full name or kana, or the start of it past the surname. A query of
            // the surname alone names them only when few people carry that surname here (`rareSurnamePersons`): a
            // surname shared with hundreds of people says nothing about whom the clerk was after.
            // A protected person among dozens of rows of a broad search says little about whom the clerk was after
            // (the same chance as `relatedResultLimit` for the case a search served): unless the query itself names
            // them (below), such a row weighs `searchProtectedInList`, which does not flag alone.
            let listed = hit
            if hit != nil, (e.results?.count ?? 0) > Self.relatedResultLimit { hit = nil }
            if hit == nil, let q, !q.isEmpty {
                let qid = ctx.nameIDs.lookup(q)
                for p in ctx.protectedPersons {
                    guard let k = protectedNow(p) else { continue }
                    if qid >= 0, ctx.personNameID[Int(p)] == qid || ctx.personKanaID[Int(p)] == qid {
                        hit = (p, k)
                        break
                    }
                    for (full, surname) in [(ctx.personSearchName[Int(p)], ctx.personSurnameLength[Int(p)]),
                                            (ctx.personSearchKana[Int(p)], ctx.personKanaSurnameLength[Int(p)])]
                    where !full.isEmpty && full.hasPrefix(q) {
                        let n = q.count
                        if n > surname || (n == surname && ctx.surnameCount[q, default: 0] <= config.rareSurnamePersons) {
                            hit = (p, k)
                        }
                    }
                    if hit != nil { break }
                }
            }
            if hit == nil, let listed {
                hit = listed
                onlyInLongList = true
            }
        }
        if let (p, k) = hit {
            let pid = ctx.personTable.ids[Int(p)]
            let (kj, ke) = k == .vip ? ("VIP", "a VIP") : ("DV等支援措置の対象者", "a person under DV support measures")
            if onlyInLongList {
                let n = e.results?.count ?? 0
                add(.search_protected, "業務文書なしの検索（\(shown)）の結果一覧\(n)件に\(kj)（\(pid)）が含まれる（検索語はその人を名指ししていない）",
                    "A search with no business document (\(shown)) listed \(ke) (\(pid)) among \(n) results (the query does not name them)",
                    true)
            } else {
                add(.search_protected, "業務文書なしで\(kj)（\(pid)）の名前を検索", "Searched for \(ke) (\(pid)) with no business document",
                    false)
            }
        }
    }

    /// Case kinds whose document covers the address attachment (附票).
    static func coversFuhyo(_ k: CaseKind) -> Bool {
        k == .certificate_fuhyo || k == .inquiry || k == .correction
    }

    /// Searches of staff member `si` whose session is over by `t`: an undocumented search that listed results and
    /// from which nothing was opened is revised with `search_nothing_opened`; then they are forgotten.
    func closeSessions(_ si: Int, at t: Int64) {
        guard recent[si].contains(where: { t - $0.t > sessionMs }) else { return }
        let opened = lastOpenedAt[si]
        // Site calibration: how often documented searches that listed results end with nothing opened here.
        if config.calibrate {
            for r in recent[si] where t - r.t > sessionMs && !r.results.isEmpty {
                if r.c >= 0 {
                    calibration.count(office: r.o, applies: SiteCalibration.searchMask,
                                      mask: opened < r.t ? SiteCalibration.searchMask : 0)
                } else if r.unexplained, r.counted {
                    // Counted once, when it was audited, against the day's allowance: not again here.
                    calibration.countUndocumented(office: r.o, applies: 0b100, mask: opened < r.t ? 0b100 : 0)
                }
            }
        }
        for r in recent[si] where t - r.t > sessionMs && r.unexplained && !r.flagged && !r.results.isEmpty && opened < r.t {
            revisions.append(FindingRevision(
                access: r.access,
                reason: Reason(code: ReasonCode.search_nothing_opened.rawValue,
                               ja: "業務文書のない検索で結果一覧（\(r.results.count)件）を見たが、何も開かずにセッションを終えた",
                               en: "A search with no business document listed \(r.results.count) result(s) and nothing was opened from them in the session"),
                weight: config.calibrate
                    ? calibration.weight(config.weights.searchNothingOpened, .search_nothing_opened, office: r.o)
                    : config.weights.searchNothingOpened))
        }
        recent[si].removeAll { t - $0.t > sessionMs }
    }

    /// Whether the staff member searched in this session and the register (or a related one) was among the results.
    func searchedFor(_ ev: Ev) -> Bool {
        guard ev.s >= 0, ev.x >= 0 else { return true }
        let ctx = context
        for r in recent[Int(ev.s)] where ev.t - r.t <= sessionMs && ev.t >= r.t {
            for x in r.results where x >= 0 && (x == ev.x || ctx.registerRelated.contains(ev.x, x)) { return true }
        }
        return false
    }

    /// Earlier unexplained searches of this session with no register opened since (indexes into `recent`).
    func searchSeries(_ ev: Ev) -> [Int] {
        let si = Int(ev.s)
        let opened = lastOpenedAt[si]
        return recent[si].indices.filter { k in
            let r = recent[si][k]
            return r.unexplained && ev.t - r.t <= sessionMs && ev.t >= r.t && r.t >= opened
        }
    }

    func bulk(_ ev: Ev, explained: Bool, update: Bool, add: (ReasonCode, String, String, Bool) -> Void) {
        let s = Int(ev.s)
        var count = searchCount[s], unexplained = searchUnexplained[s]
        if searchDay[s] != ev.day {
            if update, searchDay[s] != Int32.min, searchOffice[s] >= 0 {
                officeStaffDays[Int(searchOffice[s])] += 1
                officeUnexplained[Int(searchOffice[s])] += Int(searchUnexplained[s])
            }
            count = 0
            unexplained = 0
        }
        count += 1
        if !explained { unexplained += 1 }
        if update {
            searchDay[s] = ev.day
            searchCount[s] = count
            searchUnexplained[s] = unexplained
            searchOffice[s] = ev.o
        }
        guard !explained else { return }
        var threshold = Double(config.bulkMinSearches)
        var peer = 0.0
        if ev.o >= 0, officeStaffDays[Int(ev.o)] >= config.bulkMinPeerDays {
            peer = Double(officeUnexplained[Int(ev.o)]) / Double(officeStaffDays[Int(ev.o)])
            threshold = max(threshold, config.bulkFactor * peer)
        }
        let since = bulkDay[s]
        if Double(unexplained) <= threshold, since != Int32.min, ev.day > since,
           ev.day - since <= Int32(config.bulkMemoryDays) {
            let first = LocalDate(day: since).description
            add(.bulk_search, "大量検索（\(first)に同僚を大きく上回る件数）の続きの、業務文書のない検索",
                "A search with no business document continuing a bulk pattern (far above peers on \(first))", false)
        }
        if Double(unexplained) > threshold {
            if update { bulkDay[s] = ev.day }
            let d = LocalDate(day: ev.day).description
            let peerText = String(Int(peer * 10 + 0.5))  // tenths
            let peerJa = peer > 0 ? "（同じ職場の平均は1日\(Self.tenths(peerText))件）" : ""
            let peerEn = peer > 0 ? " (office peers average \(Self.tenths(peerText)) a day)" : ""
            add(.bulk_search, "\(d)に業務文書のない検索が\(unexplained)件\(peerJa)",
                "\(unexplained) searches with no business document on \(d)\(peerEn)", false)
        }
    }

    static func tenths(_ s: String) -> String {
        let n = Int(s) ?? 0
        return "\(n / 10).\(n % 10)"
    }

    func isNightOrHoliday(_ ev: Ev) -> Bool {
        let wd = LocalDate(day: ev.day).weekday
        return ev.minute >= config.nightStartMinute || ev.minute < config.nightEndMinute || wd == 0 || wd == 6
            || closedDays.isHoliday(ev.day)
    }

    func nightLabel(_ ev: Ev) -> (ja: String, en: String) {
        let d = LocalDate(day: ev.day)
        let hm = String(ev.minute / 60) + ":" + (ev.minute % 60 < 10 ? "0" : "") + String(ev.minute % 60)
        let wd = d.weekday
        if closedDays.isHoliday(ev.day) { return ("閉庁日（\(d) \(hm)）", "a closed day (\(d) \(hm))") }
        if wd == 0 || wd == 6 { return ("週末（\(d) \(hm)）", "the weekend (\(d) \(hm))") }
        return ("夜間（\(d) \(hm)）", "night (\(d) \(hm))")
    }

    /// Whether the accessor's office received some case near the access (時間外受付, 休日開庁).
    func officeWorking(_ ev: Ev) -> Bool {
        guard ev.o >= 0 else { return false }
        let ctx = context
        let j = ctx.upperBound(ctx.casesByOffice, ev.o, ev.t + nightWindowMs) - 1
        guard j >= ctx.casesByOffice.range(ev.o).lowerBound else { return false }
        return ctx.casesByOffice.times[j] >= ev.t - nightWindowMs
    }

    static func recordEn(_ r: RecordKind) -> String {
        switch r {
        case .current: "register"
        case .removed: "removed register"
        case .heisei_original: "Heisei original register"
        case .showa_original: "Showa original register"
        case .fuhyo: "address attachment (fuhyo)"
        case .form: "notification form"
        }
    }

    static func pastTense(_ a: AccessAction) -> String {
        switch a {
        case .search: "Searched"
        case .view: "Viewed"
        case .print: "Printed"
        case .update: "Updated"
        case .export: "Exported"
        }
    }

    static func relationLabel(_ k: RelationKind?) -> (String, String) {
        guard let k else { return ("同じ住所の同姓者", "same surname at the same address") }
        return (k.ja, k.en)
    }
}


