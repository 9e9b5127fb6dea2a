import AkashiSQLite
import AkashiStorage
import AkashiWeb
import Foundation
import Testing

/// The built `akashi` executable (beside the test bundle, or AKASHI_BIN).
private func akashiBinary() throws -> String {
    if let env = ProcessInfo.processInfo.environment["AKASHI_BIN"] { return env }
    var root = URL(fileURLWithPath: #filePath)
    while root.path != "/" && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
        root.deleteLastPathComponent()
    }
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent().path
    for candidate in [bundleDir + "/akashi", root.path + "/.build/debug/akashi"]
    where FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "akashi was not built beside the tests (set AKASHI_BIN)"])
}

@Suite("akashi account set-password: what it accepts")
struct SetPasswordCLITests {
    @Test("only spaces, a line break inside and invalid UTF-8 are refused (exit 2); ordinary passwords are set")
    func passwords() async throws {
        let dir = NSTemporaryDirectory() + "akashi-set-password-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/staff.jsonl"
        try Data((#"{"type":"office","code":"27108","name":"大正区役所","municipality":"27100"}"# + "\n"
            + #"{"type":"staff","id":"S0412","name":"山田 花子","role":"clerk","assignments":[{"office":"27108","duty":"koseki","from":"2009-04-01","to":null}]}"#
            + "\n").utf8).write(to: URL(fileURLWithPath: input))
        let storeDir = dir + "/store"
        _ = try await Importer(store: try SQLiteStore(directory: storeDir)).run(files: [input])
        let binary = try akashiBinary()

        func set(_ stdin: Data) throws -> (status: Int32, err: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["account", "set-password", "--store", storeDir, "--staff", "S0412"]
            let inPipe = Pipe(), errPipe = Pipe()
            p.standardInput = inPipe
            p.standardError = errPipe
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            inPipe.fileHandleForWriting.write(stdin)
            try inPipe.fileHandleForWriting.close()
            let err = errPipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: err, as: UTF8.self))
        }
        func storedHash() throws -> String? { try SQLiteStore(directory: storeDir).account(staff: "S0412")?.passwordHash }

        for (stdin, message) in [
            (Data("            \n".utf8), "must not be only spaces"),
            (Data((String(repeating: "\u{3000}", count: 10) + "\n").utf8), "must not be only spaces"),
            (Data("first-line\nsecond-line\n".utf8), "must be one line"),
            (Data("first-line\rsecond-line".utf8), "must be one line"),
            (Data("correct horse\n\n".utf8), "must be one line"),
            (Data("password\u{7}bell".utf8), "must be one line"),
            (Data("long-enough-pass".utf8) + Data([0xFF, 0xFE]), "not valid UTF-8"),
            (Data("\n".utf8), "the password is empty"),
            (Data("short\n".utf8), "at least 10 characters"),
        ] {
            let r = try set(stdin)
            #expect(r.status == 2, "\(Array(stdin)): \(r.status) \(r.err)")
            #expect(r.err.contains(message), "\(Array(stdin)): \(r.err)")
        }
        #expect(try storedHash() == nil)
        for password in ["correct horse battery", "戸籍の合言葉はあかしです", "  spaces around  "] {
            for ending in ["", "\n", "\r\n"] {
                let r = try set(Data((password + ending).utf8))
                #expect(r.status == 0, "\(password): \(r.err)")
                let hash = try #require(try storedHash())
                #expect(PasswordHasher.verify(password, hash: hash), "\(password)\(Array(ending.utf8))")
            }
        }
    }
}
