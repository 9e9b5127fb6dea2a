import AkashiDomain
import Foundation

/// The fields of an 異動入力 for a notification's kind (issue 19, C-5): 出生届, 死亡届 and 婚姻届 have their own, every
/// other notification (and a 職権訂正) the generic one. What the clerk entered is validated here and recorded with the
/// `update` access, so the ledger says what was entered, not only that something was.
struct UpdateField: Sendable {
    enum Kind: Sendable { case text, date, choice([(String, String)]), long }
    let name: String
    let ja: String
    let en: String
    let kind: Kind
    let required: Bool

    static func text(_ name: String, _ ja: String, _ en: String, required: Bool = true) -> UpdateField {
        UpdateField(name: name, ja: ja, en: en, kind: .text, required: required)
    }

    static func date(_ name: String, _ ja: String, _ en: String, required: Bool = true) -> UpdateField {
        UpdateField(name: name, ja: ja, en: en, kind: .date, required: required)
    }

    /// The fields for a case of `kind`.
    static func fields(for kind: CaseKind) -> [UpdateField] {
        switch kind {
        case .notification_birth:
            [.text("childName", "子の氏名", "child's name"), .text("childKana", "子のよみ", "child's name in kana", required: false),
             .date("childBirth", "出生の年月日", "date of birth"),
             UpdateField(name: "childSex", ja: "子の性別", en: "child's sex", kind: .choice([("M", "男"), ("F", "女")]), required: true),
             .text("birthPlace", "出生の場所", "place of birth"), .text("father", "父の氏名", "father's name", required: false),
             .text("mother", "母の氏名", "mother's name", required: false)]
        case .notification_death:
            [.text("deceased", "死亡した人の氏名", "name of the deceased"), .date("deathDate", "死亡の年月日", "date of death"),
             .text("deathPlace", "死亡の場所", "place of death")]
        case .notification_marriage:
            [.text("husband", "夫になる人の氏名", "husband's name"), .text("wife", "妻になる人の氏名", "wife's name"),
             .date("marriageDate", "届出の年月日", "date of notification"),
             UpdateField(name: "surname", ja: "婚姻後の夫婦の氏", en: "surname after marriage",
                         kind: .choice([("husband", "夫の氏"), ("wife", "妻の氏")]), required: true),
             .text("newHonseki", "新しい本籍", "new honseki", required: false)]
        default:
            [UpdateField(name: "entry", ja: "記載する事項", en: "what is entered", kind: .long, required: true),
             .date("effective", "届出（効力発生）の年月日", "date of notification or effect", required: false)]
        }
    }

    /// The entered values, checked: required ones present, text up to 200 characters (the generic entry 500), dates
    /// real and not in the future (written as the clerk writes them, 和暦 too; kept as `YYYY-MM-DD`), choices from
    /// the list. Throws the first problem, naming its field.
    static func validate(_ form: [String: String], for kind: CaseKind, today: LocalDate) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for f in fields(for: kind) {
            let value = form[f.name]?.trimmed ?? ""
            if value.isEmpty {
                if f.required {
                    throw WorkspaceError.invalid("「\(f.ja)」を入力してください。", "Enter the \(f.en).").about(f.name)
                }
                continue
            }
            switch f.kind {
            case .text, .long:
                var limit = 200
                if case .long = f.kind { limit = 500 }
                guard value.count <= limit else {
                    throw WorkspaceError.invalid("「\(f.ja)」は\(limit)文字以内で入力してください。",
                                                 "The \(f.en) is at most \(limit) characters.").about(f.name)
                }
                out.append((f.name, value))
            case .date:
                guard let iso = BirthDate.parse(value), let d = LocalDate(iso), iso.count == 10, d <= today else {
                    throw WorkspaceError.invalid("「\(f.ja)」を「令和8年12月6日」「R8.12.6」「2026-12-06」のように、今日までの日付で入力してください。",
                                                 "Give the \(f.en) as a date up to today, e.g. 令和8年12月6日 or 2026-12-06.").about(f.name)
                }
                out.append((f.name, iso))
            case let .choice(options):
                guard options.contains(where: { $0.0 == value }) else {
                    throw WorkspaceError.invalid("「\(f.ja)」を選んでください。", "Choose the \(f.en).").about(f.name)
                }
                out.append((f.name, value))
            }
        }
        return out
    }

    /// The entered values as a page shows them: label and value (a choice by its Japanese name, a date in 和暦).
    static func shown(_ entries: [String: String], for kind: CaseKind) -> [[String: String]] {
        fields(for: kind).compactMap { f in
            guard let v = entries[f.name] else { return nil }
            var text = v
            if case let .choice(options) = f.kind { text = options.first { $0.0 == v }?.1 ?? v }
            if case .date = f.kind { text = "\(BirthDate.wareki(v))（\(v)）" }
            return ["label": f.ja, "value": text, "name": f.name]
        }
    }

    /// The form's fields as a template shows them, with the clerk's values and the error by its field.
    static func form(for kind: CaseKind, values: [String: String], error: WorkspaceError?) -> [[String: Any]] {
        fields(for: kind).map { f in
            var m: [String: Any] = ["name": f.name, "ja": f.ja, "en": f.en, "value": values[f.name] ?? "", "required": f.required]
            switch f.kind {
            case .text: m["isText"] = true
            case .long: m["isLong"] = true
            case .date: m["isDate"] = true
            case let .choice(options):
                m["isChoice"] = true
                m["options"] = options.map { ["code": $0.0, "label": $0.1, "selected": values[f.name] == $0.0] }
            }
            if let error, error.field == f.name { m["error"] = ["message": error.message, "english": error.english] }
            return m
        }
    }
}
