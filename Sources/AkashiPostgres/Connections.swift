import AkashiStorage
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The store's PostgreSQL connections: two small pools, one for async code (the request path, the store's async
/// reads) and one for threads that block on a query's future (the import and audit pipelines' stages and the
/// store's synchronous writes; never an event loop: postgres-nio runs its I/O on its own event-loop threads, so a
/// blocked thread cannot starve it).
///
/// Two pools, not one: a thread blocked waiting for a free connection must never wait on a connection that an async
/// task holds, because that task may need the very cooperative thread the waiter is blocking to finish and give it
/// back (with two cooperative threads, two such waiters stopped every test that needed them for minutes).
final class Connections: @unchecked Sendable {
    let location: PostgresLocation
    let logger: Logger
    let maxConnections: Int
    private let blockingPool: ConnectionPool
    private let asyncPool: ConnectionPool

    init(location: PostgresLocation, maxConnections: Int, logger: Logger) {
        self.location = location
        self.logger = logger
        self.maxConnections = max(1, maxConnections)
        blockingPool = ConnectionPool(location: location, maxConnections: maxConnections, logger: logger)
        asyncPool = ConnectionPool(location: location, maxConnections: maxConnections, logger: logger)
    }

    /// A connection for an async caller; give it back with ``checkin(_:)``.
    func checkout() async throws -> PostgresConnection { try await asyncPool.checkout() }

    /// Gives back a connection from ``checkout()``.
    func checkin(_ c: PostgresConnection) { asyncPool.checkin(c) }

    /// Runs `body` on a connection, blocking (a thread that may block, never a task's).
    @discardableResult
    func blocking<T>(_ body: (BlockingSession) throws -> T) throws -> T { try blockingPool.blocking(body) }

    /// Runs `body` on a connection.
    @discardableResult
    func run<T: Sendable>(_ body: (AsyncSession) async throws -> T) async throws -> T { try await asyncPool.run(body) }

    /// Closes every idle connection (the store is going away).
    func closeAll() {
        blockingPool.closeAll()
        asyncPool.closeAll()
    }

    static func storeError(_ error: any Error, location: PostgresLocation, during what: String) -> StoreError {
        ConnectionPool.storeError(error, location: location, during: what)
    }
}

/// A small pool of PostgreSQL connections (see ``Connections``). A connection found closed when it comes back (the
/// server restarted, the network dropped) is discarded and a new one opened on the next checkout.
final class ConnectionPool: @unchecked Sendable {
    let location: PostgresLocation
    let logger: Logger
    let maxConnections: Int
    private let configuration: PostgresConnection.Configuration
    private let lock = NSCondition()
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var nextID = 0
    /// Async callers waiting for a connection: handed one, or a slot to open their own.
    private var waiting: [CheckedContinuation<Slot, Never>] = []

    init(location: PostgresLocation, maxConnections: Int, logger: Logger) {
        self.location = location
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
        var c = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                 password: location.password, database: location.database, tls: .disable)
        c.options.connectTimeout = .seconds(10)
        configuration = c
    }

    // MARK: Checkout

    enum Slot { case connection(PostgresConnection), open(Int), wait }

    private func take() -> Slot {
        while let c = idle.popLast() {
            if !c.isClosed { return .connection(c) }
            opened -= 1
        }
        if opened < maxConnections {
            opened += 1
            nextID += 1
            return .open(nextID)
        }
        return .wait
    }

    /// A connection for a blocking caller (a pipeline thread; never an event loop).
    func checkoutBlocking() throws -> PostgresConnection {
        lock.lock()
        while true {
            switch take() {
            case let .connection(c):
                lock.unlock()
                return c
            case let .open(id):
                lock.unlock()
                do {
                    return try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                          configuration: configuration, id: id, logger: logger).wait()
                } catch {
                    released()
                    throw Self.storeError(error, location: location, during: "connecting")
                }
            case .wait:
                lock.wait()
            }
        }
    }

    /// A connection for an async caller.
    func checkout() async throws -> PostgresConnection {
        while true {
            let slot: Slot = await withCheckedContinuation { c in slotOrWait(c) }
            switch slot {
            case let .connection(c):
                if !c.isClosed { return c }
                released()
            case let .open(id):
                do {
                    return try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                                configuration: configuration, id: id, logger: logger)
                } catch {
                    released()
                    throw Self.storeError(error, location: location, during: "connecting")
                }
            case .wait:
                continue
            }
        }
    }

    /// Resumes `c` at once with a connection or a slot, or queues it until ``checkin(_:)`` or ``released()``.
    private func slotOrWait(_ c: CheckedContinuation<Slot, Never>) {
        lock.lock()
        let slot = take()
        if case .wait = slot {
            waiting.append(c)
            lock.unlock()
        } else {
            lock.unlock()
            c.resume(returning: slot)
        }
    }

    /// Gives a connection back (a closed one is dropped).
    func checkin(_ c: PostgresConnection) {
        lock.lock()
        if c.isClosed {
            opened -= 1
            wakeOne()
            return
        }
        if !waiting.isEmpty {
            let w = waiting.removeFirst()
            lock.unlock()
            w.resume(returning: .connection(c))
            return
        }
        idle.append(c)
        lock.signal()
        lock.unlock()
    }

    /// A slot came free without a connection (a connect failed, or a broken one was dropped).
    private func released() {
        lock.lock()
        opened -= 1
        wakeOne()
    }

    /// With `lock` held and a slot free: gives the slot to one async waiter, or wakes a blocked one; unlocks.
    private func wakeOne() {
        if !waiting.isEmpty {
            let w = waiting.removeFirst()
            opened += 1
            nextID += 1
            let id = nextID
            lock.unlock()
            w.resume(returning: .open(id))
            return
        }
        lock.signal()
        lock.unlock()
    }

    /// Closes every idle connection (the store is going away).
    func closeAll() {
        lock.lock()
        let all = idle
        idle.removeAll()
        opened -= all.count
        lock.unlock()
        // Each connection is kept alive until its close completes (postgres-nio requires a connection to be closed
        // before it is released).
        for c in all {
            let closing: EventLoopFuture<Void> = c.close()
            closing.whenComplete { _ in withExtendedLifetime(c) {} }
        }
    }

    // MARK: Running

    /// Runs `body` on a connection, blocking.
    @discardableResult
    func blocking<T>(_ body: (BlockingSession) throws -> T) throws -> T {
        let c = try checkoutBlocking()
        defer { checkin(c) }
        return try body(BlockingSession(connection: c, logger: logger, location: location))
    }

    /// Runs `body` on a connection.
    @discardableResult
    func run<T: Sendable>(_ body: (AsyncSession) async throws -> T) async throws -> T {
        let c = try await checkout()
        do {
            let v = try await body(AsyncSession(connection: c, logger: logger, location: location))
            checkin(c)
            return v
        } catch {
            // A connection left inside a failed transaction is of no use to the next caller.
            _ = try? await c.query("ROLLBACK", logger: logger).get()
            checkin(c)
            throw error
        }
    }

    // MARK: Errors

    /// A driver error as a ``StoreError``: unreachable, refused credentials, or a statement the server refused (its
    /// SQLSTATE and message, never the query's bound values).
    static func storeError(_ error: any Error, location: PostgresLocation, during what: String) -> StoreError {
        if let e = error as? StoreError { return e }
        if let p = error as? PSQLError {
            if let info = p.serverInfo {
                let state = info[.sqlState] ?? ""
                let message = info[.message] ?? "no message"
                if state == "28P01" || state == "28000" {
                    return StoreError(.authentication, "PostgreSQL at \(location.host):\(location.port) refused user \(location.user): \(message)", cause: error)
                }
                if state == "3D000" {
                    return StoreError(.unreachable, "PostgreSQL at \(location.host):\(location.port) has no database \(location.database)", cause: error)
                }
                return StoreError(.database, "PostgreSQL \(what): \(message) (SQLSTATE \(state))", cause: error)
            }
            if p.code == .connectionError || p.code == .serverClosedConnection || p.code == .uncleanShutdown {
                return StoreError(.unreachable, "PostgreSQL at \(location.host):\(location.port) could not be reached (\(what))", cause: error)
            }
            return StoreError(.database, "PostgreSQL \(what): \(p.code)", cause: error)
        }
        if error is ChannelError || error is IOError || error is NIOConnectionError {
            return StoreError(.unreachable, "PostgreSQL at \(location.host):\(location.port) could not be reached", cause: error)
        }
        return StoreError(.database, "PostgreSQL \(what) failed", cause: error)
    }
}

/// One connection held by a blocking caller.
public struct BlockingSession {
    let connection: PostgresConnection
    let logger: Logger
    let location: PostgresLocation

    /// Every row of a query.
    func rows(_ q: PostgresQuery) throws -> [PostgresRow] {
        do { return try connection.query(q, logger: logger).wait().rows } catch {
            throw Connections.storeError(error, location: location, during: "query")
        }
    }

    /// Runs a statement; returns the rows it changed (0 when the server does not say).
    @discardableResult
    func execute(_ q: PostgresQuery) throws -> Int {
        do { return try connection.query(q, logger: logger).wait().metadata.rows ?? 0 } catch {
            throw Connections.storeError(error, location: location, during: "statement")
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let v = try body()
            try execute("COMMIT")
            return v
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }
}

/// One connection held by an async caller.
struct AsyncSession {
    let connection: PostgresConnection
    let logger: Logger
    let location: PostgresLocation

    /// Every row of a query.
    func rows(_ q: PostgresQuery) async throws -> [PostgresRow] {
        do { return try await connection.query(q, logger: logger).get().rows } catch {
            throw Connections.storeError(error, location: location, during: "query")
        }
    }

    /// Runs a statement; returns the rows it changed (0 when the server does not say).
    @discardableResult
    func execute(_ q: PostgresQuery) async throws -> Int {
        do { return try await connection.query(q, logger: logger).get().metadata.rows ?? 0 } catch {
            throw Connections.storeError(error, location: location, during: "statement")
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () async throws -> T) async throws -> T {
        try await execute("BEGIN")
        do {
            let v = try await body()
            try await execute("COMMIT")
            return v
        } catch {
            _ = try? await execute("ROLLBACK")
            throw error
        }
    }
}

extension ByteBuffer {
    /// The buffer's readable bytes.
    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}

extension Array where Element == UInt8 {
    /// The bytes as a buffer, to bind as `bytea`.
    var buffer: ByteBuffer { ByteBuffer(bytes: self) }
}
