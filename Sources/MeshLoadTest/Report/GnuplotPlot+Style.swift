import Foundation

/// The pieces every plot of the report shares: the data file's blocks, colours, axes, marks.
struct GnuplotData {
    private(set) var text = ""
    private(set) var blocks = 0

    /// Appends a block of rows and returns its `index` in the file. Text cells are quoted.
    mutating func block(_ comment: String, _ rows: [[GnuplotCell]]) -> Int {
        if blocks > 0 { text += "\n\n" }
        text += "# \(comment)\n"
        for row in rows { text += row.map(\.text).joined(separator: " ") + "\n" }
        blocks += 1
        return blocks - 1
    }
}

/// One cell of a gnuplot data row.
enum GnuplotCell {
    case number(Double?)
    case label(String)

    var text: String {
        switch self {
        case .number(let x): ReportNumber.data(x)
        case .label(let s): "\"" + s.replacingOccurrences(of: "\"", with: "'") + "\""
        }
    }
}

extension GnuplotPlot {
    /// Distinct colours for curves, in order (matplotlib's tab10, readable on white).
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    static func colour(_ i: Int) -> String { colours[i % colours.count] }

    /// A gnuplot double-quoted string (a line break becomes `\n`).
    static func string(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escaped.replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// The commands every plot starts with: title (with the fixed settings under it), grid, key.
    static func preamble(title: String, subtitle: String) -> [String] {
        [
            "set style textbox opaque noborder margins 2,1",
            "set title \(string(subtitle.isEmpty ? title : title + "\n" + subtitle))",
            "set grid xtics ytics mxtics mytics lc rgb '#e4e4e4' lw 1, lc rgb '#f2f2f2' lw 1",
            "set border 3 lw 1",
            "set tics nomirror out",
            "set datafile missing '?'",
        ]
    }

    /// The key under the plot (never over the data), up to three entries a row, then the `plot`
    /// command.
    ///
    /// gnuplot 5.4 does not leave room for a key below an x label by itself, so the bottom margin
    /// is set from the key's rows (as many entries a row as fit `widthPixels`) and the x tics.
    /// - Parameters:
    ///   - clauses: The plot clauses; those with a ` title ` make the key.
    ///   - widthPixels: The image's width.
    ///   - ticLines: Character heights the x tic labels take (more when rotated), x label included.
    static func plot(_ clauses: [String], widthPixels: Int, ticLines: Double = 3.5) -> [String] {
        let titles = clauses.compactMap { clause -> Int? in
            guard let range = clause.range(of: " title ") else { return nil }
            return clause[range.upperBound...].count - 2
        }
        // About 7 px a character at 10 points, plus the sample and the gaps.
        let widest = (titles.max() ?? 0) * 7 + 70
        let columns = max(1, min(3, Int(Double(widthPixels) * 0.85) / widest))
        let rows = (titles.count + columns - 1) / columns
        return [
            "set key below horizontal maxcols \(columns) samplen 3 spacing 1.15 width 2",
            "set bmargin \(ReportNumber.data(ticLines + 1.3 * Double(rows) + 0.5))",
            "plot " + clauses.joined(separator: ", \\\n     "),
        ]
    }

    /// The x axis over `values`: log scale when asked, a margin around the data, and one tic at
    /// each value when there are few of them.
    static func xAxis(_ values: [Double], log: Bool, extra: [Double] = []) -> [String] {
        let all = values + extra
        guard let low = all.min(), let high = all.max() else { return [] }
        var lines: [String] = []
        if log {
            lines += ["set logscale x", "set xrange [\(ReportNumber.data(low / 1.3)):\(ReportNumber.data(high * 1.3))]"]
        } else {
            let margin = high > low ? (high - low) * 0.06 : max(abs(high) * 0.1, 0.5)
            lines.append("set xrange [\(ReportNumber.data(low - margin)):\(ReportNumber.data(high + margin))]")
        }
        let distinct = Array(Set(values)).sorted()
        if log && distinct.count < 4 {
            // Two or three values label too little of a log axis: 1-2-5 tics instead.
            lines.append("set xtics (\(logTics(from: low / 1.3, to: high * 1.3)))")
        } else if distinct.count <= 12 {
            let tics = distinct.map { "\(string(ReportNumber.text($0))) \(ReportNumber.data($0))" }
            lines.append("set xtics (\(tics.joined(separator: ", ")))")
        } else {
            lines.append("set format x '%g'")
        }
        lines.append("set mxtics")
        return lines
    }

    /// Tics at 1, 2 and 5 times the powers of ten between `low` and `high`, for a log axis that
    /// spans too little for gnuplot's own tics (which label decades only).
    static func logTics(from low: Double, to high: Double) -> String {
        var tics: [String] = []
        var decade = pow(10, floor(log10(low)))
        while decade <= high {
            for step in [1.0, 2, 5] where decade * step >= low && decade * step <= high {
                tics.append("\(string(ReportNumber.text(decade * step))) \(ReportNumber.data(decade * step))")
            }
            decade *= 10
        }
        return tics.joined(separator: ", ")
    }

    /// A vertical line at `x` across the plot with `label` beside it, `row` lines below the top.
    static func verticalMark(at x: Double, label: String, colour: String, row: Int, dashType: Int = 4,
                             rightAligned: Bool) -> [String] {
        let y = 0.96 - 0.065 * Double(row)
        let placement = (rightAligned ? "right offset -0.7,0" : "left offset 0.7,0") + " boxed"
        return [
            "set arrow from \(ReportNumber.data(x)), graph 0 to \(ReportNumber.data(x)), graph 1 nohead dt \(dashType) lw 1.5 lc rgb '\(colour)' front",
            "set label \(string(label)) at \(ReportNumber.data(x)), graph \(ReportNumber.data(y)) \(placement) front textcolor rgb '\(colour)'",
        ]
    }
}
