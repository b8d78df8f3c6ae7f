import Foundation

/// How well the cost model predicts the measured step time.
extension ReportContent {
    /// The points with both a measured and a predicted step time, with the relative error.
    var compared: [(point: ReportPoint, error: Double)] {
        plotted.compactMap { point in point.relativeError.map { (point, $0) } }
    }

    /// Median over points of |predicted − measured| / measured step time.
    var medianAbsoluteRelativeError: Double? { ReportStatistics.median(compared.map { abs($0.error) }) }

    /// Narrower than the other plots: its axes are square.
    static let accuracyWidthPixels = 760

    /// `predicted-vs-measured`: predicted against measured step time, the y = x line, a ±15 % band.
    func accuracySection() -> ReportSection? {
        let pairs = compared
        guard let median = medianAbsoluteRelativeError else { return nil }
        let title = "Predicted against measured step time"
        var data = GnuplotData()
        let few = pairs.count <= 10
        // Each label goes right of its point (the left edge would cut it), above when the point lies
        // higher than its nearest neighbour relative to the diagonal, below otherwise: two close
        // points then label away from each other.
        let measured = pairs.map { $0.point.measured!.stepSeconds }
        let above = pairs.indices.map { i -> Bool in
            guard let j = pairs.indices.filter({ $0 != i }).min(by: {
                abs(Foundation.log(measured[$0] / measured[i])) < abs(Foundation.log(measured[$1] / measured[i]))
            }) else { return true }
            return pairs[i].error > pairs[j].error || (pairs[i].error == pairs[j].error && i > j)
        }
        let rows: [(above: Bool, cells: [GnuplotCell])] = pairs.enumerated().map { i, pair in
            let text = ReportNumber.percent(pair.error, signed: true)
            return (above[i], [.number(pair.point.measured!.stepSeconds * 1000), .number(pair.point.predicted!.stepSeconds * 1000),
                               .label(few ? "\(label(pair.point)): \(text)" : text)])
        }
        let blocks = [false, true].compactMap { up -> (up: Bool, index: Int)? in
            let chosen = rows.filter { $0.above == up }.map(\.cells)
            guard !chosen.isEmpty else { return nil }
            return (up, data.block("measured ms, predicted ms, label (labelled \(up ? "above" : "below"))", chosen))
        }
        let values = pairs.flatMap { [$0.point.measured!.stepSeconds * 1000, $0.point.predicted!.stepSeconds * 1000] }
        let low = values.min()!, high = values.max()!
        // Log axes once the points span more than 5x: small steps would crowd the corner otherwise.
        let log = low > 0 && high / low > 5
        let range = log ? (low / 1.4, high * 1.4) : (0.0, high * 1.2)
        var commands = GnuplotPlot.preamble(title: title, subtitle: fixedSettings)
        commands += [
            "set xlabel 'measured step time (ms)'", "set ylabel 'predicted step time (ms)'",
            "set xrange [\(ReportNumber.data(range.0)):\(ReportNumber.data(range.1))]",
            "set yrange [\(ReportNumber.data(range.0)):\(ReportNumber.data(range.1))]",
            "set size ratio -1", "set samples 200", "set format x '%g'", "set format y '%g'",
        ]
        if log {
            let tics = GnuplotPlot.logTics(from: range.0, to: range.1)
            commands += ["set logscale xy", "set xtics (\(tics))", "set ytics (\(tics))"]
        }
        var clauses = [
            "'+' using 1:(0.85*$1):(1.15*$1) with filledcurves lc rgb '#d9e8f5' title '±15 %'",
            "x with lines lw 1.5 lc rgb '#555555' title 'predicted = measured'",
        ]
        for block in blocks {
            clauses += [
                "data index \(block.index) using 1:2 with points pt 7 ps 1.3 lc rgb '#1f77b4' notitle",
                "data index \(block.index) using 1:2:3 with labels left offset char 0.8,\(block.up ? "0.7" : "-0.7") "
                    + "font ',9' textcolor rgb '#333333' notitle",
            ]
        }
        commands += GnuplotPlot.plot(clauses, widthPixels: Self.accuracyWidthPixels)
        let plot = GnuplotPlot(name: "predicted-vs-measured", title: title, data: data.text,
                               commands: commands.joined(separator: "\n"), widthPixels: Self.accuracyWidthPixels, heightPixels: 700)
        let within = pairs.filter { abs($0.error) <= 0.15 }.count
        let over = pairs.filter { $0.error > 0 }.count
        let worst = pairs.max { abs($0.error) < abs($1.error) }!
        var sentences = [
            "The median absolute relative error of the predicted step time is \(ReportNumber.percent(median)) over "
                + "\(pairs.count) point\(pairs.count == 1 ? "" : "s"); \(within) of \(pairs.count) lie within ±15 %.",
        ]
        if pairs.count > 1 {
            let under = pairs.count - over
            let direction = over == 0 ? "The model predicts a shorter step than measured at all \(pairs.count) points"
                : under == 0 ? "The model predicts a longer step than measured at all \(pairs.count) points"
                : "The model predicts a longer step than measured at \(over) points and a shorter one at \(under)"
            sentences.append(direction + "; the largest error is \(ReportNumber.percent(worst.error, signed: true)) at \(label(worst.point)).")
        }
        return ReportSection(heading: title, plot: plot, paragraphs: [sentences.joined(separator: " ")])
    }
}
