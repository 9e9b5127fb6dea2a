import AkashiDomain
import AkashiStorage
import Crypto
import Foundation
import HTTPTypes

/// Post/redirect/get for the forms that act (issue 19, item 7): every such form carries a one-time token (`form`);
/// the POST claims it in the store before it acts, records what it did under it and answers 303 to a page that shows
/// that result. Reloading the result page is a GET that does nothing again; sending the same form again (a double
/// click, Back and send, a reload of the POST) finds the token claimed and is sent to the first result.
///
/// A form without a token (a script) still gets the redirect, under a token the server makes up: only the
/// duplicate check needs the client's.
enum FormToken {
    /// The hidden field every acting form carries.
    static let field = "form"

    /// A new token for a form being rendered (256 bits, base64url).
    static func new() -> String { Tokens.newToken() }

    /// Whether a token sent back is one this server could have made: 20 to 64 base64url characters. Anything else
    /// (a control character, a path separator, a megabyte) is refused before it reaches the store or a URL.
    static func isWellFormed(_ t: String) -> Bool {
        (20...64).contains(t.utf8.count) && t.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F
        }
    }

    /// The token of a submitted form: its own when well formed, a fresh one when it sent none; refused when malformed.
    static func of(_ form: [String: String]) throws -> String {
        guard let t = form[field]?.trimmed.nonEmpty else { return new() }
        guard isWellFormed(t) else {
            throw WorkspaceError.invalid("フォームの送信番号が正しくありません。画面を開き直してください。",
                                         "The form's one-time token is malformed; open the page again.")
        }
        return t
    }

    /// The store's key for a token (the token itself is never stored).
    static func key(_ token: String) -> String { Tokens.storedHash("akashi-form/1\n" + token) }
}

/// A claimed (or already used) form token.
enum Claim {
    /// This request claimed it: act, then ``Workspace/complete(_:owner:result:keep:)`` or ``Workspace/release(_:owner:)``.
    case claimed(key: String)
    /// The form was sent before and that submission is done: show its result.
    case done(FormSubmission)
}

/// A result sealed with secrets the store never holds (the resident's cookie, an auditor's session and form tokens):
/// what a database reader sees of a kept disclosure or a letter's code is ciphertext (ChaCha20-Poly1305, the key
/// SHA-256 of the secrets).
enum Sealed {
    static func key(_ secrets: [String]) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Array(("akashi-sealed/1\n" + secrets.joined(separator: "\n")).utf8)))
    }

    static func seal(_ data: Data, _ secrets: [String]) throws -> String {
        try ChaChaPoly.seal(data, using: key(secrets)).combined.base64EncodedString()
    }

    static func open(_ text: String, _ secrets: [String]) -> Data? {
        guard let raw = Data(base64Encoded: text), let box = try? ChaChaPoly.SealedBox(combined: raw) else { return nil }
        return try? ChaChaPoly.open(box, using: key(secrets))
    }
}

extension Workspace {
    /// How long a claimed token is remembered (a form sent again within it shows the first result).
    static let submissionMillis: Int64 = 24 * 3_600_000

    /// Claims a form's token for `owner`. A token claimed before by the same owner and done is `.done`; one still
    /// being acted on by another request (a double click) is waited for, up to about 5 seconds. A token someone else
    /// claimed, or one still running after the wait, is refused (409).
    func claim(_ token: String, owner: String, kind: String) async throws -> Claim {
        let key = FormToken.key(token)
        let at = Self.nowMillis()
        var existing = try await store.claimSubmission(FormSubmission(key: key, owner: owner, kind: kind, created: at,
                                                                      expires: at + Self.submissionMillis))
        guard existing != nil else { return .claimed(key: key) }
        for _ in 0..<50 {
            guard let e = existing, e.owner == owner, e.kind == kind else { break }
            if e.result != nil { return .done(e) }
            try await Task.sleep(for: .milliseconds(100))
            existing = try await store.submission(key: key)
            if existing == nil {
                // The first request was refused and gave the token back: this one may act.
                return try await claim(token, owner: owner, kind: kind)
            }
        }
        throw WorkspaceError(.conflict, "form_in_progress",
                             "このフォームは送信済みで、まだ処理中です。少し待ってから結果の画面を開いてください。",
                             "This form was already sent and is still being processed; wait a moment.")
    }

    /// Records what a claimed submission did; it is remembered for ``submissionMillis`` from now.
    func complete(_ key: String, owner: String, result: String) async throws {
        try await store.completeSubmission(key: key, owner: owner, result: result,
                                           expires: Self.nowMillis() + Self.submissionMillis)
    }

    /// Gives a claimed token back after a refusal, so the corrected form can be sent again.
    func release(_ key: String, owner: String) async {
        try? await store.releaseSubmission(key: key, owner: owner)
    }

    /// The done submission of `token` if it is `owner`'s and of `kind`.
    func submission(_ token: String, owner: String, kind: String) async throws -> FormSubmission? {
        guard FormToken.isWellFormed(token), let s = try await store.submission(key: FormToken.key(token)),
              s.owner == owner, s.kind == kind, s.result != nil else { return nil }
        return s
    }

    /// Whether a result made at `created` may still be shown (``WebConfiguration/resultMinutes``).
    func resultShowable(created: Int64) -> Bool {
        Self.nowMillis() - created <= config.resultMinutes * 60_000
    }
}

/// A JSON object as text, for a submission's result.
enum ResultJSON {
    static func encode(_ values: [String: String]) -> String { JSONBody.encode(values) }

    static func decode(_ text: String?) -> [String: String] {
        guard let text, let o = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return o.compactMapValues { $0 as? String }
    }
}
