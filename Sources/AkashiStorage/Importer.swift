import AkashiDomain
import AkashiInterchange
import AkashiLedger
import Dispatch
import Foundation

/// A problem with one line, named by file and line number.
public struct LineProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case rejected, conflict, unknownType = "unknown type", unknownField = "unknown field" }
    public var kind: Kind
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file):\(line): \(kind.rawValue): \(message)" }
}

/// What an import did, line by line, summed up.
public struct ImportReport: Sendable {
    public var files: [String] = []
    /// Non-blank lines read.
    public var lines = 0
    public var accessLines = 0
    /// New records stored.
    public var imported = 0
    /// Records already present with the same content.
    public var duplicates = 0
    /// Same type and ID with other content: quarantined, first version kept.
    public var conflicts = 0
    /// Lines that broke a rule: quarantined. A file that could not be read to its end (damaged or truncated gzip,
    /// an I/O error) counts here once too; its complete lines before the damage are imported as usual.
    public var rejected = 0
    /// Lines of a type this version does not know: reported, kept in the quarantine, not an error.
    public var unknownTypes = 0
    /// Lines imported with fields this version does not know (the fields were skipped).
    public var unknownFieldLines = 0
    /// The first problems, in order (all of them are in the quarantine), and every file read only in part.
    public var problems: [LineProblem] = []
    /// Files that could not be read to their end (damaged or truncated gzip, an I/O error); each is one problem
    /// and one of ``rejected``, and its complete lines before the failure were imported.
    public var filesReadInPart: [String] = []
    /// How many problems there were in all.
    public var problemCount = 0
    /// References to IDs no record carries yet (kept; they resolve when the record arrives).
    public var dangling: (count: Int, examples: [DanglingReference]) = (0, [])
    /// Whether any reference record (not an event) was newly stored.
    public var referenceRecordsStored = false
    public var ledgerSizeBefore: UInt64 = 0
    public var ledgerSizeAfter: UInt64 = 0
    public var seconds: Double = 0

    /// Whether every line was taken (exit status 0).
    public var allTaken: Bool { rejected == 0 && conflicts == 0 }
    public var accessLinesPerSecond: Double { seconds > 0 ? Double(accessLines) / seconds : 0 }
}

/// Progress of an import, for a status line.
public struct ImportProgress: Sendable {
    public var file: String
    public var lines: Int
    public var linesPerSecond: Double
    /// Fraction of the current file read (0…1), when its size is known.
    public var fraction: Double?
    public var etaSeconds: Double?
}

/// Streams akashi-interchange/1 files into a store: decode on all cores, store in durable batches,
/// keep every rejected line in the quarantine, import everything valid.
public struct Importer: Sendable {
    public var store: any AkashiStore
    /// Lines per durable transaction (group commit).
    public var batchBytes = 8 << 20
    /// How many problems the report lists (all are counted and quarantined).
    public var maxListedProblems = 200

    public init(store: any AkashiStore) { self.store = store }

    /// Imports the files in the order given. Throws only for unusable files (missing, unreadable) and store failures;
    /// bad lines are reported, and so is a file that fails part-way (its complete lines before the failure are
    /// imported, and the import goes on with the next file).
    public func run(files: [String], progress: (@Sendable (ImportProgress) -> Void)? = nil) async throws -> ImportReport {
        let importer = self
        return try await withCheckedThrowingContinuation { c in
            let thread = Thread { c.resume(with: Result { try importer.runBlocking(files: files, progress: progress) }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// ``run(files:progress:)`` on the calling thread, which waits for the store (a thread that may block: never a
    /// task's).
    public func runBlocking(files: [String], progress: (@Sendable (ImportProgress) -> Void)? = nil) throws -> ImportReport {
        let store = self.store
        var report = ImportReport()
        report.files = files
        report.ledgerSizeBefore = try StoreThreads.wait { try await store.ledgerSize() }
        let start = DispatchTime.now().uptimeNanoseconds
        let writer = BatchWriter(store: store)
        for path in files {
            let reader = try LineReader(path: path)
            let name = path
            var lastTick = DispatchTime.now().uptimeNanoseconds
            while true {
                let next: LineBatch?
                do {
                    next = try reader.next(targetBytes: batchBytes)
                } catch {
                    // Every complete line before the failure came back in the batches already submitted; the
                    // failure is one more rejected problem of this file, stored in turn like a batch.
                    try writer.waitAndMerge(into: &report, maxListed: maxListedProblems)
                    writer.submit(Self.unreadable(reader, error: error, file: name))
                    break
                }
                guard let batch = next else { break }
                let decoded = Self.decode(batch, file: name)
                // Store the previous batch while this one was decoded; wait for it before queueing the next.
                try writer.waitAndMerge(into: &report, maxListed: maxListedProblems)
                writer.submit(decoded)
                if let progress {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if now - lastTick > 500_000_000 {
                        lastTick = now
                        let secs = Double(now - start) / 1e9
                        let lines = report.lines + decoded.lineCount
                        let fraction = reader.fileSize > 0 ? Double(reader.consumed) / Double(reader.fileSize) : nil
                        progress(ImportProgress(
                            file: name, lines: lines, linesPerSecond: Double(lines) / max(secs, 1e-9), fraction: fraction,
                            etaSeconds: fraction.flatMap { $0 > 0.01 ? secs / $0 * (1 - $0) : nil }))
                    }
                }
            }
        }
        try writer.waitAndMerge(into: &report, maxListed: maxListedProblems)
        try StoreThreads.wait { try await store.catchUpLookupIndexes() }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        report.ledgerSizeAfter = try StoreThreads.wait { try await store.ledgerSize() }
        let (before, references) = (report.ledgerSizeBefore, report.referenceRecordsStored)
        report.dangling = try StoreThreads.wait {
            try await store.danglingReferences(fromLedgerIndex: before, referenceRecords: references, limit: 10)
        }
        return report
    }

    /// One batch after decoding: what to store, what to quarantine, what to report.
    struct Decoded: Sendable {
        var items: [IngestItem] = []
        var quarantine: [QuarantineItem] = []
        var problems: [LineProblem] = []
        var lineCount = 0
        var accessLines = 0
        var rejected = 0
        var unknownTypes = 0
        var unknownFieldLines = 0
        /// The failure that ended a file's reading part-way: always listed, whatever the limit.
        var unreadable: LineProblem?
    }

    /// The rest of a file its reader could not read (``LineReader/failure``): one rejected problem naming the file
    /// and the last line read, and the line the failure cut off, kept verbatim in the quarantine.
    static func unreadable(_ reader: LineReader, error: FileError, file: String) -> Decoded {
        var d = Decoded()
        let last = reader.lastLine
        let cut = reader.incompleteLine
        var msg = last > 0
            ? "\(error.message) after line \(last); lines 1–\(last) were read and imported as usual"
            : "\(error.message) before line 1; nothing of the file could be read"
        let blank = cut.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        if !blank {
            msg += "; the incomplete line \(last + 1) (\(cut.count) bytes) is kept in the quarantine"
            d.lineCount = 1
            d.quarantine.append(QuarantineItem(file: file, line: last + 1, reason: msg, raw: cut))
        }
        d.rejected = 1
        d.unreadable = LineProblem(kind: .rejected, file: file, line: last, message: msg)
        return d
    }

    /// Decodes a batch of lines on all cores, keeping line order.
    static func decode(_ batch: LineBatch, file: String) -> Decoded {
        let parts = max(1, min(Parallelism.cores, batch.count / 512))
        let results = SlotArray<Decoded>(count: parts, initial: Decoded())
        let per = (batch.count + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            var d = Decoded()
            let lo = p * per
            let hi = min(batch.count, lo + per)
            guard lo < hi else { return }
            d.items.reserveCapacity(hi - lo)
            batch.bytes.withUnsafeBufferPointer { buf in
                for k in lo..<hi {
                    let r = batch.range(k)
                    let line = UnsafeBufferPointer(rebasing: buf[r])
                    let number = batch.firstLine + k
                    do throws(RecordError) {
                        switch try RecordDecoder.decode(line: line) {
                        case .blank:
                            continue
                        case let .record(record, unknown):
                            d.lineCount += 1
                            let canonical = record.canonicalJSON
                            if case .access = record {
                                d.accessLines += 1
                                // An event becomes a ledger entry, and a published entry bundle frames each entry with
                                // a 16-bit length: a longer one could never be published, so it is refused here, alone.
                                if canonical.count > EntryBundle.maxEntryLength {
                                    let msg = "the access event's canonical entry has \(canonical.count) bytes, more than the \(EntryBundle.maxEntryLength) a ledger entry may have (C2SP entry bundles); shorten \"results\" or \"query\""
                                    d.rejected += 1
                                    d.problems.append(LineProblem(kind: .rejected, file: file, line: number, message: msg))
                                    d.quarantine.append(QuarantineItem(file: file, line: number, reason: msg, raw: Array(line)))
                                    continue
                                }
                            }
                            if !unknown.isEmpty {
                                d.unknownFieldLines += 1
                                d.problems.append(LineProblem(kind: .unknownField, file: file, line: number,
                                                              message: "skipped " + unknown.map { "\"\($0)\"" }.joined(separator: ", ")))
                            }
                            d.items.append(IngestItem(record: record, canonical: canonical, raw: batch.bytes[r],
                                                      file: file, line: number))
                        case let .unknownType(t):
                            d.lineCount += 1
                            d.unknownTypes += 1
                            let msg = "unknown type \"\(t)\" (expected \(RecordType.accepted)); line kept in the quarantine"
                            d.problems.append(LineProblem(kind: .unknownType, file: file, line: number, message: msg))
                            d.quarantine.append(QuarantineItem(file: file, line: number, reason: msg, raw: Array(line)))
                        }
                    } catch {
                        d.lineCount += 1
                        d.rejected += 1
                        d.problems.append(LineProblem(kind: .rejected, file: file, line: number, message: error.description))
                        d.quarantine.append(QuarantineItem(file: file, line: number, reason: error.description, raw: Array(line)))
                    }
                }
            }
            results[p] = d
        }
        var all = Decoded()
        for d in results.values {
            all.items += d.items
            all.quarantine += d.quarantine
            all.problems += d.problems
            all.lineCount += d.lineCount
            all.accessLines += d.accessLines
            all.rejected += d.rejected
            all.unknownTypes += d.unknownTypes
            all.unknownFieldLines += d.unknownFieldLines
        }
        return all
    }
}

/// Stores decoded batches on a background queue so decoding the next batch overlaps the SQLite work.
private final class BatchWriter: @unchecked Sendable {
    private let store: any AkashiStore
    private let queue = DispatchQueue(label: "akashi.import.writer")
    private let group = DispatchGroup()
    private var done: Importer.Decoded?
    private var outcomes: [IngestOutcome] = []
    private var error: (any Error)?

    init(store: any AkashiStore) { self.store = store }

    func submit(_ d: Importer.Decoded) {
        group.enter()
        queue.async { [self] in
            defer { group.leave() }
            do {
                let items = d.items
                outcomes = try StoreThreads.wait { [store] in try await store.ingest(items, deferLookupIndexes: true) }
                var d = d
                for (k, o) in outcomes.enumerated() where o == .conflict {
                    let item = d.items[k]
                    let msg = "conflict: a \(item.record.type.rawValue) with ID \"\(item.record.key)\" is already stored with other content; the first version is kept"
                    d.problems.append(LineProblem(kind: .conflict, file: item.file, line: item.line, message: msg))
                    d.quarantine.append(QuarantineItem(file: item.file, line: item.line, reason: msg, raw: Array(item.raw)))
                }
                let rejected = d.quarantine
                _ = try StoreThreads.wait { [store] in try await store.quarantine(rejected) }
                done = d
            } catch {
                self.error = error
            }
        }
    }

    func waitAndMerge(into report: inout ImportReport, maxListed: Int) throws {
        group.wait()
        if let error { throw error }
        guard let d = done else { return }
        done = nil
        report.lines += d.lineCount
        report.accessLines += d.accessLines
        report.rejected += d.rejected
        report.unknownTypes += d.unknownTypes
        report.unknownFieldLines += d.unknownFieldLines
        for o in outcomes {
            switch o {
            case let .inserted(ledgerIndex):
                report.imported += 1
                if ledgerIndex == nil { report.referenceRecordsStored = true }
            case .duplicate: report.duplicates += 1
            case .conflict: report.conflicts += 1
            }
        }
        let problems = d.problems.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
        report.problemCount += problems.count
        let room = max(0, maxListed - report.problems.count)
        report.problems += problems.prefix(room)
        if let u = d.unreadable {
            report.problemCount += 1
            report.problems.append(u)
            report.filesReadInPart.append(u.file)
        }
    }
}

/// Slots that `DispatchQueue.concurrentPerform`'s iterations each write one of (disjoint indexes, so no lock is
/// needed); read ``values`` after `concurrentPerform` returns.
public final class SlotArray<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T>

    public init(count: Int, initial: T) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: initial)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    public subscript(i: Int) -> T {
        get { slots[i] }
        set { slots[i] = newValue }
    }

    public var values: [T] { Array(slots) }
}
