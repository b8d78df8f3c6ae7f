/// The serving plots: latency and throughput against offered load, with the saturation point.
extension ReportContent {
    /// `latency-vs-load` and `throughput-vs-load`, and the saturation point of each curve; nil
    /// when no curve has two serving points.
    func servingSections() -> (ReportSection, ReportSection, [SweepAnalysis.Saturation])? {
        let axis = ReportAxis(name: "rate")
        let curves = series(along: axis) { $0.serving != nil }.filter { $0.points.count >= 2 }
        guard !curves.isEmpty else { return nil }
        let single = curves.count == 1
        var saturation: [SweepAnalysis.Saturation] = []
        var latencyText: [String] = [], loadText: [String] = []
        var latencyData = GnuplotData(), loadData = GnuplotData()
        var latencyClauses: [String] = [], loadClauses: [String] = []
        var marks: [String] = []
        let rates = curves.flatMap { $0.points.map(\.x) }
        // One curve: a colour per metric. Several: a colour per curve and a line and point style
        // per metric, keyed once each, so that the key does not list every pair.
        let metrics: [(name: String, field: KeyPath<PointRecord.Serving, Double>, colour: String, dash: Int, point: Int)] = [
            ("TTFT p50", \.ttftP50, "#1f77b4", 1, 7), ("TTFT p90", \.ttftP90, "#ff7f0e", 1, 9),
            ("TTFT p99", \.ttftP99, "#d62728", 1, 5), ("TPOT p50", \.tpotP50, "#2ca02c", 2, 6),
            ("TPOT p99", \.tpotP99, "#9467bd", 2, 4),
        ]
        if !single {
            latencyClauses += metrics.map {
                "NaN with linespoints lw 2 dt \($0.dash) pt \($0.point) lc rgb '#444444' title \(GnuplotPlot.string($0.name))"
            }
            latencyClauses += curves.enumerated().map { c, curve in
                "NaN with lines lw 4 lc rgb '\(GnuplotPlot.colour(c))' title \(GnuplotPlot.string(curve.label))"
            }
        }
        for (c, curve) in curves.enumerated() {
            let points = curve.points.map { (x: $0.x, serving: $0.point.serving!) }
            let found = ServingSaturation.find(points.map {
                ServingSaturation.Sample(offeredRequestsPerSecond: $0.x, achievedRequestsPerSecond: $0.serving.achievedRequestsPerSecond,
                                         ttftP99Seconds: $0.serving.ttftP99, arrivalRequestsPerSecond: $0.serving.arrivalRequestsPerSecond)
            })!
            let at = found.index.map { points[$0] }
            saturation.append(SweepAnalysis.Saturation(
                series: curve.label, rule: ServingSaturation.rule, baselineTTFTP99Seconds: found.baselineTTFTP99Seconds,
                offeredRequestsPerSecond: at?.x, achievedRequestsPerSecond: at?.serving.achievedRequestsPerSecond,
                ttftP50Seconds: at?.serving.ttftP50, ttftP99Seconds: at?.serving.ttftP99,
                tpotP50Seconds: at?.serving.tpotP50, tpotP99Seconds: at?.serving.tpotP99))
            latencyText.append(curve.lead(Self.latencyReading(points, saturation: at, baseline: found.baselineTTFTP99Seconds)))
            loadText.append(curve.lead(Self.loadReading(points, saturation: at)))

            // Latency: one line per metric (colour) and curve (point type).
            for metric in metrics {
                let rows = points.map { [GnuplotCell.number($0.x), .number($0.serving[keyPath: metric.field] * 1000)] }
                let index = latencyData.block("\(metric.name) ms\(curve.suffix): offered requests/s, ms", rows)
                let style = "linespoints lw 2 dt \(metric.dash) pt \(metric.point) ps 1"
                latencyClauses.append(single
                    ? "data index \(index) using 1:2 with \(style) lc rgb '\(metric.colour)' title \(GnuplotPlot.string(metric.name))"
                    : "data index \(index) using 1:2 with \(style) lc rgb '\(GnuplotPlot.colour(c))' notitle")
            }
            // Load: achieved requests/s on the left axis, output tokens/s on the right.
            let colour = single ? "#1f77b4" : GnuplotPlot.colour(c)
            let achieved = loadData.block("achieved\(curve.suffix): offered requests/s, achieved requests/s, output tokens/s",
                                          points.map { [.number($0.x), .number($0.serving.achievedRequestsPerSecond),
                                                        .number($0.serving.outputTokensPerSecond)] })
            loadClauses.append("data index \(achieved) using 1:2 axes x1y1 with linespoints lw 2 pt 7 lc rgb '\(colour)' "
                               + "title \(GnuplotPlot.string("achieved requests/s" + curve.suffix))")
            loadClauses.append("data index \(achieved) using 1:3 axes x1y2 with linespoints lw 2 dt 2 pt 6 "
                               + "lc rgb '\(single ? "#ff7f0e" : colour)' title \(GnuplotPlot.string("output tokens/s (right axis)" + curve.suffix))")
            if let at {
                let position = (at.x - rates.min()!) / max(rates.max()! - rates.min()!, 1e-300)
                marks += GnuplotPlot.verticalMark(at: at.x, label: "saturation \(ReportNumber.text(at.x)) req/s" + (single ? "" : " \(curve.label)"),
                                                  colour: single ? "#444444" : GnuplotPlot.colour(c), row: c, dashType: 4,
                                                  rightAligned: position > 0.6)
            }
        }
        var latencyCommands = GnuplotPlot.preamble(title: "Latency against offered load", subtitle: fixedSettings)
        latencyCommands += ["set xlabel \(GnuplotPlot.string(axis.title))", "set ylabel 'latency (ms)'",
                            "set logscale y", "set format y '%g'"]
        latencyCommands += GnuplotPlot.xAxis(rates, log: false)
        latencyCommands += marks
        if single, let base = saturation.first?.baselineTTFTP99Seconds {
            let limit = base * ServingSaturation.latencyFactor * 1000
            latencyCommands += [
                "set arrow from graph 0, first \(ReportNumber.data(limit)) to graph 1, first \(ReportNumber.data(limit)) nohead dt 3 lw 1 lc rgb '#999999' back",
                "set label \(GnuplotPlot.string("10 × TTFT p99 at the lowest rate")) at graph 0.01, first \(ReportNumber.data(limit)) offset 0,0.6 left textcolor rgb '#777777'",
            ]
        }
        latencyCommands += GnuplotPlot.plot(latencyClauses, widthPixels: GnuplotPlot.widthPixels)
        var loadCommands = GnuplotPlot.preamble(title: "Throughput against offered load", subtitle: fixedSettings)
        loadCommands += ["set xlabel \(GnuplotPlot.string(axis.title))", "set ylabel 'achieved requests/s'",
                         "set y2label 'output tokens/s'", "set yrange [0:*]", "set y2range [0:*]", "set y2tics", "set border 11"]
        loadCommands += GnuplotPlot.xAxis(rates, log: false)
        loadCommands += marks
        loadClauses.append("x with lines dt 3 lw 1 lc rgb '#999999' title 'achieved = offered'")
        loadCommands += GnuplotPlot.plot(loadClauses, widthPixels: GnuplotPlot.widthPixels)

        let latencyPlot = GnuplotPlot(name: "latency-vs-load", title: "Latency against offered load",
                                      data: latencyData.text, commands: latencyCommands.joined(separator: "\n"))
        let loadPlot = GnuplotPlot(name: "throughput-vs-load", title: "Throughput against offered load",
                                   data: loadData.text, commands: loadCommands.joined(separator: "\n"))
        let rule = "Saturation is \(ServingSaturation.rule)."
        return (ReportSection(heading: latencyPlot.title, plot: latencyPlot, paragraphs: [rule] + latencyText),
                ReportSection(heading: loadPlot.title, plot: loadPlot, paragraphs: loadText),
                saturation)
    }

    /// The latency curve in words: where it saturates, what latency it has there, what follows.
    static func latencyReading(_ points: [(x: Double, serving: PointRecord.Serving)],
                               saturation: (x: Double, serving: PointRecord.Serving)?, baseline: Double) -> String {
        let first = points.first!, last = points.last!
        var sentences: [String] = []
        sentences.append("From \(ReportNumber.text(first.x)) to \(ReportNumber.text(last.x)) requests/s offered, TTFT p50 goes from "
                         + "\(ReportNumber.duration(first.serving.ttftP50)) to \(ReportNumber.duration(last.serving.ttftP50)) and p99 from "
                         + "\(ReportNumber.duration(first.serving.ttftP99)) to \(ReportNumber.duration(last.serving.ttftP99)); TPOT p50 from "
                         + "\(ReportNumber.duration(first.serving.tpotP50)) to \(ReportNumber.duration(last.serving.tpotP50)).")
        guard let saturation else {
            sentences.append("No offered rate meets the saturation rule: at the lowest, \(ReportNumber.text(first.x)) requests/s, "
                             + "\(ReportNumber.text(first.serving.achievedRequestsPerSecond)) are achieved "
                             + "(\(ReportNumber.percent(first.serving.achievedRequestsPerSecond / (first.serving.arrivalRequestsPerSecond ?? first.x))) of the arrival rate).")
            return sentences.joined(separator: " ")
        }
        let s = saturation.serving
        sentences.append("The curve saturates at \(ReportNumber.text(saturation.x)) requests/s "
                         + "(\(ReportNumber.text(s.achievedRequestsPerSecond)) achieved): there TTFT is "
                         + "\(ReportNumber.duration(s.ttftP50)) at p50 and \(ReportNumber.duration(s.ttftP99)) at p99, TPOT "
                         + "\(ReportNumber.duration(s.tpotP50)) at p50 and \(ReportNumber.duration(s.tpotP99)) at p99.")
        if let next = points.first(where: { $0.x > saturation.x }) {
            let n = next.serving
            sentences.append("At the next rate, \(ReportNumber.text(next.x)) requests/s, \(ReportNumber.text(n.achievedRequestsPerSecond)) "
                             + "are achieved (\(ReportNumber.percent(n.achievedRequestsPerSecond / (n.arrivalRequestsPerSecond ?? next.x))) of the \(ReportNumber.text(n.arrivalRequestsPerSecond ?? next.x)) requests/s that arrived) and TTFT p99 is "
                             + "\(ReportNumber.duration(n.ttftP99)), \(ReportNumber.ratio(n.ttftP99 / baseline)) that at the lowest rate.")
        } else {
            sentences.append("That is the highest rate offered: the sweep did not reach the saturation point, which lies higher.")
        }
        return sentences.joined(separator: " ")
    }

    /// The throughput curve in words: how far achieved follows offered, and the most achieved.
    static func loadReading(_ points: [(x: Double, serving: PointRecord.Serving)],
                            saturation: (x: Double, serving: PointRecord.Serving)?) -> String {
        let best = points.max { $0.serving.achievedRequestsPerSecond < $1.serving.achievedRequestsPerSecond }!
        let tokens = points.max { $0.serving.outputTokensPerSecond < $1.serving.outputTokensPerSecond }!
        let kept = points.prefix {
            $0.serving.achievedRequestsPerSecond >= ServingSaturation.achievedFraction * ($0.serving.arrivalRequestsPerSecond ?? $0.x)
        }
        var text = kept.isEmpty
            ? "Achieved requests/s stay below 90 % of the arrival rate from the lowest rate on"
            : "Achieved requests/s stay within 10 % of the arrival rate up to \(ReportNumber.text(kept.last!.x)) requests/s offered"
        text += "; the most achieved is \(ReportNumber.text(best.serving.achievedRequestsPerSecond)) requests/s "
            + "(offered \(ReportNumber.text(best.x))) and output tokens/s peak at \(ReportNumber.text(tokens.serving.outputTokensPerSecond)) "
            + "(offered \(ReportNumber.text(tokens.x)))."
        return text
    }
}
