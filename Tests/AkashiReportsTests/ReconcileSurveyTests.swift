import AkashiAudit
import AkashiDomain
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Testing

@Suite("Reconciling a survey the store has no answers to")
struct ReconcileSurveyTests {
    @Test("an unknown survey is an error, not every flagged staff member listed as undeclared but found")
    func unknownSurvey() async throws {
        let t = try await TestStore(lines: [
            Lines.office("27108", "大正区役所"),
            Lines.staff("S1", "甲"), Lines.staff("S2", "乙"),
            Lines.register("R1", members: ["P1"]), Lines.person("P1", "浪花 一郎", register: "R1"),
            Lines.selfReport("S1", declares: "none"),
        ])
        try t.store.saveFindings([
            StoredFinding(seq: 100, finding: ReconcileTests.finding("A1", staff: "S2", at: "2011-03-11T10:00:00+09:00",
                                                                    person: "P1")),
        ])
        let service = ReconcileService(store: t.store)
        #expect(try await service.reconcile(survey: "2014-02").undeclaredFound == ["S2"])
        await #expect(throws: ReportError("no self-report answers for survey NOSUCH in the store (it holds 1 answer to other surveys)")) {
            try await service.reconcile(survey: "NOSUCH")
        }
        await #expect(throws: ReportError.self) { try await service.answers(survey: "2014-2") }
        #expect(try await service.answers(survey: "2014-02").map(\.staff) == ["S1"])
    }
}
