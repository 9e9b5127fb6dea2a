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

    public init(index: UInt64? = nil, eventID: String? = nil, _ message: String) {
        self.index = index
        self.eventID = eventID
        self.message = message
    }

    public var description: String {
        var s = ""
        if let index { s += "entry \(index)" + (eventID.map { " (event \($0))" } ?? "") + ": " }
        return s + message
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
        self.hashes = TiledHashes(source: StoreTileSource(store: store), cacheCapacity: Self.tileCacheCapacity)
    }

    /// The root of the first `size` entries.
    public func root(size: UInt64) throws -> LedgerHash {
        try LogProver(size: size, source: hashes).root()
    }

    /// Signs a checkpoint of the current tree if it has grown since the newest stored checkpoint, after checking
    /// that the tree still extends that checkpoint (a log never signs two inconsistent checkpoints).
    /// Returns the newest checkpoint (new or not).
    @discardableResult
    public func signCheckpoint(with signer: NoteSigner) throws -> StoredCheckpoint {
        let size = try store.ledgerSize()
        let latest = try store.latestCheckpoint()
        if let latest {
            let again = try root(size: latest.size)
            guard again == latest.root else {
                throw LedgerProblem("refusing to sign: the tree no longer matches checkpoint \(latest.size) "
                                    + "(root \(again.base64) ≠ signed \(latest.root.base64)); run `akashi ledger verify`")
            }
            let note = try SignedNote(parsing: latest.note)
            guard let origin = note.text.split(separator: "\n").first, String(origin) == signer.name else {
                throw LedgerProblem("refusing to sign: this log's origin is not \(signer.name)")
            }
            if latest.size == size { return latest }
        }
        let r = try root(size: size)
        let text = Checkpoint(origin: signer.name, size: size, root: r).text
        let stored = StoredCheckpoint(size: size, root: r, note: signer.sign(text: text))
        try store.recordVerifierKey(signer.verifier.text)
        try store.saveCheckpoint(stored)
        return stored
    }

    /// The receipt (C2SP tlog-proof) for an event against the newest checkpoint that covers it, and its entry bytes.
    public func receipt(eventID: String) throws -> (receipt: Receipt, entry: [UInt8]) {
        guard let index = try store.ledgerIndex(ofEvent: eventID) else {
            throw LedgerProblem("no event with ID \(eventID) in the ledger")
        }
        return try receipt(index: index)
    }

    /// The receipt for the entry at `index` against the newest checkpoint.
    public func receipt(index: UInt64) throws -> (receipt: Receipt, entry: [UInt8]) {
        guard let cp = try store.latestCheckpoint() else {
            throw LedgerProblem("no signed checkpoint yet: sign one with `--key` on import or serve")
        }
        guard index < cp.size else {
            throw LedgerProblem(index: index, "entry is newer than the latest checkpoint (size \(cp.size)); sign a new checkpoint first")
        }
        let proof = try LogProver(size: cp.size, source: hashes).inclusionProof(index: index)
        let entry = try store.ledgerEntries(index..<(index + 1)).first ?? []
        return (Receipt(index: index, proof: proof, checkpoint: cp.note), entry)
    }

    /// The consistency proof from `oldSize` to the newest checkpoint.
    public func consistencyProof(from oldSize: UInt64) throws -> (proof: [LedgerHash], checkpoint: StoredCheckpoint) {
        guard let cp = try store.latestCheckpoint() else { throw LedgerProblem("no signed checkpoint yet") }
        guard oldSize > 0, oldSize <= cp.size else {
            throw LedgerProblem("--from-size must be between 1 and the checkpoint size \(cp.size)")
        }
        return (try LogProver(size: cp.size, source: hashes).consistencyProof(from: oldSize), cp)
    }

    /// A witness's check: the newest checkpoint is signed by a trusted key and extends `old` (a checkpoint saved earlier).
    public func check(old oldNote: String, verifiers: [NoteVerifier]) throws -> (old: Checkpoint, new: Checkpoint) {
        let old = try Checkpoint.verified(note: oldNote, verifiers: verifiers)
        guard let latest = try store.latestCheckpoint() else { throw LedgerProblem("the log has no checkpoint") }
        let new = try Checkpoint.verified(note: latest.note, verifiers: verifiers)
        guard old.origin == new.origin else { throw LedgerProblem("origin differs: \(old.origin) vs \(new.origin)") }
        guard old.size <= new.size else {
            throw LedgerProblem("the log shrank: saved checkpoint has \(old.size) entries, current \(new.size)")
        }
        if old.size == new.size {
            guard old.root == new.root else { throw LedgerProblem("same size \(old.size) but different roots: the log forked") }
        } else if old.size > 0 {
            let proof = try LogProver(size: new.size, source: hashes).consistencyProof(from: old.size)
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
    public func publishedFile(path: String) throws -> [UInt8]? {
        guard let cp = try store.latestCheckpoint() else { return nil }
        if path == "checkpoint" { return Array(cp.note.utf8) }
        guard let address = try? TilePath.parse(path) else { return nil }
        /// Whether a tile of `width` can be served when the tile has `current` hashes at the newest checkpoint.
        func servable(_ width: Int, _ current: Int) -> Bool { width == 256 ? current == 256 : width >= 1 && width <= current }
        switch address {
        case let .hashes(level, index, width):
            guard servable(width, Self.width(level: level, index: index, size: cp.size)) else { return nil }
            guard let tile = try store.tile(level: level, index: index), tile.width >= width else { return nil }
            return Array(tile.hashes.prefix(width * 32))
        case let .entries(index, width):
            guard servable(width, Self.width(level: 0, index: index, size: cp.size)) else { return nil }
            let start = index * 256
            return try EntryBundle.checkedEncode(try store.ledgerEntries(start..<(start + UInt64(width))))
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
    public func writeTiles(to directory: String) throws -> (files: Int, size: UInt64) {
        guard let cp = try store.latestCheckpoint() else { throw LedgerProblem("no signed checkpoint yet") }
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
                guard let bytes = try publishedFile(path: path) else { throw LedgerProblem("tile \(path) is missing from the store") }
                try put(path, bytes)
                if level == 0 {
                    let bundle = TilePath.entryBundle(index: index, width: w)
                    try put(bundle, try publishedFile(path: bundle)!)
                }
            }
            if count == 1 && Self.width(level: level, index: 0, size: cp.size) < 256 { break }
            level += 1
        }
        try put("checkpoint", Array(cp.note.utf8))
        return (files, cp.size)
    }

    /// Recomputes every leaf from the stored events and the whole tree, checks every stored hash, the store's
    /// columns against the entries, and every stored checkpoint's signature and root. Throws the first problem.
    ///
    /// `verifiers`: keys the caller trusts. Without them the key recorded in the store is used, which proves only
    /// self-consistency (the report says so).
    public func verify(verifiers: [NoteVerifier] = []) throws -> VerificationReport {
        let start = Date()
        var report = VerificationReport()
        let problems = try store.integrityProblems()
        if let first = problems.first { throw LedgerProblem("the store's database is damaged: \(first)") }

        // 1. Entries: contiguous, columns agree with the entry bytes, leaf hashes recomputed.
        var appender = TileAppender()
        var recomputed: [TileKey: (digest: LedgerHash, width: Int)] = [:]
        var pending: [LedgerHash] = []
        var expected: UInt64 = 0
        var stored0: Tile?
        var firstBad: LedgerProblem?
        // Lookup indexes: count and digest sum per table, expected (from the events) and stored.
        var expectedRows: [LookupRow.Table: (count: Int, sum: UInt64)] = [:]
        func flush() throws {
            for t in try appender.append(pending) {
                recomputed[TileKey(level: t.level, index: t.index)] = (MerkleHash.leaf(t.hashes), t.width)
            }
            pending.removeAll(keepingCapacity: true)
        }
        try store.forEachEvent { e in
            if firstBad != nil { return }
            guard e.seq == expected else {
                firstBad = LedgerProblem(index: expected, e.seq > expected
                    ? "missing: the next stored entry is \(e.seq) (deleted entries)"
                    : "entry \(e.seq) is out of order")
                return
            }
            if let problem = Self.columnProblem(e) {
                firstBad = LedgerProblem(index: e.seq, eventID: e.id, problem)
                return
            }
            if e.entry.count > EntryBundle.maxEntryLength {
                firstBad = LedgerProblem(index: e.seq, eventID: e.id, "entry has \(e.entry.count) bytes, more than the \(EntryBundle.maxEntryLength) an entry bundle can publish")
                return
            }
            for row in LookupRow.expected(for: e) {
                let c = expectedRows[row.table, default: (0, 0)]
                expectedRows[row.table] = (c.count + 1, c.sum &+ row.digest)
            }
            let leaf = MerkleHash.leaf(e.entry)
            // Compare with the stored level-0 tile.
            let tileIndex = e.seq / 256
            if stored0?.index != tileIndex { stored0 = try store.tile(level: 0, index: tileIndex) }
            let pos = Int(e.seq % 256)
            guard let t = stored0, t.width > pos else {
                firstBad = LedgerProblem(index: e.seq, eventID: e.id, "no stored hash for this entry (tiles truncated)")
                return
            }
            guard t.hash(at: pos) == leaf else {
                firstBad = LedgerProblem(index: e.seq, eventID: e.id, "entry bytes do not match the stored leaf hash (modified, swapped or reordered)")
                return
            }
            pending.append(leaf)
            if pending.count >= 65_536 { try flush() }
            expected += 1
        }
        if let firstBad { throw firstBad }
        try flush()
        report.entries = expected
        report.root = appender.root

        // 2. Every stored tile equals the recomputed one, and none is left over.
        var seen = 0
        try store.forEachTile { t in
            if firstBad != nil { return }
            let key = TileKey(level: t.level, index: t.index)
            guard let want = recomputed[key] else {
                firstBad = LedgerProblem(index: t.level == 0 ? t.index * 256 : nil,
                                         "stored tile \(t.path) is beyond the \(expected) entries present: entries were removed (truncation)")
                return
            }
            if t.width > want.width {
                firstBad = LedgerProblem(index: t.level == 0 ? t.index * 256 + UInt64(want.width) : nil,
                                         "stored tile \(t.path) records more hashes than the \(expected) entries present: entries were removed (truncation)")
                return
            }
            // A partial level-0 tile is not kept up to date (the store derives the rest from the entries); the hashes
            // a store does hold for it were compared one by one with the entries above.
            if t.level == 0, t.width < 256, t.width < want.width { return }
            guard MerkleHash.leaf(t.hashes) == want.digest else {
                let first = t.level == 0 ? t.index * 256 : nil
                firstBad = LedgerProblem(index: first, "stored tile \(t.path) does not match the tree recomputed from the entries")
                return
            }
            if t.level > 0 || t.width == 256 { seen += 1 }
        }
        if let firstBad { throw firstBad }
        // Every tile must be stored but a partial level-0 one, which the store derives from the entries.
        let required = recomputed.filter { $0.key.level > 0 || $0.value.width == 256 }.count
        guard seen == required else {
            throw LedgerProblem("\(required - seen) tiles of the recomputed tree are missing from the store")
        }
        report.tiles = seen

        // 2b. The lookup indexes hold exactly the rows the events call for (a removed row would hide an access
        // from a disclosure report or a staff timeline).
        var storedRows: [LookupRow.Table: (count: Int, sum: UInt64)] = [:]
        try store.forEachLookupRow { row in
            let c = storedRows[row.table, default: (0, 0)]
            storedRows[row.table] = (c.count + 1, c.sum &+ row.digest)
        }
        for table in LookupRow.Table.allCases {
            let want = expectedRows[table, default: (0, 0)]
            let have = storedRows[table, default: (0, 0)]
            guard want.count == have.count, want.sum == have.sum else {
                throw LedgerProblem("the lookup index by \(table.rawValue) does not match the entries (\(have.count) rows, "
                                    + "\(want.count) expected): rows were removed, added or altered")
            }
        }

        // 3. Checkpoints: signatures and roots.
        var keys = verifiers
        report.verifierFromCaller = !verifiers.isEmpty
        if keys.isEmpty, let recorded = try store.recordedVerifierKey() {
            keys = [try NoteVerifier(text: recorded)]
        }
        report.verifier = keys.first?.text
        for cp in try store.checkpoints() {
            guard !keys.isEmpty else { throw LedgerProblem("checkpoints are stored but no verifier key is known; pass --verifier-key") }
            let parsed: Checkpoint
            do {
                parsed = try Checkpoint.verified(note: cp.note, verifiers: keys)
            } catch {
                throw LedgerProblem("checkpoint of size \(cp.size): signature does not verify: \(error)")
            }
            guard parsed.size == cp.size, parsed.root == cp.root else {
                throw LedgerProblem("checkpoint of size \(cp.size): stored size/root differ from the signed note")
            }
            guard cp.size <= expected else {
                throw LedgerProblem(index: expected, "checkpoint of size \(cp.size) was signed but only \(expected) entries remain (truncation)")
            }
            let r = try root(size: cp.size)
            guard r == cp.root else {
                throw LedgerProblem("checkpoint of size \(cp.size): the stored entries give root \(r.base64), the signed root is \(cp.root.base64)")
            }
            report.checkpoints += 1
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    private struct TileKey: Hashable {
        var level: Int
        var index: UInt64
    }

    /// Whether the columns the store looks an event up by say the same as its entry.
    static func columnProblem(_ e: StoredEvent) -> String? {
        guard let v = try? JSONParser.parse(e.entry), case .object = v else { return "entry is not a JSON object" }
        func s(_ k: String) -> String? { v[k]?.stringValue }
        if s("id") != e.id { return "column id \"\(e.id)\" differs from the entry" }
        if s("type") != e.type { return "column type differs from the entry" }
        guard let at = s("at").flatMap({ Timestamp($0) }), at.millis == e.atMillis else { return "column at differs from the entry" }
        if s("staff") != e.staff { return "column staff differs from the entry" }
        if s("office") != e.office { return "column office differs from the entry" }
        if e.type == "access" {
            // What the audit, disclosure reports and notices read: an entry they cannot read back would be missing there.
            do throws(RecordError) {
                guard case .record(.access, _) = try RecordDecoder.decode(v, stored: true) else {
                    return "entry is filed as an access but is not one"
                }
            } catch {
                return "entry does not read back as an access event: \(error)"
            }
            if s("register") != e.register { return "column register differs from the entry" }
            if s("person") != e.person { return "column person differs from the entry" }
            if s("case") != e.caseID { return "column case differs from the entry" }
        }
        return nil
    }
}
