import AkashiInterchange
import Foundation

/// A fresh temporary directory, removed at the end of the scope.
func withTempDir<T>(_ body: (String) throws -> T) throws -> T {
    let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

/// ``withTempDir(_:)`` for a body that reads a store through its async capabilities.
func withTempDir<T>(_ body: (String) async throws -> T) async throws -> T {
    let dir = NSTemporaryDirectory() + "akashi-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try await body(dir)
}

/// Writes lines to a file (gzip when the name ends in .gz).
func writeLines(_ path: String, _ lines: [String]) throws {
    let w = try LineWriter(path: path)
    for l in lines { try w.write(line: Array(l.utf8)) }
    try w.close()
}

/// Reads every file of an export directory: name → contents.
func readExport(_ dir: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for f in try FileManager.default.contentsOfDirectory(atPath: dir) {
        out[f] = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
    }
    return out
}

enum Sample {
    static let office = #"{"type":"office","code":"27108","name":"大正区役所","municipality":"27100"}"#
    static let office2 = #"{"type":"office","code":"27127","name":"北区役所","municipality":"27100"}"#
    static let staff = #"{"type":"staff","id":"S0412","name":"山田 花子","role":"clerk","assignments":[{"office":"27108","duty":"koseki","from":"2009-04-01","to":"2013-03-31"}],"person":"P0092771"}"#
    static let register = #"{"type":"register","id":"R0031877","kind":"current","honseki":"大阪市北区西天満二丁目1番","office":"27127","head":"P0092771","members":["P0092771"],"opened":"2010-02-22","predecessors":[],"successors":[]}"#
    static let person = #"{"type":"person","id":"P0092771","name":"浪花 一郎","kana":"なにわ いちろう","birth":"1969-06-29","sex":"M","register":"R0031877"}"#
    static let protection = #"{"type":"protection","person":"P0092771","kind":"vip","from":"2008-02-06","note":"市長"}"#
    static let kase = #"{"type":"case","id":"C2011-27108-001234","office":"27108","kind":"certificate.full","requester":"self","received":"2011-03-11T10:02:00+09:00","status":"done","staff":["S0412"],"registers":["R0031877"],"persons":["P0092771"]}"#
    static func access(_ n: Int, register: String = "R0031877") -> String {
        #"{"type":"access","id":"E\#(n)","at":"2011-03-11T10:\#(String(format: "%02d", n % 60)):00+09:00","staff":"S0412","office":"27108","action":"view","record":"current","register":"\#(register)"}"#
    }
    static let selfReport = #"{"type":"self_report","survey":"2014-02","staff":"S0412","declares":"none"}"#
    static var all: [String] { [office, office2, staff, register, person, protection, kase, access(1), access(2), selfReport] }
}

/// Runs the built `akashi` with `args` and `stdin`; returns (exit status, standard output, standard error).
/// Waits on a thread of its own, not on one of the few cooperative threads that every other test needs (a PostgreSQL
/// import and audit through the CLI takes long enough to stall them).
func runAkashi(_ args: [String], stdin: Data? = nil, environment: [String: String?] = [:]) async throws
    -> (status: Int32, out: String, err: String) {
    try await onThread { try runAkashiBlocking(args, stdin: stdin, environment: environment) }
}

/// Runs blocking work (waiting for child processes) on a thread of its own and awaits it.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in Thread { c.resume(with: Result { try body() }) }.start() }
}

func runAkashiBlocking(_ args: [String], stdin: Data? = nil, environment: [String: String?] = [:]) throws
    -> (status: Int32, out: String, err: String) {
    try runProcessBlocking(try akashiExecutable(), args, stdin: stdin, environment: environment)
}

/// Runs a program to its end: its exit status, standard output and standard error.
func runProcessBlocking(_ executable: String, _ args: [String], stdin: Data? = nil, environment: [String: String?] = [:]) throws
    -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    if !environment.isEmpty {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
    }
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    input.fileHandleForWriting.write(stdin ?? Data())
    try input.fileHandleForWriting.close()
    // Read both pipes at once so that neither can fill up and block the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
