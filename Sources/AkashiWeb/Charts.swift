import Foundation

/// Charts drawn on the server as SVG (no JavaScript): each has a `<title>` and `<desc>` (read by screen readers,
/// `role="img"`), every label is XML-escaped, and the pages put a data table beside each chart.
enum Charts {
    static func esc(_ s: String) -> String {
        var o = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default:
                if c.value < 0x20 && c != "\n" && c != "\t" { continue }
                o.unicodeScalars.append(c)
            }
        }
        return o
    }

    static let palette = ["#0b4f8a", "#b5452b", "#2e7d32", "#8a6d0b", "#6a1b9a", "#00838f", "#5d4037", "#c2185b",
                          "#455a64", "#7cb342", "#f57c00", "#3949ab"]

    /// The opening tag: a `viewBox` and no fixed width or height, so that the chart scales with the page (a phone's
    /// 390 px as well as a desktop); the stylesheet gives it the container's width.
    static func open(_ id: String, _ w: Int, _ h: Int, _ title: String, _ desc: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(w) \(h)\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" "
            + "aria-labelledby=\"\(id)-t \(id)-d\"><title id=\"\(id)-t\">\(esc(title))</title><desc id=\"\(id)-d\">\(esc(desc))</desc>"
            + "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>"
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// Horizontal bars: one per label.
    static func bars(id: String, title: String, desc: String, items: [(String, Double)], unit: String = "",
                     format: (Double) -> String = { String(Int($0)) }) -> String {
        let rowH = 22, left = 170, w = 640
        let h = 30 + max(items.count, 1) * rowH
        let maxV = max(items.map(\.1).max() ?? 0, 1e-9)
        var s = open(id, w, h, title, desc)
        for (k, (label, v)) in items.enumerated() {
            let y = 20 + k * rowH
            let bw = Double(w - left - 90) * v / maxV
            s += "<text x=\"\(left - 6)\" y=\"\(y + 15)\" text-anchor=\"end\" font-size=\"12\">\(esc(label))</text>"
            s += "<rect x=\"\(left)\" y=\"\(y + 3)\" width=\"\(f(max(bw, 0)))\" height=\"\(rowH - 6)\" fill=\"\(palette[0])\"><title>\(esc(label)): \(esc(format(v) + unit))</title></rect>"
            s += "<text x=\"\(f(Double(left) + max(bw, 0) + 4))\" y=\"\(y + 15)\" font-size=\"12\">\(esc(format(v) + unit))</text>"
        }
        if items.isEmpty { s += "<text x=\"20\" y=\"30\" font-size=\"12\">データなし / no data</text>" }
        return s + "</svg>"
    }

    /// Vertical bars over a sequence (e.g. days).
    static func columns(id: String, title: String, desc: String, items: [(String, Int)]) -> String {
        let w = 640, h = 220, left = 40, bottom = 40
        let maxV = max(items.map(\.1).max() ?? 0, 1)
        let n = max(items.count, 1)
        let bw = Double(w - left - 10) / Double(n)
        var s = open(id, w, h, title, desc)
        s += "<text x=\"4\" y=\"16\" font-size=\"11\">\(maxV)</text><line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - 10)\" y2=\"\(h - bottom)\" stroke=\"#888888\"/>"
        for (k, (label, v)) in items.enumerated() {
            let bh = Double(h - bottom - 20) * Double(v) / Double(maxV)
            let x = Double(left) + Double(k) * bw
            s += "<rect x=\"\(f(x + 1))\" y=\"\(f(Double(h - bottom) - bh))\" width=\"\(f(max(bw - 2, 1)))\" height=\"\(f(bh))\" fill=\"\(palette[1])\"><title>\(esc(label)): \(v)</title></rect>"
            // About seven labels on the x axis, whatever the number of columns (the first one always).
            if k % max((items.count + 6) / 7, 1) == 0 {
                s += "<text x=\"\(f(x))\" y=\"\(h - bottom + 14)\" font-size=\"10\">\(esc(label))</text>"
            }
        }
        if items.isEmpty { s += "<text x=\"60\" y=\"60\" font-size=\"12\">データなし / no data</text>" }
        return s + "</svg>"
    }

    /// One line per series over shared x labels.
    static func lines(id: String, title: String, desc: String, x: [String], series: [(String, [Int])]) -> String {
        // Every series has its line in the legend: the chart grows taller with the number of series (24 wards fit).
        let w = 640, left = 40, bottom = 40, legend = 150
        let h = max(260, 20 + series.count * 16 + 10)
        let maxV = max(series.flatMap(\.1).max() ?? 0, 1)
        let n = max(x.count - 1, 1)
        let pw = Double(w - left - legend)
        var s = open(id, w, h, title, desc)
        s += "<text x=\"4\" y=\"16\" font-size=\"11\">\(maxV)</text><line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - legend)\" y2=\"\(h - bottom)\" stroke=\"#888888\"/>"
        for (k, label) in x.enumerated() where k % max(x.count / 6, 1) == 0 {
            s += "<text x=\"\(f(Double(left) + pw * Double(k) / Double(n)))\" y=\"\(h - bottom + 14)\" font-size=\"10\">\(esc(label))</text>"
        }
        for (k, (name, values)) in series.enumerated() {
            let color = palette[k % palette.count]
            let pts = values.enumerated().map { i, v in
                f(Double(left) + pw * Double(i) / Double(n)) + "," + f(Double(h - bottom) - Double(h - bottom - 20) * Double(v) / Double(maxV))
            }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(pts)\"><title>\(esc(name))</title></polyline>"
            s += "<rect x=\"\(w - legend + 10)\" y=\"\(14 + k * 16)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            s += "<text x=\"\(w - legend + 24)\" y=\"\(23 + k * 16)\" font-size=\"11\">\(esc(name))</text>"
        }
        return s + "</svg>"
    }

    static let weekdaysJa = ["日", "月", "火", "水", "木", "金", "土"]

    /// A 7 × 24 heatmap (rows: weekday from Sunday; columns: hour).
    static func heatmap(id: String, title: String, desc: String, grid: [[Int]]) -> String {
        let cell = 22, left = 30, top = 24
        let w = left + 24 * cell + 10, h = top + 7 * cell + 10
        let maxV = max(grid.flatMap { $0 }.max() ?? 0, 1)
        var s = open(id, w, h, title, desc)
        for hr in stride(from: 0, to: 24, by: 3) {
            s += "<text x=\"\(left + hr * cell + 2)\" y=\"16\" font-size=\"10\">\(hr)時</text>"
        }
        for (d, row) in grid.enumerated() {
            s += "<text x=\"6\" y=\"\(top + d * cell + 15)\" font-size=\"11\">\(esc(weekdaysJa[d % 7]))</text>"
            for (hr, v) in row.enumerated() {
                let t = Double(v) / Double(maxV)
                let shade = Int(255 - 200 * t)
                let color = String(format: "#%02x%02x%02x", shade, shade, 255)
                s += "<rect x=\"\(left + hr * cell)\" y=\"\(top + d * cell)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" fill=\"\(color)\"><title>\(esc(weekdaysJa[d % 7])) \(hr)時: \(v)</title></rect>"
            }
        }
        return s + "</svg>"
    }
}
