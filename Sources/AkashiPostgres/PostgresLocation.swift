import AkashiStorage
import Foundation

/// Where a PostgreSQL store is: `postgres://USER@HOST:PORT/DATABASE?municipality=CODE`.
///
/// The password never comes from the URL (it would end up in shell history, `ps` and logs): it is read from the
/// `PGPASSWORD` environment variable, or from the file named by `AKASHI_PGPASSWORD_FILE` (its first line), or there is
/// none (trust or peer authentication on loopback). A URL that carries one is refused.
///
/// `municipality` names whose data this is: every table carries it as its first key column, so that one database
/// (or one Citus cluster, distributed by it) can hold many municipalities, each with its own ledger. Default `000000`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var municipality: String
    /// Not part of ``description`` and never printed.
    public var password: String?

    /// The default municipality code, when the URL names none.
    public static let defaultMunicipality = "000000"

    public init(host: String, port: Int = 5432, user: String, database: String,
                municipality: String = PostgresLocation.defaultMunicipality, password: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.municipality = municipality
        self.password = password
    }

    /// The location without its password: safe for messages and logs.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (municipality == Self.defaultMunicipality ? "" : "?municipality=\(municipality)")
    }

    /// Whether a store argument is a PostgreSQL URL.
    public static func isPostgresURL(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// Parses a store URL; the password from `environment` (see the type's documentation). Every problem is a
    /// ``StoreError`` with code ``StoreError/Code/unsupportedStore`` whose message names the part at fault and never
    /// repeats the URL (it may hold a secret).
    public static func parse(_ value: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> PostgresLocation {
        func bad(_ what: String) -> StoreError { StoreError(.unsupportedStore, "--store postgres://…: \(what)") }
        guard isPostgresURL(value) else { throw bad("a PostgreSQL store URL starts with postgres:// or postgresql://") }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw bad("the URL holds a control character")
        }
        guard let components = URLComponents(string: value) else { throw bad("not a valid URL") }
        if components.password != nil {
            throw bad("the URL carries a password; give it in PGPASSWORD or in a file named by AKASHI_PGPASSWORD_FILE, never in the URL")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("the URL names no host (postgres://USER@HOST:PORT/DATABASE)") }
        guard let user = components.user, !user.isEmpty else { throw bad("the URL names no user (postgres://USER@HOST:PORT/DATABASE)") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("port \(port) is out of range (1–65535)") }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty, !database.contains("/") else {
            throw bad("the URL names no database (postgres://USER@HOST:PORT/DATABASE)")
        }
        var municipality = defaultMunicipality
        for item in components.queryItems ?? [] {
            switch item.name {
            case "municipality":
                guard let v = item.value, !v.isEmpty, v.count <= 32,
                      v.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
                else { throw bad("municipality must be 1–32 letters, digits, '-' or '_'") }
                municipality = v
            default:
                throw bad("unknown URL parameter '\(item.name)' (the only one is municipality)")
            }
        }
        var password: String?
        if let p = environment["PGPASSWORD"], !p.isEmpty {
            password = p
        } else if let file = environment["AKASHI_PGPASSWORD_FILE"], !file.isEmpty {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw bad("AKASHI_PGPASSWORD_FILE names a file that cannot be read")
            }
            let first = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
            password = first.hasSuffix("\r") ? String(first.dropLast()) : String(first)
            if password?.isEmpty == true { throw bad("the file named by AKASHI_PGPASSWORD_FILE is empty") }
        }
        return PostgresLocation(host: host, port: port, user: user, database: database, municipality: municipality,
                                password: password)
    }
}
