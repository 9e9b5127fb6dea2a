import AkashiStorage
import Foundation
import NIOCore
import PostgresNIO

/// Rows in PostgreSQL's text `COPY … FROM STDIN` format (https://www.postgresql.org/docs/current/sql-copy.html,
/// "Text Format"): columns separated by a tab, rows ended by a newline, `\N` for NULL.
///
/// In a text value a backslash, tab, newline and carriage return are written as `\\`, `\t`, `\n` and `\r`; every
/// other character is itself (UTF-8), so an empty string stays an empty string and the text `\N` is written `\\N`,
/// never NULL. PostgreSQL's text cannot hold NUL at all, so a value containing one is refused here
/// (``CopyTextError``), as the server refuses it as a bound parameter. `bytea` is written in its escape format,
/// printable ASCII as itself and every other byte as three octal digits: ASCII only, so no encoding conversion between
/// client and server can touch a ledger entry's bytes, and a third smaller than hex for an access event's entry (the
/// server parses it faster: 0.74 s against 1.0 s for 255,739 events, before the indexes).
///
/// postgres-nio 1.33.2 sends `COPY FROM STDIN` in text format only (no binary COPY), hence this encoder.
struct CopyTextRows {
    /// The encoded rows, in chunks of about ``chunkBytes`` (each chunk ends at a row's end).
    private(set) var chunks: [ByteBuffer] = []
    private var buffer: ByteBuffer
    private var fieldsInRow = 0
    /// Rows ended so far.
    private(set) var count = 0
    let chunkBytes: Int

    init(chunkBytes: Int = 1 << 20) {
        self.chunkBytes = chunkBytes
        buffer = ByteBufferAllocator().buffer(capacity: chunkBytes + (chunkBytes >> 2))
    }

    // MARK: Fields

    /// A text value, escaped. Throws for a NUL character (PostgreSQL's text cannot hold one).
    mutating func text(_ s: String) throws {
        separate()
        var s = s
        try s.withUTF8 { try writeEscaped($0) }
    }

    /// A text value, or NULL for `nil`.
    mutating func text(_ s: String?) throws {
        if let s { try text(s) } else { null() }
    }

    /// NULL.
    mutating func null() {
        separate()
        buffer.writeInteger(UInt8(ascii: "\\"))
        buffer.writeInteger(UInt8(ascii: "N"))
    }

    /// An integer in decimal (for `bigint` and `integer` columns).
    mutating func int(_ v: Int64) {
        separate()
        if v < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var m = v.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var k = 20
            repeat {
                k -= 1
                digits[k] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
            } while m > 0
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: digits[k...])))
        }
    }

    /// A `bytea` value, any bytes, in `bytea`'s escape format.
    mutating func bytea(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bytea($0) }
    }

    /// A `bytea` value: the buffer's readable bytes.
    mutating func bytea(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { bytea($0) }
    }

    /// Printable ASCII but the backslash is itself; a backslash is `\\` and any other byte `\ooo` (three octal
    /// digits) for `bytea`, each backslash doubled once more for COPY. So the field holds neither a tab, a newline nor
    /// a byte above 0x7E, and never starts with the `\x` of the hex format.
    private mutating func bytea(_ bytes: UnsafeRawBufferPointer) {
        separate()
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 5 * bytes.count) { out in
            var k = 0
            for b in bytes {
                if b >= 0x20 && b <= 0x7E && b != 0x5C {
                    out[k] = b
                    k += 1
                } else if b == 0x5C {
                    for j in 0..<4 { out[k + j] = UInt8(ascii: "\\") }
                    k += 4
                } else {
                    out[k] = UInt8(ascii: "\\")
                    out[k + 1] = UInt8(ascii: "\\")
                    out[k + 2] = UInt8(ascii: "0") + (b >> 6)
                    out[k + 3] = UInt8(ascii: "0") + ((b >> 3) & 7)
                    out[k + 4] = UInt8(ascii: "0") + (b & 7)
                    k += 5
                }
            }
            return k
        }
    }

    /// Ends the current row.
    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        fieldsInRow = 0
        count += 1
        if buffer.readableBytes >= chunkBytes {
            chunks.append(buffer)
            buffer = ByteBufferAllocator().buffer(capacity: chunkBytes + (chunkBytes >> 2))
        }
    }

    /// Every chunk, the last (partial) one included; the rows must all have been ended.
    func finished() -> [ByteBuffer] {
        precondition(fieldsInRow == 0, "a COPY row was left unended")
        return buffer.readableBytes > 0 ? chunks + [buffer] : chunks
    }

    // MARK: Encoding

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }

    private mutating func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>) throws {
        // Runs of plain bytes are copied whole; only the four special bytes (and NUL) break a run.
        var start = 0
        for k in 0..<utf8.count {
            let escaped: UInt8
            switch utf8[k] {
            case 0x5C: escaped = UInt8(ascii: "\\")
            case 0x09: escaped = UInt8(ascii: "t")
            case 0x0A: escaped = UInt8(ascii: "n")
            case 0x0D: escaped = UInt8(ascii: "r")
            case 0x00: throw CopyTextError.nul
            default: continue
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start..<k])))
            buffer.writeInteger(UInt8(ascii: "\\"))
            buffer.writeInteger(escaped)
            start = k + 1
        }
        buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start...])))
    }
}

/// A value the text COPY format cannot carry.
enum CopyTextError: Error, CustomStringConvertible {
    /// PostgreSQL's text type cannot hold a NUL character, in any form of input.
    case nul

    var description: String {
        switch self {
        case .nul: "a text value contains a NUL character, which PostgreSQL's text cannot hold"
        }
    }
}

extension BlockingSession {
    /// `COPY table(columns) FROM STDIN` in text format, of rows encoded by ``CopyTextRows``, in this session (and its
    /// open transaction, if any). The names are static strings, the store's own constants: postgres-nio puts them into
    /// the statement as given, so they can never come from data. A row the server refuses (a constraint, a missing
    /// partition, a trigger) fails the whole statement: nothing of it is written, and an open transaction can then
    /// only roll back.
    func copy(into table: StaticString, columns: [StaticString], _ rows: CopyTextRows) throws {
        guard rows.count > 0 else { return }
        let chunks = rows.finished()
        let (connection, logger) = (self.connection, self.logger)
        let (name, names) = (table.description, columns.map(\.description))
        do {
            // copyFrom is async; its awaits run on this (blocking) thread, as every other wait of this session does.
            try StoreThreads.wait {
                try await connection.copyFrom(table: name, columns: names, format: .text(.init()), logger: logger) { writer in
                    for chunk in chunks { try await writer.write(chunk) }
                }
            }
        } catch {
            let refused = Connections.storeError(error, location: location, during: "COPY into \(name)")
            // The server names the row it refused in the error's context: "COPY event, line 201[, column …]".
            if let context = (error as? PSQLError)?.serverInfo?[.locationContext], let line = Self.copyLine(context, table: name) {
                throw CopyRowError(row: line - 1, error: refused)
            }
            throw refused
        }
    }

    /// The line of the COPY data a server error's context names (1 for the first row), if it names one.
    static func copyLine(_ context: String, table: String) -> Int? {
        guard let at = context.range(of: "COPY \(table), line ") else { return nil }
        let digits = context[at.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return Int(digits).flatMap { $0 > 0 ? $0 : nil }
    }
}

/// A COPY the server refused at one of its rows: `row` counts from 0 in the order the rows were encoded.
struct CopyRowError: Error {
    let row: Int
    let error: StoreError
}
