/// One way into the event log: which lookup to read through, over which period.
///
/// The lookups are the ones every store keeps for its events (by staff and time, register and time, person and
/// time, case, office and day, and the registers a search listed): a selection names the lookup and its key, never
/// a table, so a store may answer it from index tables today and from sorted runs beside entry bundles later.
public struct EventSelection: Sendable, Hashable {
    /// The lookup and its key.
    public enum Key: Sendable, Hashable {
        /// Events by this staff member.
        case staff(String)
        /// Events that name this register.
        case register(String)
        /// Events that name this person.
        case person(String)
        /// Events that name this case.
        case `case`(String)
        /// Events at this office.
        case office(String)
        /// Searches whose result list names this register.
        case searchResult(String)
    }

    public var key: Key
    /// Events at or after this instant (epoch milliseconds) …
    public var fromMillis: Int64
    /// … and before this one.
    public var toMillis: Int64
    /// Only searches that opened no register (events that name none).
    public var searchesOnly: Bool

    /// A selection over `[fromMillis, toMillis)`; the whole log when no period is given.
    public init(_ key: Key, fromMillis: Int64 = .min, toMillis: Int64 = .max, searchesOnly: Bool = false) {
        self.key = key
        self.fromMillis = fromMillis
        self.toMillis = toMillis
        self.searchesOnly = searchesOnly
    }
}

/// The one way to read the event log: entries by ledger index, and access events through the lookups
/// (``EventSelection``). Every read returns entries with their ledger index, in ledger order, each once; callers
/// never learn how the store finds them.
public protocol EventLogReader: AnyObject, Sendable {
    /// Entry bytes for the ledger indexes `range` (every event type), in order.
    func ledgerEntries(_ range: Range<UInt64>) async throws -> [[UInt8]]
    /// The ledger index of the event with this ID: any event, an access or one of Akashi's own journal events.
    func ledgerIndex(ofEvent id: String) async throws -> UInt64?
    /// Up to `limit` access events with ledger index ≥ `from`, in ledger order.
    func accessEvents(from: UInt64, limit: Int) async throws -> [LedgerEntryRow]
    /// The access events that any of `selections` selects, with ledger index < `below` (all when `nil`): each once,
    /// in ledger order. No selection, no events.
    func accessEvents(_ selections: [EventSelection], below: UInt64?) async throws -> [LedgerEntryRow]
}

/// One stored event: its ledger index and exact entry bytes.
public struct LedgerEntryRow: Sendable, Hashable {
    public var seq: UInt64
    public var entry: [UInt8]
    public init(seq: UInt64, entry: [UInt8]) {
        self.seq = seq
        self.entry = entry
    }
}
