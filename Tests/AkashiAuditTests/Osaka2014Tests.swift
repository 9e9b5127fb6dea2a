import AkashiAudit
import AkashiDomain
import Testing

/// The 2014 Osaka case on a small fixture: two clerks looked at the mayor's register with no business document,
/// while the mayor's own certificate request, handled at the counter, is ordinary work.
@Suite("Osaka 2014")
struct Osaka2014Tests {
    @Test func clerksViewingTheMayorAreFlaggedAndTheMayorsOwnRequestIsNot() {
        // The mayor's own certificate request at 北区 (requester self).
        let own = W.kase("C_MAYOR_SELF", office: "27127", kind: .certificate_full, requester: .own,
                         received: "2012-05-10T10:00:00+09:00", closed: "2012-05-10T10:20:00+09:00", staff: ["S_KITA"],
                         registers: ["R_MAYOR"], persons: ["P_MAYOR"])
        let engine = W.engine([own])
        var events: [AccessEvent] = []
        // 大正区 clerk: 5 current + 3 fuhyo over 3 dates.
        let taisho: [(String, RecordKind)] = [
            ("2011-03-11T10:15:00+09:00", .current), ("2011-03-11T10:16:00+09:00", .fuhyo),
            ("2011-03-11T10:18:00+09:00", .current),
            ("2011-10-05T14:02:00+09:00", .current), ("2011-10-05T14:03:00+09:00", .fuhyo),
            ("2011-10-05T14:05:00+09:00", .current),
            ("2011-11-15T09:40:00+09:00", .current), ("2011-11-15T09:41:00+09:00", .fuhyo),
        ]
        for (i, (at, rec)) in taisho.enumerated() {
            events.append(W.access("S_TAISHO", at, .view, rec, register: "R_MAYOR", office: "27108", id: "E_T\(i)"))
        }
        // The counter work on the mayor's own request: some accesses name the case, some do not.
        let counter: [AccessEvent] = [
            W.access("S_KITA", "2012-05-10T10:02:00+09:00", .search, .current, office: "27127",
                     query: W.nameQuery("はしもと とおる"), results: ["R_MAYOR"], id: "E_K0"),
            W.access("S_KITA", "2012-05-10T10:04:00+09:00", .view, .current, register: "R_MAYOR", office: "27127",
                     id: "E_K1"),
            W.access("S_KITA", "2012-05-10T10:06:00+09:00", .view, .current, register: "R_MAYOR",
                     caseID: "C_MAYOR_SELF", office: "27127", id: "E_K2"),
            W.access("S_KITA", "2012-05-10T10:08:00+09:00", .print, .current, register: "R_MAYOR",
                     caseID: "C_MAYOR_SELF", office: "27127", id: "E_K3"),
            W.access("S_KITA", "2012-05-10T10:10:00+09:00", .view, .fuhyo, register: "R_MAYOR", office: "27127",
                     id: "E_K4"),
        ]
        events += counter
        // 淀川区 clerk: 1 current + 1 heisei original.
        events.append(W.access("S_YODO", "2013-11-14T15:30:00+09:00", .view, .current, register: "R_MAYOR",
                               office: "27123", id: "E_Y0"))
        events.append(W.access("S_YODO", "2013-11-14T15:31:00+09:00", .view, .heisei_original, register: "R_MAYOR_H",
                               office: "27123", id: "E_Y1"))
        events.sort { $0.at < $1.at }

        var ranking = StaffRanking()
        var findings: [String: AccessFinding] = [:]
        for e in events {
            let f = engine.audit(e)
            findings[e.id] = f
            ranking.add(f)
        }
        let misuse = findings.values.filter { $0.staff == "S_TAISHO" || $0.staff == "S_YODO" }
        #expect(misuse.count == 10)
        for f in misuse {
            #expect(f.flagged, "\(f.access)")
            #expect(f.has("vip"), "\(f.access)")
            #expect(!f.explained && f.explanation == nil, "\(f.access)")
            #expect(f.reasons.first { $0.code == "vip" }!.ja.contains("VIP（市長）"))
        }
        #expect(findings["E_T3"]!.has("repeated"))
        for e in counter {
            let f = findings[e.id]!
            #expect(!f.flagged, "\(f.access)")
            #expect(f.explained && f.reasons.isEmpty, "\(f.access)")
        }
        #expect(findings["E_K1"]!.rule == "own_case")
        #expect(findings["E_K2"]!.rule == "named_case")

        let ranked = ranking.ranked()
        #expect(ranked.first?.staff == "S_TAISHO")
        #expect(ranked.first?.flagged == 8)
        #expect(ranked.first { $0.staff == "S_KITA" }?.flagged == 0)
        #expect(ranking.flaggedSubjects().first?.subject == "P_MAYOR")
    }
}
