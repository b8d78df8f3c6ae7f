/// The per-step time of each point, split into its components: measured and predicted.
extension ReportContent {
    /// One component of a step as the breakdown stacks it.
    private struct Component: Sendable {
        var name: String
        /// The name in the measured breakdown's key, when it differs.
        var measuredName: String? = nil
        var colour: String
        var measured: @Sendable (PointRecord.Measured) -> Double
        var predicted: @Sendable (PointRecord.Predicted) -> Double
    }

    private static let components: [Component] = [
        Component(name: "attention + router", colour: "#1f77b4",
                  measured: { $0.attentionSeconds + $0.routerSeconds }, predicted: { $0.attentionSeconds }),
        Component(name: "dispatch", colour: "#ff7f0e", measured: { $0.dispatchSeconds }, predicted: { $0.dispatchSeconds }),
        Component(name: "experts (slowest worker)", colour: "#2ca02c", measured: { $0.expertsSeconds }, predicted: { $0.expertsSeconds }),
        // The coordinator's measured combine waits for the slowest worker's experts: say so in the key.
        Component(name: "combine", measuredName: "combine (incl. wait for experts)", colour: "#d62728",
                  measured: { $0.combineSeconds }, predicted: { $0.combineSeconds }),
        Component(name: "shared", colour: "#9467bd", measured: { $0.sharedSeconds }, predicted: { $0.sharedSeconds }),
    ]

    /// The highest bar or step time of either breakdown, so that both share one y scale.
    private var breakdownTopSeconds: Double {
        points.flatMap { point -> [Double] in
            var tops: [Double] = []
            if let m = point.measured { tops += [Self.components.reduce(0) { $0 + $1.measured(m) }, m.stepSeconds] }
            if let p = point.predicted { tops += [Self.components.reduce(0) { $0 + $1.predicted(p) }, p.stepSeconds] }
            return tops
        }.max() ?? 0
    }

    /// `breakdown` (measured) or `breakdown-predicted`: a stacked bar per point, with its step time.
    func breakdownSection(predicted: Bool) -> ReportSection? {
        let rows: [(label: String, parts: [Double], step: Double, bottleneck: String?)] = plotted.compactMap { point in
            if predicted {
                guard let p = point.predicted else { return nil }
                return (label(point), Self.components.map { $0.predicted(p) }, p.stepSeconds, p.bottleneck)
            }
            guard let m = point.measured else { return nil }
            return (label(point), Self.components.map { $0.measured(m) }, m.stepSeconds, nil)
        }
        guard !rows.isEmpty else { return nil }
        let bothDrawn = plotted.contains { $0.measured != nil } && plotted.contains { $0.predicted != nil }
        let name = predicted ? "breakdown-predicted" : "breakdown"
        let title = predicted ? "Predicted step time by component" : "Measured step time by component"
        var data = GnuplotData()
        let index = data.block("label, " + Self.components.map(\.name).joined(separator: ", ") + ", step (ms)",
                               rows.map { row in [.label(row.label)] + (row.parts + [row.step]).map { .number($0 * 1000) } })
        var commands = GnuplotPlot.preamble(title: title, subtitle: fixedSettings)
        let longest = rows.map(\.label.count).max() ?? 0
        let rotated = rows.count > 6 || longest > 12
        commands += [
            "set style data histograms", "set style histogram rowstacked", "set style fill solid 0.85 border rgb '#555555'",
            "set boxwidth 0.65", "set ylabel 'ms per step'", "set grid noxtics",
            "set yrange [0:\(ReportNumber.data(breakdownTopSeconds * 1000 * 1.08))]",
            "set xrange [-0.6:\(ReportNumber.data(Double(rows.count) - 0.4))]",
            rotated ? "set xtics rotate by 30 right" : "set xtics norotate",
        ]
        var clauses = Self.components.enumerated().map { c, component in
            (c == 0 ? "data index \(index) using \(c + 2):xtic(1)" : "'' index \(index) using \(c + 2)")
                + " lc rgb '\(component.colour)' title \(GnuplotPlot.string(predicted ? component.name : component.measuredName ?? component.name))"
        }
        clauses.append("'' index \(index) using 0:7 with points pt 9 ps 1.6 lc rgb '#000000' title "
                       + GnuplotPlot.string(predicted ? "predicted step" : "measured step (wall)"))
        // Rotated labels reach down about a quarter of their length in character heights.
        let width = min(2400, max(900, 70 * rows.count + 250))
        commands += GnuplotPlot.plot(clauses, widthPixels: width, ticLines: rotated ? 1.5 + 0.3 * Double(longest) : 2)
        let plot = GnuplotPlot(name: name, title: title, data: data.text, commands: commands.joined(separator: "\n"),
                               widthPixels: width)
        return ReportSection(heading: title, plot: plot, paragraphs: [Self.breakdownReading(rows, predicted: predicted, bothDrawn: bothDrawn)])
    }

    private static func breakdownReading(_ rows: [(label: String, parts: [Double], step: Double, bottleneck: String?)],
                                         predicted: Bool, bothDrawn: Bool) -> String {
        var sentences: [String] = []
        // The largest component at each point, counted.
        var largest: [String: Int] = [:]
        for row in rows {
            let i = row.parts.indices.max { row.parts[$0] < row.parts[$1] }!
            largest[components[i].name, default: 0] += 1
        }
        let ranked = largest.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        let phrases = ranked.map { "\($0.key) at \($0.value) of \(rows.count)" }
        sentences.append("The largest \(predicted ? "predicted" : "measured") component is " + phrases.joined(separator: ", ")
                         + (bothDrawn ? " (both breakdowns share one time scale)." : "."))
        let shares = rows.map { row in (label: row.label, share: (row.parts[1] + row.parts[3]) / max(row.parts.reduce(0, +), 1e-300)) }
        if let low = shares.min(by: { $0.share < $1.share }), let high = shares.max(by: { $0.share < $1.share }) {
            sentences.append(rows.count == 1
                ? "Dispatch + combine take \(ReportNumber.percent(low.share)) of the stacked time."
                : "Dispatch + combine take from \(ReportNumber.percent(low.share)) (\(low.label)) to "
                    + "\(ReportNumber.percent(high.share)) (\(high.label)) of the stacked time.")
        }
        if predicted {
            var named: [String: Int] = [:]
            for row in rows { if let b = row.bottleneck { named[b, default: 0] += 1 } }
            if !named.isEmpty {
                let list = named.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                    .map { "“\($0.key)” at \($0.value) of \(rows.count)" }
                sentences.append("The model names the bottleneck " + list.joined(separator: ", ") + ".")
            }
            if rows.contains(where: { $0.parts.reduce(0, +) > 1.05 * $0.step }) {
                sentences.append("The bars stand above the predicted step where phases overlap: without micro-batches a "
                                 + "MoE layer takes attention + router + dispatch + max(experts + combine, shared), the "
                                 + "shared experts running while the workers compute.")
            }
        } else if rows.contains(where: { $0.parts.reduce(0, +) > 1.05 * $0.step }) {
            sentences.append("The bars stand above the measured step because the phases overlap: the coordinator's "
                             + "combine includes waiting for the slowest worker's experts, and the shared experts run "
                             + "while the workers compute.")
        }
        return sentences.joined(separator: " ")
    }
}
