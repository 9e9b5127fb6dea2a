import AkashiCity
import AkashiDomain
import AkashiInterchange
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A generated site read back through the interchange decoder.
struct SiteCity {
    var dir: String
    var offices: [Office] = []
    var staff: [Staff] = []
    var registers: [Register] = []
    var persons: [Person] = []
    var protections: [Protection] = []
    var cases: [Case] = []
    var access: [AccessEvent] = []
    var truth: JSONValue = .null
    var summary: CitySummary

    static let files = ["offices", "staff", "registers", "persons", "protections", "cases", "access"]

    init(_ profile: SiteProfile, seed: UInt64, scale: Double, misuse: Bool = true, name: String) throws {
        dir = "/tmp/akashi-site-tests-\(getpid())-\(name)"
        summary = try SiteCityGenerator(profile: profile, seed: seed, scale: scale, misuse: misuse).write(to: dir)
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
                    case .selfReport: Issue.record("\(f): unexpected self_report")
                    }
                }
            }
        }
        truth = try JSONParser.parse(bytes("truth.json"))
    }

    func bytes(_ file: String) throws -> [UInt8] {
        let reader = try LineReader(path: dir + "/" + file)
        var out: [UInt8] = []
        while let b = try reader.next() { out += b.bytes }
        return out
    }

    func remove() {
        for f in Self.files.map({ $0 + ".jsonl" }) + ["truth.json"] { unlink(dir + "/" + f) }
        rmdir(dir)
    }

    func array(_ key: String) -> [JSONValue] {
        if case let .array(a) = truth[key] ?? .null { return a }
        return []
    }

    func strings(_ key: String) -> [String] { array(key).compactMap(\.stringValue) }

    // MARK: Measured habits

    var caseShare: Double { share(access) { $0.caseID != nil } }
    var kanaFilledShare: Double { share(persons) { !($0.kana ?? "").isEmpty } }
    var kanaEmptyShare: Double { share(persons) { $0.kana == "" } }
    var kanaAbsentShare: Double { share(persons) { $0.kana == nil } }
    var addressEmptyShare: Double { share(persons.filter { $0.died == nil }) { $0.address == "" } }
    var searches: [AccessEvent] { access.filter { $0.action == .search } }
    /// Searches whose `name` is a surname alone (no space, not kana).
    var surnameOnlyShare: Double {
        share(searches) { a in
            guard let n = a.query?["name"]?.stringValue else { return false }
            return !n.contains(" ") && !n.unicodeScalars.allSatisfy { (0x3040...0x309F).contains($0.value) }
        }
    }
    var kanaSearchShare: Double {
        share(searches) { a in
            let n = a.query?["kana"]?.stringValue ?? a.query?["name"]?.stringValue ?? ""
            return !n.isEmpty && n.unicodeScalars.allSatisfy { (0x3040...0x309F).contains($0.value) || $0 == " " }
        }
    }
    /// Accesses on Saturday, Sunday or between 19:00 and 07:00.
    var offHoursShare: Double {
        share(access) { a in
            let wd = a.at.jstDate.weekday
            let m = a.at.jstMinuteOfDay
            return wd == 0 || wd == 6 || m >= 19 * 60 || m < 7 * 60
        }
    }
    /// Cases keyed in after the first access that names them or that their handler made on their registers that day.
    var lateCaseShare: Double {
        var firstUse: [String: Timestamp] = [:]
        let byRegister = casesByRegister
        for a in access {
            guard let r = a.register else { continue }
            for c in byRegister[r] ?? [] where c.staff.contains(a.staff) && a.at < c.received
                && c.received.millis - a.at.millis < 7 * 86_400_000 {
                if firstUse[c.id] == nil { firstUse[c.id] = a.at }
            }
        }
        return Double(firstUse.count) / Double(max(1, cases.count))
    }
    var casesByRegister: [String: [Case]] {
        var m: [String: [Case]] = [:]
        for c in cases { for r in c.registers { m[r, default: []].append(c) } }
        return m
    }
    /// Views of a register by a clerk who made no search in the 15 minutes before (opened from the document).
    var directShare: Double {
        var lastSearch: [String: Int64] = [:]
        var views = 0, direct = 0
        for a in access {
            if a.action == .search {
                lastSearch[a.staff] = a.at.millis
                continue
            }
            guard a.action == .view, a.record != .form else { continue }
            views += 1
            if let t = lastSearch[a.staff], a.at.millis - t < 15 * 60_000 { continue }
            direct += 1
        }
        return Double(direct) / Double(max(1, views))
    }
    /// Share of persons whose surname is among the 100 commonest (the order of `surnameRank`).
    func top100Share(_ top: Set<String>) -> Double { share(persons) { top.contains($0.surname) } }

    func share<T>(_ list: [T], _ ok: (T) -> Bool) -> Double {
        list.isEmpty ? 0 : Double(list.filter(ok).count) / Double(list.count)
    }
}

/// The 100 commonest surnames of western Japan, as the generator's name tables list them first.
let commonSurnames: Set<String> = {
    let text = """
    田中,山本,中村,吉田,松本,井上,山田,山口,高橋,小林,木村,林,西村,藤原,前田,岡田,佐藤,森,清水,藤井,伊藤,鈴木,渡辺,加藤,上田,\
    村上,橋本,中川,石田,原田,池田,松田,谷口,中島,竹内,小川,岡本,坂本,山崎,久保,中野,大西,松井,森本,北村,西田,吉川,藤田,山下,\
    坂口,岡,今井,川口,野村,辻,杉本,宮本,福田,石川,小西,太田,内田,中西,大野,和田,藤本,奥田,村田,西川,上野,松尾,安田,増田,大塚,\
    平野,辻本,東,浅野,長谷川,水野,三浦,小山,森田,河野,高田,近藤,斎藤,西岡,堀,野口,平田,岩崎,大谷,工藤,菅原,細川,福井,北川,原
    """
    return Set(text.split(separator: ",").map { String($0) })
}()

/// The reason codes of the audit's public documentation (docs/audit.md §3): a behaviour must never be named so.
let auditReasonCodes: Set<String> = [
    "vip", "dv_support", "own_register", "relative", "former_spouse", "coworker", "neighbour", "off_duty", "contractor",
    "night_holiday", "repeated", "search_no_case", "search_protected", "bulk_search", "case_mismatch", "self_made_case",
    "print_no_request", "break_glass", "no_search", "fuhyo_no_case", "search_series", "search_led_to_flag",
    "session_led_to_flag", "search_nothing_opened", "namesake",
]

let siteScale = 0.08

@Suite("Site profiles", .serialized)
struct SiteProfileTests {
    @Test func profilesAreNamedAndDistinct() {
        #expect(SiteProfile.all.count >= 5)
        #expect(Set(SiteProfile.all.map(\.name)).count == SiteProfile.all.count)
        for p in SiteProfile.all {
            #expect(SiteProfile.named(p.name)?.name == p.name)
            #expect(!p.summary.isEmpty)
        }
        #expect(SiteProfile.named("no-such-site") == nil)
        for b in SiteBehaviour.all { #expect(!auditReasonCodes.contains(b.name), "\(b.name) is a reason code") }
    }

    @Test(arguments: SiteProfile.all.map(\.name))
    func everyProfileDecodesAndHangsTogether(_ name: String) throws {
        let profile = SiteProfile.named(name)!
        let city = try SiteCity(profile, seed: 11, scale: siteScale, name: "refs-\(name)")
        defer { city.remove() }
        #expect((2...6).contains(city.offices.count))
        #expect(city.access.count > 1000, "\(name): only \(city.access.count) accesses")
        func unique(_ ids: [String], _ what: String) -> Set<String> {
            let s = Set(ids)
            #expect(s.count == ids.count, "\(name): duplicate \(what) IDs")
            #expect(ids.allSatisfy { $0.utf8.count <= 64 })
            return s
        }
        let offices = unique(city.offices.map(\.code), "office")
        let staff = unique(city.staff.map(\.id), "staff")
        let regs = unique(city.registers.map(\.id), "register")
        let persons = unique(city.persons.map(\.id), "person")
        let cases = unique(city.cases.map(\.id), "case")
        let events = unique(city.access.map(\.id), "access")
        for s in city.staff {
            #expect(s.assignments.allSatisfy { offices.contains($0.office) })
            if let p = s.person { #expect(persons.contains(p)) }
        }
        let regByID = Dictionary(uniqueKeysWithValues: city.registers.map { ($0.id, $0) })
        for g in city.registers {
            #expect(offices.contains(g.office))
            #expect((g.members + [g.head].compactMap { $0 }).allSatisfy { persons.contains($0) })
            #expect((g.predecessors + g.successors).allSatisfy { regs.contains($0) })
        }
        for p in city.persons {
            #expect(regByID[p.register]?.members.contains(p.id) == true, "\(p.id) not in its register")
            #expect(p.relations.allSatisfy { persons.contains($0.person) })
        }
        for p in city.protections { #expect(persons.contains(p.person)) }
        #expect(city.protections.contains { $0.kind == .vip && $0.note == "市長" })
        #expect(city.protections.contains { $0.kind == .dv_support })
        for c in city.cases {
            #expect(offices.contains(c.office))
            #expect(c.staff.allSatisfy { staff.contains($0) })
            #expect(c.registers.allSatisfy { regs.contains($0) })
            #expect(c.persons.allSatisfy { persons.contains($0) })
        }
        let caseByID = Dictionary(uniqueKeysWithValues: city.cases.map { ($0.id, $0) })
        for a in city.access {
            #expect(staff.contains(a.staff))
            // No operation names a case before it was keyed in (late filing keeps the case off the operations).
            if let c = a.caseID, let k = caseByID[c] { #expect(k.received <= a.at, "\(a.id) names \(c) before it was received") }
            #expect(a.office.map { offices.contains($0) } ?? false)
            if let r = a.register { #expect(regs.contains(r)) }
            if let c = a.caseID { #expect(cases.contains(c)) }
            if a.action == .search { #expect(a.query != nil && a.register == nil) } else { #expect(a.register != nil) }
        }
        // Truth: every misuse access exists and is logged under the actor (or, borrowed, the colleague's account).
        #expect(city.truth["generator"]?.stringValue == "akashi-site/1")
        #expect(city.truth["profile"]?.stringValue == name)
        let byID = Dictionary(uniqueKeysWithValues: city.access.map { ($0.id, $0) })
        let misusers = Set(city.strings("misusers"))
        #expect(misusers.isSubset(of: staff))
        let misuse = city.array("misuse")
        #expect(misuse.count >= 30, "\(name): \(misuse.count) misuse events")
        #expect(misusers.count >= 3)
        var truthIDs = Set<String>()
        for m in misuse {
            let id = m["access"]?.stringValue ?? ""
            #expect(truthIDs.insert(id).inserted, "\(id) listed twice")
            guard let a = byID[id] else { Issue.record("\(id) not in access.jsonl"); continue }
            let actor = m["staff"]?.stringValue ?? ""
            #expect(misusers.contains(actor))
            let kind = m["kind"]?.stringValue ?? ""
            #expect(!auditReasonCodes.contains(kind), "\(kind) is a reason code")
            #expect(SiteBehaviour.named(kind) != nil, "\(kind) is not a behaviour")
            if let account = m["account"]?.stringValue {
                #expect(kind == "borrowed-terminal")
                #expect(a.staff == account && account != actor)
            } else {
                #expect(a.staff == actor, "\(id): logged as \(a.staff), truth says \(actor)")
            }
        }
        for id in city.strings("legit_unexplained") + city.strings("legit_namesake") {
            #expect(events.contains(id))
            #expect(!truthIDs.contains(id))
        }
        #expect(!city.strings("legit_unexplained").isEmpty)
        #expect(city.array("behaviours").count == profile.behaviours.count)
        #expect(Set(misuse.compactMap { $0["kind"]?.stringValue }).count >= 4, "\(name): too few behaviours")
    }

    @Test func deterministicForASeed() throws {
        let profile = SiteProfile.named("weekend-counter")!
        let a = try SiteCity(profile, seed: 5, scale: 0.04, name: "det-a")
        defer { a.remove() }
        let b = try SiteCity(profile, seed: 5, scale: 0.04, name: "det-b")
        defer { b.remove() }
        for f in SiteCity.files.map({ $0 + ".jsonl" }) + ["truth.json"] {
            #expect(try a.bytes(f) == b.bytes(f), "\(f) differs between two runs")
        }
        let c = try SiteCity(profile, seed: 6, scale: 0.04, name: "det-c")
        defer { c.remove() }
        #expect(try a.bytes("access.jsonl") != c.bytes("access.jsonl"))
        #expect(try a.bytes("persons.jsonl") != c.bytes("persons.jsonl"))
        #expect(try a.bytes("staff.jsonl") != c.bytes("staff.jsonl"))
    }

    /// The profiles keep their promises (measured on the generated files, not read from the profile).
    @Test func profilesReallyDiffer() throws {
        var measured: [String: SiteCity] = [:]
        for p in SiteProfile.all {
            measured[p.name] = try SiteCity(p, seed: 3, scale: siteScale, name: "habits-\(p.name)")
        }
        defer { for c in measured.values { c.remove() } }
        for (name, c) in measured.sorted(by: { $0.key < $1.key }) {
            print("site \(name): accesses \(c.access.count), with case \(pct(c.caseShare)), kana filled \(pct(c.kanaFilledShare)), "
                + "kana \"\" \(pct(c.kanaEmptyShare)), kana absent \(pct(c.kanaAbsentShare)), address \"\" \(pct(c.addressEmptyShare)), "
                + "surname-only searches \(pct(c.surnameOnlyShare)), kana searches \(pct(c.kanaSearchShare)), "
                + "direct opens \(pct(c.directShare)), off-hours \(pct(c.offHoursShare)), late cases \(pct(c.lateCaseShare)), top-100 surnames \(pct(c.top100Share(commonSurnames))), "
                + "misuse \(c.array("misuse").count) by \(c.strings("misusers").count)")
        }
        let tidy = measured["tidy-ward"]!, paper = measured["paper-habits"]!, phone = measured["phone-inquiries"]!
        let weekend = measured["weekend-counter"]!, tail = measured["long-tail-names"]!, common = measured["common-names"]!
        // Share of accesses that name their case: from ~10 % to ~90 %.
        #expect(tidy.caseShare > 0.7)
        #expect(paper.caseShare < 0.2)
        #expect((0.2...0.6).contains(phone.caseShare))
        #expect((0.3...0.75).contains(weekend.caseShare))
        #expect((0.15...0.5).contains(tail.caseShare))
        // kana: filled, absent, or present but empty.
        #expect(tidy.kanaFilledShare > 0.97)
        #expect(paper.kanaFilledShare < 0.4 && paper.kanaAbsentShare > 0.45)
        #expect(phone.kanaEmptyShare > 0.15)
        #expect(tidy.kanaEmptyShare == 0)
        #expect(paper.addressEmptyShare > 0.1 && tidy.addressEmptyShare == 0)
        // Searches by surname only vs full name vs kana.
        #expect(paper.surnameOnlyShare > 0.45)
        #expect(tidy.surnameOnlyShare < 0.15)
        #expect(phone.kanaSearchShare > 0.35)
        #expect(phone.searches.contains { $0.query?["kana"] != nil })
        #expect(!tidy.searches.contains { $0.query?["kana"] != nil })
        // Registers opened straight from the document, no search first.
        #expect(paper.directShare > 2 * tidy.directShare)
        // Late filing: paper offices key cases after the work.
        #expect(paper.lateCaseShare > 0.3)
        #expect(tidy.lateCaseShare < 0.1)
        #expect(phone.cases.contains { $0.kind == .inquiry })
        // Weekend and night counters.
        #expect(weekend.offHoursShare > 0.02)
        #expect(weekend.offHoursShare > 3 * tidy.offHoursShare)
        // Name pools: common-only vs a realistic long tail (a third carry the 100 commonest).
        #expect(common.top100Share(commonSurnames) > 0.97)
        #expect((0.22...0.45).contains(tail.top100Share(commonSurnames)))
        #expect(tidy.top100Share(commonSurnames) > 0.5)
        // Namesakes: many more genuine slips where a few surnames fill the registers.
        #expect(common.strings("legit_namesake").count > tail.strings("legit_namesake").count)
    }

    func pct(_ x: Double) -> String { String(Int((x * 100).rounded())) + "%" }
}
