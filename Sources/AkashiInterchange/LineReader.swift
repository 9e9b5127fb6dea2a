import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reading or writing an interchange file, naming the file.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// A run of complete lines read from a file: one buffer and where each line starts.
public struct LineBatch: Sendable {
    /// The bytes of the lines, each ending in `\n` except possibly the file's last.
    public var bytes: [UInt8]
    /// Start offset of each line in ``bytes``; the line ends before the next start (or at the end), minus its `\n`.
    public var starts: [Int]
    /// The 1-based line number of the first line.
    public var firstLine: Int

    /// The byte range of line `k` without its line end.
    public func range(_ k: Int) -> Range<Int> {
        let s = starts[k]
        var e = k + 1 < starts.count ? starts[k + 1] : bytes.count
        if e > s, bytes[e - 1] == 0x0A { e -= 1 }
        return s..<e
    }

    public var count: Int { starts.count }
}

/// Reads a `.jsonl` or `.jsonl.gz` file as batches of lines, streaming: memory stays at one chunk whatever the size.
///
/// Gzip is recognised by its magic bytes, so a misnamed file still reads; concatenated gzip members are read in turn.
public final class LineReader {
    public let path: String
    private let fd: Int32
    private var pending: [UInt8] = []
    private var nextLine = 1
    private var eof = false
    private var inflater: Inflater?
    private var raw = [UInt8](repeating: 0, count: 1 << 20)
    /// Size of the file on disk, in bytes.
    public let fileSize: Int64
    /// Bytes of the file consumed so far (compressed bytes for gzip), for progress.
    public private(set) var consumed: Int64 = 0
    /// The error that stopped reading part-way (damaged or truncated gzip data, a failed read), once met.
    /// ``next(targetBytes:)`` first returns every complete line read before it, then throws it (on every later call too).
    public private(set) var failure: FileError?
    /// The number of the last line returned so far (0 before the first batch).
    public var lastLine: Int { nextLine - 1 }
    /// After a ``failure``: the bytes of the line that was being read when it happened, incomplete (empty if none).
    public var incompleteLine: [UInt8] { failure == nil ? [] : pending }

    /// Opens a file for reading.
    public init(path: String) throws(FileError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        self.fd = fd
        var st = stat()
        fileSize = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw FileError(path: path, "is a directory")
        }
    }

    deinit { close(fd) }

    private func readRaw() throws(FileError) -> Int {
        let n = raw.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw FileError(path: path, "read failed: \(String(cString: strerror(errno)))") }
        consumed += Int64(n)
        return n
    }

    /// Reads up to about `targetBytes` of whole lines; `nil` at the end of the file.
    ///
    /// When reading fails part-way (see ``failure``), the complete lines read before the failure still come back
    /// as a last batch; the call after it throws the failure, and ``incompleteLine`` holds the line it cut off.
    public func next(targetBytes: Int = 4 << 20) throws(FileError) -> LineBatch? {
        if let failure { throw failure }
        while !eof && pending.count < targetBytes {
            do {
                try fill()
            } catch {
                failure = error
                break
            }
        }
        if let failure {
            // Only whole lines: the bytes after the last newline are a line the failure cut off.
            guard let last = pending.lastIndex(of: 0x0A) else { throw failure }
            return take(last + 1)
        }
        guard !pending.isEmpty else { return nil }
        // Cut at the last newline (or take everything at EOF).
        var cut = pending.count
        if !eof {
            guard let last = pending.lastIndex(of: 0x0A) else {
                // One line longer than the chunk: keep reading until it ends.
                return try next(targetBytes: targetBytes * 2)
            }
            cut = last + 1
        }
        return take(cut)
    }

    /// Reads one chunk of the file into ``pending`` (decompressed when gzip); sets `eof` at the end.
    private func fill() throws(FileError) {
        let n = try readRaw()
        if consumed == Int64(n), n >= 2, raw[0] == 0x1F, raw[1] == 0x8B {
            inflater = try Inflater(path: path)
        }
        if n == 0 {
            eof = true
            if let inflater { try inflater.finish() }
            return
        }
        if let inflater {
            try raw.withUnsafeBufferPointer { (b) throws(FileError) in
                try inflater.inflate(UnsafeBufferPointer(rebasing: b[0..<n]), into: &pending)
            }
        } else {
            pending.append(contentsOf: raw[0..<n])
        }
    }

    /// Takes the first `cut` bytes of ``pending`` as a batch of lines.
    private func take(_ cut: Int) -> LineBatch {
        var bytes = Array(pending[0..<cut])
        pending.removeFirst(cut)
        var starts: [Int] = [0]
        bytes.withUnsafeBufferPointer { b in
            var k = 0
            while k < b.count {
                if let p = memchr(b.baseAddress! + k, 0x0A, b.count - k) {
                    let off = b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
                    if off + 1 < b.count { starts.append(off + 1) }
                    k = off + 1
                } else { break }
            }
        }
        if bytes.isEmpty { starts = [] }
        let batch = LineBatch(bytes: bytes, starts: starts, firstLine: nextLine)
        nextLine += starts.count
        bytes = []
        return batch
    }
}

/// Streaming gzip decompression through zlib.
final class Inflater {
    // zlib keeps a pointer back to its z_stream, so the stream lives at one fixed heap address.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let path: String
    private var ended = false
    private var out = [UInt8](repeating: 0, count: 1 << 18)

    init(path: String) throws(FileError) {
        self.path = path
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw FileError(path: path, "cannot start gzip decompression (zlib \(rc))") }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func inflate(_ input: UnsafeBufferPointer<UInt8>, into sink: inout [UInt8]) throws(FileError) {
        guard input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.pointee.avail_in = UInt32(input.count)
        while stream.pointee.avail_in > 0 {
            if ended {
                // Another gzip member follows (concatenated .gz files).
                inflateReset(stream)
                ended = false
            }
            let rc: Int32 = out.withUnsafeMutableBufferPointer { o in
                stream.pointee.next_out = o.baseAddress
                stream.pointee.avail_out = UInt32(o.count)
                return CZlib.inflate(stream, Z_NO_FLUSH)
            }
            let produced = out.count - Int(stream.pointee.avail_out)
            sink.append(contentsOf: out[0..<produced])
            switch rc {
            case Z_STREAM_END: ended = true
            case Z_OK, Z_BUF_ERROR: continue
            default:
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
                throw FileError(path: path, "gzip data is corrupt: \(msg)")
            }
        }
    }

    func finish() throws(FileError) {
        guard ended else { throw FileError(path: path, "gzip data ends early (truncated file)") }
    }
}

/// Writes lines to a file, plain or gzip-compressed (when the path ends in `.gz`), with a large buffer.
public final class LineWriter {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    // Heap-allocated for the same reason as the inflater's stream.
    private var deflater: UnsafeMutablePointer<z_stream>?
    private var out = [UInt8](repeating: 0, count: 1 << 18)
    private var closed = false

    /// Creates (or truncates) the file.
    public init(path: String) throws(FileError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, "cannot create: \(String(cString: strerror(errno)))") }
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
        if path.hasSuffix(".gz") {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            let rc = deflateInit2_(s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else {
                s.deallocate()
                throw FileError(path: path, "cannot start gzip compression (zlib \(rc))")
            }
            deflater = s
        }
    }

    deinit {
        if !closed { try? close() }
    }

    /// Appends one line; a `\n` is added.
    public func write(line: [UInt8]) throws(FileError) {
        buffer.append(contentsOf: line)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush(final: false) }
    }

    /// Appends raw bytes as they are.
    public func write(bytes: some Sequence<UInt8>) throws(FileError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush(final: false) }
    }

    private func writeAll(_ b: UnsafeBufferPointer<UInt8>) throws(FileError) {
        var off = 0
        while off < b.count {
            let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
            guard n > 0 else { throw FileError(path: path, "write failed: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    private func flush(final: Bool) throws(FileError) {
        guard let z = deflater else {
            try buffer.withUnsafeBufferPointer { (b) throws(FileError) in try writeAll(b) }
            buffer.removeAll(keepingCapacity: true)
            return
        }
        try buffer.withUnsafeMutableBufferPointer { (b) throws(FileError) in
            z.pointee.next_in = b.baseAddress
            z.pointee.avail_in = UInt32(b.count)
            while true {
                let rc: Int32 = out.withUnsafeMutableBufferPointer { o in
                    z.pointee.next_out = o.baseAddress
                    z.pointee.avail_out = UInt32(o.count)
                    return deflate(z, final ? Z_FINISH : Z_NO_FLUSH)
                }
                let produced = out.count - Int(z.pointee.avail_out)
                try out.withUnsafeBufferPointer { (o) throws(FileError) in
                    try writeAll(UnsafeBufferPointer(rebasing: o[0..<produced]))
                }
                if final { if rc == Z_STREAM_END { break } } else if z.pointee.avail_in == 0 { break }
                guard rc == Z_OK || rc == Z_BUF_ERROR || rc == Z_STREAM_END else {
                    throw FileError(path: path, "gzip compression failed (zlib \(rc))")
                }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes everything, finishes the gzip stream and closes the file. `fsync` when `durable`.
    public func close(durable: Bool = false) throws(FileError) {
        guard !closed else { return }
        closed = true
        try flush(final: true)
        if let z = deflater {
            deflateEnd(z)
            z.deallocate()
            deflater = nil
        }
        if durable { fsync(fd) }
        Glibc.close(fd)
    }
}
