/// A calendar date with no time of day (`YYYY-MM-DD`), proleptic Gregorian.
///
/// Stored as the number of days since 1970-01-01 so that comparisons and windows are integer arithmetic.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public var day: Int32

    /// Creates a date from its day number (days since 1970-01-01).
    public init(day: Int32) { self.day = day }

    /// Creates a date from its parts; `nil` when the parts do not name a real date.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= LocalDate.daysIn(month: month, year: year) else { return nil }
        self.day = Int32(LocalDate.daysFromCivil(year: year, month: month, day: day))
    }

    /// Parses `YYYY-MM-DD`; `nil` on anything else.
    public init?(_ text: some StringProtocol) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D,
              let y = Digits.parse(u, 0, 4), let m = Digits.parse(u, 5, 2), let d = Digits.parse(u, 8, 2)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.day < b.day }

    /// Year, month and day.
    public var parts: (year: Int, month: Int, day: Int) { LocalDate.civil(fromDays: Int(day)) }

    /// Day of the week, 0 = Sunday … 6 = Saturday.
    public var weekday: Int { Int((Int64(day) % 7 + 11) % 7) }

    /// `YYYY-MM-DD`.
    public var description: String {
        let p = parts
        return Digits.pad(p.year, 4) + "-" + Digits.pad(p.month, 2) + "-" + Digits.pad(p.day, 2)
    }

    /// The date `n` days later (earlier for negative `n`).
    public func adding(days n: Int) -> LocalDate { LocalDate(day: day + Int32(n)) }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
    static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

/// An instant with the UTC offset it was written with (RFC 3339, e.g. `2011-03-11T10:15:00+09:00`).
///
/// Ordering and equality of instants use ``seconds``; the offset is kept so that the record is written back
/// exactly as it came (import(export(x)) = x). Fractional seconds are kept to the millisecond.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millis: Int64
    /// The offset from UTC, in minutes, the timestamp was written with.
    public var offsetMinutes: Int16

    /// Japan Standard Time, UTC+9, in minutes.
    public static let jst: Int16 = 540

    public init(millis: Int64, offsetMinutes: Int16 = Timestamp.jst) {
        self.millis = millis
        self.offsetMinutes = offsetMinutes
    }

    /// Seconds since the epoch (floor).
    public var seconds: Int64 { millis >= 0 ? millis / 1000 : (millis - 999) / 1000 }

    /// Parses RFC 3339 with a mandatory offset (`Z` or `±HH:MM`); `nil` otherwise.
    public init?(_ text: some StringProtocol) {
        guard let t = Array(text.utf8).withUnsafeBufferPointer({ Timestamp(utf8: $0) }) else { return nil }
        self = t
    }

    /// Parses RFC 3339 from UTF-8 bytes, as ``init(_:)`` does (no copy of the bytes).
    public init?(utf8 u: UnsafeBufferPointer<UInt8>) {
        guard u.count >= 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54 || u[10] == 0x74,
              u[13] == 0x3A, u[16] == 0x3A,
              let y = Digits.parse(u, 0, 4), let mo = Digits.parse(u, 5, 2), let d = Digits.parse(u, 8, 2),
              let h = Digits.parse(u, 11, 2), let mi = Digits.parse(u, 14, 2), let s = Digits.parse(u, 17, 2),
              let date = LocalDate(year: y, month: mo, day: d), h < 24, mi < 60, s < 61
        else { return nil }
        var i = 19
        var ms = 0
        if i < u.count, u[i] == 0x2E {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                if digits < 3 { ms = ms * 10 + Int(u[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { ms *= 10 }
        }
        guard i < u.count else { return nil }
        var offset = 0
        if u[i] == 0x5A || u[i] == 0x7A {
            guard i + 1 == u.count else { return nil }
        } else {
            guard u[i] == 0x2B || u[i] == 0x2D, i + 6 == u.count, u[i + 3] == 0x3A,
                  let oh = Digits.parse(u, i + 1, 2), let om = Digits.parse(u, i + 4, 2), oh < 24, om < 60
            else { return nil }
            offset = (oh * 60 + om) * (u[i] == 0x2D ? -1 : 1)
        }
        let local = Int64(date.day) * 86_400 + Int64(h * 3600 + mi * 60 + min(s, 59))
        self.millis = (local - Int64(offset) * 60) * 1000 + Int64(ms)
        self.offsetMinutes = Int16(offset)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millis < b.millis }
    public static func == (a: Timestamp, b: Timestamp) -> Bool {
        a.millis == b.millis && a.offsetMinutes == b.offsetMinutes
    }
    public func hash(into h: inout Hasher) {
        h.combine(millis)
        h.combine(offsetMinutes)
    }

    /// Local wall-clock seconds since the epoch in the given offset.
    func localSeconds(offset: Int16) -> Int64 {
        let ms = millis + Int64(offset) * 60_000
        return ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    }

    /// The calendar date in Japan (JST), which is what every office counts by.
    public var jstDate: LocalDate { LocalDate(day: Int32(Self.floorDiv(localSeconds(offset: Self.jst), 86_400))) }

    /// Minutes after midnight, JST.
    public var jstMinuteOfDay: Int { Int(Self.floorMod(localSeconds(offset: Self.jst), 86_400) / 60) }

    /// RFC 3339 in the offset it was written with (`Z` never; `+00:00` for UTC), milliseconds only when non-zero.
    public var description: String { format(offset: offsetMinutes) }

    /// RFC 3339 rendered in another offset.
    public func format(offset: Int16) -> String {
        let local = localSeconds(offset: offset)
        let (year, month, day) = LocalDate.civil(fromDays: Int(Self.floorDiv(local, 86_400)))
        let sod = Int(Self.floorMod(local, 86_400))
        let ms = Int(Self.floorMod(millis, 1000))
        let o = Int(offset)
        let fourDigitYear = (0...9999).contains(year)
        guard fourDigitYear else {
            // Outside what RFC 3339 can write (not reachable from parsed input): the plain form.
            return LocalDate(day: Int32(Self.floorDiv(local, 86_400))).description + "T" + Digits.pad(sod / 3600, 2)
                + ":" + Digits.pad(sod / 60 % 60, 2) + ":" + Digits.pad(sod % 60, 2)
                + (ms != 0 ? "." + Digits.pad(ms, 3) : "") + (o < 0 ? "-" : "+") + Digits.pad(abs(o) / 60, 2) + ":"
                + Digits.pad(abs(o) % 60, 2)
        }
        // Written byte by byte into the string's own storage: this runs for every timestamp of every canonical line.
        let count = ms != 0 ? 29 : 25
        return String(unsafeUninitializedCapacity: count) { b in
            func put(_ v: Int, _ width: Int, at i: Int) {
                var v = v
                for k in stride(from: i + width - 1, through: i, by: -1) {
                    b[k] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                    v /= 10
                }
            }
            put(year, 4, at: 0)
            b[4] = 0x2D
            put(month, 2, at: 5)
            b[7] = 0x2D
            put(day, 2, at: 8)
            b[10] = 0x54
            put(sod / 3600, 2, at: 11)
            b[13] = 0x3A
            put(sod / 60 % 60, 2, at: 14)
            b[16] = 0x3A
            put(sod % 60, 2, at: 17)
            var i = 19
            if ms != 0 {
                b[19] = 0x2E
                put(ms, 3, at: 20)
                i = 23
            }
            b[i] = o < 0 ? 0x2D : 0x2B
            put(abs(o) / 60, 2, at: i + 1)
            b[i + 3] = 0x3A
            put(abs(o) % 60, 2, at: i + 4)
            return count
        }
    }

    /// A JST timestamp from a date and a wall-clock time.
    public init(jst date: LocalDate, hour: Int, minute: Int, second: Int = 0) {
        let local = Int64(date.day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(millis: (local - Int64(Self.jst) * 60) * 1000, offsetMinutes: Self.jst)
    }

    /// This instant moved by a number of seconds, same offset.
    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(millis: millis + seconds * 1000, offsetMinutes: offsetMinutes)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
}

enum Digits {
    static func parse(_ u: [UInt8], _ start: Int, _ count: Int) -> Int? {
        u.withUnsafeBufferPointer { parse($0, start, count) }
    }
    static func parse(_ u: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= u.count else { return nil }
        var v = 0
        for i in start..<(start + count) {
            let c = u[i]
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }
    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
