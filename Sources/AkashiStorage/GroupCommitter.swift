import AkashiDomain
import AkashiInterchange
import Dispatch
import Foundation

/// Group commit for events made one at a time (the clerk workspace, the console): callers await their
/// event's durable append, and events that arrive together share one transaction and one fsync.
///
/// Bounded like Tessera's batching: a batch is cut at ``maxBatch`` events or when the previous commit
/// finishes, whichever comes first, so latency stays at about one fsync under load and throughput grows
/// with concurrency. Runs its commits on a dedicated thread, never on the caller's.
///
/// With a ``linger`` set (it is off by default) and commits running back to back (the previous one ended less than
/// ``busyWindow`` ago), a commit first waits up to ``linger`` for more events, like PostgreSQL's `commit_delay`:
/// under load a commit of one event costs about what a commit of several does (the same pages, one fsync), so fewer,
/// larger commits save CPU that the requests queue for. An event that arrives when the log has been idle is committed at once.
public final class GroupCommitter: @unchecked Sendable {
    /// One event waiting to be appended.
    public enum Pending: Sendable {
        case access(AccessEvent)
        case journal(JournalEvent)
    }

    public let store: any AkashiStore
    /// Most events in one transaction.
    public let maxBatch: Int
    /// Longest wait for more events before a commit while commits run back to back.
    public let linger: Duration
    /// A commit that starts within this time of the previous one's end lingers.
    public let busyWindow: Duration

    /// Guards the queue, the state and the counters; signalled when the queue reaches ``maxBatch``.
    private let lock = NSCondition()
    private var queue: [(Pending, CheckedContinuation<UInt64, any Error>)] = []
    private var running = false
    private var lastCommitEnd: ContinuousClock.Instant?
    private var batchCount = 0
    private var lingerCount = 0
    private let worker = DispatchQueue(label: "akashi.ledger.group-commit")

    public init(store: any AkashiStore, maxBatch: Int = 256, linger: Duration = .zero,
                busyWindow: Duration = .milliseconds(2)) {
        self.store = store
        self.maxBatch = maxBatch
        self.linger = linger
        self.busyWindow = busyWindow
    }

    /// Batches committed so far (each one transaction per kind of event, one fsync).
    public var batches: Int {
        lock.lock()
        defer { lock.unlock() }
        return batchCount
    }

    /// Batches that waited for more events before committing.
    public var lingeredBatches: Int {
        lock.lock()
        defer { lock.unlock() }
        return lingerCount
    }

    /// Appends one access event; returns its ledger index once durable.
    public func append(_ event: AccessEvent) async throws -> UInt64 { try await submit(.access(event)) }

    /// Appends one journal event; returns its ledger index once durable.
    public func append(_ event: JournalEvent) async throws -> UInt64 { try await submit(.journal(event)) }

    private func submit(_ p: Pending) async throws -> UInt64 {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<UInt64, any Error>) in
            lock.lock()
            queue.append((p, c))
            if queue.count >= maxBatch { lock.signal() }
            let start = !running
            running = true
            lock.unlock()
            if start { worker.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            lock.lock()
            if queue.isEmpty {
                running = false
                lock.unlock()
                return
            }
            if linger > .zero, queue.count < maxBatch, let last = lastCommitEnd, last.duration(to: .now) < busyWindow {
                lingerCount += 1
                let deadline = Date(timeIntervalSinceNow: linger / .seconds(1))
                while queue.count < maxBatch, lock.wait(until: deadline) {}
            }
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            lock.unlock()
            commit(batch)
        }
    }

    private func commit(_ batch: [(Pending, CheckedContinuation<UInt64, any Error>)]) {
        // Access events and journal events go in two transactions when mixed; each caller gets its own index.
        var accessItems: [(Int, IngestItem)] = []
        var journal: [(Int, JournalEvent)] = []
        for (k, (p, _)) in batch.enumerated() {
            switch p {
            case let .access(a):
                let r = Record.access(a)
                accessItems.append((k, IngestItem(record: r, canonical: r.canonicalJSON, raw: [], file: "workspace", line: 0)))
            case let .journal(j): journal.append((k, j))
            }
        }
        var results = [Result<UInt64, any Error>](repeating: .failure(StoreCommitError.notCommitted), count: batch.count)
        if !accessItems.isEmpty {
            do {
                let items = accessItems.map(\.1)
                let outcomes = try StoreThreads.wait { [store] in try await store.ingest(items) }
                for ((k, item), o) in zip(accessItems, outcomes) {
                    if case let .inserted(.some(index)) = o {
                        results[k] = .success(index)
                    } else {
                        results[k] = .failure(StoreCommitError.duplicateID(item.record.key))
                    }
                }
            } catch {
                for (k, _) in accessItems { results[k] = .failure(error) }
            }
        }
        if !journal.isEmpty {
            do {
                let events = journal.map(\.1)
                let indexes = try StoreThreads.wait { [store] in try await store.appendJournal(events) }
                for ((k, _), i) in zip(journal, indexes) { results[k] = .success(i) }
            } catch {
                for (k, _) in journal { results[k] = .failure(error) }
            }
        }
        // Counted before anyone resumes, so a caller that has its index sees its batch counted.
        lock.lock()
        lastCommitEnd = .now
        batchCount += 1
        lock.unlock()
        for ((_, c), r) in zip(batch, results) { c.resume(with: r) }
    }
}

/// Why an event was not appended.
public enum StoreCommitError: Error, CustomStringConvertible, Sendable {
    case notCommitted
    case duplicateID(String)

    public var description: String {
        switch self {
        case .notCommitted: "the event was not committed"
        case let .duplicateID(id): "an event with ID \(id) is already in the ledger"
        }
    }
}
