import AkashiCity
import AkashiDomain
import AkashiInterchange
import Testing

/// The three profiles added after the first six (postal-batches, wide-area-relay, big-ward-teams), written blind to the
/// audit engine: their habits show up in the files, every story they weight is planted, and the first six profiles
/// still write the very same bytes.
@Suite("Later site profiles", .serialized)
struct LaterSiteProfileTests {
    static let firstSix = ["tidy-ward", "paper-habits", "phone-inquiries", "weekend-counter", "long-tail-names", "common-names"]
    static let later = ["postal-batches", "wide-area-relay", "big-ward-teams"]

    @Test func laterProfilesComeLastAndOwnTheNewStories() {
        let names = SiteProfile.all.map(\.name)
        #expect(Array(names.prefix(6)) == Self.firstSix)
        #expect(Array(names.suffix(3)) == Self.later)
        let first17 = SiteBehaviour.all.prefix(17).map(\.name)
        #expect(first17.first == "mayor-register-curiosity" && first17.last == "namesake-cover")
        for name in Self.firstSix {
            #expect(SiteProfile.named(name)!.behaviours.map(\.name) == first17, "\(name) plants a new story")
        }
        var weighted = Set<String>()
        for name in Self.later {
            let p = SiteProfile.named(name)!
            #expect(!p.summaryJa.isEmpty && !p.summary.isEmpty)
            #expect(p.behaviours.contains { !first17.contains($0.name) })
            weighted.formUnion(p.behaviours.map(\.name))
        }
        for b in SiteBehaviour.all.dropFirst(17) {
            #expect(weighted.contains(b.name), "\(b.name) is weighted by no profile")
            #expect(!b.descriptionJa.isEmpty)
            #expect(!auditReasonCodes.contains(b.name))
        }
    }

    /// FNV-1a (64 bits) over the seven JSONL files and truth.json of each of the first six profiles (seed 5, scale 0.04,
    /// misuse on), recorded with the generator as it was before the later profiles were added.
    @Test func firstSixProfilesWriteTheSameBytes() throws {
        let recorded: [String: UInt64] = [
            "tidy-ward": 0xBDCF_DAB2_96FB_A856, "paper-habits": 0xA374_F8A3_21BC_AE6F,
            "phone-inquiries": 0x5032_B265_E164_BA3B, "weekend-counter": 0x1D25_99F4_B34E_DC31,
            "long-tail-names": 0x1804_839A_7DA8_3F13, "common-names": 0x561E_632E_1DC3_FC14,
        ]
        for name in Self.firstSix {
            let city = try SiteCity(SiteProfile.named(name)!, seed: 5, scale: 0.04, name: "same-\(name)")
            defer { city.remove() }
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for f in SiteCity.files.map({ $0 + ".jsonl" }) + ["truth.json"] {
                for b in try city.bytes(f) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            }
            #expect(h == recorded[name], "\(name) no longer writes the bytes it wrote before")
            #expect(city.truth["legit_slips"] == nil)
        }
    }

    @Test(arguments: later)
    func laterProfileAtScaleOne(_ name: String) throws {
        let profile = SiteProfile.named(name)!
        let city = try SiteCity(profile, seed: 1, scale: 1, name: "later-\(name)")
        defer { city.remove() }
        #expect((40_000...150_000).contains(city.access.count), "\(name): \(city.access.count) accesses")
        let misuse = city.array("misuse")
        #expect((150...700).contains(misuse.count), "\(name): \(misuse.count) misuse events")
        // Every story the profile weights is planted, and only those.
        let wanted = profile.behaviours.map(\.name)
        let planted = Set(misuse.compactMap { $0["kind"]?.stringValue })
        #expect(planted == Set(wanted), "\(name): not planted \(Set(wanted).subtracting(planted))")
        #expect(Set(city.strings("behaviours_planted")) == Set(wanted))
        #expect(city.array("behaviours").compactMap { $0["name"]?.stringValue } == wanted)
        // The truth names only events that exist, logged under the actor (or, borrowed, the colleague's account).
        let byID = Dictionary(uniqueKeysWithValues: city.access.map { ($0.id, $0) })
        let misuseIDs = Set(misuse.compactMap { $0["access"]?.stringValue })
        #expect(misuseIDs.count == misuse.count)
        for m in misuse {
            guard let a = byID[m["access"]?.stringValue ?? ""] else { Issue.record("\(name): \(m) not in access.jsonl"); continue }
            #expect(a.staff == (m["account"]?.stringValue ?? m["staff"]?.stringValue))
        }
        for key in ["legit_unexplained", "legit_namesake", "legit_slips"] {
            for id in city.strings(key) {
                #expect(byID[id] != nil, "\(key) \(id) not in access.jsonl")
                #expect(!misuseIDs.contains(id))
            }
        }
        let caseByID = Dictionary(uniqueKeysWithValues: city.cases.map { ($0.id, $0) })
        for a in city.access {
            if let c = a.caseID {
                guard let k = caseByID[c] else { Issue.record("\(a.id) names unknown case \(c)"); continue }
                #expect(k.received <= a.at, "\(a.id) names \(c) before it was received")
            }
        }
        switch name {
        case "postal-batches": postalHabits(city)
        case "wide-area-relay": relayHabits(city)
        default: teamHabits(city)
        }
    }

    // MARK: Habits

    func casesByID(_ city: SiteCity) -> [String: Case] { Dictionary(uniqueKeysWithValues: city.cases.map { ($0.id, $0) }) }

    /// The first access a case's handlers made on it after its receipt (naming it, or on its registers).
    func firstWork(_ city: SiteCity) -> [String: AccessEvent] {
        let caseByID = casesByID(city)
        var byRegister: [String: [Case]] = [:]
        for c in city.cases { for r in c.registers { byRegister[r, default: []].append(c) } }
        var first: [String: AccessEvent] = [:]
        for a in city.access {
            var touched: [Case] = a.caseID.flatMap { caseByID[$0] }.map { [$0] } ?? []
            if let r = a.register { touched += byRegister[r] ?? [] }
            for c in touched where first[c.id] == nil && c.staff.contains(a.staff) && c.received <= a.at { first[c.id] = a }
        }
        return first
    }

    /// Days between a case's receipt and its handlers' first access.
    func workLag(_ city: SiteCity) -> [String: Int32] {
        let caseByID = casesByID(city)
        var lag: [String: Int32] = [:]
        for (id, a) in firstWork(city) { lag[id] = a.at.jstDate.day - caseByID[id]!.received.jstDate.day }
        return lag
    }

    func postalHabits(_ city: SiteCity) {
        let lag = workLag(city)
        let certificates = city.cases.filter { $0.kind.isCertificate && lag[$0.id] != nil }
        let later = certificates.filter { lag[$0.id]! >= 1 }
        let muchLater = certificates.filter { lag[$0.id]! >= 3 }
        #expect(Double(later.count) > 0.15 * Double(certificates.count), "letters worked on a later day: \(later.count)")
        #expect(Double(muchLater.count) > 0.05 * Double(certificates.count))
        // Batches: one clerk working six or more letters of earlier days on one day.
        var batch: [String: Int] = [:]
        let caseByID = casesByID(city)
        for (id, first) in firstWork(city) where lag[id]! >= 1 && caseByID[id]!.kind.isCertificate {
            batch[first.staff + first.at.jstDate.description, default: 0] += 1
        }
        #expect(batch.values.filter { $0 >= 6 }.count >= 20, "postal batches: \(batch.values.max() ?? 0)")
        // Letters naming someone not kept here: a search that lists nothing, the request sent back.
        let notFound = city.access.filter { $0.outcome == .not_found }
        #expect(!notFound.isEmpty)
        #expect(notFound.allSatisfy { $0.action == .search && $0.results == [] })
        #expect(city.cases.contains { $0.status == .rejected && $0.registers.isEmpty && $0.kind.isCertificate })
        // Reiwa holidays: 23 December 2019 is an office day, 24 February 2020 (天皇誕生日 moved) is not.
        #expect(city.access.contains { $0.at.jstDate == LocalDate(year: 2019, month: 12, day: 23)! })
        #expect(!city.access.contains { $0.at.jstDate == LocalDate(year: 2020, month: 2, day: 24)! })
        #expect(!city.access.contains { $0.at.jstDate == LocalDate(year: 2019, month: 4, day: 30)! })
    }

    func relayHabits(_ city: SiteCity) {
        let regByID = Dictionary(uniqueKeysWithValues: city.registers.map { ($0.id, $0) })
        let caseByID = Dictionary(uniqueKeysWithValues: city.cases.map { ($0.id, $0) })
        let exports = city.access.filter { $0.action == .export }
        #expect(exports.count > 500, "exports: \(exports.count)")
        // Only image registers are sent; current ones reach the other counter through the system.
        #expect(exports.allSatisfy { regByID[$0.register ?? ""].map { $0.kind != .current } ?? false })
        var hours: [Int64] = []
        var firstExport: [String: Timestamp] = [:]
        for a in exports {
            if let c = a.caseID.flatMap({ caseByID[$0] }) {
                #expect(c.requester == .wide_area && c.staff.contains(a.staff))
                if firstExport[c.id] == nil {
                    firstExport[c.id] = a.at
                    hours.append((a.at.millis - c.received.millis) / 3_600_000)
                }
            }
        }
        hours.sort()
        #expect(!hours.isEmpty && hours[hours.count / 2] < 24, "relays wait too long")
        #expect(hours.contains { $0 >= 12 }, "no relay waits for the next morning")
        // Counter inheritance requests walk several generations.
        let chains = city.cases.filter { $0.requester != .wide_area && $0.kind.isCertificate && $0.registers.count >= 3 }
        #expect(chains.count > 50, "long chains: \(chains.count)")
        #expect(city.searches.contains { $0.query?["kana"] != nil })
        // Reiwa holidays: 23 December 2024 is an office day; 12 August and 24 February are substitute holidays.
        #expect(city.access.contains { $0.at.jstDate == LocalDate(year: 2024, month: 12, day: 23)! })
        #expect(!city.access.contains { $0.at.jstDate == LocalDate(year: 2025, month: 2, day: 24)! })
        #expect(!city.access.contains { $0.at.jstDate == LocalDate(year: 2024, month: 8, day: 12)! })
    }

    func teamHabits(_ city: SiteCity) {
        let caseByID = Dictionary(uniqueKeysWithValues: city.cases.map { ($0.id, $0) })
        // The migration weekend: a Saturday and a Sunday in November, each check under a work order listing the register.
        let weekend = city.access.filter { $0.at.jstDate.weekday == 0 || $0.at.jstDate.weekday == 6 }
        let days = Set(weekend.map(\.at.jstDate))
        #expect(days.count == 2 && days.allSatisfy { $0.parts.month == 11 }, "weekend days: \(days)")
        let orders = city.cases.filter { $0.kind == .other && $0.requester == .internal }
        #expect(orders.count >= 8 && orders.allSatisfy { $0.registers.count >= 15 && $0.staff.count >= 1 })
        let ordersOf = Dictionary(grouping: orders, by: { $0.received.jstDate })
        for a in weekend {
            let mine = (ordersOf[a.at.jstDate] ?? []).filter { $0.staff.contains(a.staff) }
            #expect(mine.contains { a.register.map($0.registers.contains) ?? false }, "\(a.id) is no check of the day")
        }
        // New staff from 1 April, each office.
        let april = LocalDate(year: 2018, month: 4, day: 1)!
        let newStaff = city.staff.filter { s in
            s.role == .trainee && s.assignments.count == 1 && s.assignments[0].from == april && s.assignments[0].duty == "koseki"
        }
        #expect(Set(newStaff.map { $0.assignments[0].office }).count == city.offices.count && newStaff.count >= 4)
        let newIDs = Set(newStaff.map(\.id))
        #expect(!city.access.contains { newIDs.contains($0.staff) && $0.at.jstDate < april })
        // Their mentors look over their work: a colleague opens the same register soon after.
        var lastView: [String: [(Timestamp, String)]] = [:]
        for a in city.access where a.action == .view { if let r = a.register { lastView[r, default: []].append((a.at, a.staff)) } }
        let july = LocalDate(year: 2018, month: 7, day: 1)!
        let theirs = city.access.filter { newIDs.contains($0.staff) && $0.action == .view && $0.record != .form && $0.at.jstDate < july }
        let checked = theirs.filter { a in
            (lastView[a.register!] ?? []).contains { $0.1 != a.staff && $0.0 > a.at && $0.0.millis - a.at.millis < 30 * 60_000 }
        }
        #expect(Double(checked.count) > 0.3 * Double(theirs.count), "mentor checks: \(checked.count) of \(theirs.count)")
        #expect(!city.strings("legit_slips").isEmpty)
        // The search team opens, the counter prints.
        var openers: [String: Set<String>] = [:], printers: [String: Set<String>] = [:]
        for a in city.access {
            guard let c = a.caseID, caseByID[c]?.kind.isCertificate == true else { continue }
            if a.action == .view || a.action == .search { openers[c, default: []].insert(a.staff) }
            if a.action == .print { printers[c, default: []].insert(a.staff) }
        }
        let split = printers.filter { c, p in !(openers[c] ?? []).isEmpty && (openers[c] ?? []).isDisjoint(with: p) }
        #expect(Double(split.count) > 0.2 * Double(printers.count), "split requests: \(split.count) of \(printers.count)")
    }
}
