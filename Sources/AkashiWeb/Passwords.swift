import AkashiLedger
import Crypto
import Foundation
import HTTPTypes
import Synchronization
import _CryptoExtras

/// Password hashing with scrypt (RFC 7914): a random 16-byte salt per hash, the parameters kept with the hash as
/// `scrypt$<logN>$<r>$<p>$<salt base64>$<hash base64>`. A password is never stored, logged or echoed.
public enum PasswordHasher {
    /// Hashes a password with cost N = 2^`logN`.
    public static func hash(_ password: String, logN: Int = 15) throws -> String {
        let salt = Tokens.randomBytes(16)
        let key = try derive(password, salt: salt, logN: logN, r: 8, p: 1)
        return "scrypt$\(logN)$8$1$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// Whether `password` matches a stored hash (constant-time comparison; `false` for a malformed hash).
    public static func verify(_ password: String, hash stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]),
              let p = Int(parts[3]), (1...22).contains(logN), (1...32).contains(r), (1...16).contains(p),
              let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])),
              let key = try? derive(password, salt: [UInt8](salt), logN: logN, r: r, p: p)
        else { return false }
        return Tokens.constantTimeEqual(key, [UInt8](expected))
    }

    private static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: 1 << logN, blockSize: r, parallelism: p,
                                           maxMemory: 256 * 1024 * 1024)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Random tokens and their stored forms.
public enum Tokens {
    /// `n` bytes from the system's secure random generator.
    public static func randomBytes(_ n: Int) -> [UInt8] {
        // Eight bytes per draw from the system generator (one getrandom call each, not one per byte).
        var g = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(n + 8)
        while out.count < n { withUnsafeBytes(of: g.next() as UInt64) { out.append(contentsOf: $0) } }
        out.removeLast(out.count - n)
        return out
    }

    /// A fresh 256-bit token, base64url without padding (safe in a cookie and a header).
    public static func newToken() -> String { base64URL(randomBytes(32)) }

    /// The form a token is stored in: lower-case hex SHA-256.
    public static func storedHash(_ token: String) -> String { sha256Hex(Array(token.utf8)) }

    /// Lower-case hex SHA-256 of raw bytes.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).withUnsafeBytes { Hex.encode($0) }
    }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares without leaking where the first difference is.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in a.indices { d |= a[i] ^ b[i] }
        return d == 0
    }

    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    /// A new event ID: `W` + milliseconds + 12 random hex digits (well under the 64-byte limit).
    public static func eventID(millis: Int64) -> String {
        "W" + String(millis) + "-" + Hex.encode(randomBytes(6))
    }
}

/// Where sign-in passwords are checked: never on the request executor, and never more at once than the machine
/// can afford. scrypt costs about 0.1 s and 32 MiB a check; run inline, twenty anonymous attempts a second starved
/// every clerk's request (a search took 1.3 s instead of 10 ms).
///
/// - At most `workers` checks run at once, on threads of their own; at most `maxWaiting` more wait. Beyond that a
///   sign-in is refused at once (503), before any hashing.
/// - Per client address, at most `perClient` attempts per `windowSeconds`, counted before any hashing (429).
/// - `reserved` of the waiting places are kept for addresses that signed in successfully before (the clerks'
///   workstations, remembered in memory, the latest `known` of them): a flood of anonymous attempts from many
///   addresses fills the rest and is refused (503), while the office's own workstations still get in (security
///   retest N-3: twenty addresses kept every sign-in busy).
/// - One check at a time per account and client address: a burst of guesses from one address is checked one by one.
///   The lockout itself no longer depends on it (the store counts each check before it is made, see
///   `WorkspaceStore.claimSignIn`); keyed by the address too, a stranger's stream of guesses cannot keep the clerk's
///   own workstation busy (issue 18, F-6).
final class PasswordGate: Sendable {
    let workers: Int
    let maxWaiting: Int
    let perClient: Int
    let windowSeconds: Int64
    private let queue: OperationQueue
    let reserved: Int
    let known: Int
    private struct State {
        var inFlight = 0
        var accounts: Set<AccountAtAddress> = []
        var clients: [String: (window: Int64, count: Int)] = [:]
        /// Addresses with a successful sign-in, and when (a counter: the smallest is forgotten first).
        var trusted: [String: Int] = [:]
        var tick = 0
    }
    private let state = Mutex(State())
    private struct AccountAtAddress: Hashable {
        var account: String
        var client: String
    }

    init(workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2), maxWaiting: Int = 16,
         perClient: Int = 60, windowSeconds: Int64 = 60, reserved: Int = 8, known: Int = 4096) {
        self.workers = workers
        self.maxWaiting = maxWaiting
        self.reserved = min(reserved, maxWaiting)
        self.known = known
        self.perClient = perClient
        self.windowSeconds = windowSeconds
        queue = OperationQueue()
        queue.name = "akashi.passwords"
        queue.maxConcurrentOperationCount = workers
    }

    /// Admits one attempt from `client` for `account` (nil: an unknown account), or throws why not; `release` must
    /// follow once the attempt is decided.
    func admit(client: String, account: String?, now: Int64 = Workspace.nowMillis()) throws(WorkspaceError) {
        let window = now / (windowSeconds * 1000)
        try state.withLock { (s: inout State) throws(WorkspaceError) in
            var c = s.clients[client] ?? (window, 0)
            if c.window != window { c = (window, 0) }
            guard c.count < perClient else { throw WorkspaceError.signInThrottled }
            let limit = workers + maxWaiting - (s.trusted[client] == nil ? reserved : 0)
            guard s.inFlight < limit else { throw WorkspaceError.signInBusy }
            if let account {
                // Another check of this account from this address is running: this guess waits for no one and is refused.
                guard s.accounts.insert(AccountAtAddress(account: account, client: client)).inserted else {
                    throw WorkspaceError.signInBusy
                }
            }
            c.count += 1
            s.clients[client] = c
            s.inFlight += 1
            // Addresses from earlier windows are forgotten, so the map stays as small as one window's clients.
            if s.clients.count > 10_000 { s.clients = s.clients.filter { $0.value.window == window } }
        }
    }

    /// Remembers an address a sign-in succeeded from: its attempts may use the reserved places.
    func trust(client: String) {
        state.withLock { s in
            s.tick += 1
            s.trusted[client] = s.tick
            if s.trusted.count > known {
                // Forget the oldest half at once, so that this stays cheap.
                let cut = s.trusted.values.sorted()[s.trusted.count / 2]
                s.trusted = s.trusted.filter { $0.value >= cut }
            }
        }
    }

    /// Ends an attempt `admit` let in.
    func release(client: String, account: String?) {
        state.withLock { s in
            s.inFlight -= 1
            if let account { s.accounts.remove(AccountAtAddress(account: account, client: client)) }
        }
    }

    /// Checks a password on the gate's threads.
    func verify(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            queue.addOperation { c.resume(returning: PasswordHasher.verify(password, hash: hash)) }
        }
    }
}
