/// An error from a store, whichever database is behind it: a stable ``Code`` to switch on, a plain English message
/// naming what was wrong, and the underlying error (the database driver's), when there is one.
///
/// Shaped like ``AkashiLedger/LedgerError`` (and postgres-nio's `PSQLError.Code`): codes are static members of a
/// struct, so new ones can be added without breaking a caller's `switch`. The message never carries a password or a
/// connection string; ``cause`` may carry the driver's own text and is for the server log, not for a web page.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. Compare against the static members (`error.code == .ledgerBusy`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case database
            case damaged
            case ledgerUnavailable
            case ledgerBusy
            case unreachable
            case authentication
            case unsupportedStore
            case readOnly
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The database refused or failed a statement (SQLite's or PostgreSQL's error is the ``StoreError/cause``).
        public static let database = Code(.database)
        /// Something stored does not read back as what was written: the store may be damaged (run `akashi ledger verify`).
        public static let damaged = Code(.damaged)
        /// The ledger cannot be extended: its stored tiles could not be read to rebuild the tree's right edge.
        public static let ledgerUnavailable = Code(.ledgerUnavailable)
        /// Other writers kept appending to the ledger while this one waited; nothing was written, try again.
        public static let ledgerBusy = Code(.ledgerBusy)
        /// The database server could not be reached.
        public static let unreachable = Code(.unreachable)
        /// The database server refused the credentials.
        public static let authentication = Code(.authentication)
        /// The store argument names no kind of store Akashi has.
        public static let unsupportedStore = Code(.unsupportedStore)
        /// The store cannot be written here (a read-only file system, or not this user's to write); reading works.
        public static let readOnly = Code(.readOnly)

        /// The code's name, e.g. `ledgerBusy`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A plain English sentence naming what was wrong.
    public let message: String
    /// The underlying error (the database driver's), when there is one.
    public let cause: (any Error)?

    /// Creates an error with a code, a message and, optionally, the error that caused it.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message, prefixed by the code, and the cause when there is one.
    public var description: String {
        cause.map { "\(code): \(message) (\($0))" } ?? "\(code): \(message)"
    }
}
