import Foundation

/// What a resident needs to reach the municipality about their access history: printed on the disclosure letter and
/// shown on the resident page. Every field may be empty (unknown): it is then left out, and the text tells the
/// resident to ask the register desk of their municipality instead.
public struct ResidentContact: Sendable, Equatable {
    /// The municipality's name as residents know it (`大阪市`).
    public var municipality: String
    /// Where to ask about an access one does not recognise: a desk, a phone number, hours.
    public var desk: String
    /// The address of the resident page, printed on the letter with the code
    /// (`https://kiroku.city.example.jp/resident`).
    public var pageURL: String

    public init(municipality: String = "", desk: String = "", pageURL: String = "") {
        self.municipality = municipality
        self.desk = desk
        self.pageURL = pageURL
    }

    /// Checks the fields, naming the one that is wrong: no control characters, at most 200 characters each, and the
    /// page an `https://` (or, for a test on this machine, `http://`) address.
    public static func checked(municipality: String, desk: String, pageURL: String) throws -> ResidentContact {
        for (name, value) in [("municipality name", municipality), ("resident desk", desk), ("resident page URL", pageURL)] {
            guard value.count <= 200 else { throw ReportError("the \(name) is longer than 200 characters") }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw ReportError("the \(name) contains a control character")
            }
        }
        if !pageURL.isEmpty {
            guard pageURL.hasPrefix("https://") || pageURL.hasPrefix("http://"), !pageURL.contains(" "),
                  URL(string: pageURL)?.host != nil else {
                throw ReportError("the resident page URL must be an https:// address (got \(pageURL.debugDescription))")
            }
        }
        return ResidentContact(municipality: municipality.trimmingCharacters(in: .whitespaces),
                               desk: desk.trimmingCharacters(in: .whitespaces), pageURL: pageURL)
    }

    /// What a resident may ask about.
    public enum Question: Sendable {
        /// An access in their history they do not recognise.
        case access
        /// A certificate issuance a notice (本人通知) told them of.
        case issuance
    }

    /// Where to ask, as a sentence (Japanese / English).
    public func whereToAsk(_ question: Question = .access) -> (ja: String, en: String) {
        let (lead, leadEn) = switch question {
        case .access: ("心当たりのない閲覧があるときは、", "If you do not recognise an access")
        case .issuance: ("この交付についてのお問い合わせは、", "For questions about this issuance")
        }
        let hint = question == .access ? "台帳番号をお伝えいただくと確実です。" : "通知番号をお伝えください。"
        let hintEn = question == .access ? "Quoting its ledger index helps." : "Quote the notice number."
        if !desk.isEmpty {
            return ("\(lead)\(desk)へお問い合わせください。\(hint)", "\(leadEn), contact: \(desk). \(hintEn)")
        }
        let who = municipality.isEmpty ? "お住まいの市区町村" : municipality
        return ("\(lead)\(who)の戸籍担当窓口へお問い合わせください。\(hint)",
                "\(leadEn), ask the family-register desk of \(municipality.isEmpty ? "your municipality" : municipality). \(hintEn)")
    }
}
