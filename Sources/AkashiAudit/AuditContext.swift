import AkashiDomain

/// The reference data the audit explains accesses from, interned once into dense Int32 indexes.
///
/// Every ID is mapped to a dense `Int32`; registers, persons, staff, offices and cases referenced but not
/// supplied (dangling IDs) get an index with no data, so nothing crashes and a later import can fill them in
/// (rebuild the context). Built once; immutable and `Sendable`, so several engines can share it.
public final class AuditContext: Sendable {
    struct Assign: Sendable {
        var office: Int32
        var koseki: Bool
        var from: Int32
        var to: Int32
    }

    struct Prot: Sendable {
        var kind: ProtectionKind
        var from: Int32
        var to: Int32
        var note: String?
    }

    struct StaffInfo: Sendable {
        var id: String
        var name: String?
        var role: StaffRole?
        var person: Int32 = -1
        var chome: Int32 = -1
        /// Relatives: person and relation (nil = same surname at the same address).
        var relatives: [(person: Int32, kind: RelationKind?)] = []
    }

    let staffTable: Interner
    let registerTable: Interner
    let personTable: Interner
    let caseTable: Interner
    let officeTable: Interner
    let chomeNames: [String]
    /// Normalised names and kana → dense IDs (namesake and exact search matching).
    let nameIDs: Interner

    // Offices
    let officeNames: [String?]

    // Staff
    let staffInfo: [StaffInfo]
    let assignOffsets: [Int32]
    let assigns: [Assign]
    let staffOwnRegisters: CSR

    // Registers
    let registerKnown: [Bool]
    let registerKind: [RegisterKind?]
    let registerOffice: [Int32]
    let registerHead: [Int32]
    let registerMembers: CSR
    /// Sorted, symmetric: the register itself, its lineage, and the registers of its members and their relatives.
    let registerRelated: CSR

    // Persons
    let personKnown: [Bool]
    let personRegister: [Int32]
    let personChome: [Int32]
    let personStaff: [Int32]
    let personNameID: [Int32]
    let personKanaID: [Int32]
    /// Names normalised for search matching (spaces removed).
    let personSearchName: [String]
    let personSearchKana: [String]
    /// Characters of the surname (the name up to its first space; the whole name when it has none), in name and kana.
    let personSurnameLength: [Int]
    let personKanaSurnameLength: [Int]
    /// How many persons carry each surname (in name and in kana, normalised).
    let surnameCount: [String: Int]
    /// Per name ID: the one person whose name or kana it is, or −1 when several persons carry it.
    let nameOwner: [Int32]
    let personProtOffsets: [Int32]
    let prots: [Prot]
    /// Persons with any vip / dv_support protection (for `search_protected`).
    let protectedPersons: [Int32]

    /// What the hot path reads about a case, in one cache line.
    struct CaseCore: Sendable {
        var received: Int64
        var end: Int64
        var office: Int32
        /// The first handling staff member (-1 if none); the rest are in ``caseStaff``.
        var staff0: Int32
        var staffCount: Int32
        var kind: CaseKind?
        var status: CaseStatus?
    }

    // Cases
    let caseCore: [CaseCore]
    let caseKind: [CaseKind?]
    let caseStatus: [CaseStatus?]
    let caseRequester: [Requester?]
    let caseOffice: [Int32]
    let caseReceived: [Int64]
    /// `closed`, or `received + openCaseDays`.
    let caseEnd: [Int64]
    let caseStaff: CSR
    let casePersons: CSR
    /// Registers the case is about: its registers and its persons' registers (sorted).
    let caseRegisters: CSR
    let casesByRegister: CSR
    let casesByStaff: CSR
    let casesByOffice: CSR
    let latestCaseReceived: Int64

    /// The configuration parts the indexes were built with.
    let lineageDepth: Int
    let openCaseMillis: Int64

    /// Builds the indexes. `config` supplies `lineageDepth` and `openCaseDays`.
    public init(offices: [Office], staff: [Staff], registers: [Register], persons: [Person],
                protections: [Protection], cases: [Case], config: AuditConfig = AuditConfig()) {
        lineageDepth = config.lineageDepth
        openCaseMillis = Int64(config.openCaseDays) * 86_400_000

        // 1. Intern every ID, the supplied ones first.
        var ot = Interner(), st = Interner(), rt = Interner(), pt = Interner(), ct = Interner()
        for o in offices { ot.intern(o.code) }
        for s in staff { st.intern(s.id) }
        for r in registers { rt.intern(r.id) }
        for p in persons { pt.intern(p.id) }
        for c in cases { ct.intern(c.id) }
        for s in staff {
            for a in s.assignments { ot.intern(a.office) }
            if let p = s.person { pt.intern(p) }
        }
        for r in registers {
            ot.intern(r.office)
            if let h = r.head { pt.intern(h) }
            for m in r.members { pt.intern(m) }
            for x in r.predecessors { rt.intern(x) }
            for x in r.successors { rt.intern(x) }
        }
        for p in persons {
            rt.intern(p.register)
            for rel in p.relations { pt.intern(rel.person) }
        }
        for p in protections { pt.intern(p.person) }
        for c in cases {
            ot.intern(c.office)
            for s in c.staff { st.intern(s) }
            for r in c.registers { rt.intern(r) }
            for p in c.persons { pt.intern(p) }
        }
        staffTable = st
        registerTable = rt
        personTable = pt
        caseTable = ct
        officeTable = ot
        let nS = st.count, nR = rt.count, nP = pt.count, nC = ct.count

        var oNames = [String?](repeating: nil, count: ot.count)
        for o in offices { oNames[Int(ot.lookup(o.code))] = o.name }
        officeNames = oNames

        // 2. Persons.
        var chomes = Interner()
        var names = Interner()
        var pKnown = [Bool](repeating: false, count: nP)
        var pReg = [Int32](repeating: -1, count: nP)
        var pChome = [Int32](repeating: -1, count: nP)
        var pName = [Int32](repeating: -1, count: nP)
        var pKana = [Int32](repeating: -1, count: nP)
        var pSearchName = [String](repeating: "", count: nP)
        var pSearchKana = [String](repeating: "", count: nP)
        var pSurnameLen = [Int](repeating: Int.max, count: nP)
        var pKanaSurnameLen = [Int](repeating: Int.max, count: nP)
        var surnames: [String: Int] = [:]
        var relationsOf = [[Relation]](repeating: [], count: nP)
        var surnameOf = [String?](repeating: nil, count: nP)
        var addressOf = [String?](repeating: nil, count: nP)
        for p in persons {
            let i = Int(pt.lookup(p.id))
            pKnown[i] = true
            pReg[i] = rt.lookup(p.register)
            // Empty is unknown: an empty (or blank) name, kana, surname or address gets no ID, so it matches nothing.
            let address = AuditContext.known(p.address)
            if let a = address, let c = AuditContext.chome(of: a) { pChome[i] = chomes.intern(c) }
            if let n = AuditContext.known(p.name) {
                pSearchName[i] = n
                pName[i] = names.intern(n)
                pSurnameLen[i] = AuditContext.surnameLength(p.name)
                surnames[String(n.prefix(pSurnameLen[i])), default: 0] += 1
            }
            if let k = p.kana, let nk = AuditContext.known(k) {
                pSearchKana[i] = nk
                pKana[i] = names.intern(nk)
                pKanaSurnameLen[i] = AuditContext.surnameLength(k)
                surnames[String(nk.prefix(pKanaSurnameLen[i])), default: 0] += 1
            }
            relationsOf[i] = p.relations
            surnameOf[i] = AuditContext.known(p.surname)
            addressOf[i] = address
        }
        personKnown = pKnown
        personRegister = pReg
        personChome = pChome
        personNameID = pName
        personKanaID = pKana
        personSearchName = pSearchName
        personSearchKana = pSearchKana
        personSurnameLength = pSurnameLen
        personKanaSurnameLength = pKanaSurnameLen
        surnameCount = surnames
        // The one person each name or kana belongs to (−1: several persons carry it).
        var owner = [Int32](repeating: -2, count: names.ids.count)
        for i in 0..<nP {
            for id in [pName[i], pKana[i]] where id >= 0 {
                let o = owner[Int(id)]
                owner[Int(id)] = o == -2 || o == Int32(i) ? Int32(i) : -1
            }
        }
        nameOwner = owner.map { max($0, -1) }

        // Protections.
        var protRows = [[Prot]](repeating: [], count: nP)
        var protected = Set<Int32>()
        for p in protections {
            let i = pt.lookup(p.person)
            protRows[Int(i)].append(Prot(kind: p.kind, from: p.from.day, to: p.to?.day ?? Int32.max, note: p.note))
            if p.kind == .vip || p.kind == .dv_support { protected.insert(i) }
        }
        var po = [Int32](repeating: 0, count: nP + 1)
        var pr = [Prot]()
        for i in 0..<nP {
            pr.append(contentsOf: protRows[i])
            po[i + 1] = Int32(pr.count)
        }
        personProtOffsets = po
        prots = pr
        protectedPersons = protected.sorted()

        // 3. Registers.
        var rKnown = [Bool](repeating: false, count: nR)
        var rKind = [RegisterKind?](repeating: nil, count: nR)
        var rOffice = [Int32](repeating: -1, count: nR)
        var rHead = [Int32](repeating: -1, count: nR)
        var memberRows = [[Int32]](repeating: [], count: nR)
        var lineageRows = [[Int32]](repeating: [], count: nR)
        for r in registers {
            let i = Int(rt.lookup(r.id))
            rKnown[i] = true
            rKind[i] = r.kind
            rOffice[i] = ot.lookup(r.office)
            rHead[i] = pt.lookup(r.head)
            memberRows[i] = r.members.map { pt.lookup($0) }
            lineageRows[i] = (r.predecessors + r.successors).map { rt.lookup($0) }
        }
        // Members also from persons' own register field.
        for p in 0..<nP where pReg[p] >= 0 && !memberRows[Int(pReg[p])].contains(Int32(p)) {
            memberRows[Int(pReg[p])].append(Int32(p))
        }
        registerKnown = rKnown
        registerKind = rKind
        registerOffice = rOffice
        registerHead = rHead
        registerMembers = CSR(rows: memberRows)

        func lineage(_ start: Int32) -> [Int32] {
            var seen: [Int32] = [start]
            var frontier: [Int32] = [start]
            for _ in 0..<max(config.lineageDepth, 0) {
                var next: [Int32] = []
                for x in frontier {
                    for y in lineageRows[Int(x)] where y >= 0 && !seen.contains(y) {
                        seen.append(y)
                        next.append(y)
                    }
                }
                if next.isEmpty { break }
                frontier = next
            }
            return seen
        }
        var relPairs: [(Int32, Int32)] = []
        relPairs.reserveCapacity(nR * 8)
        for x in 0..<Int32(nR) {
            func link(_ y: Int32) {
                guard y >= 0 else { return }
                relPairs.append((x, y))
                relPairs.append((y, x))
            }
            relPairs.append((x, x))
            for y in lineage(x) where y != x { link(y) }
            for m in memberRows[Int(x)] where m >= 0 {
                link(pReg[Int(m)])
                for rel in relationsOf[Int(m)] { link(pReg[Int(pt.lookup(rel.person))]) }
            }
        }
        registerRelated = CSR(count: nR, pairs: relPairs, sortedUnique: true)

        // 4. Staff.
        var info = [StaffInfo]()
        info.reserveCapacity(nS)
        for i in 0..<nS { info.append(StaffInfo(id: st.ids[i])) }
        var aOff = [Int32](repeating: 0, count: nS + 1)
        var assignRows = [[Assign]](repeating: [], count: nS)
        var pStaff = [Int32](repeating: -1, count: nP)
        var ownRegRows = [[Int32]](repeating: [], count: nS)
        var addressStaff: [String: [Int32]] = [:]
        for s in staff {
            let i = Int(st.lookup(s.id))
            let person = pt.lookup(s.person)
            info[i].name = AuditContext.known(s.name)
            info[i].role = s.role
            info[i].person = person
            assignRows[i] = s.assignments.map {
                Assign(office: ot.lookup($0.office), koseki: $0.duty == Assignment.registerDuty, from: $0.from.day,
                       to: $0.to?.day ?? Int32.max)
            }
            let address = AuditContext.known(s.address) ?? (person >= 0 ? addressOf[Int(person)] : nil)
            if let a = address, let c = AuditContext.chome(of: a) { info[i].chome = chomes.intern(c) }
            if person >= 0 {
                pStaff[Int(person)] = Int32(i)
                // Own registers: the register the person is in and its pre-reform originals (改製原戸籍), not the
                // parents' or former spouse's registers the lineage also reaches (those are relatives').
                var own: Set<Int32> = []
                if pReg[Int(person)] >= 0 {
                    own.insert(pReg[Int(person)])
                    var frontier = [pReg[Int(person)]]
                    while let x = frontier.popLast() {
                        for y in lineageRows[Int(x)] where y >= 0 && !own.contains(y) {
                            if rKind[Int(y)] == .heisei_original || rKind[Int(y)] == .showa_original {
                                own.insert(y)
                                frontier.append(y)
                            }
                        }
                    }
                }
                for rel in relationsOf[Int(person)] {
                    let q = pt.lookup(rel.person)
                    if q != person { info[i].relatives.append((q, rel.kind)) }
                }
                own.remove(-1)
                ownRegRows[i] = Array(own)
            }
            if let a = address { addressStaff[a, default: []].append(Int32(i)) }
        }
        // Same surname at the same address: household relatives.
        if !addressStaff.isEmpty {
            for p in persons {
                guard let a = AuditContext.known(p.address), let ss = addressStaff[a] else { continue }
                let q = pt.lookup(p.id)
                for s in ss {
                    let si = Int(s)
                    guard q != info[si].person, !info[si].relatives.contains(where: { $0.person == q }) else { continue }
                    let surname = info[si].person >= 0 ? surnameOf[Int(info[si].person)]
                        : info[si].name.map { Person(id: "", name: $0, register: "").surname }
                    if let surname = surname.flatMap(AuditContext.known), surname == AuditContext.known(p.surname) {
                        info[si].relatives.append((q, nil))
                    }
                }
            }
        }
        var flat = [Assign]()
        for i in 0..<nS {
            flat.append(contentsOf: assignRows[i])
            aOff[i + 1] = Int32(flat.count)
        }
        staffInfo = info
        assignOffsets = aOff
        assigns = flat
        personStaff = pStaff
        staffOwnRegisters = CSR(rows: ownRegRows.map { $0.sorted() })
        chomeNames = chomes.ids
        nameIDs = names

        // 5. Cases.
        var cKind = [CaseKind?](repeating: nil, count: nC)
        var cStatus = [CaseStatus?](repeating: nil, count: nC)
        var cReq = [Requester?](repeating: nil, count: nC)
        var cOffice = [Int32](repeating: -1, count: nC)
        var cRecv = [Int64](repeating: 0, count: nC)
        var cEnd = [Int64](repeating: 0, count: nC)
        var staffRows = [[Int32]](repeating: [], count: nC)
        var personRows = [[Int32]](repeating: [], count: nC)
        var regRows = [[Int32]](repeating: [], count: nC)
        var byReg: [(Int32, Int32)] = []
        var byStaff: [(Int32, Int32)] = []
        var byOffice: [(Int32, Int32)] = []
        var latest = Int64.min
        for c in cases {
            let i = ct.lookup(c.id)
            let k = Int(i)
            cKind[k] = c.kind
            cStatus[k] = c.status
            cReq[k] = c.requester
            cOffice[k] = ot.lookup(c.office)
            cRecv[k] = c.received.millis
            cEnd[k] = c.closed?.millis ?? (c.received.millis + openCaseMillis)
            latest = max(latest, c.received.millis)
            staffRows[k] = c.staff.map { st.lookup($0) }
            personRows[k] = c.persons.map { pt.lookup($0) }
            var regs = Set(c.registers.map { rt.lookup($0) })
            for p in personRows[k] where pReg[Int(p)] >= 0 { regs.insert(pReg[Int(p)]) }
            regRows[k] = regs.sorted()
            for r in regRows[k] { byReg.append((r, i)) }
            for s in Set(staffRows[k]) { byStaff.append((s, i)) }
            if cOffice[k] >= 0 { byOffice.append((cOffice[k], i)) }
        }
        caseCore = (0..<nC).map { k in
            CaseCore(received: cRecv[k], end: cEnd[k], office: cOffice[k], staff0: staffRows[k].first ?? -1,
                     staffCount: Int32(staffRows[k].count), kind: cKind[k], status: cStatus[k])
        }
        caseKind = cKind
        caseStatus = cStatus
        caseRequester = cReq
        caseOffice = cOffice
        caseReceived = cRecv
        caseEnd = cEnd
        caseStaff = CSR(rows: staffRows)
        casePersons = CSR(rows: personRows)
        caseRegisters = CSR(rows: regRows)
        latestCaseReceived = latest
        func byTime(_ pairs: [(Int32, Int32)], _ n: Int) -> CSR {
            let sorted = pairs.sorted { a, b in
                a.0 != b.0 ? a.0 < b.0 : (cRecv[Int(a.1)] != cRecv[Int(b.1)] ? cRecv[Int(a.1)] < cRecv[Int(b.1)] : a.1 < b.1)
            }
            var csr = CSR(count: n, pairs: sorted, sortedUnique: false)
            csr.times = csr.values.map { cRecv[Int($0)] }
            return csr
        }
        casesByRegister = byTime(byReg, nR)
        casesByStaff = byTime(byStaff, nS)
        casesByOffice = byTime(byOffice, ot.count)
    }

    // MARK: Helpers

    /// The 町丁目 of an address: up to and including `丁目`, or the 町名 (up to the first digit or `番`) when
    /// there is no 丁目. `nil` when nothing is left or what is left ends at a prefecture, city, ward or county.
    public static func chome(of address: String) -> String? {
        let a = normalize(address)
        let chars = Array(a)
        if chars.count >= 2 {
            for i in 1..<chars.count where chars[i - 1] == "丁" && chars[i] == "目" {
                return String(chars[...i])
            }
        }
        var out = ""
        for ch in a {
            if ch.isASCII && ch.isNumber { break }
            if ("０"..."９").contains(ch) || ch == "番" || ch == "-" || ch == "－" { break }
            out.append(ch)
        }
        // Empty is unknown, and so is an address that stops at the city or ward: it names no neighbourhood.
        guard let last = out.last, !"都道府県市区郡".contains(last) else { return nil }
        return out
    }

    /// Removes white space (half- and full-width spaces, tabs, line breaks, no-break spaces): names and addresses
    /// are compared without them.
    static func normalize(_ s: String) -> String {
        // On UTF-8 bytes: the blanks are ASCII (space, tab, line breaks), U+00A0 (C2 A0) and U+3000 (E3 80 80).
        let utf8 = s.utf8
        let found: Bool? = utf8.withContiguousStorageIfAvailable { b in
            var i = 0
            while i < b.count {
                if blankBytes(b, at: i) > 0 { return true }
                i += 1
            }
            return false
        }
        if found == nil {
            var copy = s
            copy.makeContiguousUTF8()
            return normalize(copy)
        }
        guard found == true else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        utf8.withContiguousStorageIfAvailable { b in
            var i = 0
            while i < b.count {
                let n = blankBytes(b, at: i)
                if n > 0 { i += n; continue }
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The length in bytes of the blank that starts at `i` in UTF-8 `b` (ASCII space, tab or line break: 1; U+00A0,
    /// C2 A0: 2; U+3000, E3 80 80: 3), or 0 when none does.
    @inline(__always) static func blankBytes(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let c = b[i]
        if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { return 1 }
        if c == 0xC2, i + 1 < b.count, b[i + 1] == 0xA0 { return 2 }
        if c == 0xE3, i + 2 < b.count, b[i + 1] == 0x80, b[i + 2] == 0x80 { return 3 }
        return 0
    }

    /// Characters before the first space of a name (the surname), or the whole name's length when it has no space.
    static func surnameLength(_ s: String) -> Int {
        let trimmed = s.drop { isBlank($0.unicodeScalars.first!) }
        let head = trimmed.prefix { !isBlank($0.unicodeScalars.first!) }
        return head.count == trimmed.count ? normalize(s).count : head.count
    }

    @inline(__always) static func isBlank(_ u: Unicode.Scalar) -> Bool {
        u == " " || u == "\u{3000}" || u == "\t" || u == "\n" || u == "\r" || u == "\u{00A0}"
    }

    /// Empty is unknown: the normalised value, or nil when the value is missing, empty or only white space.
    /// Every comparison the audit makes on names, kana, surnames, addresses and optional references goes through
    /// this, so two blanks never match each other.
    public static func known(_ s: String?) -> String? {
        guard let s else { return nil }
        let n = normalize(s)
        return n.isEmpty ? nil : n
    }

    /// Whether person `m`'s surname, in name or kana (the part before the first blank; the whole when it has none), is
    /// `surname` (normalised). An unknown name or kana has no surname: empty is unknown.
    func hasSurname(_ m: Int32, _ surname: String) -> Bool {
        guard m >= 0, !surname.isEmpty else { return false }
        let i = Int(m), len = surname.count
        if personSurnameLength[i] == len, personSearchName[i].hasPrefix(surname) { return true }
        if personKanaSurnameLength[i] == len, personSearchKana[i].hasPrefix(surname) { return true }
        return false
    }

    /// Whether two staff members were ever assigned to the same office (at any time, per HR history).
    func everSharedOffice(_ a: Int32, _ b: Int32) -> Bool {
        guard a >= 0, b >= 0 else { return false }
        for i in Int(assignOffsets[Int(a)])..<Int(assignOffsets[Int(a) + 1]) {
            for j in Int(assignOffsets[Int(b)])..<Int(assignOffsets[Int(b) + 1]) where assigns[i].office == assigns[j].office {
                return true
            }
        }
        return false
    }

    @inline(__always) func officeOn(_ s: Int32, _ day: Int32) -> Int32 {
        guard s >= 0 else { return -1 }
        var i = Int(assignOffsets[Int(s) + 1]) - 1
        let lo = Int(assignOffsets[Int(s)])
        while i >= lo {
            let a = assigns[i]
            if a.from <= day && day <= a.to { return a.office }
            i -= 1
        }
        return -1
    }

    @inline(__always) func kosekiOn(_ s: Int32, _ day: Int32) -> Bool {
        guard s >= 0 else { return false }
        var i = Int(assignOffsets[Int(s) + 1]) - 1
        let lo = Int(assignOffsets[Int(s)])
        while i >= lo {
            let a = assigns[i]
            if a.from <= day && day <= a.to { return a.koseki }
            i -= 1
        }
        return false
    }

    /// Index of the first case in a time-sorted row with `received > t`.
    @inline(__always) func upperBound(_ table: CSR, _ row: Int32, _ t: Int64) -> Int {
        let r = table.range(row)
        var lo = r.lowerBound, hi = r.upperBound
        table.times.withUnsafeBufferPointer { times in
            while lo < hi {
                let mid = (lo + hi) >> 1
                if times[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
        }
        return lo
    }

    // MARK: Public lookups

    /// Number of interned registers, persons, staff and cases (dangling ones included).
    public var counts: (registers: Int, persons: Int, staff: Int, cases: Int) {
        (registerTable.count, personTable.count, staffTable.count, caseTable.count)
    }

    /// The related registers of a register (itself, lineage, registers of its members and their relatives).
    public func relatedRegisters(of register: String) -> [String] {
        let x = registerTable.lookup(register)
        guard x >= 0 else { return [] }
        return registerRelated.row(x).map { registerTable.ids[Int($0)] }
    }

    /// The home 町丁目 of a staff member, if known.
    public func homeChome(ofStaff id: String) -> String? {
        let s = staffTable.lookup(id)
        guard s >= 0, staffInfo[Int(s)].chome >= 0 else { return nil }
        return chomeNames[Int(staffInfo[Int(s)].chome)]
    }

    /// The relatives of a staff member (person IDs), from relations and same surname at the same address.
    public func relatives(ofStaff id: String) -> [String] {
        let s = staffTable.lookup(id)
        guard s >= 0 else { return [] }
        return staffInfo[Int(s)].relatives.map { personTable.ids[Int($0.person)] }
    }

    /// Staff assigned to the same office as `id` on a date (any duty), excluding `id`.
    public func coworkers(ofStaff id: String, on date: LocalDate) -> [String] {
        let s = staffTable.lookup(id)
        let o = officeOn(s, date.day)
        guard o >= 0 else { return [] }
        return (0..<Int32(staffTable.count)).filter { $0 != s && officeOn($0, date.day) == o }
            .map { staffTable.ids[Int($0)] }
    }
}
