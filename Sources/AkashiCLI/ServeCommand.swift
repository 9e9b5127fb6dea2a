import AkashiDomain
import AkashiLedger
import AkashiSQLite
import AkashiStorage
import AkashiWeb
import ArgumentParser
import Foundation
import Hummingbird
import Logging

/// `akashi serve`: the clerk workspace, the JSON API and the published ledger.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the clerk workspace (HTML), the JSON API (/api/v1) and the ledger tiles (/ledger/).",
        discussion: """
            Every search, view, print and update is recorded in the ledger. With --key, a checkpoint is signed \
            every few seconds while the ledger grows. Accounts: `akashi account set-password`. Stops gracefully \
            on SIGTERM or SIGINT.
            """)

    @OptionGroup var options: StoreOptions

    @Option(help: "Address to listen on (loopback by default).")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8080

    @Option(help: "Signing key file (outside the store): sign checkpoints while serving.")
    var key: String?

    @Flag(help: "Mark cookies Secure (when the server is reached over TLS, e.g. behind a proxy).")
    var secureCookies = false

    @Flag(help: "Serve a non-loopback --host without --secure-cookies (plain HTTP: passwords and sessions cross the network in the clear; a test network only).")
    var allowPlainHttp = false

    @Option(name: .customLong("trusted-proxy"),
            help: "The address of a reverse proxy (the TLS proxy) whose X-Forwarded-For is believed; repeatable.")
    var trustedProxy: [String] = []

    @Option(help: "Warning banner text in Japanese (a new version when it changes).")
    var bannerJa: String?

    @Option(help: "Warning banner text in English.")
    var bannerEn: String?

    @Option(help: "Seconds between background audits of new accesses (0: never; one server at a time audits a shared store).")
    var auditEvery: Int = 30

    @OptionGroup var residentContact: ResidentContactOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard (0...86_400).contains(auditEvery) else { throw ValidationError("--audit-every must be 0…86400 seconds") }
        // Akashi speaks plain HTTP: reached from other machines it must sit behind a TLS proxy, and then its cookies
        // must be Secure. A non-loopback address without --secure-cookies would send passwords and session cookies
        // across the network in the clear.
        if !Self.isLoopback(host) && !secureCookies && !allowPlainHttp {
            throw ValidationError("""
                --host \(host) is reachable from other machines, but Akashi speaks plain HTTP: put it behind a TLS proxy \
                and pass --secure-cookies (or, on a test network only, --allow-plain-http)
                """)
        }
    }

    /// Whether `host` is a loopback address or name (reachable from this machine only).
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    func run() async throws {
        var config = WebConfiguration()
        config.host = host
        config.port = port
        config.secureCookies = secureCookies
        config.auditIntervalSeconds = Double(auditEvery)
        config.trustedProxies = Set(trustedProxy)
        config.residentContact = try residentContact.contact()
        if let bannerJa { config.bannerJapanese = bannerJa }
        if let bannerEn { config.bannerEnglish = bannerEn }
        config.metricsToken = ProcessInfo.processInfo.environment["AKASHI_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        try await Self.serve(store: options.store, key: key, config: config)
    }

    /// Opens the store and serves until SIGTERM / SIGINT.
    static func serve(store storeDir: String, key: String?, config: WebConfiguration, onReady: (@Sendable () -> Void)? = nil)
        async throws {
        let signer = try key.map { try loadSigner(path: $0, store: storeDir) }
        let store = try StorePath.open(storeDir)
        var logger = Logger(label: "akashi.web")
        logger.logLevel = ProcessInfo.processInfo.environment["AKASHI_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let workspace = try await Workspace(store: store, config: config, logger: logger)
        let app = try await WebApp.application(workspace: workspace, signer: signer, logger: logger)
        onReady?()
        try await app.runService()
    }
}

/// `akashi account`: workspace sign-in accounts.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage workspace sign-in accounts.",
        subcommands: [SetPassword.self])

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set a staff member's password, read from standard input (never from the command line).",
            discussion: "The password is stored only as a scrypt hash with a random salt. Clears any lockout.")

        @OptionGroup var options: StoreOptions

        @Option(help: "Staff ID (must be a staff record of the store).")
        var staff: String

        func run() async throws {
            let store = try options.open()
            guard try await store.staffMember(id: staff) != nil else {
                throw ValidationError("--staff \(staff): no such staff member in \(options.store)")
            }
            let password = try Self.password(from: FileHandle.standardInput.readDataToEndOfFile())
            try await store.setPasswordHash(staff: staff, hash: try PasswordHasher.hash(password))
            print("password set for \(staff)")
        }

        /// The password read from standard input, without its final line end (`\n` or `\r\n`). Refuses text that
        /// is not UTF-8 (it would be stored with U+FFFD in place of the bad bytes, and never match what is typed), a
        /// line break or other control character inside (it cannot be typed into the sign-in form), a password of
        /// only spaces, and fewer than 10 characters. Inner spaces and any script (Japanese too) are fine.
        static func password(from data: Data) throws -> String {
            guard var password = String(validating: data, as: UTF8.self) else {
                throw ValidationError("the password on standard input is not valid UTF-8 text")
            }
            if let last = password.last, last == "\n" || last == "\r\n" { password.removeLast() }
            guard !password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control
                || $0.properties.generalCategory == .lineSeparator || $0.properties.generalCategory == .paragraphSeparator
            }) else {
                throw ValidationError(
                    "the password must be one line without control characters (give it on one line of standard input)")
            }
            guard !password.allSatisfy(\.isWhitespace) else {
                throw ValidationError(password.isEmpty ? "the password is empty (give it on standard input)"
                                      : "the password must not be only spaces")
            }
            guard password.count >= 10 else { throw ValidationError("the password must have at least 10 characters") }
            return password
        }
    }
}
