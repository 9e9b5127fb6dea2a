import AkashiAudit
import AkashiDomain

extension AuditFeedback {
    /// The auditors' decisions recorded in the console: every investigation opened from a finding and disposed as
    /// 業務外 (misuse confirmed) or 業務上 (for work) counts the finding's reasons, at the office of its access, as
    /// confirmed or dismissed. Investigations still open or awaiting an interview teach nothing.
    public static func decisions(in store: any ConsoleStore & FindingStore) async throws -> AuditFeedback {
        var feedback = AuditFeedback()
        let decided = try await store.investigations(status: nil, staff: nil, finding: nil).filter {
            $0.finding != nil && ($0.disposition == .business || $0.disposition == .nonBusiness)
        }
        guard !decided.isEmpty else { return feedback }
        var office: [String: String] = [:]
        let ids = Array(Set(decided.compactMap(\.finding))).sorted()
        for start in stride(from: 0, to: ids.count, by: 500) {
            for sf in try store.findings(accessIDs: Array(ids[start..<min(ids.count, start + 500)])) {
                office[sf.finding.access] = sf.finding.office
            }
        }
        for i in decided {
            guard let access = i.finding else { continue }
            feedback.record(office: office[access], reasons: i.reasonCodes, misuse: i.disposition == .nonBusiness)
        }
        return feedback
    }
}

extension AuditService {
    /// An audit service whose configuration carries the auditors' decisions recorded in the console
    /// (``AuditFeedback/decisions(in:)``): what they dismissed weighs less for later accesses at that office, what
    /// they confirmed weighs more.
    public static func taught(store: any AkashiStore & FindingStore & ConsoleStore,
                              config: AuditConfig = AuditConfig()) async throws -> AuditService {
        var c = config
        c.feedback = try await AuditFeedback.decisions(in: store)
        return AuditService(store: store, config: c)
    }
}
