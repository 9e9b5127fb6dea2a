import AkashiDomain
import Foundation
import Testing
@testable import AkashiWeb

/// The register view's body is written field by field; it must stay byte for byte what the dictionary encoder gave
/// (every key present, absent values as null, keys in byte order, strings escaped).
@Suite("register view JSON")
struct RegisterJSONTests {
    /// The shape the route answered with before (a dictionary through `JSONBody`), kept here as the reference.
    static func reference(_ v: RegisterView) -> [String: Any] {
        let r = v.register
        let byID = Dictionary(v.members.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        var o: [String: Any] = ["id": r.id, "kind": r.kind.rawValue, "record": v.record.rawValue, "honseki": r.honseki,
                                "office": r.office, "predecessors": r.predecessors, "successors": r.successors,
                                "event": v.eventID]
        o["head"] = r.head ?? NSNull()
        o["headName"] = r.head.flatMap { byID[$0]?.name } ?? NSNull()
        o["opened"] = r.opened?.description ?? NSNull()
        o["closed"] = r.closed?.description ?? NSNull()
        o["members"] = v.members.map { p -> [String: Any] in
            ["id": p.id, "name": p.name, "kana": p.kana ?? NSNull(), "birth": p.birth?.description ?? NSNull(),
             "sex": p.sex ?? NSNull(), "died": p.died?.description ?? NSNull(),
             "relations": p.relations.map { ["kind": $0.kind.rawValue, "person": $0.person] }]
        }
        if v.record == .fuhyo {
            o["addresses"] = v.members.map { p -> [String: Any] in
                ["person": p.id, "name": p.name, "address": p.address ?? NSNull(),
                 "since": p.addressSince?.description ?? NSNull()]
            }
        }
        if let c = v.caseRecord { o["case"] = c.id }
        return o
    }

    static let members = [
        Person(id: "P1", name: "山田 \"太郎\"\n<script>", kana: "ヤマダ タロウ", birth: LocalDate(year: 1960, month: 4, day: 1),
               sex: "male", register: "R1", address: "大阪市北区\\1-1", addressSince: LocalDate(year: 2001, month: 2, day: 3),
               relations: [Relation(kind: .spouse, person: "P2"), Relation(kind: .child, person: "P3")]),
        Person(id: "P2", name: "山田 花子", register: "R1", died: LocalDate(year: 2012, month: 12, day: 31)),
    ]

    @Test("current record with a case, nulls kept, escaping", arguments: [RecordKind.current, .fuhyo])
    func sameBytes(record: RecordKind) throws {
        let register = Register(id: "R1", kind: .current, honseki: "大阪市北区西天満\t二丁目", office: "27127", head: "P1",
                                members: ["P1", "P2"], opened: LocalDate(year: 1985, month: 6, day: 1),
                                predecessors: ["R0"], successors: [])
        let c = Case(id: "C1", office: "27127", kind: .certificate_full, received: Timestamp(millis: 1_700_000_000_000))
        for (members, caseRecord) in [(Self.members, Optional(c)), ([], nil)] {
            let v = RegisterView(register: register, record: record, members: members, caseRecord: caseRecord, eventID: "W1-ab")
            let written = String(decoding: APIRoutes.registerJSON(v), as: UTF8.self)
            #expect(written == JSONBody.encode(Self.reference(v)))
            #expect(try JSONSerialization.jsonObject(with: Data(written.utf8)) is [String: Any])
        }
        let headless = RegisterView(register: Register(id: "R2", kind: .removed, honseki: "x", office: "27127"),
                                    record: .removed, members: [], caseRecord: nil, eventID: "W2")
        let text = String(decoding: APIRoutes.registerJSON(headless), as: UTF8.self)
        #expect(text == JSONBody.encode(Self.reference(headless)))
        #expect(text.contains(#""head":null,"headName":null"#))
    }
}
