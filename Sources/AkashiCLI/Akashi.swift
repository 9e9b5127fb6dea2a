import AkashiStorage
import AkashiPostgres
import AkashiReports
import AkashiSQLite
import AkashiWeb
import ArgumentParser
import Foundation
import Logging

/// The `akashi` command tree.
public struct Akashi: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "akashi",
        abstract: "Akashi (証): accountable access to family-register (戸籍) data.",
        discussion: """
            Every search, view, print and update of a register is tied to a business document or a stated reason, \
            kept in a tamper-evident ledger anyone can verify, and audited.
            """,
        subcommands: [
            Demo.self, Generate.self, Import.self, Export.self, Stats.self, LedgerCommand.self, Serve.self, AccountCommand.self,
            Bench.self, AuditCommand.self, Disclose.self, Reconcile.self, VerifyReceipt.self, Notices.self,
        ]
    )

    public init() {}

    /// Runs the command line with Akashi's exit statuses: 0 success, 1 the work was done but something was
    /// refused (e.g. rejected lines), 2 unusable arguments.
    public static func runMain() async {
        LoggingSystem.bootstrap { AkashiLogHandler(label: $0) }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            await OpenStores.shared.closeAll()
        } catch {
            await OpenStores.shared.closeAll()
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// `--store DIR` for every command that works on an existing store. A directory that holds no store is an argument
/// error: opening would create an empty store there, so a mistyped path would print empty results with success (and
/// `export` would overwrite its output with empty files).
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("store"),
            help: ArgumentHelp("The store: a directory (an existing embedded store; `akashi import` creates one) or postgres://USER@HOST:PORT/DB[?municipality=CODE] (password from PGPASSWORD or the file named by AKASHI_PGPASSWORD_FILE). Default: $AKASHI_STORE.",
                               valueName: "dir|url"))
    var given: String?

    /// `--store`, else `AKASHI_STORE` (empty is unset).
    var store: String { StorePath.resolve(given) }

    func validate() throws { try StorePath.check(store, mayCreate: false) }

    /// The store `--store` names: the one place commands open it.
    func open() throws -> any ServerStore { try StorePath.open(store, mayCreate: false) }

    /// The store `--store` names, for a command that only reads: nothing is written to it, so it opens on a read-only
    /// file system, as a user who may not write it, and on a full disk.
    func openForReading() throws -> any ServerStore { try StorePath.open(store, mayCreate: false, readOnly: true) }
}

/// How residents reach the municipality (the letter and the resident page): `--municipality-name`,
/// `--resident-desk`, `--resident-url`.
struct ResidentContactOptions: ParsableArguments {
    @Option(help: "The municipality's name as residents know it (on the letter and the resident page), e.g. 大阪市.")
    var municipalityName: String = ""
    @Option(help: "Where residents ask about an access they do not recognise (a desk, a phone number), on the letter and the resident page.")
    var residentDesk: String = ""
    @Option(help: "The public address of the resident page, printed on letters with a one-time code (https://…/resident).")
    var residentUrl: String = ""

    func validate() throws { _ = try contact() }

    /// The contact, checked (each problem names its option).
    func contact() throws -> ResidentContact {
        do {
            return try ResidentContact.checked(municipality: municipalityName, desk: residentDesk, pageURL: residentUrl)
        } catch let e as ReportError {
            throw ValidationError(e.message.replacingOccurrences(of: "the municipality name", with: "--municipality-name")
                .replacingOccurrences(of: "the resident desk", with: "--resident-desk")
                .replacingOccurrences(of: "the resident page URL", with: "--resident-url"))
        }
    }
}

/// `--store DIR` for the commands that create the store when it is missing (import).
struct NewStoreOptions: ParsableArguments {
    @Option(name: .customLong("store"),
            help: ArgumentHelp("The store: a directory (created when missing) or postgres://USER@HOST:PORT/DB[?municipality=CODE] (password from PGPASSWORD or the file named by AKASHI_PGPASSWORD_FILE). Default: $AKASHI_STORE.",
                               valueName: "dir|url"))
    var given: String?

    /// `--store`, else `AKASHI_STORE` (empty is unset).
    var store: String { StorePath.resolve(given) }

    func validate() throws { try StorePath.check(store, mayCreate: true) }

    /// The store `--store` names (created when missing).
    func open() throws -> any ServerStore { try StorePath.open(store) }
}

/// The stores this process opened through `--store`, closed (``AkashiStore/close()``) once the command is done, on
/// success and on error alike: a store is otherwise left to its release, and a thread that still holds it when the
/// process exits skips its last checkpoint (an import under load left its write-ahead log full, and a reader on a
/// full disk then failed).
final class OpenStores: @unchecked Sendable {
    static let shared = OpenStores()
    private let lock = NSLock()
    private var stores: [any AkashiStore] = []

    /// Keeps `store` to be closed when the command is done, and returns it.
    func keep<S: AkashiStore>(_ store: S) -> S {
        lock.withLock { stores.append(store) }
        return store
    }

    func closeAll() async {
        for s in takeAll() { await s.close() }
    }

    private func takeAll() -> [any AkashiStore] {
        lock.withLock {
            defer { stores = [] }
            return stores
        }
    }
}

enum StorePath {
    /// The store a command works on: `--store` when given (and not empty), else the `AKASHI_STORE` environment
    /// variable, else "" (which ``check(_:mayCreate:)`` refuses).
    static func resolve(_ given: String?) -> String {
        if let g = given, !g.isEmpty { return g }
        return ProcessInfo.processInfo.environment["AKASHI_STORE"] ?? ""
    }

    /// The scheme of a `--store` value that looks like a URL (`postgres://…`, `file:…`), or nil for a path. Such a
    /// value must never become a directory named after it.
    static func scheme(_ value: String) -> String? {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let head = value[..<colon]
        guard let first = head.first, first.isASCII, first.isLetter,
              head.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return nil }
        // A one-letter "scheme" is a Windows drive (C:\…), not a URL.
        return head.count > 1 ? head.lowercased() : nil
    }

    /// Opens the store a checked `--store` value names (see ``check(_:mayCreate:)``): the one place every command
    /// turns `--store` into a store. A PostgreSQL server that cannot be reached or refuses the credentials is an
    /// argument error (exit 2), and nothing is created.
    static func open(_ value: String, mayCreate: Bool = true, readOnly: Bool = false) throws -> any ServerStore {
        if PostgresLocation.isPostgresURL(value) {
            let location = try postgresLocation(value)
            let store: PostgresStore
            do {
                store = try PostgresStore(location: location)
            } catch let e as StoreError where [.unreachable, .authentication, .unsupportedStore].contains(e.code) {
                throw ValidationError("--store \(location): \(e.message). Nothing was created.")
            }
            if !mayCreate, try !store.holdsData() {
                throw ValidationError("--store \(location): no Akashi data for municipality \(location.municipality) there (a store is made by `akashi import FILE... --store URL`)")
            }
            return OpenStores.shared.keep(store)
        }
        if let s = scheme(value) { throw ValidationError(unsupported(s)) }
        do {
            return OpenStores.shared.keep(try SQLiteStore(directory: value, readOnly: readOnly))
        } catch let e as StoreError where e.code == .readOnly {
            throw ValidationError(e.message)
        }
    }

    /// A PostgreSQL store URL parsed, its password from the environment; a bad one is an argument error naming the part
    /// at fault (never repeating the URL, which may hold a secret).
    static func postgresLocation(_ value: String) throws -> PostgresLocation {
        do { return try PostgresLocation.parse(value) } catch let e as StoreError {
            throw ValidationError(e.message + ". Nothing was created.")
        }
    }

    /// The message for a URL-like store value of an unknown kind: the scheme only (a URL may carry a user name or a
    /// password).
    static func unsupported(_ scheme: String) -> String {
        "--store \(scheme):…: not a store directory and not a known kind of store URL (postgres://USER@HOST:PORT/DB); give a store directory or a PostgreSQL URL. Nothing was created."
    }

    static func check(_ path: String, mayCreate: Bool) throws {
        guard !path.isEmpty else {
            throw ValidationError("--store is missing: give the store directory (--store DIR), or set AKASHI_STORE")
        }
        if PostgresLocation.isPostgresURL(path) {
            _ = try postgresLocation(path)
            return
        }
        if let s = scheme(path) { throw ValidationError(unsupported(s)) }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw ValidationError("--store \(path): is a file, not a store directory")
        }
        if !mayCreate && !FileManager.default.fileExists(atPath: path + "/" + SQLiteStore.databaseFile) {
            throw ValidationError("--store \(path): no Akashi store there (a store is made by `akashi import FILE... --store \(path)`)")
        }
    }
}

/// Writes a line to standard error.
func warn(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Whether standard error is a terminal (progress lines go there only then).
var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

/// `1234567` → `1,234,567`.
func grouped(_ n: some BinaryInteger) -> String {
    let s = String(n)
    var out = ""
    for (k, c) in s.reversed().enumerated() {
        if k > 0, k % 3 == 0, c != "-" { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}
