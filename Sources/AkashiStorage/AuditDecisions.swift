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
            for sf in try await store.findings(accessIDs: Array(ids[start..<min(ids.count, start + 500)])) {
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

extension AuditService {
    /// Runs the audit while holding the store's audit lease (``StoreLease/audit``), waiting while another process —
    /// a server's background audit, another `akashi audit` — holds it: two audits at once would both journal the same
    /// findings (twice, or colliding on their journal IDs). `rebuild` forgets what was audited first, under the same
    /// lease. `waiting` is called once if the lease was taken when asked.
    public func runHoldingLease(rebuild: Bool = false, waiting: (() -> Void)? = nil,
                                progress: (@Sendable (String) -> Void)? = nil) async throws -> AuditRunSummary {
        var told = false
        while true {
            let summary = try await store.withLease(.audit) { () async throws -> AuditRunSummary in
                if rebuild { try await store.resetAudit() }
                return try await run(progress: progress)
            }
            if let summary { return summary }
            if !told {
                waiting?()
                told = true
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
