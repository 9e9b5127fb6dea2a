import AkashiAudit
import AkashiDomain
import Testing

/// Auditor feedback: decisions on earlier findings change the weight of the same reasons at the same office.
@Suite("Auditor feedback")
struct FeedbackTests {
    func direct(_ staff: String, _ register: String, _ time: String) -> AccessEvent {
        W.access(staff, "2012-05-10T" + time + "+09:00", register: register)
    }

    @Test func dismissalsAtAnOfficeLowerThatReasonThereOnly() {
        // A register opened directly with no document: no_search, flagged.
        let before = W.engine().audit(direct("S_T2", "R_B", "10:00:00"))
        #expect(before.reasonCodes == ["no_search"] && before.flagged)
        var fb = AuditFeedback()
        for _ in 0..<6 { fb.record(office: "27108", reasons: ["no_search"], misuse: false) }
        var config = AuditConfig()
        config.feedback = fb
        let after = W.engine(config: config).audit(direct("S_T2", "R_B", "10:00:00"))
        #expect(after.reasonCodes == ["no_search"] && !after.flagged && after.score < before.score)
        // Another office keeps the default.
        let elsewhere = W.engine(config: config).audit(direct("S_YODO", "R_K", "10:00:00"))
        let plain = W.engine().audit(direct("S_YODO", "R_K", "10:00:00"))
        #expect(elsewhere.score == plain.score)
    }

    @Test func confirmationsRaiseAReasonAndMixedDecisionsMoveLittle() {
        let base = W.engine().audit(direct("S_TAISHO", "R_N", "10:00:00"))
        #expect(base.reasonCodes.contains("neighbour"))
        var confirmed = AuditFeedback()
        for _ in 0..<4 { confirmed.record(office: "27108", reasons: ["neighbour"], misuse: true) }
        var c = AuditConfig()
        c.feedback = confirmed
        #expect(W.engine(config: c).audit(direct("S_TAISHO", "R_N", "10:00:00")).score > base.score)
        var mixed = AuditFeedback()
        mixed.record(office: "27108", reasons: ["neighbour"], misuse: true)
        mixed.record(office: "27108", reasons: ["neighbour"], misuse: false)
        #expect(mixed.factor(.neighbour, office: "27108") == 1)
        // One decision moves a weight by a quarter of its odds at most (pseudo-count 3).
        var one = AuditFeedback()
        one.record(office: "27108", reasons: ["neighbour"], misuse: false)
        #expect(one.factor(.neighbour, office: "27108") == 0.75)
    }

    @Test func protectedPersonsAreNeverLoweredAndBlankOfficesTeachNothing() {
        var fb = AuditFeedback()
        for _ in 0..<20 { fb.record(office: "27108", reasons: ["vip", "dv_support", "no_search"], misuse: false) }
        fb.record(office: "", reasons: ["neighbour"], misuse: false)
        fb.record(office: nil, reasons: ["neighbour"], misuse: false)
        fb.record(office: "27108", reasons: ["not_a_reason"], misuse: true)
        #expect(fb.factor(.vip, office: "27108") == 1 && fb.factor(.dv_support, office: "27108") == 1)
        #expect(fb.factor(.no_search, office: "27108") == 0.25)
        #expect(fb.factor(.neighbour, office: "27108") == 1)
        var config = AuditConfig()
        config.feedback = fb
        let f = W.engine(config: config).audit(direct("S_TAISHO", "R_MAYOR", "10:00:00"))
        #expect(f.reasonCodes.contains("vip") && f.flagged)
    }
}
