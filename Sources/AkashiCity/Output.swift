import AkashiDomain
import AkashiInterchange

extension Engine {
    func date(_ d: Int32) -> LocalDate? { d == noDate ? nil : LocalDate(day: d) }

    func writeReference() throws {
        // Offices: the 24 wards and the city hall (市民局: auditors, administrators).
        let offices = try LineWriter(path: path("offices.jsonl"))
        for w in Facts.wards {
            try offices.write(line: Record.office(Office(code: w.code, name: w.name + "役所", municipality: Facts.municipality)).canonicalJSON)
        }
        try offices.write(line: Record.office(Office(code: Facts.municipality, name: "大阪市役所 市民局",
                                                     municipality: Facts.municipality)).canonicalJSON)
        try offices.close()
        summary.offices = Facts.wards.count + 1

        let staffW = try LineWriter(path: path("staff.jsonl"))
        for st in staffing.staff {
            let s = Staff(id: st.id, name: st.name, role: st.role,
                          assignments: st.stints.map { Assignment(office: officeCode($0.ward), duty: $0.duty,
                                                                  from: LocalDate(day: $0.from), to: date($0.to)) },
                          person: st.person >= 0 ? personID(st.person) : nil, address: st.address)
            try staffW.write(line: Record.staff(s).canonicalJSON)
        }
        try staffW.close()
        summary.staff = staffing.staff.count

        progress("registers")
        let regW = try LineWriter(path: path("registers.jsonl"))
        for (i, r) in pop.records.enumerated() {
            let fam = pop.families[Int(r.family)]
            let honseki = Facts.cityName + Facts.wards[Int(fam.ward)].name + tables.towns[Int(fam.town)].name
                + Facts.kanji(Int(fam.chome)) + "丁目" + String(fam.ban) + "番"
            let g = Register(id: registerID(Int32(i)), kind: r.kind, honseki: honseki, office: Facts.wards[Int(fam.ward)].code,
                             head: personID(fam.head), members: r.members.map(personID), opened: date(r.opened),
                             closed: date(r.closed), predecessors: r.predecessors.map(registerID),
                             successors: r.successors.map(registerID))
            try regW.write(line: Record.register(g).canonicalJSON)
        }
        try regW.close()
        summary.registers = pop.records.count

        progress("persons")
        // Children lists (CSR) for the relations.
        let n = pop.persons.count
        var counts = [Int32](repeating: 0, count: n + 1)
        for q in pop.persons {
            if q.father >= 0 { counts[Int(q.father)] += 1 }
            if q.mother >= 0 { counts[Int(q.mother)] += 1 }
        }
        var start = [Int32](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = start[i] + counts[i] }
        var fill = start
        var kids = [Int32](repeating: 0, count: Int(start[n]))
        for (i, q) in pop.persons.enumerated() {
            for par in [q.father, q.mother] where par >= 0 {
                kids[Int(fill[Int(par)])] = Int32(i)
                fill[Int(par)] += 1
            }
        }
        func children(_ p: Int32) -> ArraySlice<Int32> { kids[Int(start[Int(p)])..<Int(start[Int(p) + 1])] }
        let adoptive: [Int32: [Int32]] = pop.persons.indices.reduce(into: [:]) { acc, i in
            let a = pop.persons[i].adoptiveParent
            if a >= 0 { acc[a, default: []].append(Int32(i)) }
        }
        let perW = try LineWriter(path: path("persons.jsonl"))
        for (i, q) in pop.persons.enumerated() {
            let p = Int32(i)
            var rel: [Relation] = []
            if q.spouse >= 0 { rel.append(Relation(kind: .spouse, person: personID(q.spouse))) }
            if q.formerSpouse >= 0 { rel.append(Relation(kind: .former_spouse, person: personID(q.formerSpouse))) }
            for par in [q.father, q.mother] where par >= 0 { rel.append(Relation(kind: .parent, person: personID(par))) }
            for c in children(p) { rel.append(Relation(kind: .child, person: personID(c))) }
            var sibs: [Int32] = []
            if q.father >= 0 { sibs += children(q.father) }
            if q.mother >= 0 { sibs += children(q.mother) }
            for s in uniq(sibs) where s != p { rel.append(Relation(kind: .sibling, person: personID(s))) }
            if q.adoptiveParent >= 0 { rel.append(Relation(kind: .adoptive_parent, person: personID(q.adoptiveParent))) }
            for c in adoptive[p] ?? [] { rel.append(Relation(kind: .adopted_child, person: personID(c))) }
            let person = Person(id: personID(p), name: fullName(p), kana: kana(p), birth: LocalDate(day: q.birth),
                                sex: q.female ? "F" : "M", register: registerID(pop.personRecord(p)),
                                address: staffing.address(q.addr), addressSince: LocalDate(day: q.addressSince),
                                relations: rel, died: date(q.died))
            try perW.write(line: Record.person(person).canonicalJSON)
        }
        try perW.close()
        summary.persons = n

        let protW = try LineWriter(path: path("protections.jsonl"))
        for pr in staffing.protections {
            try protW.write(line: Record.protection(Protection(person: personID(pr.person), kind: pr.kind,
                                                               from: LocalDate(day: pr.from), to: date(pr.to),
                                                               note: pr.note)).canonicalJSON)
        }
        try protW.close()
        summary.protections = staffing.protections.count
        summary.files += ["offices.jsonl", "staff.jsonl", "registers.jsonl", "persons.jsonl", "protections.jsonl"].map(path)
    }

    // MARK: Self-report survey 2014-02

    func writeSelfReports() throws {
        let w = try LineWriter(path: path("self_reports.jsonl"))
        var declared: [String] = [], undeclared: [String] = [], wrong: [String] = []
        var srng = CityRandom(seed: config.seed, stream: 77)
        let notes: [MisuseKind: String] = [
            .vip: "有名人の戸籍を興味本位で閲覧", .dv_support: "知人の附票を確認した", .own_register: "自分の戸籍を確認した",
            .relative: "家族の戸籍を確認した", .former_spouse: "元配偶者の住所を確認した", .coworker: "同僚の戸籍を興味本位で閲覧",
            .neighbour: "近所の人の戸籍を興味本位で閲覧", .repeated: "知人の戸籍を何度か閲覧",
        ]
        for (s, st) in staffing.staff.enumerated() {
            let submitted = ts(millis(surveyDay + Int32(srng.int(12)), minute: 540 + srng.int(500)))
            var report = SelfReport(survey: "2014-02", staff: st.id, submitted: submitted, declares: .none)
            if misusers.contains(s) {
                let before = (misuseByStaff[s] ?? []).filter { $0.day < surveyDay }
                let isScenario = staffing.scenarioClerks["27123"] == s
                let declares = staffing.scenarioClerks["27108"] == s || (!isScenario && !before.isEmpty && srng.chance(0.55))
                if declares && !before.isEmpty {
                    // One item per person (at most 5), the bulk searcher summarises.
                    var byPerson: [Int32: (Int32, Int32, Int, MisuseKind)] = [:]
                    var order: [Int32] = []
                    for e in before {
                        if let x = byPerson[e.person] {
                            byPerson[e.person] = (min(x.0, e.day), max(x.1, e.day), x.2 + 1, x.3)
                        } else {
                            byPerson[e.person] = (e.day, e.day, 1, e.kind)
                            order.append(e.person)
                        }
                    }
                    report.declares = .some
                    if before.count > 300 {
                        report.items = [SelfReport.Item(from: LocalDate(day: before.map(\.day).min()!),
                                                        to: LocalDate(day: before.map(\.day).max()!),
                                                        count: before.count / 2, note: "業務外で氏名検索を繰り返した")]
                    } else {
                        for p in order.prefix(5) where p >= 0 {
                            let x = byPerson[p]!
                            let byName = srng.chance(0.3)
                            report.items.append(SelfReport.Item(
                                person: byName ? nil : personID(p), name: byName ? fullName(p) : nil,
                                from: LocalDate(day: x.0), to: LocalDate(day: x.1),
                                count: srng.chance(0.3) ? max(1, x.2 - 1 - srng.int(3)) : x.2,
                                note: notes[x.3] ?? "興味本位で閲覧"))
                        }
                    }
                    declared.append(st.id)
                } else {
                    undeclared.append(st.id)
                }
            } else if let m = misremember[s] {
                report.declares = .some
                report.items = [SelfReport.Item(person: personID(m.person), from: LocalDate(day: m.day),
                                                to: LocalDate(day: m.day), count: 1 + srng.int(2),
                                                note: "知人の証明書発行時に閲覧したが業務外だったかもしれない")]
                wrong.append(st.id)
            }
            try w.write(line: Record.selfReport(report).canonicalJSON)
        }
        try w.close()
        summary.selfReports = staffing.staff.count
        summary.files.append(path("self_reports.jsonl"))
        selfReportTruth = (declared, undeclared, wrong)
    }

    // MARK: truth.json

    func writeTruth() throws {
        var misuse: [JSONValue] = []
        for m in misuseTruth {
            var o: [(String, JSONValue)] = [("access", .string(m.event)), ("kind", .string(m.kind.rawValue)),
                                            ("staff", .string(staffing.staff[m.staff].id))]
            if m.person >= 0 { o.append(("person", .string(personID(m.person)))) }
            if m.register >= 0 { o.append(("register", .string(registerID(m.register)))) }
            misuse.append(.object(o))
        }
        let strings: ([String]) -> JSONValue = { .array($0.map { .string($0) }) }
        var top: [(String, JSONValue)] = [
            ("generator", .string("akashi-city/1")),
            ("seed", .number(String(config.seed))),
            ("scale", .number(String(config.scale))),
            ("from", .string(from.description)),
            ("to", .string(to.description)),
            ("misuse", .array(misuse)),
            ("misusers", strings(misusers.sorted().map { staffing.staff[$0].id })),
            ("legit_unexplained", strings(unexplained)),
            ("legit_namesake", strings(namesakeTruth)),
            ("self_reports", .object([
                ("survey", .string("2014-02")),
                ("declared_and_misused", strings(selfReportTruth.0)),
                ("undeclared_misused", strings(selfReportTruth.1)),
                ("declared_not_misused", strings(selfReportTruth.2)),
            ])),
        ]
        if config.scenario == .osaka2014, let m = pop.mayor {
            let fam = pop.families[Int(m.family)]
            var clerks: [(String, JSONValue)] = []
            for (code, s) in staffing.scenarioClerks.sorted(by: { $0.key < $1.key }) {
                clerks.append((code, .string(staffing.staff[s].id)))
            }
            top.append(("scenario", .object([
                ("name", .string(CityScenario.osaka2014.rawValue)),
                ("mayor", .object([("person", .string(personID(m.person))), ("register", .string(registerID(fam.recX))),
                                   ("heisei_original", .string(registerID(fam.recH)))])),
                ("clerks", .object(clerks)),
                ("accesses", strings(scenarioEvents)),
                ("mayor_cases", strings(mayorCases)),
            ])))
        }
        var out: [UInt8] = []
        PrettyJSON.write(.object(top), indent: 0, into: &out)
        out.append(0x0A)
        let w = try LineWriter(path: path("truth.json"))
        try w.write(bytes: out)
        try w.close()
        summary.files.append(path("truth.json"))
        summary.misuseEvents = misuseTruth.count
        summary.legitUnexplained = unexplained.count
    }
}

/// The pretty JSON form of `truth.json`.
enum PrettyJSON {
    /// Writes `v` with sorted keys, one member or item a line; objects from the third level down stay on one
    /// line (canonical). The form of `truth.json`, for the city and for the site generator alike.
    static func write(_ v: JSONValue, indent: Int, into out: inout [UInt8]) {
        let pad = [UInt8](repeating: 0x20, count: indent + 2)
        let padEnd = [UInt8](repeating: 0x20, count: indent)
        switch v {
        case let .object(members):
            if members.isEmpty { out += Array("{}".utf8); return }
            let sorted = members.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            if indent >= 4 {
                var w = CanonicalWriter()
                w.value(v)
                out += w.bytes
                return
            }
            out += Array("{\n".utf8)
            for (k, (key, value)) in sorted.enumerated() {
                out += pad
                var w = CanonicalWriter()
                w.string(key)
                out += w.bytes
                out += Array(": ".utf8)
                write(value, indent: indent + 2, into: &out)
                if k < sorted.count - 1 { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            out += padEnd
            out.append(UInt8(ascii: "}"))
        case let .array(items):
            if items.isEmpty { out += Array("[]".utf8); return }
            out += Array("[\n".utf8)
            for (k, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 2, into: &out)
                if k < items.count - 1 { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            out += padEnd
            out.append(UInt8(ascii: "]"))
        default:
            var w = CanonicalWriter()
            w.value(v)
            out += w.bytes
        }
    }
}
