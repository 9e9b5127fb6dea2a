import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiStorage
import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The server store: one municipality's records, ledger, findings and workspace state in a PostgreSQL database,
/// beside the embedded SQLite store and behind the same protocols.
///
/// Several processes (`akashi serve` on several machines, an `akashi import` or `akashi audit` from a shell) may
/// open the same store at once: ledger appends are sequenced by ``LedgerWriter`` under a transaction-scoped advisory
/// lock on the municipality, so they never fork, gap or lose an acknowledged entry. Every value in every query is a
/// bound parameter (`PostgresQuery` interpolation); the only text put into SQL is the store's own (table names and
/// the integer bounds of a month's partition).
public final class PostgresStore: @unchecked Sendable {
    /// Where the store is (without its password).
    public let location: PostgresLocation
    /// The municipality code every row carries.
    public let muni: String
    let connections: Connections
    let logger: Logger
    /// Sequences ledger appends (the same code for every store; see ``LedgerWriter``).
    let ledger = LedgerWriter<PostgresStore>()
    /// Months (`year * 12 + month - 1`, UTC) whose event partition this process knows exists.
    private let partitionLock = NSLock()
    private var knownPartitions = Set<Int>()
    /// The rows a bulk import wrote since its tables' statistics were last caught up, by table (the event table's
    /// monthly partitions too, by name; see ``catchUpLookupIndexes()``).
    let bulkLoaded = Mutex([String: Int]())
    /// The tables the last ``catchUpLookupIndexes()`` analyzed (for tests and diagnostics).
    let lastAnalyzed = Mutex([String]())

    /// Opens the store at `location`, applying any migration the database lacks. Throws ``StoreError`` with
    /// `.unreachable` or `.authentication` when the server cannot be used; creates nothing then.
    public init(location: PostgresLocation, maxConnections: Int = 8, logger: Logger = Logger(label: "akashi.postgres")) throws {
        self.location = location
        self.muni = location.municipality
        self.logger = logger
        connections = Connections(location: location, maxConnections: maxConnections, logger: logger)
        try migrate()
    }

    deinit { connections.closeAll() }

    /// Where quarantined lines can be read.
    public var quarantineLocation: String { "the quarantine table of \(location)" }

    // MARK: Migrations

    private func migrate() throws {
        try connections.blocking { s in
            // A session lock: held across the migrations' own transactions, released when this block ends.
            try s.execute("SELECT pg_advisory_lock(\(PostgresSchema.migrationLockKey))")
            defer { _ = try? s.execute("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLockKey))") }
            try s.execute("CREATE TABLE IF NOT EXISTS akashi_migration(name text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())")
            let done = Set(try s.rows("SELECT name FROM akashi_migration").map { try $0.decode(String.self) })
            for m in PostgresSchema.all where !done.contains(m.name) {
                try s.transaction {
                    for sql in m.sql { try s.execute(PostgresQuery(unsafeSQL: sql)) }
                    try s.execute("INSERT INTO akashi_migration(name) VALUES (\(m.name))")
                }
                logger.info("applied migration \(m.name)")
            }
        }
    }

    // MARK: Partitions

    /// The month (UTC) of an instant, as `year * 12 + month - 1`.
    public static func month(ofMillis millis: Int64) -> Int {
        let days = Int(millis.floorDiv(86_400_000))
        let (y, m, _) = civil(fromDays: days)
        return y * 12 + m - 1
    }

    /// The name of a month's event partition (`event_mYYYYMM`; the month as `year * 12 + month - 1`, UTC).
    static func partitionName(ofMonth k: Int) -> String {
        String(format: "event_m%04d%02d", k.floorDiv(12), k.floorMod(12) + 1)
    }

    /// Epoch milliseconds at the start of a month (`year * 12 + month - 1`, UTC).
    public static func startMillis(ofMonth k: Int) -> Int64 {
        Int64(days(fromCivil: k.floorDiv(12), k.floorMod(12) + 1, 1)) * 86_400_000
    }

    /// Makes sure the event partitions for these instants exist (each in its own short transaction: creating a
    /// partition locks the parent table, so it must not wait inside an append).
    func ensurePartitions(forMillis instants: some Sequence<Int64>) throws {
        let months = Set(instants.map(Self.month(ofMillis:)))
        partitionLock.lock()
        let missing = months.subtracting(knownPartitions)
        partitionLock.unlock()
        guard !missing.isEmpty else { return }
        try connections.blocking { s in
            // Which of them exist already, in one round trip (a new process knows none: one query a month was one
            // round trip a month of the import).
            let months = missing.sorted()
            let names = months.map(Self.partitionName(ofMonth:))
            let existing = Set(try s.rows("SELECT relname::text FROM pg_class WHERE relname = ANY(\(names)::text[])")
                .map { try $0.decode(String.self) })
            for (k, name) in zip(months, names) {
                if !existing.contains(name) {
                    try s.transaction {
                        // One creator at a time across every process and municipality.
                        try s.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey + 1))")
                        // Integers only: the name and the bounds are computed from the month number.
                        try s.execute(PostgresQuery(unsafeSQL: """
                            CREATE TABLE IF NOT EXISTS \(name) PARTITION OF event
                            FOR VALUES FROM (\(Self.startMillis(ofMonth: k))) TO (\(Self.startMillis(ofMonth: k + 1)))
                            """))
                    }
                }
                partitionLock.lock()
                knownPartitions.insert(k)
                partitionLock.unlock()
            }
        }
    }

    // Days since 1970-01-01 ↔ proleptic Gregorian date (Howard Hinnant's algorithms).
    static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = y.floorDiv(400)
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = z.floorDiv(146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension BinaryInteger {
    func floorDiv(_ d: Self) -> Self {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }

    func floorMod(_ d: Self) -> Self { self - floorDiv(d) * d }
}

extension PostgresStore {
    /// Whether the municipality has anything stored (records or ledger entries): a command other than import on a
    /// municipality with nothing (a mistyped code, say) is refused rather than answered with empty results.
    public func holdsData() throws -> Bool {
        try connections.blocking { s in
            try s.rows("""
                SELECT EXISTS (SELECT 1 FROM ledger_head WHERE muni = \(muni)) OR EXISTS (SELECT 1 FROM office WHERE muni = \(muni))
                    OR EXISTS (SELECT 1 FROM staff WHERE muni = \(muni)) OR EXISTS (SELECT 1 FROM register WHERE muni = \(muni))
                    OR EXISTS (SELECT 1 FROM person WHERE muni = \(muni))
                """).first?.decode(Bool.self) ?? false
        }
    }
}

/// Everything `akashi serve` and every command need (the parts live in the files beside this one).
extension PostgresStore: WorkspaceStore, ReportStore {}

extension PostgresStore {
    /// Runs work that waits on a connection's futures (the ledger's sequencing, bulk writes) on the store's threads
    /// (``StoreThreads``), never on the caller's cooperative thread: a request or test awaiting it leaves that thread
    /// free for others.
    @discardableResult
    func offBlocking<T: Sendable>(_ body: @Sendable () throws -> T) async throws -> T {
        try await StoreThreads.run { try body() }
    }
}
