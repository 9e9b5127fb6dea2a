import AkashiDomain

/// The facts turned into lookup tables: towns, surnames, given names, with weights.
struct Tables {
    struct Town {
        let ward: Int
        let name: String
        let chome: Int
    }

    struct Name {
        let kanji: String
        let kana: String
    }

    let wardWeights: WeightedTable
    /// Global town list and, per ward, the indices of its towns.
    var towns: [Town] = []
    var townsOfWard: [[Int]] = []
    var surnames: [Name] = []
    let surnameTable: WeightedTable
    /// Number of real (listed) surnames at the head of ``surnames``.
    let realSurnames: Int
    var givenNames: [Name] = []
    /// Per era: (range, male indices, female indices).
    var eras: [(ClosedRange<Int>, [Int], [Int])] = []

    init() {
        let pops = Facts.wards.map { Double($0.population) }
        wardWeights = WeightedTable(pops)
        for (w, ward) in Facts.wards.enumerated() {
            var idx: [Int] = []
            var seen = Set<String>()
            for (name, n) in Facts.pairs(ward.towns) where seen.insert(name).inserted {
                idx.append(towns.count)
                towns.append(Town(ward: w, name: name, chome: max(1, Int(n) ?? 3)))
            }
            townsOfWard.append(idx)
        }
        // Surnames: the listed ones follow 1/(rank+8), scaled so that the top 100 hold 33.4 % of people;
        // a synthetic long tail of two-kanji names holds the rest.
        var weights: [Double] = []
        var seen = Set<String>()
        for (k, v) in Facts.pairs(Facts.surnames) where seen.insert(k).inserted {
            surnames.append(Name(kanji: k, kana: v))
        }
        realSurnames = surnames.count
        var head = (0..<realSurnames).map { 1.0 / Double($0 + 9) }
        let top100 = head.prefix(100).reduce(0, +)
        head = head.map { $0 / top100 * 0.334 }
        weights = head
        let headMass = head.reduce(0, +)
        var tail: [Name] = []
        for (pk, pv) in Facts.pairs(Facts.tailPrefixes) {
            for (sk, sv) in Facts.pairs(Facts.tailSuffixes) where pk != sk {
                let k = pk + sk
                if seen.insert(k).inserted { tail.append(Name(kanji: k, kana: pv + sv)) }
            }
        }
        // Deterministic interleave of the tail so that weights do not follow the prefix order.
        var order = Array(tail.indices)
        var r = CityRandom(seed: 0x7A11, stream: 1)
        r.shuffle(&order)
        let tailWeights = order.indices.map { 1.0 / Double($0 + 60) }
        let tailSum = tailWeights.reduce(0, +)
        for (n, i) in order.enumerated() {
            surnames.append(tail[i])
            weights.append(tailWeights[n] / tailSum * (1 - headMass))
        }
        surnameTable = WeightedTable(weights)
        var nameIndex: [String: Int] = [:]
        func add(_ text: String) -> [Int] {
            Facts.pairs(text).map { k, v in
                let key = k + ":" + v
                if let i = nameIndex[key] { return i }
                nameIndex[key] = givenNames.count
                givenNames.append(Name(kanji: k, kana: v))
                return givenNames.count - 1
            }
        }
        for e in Facts.givenNames { eras.append((e.era, add(e.male), add(e.female))) }
    }

    /// A given name for someone born in `year` (commoner names first: weight 1/(rank+2)).
    func given(year: Int, female: Bool, _ rng: inout CityRandom) -> Int32 {
        let era = eras.first { $0.0.contains(year) } ?? (year < 1900 ? eras[0] : eras[eras.count - 1])
        // Blend with the neighbouring era near the boundaries so that names shift gradually.
        let list = female ? era.2 : era.1
        let n = list.count
        let x = rng.double()
        let k = min(n - 1, Int(Double(n) * x * x))
        return Int32(list[k])
    }

    func surname(_ rng: inout CityRandom) -> Int32 { Int32(surnameTable.pick(&rng)) }
}
