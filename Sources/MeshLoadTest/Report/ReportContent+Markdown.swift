/// `report.md` and the analysis returned for `summary.json`.
extension ReportContent {
    func analysis(drawn: [String], failures: [String: String]) -> SweepAnalysis {
        let titles = Dictionary(sections.compactMap { $0.plot.map { ($0.name, $0.title) } }) { first, _ in first }
        let folder = SweepReport.plotsFolderName
        return SweepAnalysis(
            points: points.count, runs: report.records.count,
            failedRuns: report.records.filter { $0.status == .failed }.count,
            medianAbsoluteRelativeError: medianAbsoluteRelativeError, comparedPoints: compared.count,
            knees: knees, saturation: saturation,
            plots: drawn.map { SweepAnalysis.Plot(name: $0, title: titles[$0] ?? $0, png: "\(folder)/\($0).png", svg: "\(folder)/\($0).svg") },
            plotFailures: failures.keys.sorted().map { failures[$0]! },
            report: SweepReport.reportName)
    }

    func markdown(drawn: Set<String>, failures: [String: String]) -> String {
        var lines = ["# \(report.title)", ""]
        lines += overview()
        lines += ["", "## Points", ""] + pointsTable()
        for section in sections {
            lines += ["", "## \(section.heading)", ""]
            if let plot = section.plot {
                if drawn.contains(plot.name) {
                    lines += ["![\(plot.title)](\(SweepReport.plotsFolderName)/\(plot.name).png)", ""]
                } else if let failure = failures[plot.name] {
                    lines += ["*The plot could not be drawn: \(Self.inline(failure)).*", ""]
                }
            }
            lines += section.paragraphs.flatMap { [$0, ""] }
            if lines.last == "" { lines.removeLast() }
        }
        lines += ["", "## Failed runs", ""] + failedRuns()
        return lines.joined(separator: "\n") + "\n"
    }

    /// The sweep in a few lines: config, date, axes and their values, repetitions, and the headlines.
    private func overview() -> [String] {
        let runs = report.records.count
        let failed = report.records.filter { $0.status == .failed }.count
        let counts = Set(points.map(\.records.count))
        let repetitions = counts.count == 1 ? "\(counts.first!)" : "\(counts.min()!)–\(counts.max()!)"
        let modelOnly = !report.records.isEmpty && report.records.allSatisfy { $0.status == .predicted }
        var lines = [
            "Sweep of `\(report.configPath)` on \(report.date): \(points.count) point\(points.count == 1 ? "" : "s"), "
                + "\(repetitions) repetition\(repetitions == "1" ? "" : "s") each, \(runs) run\(runs == 1 ? "" : "s")"
                + (failed == 0 ? ", none failed." : ", \(failed) failed.")
                + (modelOnly ? " Cost model only (`--model-only`): nothing was measured." : ""),
            "",
        ]
        if !named.isEmpty {
            lines += ["| axis | values |", "|---|---|"]
            for axis in named {
                var values: [String] = []
                for point in points {
                    let value = point.settings.axes[axis.name] ?? axis.text(point.settings)
                    if !values.contains(value) { values.append(value) }
                }
                lines.append("| \(axis.name) | \(values.map(Self.inline).joined(separator: ", ")) |")
            }
            lines.append("")
        }
        if !fixedSettings.isEmpty { lines += ["Fixed: \(fixedSettings).", ""] }
        lines += ["Medians over the repetitions that ran; failed runs are left out of every figure and listed at the end."
                  + (compared.isEmpty ? "" : " Relative error is (predicted − measured) / measured step time."), ""]
        let lost = points.filter { !$0.hasFigures }
        if !lost.isEmpty {
            lines += ["\(lost.count) point\(lost.count == 1 ? "" : "s") failed at every repetition and appear\(lost.count == 1 ? "s" : "") "
                      + "in no plot: " + lost.map { "`\(label($0))`" }.joined(separator: ", ") + ".", ""]
        }
        var headlines: [String] = []
        if let median = medianAbsoluteRelativeError {
            headlines.append("- Median absolute relative error of the predicted step time: **\(ReportNumber.percent(median))** "
                             + "over \(compared.count) point\(compared.count == 1 ? "" : "s").")
        } else if points.contains(where: { $0.measured != nil || $0.predicted != nil }) {
            headlines.append("- No point has both a measured and a predicted step time: the model's error is not known.")
        }
        for knee in knees {
            let name = knee.source == "predicted" ? "Predicted knee" : "Measured crossing"
            let value = knee.linkBitsPerSecond.map { ReportNumber.bandwidth($0) + (knee.method == .extrapolated ? " (extrapolated)" : "") }
                ?? "not found"
            headlines.append("- \(name)\(knee.series.isEmpty ? "" : " at \(knee.series)"): \(value).")
        }
        for s in saturation {
            let value = s.offeredRequestsPerSecond.map { "\(ReportNumber.text($0)) requests/s offered" } ?? "no offered rate sustained"
            headlines.append("- Saturation\(s.series.isEmpty ? "" : " at \(s.series)"): \(value).")
        }
        return lines + headlines
    }

    /// One row per point: axis values as given, runs, then the figures any point has (throughput,
    /// step time, error; serving latencies), and the status.
    private func pointsTable() -> [String] {
        guard !points.isEmpty else { return ["No records."] }
        func number(_ x: Double?, scale: Double = 1) -> String { x.map { ReportNumber.text($0 * scale) } ?? "–" }
        let figures: [(title: String, cell: (ReportPoint) -> String)] = [
            ("tokens/s measured", { point in
                var text = number(point.measured?.tokensPerSecond)
                if let range = point.measuredTokensPerSecondRange, range.lowerBound < range.upperBound {
                    text += " (\(ReportNumber.text(range.lowerBound))–\(ReportNumber.text(range.upperBound)))"
                }
                return text
            }),
            ("tokens/s predicted", { number($0.predicted?.tokensPerSecond) }),
            ("step ms measured", { number($0.measured?.stepSeconds, scale: 1000) }),
            ("step ms predicted", { number($0.predicted?.stepSeconds, scale: 1000) }),
            ("error", { $0.relativeError.map { ReportNumber.percent($0, signed: true) } ?? "–" }),
            ("requests/s achieved", { number($0.serving?.achievedRequestsPerSecond) }),
            ("TTFT p50 / p99 ms", { point in
                point.serving.map { "\(ReportNumber.text($0.ttftP50 * 1000)) / \(ReportNumber.text($0.ttftP99 * 1000))" } ?? "–"
            }),
            ("TPOT p50 / p99 ms", { point in
                point.serving.map { "\(ReportNumber.text($0.tpotP50 * 1000)) / \(ReportNumber.text($0.tpotP99 * 1000))" } ?? "–"
            }),
        ]
        // A column no point fills (serving figures in a batch sweep, measurements in a
        // model-only one) is left out.
        let shown = figures.filter { figure in points.contains { figure.cell($0) != "–" } }
        var lines = ["| " + (named.map(\.name) + ["runs"] + shown.map(\.title) + ["status"]).joined(separator: " | ") + " |",
                     "|" + String(repeating: "---|", count: named.count) + String(repeating: "---:|", count: shown.count + 1) + "---|"]
        for point in points {
            let values = named.map { Self.inline(point.settings.axes[$0.name] ?? $0.text(point.settings)) }
            let row = values + ["\(point.records.count)"] + shown.map { $0.cell(point) } + [point.status]
            lines.append("| " + row.joined(separator: " | ") + " |")
        }
        return lines
    }

    /// Each failed run with its point, repetition and error.
    private func failedRuns() -> [String] {
        let failed = points.flatMap { point in point.failures.map { (point, $0) } }
        guard !failed.isEmpty else { return ["No run failed."] }
        return failed.map { point, record in
            "- `\(label(point))` repetition \(record.repetition) (index \(record.index)): "
                + Self.inline(record.error ?? "no error line was recorded")
        }
    }

    /// Text made safe for one line of a Markdown table or list: no line breaks, no bare `|`.
    static func inline(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ").replacingOccurrences(of: "|", with: "\\|")
    }
}
