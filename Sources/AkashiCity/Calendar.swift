import AkashiDomain

/// Japanese public holidays and office days (2000–2030 rules: happy Mondays, equinoxes, substitute holidays).
struct OfficeCalendar {
    private var holidays = Set<Int32>()

    /// `modern`: the holidays as they were changed after 2015 (山の日 from 2016; from 2019 天皇誕生日 moves from 23 December
    /// to 23 February (2020 on), the 2019 accession holidays, the 2020–2021 Olympic moves). Off by default, so the
    /// periods generated before keep their calendar.
    init(from: Int, to: Int, modern: Bool = false) {
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
            if modern {
                if y >= 2019 { h.removeAll { $0 == day(y, 12, 23) } }
                if y >= 2020 { h.append(day(y, 2, 23)) }
                if y >= 2016 { h.append(y == 2020 ? day(y, 8, 10) : y == 2021 ? day(y, 8, 8) : day(y, 8, 11)) }
                if y == 2019 { h += [day(y, 4, 30), day(y, 5, 1), day(y, 5, 2), day(y, 10, 22)] }
                if y == 2020 || y == 2021 {
                    // The Olympic year(s): 海の日 and スポーツの日 moved next to the opening ceremony.
                    h.removeAll { $0 == nthMonday(7, 3) || $0 == nthMonday(10, 2) }
                    h += y == 2020 ? [day(y, 7, 23), day(y, 7, 24)] : [day(y, 7, 22), day(y, 7, 23)]
                }
            }
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
