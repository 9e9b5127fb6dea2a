import AkashiAudit
import AkashiDomain
import AkashiInterchange
import AkashiLedger
import Foundation

// MARK: - What a finding store keeps

/// One audited access as a store keeps it: the engine's verdict and the access's ledger index.
public struct StoredFinding: Sendable, Hashable {
    /// The ledger index of the access event.
    public var seq: UInt64
    public var finding: AccessFinding

    public init(seq: UInt64, finding: AccessFinding) {
        self.seq = seq
        self.finding = finding
    }
}

/// Where the incremental audit stands: the engine's running state and what it has seen.
public struct AuditCheckpoint: Sendable, Hashable {
    /// The newest ledger index of an access event audited (`nil` before any).
    public var lastSeq: UInt64?
    /// The arrival row of the newest case the audit has taken into account (0 before any).
    public var lastCaseRow: Int64
    public var state: AuditState

    public init(lastSeq: UInt64?, lastCaseRow: Int64, state: AuditState) {
        self.lastSeq = lastSeq
        self.lastCaseRow = lastCaseRow
        self.state = state
    }
}

/// Which stored findings to read.
public struct FindingFilter: Sendable, Hashable {
    public enum Order: Sendable, Hashable {
        /// Oldest first (then ledger order).
        case time
        /// Highest score first (the worklist), then oldest first.
        case score
        /// Newest first (then ledger order, last first): a timeline that starts from today.
        case newest
    }

    public var staff: String?
    public var person: String?
    public var register: String?
    public var office: String?
    /// Accesses at or after this instant.
    public var from: Timestamp?
    /// Accesses before this instant.
    public var to: Timestamp?
    public var flaggedOnly: Bool
    public var order: Order
    public var limit: Int?
    public var offset: Int

    public init(staff: String? = nil, person: String? = nil, register: String? = nil, office: String? = nil,
                from: Timestamp? = nil, to: Timestamp? = nil, flaggedOnly: Bool = false, order: Order = .time,
                limit: Int? = nil, offset: Int = 0) {
        self.staff = staff
        self.person = person
        self.register = register
        self.office = office
        self.from = from
        self.to = to
        self.flaggedOnly = flaggedOnly
        self.order = order
        self.limit = limit
        self.offset = offset
    }
}

/// Totals over the stored findings.
public struct FindingCounts: Sendable, Hashable, Codable {
    public var total = 0
    public var explained = 0
    public var flagged = 0
    public init() {}
}

/// A stored ledger entry that cannot be read back as what it is filed as (a damaged or tampered store).
public struct StoredEntryError: Error, CustomStringConvertible, Sendable {
    public var seq: UInt64
    public var message: String
    public init(seq: UInt64, _ message: String) {
        self.seq = seq
        self.message = message
    }
    public var description: String { "ledger entry \(seq): \(message)" }

    /// The access event a stored access entry holds. One that does not read back as an access is an error naming its
    /// ledger index, never skipped: a skipped access would be missing from the audit, a disclosure report, a notice
    /// or an alert without anyone being told.
    public static func access(seq: UInt64, entry: [UInt8]) throws -> AccessEvent {
        let decoded: DecodedLine
        do {
            decoded = try RecordDecoder.decodeStored(line: entry)
        } catch {
            throw StoredEntryError(seq: seq, "the stored access entry does not decode (\(error)); run `akashi ledger verify`")
        }
        guard case let .record(.access(e), _) = decoded else {
            throw StoredEntryError(seq: seq, "the stored entry is filed as an access but is not one")
        }
        return e
    }
}

/// A case with its arrival row (the order cases reached the store).
public struct ArrivedCase: Sendable {
    public var row: Int64
    public var doc: [UInt8]
    public init(row: Int64, doc: [UInt8]) {
        self.row = row
        self.doc = doc
    }
}

/// Where the audit keeps its findings and its running state; it reads the events through ``EventLogReader``. The
/// embedded SQLite store implements it (`SQLiteStore+Audit.swift`).
public protocol FindingStore: AnyObject, Sendable {
    // MARK: What to audit
    /// The saved checkpoint, or `nil` before the first audit.
    func auditCheckpoint() async throws -> AuditCheckpoint?
    /// Saves the checkpoint (replacing the previous one).
    func saveAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws
    /// The arrival row of the newest case (0 when there is none).
    func latestCaseRow() async throws -> Int64
    /// Cases whose arrival row is > `row`, in arrival order.
    func casesArrived(after row: Int64) async throws -> [ArrivedCase]

    // MARK: Findings
    /// Inserts or replaces findings (by access ID) in one transaction. A finding that becomes flagged is marked as
    /// not yet journaled; one that stays flagged keeps its journal mark.
    func saveFindings(_ findings: [StoredFinding]) async throws
    /// Saves the findings of accesses audited for the first time (a batch of new events, and revisions of earlier
    /// ones), like ``saveFindings(_:)``. A store may keep the plainly explained ones
    /// (``AccessFinding/isPlainlyExplained``) compactly, as long as every read returns them as saved.
    func saveSweepFindings(_ findings: [StoredFinding]) async throws
    /// Flagged findings not yet written to the ledger, in ledger order of their accesses.
    func unjournaledFindings(limit: Int) async throws -> [StoredFinding]
    /// Marks findings as written to the ledger.
    func markJournaled(_ accessIDs: [String]) async throws
    /// Findings by access ID (missing IDs are skipped), in ledger order.
    func findings(accessIDs: [String]) async throws -> [StoredFinding]
    /// Streams the findings matching a filter in its order.
    func forEachFinding(_ filter: FindingFilter, _ body: (StoredFinding) throws -> Void) async throws
    /// Per-staff summaries over the findings in `[from, to)` (unsorted; `subjects` is left empty and
    /// ``StaffSummary/subjectCount`` holds the number of distinct persons or registers touched).
    func staffSummaries(from: Timestamp?, to: Timestamp?, topK: Int) async throws -> [StaffSummary]
    /// Totals.
    func findingCounts() async throws -> FindingCounts
    /// Forgets every finding and the checkpoint (the next run is a full sweep). Journal entries stay in the ledger.
    func resetAudit() async throws
}

extension AccessFinding {
    /// Strongly explained, with no reason, score 0 and not flagged: what most accesses are, and all a store needs to
    /// keep of them is the explanation (rule and case) besides the access itself.
    public var isPlainlyExplained: Bool {
        explained && !flagged && score == 0 && reasons.isEmpty && explanation?.strength == .strong
    }
}

// MARK: - The service

/// What one ``AuditService/run(progress:)`` did.
public struct AuditRunSummary: Sendable, Hashable, Codable {
    /// Whether there was no checkpoint (every access was audited).
    public var fullSweep = false
    /// New access events audited.
    public var audited = 0
    /// Cases that arrived since the last run.
    public var newCases = 0
    /// Earlier accesses re-audited because of those cases.
    public var reaudited = 0
    /// Findings that changed on re-audit.
    public var changed = 0
    /// Accesses flagged in this run that were not flagged before.
    public var newlyFlagged = 0
    /// Journal entries (`audit.finding`) appended to the ledger.
    public var journaled = 0
    /// Totals over the stored findings after the run.
    public var counts = FindingCounts()
    /// Seconds spent loading the reference data into the context.
    public var contextSeconds = 0.0
    /// Seconds spent auditing and storing (context excluded).
    public var auditSeconds = 0.0
    /// Of the sweep over new accesses (step 2, a pipeline), seconds each stage was busy: reading and decoding the
    /// events (wall time, the decoding split over the cores), the engine, saving findings and journaling.
    public var decodeSeconds = 0.0
    public var engineSeconds = 0.0
    public var saveSeconds = 0.0
    public var seconds = 0.0

    public init() {}
}

/// Runs the audit engine over a store: loads the reference data, audits the accesses the last run has not seen
/// (in time order, bounded memory), re-audits earlier accesses that newly arrived cases may explain, saves findings
/// and the engine's state, and writes every newly flagged access to the ledger (`audit.finding`), so that no one can
/// drop a finding silently. Also the read side the console and the disclosure report use.
public struct AuditService: Sendable {
    public let store: any AkashiStore & FindingStore
    public var config: AuditConfig
    /// Access events read, audited and stored per batch (the memory bound of a sweep).
    public var batchSize = 100_000
    /// Journal entries per ledger transaction.
    public var journalBatch = 2_000
    /// Saves the engine state every this many events during a long sweep (and always at the end).
    public var checkpointEvery = 2_000_000
    /// The time stamped on journal entries.
    public var clock: @Sendable () -> Timestamp = {
        Timestamp(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    public init(store: any AkashiStore & FindingStore, config: AuditConfig = AuditConfig()) {
        self.store = store
        self.config = config
    }

    // MARK: Running

    /// Loads the reference data (offices, staff, registers, persons, protections, cases) into an ``AuditContext``.
    public func loadContext() async throws -> AuditContext {
        var offices: [Office] = [], staff: [Staff] = [], registers: [Register] = [], persons: [Person] = []
        var protections: [Protection] = [], cases: [Case] = []
        func add(_ r: Record) {
            switch r {
            case let .office(x): offices.append(x)
            case let .staff(x): staff.append(x)
            case let .register(x): registers.append(x)
            case let .person(x): persons.append(x)
            case let .protection(x): protections.append(x)
            case let .case(x): cases.append(x)
            default: break
            }
        }
        // Decoded in chunks, each split over the cores, in the store's order.
        var chunk: [[UInt8]] = []
        func flush() throws {
            for r in try Self.decodeRecords(chunk) { add(r) }
            chunk.removeAll(keepingCapacity: true)
        }
        for type in [RecordType.office, .staff, .register, .person, .protection, .case] {
            try await store.forEachRecord(type) { bytes in
                chunk.append(bytes)
                if chunk.count >= 32_768 { try flush() }
            }
            try flush()
        }
        return AuditContext(offices: offices, staff: staff, registers: registers, persons: persons,
                            protections: protections, cases: cases, config: config)
    }

    /// What the audit has learned about this site so far (``SiteCalibration``): for the site and each office, each
    /// calibrated reason's rate among explained work and the weight it gets here. Run the audit first to bring it
    /// up to date; before any run it is the defaults.
    public func calibrationTable() async throws -> [CalibrationRow] {
        try await calibration().reasons
    }

    /// What the audit has learned about this site so far: the reasons' weights (``calibrationTable()``) and the
    /// filing windows (``FilingLags``).
    public func calibration() async throws -> (reasons: [CalibrationRow], windows: [FilingWindowRow]) {
        let context = try await loadContext()
        let engine = try await store.auditCheckpoint().map { AuditEngine(context: context, config: config, state: $0.state) }
            ?? AuditEngine(context: context, config: config)
        return (engine.calibrationTable(), engine.filingWindowTable())
    }

    /// Audits what is new since the last run and returns what it did. The first run is a full sweep. The work runs
    /// on threads of its own (``runBlocking(progress:)``), never on the caller's executor.
    @discardableResult
    public func run(progress: (@Sendable (String) -> Void)? = nil) async throws -> AuditRunSummary {
        let service = self
        return try await withCheckedThrowingContinuation { c in
            let thread = Thread { c.resume(with: Result { try service.runBlocking(progress: progress) }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// ``run(progress:)`` on the calling thread, which waits for the store (a thread that may block: never a
    /// task's).
    @discardableResult
    public func runBlocking(progress: ((String) -> Void)? = nil) throws -> AuditRunSummary {
        let store = self.store
        let t0 = Self.seconds()
        var summary = AuditRunSummary()
        let saved = try StoreThreads.wait { try await store.auditCheckpoint() }
        summary.fullSweep = saved?.lastSeq == nil
        // Read the case high-water mark before the cases themselves: a case arriving meanwhile is re-checked next time.
        let caseRow = try StoreThreads.wait { try await store.latestCaseRow() }
        let service = self
        let context = try StoreThreads.wait { try await service.loadContext() }
        summary.contextSeconds = Self.seconds() - t0
        let t1 = Self.seconds()
        let engine = saved.map { AuditEngine(context: context, config: config, state: $0.state) }
            ?? AuditEngine(context: context, config: config)
        var lastSeq = saved?.lastSeq

        // 1. Cases that arrived since the last run may explain accesses already audited.
        if let saved, let upTo = saved.lastSeq, caseRow > saved.lastCaseRow {
            let arrived = try StoreThreads.wait { try await store.casesArrived(after: saved.lastCaseRow) }
            summary.newCases = arrived.count
            try reaudit(arrived, upTo: upTo, engine: engine, summary: &summary)
            progress?("re-audited \(summary.reaudited) earlier accesses for \(arrived.count) new cases")
        }

        // 2. New access events, batch by batch, each batch in time order: read and decoded on one thread (the
        //    decoding split over the cores), audited on this one, saved and journaled on a third, so that the three
        //    overlap.
        let start = lastSeq.map { $0 + 1 } ?? 0
        let decoded = BatchPipe<DecodedBatch>(capacity: 1)
        let toSave = BatchPipe<SaveJob>(capacity: 1)
        let decodeTime = Counter(), saveTime = Counter()
        let reader = Thread { [store, batchSize] in
            var next = start
            do {
                while true {
                    let t = Self.seconds()
                    let from = next
                    let batch = try StoreThreads.wait { try await store.accessEvents(from: from, limit: batchSize) }
                    guard let last = batch.last else { break }
                    next = last.seq + 1
                    let events = try Self.decodeParallel(batch)
                    // Sort positions, not the (large) events themselves.
                    let keys = events.map { ($0.1.at.millis, $0.0) }
                    var order = Array(0..<Int32(events.count))
                    order.sort { keys[Int($0)] < keys[Int($1)] }
                    decodeTime.add(seconds: Self.seconds() - t)
                    guard decoded.offer(DecodedBatch(events: events, order: order, lastSeq: last.seq)) else { return }
                }
                decoded.close()
            } catch {
                decoded.fail(error)
            }
        }
        let writerService = self
        let journaled = Counter()
        let writer = Thread {
            do {
                while let job = try toSave.take() {
                    let t = Self.seconds()
                    try StoreThreads.wait {
                        try await writerService.store.saveSweepFindings(job.findings)
                        if let c = job.checkpoint { try await writerService.store.saveAuditCheckpoint(c) }
                    }
                    journaled.add(try StoreThreads.wait { try await writerService.journalPending() })
                    saveTime.add(seconds: Self.seconds() - t)
                    toSave.done()
                }
            } catch {
                toSave.fail(error)
            }
        }
        reader.stackSize = 8 << 20
        writer.stackSize = 8 << 20
        reader.start()
        writer.start()
        var sinceCheckpoint = 0
        do {
            defer {
                decoded.close()
                toSave.close()
            }
            while let batch = try decoded.take() {
                let t = Self.seconds()
                var out: [StoredFinding] = []
                out.reserveCapacity(batch.events.count)
                for k in batch.order {
                    let (seq, e) = batch.events[Int(k)]
                    out.append(StoredFinding(seq: seq, finding: engine.audit(e)))
                }
                summary.engineSeconds += Self.seconds() - t
                // Revisions of accesses outside this batch read their stored findings: let the writer catch up first.
                try applyRevisions(engine.takeRevisions(), to: &out) { try toSave.waitIdle() }
                summary.newlyFlagged += out.count { $0.finding.flagged }
                summary.audited += batch.events.count
                lastSeq = batch.lastSeq
                sinceCheckpoint += batch.events.count
                var checkpoint: AuditCheckpoint?
                if sinceCheckpoint >= checkpointEvery {
                    checkpoint = AuditCheckpoint(lastSeq: lastSeq, lastCaseRow: caseRow, state: engine.state)
                    sinceCheckpoint = 0
                }
                try toSave.put(SaveJob(findings: out, checkpoint: checkpoint))
                progress?("audited \(summary.audited) access events")
            }
            try toSave.waitIdle()
        }
        summary.journaled += journaled.value
        summary.decodeSeconds = decodeTime.seconds
        summary.saveSeconds = saveTime.seconds
        if lastSeq != saved?.lastSeq || caseRow != saved?.lastCaseRow || saved == nil {
            let checkpoint = AuditCheckpoint(lastSeq: lastSeq, lastCaseRow: caseRow, state: engine.state)
            try StoreThreads.wait { try await store.saveAuditCheckpoint(checkpoint) }
        }
        summary.journaled += try StoreThreads.wait { try await service.journalPending() }
        summary.counts = try StoreThreads.wait { try await store.findingCounts() }
        summary.auditSeconds = Self.seconds() - t1
        summary.seconds = Self.seconds() - t0
        return summary
    }

    /// Applies the engine's revisions of earlier findings: to this batch's findings, or to stored ones (which are then
    /// appended to `out` to be saved again).
    func applyRevisions(_ revisions: [FindingRevision], to out: inout [StoredFinding],
                        beforeReading: () throws -> Void = {}) throws {
        guard !revisions.isEmpty else { return }
        var index: [String: Int] = [:]
        for (k, f) in out.enumerated() { index[f.finding.access] = k }
        var outside: [FindingRevision] = []
        for r in revisions {
            if let k = index[r.access] {
                out[k].finding = r.applied(to: out[k].finding, threshold: config.flagThreshold)
            } else {
                outside.append(r)
            }
        }
        guard !outside.isEmpty else { return }
        try beforeReading()
        var stored: [String: StoredFinding] = [:]
        let ids = outside.map(\.access)
        for f in try StoreThreads.wait({ [store] in try await store.findings(accessIDs: ids) }) { stored[f.finding.access] = f }
        for r in outside {
            guard var f = stored[r.access] else { continue }
            f.finding = r.applied(to: f.finding, threshold: config.flagThreshold)
            stored[r.access] = f
        }
        out += stored.values.sorted { $0.seq < $1.seq }
    }

    /// Re-audits the stored accesses the arrived cases may explain, with the engine's current state.
    func reaudit(_ arrived: [ArrivedCase], upTo: UInt64, engine: AuditEngine, summary: inout AuditRunSummary) throws {
        var seen = Set<UInt64>()
        var events: [(UInt64, AccessEvent)] = []
        for a in arrived {
            guard case let .record(.case(c), _) = try RecordDecoder.decodeStored(line: a.doc) else { continue }
            let w = engine.explainableWindow(for: c)
            // Accesses to its registers and searches by its staff within its window (both ends included), and any
            // access naming it, whenever.
            let (from, to) = (w.from.millis, w.to.millis &+ 1)
            let selections = w.registers.map { EventSelection(.register($0), fromMillis: from, toMillis: to) }
                + w.staff.map { EventSelection(.staff($0), fromMillis: from, toMillis: to, searchesOnly: true) }
                + [EventSelection(.case(c.id))]
            let found = try StoreThreads.wait { [store] in try await store.accessEvents(selections, below: upTo &+ 1) }
            for (seq, e) in try Self.decode(found) where seen.insert(seq).inserted { events.append((seq, e)) }
        }
        events.sort { $0.1.at.millis != $1.1.at.millis ? $0.1.at.millis < $1.1.at.millis : $0.0 < $1.0 }
        summary.reaudited = events.count
        for start in stride(from: 0, to: events.count, by: batchSize) {
            let chunk = events[start..<min(events.count, start + batchSize)]
            let ids = chunk.map(\.1.id)
            let old = try StoreThreads.wait { [store] in try await store.findings(accessIDs: ids) }
            var before: [String: AccessFinding] = [:]
            for f in old { before[f.finding.access] = f.finding }
            var changed: [StoredFinding] = []
            for (seq, e) in chunk {
                let f = engine.reaudit(e)
                let prior = before[e.id]
                if prior != f {
                    changed.append(StoredFinding(seq: seq, finding: f))
                    if f.flagged && prior?.flagged != true { summary.newlyFlagged += 1 }
                }
            }
            summary.changed += changed.count
            let save = changed
            try StoreThreads.wait { [store] in try await store.saveFindings(save) }
        }
    }

    /// Writes the flagged findings not yet in the ledger as `audit.finding` journal events; returns how many.
    @discardableResult
    public func journalPending() async throws -> Int {
        var total = 0
        while true {
            let pending = try await store.unjournaledFindings(limit: journalBatch)
            guard !pending.isEmpty else { return total }
            let base = try await store.ledgerSize()
            let at = clock()
            let events = pending.enumerated().map { k, s in Self.journalEvent(s.finding, at: at, index: base + UInt64(k)) }
            try await store.appendJournal(events)
            try await store.markJournaled(pending.map(\.finding.access))
            total += pending.count
        }
    }

    /// The ledger's record of a flagged access: kind `audit.finding`, subject = the access ID, detail = score,
    /// reason codes and the explanation's rule (or null).
    public static func journalEvent(_ f: AccessFinding, at: Timestamp, index: UInt64) -> JournalEvent {
        let detail = JSONValue.object([
            ("score", .number(AccessFinding.scoreText(f.score))),
            ("reasons", .array(f.reasons.map { .string($0.code) })),
            ("rule", f.explanation.map { .string($0.rule) } ?? .null),
            ("staff", .string(f.staff)),
            ("at", .string(f.at.description)),
        ])
        return JournalEvent(id: "AF-\(f.access)-\(index)", at: at, kind: "audit.finding", subject: f.access,
                            detail: detail)
    }

    /// Decodes stored access entries (see ``StoredEntryError/access(seq:entry:)``): a skipped access would go
    /// unaudited for good, as the audit's position moves past it.
    static func decode(_ batch: some Collection<LedgerEntryRow>) throws -> [(UInt64, AccessEvent)] {
        var out: [(UInt64, AccessEvent)] = []
        out.reserveCapacity(batch.count)
        for a in batch { out.append((a.seq, try StoredEntryError.access(seq: a.seq, entry: a.entry))) }
        return out
    }

    /// Reference records decoded with the lines split over the machine's cores, in the lines' order (lines that are
    /// not a record are skipped; a line that does not decode is an error, as when read one by one).
    static func decodeRecords(_ lines: [[UInt8]]) throws -> [Record] {
        @Sendable func one(_ part: ArraySlice<[UInt8]>) -> Result<[Record], any Error> {
            Result {
                var out: [Record] = []
                out.reserveCapacity(part.count)
                for line in part {
                    if case let .record(r, _) = try RecordDecoder.decodeStored(line: line) { out.append(r) }
                }
                return out
            }
        }
        let parts = min(Parallelism.cores, max(1, lines.count / 1024))
        guard parts > 1 else { return try one(lines[...]).get() }
        let results = Slots<Result<[Record], any Error>>(count: parts)
        let size = (lines.count + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            let lo = min(lines.count, k * size), hi = min(lines.count, lo + size)
            results.set(k, one(lines[lo..<hi]))
        }
        var out: [Record] = []
        out.reserveCapacity(lines.count)
        for k in 0..<parts { out += try results.get(k).get() }
        return out
    }

    /// ``decode(_:)`` with the batch split over the machine's cores, in the batch's order.
    static func decodeParallel(_ batch: [LedgerEntryRow]) throws -> [(UInt64, AccessEvent)] {
        let parts = min(Parallelism.cores, max(1, batch.count / 4096))
        guard parts > 1 else { return try decode(batch) }
        let results = Slots<Result<[(UInt64, AccessEvent)], any Error>>(count: parts)
        let size = (batch.count + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            let lo = k * size, hi = min(batch.count, lo + size)
            results.set(k, Result { lo < hi ? try decode(batch[lo..<hi]) : [] })
        }
        var out: [(UInt64, AccessEvent)] = []
        out.reserveCapacity(batch.count)
        for k in 0..<parts { out += try results.get(k).get() }
        return out
    }

    static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    // MARK: Reading (console, disclosure report, CLI)

    /// Findings by access ID, in ledger order.
    public func findings(accessIDs: [String]) async throws -> [StoredFinding] { try await store.findings(accessIDs: accessIDs) }

    /// Every finding matching a filter, in its order.
    public func findings(_ filter: FindingFilter) async throws -> [StoredFinding] {
        var out: [StoredFinding] = []
        try await store.forEachFinding(filter) { out.append($0) }
        return out
    }

    /// One staff member's accesses with their status, oldest first (調査①: the staff member's full timeline).
    public func timeline(staff: String, from: Timestamp? = nil, to: Timestamp? = nil, limit: Int? = nil) async throws
        -> [StoredFinding] {
        try await findings(FindingFilter(staff: staff, from: from, to: to, limit: limit))
    }

    /// One page of a staff member's accesses, newest first, and whether older ones follow.
    public func timelinePage(staff: String, from: Timestamp? = nil, to: Timestamp? = nil, page: Int, size: Int) async throws
        -> (rows: [StoredFinding], more: Bool) {
        let rows = try await findings(FindingFilter(staff: staff, from: from, to: to, order: .newest, limit: size + 1,
                                              offset: page * size))
        return (Array(rows.prefix(size)), rows.count > size)
    }

    /// Every access to a person, oldest first.
    public func findings(person: String, from: Timestamp? = nil, to: Timestamp? = nil) async throws -> [StoredFinding] {
        try await findings(FindingFilter(person: person, from: from, to: to))
    }

    /// Every access to a register, oldest first.
    public func findings(register: String, from: Timestamp? = nil, to: Timestamp? = nil) async throws -> [StoredFinding] {
        try await findings(FindingFilter(register: register, from: from, to: to))
    }

    /// The ranked worklist: flagged accesses, highest score first.
    public func worklist(limit: Int = 100, offset: Int = 0, from: Timestamp? = nil, to: Timestamp? = nil,
                         staff: String? = nil) async throws -> [StoredFinding] {
        try await findings(FindingFilter(staff: staff, from: from, to: to, flaggedOnly: true, order: .score, limit: limit,
                                   offset: offset))
    }

    /// Staff by descending risk (the sum of their top `topK` scores), then flagged count, then ID.
    public func staffRanking(from: Timestamp? = nil, to: Timestamp? = nil, topK: Int = 10, limit: Int? = nil) async throws
        -> [StaffSummary] {
        let all = try await store.staffSummaries(from: from, to: to, topK: topK).sorted {
            if $0.risk != $1.risk { return $0.risk > $1.risk }
            if $0.flagged != $1.flagged { return $0.flagged > $1.flagged }
            return $0.staff < $1.staff
        }
        return limit.map { Array(all.prefix($0)) } ?? all
    }

    /// Who looked at a person (or, with `register:`, a register): counts by staff and office, flagged accesses.
    public func subjectSummary(person: String? = nil, register: String? = nil, from: Timestamp? = nil,
                               to: Timestamp? = nil) async throws -> SubjectSummary {
        var s = SubjectSummary(subject: person ?? register ?? "")
        try await store.forEachFinding(FindingFilter(person: person, register: register, from: from, to: to)) { sf in
            let f = sf.finding
            s.total += 1
            s.byStaff[f.staff, default: 0] += 1
            if let o = f.office { s.byOffice[o, default: 0] += 1 }
            if f.flagged { s.flagged.append(f.access) }
            s.maxScore = max(s.maxScore, f.score)
        }
        return s
    }

    /// Totals over the stored findings.
    public func counts() async throws -> FindingCounts { try await store.findingCounts() }
}

// MARK: - Pipeline plumbing

/// A decoded batch of new access events (in ledger order) and the positions in time order.
struct DecodedBatch: Sendable {
    var events: [(UInt64, AccessEvent)]
    var order: [Int32]
    var lastSeq: UInt64
}

/// A batch of findings to save, with the checkpoint to save after them (if due).
struct SaveJob: Sendable {
    var findings: [StoredFinding]
    var checkpoint: AuditCheckpoint?
}

/// A bounded queue between two threads: `put` blocks while full, `take` while empty; `close` ends it (`take` then
/// drains and returns `nil`), `fail` ends it with an error that the other side sees. `done` marks a taken item
/// handled, for `waitIdle` (every item put so far has been handled).
final class BatchPipe<T: Sendable>: @unchecked Sendable {
    private let cond = NSCondition()
    private var items: [T] = []
    private let capacity: Int
    private var closed = false
    private var error: (any Error)?
    private var pending = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Adds an item; `false` when the pipe is closed (the item is dropped). Throws the other side's error.
    @discardableResult
    func put(_ item: T) throws -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while items.count >= capacity && !closed && error == nil { cond.wait() }
        if let error { throw error }
        if closed { return false }
        items.append(item)
        pending += 1
        cond.broadcast()
        return true
    }

    /// Non-throwing ``put(_:)`` for a producer that learns of the consumer's end (or failure) by `false`.
    func offer(_ item: T) -> Bool { (try? put(item)) ?? false }

    /// The next item, or `nil` once closed and drained. Throws the other side's error.
    func take() throws -> T? {
        cond.lock()
        defer { cond.unlock() }
        while items.isEmpty && !closed && error == nil { cond.wait() }
        if let error { throw error }
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        cond.broadcast()
        return item
    }

    func done() {
        cond.lock()
        pending -= 1
        cond.broadcast()
        cond.unlock()
    }

    /// Waits until every item put has been taken and handled. Throws the other side's error.
    func waitIdle() throws {
        cond.lock()
        defer { cond.unlock() }
        while pending > 0 && error == nil { cond.wait() }
        if let error { throw error }
    }

    func close() {
        cond.lock()
        closed = true
        cond.broadcast()
        cond.unlock()
    }

    func fail(_ e: any Error) {
        cond.lock()
        if error == nil { error = e }
        cond.broadcast()
        cond.unlock()
    }
}

/// Results written by concurrent workers, one slot each.
final class Slots<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ v: T) { lock.withLock { values[k] = v } }
    func get(_ k: Int) -> T { lock.withLock { values[k]! } }
}

/// A count (and a time) shared between threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    private var t = 0.0
    func add(_ k: Int) { lock.withLock { n += k } }
    func add(seconds: Double) { lock.withLock { t += seconds } }
    var value: Int { lock.withLock { n } }
    var seconds: Double { lock.withLock { t } }
}
