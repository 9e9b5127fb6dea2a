import AkashiPostgres
import AkashiSQLite
import AkashiStorage
import Foundation
import Testing

/// The PostgreSQL server the store tests also run against: `AKASHI_TEST_POSTGRES`, a store URL such as
/// `postgres://postgres@127.0.0.1:55432/akashi_test` (`.ci/run` starts a throwaway server and sets it). Unset, the
/// PostgreSQL cases are skipped: a machine without PostgreSQL can still run the suite.
enum TestPostgres {
    static let url: String? = {
        let v = ProcessInfo.processInfo.environment["AKASHI_TEST_POSTGRES"] ?? ""
        return v.isEmpty ? nil : v
    }()

    /// Why the PostgreSQL cases did not run, printed once by the suites that skip them.
    static let skipReason = "PostgreSQL cases skipped: set AKASHI_TEST_POSTGRES=postgres://USER@HOST:PORT/DB to run them (.ci/run does)"

    /// A store on the test server for the municipality `name` (a fresh name is a fresh, empty store: every table is
    /// keyed by municipality). Opening it again with the same name is what a second process does.
    static func store(_ name: String) throws -> PostgresStore {
        guard let url else { throw SkipError() }
        return try PostgresStore(location: PostgresLocation.parse(url + "?municipality=" + name))
    }

    /// A municipality name no other test uses.
    static func freshName() -> String { "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased() }

    struct SkipError: Error {}
}

/// A ledger-bearing store under test: the embedded store in a directory, or PostgreSQL for a fresh municipality.
/// `open` with the same key opens the same store again, as another process would.
struct LedgerStoreKind: CustomTestStringConvertible, Sendable {
    let name: String
    let open: @Sendable (_ key: String) throws -> any AkashiStore
    var testDescription: String { name }

    static let sqlite = LedgerStoreKind(name: "SQLite") { try SQLiteStore(directory: $0) }
    /// Keys are directories; the municipality is derived from the key's last path component.
    static let postgres = LedgerStoreKind(name: "PostgreSQL") { try postgresStore($0) }

    /// The PostgreSQL store for a test directory: its name ends in a fresh UUID, whose letters and digits name a fresh
    /// municipality (the same directory, the same municipality).
    static func postgresStore(_ dir: String) throws -> PostgresStore {
        let tail = dir.split(separator: "/").first { $0.hasPrefix("akashi-test-") }.map(String.init) ?? (dir as NSString).lastPathComponent
        return try TestPostgres.store("d" + tail.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.suffix(30).lowercased())
    }

    /// The embedded store always; PostgreSQL when a test server is configured.
    static let all: [LedgerStoreKind] = TestPostgres.url == nil ? [.sqlite] : [.sqlite, .postgres]
}
