import AkashiDomain

/// Reads of the reference records the municipality's systems send: staff, offices, registers, persons,
/// protections, cases and self-report answers. The clerk workspace, the reports and the auditor console all read
/// them through this one capability, so a store implements each read once.
///
/// Lists of IDs come back in the order asked, each ID as often as asked, unknown IDs left out.
public protocol ReferenceStore: AnyObject, Sendable {
    /// The staff member with this ID.
    func staffMember(id: String) async throws -> Staff?
    /// Staff members, in ID order, whose latest assignment (the last one the record lists) is at `office` (any office
    /// when `nil`) and whose role is `role` (any role when `nil`).
    func staffMembers(office: String?, role: StaffRole?) async throws -> [Staff]
    /// The office with this code.
    func office(code: String) async throws -> Office?
    /// Every office, in code order.
    func offices() async throws -> [Office]
    /// The register with this ID.
    func register(id: String) async throws -> Register?
    /// Registers by ID.
    func registers(ids: [String]) async throws -> [Register]
    /// IDs of the registers that list the person as a member, in ID order.
    func registerIDs(member person: String) async throws -> [String]
    /// The person with this ID.
    func person(id: String) async throws -> Person?
    /// Persons by ID.
    func persons(ids: [String]) async throws -> [Person]
    /// Every protection (VIP, DV support …) recorded for the person.
    func protections(person: String) async throws -> [Protection]
    /// The case with this ID.
    func caseRecord(id: String) async throws -> Case?
    /// Cases by ID.
    func cases(ids: [String]) async throws -> [Case]
    /// Cases that name the person (when given) or one of the registers, each once, in ID order.
    func cases(person: String?, registers: [String]) async throws -> [Case]
    /// Registers matching a name, kana, birth or 本籍 query, at most `limit`. The fields given must all fit (AND); name,
    /// kana and birth must fit one member of the register (with or without the space between family and given name,
    /// birth as a prefix: `1969`, `1969-06`), 本籍 the register itself. A field that is empty or only blanks is absent,
    /// and a query with no field matches nothing (empty is unknown). Current registers first, then by ID (a query of
    /// 本籍 alone: by ID).
    func searchRegisters(_ query: RegisterQuery, limit: Int) async throws -> [Register]
    /// Every answer to a self-report survey, in staff order.
    func selfReports(survey: String) async throws -> [SelfReport]
    /// Every survey the store holds answers to (imported or answered in the workspace), with how many answers each
    /// has, in survey order (byte order of the ID).
    func surveys() async throws -> [SurveyCount]
}

/// A self-report survey and how many staff members answered it.
public struct SurveyCount: Sendable, Equatable {
    public var survey: String
    public var answers: Int

    public init(survey: String, answers: Int) {
        self.survey = survey
        self.answers = answers
    }
}

extension ReferenceStore {
    public func register(id: String) async throws -> Register? { try await registers(ids: [id]).first }
    public func person(id: String) async throws -> Person? { try await persons(ids: [id]).first }
    public func caseRecord(id: String) async throws -> Case? { try await cases(ids: [id]).first }
}

/// Certificates the workspace issued (発行), with their numbers and copies: written by the workspace, read by the
/// disclosure report and the 本人通知.
public protocol IssuanceStore: AnyObject, Sendable {
    /// Records one issuance.
    func saveIssuance(_ issuance: IssuanceRecord) async throws
    /// The issuances recorded for a case, in issuance order.
    func issuances(caseID: String) async throws -> [IssuanceRecord]
}
