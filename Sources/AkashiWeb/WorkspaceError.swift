import AkashiDomain
import AkashiInterchange
import Foundation
import HTTPTypes
import Hummingbird

/// An error of the workspace that decides its own HTTP response: JSON `{"error":{"code","message"}}` under
/// `/api/`, a short Japanese page (with English beside it) elsewhere. Messages never carry a password, token or
/// secret.
public struct WorkspaceError: HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable code, e.g. `purpose_required`.
    public var code: String
    /// What a clerk reads (Japanese).
    public var message: String
    /// The same in English.
    public var english: String
    /// The form field the error is about (its `name`), when it is about one: a page that re-renders the form shows the
    /// message next to that field (issue 19, C-2).
    public var field: String?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, _ english: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.english = english
        self.field = field
    }

    /// The same error, about a form field.
    func about(_ field: String) -> WorkspaceError {
        var e = self
        e.field = field
        return e
    }

    /// What went wrong, as a page's heading (Japanese, English): not always 「操作できません」 (issue 19, C-10).
    public var heading: (ja: String, en: String) {
        switch (status.code, code) {
        case (_, "csrf_token_invalid"): ("画面を開き直してください", "Open the page again")
        case (_, "purpose_required"), (_, "case_mismatch"), (_, "case_not_assigned"), (_, "reason_too_short"):
            ("利用目的を確認してください", "Check the purpose")
        case (_, "approval_required"): ("承認が必要です", "Approval needed")
        case (_, "not_on_register_duty"): ("戸籍事務の担当ではありません", "Not on register duty")
        case (_, "password_wrong"): ("パスワードが違います", "Wrong password")
        case (400, _): ("入力を確認してください", "Check what was entered")
        case (401, _): ("サインインしてください", "Sign in")
        case (403, _): ("利用できません", "Not available")
        case (404, _): ("見つかりません", "Not found")
        case (405, _): ("この方法では利用できません", "Method not allowed")
        case (409, _): ("すでに処理されています", "Already done")
        case (410, _): ("表示の期限が切れました", "No longer shown")
        case (428, _): ("警告表示を確認してください", "Acknowledge the warning first")
        case (429, _), (503, _): ("しばらく待ってください", "Try again shortly")
        case (500..., _): ("内部エラーが発生しました", "Internal error")
        default: ("操作できません", "Cannot be done")
        }
    }

    public var description: String { "\(code): \(english)" }

    /// What an unexpected error is said as: a full disk (SQLite's "database or disk is full", PostgreSQL's "No space
    /// left on device" / "could not extend file") as `storage_full` (503, nothing was done or recorded), anything else
    /// as `internal_error` (500). The cause itself is logged, never shown.
    static func unexpected(_ error: any Error) -> WorkspaceError {
        let text = "\(error)"
        if ["database or disk is full", "No space left on device", "could not extend file", "disk full"].contains(where: text.contains) {
            return WorkspaceError(.serviceUnavailable, "storage_full",
                                  "記録を保存できないため、操作を行いませんでした（保存先のディスクが一杯です）。管理者に連絡してください。",
                                  "Nothing was done: the store's disk is full, so nothing can be recorded. Please tell the administrator.")
        }
        return WorkspaceError(.internalServerError, "internal_error", "内部エラーが発生しました。管理者に連絡してください。",
                              "Internal error: please tell the administrator.")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        if request.uri.path.hasPrefix("/api/") {
            // The field the error is about, when it is about one: a client is told where its input went wrong.
            var error: [String: Any] = ["code": code, "message": message + " / " + english]
            if let field { error["field"] = field }
            let body = JSONBody.encode(["error": error])
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"akashi\"" }
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let page = """
            <!DOCTYPE html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(heading.ja)) — Akashi 証</title><link rel="stylesheet" href="/static/akashi.css"></head>
            <body><header class="site" role="banner"><p class="brand"><a href="/menu">Akashi 証</a></p></header>
            <main id="main" class="error">
            <h1>\(HTML.escape(heading.ja)) <span lang="en">\(HTML.escape(heading.en)) (\(status.code))</span></h1>
            <p role="alert">\(HTML.escape(message))</p>
            <p lang="en">\(HTML.escape(english))</p>
            <p>コード / code: <code>\(HTML.escape(code))</code></p>
            <p><a href="/menu">業務メニューへ戻る</a> <span lang="en">Back to the menu</span></p>
            </main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    // MARK: The errors the workspace raises

    static let unauthenticated = WorkspaceError(.unauthorized, "unauthenticated", "サインインしてください。", "Sign in first.")
    /// A wrong password, an unknown ID and a locked account all get this one answer (F-6: a lockout must not tell
    /// which IDs have accounts); the ledger's `signin.failed` entry keeps which it was.
    /// The break-the-glass password re-entry after too many wrong ones: counted as failed sign-ins, so the address
    /// is locked as a sign-in's would be, and the session has been ended.
    static let reentryLocked = WorkspaceError(.forbidden, "password_locked",
                                              "パスワードの誤りが続いたため、この端末からは当分サインインも確認もできません。サインアウトしました（記録されました）。",
                                              "Too many wrong passwords: this address is locked for a while, and you have been signed out (recorded).",
                                              field: "password")
    /// A wrong or missing password on the break-the-glass confirmation.
    static let passwordWrong = WorkspaceError(.forbidden, "password_wrong",
                                              "パスワードが正しくありません。理由による閲覧には、本人のパスワードの再入力が必要です（この試みは記録されました）。",
                                              "Wrong password: a break-the-glass view needs your password again (this attempt was recorded).",
                                              field: "password")
    static let badCredentials = WorkspaceError(.unauthorized, "invalid_credentials",
                                               "職員番号またはパスワードが正しくありません。失敗が続くと、しばらくサインインできなくなります。",
                                               "Wrong staff ID or password. After repeated failures, sign-in is refused for a while.")
    /// The password checks are all taken (see `PasswordGate`): refused before any hashing.
    static let signInBusy = WorkspaceError(.serviceUnavailable, "signin_busy",
                                           "サインインが混み合っています。少し待ってからもう一度お試しください。",
                                           "Too many sign-ins at once: try again in a moment.")
    /// One client address over its sign-in attempts for the minute (see `PasswordGate`).
    static let signInThrottled = WorkspaceError(.tooManyRequests, "signin_throttled",
                                                "この端末からのサインインの試行が多すぎます。1 分ほど待ってからお試しください。",
                                                "Too many sign-in attempts from this address: wait a minute.")
    static let bannerRequired = WorkspaceError(HTTPResponse.Status(code: 428, reasonPhrase: "Precondition Required"),
                                               "banner_not_acknowledged",
                                               "警告表示を確認するまで業務は行えません。",
                                               "Acknowledge the warning banner first.")
    static let csrf = WorkspaceError(.forbidden, "csrf_token_invalid",
                                     "フォームの確認用トークンがないか、正しくありません。画面を開き直してください。",
                                     "The form's CSRF token is missing or wrong; reload the page.")
    static let purposeRequired = WorkspaceError(.forbidden, "purpose_required",
                                                "戸籍を開くには、業務の案件（受付番号）か利用理由が必要です。",
                                                "Opening a register needs the case it serves or a stated reason.")
    /// A decision on an approval request that another decision (or an earlier one) already settled.
    static let approvalDecided = WorkspaceError(.conflict, "approval_decided", "この依頼は処理済みです。",
                                                "The request was already decided.")
    /// An approval named by a clerk other than the one who asked for it.
    static let approvalNotYours = WorkspaceError(.forbidden, "approval_not_yours",
                                                 "指定された承認はあなたが依頼したものではありません。承認は依頼した職員だけが使えます。",
                                                 "The approval given was requested by someone else; only its requester may use it.")
    /// An approval used for another purpose than the one it was asked (and approved) for.
    static let approvalPurposeMismatch = WorkspaceError(.forbidden, "approval_purpose_mismatch",
                                                        "指定された承認は別の目的のためのものです。依頼したときと同じ案件（案件がなければ同じ理由）で使ってください。",
                                                        "The approval was given for another purpose: use it with the case (or, without a case, the reason) it was requested for.")
    static let caseMismatch = WorkspaceError(.forbidden, "case_mismatch",
                                             "指定された案件はこの戸籍に関するものではありません。",
                                             "The case given does not concern this register.")
    static let caseNotYours = WorkspaceError(.forbidden, "case_not_assigned",
                                             "指定された案件はあなたが担当する受付中の案件ではありません。",
                                             "The case given is not an open case you handle.")
    /// The 附票 of a register with a person under DV support, without an approval in force for it.
    static let approvalRequired = WorkspaceError(.forbidden, "approval_required",
                                                 "DV等支援措置の対象者を含む附票は、上席者の承認なしに表示も発行もできません（承認は判断から一定時間、その目的に使えます）。",
                                                 "The fuhyo of a person under DV support is neither shown nor issued without a supervisor's approval (in force for its purpose for a time after the decision).")
    /// A record of a register under VIP protection (特別な管理), without an approval in force for that record and purpose
    /// (issue 18, F-4): the same code as the DV rule's, a message that names the rule and says no more (not who, not why).
    static let vipApprovalRequired = WorkspaceError(.forbidden, "approval_required",
                                                    "この戸籍は特別な管理（要人・VIP）の対象です。どの記録も、上席者（係長）の承認なしには表示・発行・異動入力できません（承認は記録の種類と目的ごとに、判断から一定時間使えます）。",
                                                    "This register is under special protection (VIP): none of its records is shown, issued or updated without a supervisor's approval (given per record kind and purpose, in force for a time after the decision).")
    /// The refusal for the rules that apply (``ApprovalRule``): the VIP one names the wider rule.
    static func approvalRequired(_ rules: Set<ApprovalRule>) -> WorkspaceError {
        rules.contains(.vip) ? vipApprovalRequired : approvalRequired
    }
    static func forbiddenRole(_ what: String) -> WorkspaceError {
        WorkspaceError(.forbidden, "role_forbidden", "あなたの役割では「\(what)」を利用できません。",
                       "Your role does not allow this operation.")
    }
    static let notOnDuty = WorkspaceError(.forbidden, "not_on_register_duty",
                                          "現在、戸籍事務の担当に配属されていないため操作できません。",
                                          "You are not assigned to register duty today.")
    static func notFound(_ what: String) -> WorkspaceError {
        WorkspaceError(.notFound, "not_found", "\(what)が見つかりません。", "Not found.")
    }
    /// A whole number from a request (query or form) within `range`; `defaultValue` when absent or empty. Anything
    /// else, a number out of range included, is a 400 naming the field: no number from a request reaches
    /// arithmetic unchecked (`/console?page=9223372036854775807` once overflowed `page * 50` and stopped the server).
    static func number(_ text: String?, field: String, in range: ClosedRange<Int>, default defaultValue: Int) throws -> Int {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return defaultValue }
        guard let n = Int(t), range.contains(n) else {
            throw WorkspaceError.invalid("\(field) は \(range.lowerBound)〜\(range.upperBound) の整数にしてください。",
                                         "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return n
    }

    /// Refuses a field of a form or a request body whose name or value holds a control character: tab and line breaks
    /// belong in free text (a note, a reason), no other control character belongs in any field. The one check for
    /// urlencoded forms, multipart forms and JSON bodies.
    static func checkField(_ name: String, _ value: String) throws {
        if RecordDecoder.hasControlCharacter(name) || RecordDecoder.hasControlCharacter(value, allowingLineBreaks: true) {
            let shown = shownName(name)
            throw WorkspaceError.invalid("入力「\(shown)」に制御文字は使えません。", "The field '\(shown)' holds a control character.")
                .about(shown)
        }
    }

    /// A field name as an error may show it: control characters as U+FFFD, at most 64 characters.
    static func shownName(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.prefix(64).map { RecordDecoder.hasControlCharacter(String($0)) ? "\u{FFFD}" : $0 }))
    }

    static func invalid(_ ja: String, _ en: String) -> WorkspaceError {
        WorkspaceError(.badRequest, "invalid_request", ja, en)
    }
}

/// HTML escaping for the few strings written outside Mustache.
enum HTML {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// JSON bodies from plain dictionaries and arrays (keys sorted, so answers are stable).
extension CanonicalWriter {
    /// `"key":` and the string, or `null` when there is none (where an API answer keeps the key).
    mutating func nullable(_ k: StaticString, _ s: String?) {
        key(k)
        if let s { string(s) } else { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }
    }
}

enum JSONBody {
    /// Encodes dictionaries, arrays, strings, numbers, booleans and nulls as JSON with sorted keys (the same
    /// escaping as Akashi's canonical JSON). Written by hand: Foundation's JSONSerialization cost a third of a
    /// register view's time.
    static func encode(_ value: Any) -> String {
        var w = CanonicalWriter(capacity: 1024)
        write(value, into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private static func write(_ value: Any, into w: inout CanonicalWriter) {
        switch value {
        case let s as String: w.string(s)
        case let s as Substring: w.string(String(s))
        case let b as Bool: w.value(.bool(b))
        case let i as Int: w.value(.number(String(i)))
        case let i as Int64: w.value(.number(String(i)))
        case let i as Int32: w.value(.number(String(i)))
        case let i as UInt64: w.value(.number(String(i)))
        case let d as Double: w.value(d.isFinite ? .number(d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)) : .null)
        case let j as JSONValue: w.value(j)
        case let a as [Any]:
            w.bytes.append(UInt8(ascii: "["))
            for (k, item) in a.enumerated() {
                if k > 0 { w.bytes.append(UInt8(ascii: ",")) }
                write(item, into: &w)
            }
            w.bytes.append(UInt8(ascii: "]"))
        case let o as [String: Any]:
            w.bytes.append(UInt8(ascii: "{"))
            for (k, key) in o.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if k > 0 { w.bytes.append(UInt8(ascii: ",")) }
                w.string(key)
                w.bytes.append(UInt8(ascii: ":"))
                write(o[key]!, into: &w)
            }
            w.bytes.append(UInt8(ascii: "}"))
        case let f as Float: write(Double(f), into: &w)
        case is NSNull: w.value(.null)
        default:
            // An optional inside `Any`: write what it holds, or null.
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional, let inner = mirror.children.first {
                write(inner.value, into: &w)
            } else {
                w.value(.null)
            }
        }
    }

    static func response(_ value: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var w = CanonicalWriter(capacity: 1024)
        write(value, into: &w)
        return response(bytes: w.bytes, status: status)
    }

    /// A JSON answer from bytes already written.
    static func response(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Parses a JSON object body; a 400 for anything else.
    static func object(_ request: Request, limit: Int = 64 * 1024, emptyAllowed: Bool = false) async throws -> [String: Any] {
        var req = request
        let buffer = try await req.collectBody(upTo: limit)
        // An optional body (a decision's note): no body at all is an empty object.
        if emptyAllowed, buffer.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return [:]
        }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw WorkspaceError.invalid("リクエスト本文は JSON オブジェクトにしてください。", "The body must be a JSON object.")
        }
        // As in a form: every key and string checked (``WorkspaceError/checkField(_:_:)``).
        func check(_ name: String, _ v: Any) throws {
            switch v {
            case let s as String: try WorkspaceError.checkField(name, s)
            case let a as [Any]: for x in a { try check(name, x) }
            case let o as [String: Any]: for (k, x) in o { try check(k, x) }
            default: try WorkspaceError.checkField(name, "")
            }
        }
        try check("", obj)
        return obj
    }
}
