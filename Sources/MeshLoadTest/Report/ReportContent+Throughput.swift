import Foundation

/// The throughput plots: against workers, link bandwidth, device FLOP/s and any other axis.
extension ReportContent {
    /// Tokens/s against workers: measured with its spread, predicted, and ideal linear scaling
    /// from the smallest worker count.
    func workersSection(_ axis: ReportAxis) -> ReportSection? {
        let curves = series(along: axis)
        guard curves.contains(where: { Self.drawable($0) }) else { return nil }
        let plot = throughputPlot(name: "throughput-vs-workers", title: "Throughput against workers", axis: axis,
                                  curves: curves, log: false, ideal: true, marks: [])
        var paragraphs: [String] = []
        for curve in curves {
            var sentences: [String] = []
            let (kind, values) = Self.throughputs(curve)
            if values.count >= 2, let first = values.first, let last = values.last {
                let ratio = last.tokensPerSecond / first.tokensPerSecond
                let ideal = last.x / first.x
                var text = "From \(ReportNumber.text(first.x)) to \(ReportNumber.text(last.x)) workers \(kind) throughput "
                    + "\(Self.change(ratio)) (ideal \(ReportNumber.ratio(ideal)), \(ReportNumber.percent(ratio / ideal)) of linear)"
                if let peak = values.max(by: { $0.tokensPerSecond < $1.tokensPerSecond }), peak.x != last.x {
                    text += "; it peaks at \(ReportNumber.text(peak.x)) workers (\(ReportNumber.text(peak.tokensPerSecond)) tokens/s)"
                }
                sentences.append(text + ".")
            }
            if let accuracy = accuracySentence(curve, along: axis) { sentences.append(accuracy) }
            if !sentences.isEmpty { paragraphs.append(curve.lead(sentences.joined(separator: " "))) }
        }
        return ReportSection(heading: plot.title, plot: plot, paragraphs: paragraphs)
    }

    /// Tokens/s against the emulated link's bandwidth, with the knee where exchange time meets
    /// compute time (predicted, and measured when there are measurements).
    ///
    /// With one curve each knee is a vertical line with its label; with several, a marker on its
    /// curve (eight labelled lines would hide the curves), and the figures are in the text.
    func bandwidthSection(_ axis: ReportAxis) -> (ReportSection, [SweepAnalysis.Knee])? {
        let curves = series(along: axis)
        guard curves.contains(where: { Self.drawable($0) }) else { return nil }
        let single = curves.count == 1
        var knees: [SweepAnalysis.Knee] = []
        var marks: [Mark] = []
        var markers: [KneeMarker] = []
        var paragraphs = ["The knee is where the exchange (dispatch + combine) takes as long as the computation "
                          + "(attention + router + experts + shared): below it the links bind."]
        let xs = curves.flatMap { $0.points.map(\.x) }
        let (lowest, highest) = (xs.min()!, xs.max()!)
        var anyMeasured = false
        for (c, curve) in curves.enumerated() {
            var sentences: [String] = []
            let predicted = ExchangeKnee.find(curve.points.compactMap { x, point in
                point.predicted.map {
                    ExchangeKnee.Sample(bitsPerSecond: x * 1e9, exchangeSeconds: $0.dispatchSeconds + $0.combineSeconds,
                                        computeSeconds: $0.attentionSeconds + $0.expertsSeconds + $0.sharedSeconds)
                }
            })
            let measured = ExchangeKnee.find(curve.points.compactMap { x, point in
                point.measured.map {
                    ExchangeKnee.Sample(bitsPerSecond: x * 1e9, exchangeSeconds: $0.dispatchSeconds + $0.combineSeconds,
                                        computeSeconds: $0.attentionSeconds + $0.routerSeconds + $0.expertsSeconds + $0.sharedSeconds)
                }
            })
            let hasPredicted = curve.points.contains { $0.point.predicted != nil }
            let hasMeasured = curve.points.contains { $0.point.measured != nil }
            anyMeasured = anyMeasured || hasMeasured
            let (kind, values) = Self.throughputs(curve)
            if values.count >= 2 {
                sentences.append(Self.growthSentence(kind: kind, values: values, knee: predicted.bitsPerSecond.map { $0 / 1e9 }))
            }
            for (source, estimate, present) in [("predicted", predicted, hasPredicted), ("measured", measured, hasMeasured)] where present {
                knees.append(SweepAnalysis.Knee(series: curve.label, source: source, linkBitsPerSecond: estimate.bitsPerSecond,
                                                method: estimate.method, fromBitsPerSecond: estimate.fromBitsPerSecond,
                                                note: estimate.note))
                sentences.append(Self.kneeSentence(source: source, estimate))
                guard let b = estimate.bitsPerSecond else { continue }
                let x = b / 1e9
                if single, x >= lowest / 10, x <= highest * 10 {
                    marks.append(Mark(x: x, label: "\(source == "predicted" ? "predicted knee" : "measured crossing") "
                                      + ReportNumber.bandwidth(b) + (estimate.method == .extrapolated ? " (extrapolated)" : ""),
                                      colour: source == "predicted" ? "#d62728" : "#1f77b4", dashType: source == "predicted" ? 2 : 4))
                } else if !single, x >= lowest, x <= highest {
                    let along = curve.points.compactMap { px, point in
                        (source == "predicted" ? point.predicted?.tokensPerSecond : point.measured?.tokensPerSecond).map { (x: px, y: $0) }
                    }
                    if let y = Self.logInterpolate(along, at: x) {
                        markers.append(KneeMarker(x: x, y: y, measured: source == "measured", colour: GnuplotPlot.colour(c)))
                    }
                } else if x < lowest / 10 || x > highest * 10 {
                    sentences.append("The \(source) knee lies more than 10x beyond the swept range, outside the plot.")
                }
            }
            paragraphs.append(curve.lead(sentences.joined(separator: " ")))
        }
        if anyMeasured {
            paragraphs.append("The measured exchange is the coordinator's dispatch and combine time, and its combine "
                              + "includes waiting for the slowest worker's experts, so the measured crossing sits at or "
                              + "above the bandwidth where the transfers alone match the computation.")
        }
        let plot = throughputPlot(name: "throughput-vs-\(axis.name)",
                                  title: axis.name == "linkrate" ? "Throughput against the real link rate" : "Throughput against link bandwidth", axis: axis,
                                  curves: curves, log: true, ideal: false, marks: marks, markers: markers)
        return (ReportSection(heading: plot.title, plot: plot, paragraphs: paragraphs), knees)
    }

    /// A knee drawn as a marker on its curve (plots with several curves).
    struct KneeMarker {
        var x: Double
        var y: Double
        /// The measured crossing (on the measured curve) rather than the predicted knee.
        var measured: Bool
        var colour: String
    }

    /// `points`' y at `x`, linear in log x between the neighbours; nil outside them.
    static func logInterpolate(_ points: [(x: Double, y: Double)], at x: Double) -> Double? {
        let sorted = points.sorted { $0.x < $1.x }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.x <= x && x <= b.x {
            guard a.x < b.x else { return a.y }
            let t = log(x / a.x) / log(b.x / a.x)
            return a.y + t * (b.y - a.y)
        }
        return sorted.count == 1 && sorted[0].x == x ? sorted[0].y : nil
    }

    /// Tokens/s against device FLOP/s, one curve per link bandwidth (or other swept values).
    func flopsSection(_ axis: ReportAxis) -> ReportSection? {
        let curves = series(along: axis)
        guard curves.contains(where: { Self.drawable($0) }) else { return nil }
        let plot = throughputPlot(name: "throughput-vs-flops", title: "Throughput against device FLOP/s", axis: axis,
                                  curves: curves, log: true, ideal: false, marks: [])
        var paragraphs: [String] = []
        for curve in curves {
            let (kind, values) = Self.throughputs(curve)
            guard values.count >= 2, let first = values.first, let last = values.last else { continue }
            let flopsRatio = last.x / first.x
            let ratio = last.tokensPerSecond / first.tokensPerSecond
            // Elasticity: the power of the FLOP/s that throughput follows (1: compute-bound, 0: not at all).
            let elasticity = log(ratio) / log(flopsRatio)
            let link = curve.points[0].point.settings.linkBitsPerSecond
            let verdict: String
            if elasticity < 0.15 {
                verdict = link != nil ? "the links bind" : "the device's compute is not what limits it"
            } else if elasticity > 0.7 {
                verdict = "compute binds"
            } else {
                verdict = "compute binds in part (throughput follows FLOP/s to the power \(ReportNumber.text(elasticity, digits: 2)))"
            }
            let place = !curve.label.isEmpty ? "At \(curve.label), " : (link.map { "At \(ReportNumber.bandwidth($0)), " } ?? "")
            var text = "\(place)multiplying device FLOP/s by \(ReportNumber.text(flopsRatio)) "
                + "(\(ReportNumber.text(first.x)) to \(ReportNumber.text(last.x)) GFLOP/s) changes \(kind) throughput by "
                + "\(ReportNumber.percent(ratio - 1, signed: true)): \(verdict)."
            if kind == "measured" {
                let predicted = curve.points.compactMap { x, point in point.predicted.map { (x: x, tokensPerSecond: $0.tokensPerSecond) } }
                if let p0 = predicted.first(where: { $0.x == first.x }), let p1 = predicted.first(where: { $0.x == last.x }) {
                    text += " The model predicts \(ReportNumber.percent(p1.tokensPerSecond / p0.tokensPerSecond - 1, signed: true))."
                }
            }
            paragraphs.append(text.prefix(1).uppercased() + text.dropFirst())
        }
        return ReportSection(heading: plot.title, plot: plot, paragraphs: paragraphs)
    }

    /// Tokens/s against an axis that has no plot of its own (top-k, experts, wire, skew, ...).
    func genericSection(_ axis: ReportAxis) -> ReportSection? {
        let curves = series(along: axis)
        guard curves.contains(where: { Self.drawable($0) }) else { return nil }
        let xs = curves.flatMap { $0.points.map(\.x) }
        let log = !axis.isCategorical && xs.min()! > 0 && xs.max()! / xs.min()! >= 8
        let plot = throughputPlot(name: "throughput-vs-\(axis.name)", title: "Throughput against \(axis.title.split(separator: "(")[0].trimmingCharacters(in: .whitespaces))",
                                  axis: axis, curves: curves, log: log, ideal: false, marks: [])
        var paragraphs: [String] = []
        for curve in curves {
            var sentences: [String] = []
            let (kind, values) = Self.throughputs(curve)
            if values.count >= 2 {
                let subject = kind.prefix(1).uppercased() + kind.dropFirst() + " throughput"
                func at(_ value: (x: Double, tokensPerSecond: Double)) -> String {
                    axis.label(curve.points.first { $0.x == value.x }!.point.settings)
                }
                let base = values[0], last = values.last!
                let peak = values.max { $0.tokensPerSecond < $1.tokensPerSecond }!
                if values.count <= 6 {
                    let steps = values.map { value in
                        "\(ReportNumber.text(value.tokensPerSecond)) at \(at(value))"
                            + (value.x == base.x ? "" : " (\(ReportNumber.ratio(value.tokensPerSecond / base.tokensPerSecond)))")
                    }
                    sentences.append("\(subject) (tokens/s): \(steps.joined(separator: ", ")).")
                } else {
                    var text = "\(subject) goes from \(ReportNumber.text(base.tokensPerSecond)) tokens/s at \(at(base)) to "
                        + "\(ReportNumber.text(last.tokensPerSecond)) at \(at(last)) (\(ReportNumber.ratio(last.tokensPerSecond / base.tokensPerSecond)))"
                    if peak.x != base.x && peak.x != last.x {
                        text += "; the highest is \(ReportNumber.text(peak.tokensPerSecond)) at \(at(peak))"
                    }
                    sentences.append(text + ".")
                }
            }
            if let accuracy = accuracySentence(curve, along: axis) { sentences.append(accuracy) }
            if !sentences.isEmpty { paragraphs.append(curve.lead(sentences.joined(separator: " "))) }
        }
        return ReportSection(heading: plot.title, plot: plot, paragraphs: paragraphs)
    }

    // MARK: shared

    /// A vertical line on a throughput plot.
    struct Mark {
        var x: Double
        var label: String
        var colour: String
        var dashType: Int
    }

    /// Whether a curve has two points with a throughput to draw.
    static func drawable(_ curve: ReportSeries) -> Bool {
        curve.points.filter { $0.point.measured != nil || $0.point.predicted != nil }.count >= 2
    }

    /// The curve's tokens/s: measured where there are measurements, predicted otherwise.
    static func throughputs(_ curve: ReportSeries) -> (kind: String, values: [(x: Double, tokensPerSecond: Double)]) {
        let measured = curve.points.compactMap { x, point in point.measured.map { (x: x, tokensPerSecond: $0.tokensPerSecond) } }
        if measured.count >= 2 { return ("measured", measured) }
        return ("predicted", curve.points.compactMap { x, point in point.predicted.map { (x: x, tokensPerSecond: $0.tokensPerSecond) } })
    }

    /// "grows 2.31x", "falls by 12 %", "changes by +2 %".
    static func change(_ ratio: Double) -> String {
        if ratio >= 1.05 { return "rises \(ReportNumber.ratio(ratio))" }
        if ratio <= 0.95 { return "falls by \(ReportNumber.percent(1 - ratio))" }
        return "changes by \(ReportNumber.percent(ratio - 1, signed: true))"
    }

    /// How the prediction fares along a curve, or nil when no point has both figures.
    func accuracySentence(_ curve: ReportSeries, along axis: ReportAxis) -> String? {
        let errors = curve.points.compactMap { x, point in point.relativeError.map { (point: point, error: $0) } }
        guard let worst = errors.max(by: { abs($0.error) < abs($1.error) }) else { return nil }
        let measuredCount = curve.points.filter { $0.point.measured != nil }.count
        let scope = errors.count == measuredCount ? "at every point" : "at the \(errors.count) points with both"
        if abs(worst.error) <= 0.15 {
            return "The prediction is within \(ReportNumber.percent(abs(worst.error))) of the measured step time \(scope)."
        }
        let within = errors.filter { abs($0.error) <= 0.15 }.count
        return "The prediction is within 15 % of the measured step time at \(within) of \(errors.count) points; the worst "
            + "is \(axis.label(worst.point.settings)), \(ReportNumber.percent(worst.error, signed: true))."
    }

    /// "Measured throughput grows 5.1x from 0.1 to 1 Gbit/s and only 1.2x from 1 to 10 Gbit/s."
    /// The range is split at the swept bandwidth nearest the knee, or in the middle.
    static func growthSentence(kind: String, values: [(x: Double, tokensPerSecond: Double)], knee: Double?) -> String {
        let first = values.first!, last = values.last!
        func segment(_ a: (x: Double, tokensPerSecond: Double), _ b: (x: Double, tokensPerSecond: Double)) -> String {
            let ratio = b.tokensPerSecond / a.tokensPerSecond
            let verb = ratio >= 1.05 ? "grows \(ReportNumber.ratio(ratio))"
                : ratio <= 0.95 ? "falls by \(ReportNumber.percent(1 - ratio))"
                : "changes by \(ReportNumber.percent(ratio - 1, signed: true))"
            return "\(verb) from \(ReportNumber.text(a.x)) to \(ReportNumber.text(b.x)) Gbit/s"
        }
        let subject = kind.prefix(1).uppercased() + kind.dropFirst() + " throughput "
        guard values.count >= 3 else { return subject + segment(first, last) + "." }
        let inner = values.dropFirst().dropLast()
        let split: (x: Double, tokensPerSecond: Double)
        if let knee, knee > first.x, knee < last.x {
            // The first swept bandwidth past the knee: below it the links bind, above it they do not.
            split = inner.first { $0.x >= knee } ?? inner.last!
        } else {
            split = values[values.count / 2]
        }
        let before = split.tokensPerSecond / first.tokensPerSecond, after = last.tokensPerSecond / split.tokensPerSecond
        var second = segment(split, last)
        if after >= 1.05 && after < before { second = second.replacingOccurrences(of: "grows ", with: "grows only ") }
        return subject + segment(first, split) + " and " + second + "."
    }

    /// The knee in words, for the text under the bandwidth plot.
    static func kneeSentence(source: String, _ estimate: ExchangeKnee.Estimate) -> String {
        guard let b = estimate.bitsPerSecond else {
            return source == "predicted" ? "There is no predicted knee: \(estimate.note)." : "There is no measured crossing: \(estimate.note)."
        }
        let place = estimate.method == .extrapolated ? "at about \(ReportNumber.bandwidth(b))" : "at \(ReportNumber.bandwidth(b))"
        return source == "predicted"
            ? "The predicted knee is \(place) (\(estimate.note))."
            : "The measured crossing, from the measured phases, is \(place) (\(estimate.note))."
    }

    /// The plot of tokens/s along `axis`: per curve, measured (median, min–max bars), predicted,
    /// and ideal linear scaling when asked.
    func throughputPlot(name: String, title: String, axis: ReportAxis, curves: [ReportSeries], log: Bool, ideal: Bool,
                        marks: [Mark], markers: [KneeMarker] = []) -> GnuplotPlot {
        var data = GnuplotData()
        var clauses: [String] = []
        let single = curves.count == 1
        let categories = axis.isCategorical ? categories(of: axis) : []
        for (c, curve) in curves.enumerated() {
            let colours = single ? (measured: "#1f77b4", predicted: "#d62728", ideal: "#7f7f7f")
                : (measured: GnuplotPlot.colour(c), predicted: GnuplotPlot.colour(c), ideal: GnuplotPlot.colour(c))
            // Categories: curves side by side around each tic rather than on top of each other.
            let shift = axis.isCategorical && !single ? (Double(c) - Double(curves.count - 1) / 2) * 0.12 : 0
            let xColumn = shift == 0 ? "1" : "($1+\(ReportNumber.data(shift)))"
            let measured = curve.points.compactMap { x, point -> [GnuplotCell]? in
                guard let m = point.measured, let range = point.measuredTokensPerSecondRange else { return nil }
                return [.number(x), .number(m.tokensPerSecond), .number(range.lowerBound), .number(range.upperBound)]
            }
            if !measured.isEmpty {
                let index = data.block("measured tokens/s\(curve.suffix): x, median, min, max", measured)
                let style = axis.isCategorical ? "yerrorbars" : "yerrorlines"
                let spread = curve.points.contains { $0.point.records.filter { $0.measured != nil }.count > 1 }
                let title = (spread ? "measured (median, min–max)" : "measured") + curve.suffix
                clauses.append("data index \(index) using \(xColumn):2:3:4 with \(style) lw 2 pt 7 ps 1.1 lc rgb '\(colours.measured)' title \(GnuplotPlot.string(title))")
            }
            let predicted = curve.points.compactMap { x, point in point.predicted.map { [GnuplotCell.number(x), .number($0.tokensPerSecond)] } }
            if !predicted.isEmpty {
                let index = data.block("predicted tokens/s\(curve.suffix): x, tokens/s", predicted)
                let style = axis.isCategorical ? "points pt 6 ps 1.6" : "linespoints dt 2 pt 6 ps 1.2"
                clauses.append("data index \(index) using \(xColumn):2 with \(style) lw 2 lc rgb '\(colours.predicted)' title \(GnuplotPlot.string("predicted" + curve.suffix))")
            }
            if ideal {
                let (kind, values) = Self.throughputs(curve)
                if let base = values.first, values.count >= 2 {
                    let rows = curve.points.map { x, _ in [GnuplotCell.number(x), .number(base.tokensPerSecond * x / base.x)] }
                    let index = data.block("ideal linear scaling from the \(kind) value at x = \(ReportNumber.text(base.x))\(curve.suffix)", rows)
                    let from = kind == "measured" ? "" : " from predicted"
                    clauses.append("data index \(index) using 1:2 with lines dt 3 lw 1.5 lc rgb '\(colours.ideal)' title \(GnuplotPlot.string("ideal linear scaling" + from + curve.suffix))")
                }
            }
        }
        for measured in [false, true] {
            let chosen = markers.filter { $0.measured == measured }
            guard !chosen.isEmpty else { continue }
            let index = data.block(measured ? "measured crossings: x, tokens/s, colour" : "predicted knees: x, tokens/s, colour",
                                   chosen.map { [.number($0.x), .number($0.y), .number(Double(Int($0.colour.dropFirst(), radix: 16)!))] })
            clauses.append("data index \(index) using 1:2:3 with points pt \(measured ? 13 : 12) ps 2.6 lw 2 lc rgb variable notitle")
            // The key shows the marker in grey: its colour is each curve's.
            clauses.append("NaN with points pt \(measured ? 13 : 12) ps 2 lw 2 lc rgb '#444444' "
                           + "title \(GnuplotPlot.string(measured ? "measured crossing" : "predicted knee"))")
        }
        var commands = GnuplotPlot.preamble(title: title, subtitle: fixedSettings)
        commands += ["set xlabel \(GnuplotPlot.string(axis.title))", "set ylabel 'tokens/s'", "set yrange [0:*]"]
        if axis.isCategorical {
            let tics = categories.enumerated().map { "\(GnuplotPlot.string($0.element)) \($0.offset)" }
            commands += ["set xrange [-0.5:\(ReportNumber.data(Double(categories.count) - 0.5))]",
                         "set xtics (\(tics.joined(separator: ", ")))", "set grid noxtics"]
        } else {
            commands += GnuplotPlot.xAxis(curves.flatMap { $0.points.map(\.x) }, log: log, extra: marks.map(\.x))
        }
        let xs = curves.flatMap { $0.points.map(\.x) } + marks.map(\.x)
        for (row, mark) in marks.enumerated() {
            // A label right of a line near the right edge would leave the plot: put it on the left.
            let position = log ? Foundation.log(mark.x / xs.min()!) / Foundation.log(xs.max()! / xs.min()!)
                : (mark.x - xs.min()!) / max(xs.max()! - xs.min()!, 1e-300)
            commands += GnuplotPlot.verticalMark(at: mark.x, label: mark.label, colour: mark.colour, row: row,
                                                 dashType: mark.dashType, rightAligned: position > 0.6)
        }
        commands += GnuplotPlot.plot(clauses, widthPixels: GnuplotPlot.widthPixels)
        return GnuplotPlot(name: name, title: title, data: data.text, commands: commands.joined(separator: "\n"))
    }
}
