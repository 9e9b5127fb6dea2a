import AkashiDomain

/// The habits of one synthetic site (a municipality's register offices and the vendor system they use).
///
/// Written without reading the audit engine: the habits come from how register counters work (and from
/// vendor exports), not from what the audit expects. Shares are means at scale 1.0; clerks vary around them.
public struct SiteProfile: Sendable {
    /// English name used on the command line (`--profile tidy-ward`).
    public let name: String
    /// One line in English.
    public let summary: String
    /// One line in Japanese.
    public let summaryJa: String

    // MARK: Size (scale 1.0)
    /// Number of ward offices.
    let officeCount: ClosedRange<Int>
    /// Staff with an account per office (before scaling).
    let staffPerOffice: ClosedRange<Int>
    /// Persons recorded per office (before scaling).
    let personsPerOffice: Int
    /// Legitimate access events per year over the whole site (before scaling).
    let eventsPerYear: Int
    /// First month of the period (year, month) and its length in months.
    let periodStart: (year: Int, month: Int)
    let periodMonths: Int

    // MARK: Data habits of the vendor export
    /// Share of persons whose `kana` is filled in, and share where it is present but `""` (the rest: absent).
    let kanaFilled: Double
    let kanaEmpty: Double
    /// Share of persons whose `address` is `""`, and share where it is left out.
    let addressEmpty: Double
    let addressAbsent: Double
    /// Whether views and prints carry the `person` of an individual certificate.
    let personOnEvents: Double

    // MARK: Working habits
    /// Mean share of case work in which the clerk names the case on the operation.
    let caseNaming: Double
    /// Spread of that habit between clerks.
    let caseNamingSpread: Double
    /// Searches: share by surname only, share by kana (the rest by full name in kanji).
    let searchSurnameOnly: Double
    let searchKana: Double
    /// The query key a kana search is written under (`name` or `kana`).
    let kanaQueryKey: String
    /// Share of searches that also give a birth year.
    let searchWithBirth: Double
    /// Share of case sessions that open the register directly from the document (本籍・筆頭者 or number), no search.
    let directOpen: Double
    /// Share of cases keyed in after the work, and the longest delay (minutes).
    let lateFiling: Double
    let lateFilingMaxMinutes: Int
    /// Share of official inquiries taken by phone (looked up at once, the written request filed days later).
    let phoneInquiry: Double
    /// Share of cases that are official inquiries.
    let inquiryShare: Double
    /// Number of offices with a Saturday morning counter; whether those also open on Sundays.
    let saturdayOffices: Int
    let sundayCounter: Bool
    /// Evening counter on Tuesdays and Thursdays until this minute of the day (0 = none).
    let eveningUntil: Int
    /// A night and weekend desk (宿日直) that keys death and birth notifications when they come in.
    let nightDesk: Bool
    /// The surname pool.
    let surnamePool: SurnamePool
    /// Counter consultations (search and view, no request) per certificate request.
    let consultations: Double
    /// Share of case sessions in which a colleague does part of the work.
    let colleagueHelp: Double
    /// Share of cases a supervisor checks afterwards; whether the supervisor is then listed on the case.
    let supervisorCheck: Double
    let supervisorOnCase: Bool
    /// Share of notifications received at another office than the one keeping the register.
    let forwarded: Double
    /// Share of staff who live in the city and are in the registers.
    let residentStaff: Double
    /// Share of staff who are contractors (委託).
    let contractorShare: Double
    /// Share of case sessions with a slip onto a namesake's register (when one exists).
    let namesakeSlip: Double
    /// Relative weights of the misuse behaviours (by behaviour name).
    let behaviourWeights: [(String, Double)]
    /// ID spelling of the vendor system.
    let ids: SiteIDStyle

    // MARK: Habits of the profiles added later
    // Every default below keeps the first six profiles exactly as they were (same draws, same bytes): a new habit draws
    // random numbers only when its parameter is set.

    /// Holidays as they are after 2016 (山の日) and in Reiwa (天皇誕生日 on 23 February, the 2019–2021 moves).
    var modernCalendar = false
    /// Share of counter certificate requests that are inheritance paperwork (除籍・改製原戸籍 and the chain around them).
    var inheritanceShare = 0.18
    /// Generations of predecessors a clerk walks back for one inheritance request (1 = the register's neighbours only).
    var chainDepth = 1
    /// Requesters of counter certificate requests: cumulative shares of self, family, third party, professional (the rest
    /// wide-area); nil = the common mix.
    var requesterMix: [Double]? = nil
    /// 郵送請求: share of certificate requests that come by post, share processed the afternoon they arrive, and the
    /// longest backlog in office days for the others (longer in March–April and after the long holidays).
    var postalShare = 0.0
    var postalSameDay = 0.0
    var postalMaxLag = 0
    /// 広域交付 relays: requests made at another municipality's counter for an old (image) register kept here, sent to
    /// this office's relay desk, per counter certificate request.
    var relayShare = 0.0
    /// 検索係: share of counter certificate requests whose search and views a search-team clerk does; the counter prints.
    var searchTeam = 0.0
    /// New staff starting register work on 1 April, per office at scale 1, and the days a mentor re-checks their work.
    var traineeIntake = 0
    var ojtDays = 0
    /// システム更改: the month of the migration weekend (0 = none) and the verification team per office at scale 1.
    var migrationMonth = 0
    var migrationTeam = 0
    /// Every behaviour the profile weights is planted at least once where its story is possible.
    var plantEach = false
}

/// How common the surnames of a site are.
enum SurnamePool: Sendable {
    /// Only the 30 commonest surnames: namesakes everywhere.
    case commonOnly
    /// Common-heavy: the 100 commonest carry about two thirds of people.
    case commonHeavy
    /// A realistic long tail: the 100 commonest carry about a third of people.
    case realistic
}

/// ID prefixes and widths of a vendor system.
struct SiteIDStyle: Sendable {
    var person: String
    var register: String
    var staff: String
    var access: String
    var kase: String
    var width: Int
}

extension SiteProfile {
    /// All the profiles, in the order the documentation lists them.
    public static let all: [SiteProfile] = [tidyWard, paperHabits, phoneInquiries, weekendCounter, longTailNames, commonNames,
                                            postalBatches, wideAreaRelay, bigWardTeams]

    /// The profile with this name.
    public static func named(_ n: String) -> SiteProfile? { all.first { $0.name == n } }

    /// The behaviours this profile can plant, in the order of ``SiteBehaviour/all``.
    public var behaviours: [SiteBehaviour] {
        let names = Set(behaviourWeights.map(\.0))
        return SiteBehaviour.all.filter { names.contains($0.name) }
    }

    /// A disciplined office: nearly every operation names its case, full data, full-name searches.
    static let tidyWard = SiteProfile(
        name: "tidy-ward",
        summary: "A disciplined ward: ~90 % of case work names the case, kana and addresses always filled, full-name searches, weekdays only.",
        summaryJa: "規律のよい区：案件作業の約9割で案件番号を指定、かな・住所は常に記入、氏名（姓名）で検索、平日のみ。",
        officeCount: 2...3, staffPerOffice: 32...44, personsPerOffice: 14_000, eventsPerYear: 55_000,
        periodStart: (2012, 1), periodMonths: 12,
        kanaFilled: 0.995, kanaEmpty: 0.0, addressEmpty: 0.0, addressAbsent: 0.01, personOnEvents: 0.8,
        caseNaming: 0.96, caseNamingSpread: 0.03, searchSurnameOnly: 0.05, searchKana: 0.1, kanaQueryKey: "name",
        searchWithBirth: 0.5, directOpen: 0.08, lateFiling: 0.03, lateFilingMaxMinutes: 40, phoneInquiry: 0.05,
        inquiryShare: 0.05, saturdayOffices: 0, sundayCounter: false, eveningUntil: 0, nightDesk: false,
        surnamePool: .commonHeavy, consultations: 0.04, colleagueHelp: 0.05, supervisorCheck: 0.25,
        supervisorOnCase: true, forwarded: 0.1, residentStaff: 0.45, contractorShare: 0.15, namesakeSlip: 0.01,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 2),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("inheritance-peek", 1),
                           ("neighbour-nosiness", 1), ("colleague-peek", 1), ("romantic-interest", 1), ("broker-sale", 1),
                           ("own-case-as-cover", 2), ("extra-register-in-session", 2), ("fabricated-case", 2),
                           ("slow-drip-searches", 1), ("borrowed-terminal", 1), ("extra-print-in-request", 1),
                           ("namesake-cover", 1)],
        ids: SiteIDStyle(person: "P", register: "R", staff: "S", access: "E", kase: "C", width: 8))

    /// A counter that still works from paper: cases keyed late or never linked, data fields left empty.
    static let paperHabits = SiteProfile(
        name: "paper-habits",
        summary: "Paper first: ~15 % of operations name a case, registers opened straight from the form, surname-only searches, kana mostly missing, cases keyed hours to days later.",
        summaryJa: "紙が先：案件番号の指定は約15%、届書・請求書から戸籍を直接開く、姓だけの検索、かなはほぼ欠落、案件の入力は数時間〜数日後。",
        officeCount: 4...6, staffPerOffice: 14...26, personsPerOffice: 9_000, eventsPerYear: 100_000,
        periodStart: (2013, 4), periodMonths: 12,
        kanaFilled: 0.25, kanaEmpty: 0.12, addressEmpty: 0.18, addressAbsent: 0.1, personOnEvents: 0.0,
        caseNaming: 0.25, caseNamingSpread: 0.08, searchSurnameOnly: 0.6, searchKana: 0.05, kanaQueryKey: "name",
        searchWithBirth: 0.1, directOpen: 0.55, lateFiling: 0.5, lateFilingMaxMinutes: 5 * 1440, phoneInquiry: 0.2,
        inquiryShare: 0.06, saturdayOffices: 0, sundayCounter: false, eveningUntil: 0, nightDesk: false,
        surnamePool: .commonHeavy, consultations: 0.08, colleagueHelp: 0.2, supervisorCheck: 0.1,
        supervisorOnCase: false, forwarded: 0.25, residentStaff: 0.55, contractorShare: 0.3, namesakeSlip: 0.04,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 3),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("inheritance-peek", 2),
                           ("neighbour-nosiness", 2), ("colleague-peek", 1), ("romantic-interest", 1), ("broker-sale", 1),
                           ("own-case-as-cover", 1), ("extra-register-in-session", 3), ("fabricated-case", 1),
                           ("slow-drip-searches", 1), ("borrowed-terminal", 1), ("extra-print-in-request", 2),
                           ("namesake-cover", 1)],
        ids: SiteIDStyle(person: "KJ", register: "KS", staff: "U", access: "L", kase: "J", width: 9))

    /// Official inquiries by phone (police, welfare, tax, pension offices): lookups now, the paper days later.
    static let phoneInquiries = SiteProfile(
        name: "phone-inquiries",
        summary: "Many official inquiries taken by phone and filed days later by the same clerk; kana searches under a `kana` key; kana present but empty for a quarter of people.",
        summaryJa: "電話での公用照会が多く、照会文書は数日後に同じ職員が受付入力。かな検索（`kana` キー）、4分の1の人はかなが空文字。",
        officeCount: 3...4, staffPerOffice: 22...34, personsPerOffice: 11_000, eventsPerYear: 70_000,
        periodStart: (2014, 10), periodMonths: 12,
        kanaFilled: 0.7, kanaEmpty: 0.25, addressEmpty: 0.05, addressAbsent: 0.02, personOnEvents: 0.4,
        caseNaming: 0.45, caseNamingSpread: 0.12, searchSurnameOnly: 0.2, searchKana: 0.5, kanaQueryKey: "kana",
        searchWithBirth: 0.3, directOpen: 0.15, lateFiling: 0.12, lateFilingMaxMinutes: 600, phoneInquiry: 0.75,
        inquiryShare: 0.2, saturdayOffices: 0, sundayCounter: false, eveningUntil: 0, nightDesk: false,
        surnamePool: .commonHeavy, consultations: 0.05, colleagueHelp: 0.1, supervisorCheck: 0.15,
        supervisorOnCase: true, forwarded: 0.15, residentStaff: 0.4, contractorShare: 0.2, namesakeSlip: 0.03,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 1),
                           ("dv-address-leak", 3), ("ex-spouse-check", 1), ("inheritance-peek", 1),
                           ("neighbour-nosiness", 1), ("colleague-peek", 1), ("romantic-interest", 1), ("broker-sale", 2),
                           ("own-case-as-cover", 2), ("extra-register-in-session", 1), ("fabricated-case", 3),
                           ("slow-drip-searches", 2), ("borrowed-terminal", 1), ("extra-print-in-request", 1),
                           ("namesake-cover", 1)],
        ids: SiteIDStyle(person: "p-", register: "r-", staff: "u-", access: "ev-", kase: "case-", width: 7))

    /// Weekend and evening counters, a night desk, contractors and colleagues sharing the work.
    static let weekendCounter = SiteProfile(
        name: "weekend-counter",
        summary: "Saturday and Sunday counters at some offices, evening counters to 20:00, a night desk keying death notifications, many contractors, colleagues finishing each other's work.",
        summaryJa: "一部の区で土日窓口、火・木は20時まで夜間窓口、宿日直が死亡届を夜間に入力、委託業者が多く、同僚が互いの作業を仕上げる。",
        officeCount: 2...4, staffPerOffice: 20...34, personsPerOffice: 12_000, eventsPerYear: 75_000,
        periodStart: (2015, 4), periodMonths: 12,
        kanaFilled: 0.9, kanaEmpty: 0.05, addressEmpty: 0.02, addressAbsent: 0.0, personOnEvents: 0.5,
        caseNaming: 0.6, caseNamingSpread: 0.15, searchSurnameOnly: 0.25, searchKana: 0.2, kanaQueryKey: "name",
        searchWithBirth: 0.3, directOpen: 0.2, lateFiling: 0.15, lateFilingMaxMinutes: 2 * 1440, phoneInquiry: 0.1,
        inquiryShare: 0.05, saturdayOffices: 2, sundayCounter: true, eveningUntil: 20 * 60, nightDesk: true,
        surnamePool: .commonHeavy, consultations: 0.06, colleagueHelp: 0.35, supervisorCheck: 0.15,
        supervisorOnCase: false, forwarded: 0.15, residentStaff: 0.35, contractorShare: 0.4, namesakeSlip: 0.03,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 2),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("inheritance-peek", 1),
                           ("neighbour-nosiness", 1), ("colleague-peek", 2), ("romantic-interest", 2), ("broker-sale", 1),
                           ("own-case-as-cover", 1), ("extra-register-in-session", 1), ("fabricated-case", 1),
                           ("slow-drip-searches", 1), ("borrowed-terminal", 3), ("extra-print-in-request", 1),
                           ("namesake-cover", 1)],
        ids: SiteIDStyle(person: "P", register: "KR", staff: "ST", access: "AC", kase: "UK", width: 8))

    /// Realistic surnames (a third of people carry the 100 commonest), many offices, forwarded notifications.
    static let longTailNames = SiteProfile(
        name: "long-tail-names",
        summary: "A realistic long tail of surnames (about a third of people carry the 100 commonest), 5–6 offices, notifications received at one ward and keyed at the ward keeping the register.",
        summaryJa: "現実的な姓の裾野（上位100姓は約3分の1）、5〜6区、住所地の区で受理し本籍地の区で入力する届出が多い。",
        officeCount: 5...6, staffPerOffice: 10...24, personsPerOffice: 8_000, eventsPerYear: 90_000,
        periodStart: (2016, 1), periodMonths: 12,
        kanaFilled: 0.85, kanaEmpty: 0.0, addressEmpty: 0.03, addressAbsent: 0.05, personOnEvents: 0.3,
        caseNaming: 0.35, caseNamingSpread: 0.1, searchSurnameOnly: 0.15, searchKana: 0.15, kanaQueryKey: "name",
        searchWithBirth: 0.6, directOpen: 0.25, lateFiling: 0.2, lateFilingMaxMinutes: 240, phoneInquiry: 0.1,
        inquiryShare: 0.06, saturdayOffices: 0, sundayCounter: false, eveningUntil: 19 * 60, nightDesk: false,
        surnamePool: .realistic, consultations: 0.05, colleagueHelp: 0.15, supervisorCheck: 0.2,
        supervisorOnCase: true, forwarded: 0.45, residentStaff: 0.4, contractorShare: 0.25, namesakeSlip: 0.03,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 2),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("inheritance-peek", 2),
                           ("neighbour-nosiness", 1), ("colleague-peek", 1), ("romantic-interest", 1), ("broker-sale", 2),
                           ("own-case-as-cover", 1), ("extra-register-in-session", 1), ("fabricated-case", 2),
                           ("slow-drip-searches", 1), ("borrowed-terminal", 1), ("extra-print-in-request", 1),
                           ("namesake-cover", 1)],
        ids: SiteIDStyle(person: "P", register: "R", staff: "S", access: "E", kase: "C", width: 9))

    /// A downtown where a few surnames fill the registers: surname searches list dozens, namesakes are daily.
    static let commonNames = SiteProfile(
        name: "common-names",
        summary: "Only the 30 commonest surnames: surname searches return dozens of registers, genuine slips onto namesakes, insiders hiding behind namesakes.",
        summaryJa: "上位30姓のみ：姓の検索は数十件を返し、同姓同名への取り違えが日常的、内部者は同姓同名を隠れみのにする。",
        officeCount: 2...3, staffPerOffice: 30...44, personsPerOffice: 12_000, eventsPerYear: 60_000,
        periodStart: (2013, 1), periodMonths: 12,
        kanaFilled: 0.95, kanaEmpty: 0.0, addressEmpty: 0.0, addressAbsent: 0.0, personOnEvents: 0.6,
        caseNaming: 0.7, caseNamingSpread: 0.1, searchSurnameOnly: 0.35, searchKana: 0.15, kanaQueryKey: "name",
        searchWithBirth: 0.35, directOpen: 0.1, lateFiling: 0.08, lateFilingMaxMinutes: 120, phoneInquiry: 0.1,
        inquiryShare: 0.05, saturdayOffices: 1, sundayCounter: false, eveningUntil: 0, nightDesk: false,
        surnamePool: .commonOnly, consultations: 0.05, colleagueHelp: 0.1, supervisorCheck: 0.2,
        supervisorOnCase: true, forwarded: 0.1, residentStaff: 0.45, contractorShare: 0.25, namesakeSlip: 0.08,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 2),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("inheritance-peek", 1),
                           ("neighbour-nosiness", 1), ("colleague-peek", 1), ("romantic-interest", 1), ("broker-sale", 1),
                           ("own-case-as-cover", 1), ("extra-register-in-session", 1), ("fabricated-case", 1),
                           ("slow-drip-searches", 1), ("borrowed-terminal", 1), ("extra-print-in-request", 1),
                           ("namesake-cover", 4)],
        ids: SiteIDStyle(person: "PN", register: "RG", staff: "SF", access: "EV", kase: "CS", width: 8))

    // MARK: Written later, blind to the audit engine (see docs/synthetic-city.md)

    /// Postal requests worked in batches by a postal team, hours to days after the letters came.
    static let postalBatches = SiteProfile(
        name: "postal-batches",
        summary: "Postal requests (郵送請求) keyed with the day they arrived and worked in batches by a postal team hours to days later (longer after Golden Week and in spring); professionals' inheritance chains by post; letters sent back or naming someone not kept here; 2019–20 with the Reiwa holidays.",
        summaryJa: "郵送請求は到着日で受付され、郵送担当が数時間〜数日後に一括処理（連休明けと春は長い）。司法書士・弁護士の相続の戸籍一式も郵送、返戻や「該当なし」もある。2019〜20年、令和の祝日。",
        officeCount: 3...5, staffPerOffice: 18...30, personsPerOffice: 10_000, eventsPerYear: 62_000,
        periodStart: (2019, 4), periodMonths: 12,
        kanaFilled: 0.8, kanaEmpty: 0.08, addressEmpty: 0.03, addressAbsent: 0.04, personOnEvents: 0.35,
        caseNaming: 0.55, caseNamingSpread: 0.15, searchSurnameOnly: 0.2, searchKana: 0.15, kanaQueryKey: "name",
        searchWithBirth: 0.55, directOpen: 0.3, lateFiling: 0.1, lateFilingMaxMinutes: 180, phoneInquiry: 0.15,
        inquiryShare: 0.06, saturdayOffices: 0, sundayCounter: false, eveningUntil: 0, nightDesk: false,
        surnamePool: .commonHeavy, consultations: 0.05, colleagueHelp: 0.12, supervisorCheck: 0.2,
        supervisorOnCase: true, forwarded: 0.2, residentStaff: 0.4, contractorShare: 0.3, namesakeSlip: 0.03,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 2),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("inheritance-peek", 1),
                           ("neighbour-nosiness", 1), ("colleague-peek", 1), ("romantic-interest", 1), ("broker-sale", 1),
                           ("own-case-as-cover", 1), ("extra-register-in-session", 1), ("fabricated-case", 1),
                           ("slow-drip-searches", 1), ("borrowed-terminal", 1), ("extra-print-in-request", 1),
                           ("namesake-cover", 1), ("postal-batch-extra", 3), ("fake-postal-request", 2),
                           ("dv-fuhyo-by-post", 1), ("broker-professional-requests", 1), ("news-lookup", 1),
                           ("colleague-case-number", 1), ("cover-request-filed-later", 1), ("thin-spread-months", 1)],
        ids: SiteIDStyle(person: "A", register: "K", staff: "W", access: "OP", kase: "UT", width: 8),
        modernCalendar: true, postalShare: 0.4, postalSameDay: 0.3, postalMaxLag: 4, plantEach: true)

    /// 広域交付 relays and the inheritance rush of 2024–25.
    static let wideAreaRelay = SiteProfile(
        name: "wide-area-relay",
        summary: "2024–25, after 広域交付 and compulsory inheritance registration began: a relay desk answers other municipalities' counters for old image registers (opened and sent as images), counter inheritance chains walked three generations back, more professional requests, kana searches under `kana`.",
        summaryJa: "2024〜25年（広域交付の開始と相続登記の義務化の後）：他市区町村の窓口からの依頼に本籍地の担当が除籍・改製原戸籍を開き画像を送る、窓口の相続請求は3代さかのぼる、職務上請求が多い、かな検索は `kana` キー。",
        officeCount: 3...5, staffPerOffice: 20...32, personsPerOffice: 11_000, eventsPerYear: 66_000,
        periodStart: (2024, 4), periodMonths: 12,
        kanaFilled: 0.97, kanaEmpty: 0.0, addressEmpty: 0.01, addressAbsent: 0.02, personOnEvents: 0.6,
        caseNaming: 0.75, caseNamingSpread: 0.12, searchSurnameOnly: 0.1, searchKana: 0.25, kanaQueryKey: "kana",
        searchWithBirth: 0.45, directOpen: 0.35, lateFiling: 0.06, lateFilingMaxMinutes: 90, phoneInquiry: 0.1,
        inquiryShare: 0.05, saturdayOffices: 0, sundayCounter: false, eveningUntil: 0, nightDesk: false,
        surnamePool: .realistic, consultations: 0.09, colleagueHelp: 0.15, supervisorCheck: 0.15,
        supervisorOnCase: true, forwarded: 0.15, residentStaff: 0.35, contractorShare: 0.35, namesakeSlip: 0.03,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 2),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("inheritance-peek", 2),
                           ("romantic-interest", 1), ("broker-sale", 1), ("own-case-as-cover", 1), ("fabricated-case", 1),
                           ("slow-drip-searches", 1), ("extra-print-in-request", 1),
                           ("broker-professional-requests", 1), ("news-lookup", 2), ("colleague-case-number", 1),
                           ("cover-request-filed-later", 2), ("thin-spread-months", 1), ("origin-tracing", 3)],
        ids: SiteIDStyle(person: "J", register: "KF", staff: "E", access: "LG", kase: "RQ", width: 9),
        modernCalendar: true, inheritanceShare: 0.3, chainDepth: 3, requesterMix: [0.4, 0.66, 0.69, 0.95],
        relayShare: 0.12, plantEach: true)

    /// Two large offices with a search team, an April intake of new staff with mentors, and a system migration.
    static let bigWardTeams = SiteProfile(
        name: "big-ward-teams",
        summary: "Two large offices with specialised teams: a search team looks registers up for the counter, which prints; new staff start on 1 April and a mentor checks their work for ten weeks (wrong rows opened, keying errors put right by 職権訂正); a migration weekend in November with bulk verification under work orders.",
        summaryJa: "専門の係を置く大規模な2区：検索係が戸籍を調べ窓口が印刷、4月1日に新採用職員が着任し10週間は指導係が作業を確認（別の行を開く、入力誤りは職権訂正）、11月のシステム更改の週末に作業指示による一括検証。",
        officeCount: 2...2, staffPerOffice: 44...58, personsPerOffice: 16_000, eventsPerYear: 80_000,
        periodStart: (2018, 1), periodMonths: 12,
        kanaFilled: 0.92, kanaEmpty: 0.03, addressEmpty: 0.01, addressAbsent: 0.02, personOnEvents: 0.5,
        caseNaming: 0.8, caseNamingSpread: 0.1, searchSurnameOnly: 0.15, searchKana: 0.15, kanaQueryKey: "name",
        searchWithBirth: 0.4, directOpen: 0.12, lateFiling: 0.05, lateFilingMaxMinutes: 60, phoneInquiry: 0.1,
        inquiryShare: 0.06, saturdayOffices: 0, sundayCounter: false, eveningUntil: 0, nightDesk: false,
        surnamePool: .commonHeavy, consultations: 0.05, colleagueHelp: 0.1, supervisorCheck: 0.3,
        supervisorOnCase: true, forwarded: 0.1, residentStaff: 0.45, contractorShare: 0.3, namesakeSlip: 0.03,
        behaviourWeights: [("mayor-register-curiosity", 1), ("celebrity-search-spree", 1), ("acquaintance-browsing", 2),
                           ("dv-address-leak", 1), ("ex-spouse-check", 1), ("neighbour-nosiness", 1), ("colleague-peek", 2),
                           ("romantic-interest", 1), ("own-case-as-cover", 1), ("extra-register-in-session", 1),
                           ("fabricated-case", 1), ("borrowed-terminal", 2), ("namesake-cover", 1),
                           ("news-lookup", 1), ("colleague-case-number", 2), ("cover-request-filed-later", 1),
                           ("thin-spread-months", 1), ("supervisor-approval-abuse", 2), ("migration-check-cover", 2),
                           ("trainee-curiosity", 2)],
        ids: SiteIDStyle(person: "PS", register: "KO", staff: "SY", access: "AL", kase: "JK", width: 8),
        modernCalendar: true, searchTeam: 0.55, traineeIntake: 5, ojtDays: 70, migrationMonth: 11, migrationTeam: 8,
        plantEach: true)
}
