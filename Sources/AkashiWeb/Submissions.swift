import AkashiDomain
import AkashiStorage
import Crypto
import Foundation
import HTTPTypes
import Synchronization

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

/// The claims this process holds while their requests run: each one's lease is renewed (``ClaimLeases``) until the
/// request completes or gives its claim back. A process killed mid-request renews nothing, so its claims expire within
/// ``Workspace/claimLeaseMillis`` and the next claim of the key takes over (the fault test found a killed request's
/// key answered "still running" for the 24 hours a result is kept).
final class HeldClaims: Sendable {
    /// Claim key → when it was claimed (milliseconds since the epoch).
    private let held = Mutex<[String: Int64]>([:])

    func add(_ key: String, at: Int64) { held.withLock { $0[key] = at } }
    func remove(_ key: String) { _ = held.withLock { $0.removeValue(forKey: key) } }

    /// The keys to renew now: those claimed within ``Workspace/claimHoldMillis``; older ones (a request that neither
    /// completed nor gave its claim back, which only a fault can cause) are dropped and left to expire.
    func renewable(now: Int64) -> [String] {
        held.withLock { held in
            held = held.filter { now - $0.value < Workspace.claimHoldMillis }
            return Array(held.keys)
        }
    }
}

extension Workspace {
    /// How long a claimed token is remembered (a form sent again within it shows the first result).
    static let submissionMillis: Int64 = 24 * 3_600_000
    /// How long a claim without a result stays live unless the process acting on it renews it (every
    /// ``claimRenewMillis``): the longest a re-sent request waits after its first one died with its process.
    static let claimLeaseMillis: Int64 = 5_000
    /// How often a process renews the claims it holds.
    static let claimRenewMillis: Int64 = 1_000
    /// The longest a process renews one claim (far beyond any request; only a fault leaves a claim held longer).
    static let claimHoldMillis: Int64 = 10 * 60_000

    /// Claims a form's token for `owner`. A token claimed before by the same owner and done is `.done`; one still
    /// being acted on by another request (a double click) is waited for, up to ``claimLeaseMillis`` and a second.
    /// A claim whose request died (its process killed) stops being renewed and expires: it is then taken over by this
    /// request, which acts (an operation given the claim's ``idempotencySeed(_:)`` finds what the dead request did
    /// in the ledger and does it no second time). A token someone else claimed, or one still running after the wait,
    /// is refused (409).
    func claim(_ token: String, owner: String, kind: String) async throws -> Claim {
        let key = FormToken.key(token)
        let deadline = Self.nowMillis() + Self.claimLeaseMillis + 1_000
        func tryClaim() async throws -> FormSubmission? {
            let at = Self.nowMillis()
            let e = try await store.claimSubmission(FormSubmission(key: key, owner: owner, kind: kind, created: at,
                                                                   expires: at + Self.claimLeaseMillis))
            if e == nil { heldClaims.add(key, at: at) }
            return e
        }
        // A request that died holding the key is completed only by the same request (owner, path and body) within the
        // day its key is kept: another one taking the key over would leave the dead one's work half done, and the
        // same request sent later could never complete it (security retest R2-1).
        if let dead = try await store.submission(key: key), dead.result == nil, dead.expires <= Self.nowMillis(),
           dead.owner != owner || dead.kind != kind, Self.nowMillis() - dead.created < Self.submissionMillis {
            throw WorkspaceError(.conflict, "form_in_progress",
                                 "このフォームは別の内容で送信され、処理の途中で止まりました。同じ内容で送り直してください。",
                                 "This token was used by another request that stopped part way; send that request again.")
        }
        var existing = try await tryClaim()
        while let e = existing {
            guard e.owner == owner, e.kind == kind else { break }
            if e.result != nil { return .done(e) }
            guard Self.nowMillis() < deadline else { break }
            // Still running elsewhere: wait for its result, for its refusal (the token given back) or for its lease
            // to run out (its process died), then claim again.
            try await Task.sleep(for: .milliseconds(100))
            let seen = try await store.submission(key: key)
            existing = if let seen, seen.result != nil || seen.expires > Self.nowMillis() { seen } else { try await tryClaim() }
        }
        if existing == nil { return .claimed(key: key) }
        throw WorkspaceError(.conflict, "form_in_progress",
                             "このフォームは送信済みで、まだ処理中です。少し待ってから結果の画面を開いてください。",
                             "This form was already sent and is still being processed; wait a moment.")
    }

    /// Records what a claimed submission did; it is remembered for ``submissionMillis`` from now.
    func complete(_ key: String, owner: String, result: String) async throws {
        defer { heldClaims.remove(key) }
        try await store.completeSubmission(key: key, owner: owner, result: result,
                                           expires: Self.nowMillis() + Self.submissionMillis)
    }

    /// Gives a claimed token back after a refusal, so the corrected form can be sent again.
    func release(_ key: String, owner: String) async {
        heldClaims.remove(key)
        try? await store.releaseSubmission(key: key, owner: owner)
    }

    /// Renews the lease of every claim this process holds (``HeldClaims``).
    func renewClaims() async throws {
        let now = Self.nowMillis()
        let keys = heldClaims.renewable(now: now)
        guard !keys.isEmpty else { return }
        try await store.renewSubmissions(keys: keys, expires: now + Self.claimLeaseMillis)
    }

    /// The seed an operation derives its record and ledger event IDs from when it runs under a claim (an
    /// Idempotency-Key): the same for every run of the same request, so a run after a crash finds in the ledger what
    /// the first one did and completes it instead of doing it again.
    static func idempotencySeed(_ claimKey: String) -> String { Tokens.storedHash("akashi-idempotent/1\n" + claimKey) }

    /// An ID derived from a seed for one purpose (`hex` hexadecimal digits of its hash; event IDs get an `I` first,
    /// for "idempotent", where the workspace's own have `W`).
    static func seededID(_ seed: String, _ purpose: String, hex: Int = 24) -> String {
        "I" + Tokens.storedHash(seed + "\n" + purpose).prefix(hex)
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
