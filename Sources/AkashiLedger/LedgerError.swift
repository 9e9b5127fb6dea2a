/// An error from the ledger module: a stable ``Code`` to switch on and a plain English message naming what was
/// wrong.
public struct LedgerError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. Compare against the static members (`error.code == .inclusionProofFailed`); new codes may
    /// be added, so switch statements need a default case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformedHash
            case indexOutOfRange
            case inclusionProofFailed
            case consistencyProofFailed
            case missingTile
            case malformedTile
            case malformedTilePath
            case malformedEntryBundle
            case entryTooLarge
            case malformedKey
            case malformedNote
            case invalidSignature
            case noVerifiedSignature
            case malformedCheckpoint
            case malformedReceipt
            case treeTooLarge
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A hash was not exactly 32 bytes or not valid base64.
        public static let malformedHash = Code(.malformedHash)
        /// A leaf index, tree size or subtree position lies outside the tree.
        public static let indexOutOfRange = Code(.indexOutOfRange)
        /// An inclusion proof did not lead to the expected root, or had the wrong length.
        public static let inclusionProofFailed = Code(.inclusionProofFailed)
        /// A consistency proof did not reproduce both roots, had the wrong length, or the sizes are not provable.
        public static let consistencyProofFailed = Code(.consistencyProofFailed)
        /// A tile needed to answer a query is not (yet) stored, or is narrower than needed.
        public static let missingTile = Code(.missingTile)
        /// A stored tile's bytes are not a whole number of hashes or exceed 256 hashes.
        public static let malformedTile = Code(.malformedTile)
        /// A tile path does not follow C2SP tlog-tiles.
        public static let malformedTilePath = Code(.malformedTilePath)
        /// An entry bundle is truncated.
        public static let malformedEntryBundle = Code(.malformedEntryBundle)
        /// An entry is longer than 65,535 bytes and cannot go in an entry bundle.
        public static let entryTooLarge = Code(.entryTooLarge)
        /// A verifier or signer key text is malformed, or its key ID does not match its name and key.
        public static let malformedKey = Code(.malformedKey)
        /// A signed note does not follow C2SP signed-note.
        public static let malformedNote = Code(.malformedNote)
        /// A signature by a known key does not verify.
        public static let invalidSignature = Code(.invalidSignature)
        /// No signature on a note is from a known key.
        public static let noVerifiedSignature = Code(.noVerifiedSignature)
        /// A checkpoint body does not follow C2SP tlog-checkpoint.
        public static let malformedCheckpoint = Code(.malformedCheckpoint)
        /// A receipt does not follow C2SP tlog-proof.
        public static let malformedReceipt = Code(.malformedReceipt)
        /// Appending would overflow the 64-bit tree size.
        public static let treeTooLarge = Code(.treeTooLarge)

        /// The code's name, e.g. `inclusionProofFailed`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A plain English sentence naming what was wrong.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message, prefixed by the code.
    public var description: String { "\(code): \(message)" }
}
