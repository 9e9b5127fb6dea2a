import AkashiDomain
import AkashiInterchange
import AkashiStorage
import Foundation

/// 本人通知制度: residents who registered are told when a certificate about them is issued to a third party or a
/// professional (職務上請求) — when, where, which certificate, how many copies and the requester's class; never
/// the requester's name. Official requests (公用請求) are not notified.
public struct NoticeService: Sendable {
    public let store: any ReportStore
    /// Requester classes that produce a notice.
    public var notifiedRequesters: Set<Requester> = [.third_party, .professional]
    public var clock: @Sendable () -> Timestamp = {
        Timestamp(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    public init(store: any ReportStore) {
        self.store = store
    }

    /// Registers (or re-registers) a person for notices from `date` on.
    public func register(person: String, address: String, on date: LocalDate) async throws {
        guard try await !store.persons(ids: [person]).isEmpty else { throw ReportError("no person with ID \(person)") }
        let a = address.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !a.isEmpty else { throw ReportError("a mailing address is required") }
        try await store.saveNoticeRegistration(NoticeRegistration(person: person, registered: date, address: a))
    }

    /// Produces the notices due (one per registered person and issuance; running it again produces nothing new),
    /// records each new one in the ledger as a `notice.produced` journal event, and returns the new ones.
    @discardableResult
    public func produce() async throws -> [ResidentNotice] {
        var fresh: [ResidentNotice] = []
        for reg in try await store.noticeRegistrations() {
            guard let person = try await store.persons(ids: [reg.person]).first else { continue }
            let registers = Set([person.register] + (try await store.registerIDs(member: reg.person)))
            let cases = try await store.cases(person: reg.person, registers: registers.sorted()).filter { c in
                guard c.kind.isCertificate, let r = c.requester, notifiedRequesters.contains(r) else { return false }
                if c.status == .rejected || c.status == .withdrawn { return false }
                if c.persons.contains(reg.person) { return true }
                // A full certificate (全部事項証明) shows every member of the register.
                let aboutRegister = c.registers.contains(where: registers.contains)
                return aboutRegister && (c.persons.isEmpty || c.kind == .certificate_full)
            }
            for c in cases {
                let prints = try await store.accessEvents([EventSelection(.case(c.id))], below: nil).compactMap { row -> AccessEvent? in
                    let e = try StoredEntryError.access(seq: row.seq, entry: row.entry)
                    return e.action == .print ? e : nil
                }.sorted { $0.at.millis < $1.at.millis }
                let issued: Timestamp
                if let first = prints.first {
                    issued = first.at
                } else if c.status == .done {
                    issued = c.closed ?? c.received
                } else {
                    continue
                }
                guard issued.jstDate >= reg.registered else { continue }
                var copies: Int?
                let recorded = try await store.issuances(caseID: c.id)
                if !recorded.isEmpty {
                    copies = recorded.reduce(0) { $0 + $1.copies }
                }
                let n = ResidentNotice(person: reg.person, caseID: c.id, issued: issued, office: prints.first?.office ?? c.office,
                                       certificate: c.kind.rawValue, copies: copies, requester: c.requester!.rawValue,
                                       produced: clock(), journalID: Self.journalID(person: reg.person, caseID: c.id))
                let (stored, inserted) = try await store.insertNotice(n)
                if inserted { fresh.append(stored) }
            }
        }
        try await journalPending()
        return fresh.map { n in var n = n; n.journaled = true; return n }
    }

    static func journalID(person: String, caseID: String) -> String { "NOTICE-\(person)-\(caseID)" }

    /// Writes the notices not yet in the ledger as `notice.produced` journal events; returns how many were appended.
    @discardableResult
    public func journalPending() async throws -> Int {
        let pending = try await store.unjournaledNotices()
        guard !pending.isEmpty else { return 0 }
        // A notice whose event reached the ledger before a crash is only marked, never appended twice.
        var events: [JournalEvent] = []
        for n in pending where try await store.ledgerIndex(ofEvent: n.journalID) == nil {
            events.append(Self.journalEvent(n))
        }
        if !events.isEmpty { try await store.appendJournal(events) }
        try await store.markNoticesJournaled(ids: pending.map(\.id))
        return events.count
    }

    /// The ledger's record of a produced notice.
    public static func journalEvent(_ n: ResidentNotice) -> JournalEvent {
        var detail: [(String, JSONValue)] = [
            ("notice", .number(String(n.id))), ("case", .string(n.caseID)), ("certificate", .string(n.certificate)),
            ("requester", .string(n.requester)), ("issued", .string(n.issued.description)), ("office", .string(n.office)),
        ]
        detail.append(("copies", n.copies.map { .number(String($0)) } ?? .null))
        return JournalEvent(id: n.journalID, at: n.produced, kind: "notice.produced", office: n.office, subject: n.person,
                            detail: .object(detail))
    }

    public func list(pendingOnly: Bool) async throws -> [ResidentNotice] { try await store.notices(pendingOnly: pendingOnly) }

    /// Marks a notice as mailed.
    public func markSent(id: Int64) async throws -> Bool { try await store.markNoticeSent(id: id, at: clock()) }

    // MARK: Rendering

    /// The notices as JSON (an array; requester class only).
    public func json(_ notices: [ResidentNotice]) throws -> Data {
        let items = notices.map { n in
            NoticeJSON(id: n.id, person: n.person, issued: n.issued.description, date: n.issued.jstDate.description,
                       office: n.office, certificate: n.certificate, copies: n.copies, requester: n.requester,
                       produced: n.produced.description, sent: n.sent?.description)
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try enc.encode(items)
    }

    /// A terminal table.
    public func table(_ notices: [ResidentNotice]) -> String {
        var s = "id     person       issued      office  certificate              copies  requester     sent\n"
        for n in notices {
            s += String(n.id).padding(toLength: 7, withPad: " ", startingAt: 0)
                + n.person.padding(toLength: 13, withPad: " ", startingAt: 0)
                + n.issued.jstDate.description + "  " + n.office.padding(toLength: 8, withPad: " ", startingAt: 0)
                + n.certificate.padding(toLength: 25, withPad: " ", startingAt: 0)
                + (n.copies.map { String($0) } ?? "-").padding(toLength: 8, withPad: " ", startingAt: 0)
                + n.requester.padding(toLength: 14, withPad: " ", startingAt: 0)
                + (n.sent?.jstDate.description ?? "pending") + "\n"
        }
        return s
    }

    /// Printable notices, one per A4 page, addressed to the registered person.
    public func html(_ notices: [ResidentNotice], contact: ResidentContact = ResidentContact()) async throws -> String {
        let h = ReportText.html
        let regs = Dictionary(try await store.noticeRegistrations().map { ($0.person, $0) }, uniquingKeysWith: { a, _ in a })
        let persons = Dictionary(try await store.persons(ids: Array(Set(notices.map(\.person)))).map { ($0.id, $0) },
                                 uniquingKeysWith: { a, _ in a })
        let offices = Dictionary(try await store.offices().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        var s = "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
        s += "<title>本人通知 — Notice of certificate issuance</title>\n<style>\n\(ReportText.css)\n</style>\n</head>\n<body>\n"
        if notices.isEmpty {
            s += "<p class=\"noprint\">印刷する未送付の通知はありません。監査コンソールの「本人通知」で「新しい通知を作成」を押すと、"
                + "登録した方に関わる第三者等への交付から通知を作ります。<br><span class=\"en\">No notices are waiting to be "
                + "printed. “Produce new notices” on the console's notices page makes them from issuances to third parties "
                + "about registered residents.</span></p>\n"
        }
        let ask = contact.whereToAsk(.issuance)
        for n in notices {
            s += "<section class=\"notice\">\n"
            s += "<p class=\"letterhead\">" + (contact.municipality.isEmpty ? "" : "\(h(contact.municipality))<br>")
                + "\(h(ReportText.wareki(n.produced.jstDate.description)))</p>\n"
            s += "<p>\(h(regs[n.person]?.address ?? ""))<br>\(h(persons[n.person]?.name ?? n.person)) 様</p>\n"
            s += "<h1>戸籍証明書等の交付についてのお知らせ（本人通知）<br><span class=\"en\">Notice: a certificate about you was issued</span></h1>\n"
            s += "<p>事前登録に基づき、あなたの戸籍に関する証明書等を第三者等に交付したことをお知らせします。<br>"
                + "<span class=\"en\">As you registered for notices, we inform you that a certificate about you was issued to someone other than you.</span></p>\n"
            s += "<table>\n"
            s += "<tr><th>通知番号 <span class=\"en\">Notice no.</span></th><td>\(n.id)</td></tr>\n"
            s += "<tr><th>交付日 <span class=\"en\">Issued</span></th><td>\(h(ReportText.wareki(n.issued.jstDate.description))) <span class=\"en\">\(h(n.issued.jstDate.description))</span></td></tr>\n"
            s += "<tr><th>交付した区役所等 <span class=\"en\">Office</span></th><td>\(h(offices[n.office] ?? n.office))</td></tr>\n"
            s += "<tr><th>証明書の種類 <span class=\"en\">Certificate</span></th><td>\(h(ReportText.certificateJa(n.certificate))) <span class=\"en\">\(h(CaseKind(rawValue: n.certificate)?.en ?? n.certificate))</span></td></tr>\n"
            s += "<tr><th>通数 <span class=\"en\">Copies</span></th><td>\(n.copies.map { String($0) } ?? "—")</td></tr>\n"
            s += "<tr><th>請求者の区分 <span class=\"en\">Requester class</span></th><td>\(h(ReportText.requesterJa(n.requester))) <span class=\"en\">\(h(Requester(rawValue: n.requester)?.en ?? n.requester))</span></td></tr>\n"
            s += "</table>\n"
            s += "<p>請求者の氏名等は通知しません。交付の詳細については開示請求ができます。<br>"
                + "<span class=\"en\">The requester's name is not disclosed by this notice; you may request disclosure of the details.</span></p>\n"
            s += "<p>\(h(ask.ja))<br><span class=\"en\">\(h(ask.en))</span></p>\n"
            s += "</section>\n"
        }
        return s + "</body>\n</html>\n"
    }
}

struct NoticeJSON: Codable {
    var id: Int64
    var person: String
    var issued: String
    var date: String
    var office: String
    var certificate: String
    var copies: Int?
    var requester: String
    var produced: String
    var sent: String?
}
