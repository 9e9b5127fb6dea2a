import Dispatch
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

    private let queue = DispatchQueue(label: "akashi.store", attributes: .concurrent)

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
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
