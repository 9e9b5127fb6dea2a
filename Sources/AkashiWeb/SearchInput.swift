import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation

/// Birth dates as a clerk writes them (issue 19, C-6): 和暦 (「昭和47年3月6日」, 「S47.3.6」, 「H1.1.8」,
/// 「令和元年5月1日」) or 西暦 (「1972-03-06」, 「1972/3/6」, 「19720306」), full-width digits too, a whole date or
/// only its year (and month).
enum BirthDate {
    /// The eras, newest first: name, Latin initial, first day, the Gregorian year of its year 1.
    static let eras: [(name: String, initial: Character, start: LocalDate, base: Int)] = [
        ("令和", "R", LocalDate(year: 2019, month: 5, day: 1)!, 2019), ("平成", "H", LocalDate(year: 1989, month: 1, day: 8)!, 1989),
        ("昭和", "S", LocalDate(year: 1926, month: 12, day: 25)!, 1926), ("大正", "T", LocalDate(year: 1912, month: 7, day: 30)!, 1912),
        ("明治", "M", LocalDate(year: 1868, month: 1, day: 25)!, 1868),
    ]

    /// `1972-03-06` → `昭和47年3月6日` (the shared vocabulary's ``ReportText/wareki(_:)``).
    static func wareki(_ iso: String) -> String { ReportText.wareki(iso) }

    /// Full-width digits, letters and separators as their ASCII forms; white space removed.
    static func halfWidth(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u.value {
            case 0xFF01...0xFF5E: out.unicodeScalars.append(Unicode.Scalar(u.value - 0xFEE0)!)
            case _ where u.properties.isWhitespace: continue
            case 0x30FC, 0x2212, 0x2010...0x2015: out.append("-")
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY` for what was written, or `nil` when it is not a date (or not one that exists,
    /// such as 昭和65年 or 平成31年5月1日).
    static func parse(_ text: String) -> String? {
        let s = halfWidth(text)
        guard !s.isEmpty, s.count <= 20 else { return nil }
        // 和暦: an era's name or initial, the year (元 for 1), then month and day, each optional after the year.
        for era in eras {
            let rest: Substring
            if s.hasPrefix(era.name) {
                rest = s.dropFirst(era.name.count)
            } else if let f = s.first, f.uppercased() == String(era.initial), s.dropFirst().first?.isNumber == true
                        || s.dropFirst().hasPrefix("元") {
                rest = s.dropFirst()
            } else { continue }
            let numbers = fields(Substring(rest.replacingOccurrences(of: "元", with: "1")), units: ["年", "月", "日"])
            guard let numbers, let y = numbers.first, y >= 1, y <= 99 else { return nil }
            let year = era.base + y - 1
            let end = eras.firstIndex { $0.name == era.name }.flatMap { $0 > 0 ? eras[$0 - 1].start : nil }
            switch numbers.count {
            case 1:
                guard year >= era.start.parts.year, end.map({ year <= $0.parts.year }) ?? true else { return nil }
                return String(format: "%04d", year)
            case 2:
                guard (1...12).contains(numbers[1]) else { return nil }
                return String(format: "%04d-%02d", year, numbers[1])
            case 3:
                guard let d = LocalDate(year: year, month: numbers[1], day: numbers[2]), d >= era.start,
                      end.map({ d < $0 }) ?? true else { return nil }
                return d.description
            default: return nil
            }
        }
        // 西暦: 19720306, or 1972-03-06 / 1972/3/6 / 1972.3.6 / 1972年3月6日, or the year (and month) alone.
        if s.count == 8, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), let n = Int(s) {
            return LocalDate(year: n / 10000, month: n / 100 % 100, day: n % 100)?.description
        }
        guard let numbers = fields(Substring(s), units: ["年", "月", "日"]), let y = numbers.first, (1800...2200).contains(y) else {
            return nil
        }
        switch numbers.count {
        case 1: return String(format: "%04d", y)
        case 2: return (1...12).contains(numbers[1]) ? String(format: "%04d-%02d", y, numbers[1]) : nil
        case 3: return LocalDate(year: y, month: numbers[1], day: numbers[2])?.description
        default: return nil
        }
    }

    /// The numbers of `s` separated by `-`, `/`, `.` or the units (年 月 日); nil when anything else is there.
    private static func fields(_ s: Substring, units: [Character]) -> [Int]? {
        var out: [Int] = []
        var digits = ""
        for c in s {
            if c.isASCII, c.isNumber {
                digits.append(c)
            } else if c == "-" || c == "/" || c == "." || units.contains(c) {
                guard !digits.isEmpty, digits.count <= 4, let n = Int(digits) else { return nil }
                out.append(n)
                digits = ""
            } else {
                return nil
            }
        }
        if !digits.isEmpty {
            guard digits.count <= 4, let n = Int(digits) else { return nil }
            out.append(n)
        }
        return out.isEmpty || out.count > 3 ? nil : out
    }
}

/// Kana as the store keeps it: hiragana (issue 19, C-6: 「テラオカ」 found nothing). Half-width katakana and
/// full-width or doubled spaces are normalised too.
enum KanaInput {
    static func hiragana(_ s: String) -> String {
        // NFKC: half-width katakana as full-width (with their voicing marks), full-width spaces as spaces.
        let wide = s.precomposedStringWithCompatibilityMapping
        var out = ""
        for u in wide.unicodeScalars {
            switch u.value {
            case 0x30A1...0x30F6: out.unicodeScalars.append(Unicode.Scalar(u.value - 0x60)!)
            case 0x3000: out.append(" ")
            default: out.unicodeScalars.append(u)
            }
        }
        return out.split(separator: " ").joined(separator: " ")
    }
}

extension RegisterQuery {
    /// The query as the store matches it: kana in hiragana, a birth date in `YYYY[-MM[-DD]]`, blanks as nothing
    /// (an empty field is unknown and matches nothing, so it is no condition at all). Throws for a birth date that is
    /// not one, naming the field.
    ///
    /// A name, kana or 本籍 has its runs of blanks (full-width too) made one space, and may then be at most
    /// ``maxFieldLength`` characters: a longer one is refused, naming the field, rather than cut, so that the query
    /// recorded is the query run (security retest N-7: a name padded with 120 spaces was cut where it was recorded).
    func normalised() throws -> RegisterQuery {
        func field(_ v: String?, _ name: String) throws -> String? {
            guard let v = v?.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").nonEmpty else { return nil }
            guard v.count <= Self.maxFieldLength else {
                throw WorkspaceError.invalid("\(Self.maxFieldLength)文字までで入力してください。",
                                             "At most \(Self.maxFieldLength) characters.").about(name)
            }
            return v
        }
        var birthISO: String?
        if let b = birth?.trimmed.nonEmpty {
            guard let d = BirthDate.parse(b) else {
                throw WorkspaceError.invalid("生年月日が読めません。「昭和47年3月6日」「S47.3.6」「1972-03-06」「1972」のように入力してください。",
                                             "The birth date cannot be read: write it like 昭和47年3月6日, S47.3.6, 1972-03-06 or 1972.")
                    .about("birth")
            }
            birthISO = d
        }
        return RegisterQuery(name: try field(name, "name"), kana: try field(kana, "kana").map(KanaInput.hiragana),
                             birth: birthISO, honseki: try field(honseki, "honseki"))
    }

    /// The longest name, kana or 本籍 a search takes (after blanks are made single spaces).
    static let maxFieldLength = 100

    /// Whether a person matches the person fields of this (normalised) query, as the store's search does: a part of
    /// the name or kana (with or without the space), the start of the birth date. A field the person lacks never
    /// matches (empty is unknown). `nil` when the query asks nothing about persons.
    func matches(_ p: Person) -> Bool? {
        guard name != nil || kana != nil || birth != nil else { return nil }
        func has(_ value: String?, _ part: String) -> Bool {
            guard let value, !value.isEmpty else { return false }
            return value.contains(part) || value.replacingOccurrences(of: " ", with: "").contains(part.replacingOccurrences(of: " ", with: ""))
        }
        if let n = name, !has(p.name, n) { return false }
        if let k = kana, !has(p.kana, k) { return false }
        if let b = birth, !(p.birth?.description.hasPrefix(b) ?? false) { return false }
        return true
    }
}
