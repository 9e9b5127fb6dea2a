/// A misuse behaviour: a small story of who looks at whom, why, and how they try to hide it.
///
/// The names are stories, never the audit's reason codes: the planted accesses carry no label in the data.
public struct SiteBehaviour: Sendable {
    public let name: String
    public let description: String
    public let descriptionJa: String

    /// Every behaviour the site generator can plant.
    public static let all: [SiteBehaviour] = [
        SiteBehaviour(
            name: "mayor-register-curiosity",
            description: "Osaka 2014: clerks open the mayor's current register, its fuhyo and the Heisei original register with no business reason, sometimes after a name search, on a few days.",
            descriptionJa: "2014年大阪市：職員が業務上の理由なく市長の現在戸籍・附票・平成改製原戸籍を開く（氏名検索の後のことも）。数日にわたる。"),
        SiteBehaviour(
            name: "celebrity-search-spree",
            description: "Osaka 2014 (1,750 searches by one clerk): one clerk searches celebrities, council members and acquaintances over months, a few a day, now and then opening a register.",
            descriptionJa: "2014年大阪市（1人で1,750件の検索）：1人の職員が数か月にわたり著名人・議員・知人の氏名を1日数件検索し、時々戸籍を開く。"),
        SiteBehaviour(
            name: "acquaintance-browsing",
            description: "Osaka 2014 follow-up (56 staff, 114 people): staff open the registers of classmates and acquaintances out of curiosity, once or twice.",
            descriptionJa: "2014年大阪市の追跡調査（56人・114人分）：職員が同級生・知人の戸籍を興味本位で1〜2回開く。"),
        SiteBehaviour(
            name: "dv-address-leak",
            description: "A clerk looks up a DV victim's fuhyo (the new address) for the abuser or a private detective: name search, current register, fuhyo, sometimes a print of the fuhyo.",
            descriptionJa: "職員が加害者や探偵のためにDV被害者の附票（新住所）を調べる：氏名検索 → 現在戸籍 → 附票、附票を印刷することもある。"),
        SiteBehaviour(
            name: "ex-spouse-check",
            description: "A clerk checks a former spouse's register and fuhyo (remarried? moved where?) on several days over months.",
            descriptionJa: "職員が元配偶者の戸籍と附票（再婚したか、どこへ転居したか）を数か月にわたり何度か確認する。"),
        SiteBehaviour(
            name: "inheritance-peek",
            description: "A clerk reads a deceased relative's removed and original registers and siblings' registers to size up an inheritance dispute.",
            descriptionJa: "職員が相続争いに備えて、亡くなった親族の除籍・改製原戸籍やきょうだいの戸籍を読む。"),
        SiteBehaviour(
            name: "neighbour-nosiness",
            description: "A clerk opens the registers of neighbours in the same 町丁目 (who lives with whom, divorced?).",
            descriptionJa: "職員が同じ町丁目の近所の人の戸籍を開く（誰と暮らしているか、離婚したか）。"),
        SiteBehaviour(
            name: "colleague-peek",
            description: "A clerk opens a coworker's own register (age, marriage, children).",
            descriptionJa: "職員が同僚本人の戸籍を開く（年齢・婚姻・子）。"),
        SiteBehaviour(
            name: "romantic-interest",
            description: "A clerk searches a new romantic interest by full name, checks whether they are married and where they live, and comes back to it.",
            descriptionJa: "職員が気になる相手を氏名で検索し、婚姻の有無と住所を確かめ、後日も見直す。"),
        SiteBehaviour(
            name: "broker-sale",
            description: "A clerk sells register data to a background-check broker: many unrelated people's registers and fuhyo viewed and printed over weeks, in busy hours, some under the clerk's own open case.",
            descriptionJa: "職員が身元調査業者に情報を売る：無関係な多数の人の戸籍・附票を数週間にわたり閲覧・印刷。混雑時間帯に行い、一部は自分の処理中の案件番号を付ける。"),
        SiteBehaviour(
            name: "own-case-as-cover",
            description: "An insider who read the audit documentation names their own active, genuine case on an unrelated register, inside that case's working time.",
            descriptionJa: "監査の説明書を読んだ内部者が、処理中の本物の自分の案件番号を無関係な戸籍の閲覧に付ける（その案件の作業時間内に）。"),
        SiteBehaviour(
            name: "extra-register-in-session",
            description: "An insider opens one extra, unrelated register in the middle of a genuine case session, then goes on with the case.",
            descriptionJa: "内部者が本物の案件処理の途中で無関係な戸籍を1件だけ開き、何事もなかったように案件を続ける。"),
        SiteBehaviour(
            name: "fabricated-case",
            description: "An insider makes up a case for themselves (sole handler) about a protected person or another ward's register, looks under it, then withdraws it or closes it as done.",
            descriptionJa: "内部者が自分だけが担当する架空の案件（保護対象者や他区の戸籍について）を作り、それを付けて閲覧し、取下げまたは完了で閉じる。"),
        SiteBehaviour(
            name: "slow-drip-searches",
            description: "An insider spreads searches for one target (surname, kana, full name variants) over many days, one a day, rarely opening anything.",
            descriptionJa: "内部者が1人の対象者の検索（姓・かな・姓名の言い換え）を多くの日に1日1件ずつ分散し、ほとんど何も開かない。"),
        SiteBehaviour(
            name: "borrowed-terminal",
            description: "An insider uses a colleague's terminal while the colleague's session is still open: the log names the colleague; the real actor is listed in truth.json (`staff`), the logged account as `account`.",
            descriptionJa: "内部者が同僚の端末を、同僚のセッションが開いたまま使う：ログ上は同僚の操作（truth.json の `staff` は実行者、`account` は記録された職員）。"),
        SiteBehaviour(
            name: "extra-print-in-request",
            description: "Inside a genuine certificate request, the clerk prints one more register that the requester did not ask for (for a third party), naming the same case.",
            descriptionJa: "本物の証明書交付請求の処理中に、請求されていない戸籍を1件余分に（第三者のために）同じ案件番号で印刷する。"),
        SiteBehaviour(
            name: "namesake-cover",
            description: "An insider picks a target who shares a full name with the person of a genuine case and opens the target's register inside that case's session, so it looks like a slip.",
            descriptionJa: "内部者が本物の案件の当事者と同姓同名の人を対象に選び、その案件の処理中に対象者の戸籍を開く（取り違えに見せかける）。"),
    ]

    public static func named(_ n: String) -> SiteBehaviour? { all.first { $0.name == n } }
}
