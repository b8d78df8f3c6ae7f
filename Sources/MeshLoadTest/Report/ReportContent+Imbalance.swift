import Foundation

extension ReportContent {
    /// The busiest worker's load over the mean against a placement or skew axis: measured (tokens
    /// the workers received) and as the prediction assumed it, one curve per other swept setting.
    func imbalanceSection(_ axis: ReportAxis) -> ReportSection? {
        let curves = series(along: axis).filter { curve in
            curve.points.filter { $0.point.measured != nil || $0.point.predicted != nil }.count >= 2
        }
        guard !curves.isEmpty else { return nil }
        var data = GnuplotData()
        var clauses: [String] = []
        let categories = axis.isCategorical ? categories(of: axis) : []
        for (c, curve) in curves.enumerated() {
            let colour = curves.count == 1 ? "#1f77b4" : GnuplotPlot.colour(c)
            let shift = axis.isCategorical && curves.count > 1 ? (Double(c) - Double(curves.count - 1) / 2) * 0.12 : 0
            let xColumn = shift == 0 ? "1" : "($1+\(ReportNumber.data(shift)))"
            let measured = curve.points.compactMap { x, point in point.measured.map { [GnuplotCell.number(x), .number($0.imbalance)] } }
            if !measured.isEmpty {
                let index = data.block("measured imbalance\(curve.suffix): x, busiest / mean", measured)
                let style = axis.isCategorical ? "points pt 7 ps 1.4" : "linespoints pt 7 ps 1.1"
                clauses.append("data index \(index) using \(xColumn):2 with \(style) lw 2 lc rgb '\(colour)' title \(GnuplotPlot.string("measured" + curve.suffix))")
            }
            let predicted = curve.points.compactMap { x, point in point.predicted.map { [GnuplotCell.number(x), .number($0.imbalance)] } }
            if !predicted.isEmpty {
                let index = data.block("predicted imbalance\(curve.suffix): x, busiest / mean", predicted)
                let style = axis.isCategorical ? "points pt 6 ps 1.8" : "linespoints dt 2 pt 6 ps 1.2"
                clauses.append("data index \(index) using \(xColumn):2 with \(style) lw 2 lc rgb '\(colour)' title \(GnuplotPlot.string("predicted" + curve.suffix))")
            }
        }
        let title = "Worker imbalance against \(axis.title)"
        var commands = GnuplotPlot.preamble(title: title, subtitle: fixedSettings)
        commands += ["set xlabel \(GnuplotPlot.string(axis.title))", "set ylabel 'busiest worker / mean (tokens)'", "set yrange [1:*]"]
        if axis.isCategorical {
            let tics = categories.enumerated().map { "\(GnuplotPlot.string($0.element)) \($0.offset)" }
            commands += ["set xrange [-0.5:\(ReportNumber.data(Double(categories.count) - 0.5))]",
                         "set xtics (\(tics.joined(separator: ", ")))", "set grid noxtics"]
        } else {
            commands += GnuplotPlot.xAxis(curves.flatMap { $0.points.map(\.x) }, log: false)
        }
        commands += GnuplotPlot.plot(clauses, widthPixels: GnuplotPlot.widthPixels)
        let plot = GnuplotPlot(name: "imbalance-vs-\(axis.name)", title: title, data: data.text, commands: commands.joined(separator: "\n"))
        let paragraphs = curves.compactMap { curve -> String? in
            let values = curve.points.compactMap { x, point -> String? in
                guard let m = point.measured else { return nil }
                let predicted = point.predicted.map { ", predicted \(ReportNumber.text($0.imbalance))" } ?? ""
                return "\(axis.label(point.settings)) \(ReportNumber.text(m.imbalance))\(predicted) "
                    + "(\(ReportNumber.text(m.tokensPerSecond)) tokens/s)"
            }
            guard !values.isEmpty else { return nil }
            return curve.lead("Measured busiest worker over the mean: " + values.joined(separator: "; ") + ".")
        }
        return ReportSection(heading: title, plot: plot, paragraphs: paragraphs)
    }
}
