import AkashiLedger
import AkashiSQLite
import AkashiStorage
import AkashiDomain
import ArgumentParser
import Foundation

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "The verifiable access ledger: keys, checkpoints, receipts, proofs, tiles, verification.",
        subcommands: [
            Keygen.self, CheckpointCommand.self, ReceiptCommand.self, EntryCommand.self, ConsistencyCommand.self,
            TilesCommand.self, VerifyCommand.self, CheckCommand.self, StressAppend.self,
        ]
    )
}

/// Loads the signing key, refusing one stored inside the store or readable by others.
func loadSigner(path: String, store: String?) throws -> NoteSigner {
    let keyURL = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
    if let store {
        let storeURL = URL(fileURLWithPath: store).standardizedFileURL.resolvingSymlinksInPath()
        if keyURL.path.hasPrefix(storeURL.path + "/") {
            throw ValidationError("--key \(path): the signing key must not be kept inside the store directory")
        }
    }
    let data = try readFileArgument(path, option: "--key")
    if let mode = (try? FileManager.default.attributesOfItem(atPath: keyURL.path))?[.posixPermissions] as? Int,
       mode & 0o077 != 0 {
        throw ValidationError("--key \(path): readable by others (mode \(String(mode, radix: 8))); run chmod 600 on it")
    }
    guard let raw = String(validating: data, as: UTF8.self) else {
        throw ValidationError("--key \(path): not an Akashi signing key (the file is not text)")
    }
    let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    do {
        return try NoteSigner(privateKeyText: text)
    } catch {
        // Never echo the key text.
        throw ValidationError("--key \(path): not an Akashi signing key (PRIVATE+KEY+<name>+<id>+<key>)")
    }
}

/// Parses verifier keys given on the command line or as files.
func loadVerifiers(_ keys: [String]) throws -> [NoteVerifier] {
    try keys.map { k in
        var text = k
        let isFile = FileManager.default.fileExists(atPath: k)
        if isFile {
            text = try readTextArgument(k, option: "--verifier-key").trimmingCharacters(in: .whitespacesAndNewlines)
        } else if !k.contains("+") {
            // Neither a file nor key text (every key has a +, so this quotes no key).
            throw ValidationError("--verifier-key \(k): no such file, and not a verifier key (<name>+<key ID>+<key>)")
        }
        do {
            return try NoteVerifier(text: text)
        } catch let e as LedgerError {
            // The message never quotes the key text (it may be a private key given by mistake); a file is named.
            throw ValidationError("--verifier-key\(isFile ? " " + k : ""): \(e.message)")
        }
    }
}

/// Reads the file an option names (`-` for standard input when `stdin` is allowed); a missing file, a directory or
/// an unreadable file is an argument error naming the option and the file, never Foundation's error text.
func readFileArgument(_ path: String, option: String, stdin: Bool = false) throws -> Data {
    if stdin && path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ValidationError("\(option) \(path): no such file")
    }
    guard !isDirectory.boolValue else { throw ValidationError("\(option) \(path): is a directory, not a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(option) \(path): cannot read the file (permissions?)")
    }
    return data
}

/// Reads a text file an option names (`-` for standard input when `stdin` is allowed), as ``readFileArgument``;
/// text that is not UTF-8 is an argument error too.
func readTextArgument(_ path: String, option: String, stdin: Bool = false) throws -> String {
    let data = try readFileArgument(path, option: option, stdin: stdin)
    guard let text = String(validating: data, as: UTF8.self) else {
        throw ValidationError("\(option) \(path): not a text file (not UTF-8)")
    }
    return text
}

extension LedgerCommand {
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a signing key; print its verifier key (publish it).",
            discussion: "The private key file is written with mode 0600. Keep it outside the store.")

        @Option(help: "The log's origin, e.g. ledger.city.osaka.example/akashi (no spaces, no '+').")
        var name: String

        @Option(help: "Where to write the private key.")
        var out: String

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: out) else {
                throw ValidationError("--out \(out): exists already; refusing to overwrite a key")
            }
            let signer: NoteSigner
            do { signer = try NoteSigner.generate(name: name) } catch { throw ValidationError("--name: \(error)") }
            guard FileManager.default.createFile(atPath: out, contents: Data((signer.privateKeyText + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("--out \(out): cannot create the file")
            }
            print(signer.verifier.text)
        }
    }

    struct CheckpointCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint", abstract: "Print the latest signed checkpoint (with --key: sign a new one first).")
        @OptionGroup var options: StoreOptions
        @Option(help: "Signing key file: sign a checkpoint of the current tree first.")
        var key: String?

        func run() async throws {
            let store = try options.open()
            let service = LedgerService(store: store)
            if let key { try await service.signCheckpoint(with: loadSigner(path: key, store: options.store)) }
            guard let cp = try await store.latestCheckpoint() else {
                throw ValidationError("no signed checkpoint in \(options.store) yet: import or run this with --key")
            }
            print(cp.note, terminator: "")
        }
    }

    struct ReceiptCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receipt", abstract: "Print the C2SP tlog-proof receipt of an event against the latest checkpoint.")
        @OptionGroup var options: StoreOptions
        @Option(help: "Event ID.")
        var event: String

        func run() async throws {
            let store = try options.openForReading()
            do {
                await print(try LedgerService(store: store).receipt(eventID: event).receipt.text, terminator: "")
            } catch let p as LedgerProblem {
                throw ValidationError(p.description)
            }
        }
    }

    struct EntryCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "entry", abstract: "Print the exact ledger entry bytes of an event.")
        @OptionGroup var options: StoreOptions
        @Option(help: "Event ID.")
        var event: String

        func run() async throws {
            let store = try options.openForReading()
            guard let index = try await store.ledgerIndex(ofEvent: event) else { throw ValidationError("no event with ID \(event)") }
            await FileHandle.standardOutput.write(Data(try store.ledgerEntries(index..<(index + 1))[0]))
        }
    }

    struct ConsistencyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consistency", abstract: "Print the consistency proof (base64, one hash a line) from a size to the latest checkpoint.")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("from-size"), help: "The older tree size.")
        var fromSize: UInt64

        func run() async throws {
            let store = try options.openForReading()
            do {
                let (proof, _) = try await LedgerService(store: store).consistencyProof(from: fromSize)
                for h in proof { print(h.base64) }
            } catch let p as LedgerProblem {
                throw ValidationError(p.description)
            }
        }
    }

    struct TilesCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tiles", abstract: "Write the log as C2SP tlog-tiles static files (checkpoint, tile/…).",
            discussion: """
                tile/entries/ holds the entries themselves (clerks' search queries, case details, reasons, residents' \
                IP addresses): keep it for operators and auditors and never put it on a public host. The checkpoint and \
                the hash tiles tile/<L>/… are all an inclusion or consistency proof needs and may be published.
                """)
        @OptionGroup var options: StoreOptions
        @Option(help: "Directory to write to.")
        var out: String

        func run() async throws {
            let store = try options.openForReading()
            let (files, size) = try await LedgerService(store: store).writeTiles(to: out)
            print("wrote \(grouped(files)) files for \(grouped(size)) entries to \(out)")
            warn("note: \(out)/tile/entries holds personal data: do not publish it (only checkpoint and tile/<L>/ are public; docs/ledger.md)")
        }
    }

    struct VerifyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute every leaf and the whole tree; check every stored hash and checkpoint signature.",
            discussion: "Exits 1 on any modification, deletion, reordering or truncation, naming every kind of problem found (how many, the first and last entry, an example), and which are known to be harmless to the entries.")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("verifier-key"), help: "A verifier key you trust (text or file); repeatable.")
        var verifierKey: [String] = []

        func run() async throws {
            let verifiers = try loadVerifiers(verifierKey)
            let store = try options.openForReading()
            do {
                let r = try await LedgerService(store: store).verify(verifiers: verifiers)
                print("ok: \(grouped(r.entries)) entries, \(grouped(r.tiles)) tiles, \(r.checkpoints) checkpoints; root \(r.root.base64) (\(String(format: "%.2f", r.seconds)) s)")
                if r.checkpoints > 0 && !r.verifierFromCaller {
                    print("note: signatures were checked against the key recorded in the store; pass --verifier-key with the published key to trust them")
                }
                if r.lookupRowsPending > 0 {
                    print("note: the lookup indexes of the last \(grouped(r.lookupRowsPending)) events were not compared: an import stopped before indexing them, and the next command that writes to the store (an import, serve) makes them")
                }
            } catch {
                warn("verification FAILED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct CheckCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "A witness's check: the current log extends a checkpoint saved earlier.")
        @OptionGroup var options: StoreOptions
        @Option(help: "File with the saved signed checkpoint ('-' for standard input).")
        var old: String
        @Option(name: .customLong("verifier-key"), help: "The log's verifier key (text or file).")
        var verifierKey: [String] = []

        func run() async throws {
            let store = try options.openForReading()
            var verifiers = try loadVerifiers(verifierKey)
            if verifiers.isEmpty, let k = try await store.recordedVerifierKey() { verifiers = [try NoteVerifier(text: k)] }
            // An --old that cannot be read or is no signed checkpoint is an unusable argument (exit 2); exit 1 is
            // kept for a log that fails the check (a bad signature, a shrunk or forked log).
            let oldNote = try readTextArgument(old, option: "--old", stdin: true)
            do {
                _ = try Checkpoint(text: try SignedNote(parsing: oldNote).text)
            } catch let e as LedgerError {
                throw ValidationError("--old \(old): not a signed checkpoint note: \(e.message)")
            }
            do {
                let (o, n) = try await LedgerService(store: store).check(old: oldNote, verifiers: verifiers)
                print("ok: checkpoint \(grouped(o.size)) is extended by the current checkpoint \(grouped(n.size))")
            } catch {
                warn("check FAILED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    /// Appends journal events in durable batches and prints `acked <size>` after each commit. Used by the
    /// kill -9 durability test; harmless otherwise (it only appends).
    struct StressAppend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stress-append", abstract: "Append test events in durable batches, printing each acknowledged size.",
            shouldDisplay: false)
        @OptionGroup var options: NewStoreOptions
        @Option var batches = 1000
        @Option var batchSize = 50

        func run() async throws {
            let store = try options.open()
            let tag = UUID().uuidString.prefix(8)
            for b in 0..<batches {
                let events = (0..<batchSize).map { k in
                    JournalEventFactory.test(id: "X\(tag)-\(b)-\(k)")
                }
                let indexes = try await store.appendJournal(events)
                FileHandle.standardOutput.write(Data("acked \(indexes.last! + 1)\n".utf8))
            }
        }
    }
}
