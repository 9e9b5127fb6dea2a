import AkashiStorage
import Foundation
import AkashiDomain
import AkashiInterchange
import GRDBSQLite

/// Read connections for the workspace's hot path: one-row lookups by key (session, staff member, register, persons,
/// case) on every request.
///
/// A GRDB pool read wraps each read in `BEGIN`, `PRAGMA schema_version` and `COMMIT`, each prepared afresh, and hops
/// to the reader's queue: about 30 µs of a 35 µs session lookup, five or six times per register view. These
/// connections run each lookup as one cached statement in autocommit mode, which SQLite runs as its own read
/// transaction on one consistent snapshot of the WAL (the last commit at the time it starts). A lookup of several
/// rows binds them as one JSON list, so it is still one statement and one snapshot.
///
/// Connections are opened on demand, used by one thread at a time, and kept for reuse (up to ``keep``). They are
/// `query_only`: nothing through them can write, least of all to the ledger.
final class PointReads: @unchecked Sendable {
    private let path: String
    /// Opened read-only (a store opened for reading: the path may be an `immutable` URI).
    private let readOnly: Bool
    private let lock = NSLock()
    private var idle: [Connection] = []
    private let keep = 8

    init(path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }

    /// Runs `body` on a free connection.
    func with<T>(_ body: (Connection) throws -> T) throws -> T {
        lock.lock()
        let reused = idle.popLast()
        lock.unlock()
        let c = try reused ?? Connection(path: path, readOnly: readOnly)
        defer {
            lock.lock()
            if idle.count < keep { idle.append(c) }
            lock.unlock()
        }
        return try body(c)
    }

    /// The first column of the first row of `sql` with text parameters, as bytes (nil when there is no row).
    func blob(_ sql: String, _ args: String...) throws -> [UInt8]? {
        try with { c in
            let s = try c.statement(sql)
            for (k, a) in args.enumerated() { s.bind(Int32(k + 1), a) }
            return try s.firstBlob()
        }
    }

    /// One connection: its handle and its prepared statements.
    final class Connection {
        let db: OpaquePointer
        private var statements: [String: RawStatement] = [:]

        init(path: String, readOnly: Bool) throws {
            var handle: OpaquePointer?
            let rc = sqlite3_open_v2(path, &handle, (readOnly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE)
                                                    | SQLITE_OPEN_NOMUTEX, nil)
            guard rc == SQLITE_OK, let handle else {
                let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
                sqlite3_close_v2(handle)
                throw StoreError(.database, "cannot open a read connection to the store: \(message)")
            }
            sqlite3_busy_timeout(handle, 10_000)
            guard sqlite3_exec(handle, "PRAGMA query_only = ON; PRAGMA mmap_size = 0; PRAGMA cache_size = -16384",
                               nil, nil, nil) == SQLITE_OK else {
                let message = String(cString: sqlite3_errmsg(handle))
                sqlite3_close_v2(handle)
                throw StoreError(.database, "cannot set up a read connection to the store: \(message)")
            }
            db = handle
        }

        deinit {
            statements.removeAll()
            sqlite3_close_v2(db)
        }

        /// The prepared statement for `sql`, prepared on first use.
        func statement(_ sql: String) throws -> RawStatement {
            if let s = statements[sql] { return s }
            let s = try RawStatement(db, sql)
            statements[sql] = s
            return s
        }

        /// Steps `s` (already bound) and calls `row` for each result row; resets it afterwards.
        func rows(_ s: RawStatement, _ row: (RawStatement) throws -> Void) throws {
            defer { sqlite3_reset(s.handle) }
            while true {
                let rc = sqlite3_step(s.handle)
                if rc == SQLITE_DONE { return }
                guard rc == SQLITE_ROW else { throw StoreError(.database, "SQLite: \(String(cString: sqlite3_errmsg(db)))") }
                try row(s)
            }
        }
    }
}

extension RawStatement {
    /// Column `i` of the current row as text (nil for NULL).
    func text(_ i: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, i) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Column `i` of the current row as bytes.
    func bytes(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, i))
        guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
    }

    /// Column `i` of the current row as an integer.
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

    /// Whether column `i` of the current row is NULL.
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
}
