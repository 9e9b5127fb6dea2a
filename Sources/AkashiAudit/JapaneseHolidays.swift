import AkashiDomain

/// Japanese national holidays (国民の祝日), computed from the law for any year, with no calendar file.
///
/// Covers 国民の祝日に関する法律 as amended through 2021: fixed days, Happy Monday days (2000/2003 reforms),
/// the equinoxes (astronomical approximation valid 1900–2150), the one-off imperial days, the Olympic moves of
/// 2020/2021, 振替休日 (substitute holidays, from 1973-04-12; any later weekday from 2007) and 国民の休日
/// (a day between two holidays, from 1985-12-27).
public enum JapaneseHolidays {
    /// The national holidays of one year, sorted.
    public static func holidays(year y: Int) -> [LocalDate] {
        guard y >= 1949 else { return [] }
        var days = Set<Int32>()
        func add(_ m: Int, _ d: Int) { if let date = LocalDate(year: y, month: m, day: d) { days.insert(date.day) } }
        func nthMonday(_ m: Int, _ n: Int) -> Int {
            let first = LocalDate(year: y, month: m, day: 1)!
            let offset = (1 - first.weekday + 7) % 7  // days to the first Monday
            return 1 + offset + 7 * (n - 1)
        }
        add(1, 1)  // 元日
        if y >= 2000 { add(1, nthMonday(1, 2)) } else { add(1, 15) }  // 成人の日
        if y >= 1967 { add(2, 11) }  // 建国記念の日
        if y >= 2020 { add(2, 23) }  // 天皇誕生日 (令和)
        add(3, vernalEquinox(y))  // 春分の日
        add(4, 29)  // 天皇誕生日 → みどりの日 → 昭和の日
        add(5, 3)
        if y >= 2007 { add(5, 4) }  // みどりの日 (before 2007 a 国民の休日, added below)
        add(5, 5)
        switch y {  // 海の日
        case 2020: add(7, 23)
        case 2021: add(7, 22)
        case 2003...: add(7, nthMonday(7, 3))
        case 1996...2002: add(7, 20)
        default: break
        }
        switch y {  // 山の日
        case 2020: add(8, 10)
        case 2021: add(8, 8)
        case 2016...: add(8, 11)
        default: break
        }
        if y >= 2003 { add(9, nthMonday(9, 3)) } else if y >= 1966 { add(9, 15) }  // 敬老の日
        add(9, autumnalEquinox(y))  // 秋分の日
        switch y {  // 体育の日 / スポーツの日
        case 2020: add(7, 24)
        case 2021: add(7, 23)
        case 2000...: add(10, nthMonday(10, 2))
        case 1966...1999: add(10, 10)
        default: break
        }
        add(11, 3)
        add(11, 23)
        if (1989...2018).contains(y) { add(12, 23) }  // 天皇誕生日 (平成)
        // One-off days.
        switch y {
        case 1959: add(4, 10)  // 皇太子明仁親王の結婚の儀
        case 1989: add(2, 24)  // 昭和天皇の大喪の礼
        case 1990: add(11, 12)  // 即位礼正殿の儀
        case 1993: add(6, 9)  // 皇太子徳仁親王の結婚の儀
        case 2019: add(5, 1); add(10, 22)  // 即位の日, 即位礼正殿の儀
        default: break
        }
        let base = days
        // 国民の休日: a day (not Sunday) between two holidays.
        if y >= 1986 || y == 1985 {
            for d in base where base.contains(d + 2) && !base.contains(d + 1) {
                let mid = LocalDate(day: d + 1)
                if mid.weekday != 0, mid >= LocalDate(year: 1985, month: 12, day: 27)! { days.insert(d + 1) }
            }
        }
        // 振替休日.
        let substituteStart = LocalDate(year: 1973, month: 4, day: 12)!
        for d in base.sorted() where LocalDate(day: d).weekday == 0 && LocalDate(day: d) >= substituteStart {
            var next = d + 1
            if y >= 2007 {
                while days.contains(next) { next += 1 }
                days.insert(next)
            } else if !days.contains(next) {
                days.insert(next)
            }
        }
        return days.sorted().map { LocalDate(day: $0) }.filter { $0.parts.year == y }
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Day of March of 春分の日 (approximation used by the National Astronomical Observatory, 1900–2150).
    static func vernalEquinox(_ y: Int) -> Int {
        let (c, base): (Double, Int) = switch y {
        case ..<1980: (20.8357, 1983)
        case 1980...2099: (20.8431, 1980)
        default: (21.8510, 1980)
        }
        return Int(c + 0.242194 * Double(y - 1980)) - floorDiv(y - base, 4)
    }

    /// Day of September of 秋分の日.
    static func autumnalEquinox(_ y: Int) -> Int {
        let (c, base): (Double, Int) = switch y {
        case ..<1980: (23.2588, 1983)
        case 1980...2099: (23.2488, 1980)
        default: (24.2488, 1980)
        }
        return Int(c + 0.242194 * Double(y - 1980)) - floorDiv(y - base, 4)
    }
}

/// Which days the offices are closed: weekends, national holidays, 年末年始 and any extra days, as a bitmap
/// over a range of years so the hot path is one array read.
struct ClosedDays: Sendable {
    let firstDay: Int32
    let bits: [Bool]

    init(years: ClosedRange<Int>, newYearBreak: Bool, extra: [LocalDate]) {
        let first = LocalDate(year: years.lowerBound, month: 1, day: 1)!
        let last = LocalDate(year: years.upperBound, month: 12, day: 31)!
        firstDay = first.day
        var b = [Bool](repeating: false, count: Int(last.day - first.day) + 1)
        for y in years {
            for h in JapaneseHolidays.holidays(year: y) { b[Int(h.day - first.day)] = true }
            if newYearBreak {
                for (m, d) in [(1, 1), (1, 2), (1, 3), (12, 29), (12, 30), (12, 31)] {
                    b[Int(LocalDate(year: y, month: m, day: d)!.day - first.day)] = true
                }
            }
        }
        for e in extra where e.day >= first.day && e.day <= last.day { b[Int(e.day - first.day)] = true }
        bits = b
    }

    /// Whether the date is a national holiday, 年末年始 or an extra closed day (weekends are checked apart).
    func isHoliday(_ day: Int32) -> Bool {
        let i = Int(day - firstDay)
        return i >= 0 && i < bits.count && bits[i]
    }
}
