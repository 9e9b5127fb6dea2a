import AkashiAudit
import AkashiDomain

/// A small Osaka: three ward offices, a handful of clerks, their families, a VIP and a DV-protected person.
enum W {
    static func d(_ s: String) -> LocalDate { LocalDate(s)! }
    static func t(_ s: String) -> Timestamp { Timestamp(s)! }

    static let offices = [
        Office(code: "27108", name: "大正区役所", municipality: "27100"),
        Office(code: "27123", name: "淀川区役所", municipality: "27100"),
        Office(code: "27127", name: "北区役所", municipality: "27100"),
    ]

    static func koseki(_ office: String, from: String = "2009-04-01", to: String? = nil) -> Assignment {
        Assignment(office: office, duty: "koseki", from: d(from), to: to.map(d))
    }

    static let staff = [
        // 大正区 clerk with a family, a former spouse and a household relative.
        Staff(id: "S_TAISHO", name: "山田 花子", role: .clerk, assignments: [koseki("27108")], person: "P_T",
              address: "大阪市大正区三軒家東二丁目3番4号"),
        Staff(id: "S_T2", name: "佐藤 次郎", role: .clerk, assignments: [koseki("27108")], person: "P_T2"),
        Staff(id: "S_T3", name: "鈴木 三郎", role: .supervisor, assignments: [koseki("27108")]),
        Staff(id: "S_YODO", name: "高橋 四郎", role: .clerk, assignments: [koseki("27123")]),
        Staff(id: "S_KITA", name: "中村 五郎", role: .clerk, assignments: [koseki("27127")]),
        Staff(id: "S_CON", name: "委託 太郎", role: .contractor, assignments: [koseki("27108")]),
        Staff(id: "S_TAX", name: "小林 六子", role: .clerk,
              assignments: [koseki("27108", to: "2013-03-31"),
                            Assignment(office: "27108", duty: "tax", from: d("2013-04-01"))]),
    ]

    static func reg(_ id: String, _ office: String, _ members: [String], kind: RegisterKind = .current,
                    preds: [String] = [], succs: [String] = []) -> Register {
        Register(id: id, kind: kind, honseki: "大阪市", office: office, head: members.first, members: members,
                 predecessors: preds, successors: succs)
    }

    static let registers = [
        reg("R_MAYOR", "27127", ["P_MAYOR", "P_WIFE"], preds: ["R_MAYOR_H"]),
        reg("R_MAYOR_H", "27127", ["P_MAYOR"], kind: .heisei_original, succs: ["R_MAYOR"]),
        reg("R_T", "27108", ["P_T_HUSBAND", "P_T"]),
        reg("R_TP", "27108", ["P_TP"]),
        reg("R_TP2", "27108", ["P_TP", "P_T"], kind: .removed, succs: ["R_T"]),
        reg("R_TX", "27123", ["P_TX"]),
        reg("R_TH", "27108", ["P_TH"]),
        reg("R_T2", "27108", ["P_T2"]),
        reg("R_N", "27108", ["P_N"]),
        reg("R_FAR", "27108", ["P_FAR"]),
        reg("R_DV", "27108", ["P_DV"]),
        reg("R_A", "27108", ["P_A", "P_A_CHILD"]),
        reg("R_A_CHILD", "27123", ["P_A_CHILD2"]),
        reg("R_B", "27108", ["P_B"]),
        reg("R_K", "27127", ["P_K"]),
    ]

    static let persons = [
        Person(id: "P_MAYOR", name: "橋下 徹", kana: "はしもと とおる", register: "R_MAYOR",
               relations: [Relation(kind: .spouse, person: "P_WIFE")]),
        Person(id: "P_WIFE", name: "橋下 典子", kana: "はしもと のりこ", register: "R_MAYOR",
               relations: [Relation(kind: .spouse, person: "P_MAYOR")]),
        Person(id: "P_T", name: "山田 花子", kana: "やまだ はなこ", register: "R_T",
               address: "大阪市大正区三軒家東二丁目3番4号",
               relations: [Relation(kind: .spouse, person: "P_T_HUSBAND"), Relation(kind: .parent, person: "P_TP"),
                           Relation(kind: .former_spouse, person: "P_TX")]),
        Person(id: "P_T_HUSBAND", name: "山田 一夫", register: "R_T", address: "大阪市大正区三軒家東二丁目3番4号"),
        Person(id: "P_TP", name: "木村 父", register: "R_TP"),
        Person(id: "P_TX", name: "前田 元夫", register: "R_TX"),
        // Same surname at the same address, no recorded relation.
        Person(id: "P_TH", name: "山田 叔父", register: "R_TH", address: "大阪市大正区三軒家東二丁目3番4号"),
        Person(id: "P_T2", name: "佐藤 次郎", register: "R_T2"),
        Person(id: "P_N", name: "近所 住人", register: "R_N", address: "大阪市大正区三軒家東二丁目9番1号"),
        Person(id: "P_FAR", name: "遠方 住人", register: "R_FAR", address: "大阪市大正区三軒家東三丁目1番1号"),
        Person(id: "P_DV", name: "保護 対象", register: "R_DV"),
        Person(id: "P_A", name: "田中 一郎", kana: "たなか いちろう", register: "R_A",
               relations: [Relation(kind: .child, person: "P_A_CHILD2")]),
        Person(id: "P_A_CHILD", name: "田中 花", register: "R_A"),
        Person(id: "P_A_CHILD2", name: "田中 次郎", register: "R_A_CHILD",
               relations: [Relation(kind: .parent, person: "P_A")]),
        Person(id: "P_B", name: "田中 一郎", kana: "たなか いちろう", register: "R_B"),
        Person(id: "P_K", name: "北 住人", register: "R_K"),
    ]

    static let protections = [
        Protection(person: "P_MAYOR", kind: .vip, from: d("2008-02-06"), note: "市長"),
        Protection(person: "P_DV", kind: .dv_support, from: d("2010-01-01")),
    ]

    static func context(_ cases: [Case] = []) -> AuditContext {
        AuditContext(offices: offices, staff: staff, registers: registers, persons: persons, protections: protections,
                     cases: cases)
    }

    static func engine(_ cases: [Case] = [], config: AuditConfig = AuditConfig()) -> AuditEngine {
        AuditEngine(context: AuditContext(offices: offices, staff: staff, registers: registers, persons: persons,
                                          protections: protections, cases: cases, config: config), config: config)
    }

    static func access(_ staff: String, _ at: String, _ action: AccessAction = .view, _ record: RecordKind = .current,
                       register: String? = nil, person: String? = nil, caseID: String? = nil, reason: String? = nil,
                       office: String? = nil, query: JSONValue? = nil, results: [String]? = nil,
                       id: String? = nil) -> AccessEvent {
        AccessEvent(id: id ?? "E\(at)\(staff)\(register ?? "")\(record.rawValue)", at: t(at), staff: staff,
                    office: office, action: action, record: record, register: register, person: person,
                    caseID: caseID, reason: reason, query: query, results: results)
    }

    static func kase(_ id: String, office: String, kind: CaseKind = .certificate_full, requester: Requester = .own,
                     received: String, closed: String?, status: CaseStatus = .done, staff: [String],
                     registers: [String] = [], persons: [String] = []) -> Case {
        Case(id: id, office: office, kind: kind, requester: requester, received: t(received), closed: closed.map(t),
             status: status, staff: staff, registers: registers, persons: persons)
    }

    static func nameQuery(_ name: String) -> JSONValue { .object([("name", .string(name))]) }
}

extension AccessFinding {
    func has(_ code: String) -> Bool { reasons.contains { $0.code == code } }
    var rule: String? { explanation?.rule }
}
