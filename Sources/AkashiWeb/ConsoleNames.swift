import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiReports
import AkashiStorage
import Foundation

/// The names behind the IDs a console page shows (issue 19, A-4): staff with name, role and office, persons by name,
/// registers by their 筆頭者, offices by name. Read in bulk once per page — one read each for staff, offices,
/// registers and persons — never one query per row.
struct ConsoleNames: Sendable {
    var staff: [String: Staff] = [:]
    var offices: [String: String] = [:]
    var persons: [String: Person] = [:]
    var registers: [String: Register] = [:]

    init() {}

    /// Reads the names of the given IDs.
    static func load(_ store: any ServerStore, staff: Set<String> = [], persons: Set<String> = [],
                     registers: Set<String> = []) async throws -> ConsoleNames {
        var n = ConsoleNames()
        if !staff.isEmpty {
            // One read of the staff list (there is no read of several staff members by ID): a few hundred rows.
            for s in try await store.staffMembers(office: nil, role: nil) where staff.contains(s.id) { n.staff[s.id] = s }
        }
        for o in try await store.offices() { n.offices[o.code] = o.name }
        var personIDs = persons
        if !registers.isEmpty {
            for r in try await store.registers(ids: registers.sorted()) {
                n.registers[r.id] = r
                if let h = r.head { personIDs.insert(h) }
            }
        }
        if !personIDs.isEmpty {
            for p in try await store.persons(ids: personIDs.sorted()) { n.persons[p.id] = p }
        }
        return n
    }

    /// The names for the rows of findings (their staff, persons, registers).
    static func load(_ store: any ServerStore, findings: [AccessFinding], more staff: Set<String> = []) async throws -> ConsoleNames {
        try await load(store, staff: Set(findings.map(\.staff)).union(staff), persons: Set(findings.compactMap(\.person)),
                       registers: Set(findings.compactMap(\.register)))
    }

    func officeName(_ code: String?) -> String {
        guard let code, !code.isEmpty else { return "" }
        return offices[code] ?? code
    }

    func staffName(_ id: String) -> String { staff[id]?.name ?? "" }

    /// 「担当者・大正区役所」: the role and the office the staff member was assigned to on the day (else the latest).
    func staffInfo(_ id: String, on day: LocalDate? = nil) -> String {
        guard let s = staff[id] else { return "" }
        let office = (day.flatMap { s.assignment(on: $0) } ?? s.assignments.last).map { officeName($0.office) }
        return [s.role.ja, office].compactMap { $0 }.joined(separator: "・")
    }

    func personName(_ id: String?) -> String { id.flatMap { persons[$0]?.name } ?? "" }

    /// The register's 筆頭者 by name.
    func registerHead(_ id: String?) -> String {
        guard let id, let r = registers[id], let h = r.head else { return "" }
        return persons[h]?.name ?? ""
    }

    /// The values a template needs to show a staff member: `staff` (ID), `staffName`, `staffInfo`.
    func staffValues(_ id: String, on day: LocalDate? = nil, prefix: String = "staff") -> [String: Any] {
        [prefix: id, prefix + "Name": staffName(id), prefix + "Info": staffInfo(id, on: day)]
    }
}

/// Finding people and staff by name in the console's lookups (issue 19, A-4).
enum NameLookup {
    /// A query as it is compared: NFKC (full-width letters and half-width kana folded), katakana as hiragana (the
    /// records keep kana in hiragana), without spaces.
    static func normalized(_ s: String) -> String {
        String(String.UnicodeScalarView(KanaInput.hiragana(s).unicodeScalars.filter { !$0.properties.isWhitespace }))
    }

    /// Whether the query is kana only (then it is matched against the reading, not the name).
    static func isKana(_ normalized: String) -> Bool {
        !normalized.isEmpty && normalized.unicodeScalars.allSatisfy { (0x3041...0x309F).contains($0.value) || $0.value == 0x30FC }
    }

    /// Persons whose name or reading holds the query (with or without the space between family and given name), at
    /// most `limit`, by ID.
    static func persons(_ store: any ServerStore, _ query: String, limit: Int = 50) async throws -> [Person] {
        let q = normalized(query)
        guard !q.isEmpty else { return [] }
        let kana = isKana(q)
        let regs = try await store.searchRegisters(kana ? RegisterQuery(kana: q) : RegisterQuery(name: q), limit: 200)
        let members = Set(regs.flatMap(\.members))
        let found = try await store.persons(ids: members.sorted()).filter { p in
            kana ? normalized(p.kana ?? "").contains(q) : normalized(p.name).contains(q)
        }
        return Array(found.prefix(limit))
    }

    /// Staff members whose name holds the query, by ID.
    static func staff(_ store: any ServerStore, _ query: String, limit: Int = 50) async throws -> [Staff] {
        let q = normalized(query)
        guard !q.isEmpty else { return [] }
        return Array(try await store.staffMembers(office: nil, role: nil).filter { normalized($0.name ?? "").contains(q) }.prefix(limit))
    }

    /// A path parameter as the user typed it: the router leaves path parameters percent-encoded, and a heading must
    /// never show `%E6%B5%AA…`. Control characters are refused (400 naming the field).
    static func pathID(_ raw: String, field: String) throws -> String {
        let id = raw.removingPercentEncoding ?? raw
        guard !RecordDecoder.hasControlCharacter(id), !id.isEmpty, id.count <= 100 else {
            throw WorkspaceError.invalid("\(field) に使えない文字が含まれています（100文字以内、制御文字なし）。",
                                         "\(field) holds characters that cannot be used (up to 100, no control characters).")
        }
        return id
    }
}
