import Dispatch
import Foundation
import GRDBSQLite

/// Moves the WAL into the database file in the background, off the commit path.
///
/// SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, stalling that commit (and every
/// request waiting on it) for tens of milliseconds. Akashi turns it off on its own connections and runs PASSIVE
/// checkpoints from this separate connection every `interval`: a passive checkpoint never blocks a writer, so
/// appends keep their one-fsync latency.
final class Checkpointer: @unchecked Sendable {
    private var db: OpaquePointer?
    private let timer: any DispatchSourceTimer
    private let queue = DispatchQueue(label: "akashi.sqlite.checkpoint")

    init?(path: String, interval: Double = 0.5) {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            sqlite3_close(handle)
            return nil
        }
        sqlite3_busy_timeout(handle, 50)
        db = handle
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.checkpoint() }
        timer.resume()
    }

    /// One passive checkpoint (also called once more before closing).
    func checkpoint() {
        guard let db else { return }
        var log: Int32 = 0
        var done: Int32 = 0
        _ = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
    }

    deinit {
        timer.cancel()
        queue.sync {
            checkpoint()
            sqlite3_close_v2(db)
            db = nil
        }
    }
}
