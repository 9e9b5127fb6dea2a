import Foundation
import GRDBSQLite
#if canImport(Glibc)
import Glibc
#endif

/// Moves the WAL into the database file in the background, off the commit path.
///
/// SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, stalling that commit (and every
/// request waiting on it) for tens of milliseconds. Akashi turns it off on its own connections and runs PASSIVE
/// checkpoints from this separate connection every `interval` on a thread of its own at a lower scheduling priority:
/// a passive checkpoint never blocks a writer, and copying often keeps each copy small, so appends keep their
/// one-fsync latency and the copying yields the cores to requests. (The writer's own checkpoint past
/// ``SQLiteStore/walRestartFrames`` then finds almost everything copied: it restarts the WAL in a millisecond or two.)
final class Checkpointer: @unchecked Sendable {
    private var db: OpaquePointer?
    private let condition = NSCondition()
    private var stopping = false
    private var stopped = false
    private let interval: Double

    init?(path: String, interval: Double = 0.05) {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            sqlite3_close(handle)
            return nil
        }
        sqlite3_busy_timeout(handle, 50)
        db = handle
        self.interval = interval
        // The thread holds the checkpointer until ``stop()``, which the store's deinit calls.
        let thread = Thread { self.loop() }
        thread.name = "akashi.sqlite.checkpoint"
        thread.start()
    }

    private func loop() {
        #if canImport(Glibc)
        // On Linux, nice values are per thread and `who` 0 names the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
        condition.lock()
        while !stopping {
            _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            if stopping { break }
            _ = checkpoint()
        }
        _ = checkpoint()
        sqlite3_close_v2(db)
        db = nil
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// One passive checkpoint. Returns the WAL's frames and how many of them are now in the database file, or `nil`
    /// when nothing could be checkpointed. Called with `condition` held.
    ///
    /// A connection learns that the database is in WAL mode only when it first reads it; until then a checkpoint
    /// call does nothing and reports -1 frames. This connection reads nothing else, so it reads the schema first:
    /// without that, every background checkpoint silently did nothing and the writer's own large-WAL checkpoint
    /// (35–85 ms, holding the commit) did all the work.
    private func checkpoint() -> (log: Int32, copied: Int32)? {
        guard let db else { return nil }
        var log: Int32 = -1
        var done: Int32 = -1
        for attempt in 0..<2 {
            if attempt == 1 {
                guard sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil) == SQLITE_OK else { return nil }
            }
            let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
            if rc == SQLITE_OK, log >= 0 { return (log, done) }
        }
        return nil
    }

    /// The WAL's state as one more passive checkpoint leaves it: for tests.
    func checkpointForTesting() -> (log: Int32, copied: Int32)? {
        condition.lock()
        defer { condition.unlock() }
        return checkpoint()
    }

    /// Stops the thread after one last checkpoint and closes its connection.
    func stop() {
        condition.lock()
        guard !stopped else { condition.unlock(); return }
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }
}
