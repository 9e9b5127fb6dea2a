@testable import AkashiAudit
import Testing

/// The "why" column of `akashi audit calibrate` (docs/audit.md §4a).
@Suite("Why a weight is what it is here")
struct CalibrationWhyTests {
    func row(rate: Double, reference: Double, weight: Double, undocumented: Bool = false) -> CalibrationRow {
        CalibrationRow(office: nil, officeName: nil, reason: .search_nothing_opened, explained: 1000, holds: 10,
                       rate: rate, referenceRate: reference, defaultWeight: 0.30, weight: weight,
                       undocumented: undocumented)
    }

    @Test func aRateAboveItsReferenceIsCommonHere() {
        #expect(row(rate: 0.18, reference: 0.05, weight: 0.11, undocumented: true).why.contains("3.6倍"))
    }

    @Test func aRowLoweredByItsOtherBaselineSaysSoInsteadOfARatioBelowOne() {
        // Documented rate 0.0041 against 0.05: not common here; the undocumented row lowered the weight.
        let w = row(rate: 0.0041, reference: 0.05, weight: 0.11).why
        #expect(w.contains("undocumented") && !w.contains("倍"))
        let u = row(rate: 0.01, reference: 0.05, weight: 0.11, undocumented: true).why
        #expect(u.contains("documented work") && !u.contains("倍"))
    }

    @Test func unchangedAndRaisedWeights() {
        #expect(row(rate: 0.05, reference: 0.05, weight: 0.30).why.contains("as the reference"))
        #expect(row(rate: 0.01, reference: 0.05, weight: 0.40).why.contains("rare"))
    }

    /// A case shape is in doubt or not, by its threshold (`alone_other_office`), not by a ratio to its reference.
    @Test func aCaseShapeSaysWhetherItIsInDoubtHere() {
        func shape(_ rate: Double) -> CalibrationRow {
            CalibrationRow(office: nil, officeName: nil, reason: .alone_other_office, explained: 8000, holds: 0,
                           rate: rate, referenceRate: 0.03, defaultWeight: 0.40, weight: rate <= 0.005 ? 0.40 : 0,
                           doubtAtMost: 0.005)
        }
        #expect(shape(0.0002).why.contains("weak explanation") && shape(0.0002).why.contains("0.5%"))
        #expect(shape(0.08).why.contains("not in doubt") && !shape(0.08).why.contains("倍"))
    }
}
