import AkashiDomain

/// Japanese public holidays and office days (2000–2030 rules: happy Mondays, equinoxes, substitute holidays).
struct OfficeCalendar {
    private var holidays = Set<Int32>()

    init(from: Int, to: Int) {
        for y in from...to {
            var h: [Int32] = []
            func nthMonday(_ m: Int, _ n: Int) -> Int32 {
                let first = day(y, m, 1)
                let wd = Int(LocalDate(day: first).weekday)
                let offset = (8 - wd) % 7
                return first + Int32(offset + 7 * (n - 1))
            }
            h += [day(y, 1, 1), day(y, 2, 11), day(y, 4, 29), day(y, 5, 3), day(y, 5, 4), day(y, 5, 5),
                  day(y, 11, 3), day(y, 11, 23), day(y, 12, 23)]
            h += [nthMonday(1, 2), nthMonday(7, 3), nthMonday(9, 3), nthMonday(10, 2)]
            let k = Double(y - 1980)
            let spring = Int(20.8431 + 0.242194 * k - Double((y - 1980) / 4))
            let autumn = Int(23.2488 + 0.242194 * k - Double((y - 1980) / 4))
            h += [day(y, 3, spring), day(y, 9, autumn)]
            var set = Set(h)
            // 国民の休日: a day between two holidays.
            for d in h where set.contains(d + 2) && !set.contains(d + 1) && LocalDate(day: d + 1).weekday != 0 {
                set.insert(d + 1)
            }
            // 振替休日: a holiday on Sunday moves to the next non-holiday.
            for d in set.sorted() where LocalDate(day: d).weekday == 0 {
                var s = d + 1
                while set.contains(s) { s += 1 }
                set.insert(s)
            }
            holidays.formUnion(set)
        }
    }

    func isHoliday(_ d: Int32) -> Bool {
        if holidays.contains(d) { return true }
        let p = LocalDate(day: d).parts
        return (p.month == 12 && p.day >= 29) || (p.month == 1 && p.day <= 3)
    }

    /// A weekday that is not a holiday nor in the year-end closure.
    func isBusinessDay(_ d: Int32) -> Bool {
        let wd = LocalDate(day: d).weekday
        return wd != 0 && wd != 6 && !isHoliday(d)
    }

    /// 日曜開庁: the fourth Sunday of the month, from April 2010 (a reduced counter).
    func isSundayOpening(_ d: Int32) -> Bool {
        let ld = LocalDate(day: d)
        guard ld.weekday == 0, d >= day(2010, 4, 1), !isHoliday(d) else { return false }
        let dd = ld.parts.day
        return dd > 21 && dd <= 28
    }

    func nextBusinessDay(onOrAfter d: Int32) -> Int32 {
        var x = d
        while !isBusinessDay(x) { x += 1 }
        return x
    }
}
