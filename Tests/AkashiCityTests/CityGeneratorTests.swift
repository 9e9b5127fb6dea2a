import AkashiCity
import AkashiDomain
import AkashiInterchange
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A generated city read back through the interchange decoder.
struct City {
    var dir: String
    var offices: [Office] = []
    var staff: [Staff] = []
    var registers: [Register] = []
    var persons: [Person] = []
    var protections: [Protection] = []
    var cases: [Case] = []
    var access: [AccessEvent] = []
    var selfReports: [SelfReport] = []
    var truth: JSONValue = .null
    var summary: CitySummary

    static let files = ["offices", "staff", "registers", "persons", "protections", "cases", "access", "self_reports"]

    init(_ config: CityConfig, name: String) throws {
        dir = "/tmp/akashi-city-tests-\(getpid())-\(name)"
        summary = try CityGenerator(config: config).write(to: dir)
        for f in Self.files {
            let reader = try LineReader(path: dir + "/" + f + ".jsonl")
            while let batch = try reader.next() {
                for k in 0..<batch.count {
                    let line = Array(batch.bytes[batch.range(k)])
                    guard case let .record(r, unknown) = try RecordDecoder.decode(line: line) else {
                        Issue.record("\(f): not a record")
                        continue
                    }
                    #expect(unknown.isEmpty, "\(f): unknown fields \(unknown)")
                    #expect(r.canonicalJSON == line, "\(f): line is not canonical")
                    switch r {
                    case let .office(o): offices.append(o)
                    case let .staff(s): staff.append(s)
                    case let .register(g): registers.append(g)
                    case let .person(p): persons.append(p)
                    case let .protection(p): protections.append(p)
                    case let .case(c): cases.append(c)
                    case let .access(a): access.append(a)
                    case let .selfReport(s): selfReports.append(s)
                    }
                }
            }
        }
        let reader = try LineReader(path: dir + "/truth.json")
        var bytes: [UInt8] = []
        while let b = try reader.next() { bytes += b.bytes }
        truth = try JSONParser.parse(bytes)
    }

    func bytes(_ file: String) throws -> [UInt8] {
        let reader = try LineReader(path: dir + "/" + file)
        var out: [UInt8] = []
        while let b = try reader.next() { out += b.bytes }
        return out
    }

    /// Removes the generated files.
    func remove() {
        for f in Self.files.map({ $0 + ".jsonl" }) + ["truth.json"] { unlink(dir + "/" + f) }
        rmdir(dir)
    }

    var truthMisuse: [JSONValue] {
        if case let .array(a) = truth["misuse"] ?? .null { return a }
        return []
    }

    func strings(_ v: JSONValue?) -> [String] {
        guard case let .array(a)? = v else { return [] }
        return a.compactMap(\.stringValue)
    }
}

let tiny = CityConfig(scale: 0.002, seed: 7, from: LocalDate("2012-04-01")!, to: LocalDate("2012-09-30")!)

@Suite("Synthetic Osaka")
struct CityGeneratorTests {
    @Test func deterministicForASeed() throws {
        var c = tiny
        c.misuse = true
        let a = try City(c, name: "det-a")
        defer { a.remove() }
        let b = try City(c, name: "det-b")
        defer { b.remove() }
        for f in City.files.map({ $0 + ".jsonl" }) + ["truth.json"] {
            #expect(try a.bytes(f) == b.bytes(f), "\(f) differs between two runs")
        }
        c.seed = 8
        let other = try City(c, name: "det-c")
        defer { other.remove() }
        #expect(try a.bytes("access.jsonl") != other.bytes("access.jsonl"))
        #expect(try a.bytes("persons.jsonl") != other.bytes("persons.jsonl"))
    }

    @Test func recordsDecodeAndReferencesResolve() throws {
        var c = tiny
        c.misuse = true
        let city = try City(c, name: "refs")
        defer { city.remove() }
        func unique(_ ids: [String], _ what: String) -> Set<String> {
            let s = Set(ids)
            #expect(s.count == ids.count, "duplicate \(what) IDs")
            #expect(ids.allSatisfy { $0.utf8.count <= 64 })
            return s
        }
        let offices = unique(city.offices.map(\.code), "office")
        let staff = unique(city.staff.map(\.id), "staff")
        let regs = unique(city.registers.map(\.id), "register")
        let persons = unique(city.persons.map(\.id), "person")
        let cases = unique(city.cases.map(\.id), "case")
        _ = unique(city.access.map(\.id), "access")
        _ = unique(city.selfReports.map(\.key), "self_report")
        _ = unique(city.protections.map(\.key), "protection")
        #expect(offices.count == 25)
        for s in city.staff {
            #expect(s.assignments.allSatisfy { offices.contains($0.office) })
            if let p = s.person { #expect(persons.contains(p)) }
        }
        for g in city.registers {
            #expect(offices.contains(g.office))
            #expect((g.members + [g.head].compactMap { $0 }).allSatisfy { persons.contains($0) })
            #expect((g.predecessors + g.successors).allSatisfy { regs.contains($0) })
        }
        for p in city.persons {
            #expect(regs.contains(p.register))
            #expect(p.relations.allSatisfy { persons.contains($0.person) })
        }
        let regByID = Dictionary(uniqueKeysWithValues: city.registers.map { ($0.id, $0) })
        for p in city.persons { #expect(regByID[p.register]!.members.contains(p.id), "\(p.id) not in its register") }
        for p in city.protections { #expect(persons.contains(p.person)) }
        for c in city.cases {
            #expect(offices.contains(c.office))
            #expect(c.staff.allSatisfy { staff.contains($0) })
            #expect(c.registers.allSatisfy { regs.contains($0) })
            #expect(c.persons.allSatisfy { persons.contains($0) })
        }
        for a in city.access {
            #expect(staff.contains(a.staff))
            #expect(a.office.map { offices.contains($0) } ?? false)
            if let r = a.register { #expect(regs.contains(r)) }
            if let p = a.person { #expect(persons.contains(p)) }
            if let c = a.caseID { #expect(cases.contains(c)) }
            if a.action == .search {
                #expect(a.register == nil && a.query != nil)
                #expect((a.results ?? []).allSatisfy { regs.contains($0) })
            } else {
                #expect(a.register != nil)
            }
        }
        #expect(Set(city.selfReports.map(\.staff)) == staff, "every staff member answers the survey")
        // Truth refers to real events.
        let events = Set(city.access.map(\.id))
        for m in city.truthMisuse { #expect(events.contains(m["access"]?.stringValue ?? "")) }
        for e in city.strings(city.truth["legit_unexplained"]) { #expect(events.contains(e)) }
    }

    @Test func volumesFollowScaleAndPopulation() throws {
        let c = CityConfig(scale: 0.002, seed: 3, from: LocalDate("2012-04-01")!, to: LocalDate("2013-03-31")!)
        let city = try City(c, name: "vol")
        defer { city.remove() }
        let current = city.registers.filter { $0.kind == .current }.count
        let expected = 1_167_000 * 0.002
        #expect(abs(Double(current) / expected - 1) < 0.15, "current registers \(current) vs \(expected)")
        let certs = city.cases.filter { $0.kind.isCertificate }.count
        #expect(abs(Double(certs) / (520_000 * 0.002) - 1) < 0.25, "certificates \(certs)")
        let notes = city.cases.filter { $0.kind.isNotification }.count
        #expect(abs(Double(notes) / (90_000 * 0.002) - 1) < 0.35, "notifications \(notes)")
        // Ward weights: the share of current registers per ward follows the 2020 population.
        let pops: [String: Double] = ["27126": 196_357, "27104": 66_297, "27114": 172_386, "27108": 64_937]
        let total = 2_730_000.0
        for (code, pop) in pops {
            let n = Double(city.registers.filter { $0.kind == .current && $0.office == code }.count)
            let share = n / Double(current), want = pop / total
            #expect(abs(share / want - 1) < 0.5, "ward \(code): \(share) vs \(want)")
        }
        // Twice the scale, about twice the city.
        var c2 = c
        c2.scale = 0.004
        let big = try City(c2, name: "vol2")
        defer { big.remove() }
        let ratio = Double(big.registers.filter { $0.kind == .current }.count) / Double(current)
        #expect(ratio > 1.8 && ratio < 2.2)
        let aratio = Double(big.access.count) / Double(city.access.count)
        #expect(aratio > 1.6 && aratio < 2.4, "access ratio \(aratio)")
        // Staff: about 6 per ward at least, and the ~980 of the real city at scale 1.
        #expect(city.staff.count >= 24 * 6)
    }

    @Test func registerStructure() throws {
        let city = try City(tiny, name: "struct")
        defer { city.remove() }
        let byID = Dictionary(uniqueKeysWithValues: city.registers.map { ($0.id, $0) })
        var marriages = 0
        for g in city.registers {
            for p in g.predecessors { #expect(byID[p]!.successors.contains(g.id), "\(p) → \(g.id) not linked back") }
            for s in g.successors { #expect(byID[s]!.predecessors.contains(g.id)) }
            if g.kind == .current || g.kind == .removed, let opened = g.opened,
               opened < LocalDate("2010-01-01")!, g.closed.map({ $0 >= LocalDate("2010-07-01")! }) ?? true {
                #expect(g.predecessors.contains { byID[$0]!.kind == .heisei_original },
                        "\(g.id) opened \(opened) has no 平成改製原戸籍")
            }
            // A marriage register: a couple whose predecessor is a parents' register.
            if g.members.count >= 2, g.predecessors.contains(where: { byID[$0]!.head != g.head && byID[$0]!.kind != .heisei_original }) {
                marriages += 1
            }
        }
        #expect(marriages > 50)
        #expect(city.registers.contains { $0.kind == .showa_original })
        #expect(city.registers.contains { $0.kind == .removed && $0.closed != nil })
        let persons = city.persons
        #expect(persons.contains { $0.relations.contains { $0.kind == .former_spouse } })
        #expect(persons.contains { $0.died != nil })
    }

    @Test func misuseOfEveryKind() throws {
        var c = tiny
        c.misuse = true
        let city = try City(c, name: "misuse")
        defer { city.remove() }
        let byID = Dictionary(uniqueKeysWithValues: city.access.map { ($0.id, $0) })
        var kinds: [String: Int] = [:]
        for m in city.truthMisuse {
            let kind = m["kind"]!.stringValue!
            kinds[kind, default: 0] += 1
            let e = byID[m["access"]!.stringValue!]!
            #expect(e.staff == m["staff"]?.stringValue)
            if kind == "case_mismatch" || kind == "self_made_case" {
                if e.action != .search { #expect(e.caseID != nil, "\(kind) without its fake case") }
            } else {
                #expect(e.caseID == nil, "\(kind) misuse with a case")
            }
        }
        let all = ["vip", "dv_support", "own_register", "relative", "former_spouse", "coworker", "neighbour", "off_duty",
                   "contractor", "night_holiday", "repeated", "search_no_case", "search_protected", "bulk_search",
                   "case_mismatch", "self_made_case", "print_no_request"]
        for k in all { #expect((kinds[k] ?? 0) >= 20, "misuse kind \(k): \(kinds[k] ?? 0) events") }
        let misusers = city.strings(city.truth["misusers"])
        #expect(misusers.count < city.staff.count / 5, "misusers are a minority")
        let sr = city.truth["self_reports"]!
        let declared = city.strings(sr["declared_and_misused"]), undeclared = city.strings(sr["undeclared_misused"])
        #expect(Set(declared + undeclared) == Set(misusers))
        #expect(!city.strings(sr["declared_not_misused"]).isEmpty)
        for r in city.selfReports where declared.contains(r.staff) { #expect(r.declares == .some) }
        for r in city.selfReports where undeclared.contains(r.staff) { #expect(r.declares == .none) }
        // Without --misuse nothing is planted.
        let clean = try City(tiny, name: "clean")
        defer { clean.remove() }
        #expect(clean.truthMisuse.isEmpty)
    }

    @Test func osaka2014Scenario() throws {
        var c = CityConfig(scale: 0.002, seed: 11, from: LocalDate("2012-01-01")!, to: LocalDate("2012-03-31")!)
        c.scenario = .osaka2014
        c.misuse = true
        let city = try City(c, name: "osaka")
        defer { city.remove() }
        let sc = city.truth["scenario"]!
        let mayor = sc["mayor"]!
        let person = mayor["person"]!.stringValue!, reg = mayor["register"]!.stringValue!
        let heisei = mayor["heisei_original"]!.stringValue!
        #expect(city.truth["from"]?.stringValue == "2009-12-14" || (city.truth["from"]?.stringValue ?? "") < "2009-12-14")
        let regs = Dictionary(uniqueKeysWithValues: city.registers.map { ($0.id, $0) })
        #expect(regs[reg]!.office == "27127" && regs[reg]!.kind == .current)
        #expect(regs[reg]!.opened! < LocalDate("2010-01-01")!)
        #expect(regs[reg]!.predecessors == [heisei] && regs[heisei]!.kind == .heisei_original)
        #expect(city.protections.contains { $0.person == person && $0.kind == .vip && $0.from == LocalDate("2008-02-06")! })
        let clerks = sc["clerks"]!
        let taisho = clerks["27108"]!.stringValue!, yodo = clerks["27123"]!.stringValue!
        let mayorPersons = Set(regs[reg]!.members)
        let mayorRegs: Set<String> = [reg, heisei]
        let mayorCases = Set(city.strings(sc["mayor_cases"]))
        #expect(mayorCases.count >= 2)
        let lo = Timestamp("2009-12-14T00:00:00+09:00")!, hi = Timestamp("2014-02-08T00:00:00+09:00")!
        var t: [String: Int] = [:], y: [String: Int] = [:]
        let caseByID = Dictionary(uniqueKeysWithValues: city.cases.map { ($0.id, $0) })
        var own = 0
        for a in city.access where a.at >= lo && a.at < hi {
            let touches = a.register.map { mayorRegs.contains($0) } ?? false
                || a.person.map { mayorPersons.contains($0) } ?? false
                || (a.results ?? []).contains { mayorRegs.contains($0) }
            guard touches else { continue }
            if a.staff == taisho {
                #expect(a.caseID == nil && a.reason == nil && a.action == .view && a.office == "27108")
                #expect(["2011-03-11", "2011-10-05", "2011-11-15"].contains(a.at.jstDate.description))
                #expect(a.register == reg)
                t[a.record.rawValue, default: 0] += 1
            } else if a.staff == yodo {
                #expect(a.caseID == nil && a.action == .view && a.office == "27123")
                #expect(a.at.jstDate.description == "2013-11-14")
                #expect(a.register == (a.record == .heisei_original ? heisei : reg))
                y[a.record.rawValue, default: 0] += 1
            } else {
                // Only the mayor's own requests, handled at 北区.
                #expect(a.office == "27127", "unexpected access \(a.id) touching the mayor")
                own += 1
                if let c = a.caseID { #expect(mayorCases.contains(c)) }
            }
        }
        #expect(t == ["current": 5, "fuhyo": 3])
        #expect(y == ["current": 1, "heisei_original": 1])
        #expect(own > 0)
        for c in mayorCases {
            #expect(caseByID[c]!.requester == .own && caseByID[c]!.office == "27127")
        }
        // No other case names the mayor's registers in the window.
        for c in city.cases where !mayorCases.contains(c.id) && c.received >= lo && c.received < hi {
            #expect(!c.registers.contains { mayorRegs.contains($0) })
        }
        let accesses = Set(city.strings(sc["accesses"]))
        #expect(accesses.count == 10)
        let vip = Set(city.truthMisuse.filter { $0["kind"]?.stringValue == "vip" }.compactMap { $0["access"]?.stringValue })
        #expect(accesses.isSubset(of: vip))
    }
}
