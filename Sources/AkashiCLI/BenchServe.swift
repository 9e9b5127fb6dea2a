import AkashiCity
import AkashiDomain
import AkashiPostgres
import AkashiSQLite
import AkashiStorage
import AkashiWeb
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `akashi bench serve`: a constant-rate load over loopback keep-alive connections against an in-process server
/// with a temporary store: register views with the purpose check and a ledger append, and `/healthz` as the
/// baseline. Latency is measured from each request's scheduled time (no coordinated omission).
struct BenchServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load the workspace over loopback at a constant rate; print p50/p99 of register views and /healthz.")

    @Option(help: "Requests per second.")
    var rate: Int = 2000

    @Option(help: "Seconds per phase (bounded to 60).")
    var seconds: Double = 5

    @Option(help: "Keep-alive connections.")
    var connections: Int = 32

    @Option(name: .customLong("commit-linger-us"),
            help: "Microseconds a ledger commit waits for more events under load (default: the server's, 0 = never).")
    var commitLinger: Int?

    @Option(help: "A PostgreSQL server, postgres://USER@HOST:PORT/DB (password from PGPASSWORD): the bench's store is there, for a fresh municipality, instead of a temporary SQLite store.")
    var postgres: String?

    @Option(help: "Servers on the one store (each its own store connections, workspace and port); the load is spread over them.")
    var servers: Int = 1

    func validate() throws {
        guard (1...4).contains(servers) else { throw ValidationError("--servers must be 1…4") }
        if let postgres, !PostgresLocation.isPostgresURL(postgres) || postgres.contains("?") {
            throw ValidationError("--postgres: give postgres://USER@HOST:PORT/DB (no parameters: the bench picks a fresh municipality)")
        }
        guard (1...20000).contains(rate) else { throw ValidationError("--rate must be 1…20000") }
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be 1…256") }
        if let commitLinger, !(0...100_000).contains(commitLinger) {
            throw ValidationError("--commit-linger-us must be 0…100000")
        }
    }

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("akashi-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        print("preparing a small city in \(dir) …")
        _ = try CityGenerator(config: CityConfig(scale: 0.002, seed: 7, scenario: .osaka2014)).write(to: dir + "/city")
        let muni = "bench" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        // Each server opens the store itself, as a separate process would (its own connections and sequencer).
        let open: () throws -> any ServerStore = { [postgres] in
            if let postgres { return try PostgresStore(location: PostgresLocation.parse(postgres + "?municipality=" + muni)) }
            return try SQLiteStore(directory: dir + "/store")
        }
        let store = try open()
        print("store: \(postgres == nil ? "SQLite (temporary)" : "PostgreSQL, municipality \(muni)"); \(servers) server(s)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/city").filter { $0.hasSuffix(".jsonl") }
            .sorted().map { dir + "/city/" + $0 }
        _ = try await ImportRunner.run(files: files, store: store, quiet: true)
        let today = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).jstDate
        guard let clerk = try await store.staffMembers(office: nil, role: .clerk).first(where: {
            $0.assignment(on: today)?.duty == Assignment.registerDuty
        }) else { throw ValidationError("no clerk on duty in the bench city") }
        let password = "bench-" + Tokens.newToken()
        try await store.setPasswordHash(staff: clerk.id, hash: try PasswordHasher.hash(password, logN: 12))
        guard let register = try await store.searchRegisters(RegisterQuery(honseki: "大阪市"), limit: 1).first else {
            throw ValidationError("no register in the bench city")
        }

        var logger = Logger(label: "akashi.bench")
        logger.logLevel = .warning
        var ports: [Int] = []
        var committers: [GroupCommitter] = []
        var services: [any Service] = []
        for k in 0..<servers {
            var config = WebConfiguration()
            config.port = Self.freePort()
            if let commitLinger { config.commitLingerMicroseconds = commitLinger }
            // The bench measures the workspace alone: no background audit pass during the phases.
            config.auditIntervalSeconds = 0
            let workspace = try await Workspace(store: k == 0 ? store : try open(), config: config, logger: logger)
            services.append(try await WebApp.application(workspace: workspace, signer: nil, logger: logger))
            ports.append(config.port)
            committers.append(workspace.committer)
        }
        // A service group, so the servers are stopped by a graceful shutdown (connections closed, no task cancelled)
        // and nothing is logged as an error at the end of the bench.
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
        let server = Task { try await group.run() }
        do {
            try await measure(ports: ports, store: store, clerk: clerk.id, password: password, register: register,
                              committers: committers)
        } catch {
            await group.triggerGracefulShutdown()
            try? await server.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await server.value
        print("peak memory of the bench process (servers, store clients, load generator): \(String(format: "%.0f", peakRSSMiB())) MiB")
    }

    /// Signs in, opens a case, then runs the `/healthz` and register-view phases against the running server.
    func measure(ports: [Int], store: any ServerStore, clerk: String, password: String, register: Register,
                  committers: [GroupCommitter]) async throws {
        let port = ports[0]
        // Wait for the server.
        var up = false
        for _ in 0..<100 {
            if let c = try? HTTPConnection(port: port), (try? c.request("GET", "/healthz"))?.status == 200 { up = true; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard up else { throw ValidationError("the server did not start") }

        let c = try HTTPConnection(port: port)
        let login = try c.request("POST", "/api/v1/login", body: "{\"staff\":\"\(clerk)\",\"password\":\"\(password)\"}")
        guard login.status == 200, let obj = try JSONSerialization.jsonObject(with: login.body) as? [String: Any],
              let token = obj["token"] as? String else { throw ValidationError("bench sign-in failed (\(login.status))") }
        let auth = ["Authorization": "Bearer " + token]
        _ = try c.request("POST", "/api/v1/banner/acknowledge", headers: auth)
        let caseBody = "{\"kind\":\"certificate.full\",\"requester\":\"self\",\"requesterName\":\"ベンチ\",\"registers\":[\"\(register.id)\"]}"
        let made = try c.request("POST", "/api/v1/cases", headers: auth, body: caseBody)
        guard made.status == 201, let cobj = try JSONSerialization.jsonObject(with: made.body) as? [String: Any],
              let caseID = cobj["id"] as? String else { throw ValidationError("bench case intake failed (\(made.status))") }
        let viewPath = "/api/v1/registers/\(register.id)?record=\(register.kind.rawValue)&case=\(caseID)"
        let check = try c.request("GET", viewPath, headers: auth)
        guard check.status == 200 else { throw ValidationError("register view failed (\(check.status))") }

        for p in ports.dropFirst() {
            var up = false
            for _ in 0..<100 {
                if let c = try? HTTPConnection(port: p), (try? c.request("GET", "/healthz"))?.status == 200 { up = true; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            guard up else { throw ValidationError("server \(p) did not start") }
        }
        print("rate \(rate)/s for \(seconds) s per phase over \(connections) keep-alive connections, 127.0.0.1:\(ports.map(String.init).joined(separator: ",")); "
              + "commit linger \(Int(committers[0].linger / .microseconds(1))) µs")
        let base = try await Self.offPool(ports: ports, path: "/healthz", headers: [:], rate: rate, seconds: seconds,
                                  connections: connections)
        print(base.line("baseline GET /healthz"))
        let before = try await store.ledgerSize()
        let batchesBefore = committers.map(\.batches).reduce(0, +)
        let view = try await Self.offPool(ports: ports, path: viewPath, headers: auth, rate: rate, seconds: seconds,
                                  connections: connections)
        print(view.line("register view (purpose check + ledger append)"))
        let appended = try await store.ledgerSize() - before
        let batches = committers.map(\.batches).reduce(0, +) - batchesBefore
        print("ledger entries appended during the view phase: \(appended) in \(batches) commits"
              + (batches > 0 ? String(format: " (%.2f a commit)", Double(appended) / Double(batches)) : ""))
        print(view.p99 < 5 ? "goal met: register view p99 < 5 ms" : "goal missed: register view p99 ≥ 5 ms")
    }

    /// Runs a phase on its own thread so that the server keeps every cooperative thread.
    static func offPool(ports: [Int], path: String, headers: [String: String], rate: Int, seconds: Double,
                        connections: Int) async throws -> PhaseResult {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<PhaseResult, any Error>) in
            Thread {
                c.resume(with: Result {
                    let cpu0 = cpuSeconds()
                    let ticks0 = CPUTicks.read()
                    var r = try phase(ports: ports, path: path, headers: headers, rate: rate, seconds: seconds, connections: connections)
                    r.cpu = cpuSeconds() - cpu0
                    if let a = ticks0, let b = CPUTicks.read() { r.steal = a.stealPercent(until: b) }
                    return r
                })
            }.start()
        }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    struct PhaseResult {
        var latencies: [Double]
        var errors: Int
        var elapsed: Double
        /// Process CPU time (user + system, every thread: server, SQLite, load generator) over the phase.
        var cpu: Double = 0
        /// CPU time of the load generator's own threads.
        var generatorCPU: Double = 0
        /// The share of the machine's CPU time its host took away during the phase (per cent; nil off Linux).
        var steal: Double?
        var p50: Double { percentile(0.50) }
        var p99: Double { percentile(0.99) }
        func percentile(_ q: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            return latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]
        }
        func line(_ name: String) -> String {
            String(format: "%@: %d requests, %d errors, %.0f req/s achieved, p50 %.2f ms, p99 %.2f ms, max %.2f ms; CPU a request: %.0f µs in all, %.0f µs of it the load generator's; CPU stolen by the VM's host: %@",
                   name, latencies.count, errors, Double(latencies.count) / elapsed, p50, p99, latencies.last ?? .nan,
                   cpu / Double(max(1, latencies.count + errors)) * 1e6,
                   generatorCPU / Double(max(1, latencies.count + errors)) * 1e6,
                   steal.map { String(format: "%.1f %%", $0) } ?? "unknown")
        }
    }

    /// Open-loop constant rate: request k is due at start + k/rate on connection k mod connections.
    /// Connection k goes to server k mod servers.
    static func phase(ports: [Int], path: String, headers: [String: String], rate: Int, seconds: Double,
                      connections: Int) throws -> PhaseResult {
        let total = Int(Double(rate) * seconds)
        let conns = try (0..<connections).map { k in try HTTPConnection(port: ports[k % ports.count]) }
        let collector = Collector()
        let start = DispatchTime.now().uptimeNanoseconds + 50_000_000
        let interval = 1e9 / Double(rate)
        let done = DispatchGroup()
        for ci in 0..<connections {
            done.enter()
            let conn = conns[ci]
            let thread = Thread {
                let cpu0 = threadCPUSeconds()
                var mine: [Double] = []
                var bad = 0
                var k = ci
                while k < total {
                    let due = start + UInt64(Double(k) * interval)
                    let now = DispatchTime.now().uptimeNanoseconds
                    if due > now { usleep(UInt32((due - now) / 1000)) }
                    if let r = try? conn.request("GET", path, headers: headers), r.status == 200 {
                        mine.append(Double(DispatchTime.now().uptimeNanoseconds - due) / 1e6)
                    } else {
                        bad += 1
                    }
                    k += connections
                }
                collector.add(mine, bad, cpu: threadCPUSeconds() - cpu0)
                done.leave()
            }
            thread.start()
        }
        done.wait()
        let (latencies, errors) = collector.result
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var result = PhaseResult(latencies: latencies.sorted(), errors: errors, elapsed: elapsed)
        result.generatorCPU = collector.cpu
        return result
    }
}

/// CPU seconds (user + system) of the calling thread.
func threadCPUSeconds() -> Double {
    var u = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(1), &u)  // RUSAGE_THREAD
    #else
    getrusage(RUSAGE_SELF, &u)
    #endif
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

/// Latencies gathered from the load threads.
final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Double] = []
    private var errors = 0
    private var threadCPU = 0.0

    func add(_ l: [Double], _ e: Int, cpu: Double) {
        lock.lock()
        latencies += l
        errors += e
        threadCPU += cpu
        lock.unlock()
    }

    /// CPU seconds the load threads used.
    var cpu: Double {
        lock.lock()
        defer { lock.unlock() }
        return threadCPU
    }

    var result: ([Double], Int) {
        lock.lock()
        defer { lock.unlock() }
        return (latencies, errors)
    }
}

/// A minimal blocking HTTP/1.1 keep-alive client for the benchmark (127.0.0.1 only).
final class HTTPConnection: @unchecked Sendable {
    let fd: Int32
    var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw ValidationError("cannot connect to 127.0.0.1:\(port)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    struct Reply {
        var status: Int
        var body: Data
    }

    /// The bytes of the last request sent: a phase sends the same one again and again.
    private var lastRequest: (key: String, bytes: [UInt8])?
    /// The receive buffer, allocated once (a fresh zeroed 64 KiB array per `recv` cost more than the parsing).
    private var chunk = [UInt8](repeating: 0, count: 65536)

    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) throws -> Reply {
        let key = method + " " + path + "\n" + headers.sorted(by: { $0.key < $1.key }).map { $0.key + ":" + $0.value }
            .joined(separator: "\n") + "\n" + (body ?? "")
        let bytes: [UInt8]
        if let last = lastRequest, last.key == key {
            bytes = last.bytes
        } else {
            var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            for (k, v) in headers.sorted(by: { $0.key < $1.key }) { text += "\(k): \(v)\r\n" }
            if let body {
                text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            } else {
                text += "\r\n"
            }
            bytes = Array(text.utf8)
            lastRequest = (key, bytes)
        }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw ValidationError("send failed") }
            sent += n
        }
        // Headers: up to the blank line, parsed as bytes.
        var headerEnd: Int?
        var scanned = 0
        while headerEnd == nil {
            headerEnd = Self.headerEnd(buffer, from: scanned)
            if headerEnd == nil {
                scanned = max(0, buffer.count - 3)
                try fill()
            }
        }
        let head = headerEnd!
        // "HTTP/1.1 200 …"
        var status = 0
        if head >= 12 {
            for i in 9..<12 { status = status * 10 + Int(buffer[i]) - 48 }
        }
        let length = Self.contentLength(buffer, upTo: head)
        let start = head + 4
        while buffer.count < start + length { try fill() }
        let bodyBytes = Data(buffer[start..<(start + length)])
        buffer.removeFirst(start + length)
        return Reply(status: status, body: bodyBytes)
    }

    /// The offset of the first CR LF CR LF at or after `from`.
    private static func headerEnd(_ b: [UInt8], from: Int) -> Int? {
        guard b.count >= 4 else { return nil }
        return b.withUnsafeBufferPointer { p -> Int? in
            var i = from
            while i + 3 < p.count {
                if p[i] == 13, p[i + 1] == 10, p[i + 2] == 13, p[i + 3] == 10 { return i }
                i += 1
            }
            return nil
        }
    }

    /// The Content-Length header's value among the header bytes `b[0..<end]` (0 when there is none).
    private static func contentLength(_ b: [UInt8], upTo end: Int) -> Int {
        let name = Array("content-length:".utf8)
        return b.withUnsafeBufferPointer { p -> Int in
            var line = 0
            while line < end {
                var next = line
                while next < end, p[next] != 10 { next += 1 }
                if next - line > name.count {
                    var match = true
                    for k in 0..<name.count where p[line + k] | 0x20 != name[k] | 0x20 { match = false; break }
                    if match {
                        var v = 0
                        for i in (line + name.count)..<next where p[i] >= 48 && p[i] <= 57 { v = v * 10 + Int(p[i]) - 48 }
                        return v
                    }
                }
                line = next + 1
            }
            return 0
        }
    }

    private func fill() throws {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw ValidationError("connection closed") }
        buffer.append(contentsOf: chunk[0..<n])
    }
}
