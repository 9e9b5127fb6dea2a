import AkashiDomain
import AkashiInterchange
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates a synthetic site (2–6 ward offices of Osaka) with the habits of a ``SiteProfile`` and misuse planted
/// as behaviour, in akashi-interchange/1, with `truth.json`. Written independently of the audit engine.
public struct SiteCityGenerator {
    public let profile: SiteProfile
    public let seed: UInt64
    public let scale: Double
    public let misuse: Bool

    public init(profile: SiteProfile, seed: UInt64, scale: Double = 1.0, misuse: Bool = true) {
        self.profile = profile
        self.seed = seed
        self.scale = scale
        self.misuse = misuse
    }

    /// Writes the site into `directory` (created if missing). Deterministic for (profile, seed, scale, misuse).
    public func write(to directory: String) throws -> CitySummary {
        var acc = directory.hasPrefix("/") ? "/" : ""
        for part in directory.split(separator: "/") {
            acc += part + "/"
            if mkdir(acc, 0o755) != 0 && errno != EEXIST {
                throw FileError(path: acc, "cannot create directory: \(String(cString: strerror(errno)))")
            }
        }
        let engine = SiteEngine(profile: profile, seed: seed, scale: scale, misuse: misuse)
        engine.build()
        return try SiteWriter(engine: engine, directory: directory).write()
    }
}

/// Turns the engine's compact state into records and files.
struct SiteWriter {
    let e: SiteEngine
    let dir: String
    let w: SiteWorld
    let ids: SiteIDStyle

    init(engine: SiteEngine, directory: String) {
        e = engine
        dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        w = engine.world
        ids = engine.profile.ids
    }

    func path(_ f: String) -> String { dir + "/" + f }
    func personID(_ p: Int32) -> String { ids.person + pad(Int(p) + 1, ids.width) }
    func registerID(_ r: Int32) -> String { ids.register + pad(Int(r) + 1, ids.width) }
    func officeCode(_ o: Int) -> String { Facts.wards[w.offices[o]].code }
    func date(_ d: Int32) -> LocalDate? { d == noDate ? nil : LocalDate(day: d) }

    func write() throws -> CitySummary {
        var summary = CitySummary(from: LocalDate(day: w.p0), to: LocalDate(day: w.p1))
        let offices = try LineWriter(path: path("offices.jsonl"))
        for o in w.offices.indices {
            let ward = Facts.wards[w.offices[o]]
            try offices.write(line: Record.office(Office(code: ward.code, name: ward.name + "役所",
                                                         municipality: Facts.municipality)).canonicalJSON)
        }
        try offices.close()
        summary.offices = w.offices.count

        let staffW = try LineWriter(path: path("staff.jsonl"))
        for s in e.staff {
            try staffW.write(line: Record.staff(Staff(id: s.id, name: s.name, role: s.role, assignments: s.assignments,
                                                      person: s.person >= 0 ? personID(s.person) : nil,
                                                      address: s.address)).canonicalJSON)
        }
        try staffW.close()
        summary.staff = e.staff.count

        let regW = try LineWriter(path: path("registers.jsonl"))
        for (i, r) in w.registers.enumerated() {
            let g = Register(id: registerID(Int32(i)), kind: r.kind, honseki: w.honsekiText(r.honseki),
                             office: officeCode(r.office), head: personID(r.head), members: r.members.map(personID),
                             opened: date(r.opened), closed: date(r.closed), predecessors: r.preds.map(registerID),
                             successors: r.succs.map(registerID))
            try regW.write(line: Record.register(g).canonicalJSON)
        }
        try regW.close()
        summary.registers = w.registers.count

        // Children and siblings for the relations.
        var children: [[Int32]] = Array(repeating: [], count: w.persons.count)
        for (i, p) in w.persons.enumerated() {
            if p.father >= 0 { children[Int(p.father)].append(Int32(i)) }
            if p.mother >= 0 { children[Int(p.mother)].append(Int32(i)) }
        }
        let perW = try LineWriter(path: path("persons.jsonl"))
        var written = 0
        for (i, q) in w.persons.enumerated() where q.register >= 0 {
            let p = Int32(i)
            var rel: [Relation] = []
            if q.spouse >= 0, w.persons[Int(q.spouse)].register >= 0 { rel.append(Relation(kind: .spouse, person: personID(q.spouse))) }
            if q.former >= 0, w.persons[Int(q.former)].register >= 0 { rel.append(Relation(kind: .former_spouse, person: personID(q.former))) }
            for par in [q.father, q.mother] where par >= 0 && w.persons[Int(par)].register >= 0 {
                rel.append(Relation(kind: .parent, person: personID(par)))
            }
            for c in children[i] where w.persons[Int(c)].register >= 0 { rel.append(Relation(kind: .child, person: personID(c))) }
            var sibs: [Int32] = []
            if q.father >= 0 { sibs += children[Int(q.father)] }
            if q.mother >= 0 { sibs += children[Int(q.mother)] }
            for s in siteUniq(sibs) where s != p && w.persons[Int(s)].register >= 0 {
                rel.append(Relation(kind: .sibling, person: personID(s)))
            }
            let kana: String? = q.kanaMode == 0 ? w.fullKana(p) : (q.kanaMode == 2 ? "" : nil)
            let alive = q.died == noDate
            let address: String? = !alive ? nil : (q.addrMode == 0 ? w.addressText(q.addr) : (q.addrMode == 2 ? "" : nil))
            let person = Person(id: personID(p), name: w.fullName(p), kana: kana, birth: LocalDate(day: q.birth),
                                sex: q.female ? "F" : "M", register: registerID(q.register), address: address,
                                addressSince: address == nil || address == "" ? nil : LocalDate(day: q.addrSince),
                                relations: rel, died: date(q.died))
            try perW.write(line: Record.person(person).canonicalJSON)
            written += 1
        }
        try perW.close()
        summary.persons = written

        let protW = try LineWriter(path: path("protections.jsonl"))
        for pr in e.protections {
            try protW.write(line: Record.protection(Protection(person: personID(pr.person), kind: pr.kind,
                                                               from: LocalDate(day: pr.from), to: date(pr.to),
                                                               note: pr.note)).canonicalJSON)
        }
        try protW.close()
        summary.protections = e.protections.count

        // Cases: numbered by office and year in order of receipt.
        let caseOrder = e.cases.indices.sorted { (e.cases[$0].received, $0) < (e.cases[$1].received, $1) }
        var caseID = [String](repeating: "", count: e.cases.count)
        var counters: [String: Int] = [:]
        let caseW = try LineWriter(path: path("cases.jsonl"))
        var casesWritten = 0
        for k in caseOrder where !e.droppedCases.contains(Int32(k)) {
            let c = e.cases[k]
            casesWritten += 1
            let code = officeCode(c.office)
            let year = LocalDate(day: e.dayOf(c.received)).parts.year
            let key = code + "-" + String(year)
            let n = (counters[key] ?? 0) + 1
            counters[key] = n
            caseID[k] = ids.kase + String(year) + "-" + code + "-" + pad(n, 6)
            let number = Facts.wards[w.offices[c.office]].short + "-" + String(year) + "-" + String(n)
            let rec = Case(id: caseID[k], number: number, office: code, kind: c.kind, requester: c.requester,
                           received: e.timestamp(c.received), closed: c.closed.map(e.timestamp), status: c.status,
                           staff: siteUniq(c.staff).map { e.staff[Int($0)].id }, registers: c.registers.map(registerID),
                           persons: c.persons.map(personID))
            try caseW.write(line: Record.case(rec).canonicalJSON)
        }
        try caseW.close()
        summary.cases = casesWritten

        // Access events in time order.
        let order = e.events.indices.sorted { (e.events[$0].t, $0) < (e.events[$1].t, $1) }
        var eventID = [String](repeating: "", count: e.events.count)
        let accW = try LineWriter(path: path("access.jsonl"))
        for (n, k) in order.enumerated() {
            let ev = e.events[k]
            eventID[k] = ids.access + pad(n + 1, ids.width + 1)
            let a = AccessEvent(id: eventID[k], at: e.timestamp(ev.t), staff: e.staff[Int(ev.staff)].id,
                                office: officeCode(ev.office), terminal: ev.terminal, action: ev.action, record: ev.record,
                                register: ev.register >= 0 ? registerID(ev.register) : nil,
                                person: ev.person >= 0 ? personID(ev.person) : nil,
                                caseID: ev.kase >= 0 ? caseID[Int(ev.kase)] : nil, reason: ev.reason, outcome: ev.outcome,
                                query: ev.query, results: ev.results.map { $0.map(registerID) })
            try accW.write(line: Record.access(a).canonicalJSON)
        }
        try accW.close()
        summary.access = e.events.count
        summary.files = ["offices.jsonl", "staff.jsonl", "registers.jsonl", "persons.jsonl", "protections.jsonl",
                         "cases.jsonl", "access.jsonl"].map(path)

        // truth.json
        let misuse = e.truth.sorted { eventID[Int($0.event)] < eventID[Int($1.event)] }.map { m -> JSONValue in
            var o: [(String, JSONValue)] = [("access", .string(eventID[Int(m.event)])), ("kind", .string(m.kind)),
                                            ("staff", .string(e.staff[Int(m.actor)].id))]
            if m.person >= 0 { o.append(("person", .string(personID(m.person)))) }
            if m.register >= 0 { o.append(("register", .string(registerID(m.register)))) }
            let logged = e.events[Int(m.event)].staff
            if logged != m.actor { o.append(("account", .string(e.staff[Int(logged)].id))) }
            return .object(o)
        }
        let strings: ([String]) -> JSONValue = { .array($0.map { .string($0) }) }
        let misusers = siteUniq(e.truth.map(\.actor)).sorted().map { e.staff[Int($0)].id }
        let behaviours: [JSONValue] = e.profile.behaviours.map {
            .object([("name", .string($0.name)), ("description", .string($0.description))])
        }
        let top: [(String, JSONValue)] = [
            ("generator", .string("akashi-site/1")),
            ("profile", .string(e.profile.name)),
            ("seed", .number(String(e.givenSeed))),
            ("scale", .number(String(e.scale))),
            ("from", .string(LocalDate(day: w.p0).description)),
            ("to", .string(LocalDate(day: w.p1).description)),
            ("misuse", .array(misuse)),
            ("misusers", strings(misusers)),
            ("legit_unexplained", strings(e.unexplained.map { eventID[Int($0)] }.sorted())),
            ("legit_namesake", strings(e.namesakes.map { eventID[Int($0)] }.sorted())),
            ("behaviours", .array(behaviours)),
            ("behaviours_planted", strings(e.behavioursUsed.sorted())),
        ] + (e.slips.isEmpty ? [] : [("legit_slips", strings(e.slips.map { eventID[Int($0)] }.sorted()))])
        var out: [UInt8] = []
        PrettyJSON.write(.object(top), indent: 0, into: &out)
        out.append(0x0A)
        let tw = try LineWriter(path: path("truth.json"))
        try tw.write(bytes: out)
        try tw.close()
        summary.files.append(path("truth.json"))
        summary.misuseEvents = e.truth.count
        summary.legitUnexplained = e.unexplained.count
        return summary
    }
}
