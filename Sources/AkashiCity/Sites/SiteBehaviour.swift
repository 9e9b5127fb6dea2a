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
        // Added with the postal-batches, wide-area-relay and big-ward-teams profiles (only those weight them).
        SiteBehaviour(
            name: "postal-batch-extra",
            description: "Working through a batch of postal requests, a clerk opens (now and then prints) the register of someone no letter asked for, between two letters, sometimes under the neighbouring letter's case.",
            descriptionJa: "郵送請求の一括処理の途中で、どの請求書も求めていない人の戸籍を開く（時に印刷する）。手紙と手紙の間に、隣の請求の案件番号を付けることもある。"),
        SiteBehaviour(
            name: "fake-postal-request",
            description: "A clerk slips a made-up letter into the postal batch (a family or professional request dated the batch's arrival morning), processes it like the others and closes it as done; a supervisor checking the batch may sign it too.",
            descriptionJa: "職員が架空の郵送請求（親族または職務上請求、受付はその束の到着日の朝）を束に紛れ込ませ、ほかと同じように処理して完了にする。束を確認する係長の名が載ることもある。"),
        SiteBehaviour(
            name: "dv-fuhyo-by-post",
            description: "A postal request from the abuser's side (a 行政書士's 職務上請求 or a letter as family) for a DV victim's fuhyo is processed in the batch without heeding the restriction: register and fuhyo viewed, the fuhyo printed and mailed.",
            descriptionJa: "加害者側からの郵送請求（行政書士の職務上請求、または親族としての請求）でDV被害者の附票を、支援措置の制限を確かめずに一括処理の中で交付：戸籍と附票を閲覧し、附票を印刷して郵送。"),
        SiteBehaviour(
            name: "broker-professional-requests",
            description: "A broker (行政書士 or detective with 職務上請求 forms) sends requests for unrelated people month after month, with purposes that do not hold up; one clerk always takes them, skips the supervisor and issues registers and fuhyo.",
            descriptionJa: "業者（職務上請求書を使う行政書士・探偵）が、目的の成り立たない無関係な人々の請求を何か月も続ける。いつも同じ職員が引き受け、係長の確認を通さず戸籍・附票を交付する。"),
        SiteBehaviour(
            name: "news-lookup",
            description: "Someone in the local news (an arrest, a fatal accident, a local celebrity's wedding) is searched by full name by several clerks in the days after the story; some open the register or the fuhyo.",
            descriptionJa: "地元のニュースに出た人（逮捕・死亡事故・地元の有名人の結婚）を、報道の数日後までに複数の職員が氏名で検索し、一部は戸籍や附票を開く。"),
        SiteBehaviour(
            name: "colleague-case-number",
            description: "A clerk names a colleague's open case (seen on the shared tray) on a look at someone unrelated, while the colleague is working it.",
            descriptionJa: "職員が、共用の受付トレイで見た同僚の処理中の案件番号を、無関係な人の閲覧に付ける（同僚がその案件を処理している最中に）。"),
        SiteBehaviour(
            name: "cover-request-filed-later",
            description: "An insider who knows that requests are often keyed days after the work looks someone up, then days later keys a plausible request in that person's name (or as a relay) and closes it as done, sometimes printing the certificate to match.",
            descriptionJa: "請求の入力が作業の数日後になることがよくあると知る内部者が人を調べ、数日後にその人名義のもっともらしい請求（または広域交付の依頼）を入力して完了にする。辻褄合わせに証明書を印刷することもある。"),
        SiteBehaviour(
            name: "thin-spread-months",
            description: "One or two people opened directly, one look every three to six weeks over most of the year, each right after genuine work.",
            descriptionJa: "1〜2人の戸籍を、ほぼ1年にわたり3〜6週間に1回ずつ、本物の作業の直後に直接開く。"),
        SiteBehaviour(
            name: "supervisor-approval-abuse",
            description: "A supervisor uses approval rights: signs a subordinate's genuine case as checker and opens an unrelated register under it, or opens a 職権訂正 case with a subordinate's name on it to look at someone, closed with nothing corrected.",
            descriptionJa: "係長が決裁の権限を使う：部下の本物の案件に確認者として載り、その案件番号で無関係な戸籍を開く。または部下の名を載せた職権訂正の案件を作って人を調べ、何も訂正せずに完了にする。"),
        SiteBehaviour(
            name: "migration-check-cover",
            description: "A member of the migration team adds people they are curious about (public figures, acquaintances, relatives) to the day's verification list and opens their registers and fuhyo among the checks.",
            descriptionJa: "システム更改の検証担当者が、気になる人（公人・知人・親族）をその日の検証対象一覧に加え、検証の合間に戸籍と附票を開く。"),
        SiteBehaviour(
            name: "origin-tracing",
            description: "Background check for a marriage or a hiring (身元調査, the old 部落差別 pattern): a clerk walks a person's registers back through the originals and the parents' registers to find the family's old 本籍, for a broker; views, now and then a print of the oldest.",
            descriptionJa: "結婚・就職の身元調査（部落差別につながる旧来の手口）：業者のために、職員が人の戸籍を改製原戸籍・親の戸籍へとさかのぼり、家の旧本籍を調べる。閲覧が中心で、最も古い戸籍を印刷することもある。"),
        SiteBehaviour(
            name: "trainee-curiosity",
            description: "New staff, in their first weeks on register work, try the system on people they know: classmates, their own family, a celebrity; searches by name, a few registers opened, at lunch or between OJT tasks.",
            descriptionJa: "新採用職員が戸籍担当の最初の数週間に、知っている人（同級生・自分の家族・著名人）でシステムを試す：氏名検索、いくつかの戸籍を開く。昼休みやOJTの合間に。"),
    ]

    public static func named(_ n: String) -> SiteBehaviour? { all.first { $0.name == n } }
}
