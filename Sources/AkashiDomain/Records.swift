/// A ward office (区役所) or other place where clerks work.
public struct Office: Hashable, Sendable {
    /// The 5-digit local-government code (全国地方公共団体コード without check digit), e.g. `27108`.
    public var code: String
    public var name: String
    public var municipality: String?

    public init(code: String, name: String, municipality: String? = nil) {
        self.code = code
        self.name = name
        self.municipality = municipality
    }
}

/// One stretch of a staff member's HR history.
public struct Assignment: Hashable, Sendable {
    public var office: String
    /// `koseki` for register work, anything else otherwise.
    public var duty: String
    public var from: LocalDate
    /// `nil` while current.
    public var to: LocalDate?

    /// The duty that is register work.
    public static let registerDuty = "koseki"

    public init(office: String, duty: String, from: LocalDate, to: LocalDate? = nil) {
        self.office = office
        self.duty = duty
        self.from = from
        self.to = to
    }

    /// Whether this assignment covers the given date.
    public func covers(_ date: LocalDate) -> Bool { from <= date && (to.map { date <= $0 } ?? true) }
}

/// Anyone with an account on the register system.
public struct Staff: Hashable, Sendable {
    public var id: String
    public var name: String?
    public var role: StaffRole
    public var assignments: [Assignment]
    /// The staff member's own person record, when they are a resident.
    public var person: String?
    /// Home address from HR.
    public var address: String?

    public init(id: String, name: String? = nil, role: StaffRole, assignments: [Assignment] = [],
                person: String? = nil, address: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.assignments = assignments
        self.person = person
        self.address = address
    }

    /// The assignment in force on a date, if any.
    public func assignment(on date: LocalDate) -> Assignment? { assignments.last { $0.covers(date) } }
}

/// One family register (戸籍) or one of its closed / pre-reform forms.
public struct Register: Hashable, Sendable {
    public var id: String
    public var kind: RegisterKind
    /// 本籍.
    public var honseki: String
    /// The office that keeps it (the ward of the 本籍).
    public var office: String
    /// 筆頭者.
    public var head: String?
    public var members: [String]
    public var opened: LocalDate?
    public var closed: LocalDate?
    public var predecessors: [String]
    public var successors: [String]

    public init(id: String, kind: RegisterKind, honseki: String, office: String, head: String? = nil,
                members: [String] = [], opened: LocalDate? = nil, closed: LocalDate? = nil,
                predecessors: [String] = [], successors: [String] = []) {
        self.id = id
        self.kind = kind
        self.honseki = honseki
        self.office = office
        self.head = head
        self.members = members
        self.opened = opened
        self.closed = closed
        self.predecessors = predecessors
        self.successors = successors
    }
}

/// A relation from one person to another.
public struct Relation: Hashable, Sendable {
    public var kind: RelationKind
    public var person: String

    public init(kind: RelationKind, person: String) {
        self.kind = kind
        self.person = person
    }
}

/// One person recorded in the registry.
public struct Person: Hashable, Sendable {
    public var id: String
    public var name: String
    public var kana: String?
    public var birth: LocalDate?
    /// `M` or `F` as the source system writes it.
    public var sex: String?
    /// The register the person is (or was last) recorded in.
    public var register: String
    public var address: String?
    public var addressSince: LocalDate?
    public var relations: [Relation]
    public var died: LocalDate?

    public init(id: String, name: String, kana: String? = nil, birth: LocalDate? = nil, sex: String? = nil,
                register: String, address: String? = nil, addressSince: LocalDate? = nil,
                relations: [Relation] = [], died: LocalDate? = nil) {
        self.id = id
        self.name = name
        self.kana = kana
        self.birth = birth
        self.sex = sex
        self.register = register
        self.address = address
        self.addressSince = addressSince
        self.relations = relations
        self.died = died
    }

    /// The family name: the part of ``name`` before the first space (full- or half-width).
    public var surname: String {
        String(name.split(whereSeparator: { $0 == " " || $0 == "\u{3000}" }).first ?? Substring(name))
    }
}

/// A person who needs extra care for a period.
public struct Protection: Hashable, Sendable {
    public var person: String
    public var kind: ProtectionKind
    public var from: LocalDate
    public var to: LocalDate?
    public var note: String?

    public init(person: String, kind: ProtectionKind, from: LocalDate, to: LocalDate? = nil, note: String? = nil) {
        self.person = person
        self.kind = kind
        self.from = from
        self.to = to
        self.note = note
    }

    /// Whether the protection is in force on a date.
    public func covers(_ date: LocalDate) -> Bool { from <= date && (to.map { date <= $0 } ?? true) }

    /// The identity of a protection, which has no ID of its own: person, kind and start.
    public var key: String { person + "|" + kind.rawValue + "|" + from.description }
}

/// A business document that can justify an access (届出, 交付請求, 職権訂正, 公用照会 …).
public struct Case: Hashable, Sendable {
    public var id: String
    /// 受付番号.
    public var number: String?
    /// The office that received it.
    public var office: String
    public var kind: CaseKind
    public var requester: Requester?
    public var received: Timestamp
    public var closed: Timestamp?
    public var status: CaseStatus?
    /// Those who handled it (受付, 審査, 決裁).
    public var staff: [String]
    public var registers: [String]
    public var persons: [String]

    public init(id: String, number: String? = nil, office: String, kind: CaseKind, requester: Requester? = nil,
                received: Timestamp, closed: Timestamp? = nil, status: CaseStatus? = nil, staff: [String] = [],
                registers: [String] = [], persons: [String] = []) {
        self.id = id
        self.number = number
        self.office = office
        self.kind = kind
        self.requester = requester
        self.received = received
        self.closed = closed
        self.status = status
        self.staff = staff
        self.registers = registers
        self.persons = persons
    }
}

/// One operation on the register system: the unit the ledger records and the audit explains.
public struct AccessEvent: Hashable, Sendable {
    public var id: String
    public var at: Timestamp
    public var staff: String
    /// The office the operation was made from.
    public var office: String?
    public var terminal: String?
    public var action: AccessAction
    public var record: RecordKind
    public var register: String?
    public var person: String?
    /// The case the clerk named for this operation.
    public var caseID: String?
    /// Free text given instead of a case (break-the-glass).
    public var reason: String?
    public var outcome: AccessOutcome
    /// For a search: the query as given (any keys).
    public var query: JSONValue?
    /// For a search: the register IDs shown.
    public var results: [String]?
    /// Akashi extension (業務機能): the business function used, e.g. `certificate.issue`.
    public var function: String?
    /// Akashi extension: the screen the operation was made on.
    public var screen: String?

    public init(id: String, at: Timestamp, staff: String, office: String? = nil, terminal: String? = nil,
                action: AccessAction, record: RecordKind, register: String? = nil, person: String? = nil,
                caseID: String? = nil, reason: String? = nil, outcome: AccessOutcome = .ok,
                query: JSONValue? = nil, results: [String]? = nil, function: String? = nil, screen: String? = nil) {
        self.id = id
        self.at = at
        self.staff = staff
        self.office = office
        self.terminal = terminal
        self.action = action
        self.record = record
        self.register = register
        self.person = person
        self.caseID = caseID
        self.reason = reason
        self.outcome = outcome
        self.query = query
        self.results = results
        self.function = function
        self.screen = screen
    }
}

/// A staff member's answer to a self-report survey (自己申告調査).
public struct SelfReport: Hashable, Sendable {
    /// One declared personal use; every field optional.
    public struct Item: Hashable, Sendable {
        public var person: String?
        public var name: String?
        public var from: LocalDate?
        public var to: LocalDate?
        public var count: Int?
        public var note: String?

        public init(person: String? = nil, name: String? = nil, from: LocalDate? = nil, to: LocalDate? = nil,
                    count: Int? = nil, note: String? = nil) {
            self.person = person
            self.name = name
            self.from = from
            self.to = to
            self.count = count
            self.note = note
        }
    }

    public var survey: String
    public var staff: String
    public var submitted: Timestamp?
    public var declares: Declaration
    public var items: [Item]

    public init(survey: String, staff: String, submitted: Timestamp? = nil, declares: Declaration,
                items: [Item] = []) {
        self.survey = survey
        self.staff = staff
        self.submitted = submitted
        self.declares = declares
        self.items = items
    }

    /// The identity of an answer: one per staff member and survey. `|` and `\` inside either part are escaped with
    /// `\`, so two different pairs never share a key (`A|B` + `C` and `A` + `B|C` did); keys of IDs without them are
    /// `survey|staff` as before.
    public var key: String { Self.keyPart(survey) + "|" + Self.keyPart(staff) }

    static func keyPart(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "|") || $0 == UInt8(ascii: "\\") }) else { return s }
        var out = ""
        for c in s {
            if c == "|" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// Any record of the interchange format.
public enum Record: Hashable, Sendable {
    case office(Office)
    case staff(Staff)
    case register(Register)
    case person(Person)
    case protection(Protection)
    case `case`(Case)
    case access(AccessEvent)
    case selfReport(SelfReport)

    /// The record's `type` in the interchange format.
    public var type: RecordType {
        switch self {
        case .office: .office
        case .staff: .staff
        case .register: .register
        case .person: .person
        case .protection: .protection
        case .case: .case
        case .access: .access
        case .selfReport: .self_report
        }
    }

    /// The record's identity within its type (its ID, or the natural key of the types that have none).
    public var key: String {
        switch self {
        case let .office(o): o.code
        case let .staff(s): s.id
        case let .register(r): r.id
        case let .person(p): p.id
        case let .protection(p): p.key
        case let .case(c): c.id
        case let .access(a): a.id
        case let .selfReport(s): s.key
        }
    }
}

/// The record types of akashi-interchange/1.
public enum RecordType: String, InterchangeEnum {
    case office, staff, register, person, protection, `case`, access, self_report
}
