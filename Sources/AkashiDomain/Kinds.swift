/// Names an enum case by the exact string the interchange format uses, and lists them for error messages.
public protocol InterchangeEnum: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == String {}

extension InterchangeEnum {
    /// The accepted values, for error messages (`current | removed | …`).
    public static var accepted: String { allCases.map(\.rawValue).joined(separator: " | ") }
}

/// What a staff account is for.
public enum StaffRole: String, InterchangeEnum {
    case clerk, supervisor, auditor, contractor, administrator, trainee

    /// Japanese name.
    public var ja: String {
        switch self {
        case .clerk: "戸籍事務担当"
        case .supervisor: "係長（承認者）"
        case .auditor: "監査担当"
        case .contractor: "委託業者"
        case .administrator: "システム管理者"
        case .trainee: "研修生"
        }
    }
}

/// The four kinds of family register (戸籍).
public enum RegisterKind: String, InterchangeEnum {
    /// 現在戸籍
    case current
    /// 除籍
    case removed
    /// 平成改製原戸籍 (before the 2010 computerisation)
    case heisei_original
    /// 昭和改製原戸籍 (before the 1957 reform)
    case showa_original

    /// Japanese name.
    public var ja: String {
        switch self {
        case .current: "現在戸籍"
        case .removed: "除籍"
        case .heisei_original: "平成改製原戸籍"
        case .showa_original: "昭和改製原戸籍"
        }
    }
}

/// What an access operated on: one of the register kinds, the address attachment (附票) or a form image.
public enum RecordKind: String, InterchangeEnum {
    case current, removed, heisei_original, showa_original
    /// 戸籍の附票 (address attachment) of the register.
    case fuhyo
    /// 届書 image.
    case form

    /// Japanese name.
    public var ja: String {
        switch self {
        case .fuhyo: "戸籍の附票"
        case .form: "届書"
        default: RegisterKind(rawValue: rawValue)!.ja
        }
    }
}

/// A family relation between two persons.
public enum RelationKind: String, InterchangeEnum {
    case spouse, former_spouse, parent, child, sibling, adoptive_parent, adopted_child

    /// Japanese name (of the related person, seen from the one the relation belongs to).
    public var ja: String {
        switch self {
        case .spouse: "配偶者"
        case .former_spouse: "元配偶者"
        case .parent: "親"
        case .child: "子"
        case .sibling: "兄弟姉妹"
        case .adoptive_parent: "養親"
        case .adopted_child: "養子"
        }
    }

    /// English name.
    public var en: String { rawValue.split(separator: "_").joined(separator: " ") }
}

/// Why a person needs extra care.
public enum ProtectionKind: String, InterchangeEnum {
    /// Public figure.
    case vip
    /// DV・ストーカー等支援措置: the address must not be disclosed.
    case dv_support
    case confidential
    /// A staff member or their family.
    case staff

    /// Japanese name.
    public var ja: String {
        switch self {
        case .vip: "要人"
        case .dv_support: "支援措置対象"
        case .confidential: "秘匿"
        case .staff: "職員・職員の家族"
        }
    }
}

/// The kind of business document (届出, 証明書交付請求, 職権訂正, 公用照会 …).
public enum CaseKind: String, InterchangeEnum {
    case notification_birth = "notification.birth"
    case notification_death = "notification.death"
    case notification_marriage = "notification.marriage"
    case notification_divorce = "notification.divorce"
    case notification_adoption = "notification.adoption"
    case notification_dissolution = "notification.dissolution"
    case notification_transfer = "notification.transfer"
    case notification_separation = "notification.separation"
    case notification_recognition = "notification.recognition"
    case notification_name_change = "notification.name_change"
    case notification_other = "notification.other"
    case certificate_full = "certificate.full"
    case certificate_individual = "certificate.individual"
    case certificate_removed = "certificate.removed"
    case certificate_original = "certificate.original"
    case certificate_fuhyo = "certificate.fuhyo"
    case certificate_acceptance = "certificate.acceptance"
    case certificate_other = "certificate.other"
    /// 職権訂正
    case correction
    /// 公用照会への回答
    case inquiry
    case other

    /// A 届出 (notification) of any kind.
    public var isNotification: Bool { rawValue.hasPrefix("notification.") }
    /// A certificate request (交付請求) of any kind.
    public var isCertificate: Bool { rawValue.hasPrefix("certificate.") }

    /// Japanese name.
    public var ja: String {
        switch self {
        case .notification_birth: "出生届"
        case .notification_death: "死亡届"
        case .notification_marriage: "婚姻届"
        case .notification_divorce: "離婚届"
        case .notification_adoption: "養子縁組届"
        case .notification_dissolution: "養子離縁届"
        case .notification_transfer: "転籍届"
        case .notification_separation: "分籍届"
        case .notification_recognition: "認知届"
        case .notification_name_change: "氏名の変更届"
        case .notification_other: "その他の届出"
        case .certificate_full: "戸籍全部事項証明"
        case .certificate_individual: "戸籍個人事項証明"
        case .certificate_removed: "除籍謄抄本"
        case .certificate_original: "改製原戸籍謄抄本"
        case .certificate_fuhyo: "戸籍の附票の写し"
        case .certificate_acceptance: "受理証明"
        case .certificate_other: "その他の証明"
        case .correction: "職権訂正"
        case .inquiry: "公用照会への回答"
        case .other: "その他"
        }
    }
    /// English name.
    public var en: String {
        switch self {
        case .notification_birth: "birth notification"
        case .notification_death: "death notification"
        case .notification_marriage: "marriage notification"
        case .notification_divorce: "divorce notification"
        case .notification_adoption: "adoption notification"
        case .notification_dissolution: "dissolution of adoption"
        case .notification_transfer: "transfer of domicile"
        case .notification_separation: "separation from a register"
        case .notification_recognition: "recognition of a child"
        case .notification_name_change: "change of name"
        case .notification_other: "other notification"
        case .certificate_full: "certificate of the whole register"
        case .certificate_individual: "certificate of one person"
        case .certificate_removed: "copy of a removed register"
        case .certificate_original: "copy of a pre-reform register"
        case .certificate_fuhyo: "copy of the address attachment"
        case .certificate_acceptance: "certificate of acceptance"
        case .certificate_other: "other certificate"
        case .correction: "correction by the office"
        case .inquiry: "answer to an official inquiry"
        case .other: "other business"
        }
    }

    /// What work on a case of this kind is, in Japanese: 「戸籍全部事項証明の交付請求」, 「出生届の処理」, 「職権訂正」.
    public var workJa: String {
        if isCertificate { return ja + "の交付請求" }
        if isNotification { return ja + "の処理" }
        return ja
    }

    /// What work on a case of this kind is, in English.
    public var workEn: String {
        if isCertificate { return "request for a " + en }
        if isNotification { return "processing a " + en }
        return en
    }
}

/// Who asked for a certificate.
public enum Requester: String, InterchangeEnum {
    /// 本人 (the person themselves).
    case own = "self"
    /// 本人等: spouse, ancestors, descendants.
    case family
    /// 第三者請求.
    case third_party
    /// 職務上請求 (lawyers, judicial scriveners …).
    case professional
    /// 公用請求 (another public body).
    case official
    /// 広域交付 (requested at another municipality's counter).
    case wide_area
    /// Internal work of the office itself.
    case `internal`

    /// Japanese name.
    public var ja: String {
        switch self {
        case .own: "本人"
        case .family: "本人等（配偶者・直系）"
        case .third_party: "第三者"
        case .professional: "職務上請求"
        case .official: "公用請求"
        case .wide_area: "広域交付"
        case .internal: "庁内"
        }
    }

    /// English name.
    public var en: String {
        switch self {
        case .own: "the person themselves"
        case .family: "spouse or lineal family"
        case .third_party: "third party"
        case .professional: "professional (lawyer, scrivener …)"
        case .official: "public body"
        case .wide_area: "another municipality's counter"
        case .internal: "the office's own work"
        }
    }
}

/// Where a case stands.
public enum CaseStatus: String, InterchangeEnum {
    case open, done, rejected, withdrawn

    /// Japanese name.
    public var ja: String {
        switch self {
        case .open: "処理中"
        case .done: "完了"
        case .rejected: "不受理・却下"
        case .withdrawn: "取下げ"
        }
    }
}

/// What an access did.
public enum AccessAction: String, InterchangeEnum {
    case search, view
    /// 証明書・帳票出力
    case print
    /// 異動入力
    case update
    case export

    /// Japanese name.
    public var ja: String {
        switch self {
        case .search: "検索"
        case .view: "閲覧"
        case .print: "出力"
        case .update: "異動入力"
        case .export: "データ出力"
        }
    }
}

/// How an access ended.
public enum AccessOutcome: String, InterchangeEnum {
    case ok, denied, not_found, error

    /// Japanese name, for staff screens (the resident's wording is `ReportText.outcomeText`).
    public var ja: String {
        switch self {
        case .ok: "実施"
        case .denied: "拒否"
        case .not_found: "該当なし"
        case .error: "失敗"
        }
    }
}

/// A self-report answer: nothing to declare, or some personal use.
public enum Declaration: String, InterchangeEnum {
    case none, some

    /// Japanese name.
    public var ja: String {
        switch self {
        case .none: "業務外の閲覧はない"
        case .some: "業務外の閲覧がある"
        }
    }
}

/// The category of a stated reason for opening a register without a case (break-the-glass), chosen from a fixed list
/// and followed by the clerk's comment (issue 19, C-7). The reason recorded is `「区分」：comment`.
public enum BreakGlassCategory: String, InterchangeEnum {
    case emergency, inquiry, ex_officio, counter_check, correction, other

    /// Japanese name, as it starts the recorded reason.
    public var ja: String {
        switch self {
        case .emergency: "緊急の安全確認"
        case .inquiry: "他機関からの照会への回答"
        case .ex_officio: "職権による調査"
        case .counter_check: "窓口・電話での確認（案件受付前）"
        case .correction: "記載の誤りの確認"
        case .other: "その他"
        }
    }

    /// English name.
    public var en: String {
        switch self {
        case .emergency: "emergency safety check"
        case .inquiry: "answering another agency's inquiry"
        case .ex_officio: "ex officio investigation"
        case .counter_check: "counter or phone check before intake"
        case .correction: "checking an entry error"
        case .other: "other"
        }
    }
}
