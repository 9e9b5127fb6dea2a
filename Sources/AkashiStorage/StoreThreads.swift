import Foundation

/// Where store work runs when it must not run on Swift's cooperative threads: the stages of the import and audit
/// pipelines (threads of their own, which wait for each batch), the group committer, and request handlers that hand a
/// long store call off (``StoreThreads/run(_:)``).
///
/// The store protocols are `async` so that a network store (PostgreSQL) can serve them without blocking a thread. The
/// embedded SQLite store answers them synchronously: its work runs on whichever executor calls it. A task that prefers
/// this executor runs such work on threads of its own, so a long SQLite batch never occupies one of the few
/// cooperative threads a server's requests share (two on a two-core machine).
public final class StoreThreads: TaskExecutor, @unchecked Sendable {
    /// The one executor for store work.
    public static let shared = StoreThreads()

    /// Threads of its own, not a dispatch queue: on Linux a concurrent dispatch queue runs at most as many jobs at
    /// once as there are cores, even when they all block. A job here waits on the database (a PostgreSQL commit
    /// waiting for the ledger lock another server holds), so with two cores two such jobs held every store call of
    /// the process behind them (two servers in one process: p99 up to 356 ms at 1,000 views/s against 57–116 ms for
    /// the blocking store before it). Here a job always finds a free thread: an idle one, or a new one up to
    /// `maxThreads`; a thread idle for `idleSeconds` ends.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var idle = 0
    private var threads = 0
    let maxThreads: Int
    let idleSeconds: Double

    init(maxThreads: Int = 64, idleSeconds: Double = 10) {
        self.maxThreads = maxThreads
        self.idleSeconds = idleSeconds
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let waiting = jobs.count - head
        if waiting > idle && threads < maxThreads {
            threads += 1
            condition.unlock()
            let t = Thread { [self] in work() }
            t.name = "akashi.store"
            t.start()
            return
        }
        condition.signal()
        condition.unlock()
    }

    /// A thread's loop: the next job, else wait; ends after `idleSeconds` with nothing to do.
    private func work() {
        let executor = asUnownedTaskExecutor()
        condition.lock()
        while true {
            while head == jobs.count {
                idle += 1
                let woken = condition.wait(until: Date(timeIntervalSinceNow: idleSeconds))
                idle -= 1
                if !woken && head == jobs.count {
                    threads -= 1
                    condition.unlock()
                    return
                }
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
            condition.lock()
        }
    }

    /// Runs async store work from a thread that may block (a pipeline stage, the group committer), and waits for it.
    /// The work runs on the calling thread itself (``CallingThread``): the embedded store's synchronous answers run
    /// where they always did, and a network store's replies resume here, so no other thread is taken. Never call it
    /// from async code: a cooperative thread must not wait.
    public static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let thread = CallingThread()
        let box = ResultBox<T>()
        Task(executorPreference: thread) {
            box.result = await Result(catching: { try await body() })
            thread.finish()
        }
        thread.runUntilFinished()
        return try box.result!.get()
    }

    /// Runs async store work on this executor's threads and awaits it: from a request handler, for a store call that
    /// may run long on the embedded store (a disclosure's event read, a journal append).
    public static func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(shared) { try await body() }
    }
}

/// A task executor that is one waiting thread: jobs enqueued from anywhere are run by that thread, in order, until
/// the work it waits for has finished (``StoreThreads/wait(_:)``).
final class CallingThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Called by the last job: the waiting thread stops once no job is left.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    func runUntilFinished() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}

/// The result of a ``StoreThreads/wait(_:)`` body, written by the task before it signals and read after the wait.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

extension Result where Failure == any Error {
    /// The value of an async throwing body, or its error.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
