import AkashiDomain
import AkashiInterchange
import AkashiLedger
import Foundation

/// A problem found by ``LedgerService/verify(verifiers:)``, naming the first bad entry where there is one.
public struct LedgerProblem: Error, Sendable, CustomStringConvertible {
    /// The ledger index of the first bad entry, when one entry is to blame.
    public var index: UInt64?
    /// The event ID at that index, when known.
    public var eventID: String?
    public var message: String
    /// From ``LedgerService/verify(verifiers:)``: every kind of problem it found (this problem is the first of the
    /// first kind), so that a harmless problem cannot hide tampering found after it.
    public var failures: [LedgerFailure] = []

    public init(index: UInt64? = nil, eventID: String? = nil, _ message: String) {
        self.index = index
        self.eventID = eventID
        self.message = message
    }

    /// The problem alone, without the others.
    public var headline: String {
        var s = ""
        if let index { s += "entry \(index)" + (eventID.map { " (event \($0))" } ?? "") + ": " }
        return s + message
    }

    public var description: String {
        guard failures.count > 1 || (failures.first?.count ?? 0) > 1 else { return headline }
        let total = failures.reduce(0) { $0 + $1.count }
        return "\(total) problems of \(failures.count) kinds:\n" + failures.map { "  - " + $0.description }.joined(separator: "\n")
    }
}

/// One kind of problem `verify` found: how often, over which entries, an example, and whether it is known to be
/// harmless to the ledger's integrity.
public struct LedgerFailure: Sendable, CustomStringConvertible {
    /// What kind: `order` (entries missing or out of order), `column` (a lookup column differs from its entry),
    /// `entry` (an entry that cannot be read back or published), `leaf` (entry bytes differ from the stored hash),
    /// `tile`, `lookup` (a lookup index differs from the entries), `checkpoint`, `database`.
    public var kind: String
    public var count: Int
    /// The first and last ledger index involved, where entries are to blame.
    public var first: UInt64?
    public var last: UInt64?
    /// The first problem of this kind.
    public var example: LedgerProblem
    /// Known not to touch the entries or their hashes: a lookup column that an old store cut short at a control
    /// character (an ID with a NUL, accepted before December 2026). The entries still verify; the column is wrong.
    public var benign: Bool

    public var description: String {
        let range = first.map { f in last.map { $0 == f ? " (entry \(f))" : " (entries \(f)…\($0))" } ?? "" } ?? ""
        return "\(kind): \(count)\(range)\(benign ? " [known-benign: the entries and hashes are intact]" : ""); first: \(example.headline)"
    }
}

/// What a full verification checked.
public struct VerificationReport: Sendable {
    public var entries: UInt64 = 0
    public var tiles = 0
    public var checkpoints = 0
    public var root: LedgerHash = MerkleHash.emptyRoot
    /// The key the checkpoint signatures were checked against, and whether it came from the caller (trusted)
    /// or only from the store.
    public var verifier: String?
    public var verifierFromCaller = false
    public var seconds: Double = 0
    /// Events whose lookup-index rows an interrupted import left for the next writer to make (not compared).
    public var lookupRowsPending = 0
}

/// The ledger's operations over any store: signing checkpoints, receipts, proofs, tiles and verification.
///
/// Every operation reads the stored tiles; nothing here can change an entry.
public struct LedgerService: Sendable {
    public let store: any AkashiStore
    /// Shared cache of expanded tiles for proofs.
    public let hashes: TiledHashes

    /// Expanded tiles kept for proofs: 4,096 × 16 KiB = 64 MiB at most. A disclosure needs one receipt per event and
    /// a person's events lie in tiles all over the log, so a small cache re-hashes a whole tile for nearly every receipt.
    public static let tileCacheCapacity = 4096

    public init(store: any AkashiStore) {
        self.store = store
        self.fetched = FetchedTiles()
        self.hashes = TiledHashes(source: fetched, cacheCapacity: Self.tileCacheCapacity)
    }

    /// Hands tiles read from the store (async) to ``hashes`` (whose proofs are synchronous arithmetic).
    let fetched: FetchedTiles

    /// Runs a proof computation over ``hashes``: when it needs tiles the shared cache lacks, they are read from the
    /// store in one read per level and the computation runs again (proofs are cheap; reading tiles is the cost).
    public func proving<T>(_ body: (TiledHashes) throws -> T) async throws -> T {
        var rounds = 0
        while true {
            do {
                return try body(hashes)
            } catch let need as TilesNeeded {
                rounds += 1
                // A proof touches at most a few tiles per level and 8 levels; many more rounds means tiles that other
                // requests keep taking from under this one, or a store that does not answer what it was asked.
                guard rounds <= 256 else {
                    throw LedgerProblem("could not gather the tiles for a proof (level \(need.level), \(need.indexes.count) tiles)")
                }
                let tiles = try await store.tiles(level: need.level, indexes: need.indexes)
                fetched.provide(level: need.level, asked: need.indexes, tiles: tiles)
            }
        }
    }

    /// The root of the first `size` entries.
    public func root(size: UInt64) async throws -> LedgerHash {
        try await proving { try LogProver(size: size, source: $0).root() }
    }

    /// Signs a checkpoint of the current tree if it has grown since the newest stored checkpoint, after checking
    /// that the tree still extends that checkpoint (a log never signs two inconsistent checkpoints).
    /// Returns the newest checkpoint (new or not).
    @discardableResult
    public func signCheckpoint(with signer: NoteSigner) async throws -> StoredCheckpoint {
        let size = try await store.ledgerSize()
        let latest = try await store.latestCheckpoint()
        if let latest {
            let again = try await root(size: latest.size)
            guard again == latest.root else {
                throw LedgerProblem("refusing to sign: the tree no longer matches checkpoint \(latest.size) "
                                    + "(root \(again.base64) ≠ signed \(latest.root.base64)); run `akashi ledger verify`")
            }
            let note = try SignedNote(parsing: latest.note)
            guard let origin = note.text.split(separator: "\n").first, String(origin) == signer.name else {
                throw LedgerProblem("refusing to sign: this log's origin is not \(signer.name)")
            }
            // Another signer may have signed a larger tree since `size` was read: never sign an older one after it.
            if latest.size >= size { return latest }
        }
        let r = try await root(size: size)
        let text = Checkpoint(origin: signer.name, size: size, root: r).text
        let stored = StoredCheckpoint(size: size, root: r, note: signer.sign(text: text))
        try await store.recordVerifierKey(signer.verifier.text)
        try await store.saveCheckpoint(stored)
        return stored
    }

    /// The receipt (C2SP tlog-proof) for an event against the newest checkpoint that covers it, and its entry bytes.
    public func receipt(eventID: String) async throws -> (receipt: Receipt, entry: [UInt8]) {
        guard let index = try await store.ledgerIndex(ofEvent: eventID) else {
            throw LedgerProblem("no event with ID \(eventID) in the ledger")
        }
        return try await receipt(index: index)
    }

    /// The receipt for the entry at `index` against the newest checkpoint.
    public func receipt(index: UInt64) async throws -> (receipt: Receipt, entry: [UInt8]) {
        guard let cp = try await store.latestCheckpoint() else {
            throw LedgerProblem("no signed checkpoint yet: sign one with `--key` on import or serve")
        }
        guard index < cp.size else {
            throw LedgerProblem(index: index, "entry is newer than the latest checkpoint (size \(cp.size)); sign a new checkpoint first")
        }
        let proof = try await proving { try LogProver(size: cp.size, source: $0).inclusionProof(index: index) }
        let entry = try await store.ledgerEntries(index..<(index + 1)).first ?? []
        return (Receipt(index: index, proof: proof, checkpoint: cp.note), entry)
    }

    /// The consistency proof from `oldSize` to the newest checkpoint.
    public func consistencyProof(from oldSize: UInt64) async throws -> (proof: [LedgerHash], checkpoint: StoredCheckpoint) {
        guard let cp = try await store.latestCheckpoint() else { throw LedgerProblem("no signed checkpoint yet") }
        guard oldSize > 0, oldSize <= cp.size else {
            throw LedgerProblem("--from-size must be between 1 and the checkpoint size \(cp.size)")
        }
        return (try await proving { try LogProver(size: cp.size, source: $0).consistencyProof(from: oldSize) }, cp)
    }

    /// A witness's check: the newest checkpoint is signed by a trusted key and extends `old` (a checkpoint saved earlier).
    public func check(old oldNote: String, verifiers: [NoteVerifier]) async throws -> (old: Checkpoint, new: Checkpoint) {
        let old = try Checkpoint.verified(note: oldNote, verifiers: verifiers)
        guard let latest = try await store.latestCheckpoint() else { throw LedgerProblem("the log has no checkpoint") }
        let new = try Checkpoint.verified(note: latest.note, verifiers: verifiers)
        guard old.origin == new.origin else { throw LedgerProblem("origin differs: \(old.origin) vs \(new.origin)") }
        guard old.size <= new.size else {
            throw LedgerProblem("the log shrank: saved checkpoint has \(old.size) entries, current \(new.size)")
        }
        if old.size == new.size {
            guard old.root == new.root else { throw LedgerProblem("same size \(old.size) but different roots: the log forked") }
        } else if old.size > 0 {
            let proof = try await proving { try LogProver(size: new.size, source: $0).consistencyProof(from: old.size) }
            do {
                try MerkleProof.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof)
            } catch {
                throw LedgerProblem("the current log does not extend the saved checkpoint: \(error)")
            }
        }
        return (old, new)
    }

    /// The bytes served at a tlog-tiles path (`checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`),
    /// as of the newest checkpoint; `nil` for a path that does not exist.
    ///
    /// A partial tile `.p/W` is served for any W up to the tile's width at the newest checkpoint, not only for that
    /// width: a client that read an older checkpoint asks for the width of its own size, and a partial tile of width W
    /// is the first W hashes (entries) of every wider version of the same tile, so the answer is the same bytes it would
    /// have got then. Without this, each new checkpoint (every few seconds while serving) made the partial tiles of the
    /// previous one disappear before their full tile existed.
    public func publishedFile(path: String) async throws -> [UInt8]? {
        guard let cp = try await store.latestCheckpoint() else { return nil }
        if path == "checkpoint" { return Array(cp.note.utf8) }
        guard let address = try? TilePath.parse(path) else { return nil }
        /// Whether a tile of `width` can be served when the tile has `current` hashes at the newest checkpoint.
        func servable(_ width: Int, _ current: Int) -> Bool { width == 256 ? current == 256 : width >= 1 && width <= current }
        switch address {
        case let .hashes(level, index, width):
            guard servable(width, Self.width(level: level, index: index, size: cp.size)) else { return nil }
            guard let tile = try await store.tile(level: level, index: index), tile.width >= width else { return nil }
            return Array(tile.hashes.prefix(width * 32))
        case let .entries(index, width):
            guard servable(width, Self.width(level: 0, index: index, size: cp.size)) else { return nil }
            let start = index * 256
            return try EntryBundle.checkedEncode(try await store.ledgerEntries(start..<(start + UInt64(width))))
        }
    }

    /// Width of tile `index` at `level` in a tree of `size` entries (0 when the tile does not exist).
    static func width(level: Int, index: UInt64, size: UInt64) -> Int {
        // Hashes at `level` = size / 256^level (a level-L hash is the root of a full level-(L-1) tile).
        guard level >= 0, level < 8 else { return 0 }
        let hashesAtLevel = size >> (8 * UInt64(level))
        let (start, overflow) = index.multipliedReportingOverflow(by: 256)
        guard !overflow else { return 0 }
        guard hashesAtLevel > start else { return 0 }
        return Int(min(256, hashesAtLevel - start))
    }

    /// Writes the whole log as static files in the C2SP tlog-tiles layout under `directory`, as of the newest checkpoint.
    @discardableResult
    public func writeTiles(to directory: String) async throws -> (files: Int, size: UInt64) {
        guard let cp = try await store.latestCheckpoint() else { throw LedgerProblem("no signed checkpoint yet") }
        let fm = FileManager.default
        var files = 0
        func put(_ rel: String, _ bytes: [UInt8]) throws {
            let path = directory + "/" + rel
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            files += 1
        }
        var level = 0
        while true {
            let count = Self.width(level: level, index: 0, size: cp.size) == 0 ? 0 : { () -> UInt64 in
                var n: UInt64 = 0
                while Self.width(level: level, index: n, size: cp.size) > 0 { n += 1 }
                return n
            }()
            if count == 0 { break }
            for index in 0..<count {
                let w = Self.width(level: level, index: index, size: cp.size)
                let path = TilePath.hashTile(level: level, index: index, width: w)
                guard let bytes = try await publishedFile(path: path) else { throw LedgerProblem("tile \(path) is missing from the store") }
                try put(path, bytes)
                if level == 0 {
                    let bundle = TilePath.entryBundle(index: index, width: w)
                    guard let entries = try await publishedFile(path: bundle) else { throw LedgerProblem("entry bundle \(bundle) is missing from the store") }
                    try put(bundle, entries)
                }
            }
            if count == 1 && Self.width(level: level, index: 0, size: cp.size) < 256 { break }
            level += 1
        }
        try put("checkpoint", Array(cp.note.utf8))
        return (files, cp.size)
    }

    /// Recomputes every leaf from the stored events and the whole tree, checks every stored hash, the store's
    /// columns against the entries, and every stored checkpoint's signature and root. It goes on past a problem and
    /// throws one ``LedgerProblem`` carrying every kind it found (``LedgerProblem/failures``: counts, first and last
    /// index, an example, known-benign or not), so no problem can hide another.
    ///
    /// `verifiers`: keys the caller trusts. Without them the key recorded in the store is used, which proves only
    /// self-consistency (the report says so).
    public func verify(verifiers: [NoteVerifier] = []) async throws -> VerificationReport {
        let start = Date()
        var report = VerificationReport()
        var failures: [LedgerFailure] = []
        func record(_ kind: String, _ p: LedgerProblem, benign: Bool = false) {
            if let k = failures.firstIndex(where: { $0.kind == kind && $0.benign == benign }) {
                failures[k].count += 1
                if let i = p.index {
                    failures[k].first = min(failures[k].first ?? i, i)
                    failures[k].last = max(failures[k].last ?? i, i)
                }
            } else {
                failures.append(LedgerFailure(kind: kind, count: 1, first: p.index, last: p.index, example: p, benign: benign))
            }
        }
        for problem in try await store.integrityProblems() {
            record("database", LedgerProblem("the store's database is damaged: \(problem)"))
        }

        // 1. Entries: contiguous, columns agree with the entry bytes, leaf hashes recomputed.
        var appender = TileAppender()
        var recomputed: [TileKey: (digest: LedgerHash, width: Int)] = [:]
        var pending: [LedgerHash] = []
        var expected: UInt64 = 0
        var stored0: Tile?
        // Entries missing or out of order: the tree cannot be recomputed, but every entry is still checked.
        var contiguous = true
        // Lookup indexes: count and digest sum per table, expected (from the events) and stored.
        var expectedRows: [LookupRow.Table: (count: Int, sum: UInt64)] = [:]
        // Events an interrupted import left to be indexed by the next writer (a reading command makes no rows): the
        // lookups are compared for the events before them, and the report says how many wait.
        let unindexedFrom = try await store.lookupRowsPending() ?? .max
        // The ledger as it stood when verification began: a server at work may append while it runs (the retest's
        // R2-3 saw a false alarm). Its entries and checkpoints are checked; tiles and lookup rows that go past it
        // are set aside (`edge`) and count as problems only if the ledger did not grow meanwhile (then they would be
        // a truncated tail's leftovers, as before).
        let bound = try await store.ledgerSize()
        let checkpointsAtStart = try await store.checkpoints()
        var edge: [(String, LedgerProblem)] = []
        func flush() throws {
            for t in try appender.append(pending) {
                recomputed[TileKey(level: t.level, index: t.index)] = (MerkleHash.leaf(t.hashes), t.width)
            }
            pending.removeAll(keepingCapacity: true)
        }
        var nextPage: UInt64 = 0
        pages: while true {
            let page = try await store.storedEvents(fromSeq: nextPage, limit: 8192)
            for e in page {
                if e.seq >= bound { break pages }
                if e.seq != expected {
                    contiguous = false
                    if e.seq > expected {
                        record("order", LedgerProblem(index: expected, "missing: the next stored entry is \(e.seq) (deleted entries)"))
                        expected = e.seq
                    } else {
                        record("order", LedgerProblem(index: e.seq, eventID: e.id, "entry \(e.seq) is out of order"))
                        continue
                    }
                }
                if let problem = Self.columnProblem(e) {
                    record("column", LedgerProblem(index: e.seq, eventID: e.id, problem.message), benign: problem.benign)
                }
                if e.entry.count > EntryBundle.maxEntryLength {
                    record("entry", LedgerProblem(index: e.seq, eventID: e.id, "entry has \(e.entry.count) bytes, more than the \(EntryBundle.maxEntryLength) an entry bundle can publish"))
                }
                if e.seq >= unindexedFrom { report.lookupRowsPending += 1 }
                for row in LookupRow.expected(for: e) where e.seq < unindexedFrom {
                    let c = expectedRows[row.table, default: (0, 0)]
                    expectedRows[row.table] = (c.count + 1, c.sum &+ row.digest)
                }
                let leaf = MerkleHash.leaf(e.entry)
                // Compare with the stored level-0 tile.
                let tileIndex = e.seq / 256
                if stored0?.index != tileIndex { stored0 = try await store.tile(level: 0, index: tileIndex) }
                let pos = Int(e.seq % 256)
                if let t = stored0, t.width > pos {
                    if t.hash(at: pos) != leaf {
                        record("leaf", LedgerProblem(index: e.seq, eventID: e.id, "entry bytes do not match the stored leaf hash (modified, swapped or reordered)"))
                    }
                } else {
                    record("leaf", LedgerProblem(index: e.seq, eventID: e.id, "no stored hash for this entry (tiles truncated)"))
                }
                pending.append(leaf)
                if pending.count >= 65_536 { try flush() }
                expected += 1
            }
            guard let last = page.last, page.count == 8192 else { break pages }
            nextPage = last.seq + 1
        }
        try flush()
        report.entries = expected
        report.root = appender.root

        // 2. Every stored tile equals the recomputed one, and none is left over.
        var seen = 0
        try await store.forEachTile { t in
            guard contiguous else { return }
            let key = TileKey(level: t.level, index: t.index)
            guard let want = recomputed[key] else {
                edge.append(("tile", LedgerProblem(index: t.level == 0 ? t.index * 256 : nil,
                                                   "stored tile \(t.path) is beyond the \(expected) entries present: entries were removed (truncation)")))
                return
            }
            if t.width > want.width {
                // Grown since (the same hashes, then more) or left over from removed entries.
                guard MerkleHash.leaf(Array(t.hashes.prefix(want.width * 32))) == want.digest else {
                    record("tile", LedgerProblem(index: t.level == 0 ? t.index * 256 : nil,
                                                 "stored tile \(t.path) does not match the tree recomputed from the entries"))
                    return
                }
                if t.level > 0 || want.width == 256 { seen += 1 }
                edge.append(("tile", LedgerProblem(index: t.level == 0 ? t.index * 256 + UInt64(want.width) : nil,
                                                   "stored tile \(t.path) records more hashes than the \(expected) entries present: entries were removed (truncation)")))
                return
            }
            // A partial level-0 tile is not kept up to date (the store derives the rest from the entries); the hashes
            // a store does hold for it were compared one by one with the entries above.
            if t.level == 0, t.width < 256, t.width < want.width { return }
            if t.level > 0 || t.width == 256 { seen += 1 }
            guard MerkleHash.leaf(t.hashes) == want.digest else {
                let first = t.level == 0 ? t.index * 256 : nil
                record("tile", LedgerProblem(index: first, "stored tile \(t.path) does not match the tree recomputed from the entries"))
                return
            }
        }
        // Every tile must be stored but a partial level-0 one, which the store derives from the entries.
        let required = recomputed.filter { $0.key.level > 0 || $0.value.width == 256 }.count
        if contiguous, seen != required {
            record("tile", LedgerProblem("\(required - seen) tiles of the recomputed tree are missing from the store"))
        }
        if !contiguous {
            record("tile", LedgerProblem("tiles and checkpoint roots not checked: the entries are not contiguous"))
        }
        report.tiles = seen

        // 2b. The lookup indexes hold exactly the rows the events call for (a removed row would hide an access
        // from a disclosure report or a staff timeline).
        var storedRows: [LookupRow.Table: (count: Int, sum: UInt64)] = [:]
        var rowsBeyond = 0
        try await store.forEachLookupRow { row in
            if row.seq >= bound { rowsBeyond += 1 }
            guard row.seq < min(unindexedFrom, bound) else { return }
            let c = storedRows[row.table, default: (0, 0)]
            storedRows[row.table] = (c.count + 1, c.sum &+ row.digest)
        }
        if rowsBeyond > 0 {
            edge.append(("lookup", LedgerProblem(index: bound, "\(rowsBeyond) lookup rows name entries beyond the \(bound) present: rows were added, or entries removed")))
        }
        // What lies past the ledger as it was at the start is a problem only if the ledger did not grow since.
        if try await store.ledgerSize() <= bound {
            for (kind, problem) in edge { record(kind, problem) }
        }
        for table in LookupRow.Table.allCases {
            let want = expectedRows[table, default: (0, 0)]
            let have = storedRows[table, default: (0, 0)]
            if want.count != have.count || want.sum != have.sum {
                record("lookup", LedgerProblem("the lookup index by \(table.rawValue) does not match the entries (\(have.count) rows, "
                                               + "\(want.count) expected): rows were removed, added or altered"))
            }
        }

        // 3. Checkpoints: signatures and roots.
        var keys = verifiers
        report.verifierFromCaller = !verifiers.isEmpty
        if keys.isEmpty, let recorded = try await store.recordedVerifierKey() {
            keys = [try NoteVerifier(text: recorded)]
        }
        report.verifier = keys.first?.text
        for cp in checkpointsAtStart {
            guard !keys.isEmpty else {
                record("checkpoint", LedgerProblem("checkpoints are stored but no verifier key is known; pass --verifier-key"))
                break
            }
            let parsed: Checkpoint
            do {
                parsed = try Checkpoint.verified(note: cp.note, verifiers: keys)
            } catch {
                record("checkpoint", LedgerProblem("checkpoint of size \(cp.size): signature does not verify: \(error)"))
                continue
            }
            guard parsed.size == cp.size, parsed.root == cp.root else {
                record("checkpoint", LedgerProblem("checkpoint of size \(cp.size): stored size/root differ from the signed note"))
                continue
            }
            guard cp.size <= expected else {
                record("checkpoint", LedgerProblem(index: expected, "checkpoint of size \(cp.size) was signed but only \(expected) entries remain (truncation)"))
                continue
            }
            guard contiguous else { continue }
            let r = try await root(size: cp.size)
            guard r == cp.root else {
                record("checkpoint", LedgerProblem("checkpoint of size \(cp.size): the stored entries give root \(r.base64), the signed root is \(cp.root.base64)"))
                continue
            }
            report.checkpoints += 1
        }
        if var first = failures.first?.example {
            first.failures = failures
            throw first
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    private struct TileKey: Hashable {
        var level: Int
        var index: UInt64
    }

    /// Whether the columns the store looks an event up by say the same as its entry.
    static func columnProblem(_ e: StoredEvent) -> (message: String, benign: Bool)? {
        guard let v = try? JSONParser.parse(e.entry), case .object = v else { return ("entry is not a JSON object", false) }
        func s(_ k: String) -> String? { v[k]?.stringValue }
        // A column that is the entry's value cut at a NUL: what an old store kept for an ID with a NUL in it.
        func differs(_ name: String, _ entry: String?, _ column: String?) -> (message: String, benign: Bool)? {
            guard entry != column else { return nil }
            let cut = entry.map { String($0.prefix { $0 != "\u{0}" }) }
            let benign = entry?.contains("\u{0}") == true && (column ?? "") == cut
            return ("column \(name) differs from the entry" + (benign ? " (cut at a NUL in the entry's value)" : ""), benign)
        }
        if let d = differs("id", s("id"), e.id) { return ("column id \"\(e.id)\" differs from the entry", d.benign) }
        if s("type") != e.type { return ("column type differs from the entry", false) }
        guard let at = s("at").flatMap({ Timestamp($0) }), at.millis == e.atMillis else { return ("column at differs from the entry", false) }
        if let d = differs("staff", s("staff"), e.staff) { return d }
        if let d = differs("office", s("office"), e.office) { return d }
        if e.type == "access" {
            // What the audit, disclosure reports and notices read: an entry they cannot read back would be missing there.
            do throws(RecordError) {
                guard case .record(.access, _) = try RecordDecoder.decode(v, stored: true) else {
                    return ("entry is filed as an access but is not one", false)
                }
            } catch {
                return ("entry does not read back as an access event: \(error)", false)
            }
            if let d = differs("register", s("register"), e.register) { return d }
            if let d = differs("person", s("person"), e.person) { return d }
            if let d = differs("case", s("case"), e.caseID) { return d }
        }
        return nil
    }
}
