import AkashiDomain
import Foundation

/// HTML and CSV text helpers shared by the reports.
public enum ReportText {
    /// Escapes text for HTML element content and attribute values.
    public static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a leading `= + - @` is prefixed
    /// with `'` so that a spreadsheet never runs it as a formula.
    public static func csv(_ s: String) -> String {
        var v = s
        if let f = v.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(f) { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    /// A CSV line (CRLF-terminated, as Excel expects).
    public static func csvLine(_ fields: [String]) -> String { fields.map(csv).joined(separator: ",") + "\r\n" }

    /// The UTF-8 byte order mark Excel needs to read UTF-8 CSV (Japanese Excel otherwise assumes Shift_JIS).
    public static let bom = "\u{FEFF}"

    /// `2011-03-11` → `平成23年3月11日` (明治 … 令和); the ISO form when it cannot be parsed.
    public static func wareki(_ iso: String) -> String {
        guard let d = LocalDate(iso) else { return iso }
        let (y, m, day) = d.parts
        let eras: [(String, LocalDate, Int)] = [
            ("令和", LocalDate(year: 2019, month: 5, day: 1)!, 2019), ("平成", LocalDate(year: 1989, month: 1, day: 8)!, 1989),
            ("昭和", LocalDate(year: 1926, month: 12, day: 25)!, 1926), ("大正", LocalDate(year: 1912, month: 7, day: 30)!, 1912),
            ("明治", LocalDate(year: 1868, month: 1, day: 25)!, 1868),
        ]
        for (name, start, base) in eras where d >= start {
            let n = y - base + 1
            return "\(name)\(n == 1 ? "元" : String(n))年\(m)月\(day)日"
        }
        return iso
    }

    /// A timestamp as staff read it, in Japan time to the minute: `2026-12-06T16:59:41.873+09:00` →
    /// `2026年12月6日 16:59`; with `wareki`, `令和8年12月6日 16:59`. The text unchanged when it is not a timestamp.
    public static func dateTime(_ iso: String, wareki useWareki: Bool = false) -> String {
        guard let t = Timestamp(iso) else { return iso }
        let d = t.jstDate, (y, m, day) = d.parts
        let minute = t.jstMinuteOfDay
        let clock = "\(minute / 60):" + (minute % 60 < 10 ? "0" : "") + "\(minute % 60)"
        return (useWareki ? wareki(d.description) : "\(y)年\(m)月\(day)日") + " " + clock
    }

    /// A date (`2011-03-11`, or the date part of a timestamp) as staff read it: `2011年3月11日`.
    public static func date(_ iso: String) -> String {
        if let t = Timestamp(iso) { let (y, m, d) = t.jstDate.parts; return "\(y)年\(m)月\(d)日" }
        guard let d = LocalDate(iso) else { return iso }
        let (y, m, day) = d.parts
        return "\(y)年\(m)月\(day)日"
    }

    /// Japanese name of a record kind value.
    public static func recordJa(_ raw: String) -> String { RecordKind(rawValue: raw)?.ja ?? raw }

    /// English name of a record kind value.
    public static func recordEn(_ raw: String) -> String {
        switch raw {
        case "current": "current register"
        case "removed": "removed register"
        case "heisei_original": "Heisei pre-reform register"
        case "showa_original": "Showa pre-reform register"
        case "fuhyo": "address attachment"
        case "form": "notification form"
        default: raw
        }
    }

    /// Japanese name of an action value.
    public static func actionJa(_ raw: String) -> String { AccessAction(rawValue: raw)?.ja ?? raw }

    /// What became of an attempt, in Japanese and English; empty for one carried out (`ok`). A refused view or print
    /// showed or printed nothing, and a resident must not read it as done.
    public static func outcomeText(_ raw: String) -> (ja: String, en: String) {
        switch AccessOutcome(rawValue: raw) {
        case .ok: ("", "")
        case .denied: ("拒否（表示・出力されていません）", "refused: nothing was shown or printed")
        case .not_found: ("該当なし（表示されていません）", "not found: nothing was shown")
        case .error, nil: ("失敗（表示・出力されていません）", "failed: nothing was shown or printed")
        }
    }

    /// Japanese name of a requester class.
    public static func requesterJa(_ raw: String) -> String { Requester(rawValue: raw)?.ja ?? raw }

    /// Japanese name of a certificate kind.
    public static func certificateJa(_ raw: String) -> String { CaseKind(rawValue: raw)?.ja ?? raw }

    /// The record kinds in the order the 2014 table lists them.
    static let recordOrder = ["current", "removed", "heisei_original", "showa_original", "fuhyo", "form"]

    /// Shared print CSS: A4, with English beside the Japanese in a lighter face.
    static let css = """
        @page { size: A4; margin: 18mm 16mm; }
        body { font-family: "Noto Serif JP", "Hiragino Mincho ProN", "Yu Mincho", serif; font-size: 10.5pt; color: #000; margin: 0 auto; max-width: 180mm; }
        h1 { font-size: 15pt; margin: 0 0 4mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #000; }
        h3 { font-size: 11pt; margin: 4mm 0 1mm; }
        .en { color: #444; font-size: 85%; font-family: "Helvetica Neue", Arial, sans-serif; }
        table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; page-break-inside: avoid; }
        th, td { border: 1px solid #000; padding: 1.2mm 2mm; vertical-align: top; text-align: left; }
        th { background: #eee; width: 32%; font-weight: normal; }
        table.events th { width: auto; } table.events td, table.events th { font-size: 8.5pt; }
        pre { font-size: 7.5pt; white-space: pre-wrap; word-break: break-all; border: 1px solid #999; padding: 2mm; }
        .notice { page-break-after: always; } .notice:last-child { page-break-after: auto; }
        .code { font-family: monospace; font-size: 14pt; letter-spacing: 1mm; border: 2px solid #000; padding: 2mm 4mm; display: inline-block; }
        .letterhead { text-align: right; margin: 0 0 4mm; } .addressee { font-size: 12pt; margin: 0 0 4mm; }
        .codebox { border: 1.5px solid #000; padding: 1mm 4mm 2mm; margin: 0 0 5mm; } .codebox h2 { border: none; margin-top: 2mm; }
        .url { font-family: monospace; font-size: 12pt; word-break: break-all; }
        .technical { font-size: 7.5pt; color: #333; }
        @media print { a { color: #000; text-decoration: none; } .noprint { display: none; } }
        """
}

// MARK: - Disclosure: HTML

extension DisclosureReport {
    /// The printable A4 form in the layout of Osaka City's 2014 announcement (section 4: a table per ward with
    /// 閲覧者数, 閲覧日, 閲覧回数 and its breakdown, 対象戸籍数), Japanese with English beside. `code` (a one-time
    /// access code for the online history) is printed on the letter when given.
    public func html(code: String? = nil, codeExpires: String? = nil, contact: ResidentContact = ResidentContact()) -> String {
        let h = ReportText.html
        var s = "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
        s += "<title>戸籍等の閲覧状況の開示 — Disclosure of access</title>\n<style>\n\(ReportText.css)\n</style>\n</head>\n<body>\n"
        if !auditor {
            // A letter to the resident: who sends it, to whom, and when.
            s += "<p class=\"letterhead\">" + (contact.municipality.isEmpty ? "" : "\(h(contact.municipality))<br>")
                + "\(h(ReportText.wareki(String(generated.prefix(10)))))</p>\n"
            if subject.type == "person", let name = subject.name, !name.isEmpty {
                s += "<p class=\"addressee\">\(h(name)) 様</p>\n"
            }
        }
        s += "<h1>戸籍等の閲覧状況について（開示）<br><span class=\"en\">Disclosure of access to your family-register records</span></h1>\n"
        if let code {
            // The code first: it is what the resident acts on.
            s += "<div class=\"codebox\"><h2>オンラインで閲覧履歴を確認できます <span class=\"en\">See your access history online</span></h2>\n"
            if contact.pageURL.isEmpty {
                s += "<p>閲覧履歴の確認ページ（所在は\(h(contact.municipality.isEmpty ? "お住まいの市区町村" : contact.municipality))の戸籍担当窓口でご案内します）で、"
                    + "次の確認コードを入力してください。<br><span class=\"en\">Enter this code on the access-history page "
                    + "(the family-register desk tells you where it is).</span></p>\n"
            } else {
                s += "<p>次のページを開き、確認コードを入力してください。<br><span class=\"en\">Open this page and enter the code:</span></p>\n"
                    + "<p class=\"url\">\(h(contact.pageURL))</p>\n"
            }
            s += "<p><span class=\"code\">\(h(code))</span></p>\n"
            s += "<p>このコードは" + (codeExpires.map { "有効期限（\(h(ReportText.wareki($0)))）まで" } ?? "有効期限まで")
                + "何度でも使えます。大文字・小文字やハイフンの有無は問いません。他の人に知られないようにしてください。<br>"
                + "<span class=\"en\">The code can be used again and again" + (codeExpires.map { " until \(h($0))" } ?? " until it expires")
                + ". Case and hyphens do not matter. Keep it to yourself.</span></p></div>\n"
        }
        s += "<table>\n"
        let subjectLabel = subject.type == "person" ? "対象者 <span class=\"en\">Person</span>" : "対象戸籍 <span class=\"en\">Register</span>"
        s += "<tr><th>\(subjectLabel)</th><td>\(h(subject.name ?? "")) (\(h(subject.id)))</td></tr>\n"
        s += "<tr><th>対象期間 <span class=\"en\">Period</span></th><td>\(h(ReportText.wareki(period.from)))〜\(h(ReportText.wareki(period.to)))"
            + " <span class=\"en\">\(h(period.from)) – \(h(period.to))</span></td></tr>\n"
        s += "<tr><th>作成日時 <span class=\"en\">Produced</span></th><td>\(h(ReportText.dateTime(generated, wareki: true)))"
            + " <span class=\"en\">\(h(generated))</span></td></tr>\n"
        s += "</table>\n"

        s += "<h2>1. 区役所等ごとの閲覧状況 <span class=\"en\">Accesses by office</span></h2>\n"
        if offices.isEmpty && (withheld ?? []).isEmpty {
            s += "<p>この期間に、ご本人等の請求によるもの以外の閲覧はありません。<br><span class=\"en\">No access in this period other than for your own requests.</span></p>\n"
        }
        for (k, o) in offices.enumerated() {
            s += "<h3>(\(k + 1)) \(h(o.name)) <span class=\"en\">office \(h(o.office))</span></h3>\n<table>\n"
            s += "<tr><th>閲覧者数 <span class=\"en\">Staff who accessed</span></th><td>\(o.accessors)名 <span class=\"en\">\(o.accessors) person(s)</span></td></tr>\n"
            s += "<tr><th>閲覧日 <span class=\"en\">Dates</span></th><td>"
                + o.dates.map { "\(h(ReportText.wareki($0))) <span class=\"en\">\(h($0))</span>" }.joined(separator: "<br>")
                + "</td></tr>\n"
            let views = o.counts.values.reduce(0, +)
            let parts = ReportText.recordOrder.compactMap { k in o.counts[k].map { (k, $0) } }
                + o.counts.filter { !ReportText.recordOrder.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let ja = parts.map { "\(h(ReportText.recordJa($0.0))) \($0.1)回" }.joined(separator: "、")
            let en = parts.map { "\(h(ReportText.recordEn($0.0))) \($0.1)" }.joined(separator: ", ")
            s += "<tr><th>閲覧回数 <span class=\"en\">Views</span></th><td>計\(views)回" + (parts.isEmpty ? "" : "（\(ja)）")
                + " <span class=\"en\">\(views) in total" + (parts.isEmpty ? "" : " (\(en))") + "</span></td></tr>\n"
            s += "<tr><th>検索 <span class=\"en\">Searches listing your register</span></th><td>\(o.searches)回</td></tr>\n"
            s += "<tr><th>証明書等の出力 <span class=\"en\">Prints</span></th><td>\(o.prints)回</td></tr>\n"
            if o.refused > 0 {
                s += "<tr><th>拒否された試み <span class=\"en\">Refused attempts</span></th><td>\(o.refused)回"
                    + "（表示・出力されていません） <span class=\"en\">nothing was shown or printed</span></td></tr>\n"
            }
            s += "<tr><th>対象戸籍数 <span class=\"en\">Registers</span></th><td>\(o.registers)</td></tr>\n"
            s += "</table>\n"
            s += eventsTable(o.events)
        }
        if let withheld, !withheld.isEmpty {
            s += "<h3>非開示（支援措置） <span class=\"en\">Withheld (DV support)</span></h3>\n"
            s += "<p>次の\(withheld.count)件は、支援措置を受けている方の所在が分からないよう、区役所等を開示しません"
                + "（日時・操作・記録と受領証は載せます）。<br><span class=\"en\">The office of these \(withheld.count) "
                + "access(es) is withheld so as not to reveal where a person under DV support lives (time, action, record "
                + "and receipt are shown).</span></p>\n"
            s += eventsTable(withheld)
        }

        s += "<h2>2. ご本人等の請求による証明書の発行 <span class=\"en\">Certificates issued on your own (or your family's) requests</span></h2>\n"
        if issuances.isEmpty {
            s += "<p>ありません。<span class=\"en\">None.</span></p>\n"
        } else {
            s += "<table class=\"events\">\n<tr><th>発行日 <span class=\"en\">Date</span></th><th>区役所等 <span class=\"en\">Office</span></th>"
                + "<th>証明書 <span class=\"en\">Certificate</span></th><th>通数 <span class=\"en\">Copies</span></th>"
                + "<th>請求者 <span class=\"en\">Requester</span></th><th>操作件数 <span class=\"en\">Accesses</span></th></tr>\n"
            for i in issuances {
                s += "<tr><td>\(h(ReportText.wareki(i.date)))<br><span class=\"en\">\(h(i.date))</span></td><td>\(h(i.name))</td>"
                    + "<td>\(h(ReportText.certificateJa(i.certificate)))<br><span class=\"en\">\(h(CaseKind(rawValue: i.certificate)?.en ?? i.certificate))</span>"
                    + (i.issued ? "" : "<br>（未発行 <span class=\"en\">not issued</span>）") + "</td>"
                    + "<td>\(i.copies.map { String($0) } ?? "—")</td>"
                    + "<td>\(h(ReportText.requesterJa(i.requester)))<br><span class=\"en\">\(h(Requester(rawValue: i.requester)?.en ?? i.requester))</span></td>"
                    + "<td>\(i.events.count)</td></tr>\n"
            }
            s += "</table>\n"
        }

        if !auditor {
            let ask = contact.whereToAsk()
            s += "<h2>3. 心当たりのない閲覧があるとき <span class=\"en\">If you do not recognise an access</span></h2>\n"
            s += "<p>\(h(ask.ja))<br><span class=\"en\">\(h(ask.en))</span></p>\n"
        }
        s += "<h2>\(auditor ? "3" : "4"). 記録が正しいことの確かめ方 <span class=\"en\">How this record can be checked</span></h2>\n"
        s += "<p>この開示の各操作は、後から書き換えると分かる台帳（改ざん検知可能な台帳）に記録されています。受領証付きのデータ（JSON）が"
            + "あれば、市区町村から独立した第三者（弁護士、オンブズマンなど）が、台帳の公開鍵だけで、各操作が台帳に記録され、"
            + "後から消されたり変えられたりしていないことを確かめられます。<br>"
            + "<span class=\"en\">Every access in this disclosure is recorded in a ledger that shows any later change. With the "
            + "data carrying receipts (JSON), anyone independent of the municipality (a lawyer, an ombudsman) can check, with the "
            + "ledger's public key alone, that each access is in the ledger and has not been removed or changed since.</span></p>\n"
        s += "<p class=\"technical\">技術情報 <span class=\"en\">Technical details</span>: "
            + "<code>akashi verify-receipt --report FILE --verifier-key KEY</code></p>\n"
        if let checkpoint { s += "<pre class=\"technical\">\(h(checkpoint))</pre>\n" }
        s += "</body>\n</html>\n"
        return s
    }

    private func eventsTable(_ events: [DisclosedEvent]) -> String {
        let h = ReportText.html
        guard !events.isEmpty else { return "" }
        let purposes = events.contains { $0.purpose != nil }
        var s = "<table class=\"events\">\n<tr><th>日時 <span class=\"en\">Time</span></th><th>操作 <span class=\"en\">Action</span></th>"
            + "<th>記録 <span class=\"en\">Record</span></th>"
            + (purposes ? "<th>目的（記録による） <span class=\"en\">Purpose, as recorded</span></th>" : "")
            + "<th>台帳番号 <span class=\"en\">Ledger index</span></th>"
        if auditor { s += "<th>職員 <span class=\"en\">Staff</span></th>" }
        s += "</tr>\n"
        for e in events {
            let outcome = ReportText.outcomeText(e.outcome)
            let refused = outcome.ja.isEmpty ? "" : "<br><strong>\(h(outcome.ja))</strong> <span class=\"en\">\(h(outcome.en))</span>"
            s += "<tr><td>\(h(ReportText.dateTime(e.at, wareki: true)))</td><td>\(h(ReportText.actionJa(e.action))) <span class=\"en\">\(h(e.action))</span>\(refused)</td>"
                + "<td>\(h(ReportText.recordJa(e.record))) <span class=\"en\">\(h(ReportText.recordEn(e.record)))</span></td>"
                + (purposes ? "<td>\(h(e.purpose ?? "")) <span class=\"en\">\(h(e.purposeEn ?? ""))</span></td>" : "")
                + "<td>\(e.index)</td>"
            if auditor { s += "<td>\(h(e.staff ?? ""))</td>" }
            s += "</tr>\n"
        }
        return s + "</table>\n"
    }
}

// MARK: - Disclosure: CSV

extension DisclosureReport {
    /// The offices as CSV, one row per office (UTF-8, CRLF; with a BOM for Excel when `bom`).
    public func officesCSV(bom: Bool = true) -> String {
        var s = bom ? ReportText.bom : ""
        let kinds = ReportText.recordOrder
        s += ReportText.csvLine(["office", "name", "accessors", "dates", "views"] + kinds.map { "views_" + $0 }
                                + ["searches", "prints", "registers"])
        for o in offices {
            s += ReportText.csvLine([o.office, o.name, String(o.accessors), o.dates.joined(separator: ";"),
                                     String(o.counts.values.reduce(0, +))] + kinds.map { String(o.counts[$0] ?? 0) }
                                    + [String(o.searches), String(o.prints), String(o.registers)])
        }
        return s
    }

    /// Every event as CSV: `section` is `office`, `issuance` or `withheld` (no office, DV support); `staff` only in
    /// the auditor's form.
    public func eventsCSV(bom: Bool = true) -> String {
        var s = bom ? ReportText.bom : ""
        var header = ["section", "office", "case", "event", "index", "at", "date", "action", "record", "register", "outcome"]
        if auditor { header.append("staff") }
        s += ReportText.csvLine(header)
        func row(_ section: String, _ office: String, _ caseID: String, _ e: DisclosedEvent) {
            var f = [section, office, caseID, e.id, String(e.index), e.at, e.date, e.action, e.record, e.register ?? "", e.outcome]
            if auditor { f.append(e.staff ?? "") }
            s += ReportText.csvLine(f)
        }
        for o in offices { for e in o.events { row("office", o.office, "", e) } }
        for i in issuances { for e in i.events { row("issuance", i.office, i.caseID, e) } }
        for e in withheld ?? [] { row("withheld", "", "", e) }
        return s
    }
}
