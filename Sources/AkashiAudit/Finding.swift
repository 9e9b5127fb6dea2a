import AkashiDomain

/// The codes of the risk reasons (the same codes the synthetic city's `truth.json` uses).
public enum ReasonCode: String, CaseIterable, Sendable, Codable {
    case vip, dv_support, own_register, relative, former_spouse, coworker, neighbour, off_duty, contractor
    case night_holiday, repeated, search_no_case, search_protected, bulk_search, case_mismatch, self_made_case
    case print_no_request, break_glass
    /// A register opened with no document and no search for it in the session (reached directly).
    case no_search
    /// An address attachment (附票) opened with no document.
    case fuhyo_no_case
    /// Several searches with no document in one session and nothing opened from them.
    case search_series
    /// A search with no document that led to a flagged access in the same session (set afterwards).
    case search_led_to_flag
    /// An access with no document followed in the same session by a flagged access to the same register (set afterwards).
    case session_led_to_flag
    /// A search with no document that listed results, with nothing opened from it before its session ended (set afterwards).
    case search_nothing_opened
    /// An unexplained access by a staff member with several flagged accesses in the days before it.
    case staff_pattern
    /// The only document is a case the accessor alone handled, received at an office other than the one keeping the
    /// register, which is not the accessor's either. Its weight is the site's (``SiteCalibration``).
    case alone_other_office
    /// An access no document explains, made amid the accessor's own documented case work (within `amidCaseMinutes`
    /// after an access of theirs a case explains strongly): one more register or search inside a genuine session. Its weight is the
    /// site's (``SiteCalibration/sessionRate()``).
    case in_case_session

    /// Reasons that count even when the access is explained by a case (they put the case itself in doubt).
    public var survivesExplanation: Bool {
        switch self {
        case .case_mismatch, .self_made_case, .break_glass, .print_no_request, .search_led_to_flag, .session_led_to_flag,
             .alone_other_office: true
        default: false
        }
    }
}

/// Why an access is risky: a code and one plain sentence in Japanese and English naming the specifics.
public struct Reason: Sendable, Hashable, Codable {
    public var code: String
    public var ja: String
    public var en: String

    public init(code: String, ja: String, en: String) {
        self.code = code
        self.ja = ja
        self.en = en
    }
}

/// How strongly a business document explains an access.
public enum ExplanationStrength: String, Sendable, Hashable, Codable {
    /// The document concerns the register and the accessor's work on it.
    case strong
    /// Plausible but not proven (a namesake opened in the same session).
    case weak
}

/// The business document (case) that explains an access, and the rule that matched.
public struct Explanation: Sendable, Hashable, Codable {
    /// `named_case`, `own_case`, `colleague_case`, `forwarded_case`, `late_filed`, `inquiry`, `correction` or `namesake`.
    public var rule: String
    /// The case ID.
    public var caseID: String?
    public var strength: ExplanationStrength

    public init(rule: String, caseID: String?, strength: ExplanationStrength) {
        self.rule = rule
        self.caseID = caseID
        self.strength = strength
    }
}

/// The audit's verdict on one access event.
public struct AccessFinding: Sendable, Hashable {
    /// The access event ID.
    public var access: String
    /// The staff ID.
    public var staff: String
    /// When the access happened (written back as given).
    public var at: Timestamp
    /// Whether some business document explains the access (strongly or weakly; see ``explanation``).
    public var explained: Bool
    public var explanation: Explanation?
    /// Risk in [0, 1].
    public var score: Double
    /// `score ≥ flagThreshold`.
    public var flagged: Bool
    public var reasons: [Reason]

    // Context carried for summaries (not part of the JSON line).
    /// The register opened, if any.
    public var register: String?
    /// The person named on the access, or else the register's head, if known.
    public var person: String?
    /// The office the access was made from (or the accessor's assigned office).
    public var office: String?

    public init(access: String, staff: String, at: Timestamp, explained: Bool, explanation: Explanation?,
                score: Double, flagged: Bool, reasons: [Reason], register: String? = nil, person: String? = nil,
                office: String? = nil) {
        self.access = access
        self.staff = staff
        self.at = at
        self.explained = explained
        self.explanation = explanation
        self.score = score
        self.flagged = flagged
        self.reasons = reasons
        self.register = register
        self.person = person
        self.office = office
    }

    /// The reason codes, in order.
    public var reasonCodes: [String] { reasons.map(\.code) }

    /// The reasons as a JSON array `[{"code":…,"ja":…,"en":…}]` (how a store keeps them).
    public var reasonsJSON: String { Self.reasonsJSON(reasons) }

    /// Reasons as a JSON array `[{"code":…,"ja":…,"en":…}]`.
    public static func reasonsJSON(_ reasons: [Reason]) -> String {
        var s = "["
        for (i, r) in reasons.enumerated() {
            if i > 0 { s += "," }
            s += "{\"code\":"
            JSONText.appendString(r.code, to: &s)
            s += ",\"ja\":"
            JSONText.appendString(r.ja, to: &s)
            s += ",\"en\":"
            JSONText.appendString(r.en, to: &s)
            s += "}"
        }
        return s + "]"
    }

    /// A score as `akashi audit` prints it (at most 4 decimals, always with a fractional part).
    public static func scoreText(_ x: Double) -> String { JSONText.number(x) }

    /// One line of `akashi audit` output: exactly the keys access, staff, at, explained, explanation, score,
    /// flagged, reasons (no trailing newline).
    public var jsonLine: String {
        var s = "{\"access\":"
        JSONText.appendString(access, to: &s)
        s += ",\"staff\":"
        JSONText.appendString(staff, to: &s)
        s += ",\"at\":"
        JSONText.appendString(at.description, to: &s)
        s += explained ? ",\"explained\":true" : ",\"explained\":false"
        s += ",\"explanation\":"
        if let e = explanation {
            s += "{\"rule\":"
            JSONText.appendString(e.rule, to: &s)
            s += ",\"case\":"
            if let c = e.caseID { JSONText.appendString(c, to: &s) } else { s += "null" }
            s += "}"
        } else {
            s += "null"
        }
        s += ",\"score\":" + JSONText.number(score)
        s += flagged ? ",\"flagged\":true" : ",\"flagged\":false"
        s += ",\"reasons\":" + Self.reasonsJSON(reasons) + "}"
        return s
    }
}

/// The small JSON writer behind ``AccessFinding/jsonLine``.
enum JSONText {
    static func appendString(_ v: String, to s: inout String) {
        s += "\""
        var plain = true
        for u in v.utf8 where u < 0x20 || u == 0x22 || u == 0x5C {
            plain = false
            break
        }
        if plain {
            s += v
        } else {
            for ch in v.unicodeScalars {
                switch ch {
                case "\"": s += "\\\""
                case "\\": s += "\\\\"
                case "\n": s += "\\n"
                case "\r": s += "\\r"
                case "\t": s += "\\t"
                case "\u{08}": s += "\\b"
                case "\u{0C}": s += "\\f"
                default:
                    if ch.value < 0x20 {
                        let hex = Array("0123456789abcdef")
                        s += "\\u00" + String(hex[Int(ch.value >> 4)]) + String(hex[Int(ch.value & 15)])
                    } else {
                        s.unicodeScalars.append(ch)
                    }
                }
            }
        }
        s += "\""
    }

    /// A score with at most 4 decimals, always with a fractional part (`0.0`, `0.7225`, `1.0`).
    static func number(_ x: Double) -> String {
        let v = x.isFinite ? min(max(x, 0), 1) : 0
        let n = Int(v * 10_000 + 0.5)  // v ≥ 0: no libm needed
        let whole = n / 10_000
        var frac = n % 10_000
        if frac == 0 { return String(whole) + ".0" }
        var digits = 4
        while frac % 10 == 0 {
            frac /= 10
            digits -= 1
        }
        let f = String(frac)
        return String(whole) + "." + String(repeating: "0", count: digits - f.count) + f
    }
}

/// A change to an earlier finding that later events revealed (a search that led to a flagged access, the first
/// search of a series): add `reason` with `weight` to the finding of `access` and score it again.
public struct FindingRevision: Sendable, Hashable {
    public var access: String
    public var reason: Reason
    public var weight: Double

    public init(access: String, reason: Reason, weight: Double) {
        self.access = access
        self.reason = reason
        self.weight = weight
    }

    /// The finding with the reason added (noisy-OR) and `flagged` recomputed; unchanged if it has the reason.
    public func applied(to f: AccessFinding, threshold: Double) -> AccessFinding {
        guard !f.reasons.contains(where: { $0.code == reason.code }) else { return f }
        var g = f
        g.reasons.append(reason)
        g.score = min(max(1 - (1 - f.score) * (1 - min(max(weight, 0), 1)), 0), 1)
        g.flagged = g.score >= threshold
        return g
    }
}
