import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiStorage
import Foundation

// MARK: - The report (JSON contract: docs/disclosure.md)

/// A disclosure report (開示請求への回答): who in which office accessed a person's or a register's records over a
/// period, with a ledger receipt per access, and the certificates issued on the subject's own requests.
public struct DisclosureReport: Codable, Sendable, Equatable {
    /// `akashi-disclosure/1`.
    public var format: String
    public var subject: DisclosureSubject
    public var period: DisclosurePeriod
    /// One section per office that accessed the subject's records (office code order).
    public var offices: [OfficeAccesses]
    /// Certificates requested by the subject themselves (or their family, 本人等), with the accesses they explain.
    public var issuances: [DisclosedIssuance]
    /// The resident's form only: accesses whose office would locate another person under DV support (支援措置), with
    /// no office, staff, case or entry bytes (dates, action, record and receipt stay; the receipt checks against
    /// ``DisclosedEvent/leaf``). Left out when there are none.
    public var withheld: [DisclosedEvent]?
    /// The signed checkpoint every receipt is against (C2SP signed note), when the ledger has one.
    public var checkpoint: String?
    /// When the report was produced (RFC 3339, JST).
    public var generated: String
    /// Whether staff IDs are included (the auditor's form); never in the resident's form.
    public var auditor: Bool

    public init(format: String = DisclosureReport.formatName, subject: DisclosureSubject, period: DisclosurePeriod,
                offices: [OfficeAccesses], issuances: [DisclosedIssuance], withheld: [DisclosedEvent]? = nil,
                checkpoint: String?, generated: String, auditor: Bool) {
        self.format = format
        self.subject = subject
        self.period = period
        self.offices = offices
        self.issuances = issuances
        self.withheld = withheld
        self.checkpoint = checkpoint
        self.generated = generated
        self.auditor = auditor
    }

    public static let formatName = "akashi-disclosure/1"

    /// Every event of the report (offices first, then issuances, then the withheld ones).
    public var allEvents: [DisclosedEvent] { offices.flatMap(\.events) + issuances.flatMap(\.events) + (withheld ?? []) }
}

/// Whose records the report is about.
public struct DisclosureSubject: Codable, Sendable, Equatable {
    /// `person` or `register`.
    public var type: String
    public var id: String
    /// The person's name (the resident's own) — for a register, its 本籍.
    public var name: String?
    /// For a register: its kind.
    public var kind: String?
    /// The registers searched for accesses (the subject's register lineage).
    public var registers: [String]

    public init(type: String, id: String, name: String?, kind: String?, registers: [String]) {
        self.type = type
        self.id = id
        self.name = name
        self.kind = kind
        self.registers = registers
    }
}

/// The period covered, inclusive JST dates.
public struct DisclosurePeriod: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// One office's accesses to the subject (the 2014 announcement's table row).
public struct OfficeAccesses: Codable, Sendable, Equatable {
    /// Office code, e.g. `27108`.
    public var office: String
    /// Office name, e.g. `大正区役所`.
    public var name: String
    /// Distinct staff (閲覧者数) — counted, never named.
    public var accessors: Int
    /// Distinct JST dates of any access (閲覧日).
    public var dates: [String]
    /// Views (閲覧, action `view`) carried out, by record kind; kinds with no view are left out. A refused attempt is
    /// no view: it is counted in ``refused``.
    public var counts: [String: Int]
    /// Searches carried out whose results listed one of the subject's registers.
    public var searches: Int
    /// Prints (証明書・帳票出力) carried out.
    public var prints: Int
    /// Attempts that were refused or failed (outcome other than `ok`): nothing was shown or printed.
    public var refused: Int
    /// Distinct registers of the subject touched; a register and its 改製原戸籍 count as one (対象戸籍数).
    public var registers: Int
    public var events: [DisclosedEvent]

    public init(office: String, name: String, accessors: Int, dates: [String], counts: [String: Int], searches: Int,
                prints: Int, refused: Int = 0, registers: Int, events: [DisclosedEvent]) {
        self.office = office
        self.name = name
        self.accessors = accessors
        self.dates = dates
        self.counts = counts
        self.searches = searches
        self.prints = prints
        self.refused = refused
        self.registers = registers
        self.events = events
    }

    /// A report written before `refused` existed reads with 0 refused.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        office = try c.decode(String.self, forKey: .office)
        name = try c.decode(String.self, forKey: .name)
        accessors = try c.decode(Int.self, forKey: .accessors)
        dates = try c.decode([String].self, forKey: .dates)
        counts = try c.decode([String: Int].self, forKey: .counts)
        searches = try c.decode(Int.self, forKey: .searches)
        prints = try c.decode(Int.self, forKey: .prints)
        refused = try c.decodeIfPresent(Int.self, forKey: .refused) ?? 0
        registers = try c.decode(Int.self, forKey: .registers)
        events = try c.decode([DisclosedEvent].self, forKey: .events)
    }

    enum CodingKeys: String, CodingKey {
        case office, name, accessors, dates, counts, searches, prints, refused, registers, events
    }
}

/// One access as disclosed: what, when, which record; its ledger entry and receipt to check it offline.
public struct DisclosedEvent: Codable, Sendable, Equatable {
    public var id: String
    /// The ledger index.
    public var index: UInt64
    /// RFC 3339 as recorded.
    public var at: String
    /// JST date.
    public var date: String
    public var action: String
    public var record: String
    public var register: String?
    public var outcome: String
    /// The staff ID — only in the auditor's form.
    public var staff: String?
    /// C2SP tlog-proof text against ``DisclosureReport/checkpoint`` (`nil` when the event is newer than it).
    public var receipt: String?
    /// The exact ledger entry bytes, base64 — left out of the resident's form when the entry holds what the
    /// resident may not see (then ``leaf`` is given instead).
    public var entry: String?
    /// Lower-case hex of the entry's leaf hash, SHA-256(0x00 || entry), when the entry bytes are withheld: the
    /// receipt still proves that this leaf is in the log.
    public var leaf: String?
    /// Why the office looked, in words (Japanese / English): the business the access served as far as the record
    /// shows it (the case that explains it, or the one the clerk named, with its requester class), a reason written
    /// by the clerk (not its text), or that no business document is recorded. Not given for withheld accesses.
    public var purpose: String?
    public var purposeEn: String?

    public init(id: String, index: UInt64, at: String, date: String, action: String, record: String, register: String?,
                outcome: String, staff: String?, receipt: String?, entry: String?, leaf: String? = nil,
                purpose: String? = nil, purposeEn: String? = nil) {
        self.id = id
        self.index = index
        self.at = at
        self.date = date
        self.action = action
        self.record = record
        self.register = register
        self.outcome = outcome
        self.staff = staff
        self.receipt = receipt
        self.entry = entry
        self.leaf = leaf
        self.purpose = purpose
        self.purposeEn = purposeEn
    }
}

/// A certificate requested by the subject (or their family) and the accesses it explains.
public struct DisclosedIssuance: Codable, Sendable, Equatable {
    /// The case (交付請求) ID.
    public var caseID: String
    /// 受付番号, when recorded.
    public var number: String?
    /// JST date of issue (the first print), or of the request when nothing was printed.
    public var date: String
    public var office: String
    public var name: String
    /// Certificate kind, e.g. `certificate.full`.
    public var certificate: String
    /// Copies, when the workspace recorded them.
    public var copies: Int?
    /// Requester class: `self` or `family`.
    public var requester: String
    /// Whether a certificate was issued (printed, or the case is done).
    public var issued: Bool
    public var events: [DisclosedEvent]

    enum CodingKeys: String, CodingKey {
        case caseID = "case", number, date, office, name, certificate, copies, requester, issued, events
    }

    public init(caseID: String, number: String?, date: String, office: String, name: String, certificate: String,
                copies: Int?, requester: String, issued: Bool, events: [DisclosedEvent]) {
        self.caseID = caseID
        self.number = number
        self.date = date
        self.office = office
        self.name = name
        self.certificate = certificate
        self.copies = copies
        self.requester = requester
        self.issued = issued
        self.events = events
    }
}

// MARK: - Query

/// What to disclose.
public struct DisclosureQuery: Sendable, Equatable {
    public enum Subject: Sendable, Equatable {
        case person(String)
        case register(String)
    }

    public var subject: Subject
    /// First JST date, inclusive.
    public var from: LocalDate
    /// Last JST date, inclusive.
    public var to: LocalDate
    /// The auditor's form: adds staff IDs.
    public var auditor: Bool
    /// Attach receipts (the default; off only for measurements).
    public var receipts: Bool

    public init(subject: Subject, from: LocalDate, to: LocalDate, auditor: Bool = false, receipts: Bool = true) {
        self.subject = subject
        self.from = from
        self.to = to
        self.auditor = auditor
        self.receipts = receipts
    }
}

/// Why a report cannot be produced.
public struct ReportError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - The service

/// Builds disclosure reports from a store: the subject's register lineage, every access to it in the period (by
/// register, person and search result), split into the subject's own certificate requests and everyone else's
/// accesses by office, each with its receipt.
public struct DisclosureService: Sendable {
    public let store: any ReportStore
    public let ledger: LedgerService
    /// Requester classes whose certificate requests count as the subject's own (本人等請求): `self` and `family`.
    public var ownRequesters: Set<Requester> = [.own, .family]
    /// Slack around a case's received … closed window when attributing an access that names no case to it.
    public var windowSlackSeconds: Int64 = 2 * 3600
    /// The clock stamped on reports.
    public var clock: @Sendable () -> Timestamp = {
        Timestamp(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    public init(store: any ReportStore) {
        self.store = store
        self.ledger = LedgerService(store: store)
    }

    /// The most registers a lineage follows (a guard against pathological predecessor chains).
    static let lineageLimit = 256

    // MARK: Lineage

    /// The subject's registers. A person: every register that lists them (as member or 筆頭者), found from their
    /// own register and the member index and by following predecessor/successor links (転籍, 分籍, marriage …) to
    /// registers that list them, transitively; with the pre-reform forms (改製原戸籍) of those, and a reformed form only
    /// when it lists them too (a register reformed after the person left it holds only the family that stayed, e.g. a
    /// former spouse). Never another family's register: the marriage, divorce and 分籍 links share the same fields,
    /// so only links ``isReform(_:_:)`` accepts count as the same register. A register: itself with its pre-reform /
    /// reformed forms and its direct predecessors and successors (with theirs).
    public func lineage(of subject: DisclosureQuery.Subject) async throws -> (registers: [Register], person: Person?) {
        var known: [String: Register] = [:]
        func load(_ ids: [String]) async throws {
            let missing = ids.filter { known[$0] == nil }
            guard !missing.isEmpty else { return }
            for r in try await store.registers(ids: Array(Set(missing))) { known[r.id] = r }
        }
        func links(_ ids: some Sequence<String>) -> [String] {
            ids.flatMap { id in known[id].map { $0.predecessors + $0.successors } ?? [] }
        }
        /// Adds the reform forms (改製原戸籍 ↔ reformed register) reachable from `start`, transitively.
        func reformClosure(_ start: Set<String>) async throws -> Set<String> {
            var have = start
            var frontier = Array(start)
            while !frontier.isEmpty, have.count < Self.lineageLimit {
                try await load(links(frontier))
                var next: [String] = []
                for id in frontier {
                    guard let r = known[id] else { continue }
                    for p in r.predecessors where !have.contains(p) {
                        if let o = known[p], Self.isReform(o, r) {
                            have.insert(p)
                            next.append(p)
                        }
                    }
                    for s in r.successors where !have.contains(s) {
                        if let n = known[s], Self.isReform(r, n) {
                            have.insert(s)
                            next.append(s)
                        }
                    }
                }
                frontier = next
            }
            return have
        }
        switch subject {
        case let .person(pid):
            guard let person = try await store.persons(ids: [pid]).first else {
                throw ReportError("no person with ID \(pid)")
            }
            func lists(_ r: Register) -> Bool { r.members.contains(pid) || r.head == pid }
            var seeds = Set([person.register])
            for r in try await store.registerIDs(member: pid) { seeds.insert(r) }
            try await load(Array(seeds))
            var have = seeds.filter { known[$0] != nil }
            var frontier = Array(have)
            while !frontier.isEmpty, have.count < Self.lineageLimit {
                try await load(links(frontier))
                var next: [String] = []
                func add(_ id: String) {
                    guard !have.contains(id) else { return }
                    have.insert(id)
                    next.append(id)
                }
                for id in frontier {
                    guard let r = known[id] else { continue }
                    for p in r.predecessors {
                        guard let o = known[p] else { continue }
                        // The same register before its reform, or a register that lists the person (転籍 …).
                        if Self.isReform(o, r) || lists(o) { add(p) }
                    }
                    for s in r.successors {
                        guard let n = known[s] else { continue }
                        // Only registers that list the person: a reformed form without them is the others' register.
                        if lists(n) { add(s) }
                    }
                }
                frontier = next
            }
            return (have.sorted().compactMap { known[$0] }, person)
        case let .register(rid):
            try await load([rid])
            guard known[rid] != nil else { throw ReportError("no register with ID \(rid)") }
            var have = try await reformClosure([rid])
            let direct = Set(links(have))
            try await load(Array(direct))
            have.formUnion(try await reformClosure(Set(direct.filter { known[$0] != nil })))
            return (have.sorted().compactMap { known[$0] }, nil)
        }
    }

    /// Whether `reformed` is `original` rewritten by a reform (改製): a 昭和 pre-reform register followed by the 平成
    /// pre-reform, current or removed register, or a 平成 pre-reform register followed by the current or removed one,
    /// linked both ways, with the same 本籍, office and 筆頭者 (a register without a recorded 筆頭者 is never taken
    /// as a reform form). The predecessor/successor fields also carry marriage, divorce, 分籍 and 転籍 links: the new
    /// family's register has another 筆頭者 (a 転籍 keeps the 筆頭者 but changes the 本籍).
    public static func isReform(_ original: Register, _ reformed: Register) -> Bool {
        switch (original.kind, reformed.kind) {
        case (.showa_original, .heisei_original), (.showa_original, .current), (.showa_original, .removed),
             (.heisei_original, .current), (.heisei_original, .removed):
            break
        default:
            return false
        }
        guard original.id != reformed.id, original.successors.contains(reformed.id),
              reformed.predecessors.contains(original.id) else { return false }
        guard let head = original.head, !head.isEmpty, reformed.head == head else { return false }
        return original.honseki == reformed.honseki && original.office == reformed.office
    }

    /// Groups registers so that a register and its 改製原戸籍 share one key (for 対象戸籍数).
    static func reformGroups(_ registers: [Register]) -> [String: String] {
        var parent: [String: String] = [:]
        for r in registers { parent[r.id] = r.id }
        func find(_ x: String) -> String {
            var x = x
            while let p = parent[x], p != x { x = p }
            return x
        }
        func union(_ a: String, _ b: String) {
            guard parent[a] != nil, parent[b] != nil else { return }
            let ra = find(a), rb = find(b)
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        let byID = Dictionary(registers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for r in registers {
            for s in r.successors { if let n = byID[s], isReform(r, n) { union(r.id, s) } }
            for p in r.predecessors { if let o = byID[p], isReform(o, r) { union(r.id, p) } }
        }
        var out: [String: String] = [:]
        for r in registers { out[r.id] = find(r.id) }
        return out
    }

    // MARK: Disclosure

    /// Produces the report.
    public func disclose(_ q: DisclosureQuery) async throws -> DisclosureReport {
        guard q.from <= q.to else { throw ReportError("the period is empty: \(q.from) is after \(q.to)") }
        let (registers, person) = try await lineage(of: q.subject)
        let ids = registers.map(\.id)
        let idSet = Set(ids)
        let groups = Self.reformGroups(registers)
        let fromMillis = Timestamp(jst: q.from, hour: 0, minute: 0).millis
        let toMillis = Timestamp(jst: q.to.adding(days: 1), hour: 0, minute: 0).millis
        // Accesses that name one of the registers or the person, and searches whose results list one of the registers.
        var selections: [EventSelection] = []
        for r in ids {
            selections.append(EventSelection(.register(r), fromMillis: fromMillis, toMillis: toMillis))
            selections.append(EventSelection(.searchResult(r), fromMillis: fromMillis, toMillis: toMillis))
        }
        if let person { selections.append(EventSelection(.person(person.id), fromMillis: fromMillis, toMillis: toMillis)) }
        let rows = try await store.accessEvents(selections, below: nil)
        var events: [(row: LedgerEntryRow, event: AccessEvent)] = []
        events.reserveCapacity(rows.count)
        for row in rows {
            let e = try StoredEntryError.access(seq: row.seq, entry: row.entry)
            if e.action == .search, e.register == nil {
                let named = person != nil && e.person == person?.id
                guard named || e.results?.contains(where: idSet.contains) == true else { continue }
            }
            events.append((row, e))
        }

        // DV support (支援措置): in the resident's form nothing may locate another person under DV support.
        let dv = q.auditor ? nil : try await DVGuard(service: self, subject: person?.id, registers: registers, events: events.map(\.event),
                                               today: clock().jstDate)

        // The subject's own certificate requests (never a protected person's request).
        var own = try await ownCases(person: person?.id, registers: ids)
        if let dv { own.removeAll { dv.isProtectedRequest($0, on: $0.received.jstDate) } }
        let ownByID = Dictionary(own.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let explainedBy = events.isEmpty ? [:] : try await store.explainingCases(accessIDs: events.map(\.event.id))
        var ownEvents: [String: [(row: LedgerEntryRow, event: AccessEvent)]] = [:]
        var others: [(row: LedgerEntryRow, event: AccessEvent)] = []
        var hidden: [(row: LedgerEntryRow, event: AccessEvent)] = []
        for item in events {
            if let c = attribute(item.event, own: own, ownByID: ownByID, explainedBy: explainedBy, groups: groups) {
                ownEvents[c, default: []].append(item)
            } else if let dv, dv.locates(item.event) {
                hidden.append(item)
            } else {
                others.append(item)
            }
        }

        // Receipts: every event's inclusion proof against the checkpoint, all in one walk down the tree (a subtree
        // hash on several paths is computed once; each tile is taken from the shared cache once per report).
        let checkpoint = try await store.latestCheckpoint()
        let proofs: [UInt64: [LedgerHash]]
        if q.receipts, let cp = checkpoint {
            let indexes = events.map(\.row.seq).filter { $0 < cp.size }
            proofs = try await ledger.proving { hashes in
                let view = hashes.requestView()
                try view.prefetch(leaves: indexes, size: cp.size)
                return try LogProver(size: cp.size, source: view).inclusionProofs(indexes: indexes)
            }
        } else {
            proofs = [:]
        }
        // Why each access was made, as far as the records say (the cases are read once for the whole report).
        let caseIDs = Set(events.compactMap { explainedBy[$0.event.id] ?? $0.event.caseID })
        let casesByID = caseIDs.isEmpty ? [:] : Dictionary(try await store.cases(ids: caseIDs.sorted()).map { ($0.id, $0) },
                                                           uniquingKeysWith: { a, _ in a })
        func disclosed(_ item: (row: LedgerEntryRow, event: AccessEvent), withheld: Bool = false) throws -> DisclosedEvent {
            let e = item.event
            var receipt: String?
            if let cp = checkpoint, let proof = proofs[item.row.seq] {
                receipt = Receipt(index: item.row.seq, proof: proof, checkpoint: cp.note).text
            }
            // The resident's form never carries entry bytes: every access entry names the staff member and the
            // terminal (a workstation's address), and a search's also its query and results. The leaf hash binds the
            // office to the entry just as well (the receipt proves that leaf is in the log, and the office cannot
            // later show other bytes for it); what the row says is then vouched for by the office and checkable by
            // an auditor or an ombudsman who holds the entry (issue 18, F-10).
            let withhold = !q.auditor
            var out = DisclosedEvent(id: e.id, index: item.row.seq, at: e.at.description, date: e.at.jstDate.description,
                                  action: e.action.rawValue, record: e.record.rawValue, register: e.register,
                                  outcome: e.outcome.rawValue, staff: q.auditor ? e.staff : nil, receipt: receipt,
                                  entry: withhold ? nil : Data(item.row.entry).base64EncodedString(),
                                  leaf: withhold ? MerkleHash.leaf(item.row.entry).hex : nil)
            if !withheld {
                let p = Self.purpose(e, explainedBy: explainedBy[e.id].flatMap { casesByID[$0] },
                                     named: e.caseID.flatMap { casesByID[$0] })
                out.purpose = p.ja
                out.purposeEn = p.en
            }
            return out
        }

        let officeNames = Dictionary(try await store.offices().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        // Offices.
        var byOffice: [String: [(row: LedgerEntryRow, event: AccessEvent)]] = [:]
        for item in others { byOffice[item.event.office ?? "", default: []].append(item) }
        var sections: [OfficeAccesses] = []
        for code in byOffice.keys.sorted() {
            let list = Self.inTimeOrder(byOffice[code]!)
            var counts: [String: Int] = [:]
            var touched = Set<String>()
            for (_, e) in list where e.outcome == .ok {
                if e.action == .view { counts[e.record.rawValue, default: 0] += 1 }
                if e.action != .search, let r = e.register, idSet.contains(r) { touched.insert(groups[r] ?? r) }
            }
            sections.append(OfficeAccesses(
                office: code, name: officeNames[code] ?? (code.isEmpty ? "不明 (unknown)" : code),
                accessors: Set(list.map(\.event.staff)).count,
                dates: Array(Set(list.map { $0.event.at.jstDate })).sorted().map(\.description),
                counts: counts,
                searches: list.count { $0.event.action == .search && $0.event.outcome == .ok },
                prints: list.count { $0.event.action == .print && $0.event.outcome == .ok },
                refused: list.count { $0.event.outcome != .ok },
                registers: touched.count,
                events: try list.map { try disclosed($0) }))
        }

        // Issuances.
        var issuances: [DisclosedIssuance] = []
        for c in own {
            let list = Self.inTimeOrder(ownEvents[c.id] ?? [])
            let receivedDay = c.received.jstDate
            guard !list.isEmpty || (q.from <= receivedDay && receivedDay <= q.to) else { continue }
            let firstPrint = list.first { $0.event.action == .print }?.event.at.jstDate
            var copies: Int?
            let recorded = try await store.issuances(caseID: c.id)
            if !recorded.isEmpty {
                copies = recorded.reduce(0) { $0 + $1.copies }
            }
            issuances.append(DisclosedIssuance(
                caseID: c.id, number: c.number, date: (firstPrint ?? receivedDay).description, office: c.office,
                name: officeNames[c.office] ?? c.office, certificate: c.kind.rawValue, copies: copies,
                requester: c.requester?.rawValue ?? "self", issued: firstPrint != nil || c.status == .done,
                events: try list.map { try disclosed($0) }))
        }
        issuances.sort { ($0.date, $0.caseID) < ($1.date, $1.caseID) }

        // Withheld (DV support): no office, staff, case or entry bytes.
        let withheld = try Self.inTimeOrder(hidden).map { try disclosed($0, withheld: true) }

        let subject: DisclosureSubject
        switch q.subject {
        case let .person(pid):
            subject = DisclosureSubject(type: "person", id: pid, name: person?.name, kind: nil, registers: ids)
        case let .register(rid):
            let r = registers.first { $0.id == rid }
            subject = DisclosureSubject(type: "register", id: rid, name: r?.honseki, kind: r?.kind.rawValue, registers: ids)
        }
        return DisclosureReport(subject: subject, period: DisclosurePeriod(from: q.from.description, to: q.to.description),
                                offices: sections, issuances: issuances, withheld: withheld.isEmpty ? nil : withheld,
                                checkpoint: checkpoint?.note,
                                generated: Timestamp(millis: clock().millis).description, auditor: q.auditor)
    }

    /// Why an access was made, in words: the case the audit explained it by; else the case the clerk named (said to
    /// be the clerk's record, since nothing has confirmed it); else that a reason was written (never its text, which
    /// may name others); else that no business document is recorded.
    static func purpose(_ e: AccessEvent, explainedBy: Case?, named: Case?) -> (ja: String, en: String) {
        func work(_ c: Case) -> (ja: String, en: String) {
            guard let r = c.requester else { return (c.kind.workJa, c.kind.workEn) }
            return ("\(c.kind.workJa)（請求者：\(r.ja)）", "\(c.kind.workEn) (requester: \(r.en))")
        }
        if let c = explainedBy { return work(c) }
        if let c = named {
            let w = work(c)
            return (w.ja + "（職員が記録した案件）", w.en + " (the case the clerk recorded)")
        }
        if e.reason != nil {
            return ("案件によらず、職員が理由を記入した閲覧", "no case; the clerk wrote down a reason")
        }
        return ("業務文書の記録なし", "no business document recorded")
    }

    /// Events by time, then ledger index (sorting keys, not the large event values).
    static func inTimeOrder(_ items: [(row: LedgerEntryRow, event: AccessEvent)]) -> [(row: LedgerEntryRow, event: AccessEvent)] {
        let keys = items.map { ($0.event.at.millis, $0.row.seq) }
        return items.indices.sorted { keys[$0] < keys[$1] }.map { items[$0] }
    }

    /// Certificate requests by the subject (or family) that name the subject.
    func ownCases(person: String?, registers: [String]) async throws -> [Case] {
        let regs = Set(registers)
        return try await store.cases(person: person, registers: registers).filter { c in
            guard c.kind.isCertificate, let r = c.requester, ownRequesters.contains(r) else { return false }
            if let person { return c.persons.contains(person) || (c.persons.isEmpty && c.registers.contains(where: regs.contains)) }
            return c.registers.contains(where: regs.contains)
        }.sorted { $0.received.millis < $1.received.millis }
    }

    /// The own case an access belongs to: the case it names, when that case explains it (same office, handled by the
    /// same staff member, within its window); else the case the audit explained it by; else (when the access names no
    /// case and the audit gave no explanation) a case that explains it and is about the same register. An access that
    /// names an own case it does not fit (another office, another clerk, years later) stays in the office table.
    func attribute(_ e: AccessEvent, own: [Case], ownByID: [String: Case], explainedBy: [String: String],
                   groups: [String: String]) -> String? {
        if let c = e.caseID {
            guard let kase = ownByID[c], explains(kase, e) else { return nil }
            return c
        }
        if let c = explainedBy[e.id] { return ownByID[c] != nil ? c : nil }
        for c in own where explains(c, e) {
            let caseGroups = Set(c.registers.map { groups[$0] ?? $0 })
            if let r = e.register, caseGroups.contains(groups[r] ?? r) { return c.id }
            if e.action == .search, e.results?.contains(where: { caseGroups.contains(groups[$0] ?? $0) }) == true { return c.id }
        }
        return nil
    }

    /// Whether the case can explain the access: the same office, a member of staff who handled it, within received …
    /// closed (or received) ± ``windowSlackSeconds``.
    func explains(_ c: Case, _ e: AccessEvent) -> Bool {
        guard c.office == e.office, c.staff.contains(e.staff) else { return false }
        let slack = windowSlackSeconds * 1000
        return e.at.millis >= c.received.millis - slack && e.at.millis <= (c.closed ?? c.received).millis + slack
    }
}

// MARK: - DV support (支援措置)

/// Decides, for the resident's form, which accesses would locate another person under DV support (支援措置) and which
/// certificate requests are such a person's: their office must not reach the subject's report.
struct DVGuard {
    /// The subject person (`nil` for a register: then everyone named is "another person").
    let subject: String?
    /// DV-support protections of the persons concerned.
    let protections: [String: [Protection]]
    let registers: [String: Register]
    let cases: [String: Case]
    /// The day the report is made: a protection in force today protects even older accesses (they may still locate).
    let today: LocalDate

    init(service: DisclosureService, subject: String?, registers lineage: [Register], events: [AccessEvent],
         today: LocalDate) async throws {
        let store = service.store
        self.subject = subject
        self.today = today
        var regs = Dictionary(lineage.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let named = Set(events.compactMap(\.register)).subtracting(regs.keys)
        for r in try await store.registers(ids: Array(named)) { regs[r.id] = r }
        var cases: [String: Case] = [:]
        for c in try await store.cases(ids: Array(Set(events.compactMap(\.caseID)))) { cases[c.id] = c }
        var persons = Set(events.compactMap(\.person))
        for r in regs.values { persons.formUnion(r.members); if let h = r.head { persons.insert(h) } }
        for c in cases.values { persons.formUnion(c.persons) }
        if let subject { persons.remove(subject) }
        self.registers = regs
        self.cases = cases
        self.protections = try await Self.dvProtections(store: store, persons: persons)
    }

    /// DV-support protections of the given persons, by person.
    static func dvProtections(store: any ReportStore, persons: Set<String>) async throws -> [String: [Protection]] {
        guard !persons.isEmpty else { return [:] }
        var out: [String: [Protection]] = [:]
        for p in persons.sorted() {
            let list = try await store.protections(person: p).filter { $0.kind == .dv_support }
            if !list.isEmpty { out[p] = list }
        }
        return out
    }

    /// Whether `person` is someone other than the subject under DV support in force on `date` or today.
    func isProtectedOther(_ person: String, on date: LocalDate) -> Bool {
        guard person != subject, let list = protections[person] else { return false }
        return list.contains { $0.covers(date) || $0.covers(today) }
    }

    /// Whether another member (or the 筆頭者) of the register is under DV support.
    func registerShelters(_ id: String, on date: LocalDate) -> Bool {
        guard let r = registers[id] else { return false }
        return (r.members + (r.head.map { [$0] } ?? [])).contains { isProtectedOther($0, on: date) }
    }

    /// Whether the case may be a protected person's own request: it names one, or it names no person and is about a
    /// register where one is recorded.
    func isProtectedRequest(_ c: Case, on date: LocalDate) -> Bool {
        if c.persons.contains(where: { isProtectedOther($0, on: date) }) { return true }
        return c.persons.isEmpty && c.registers.contains { registerShelters($0, on: date) }
    }

    /// Whether the access's office would locate a protected person: it names one, it belongs to a protected person's
    /// request, or it is a 附票 access or a certificate issuance on a register where one is recorded.
    func locates(_ e: AccessEvent) -> Bool {
        let day = e.at.jstDate
        if let p = e.person, isProtectedOther(p, on: day) { return true }
        let kase = e.caseID.flatMap { cases[$0] }
        if let kase, isProtectedRequest(kase, on: day) { return true }
        let issuance = e.action == .print || kase?.kind.isCertificate == true
        if e.record == .fuhyo || issuance, let r = e.register, registerShelters(r, on: day) { return true }
        return false
    }
}

// MARK: - JSON

extension DisclosureReport {
    /// Pretty JSON with sorted keys (what `akashi disclose --format json` prints).
    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try enc.encode(self)
    }

    /// Reads a report back (e.g. for `verify-receipt --report`).
    public static func parse(_ data: Data) throws -> DisclosureReport {
        try JSONDecoder().decode(DisclosureReport.self, from: data)
    }
}
