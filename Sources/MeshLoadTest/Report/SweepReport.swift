import Foundation
import MeshIO

/// The written report of a sweep: `report.md` and its plots, from the sweep's point records.
///
/// ```swift
/// let report = SweepReport(records: records, axes: ["workers", "bandwidth"], title: "Scaling on 2 cores",
///                          configPath: "Cluster/default.yaml", date: "2026-11-29", folder: "results/sweep-1")
/// let analysis = try await report.write()          // report.md, plots/*.png|svg|dat|gp
/// // analysis goes into summary.json; report.analysis(plots: false) and report.markdown(plots: false)
/// // give the same without drawing anything (no gnuplot needed).
/// ```
///
/// - Repetitions (records with the same `axes`) are one point: each figure is its median over
///   the repetitions that did not fail; tokens/s also keeps its min–max for error bars.
/// - Failed records take no part in the plots; the report lists each with its error.
/// - A plot is drawn only when the sweep has its data: `throughput-vs-workers` (with ideal linear
///   scaling), `throughput-vs-bandwidth` (with the knee where exchange time meets compute time),
///   `throughput-vs-flops`, `breakdown` and `breakdown-predicted` (per-step components),
///   `predicted-vs-measured`, `latency-vs-load` and `throughput-vs-load` (serving, with the
///   saturation point), and `throughput-vs-AXIS` for every other swept axis.
/// - When one swept axis is on x, each combination of the other swept axes is its own curve.
/// - Each plot is followed by sentences computed from the data that read the curve.
///
/// Everything but ``write(plots:)`` is pure.
public struct SweepReport: Sendable {
    /// The sweep's records: every repetition of every point, failed ones included.
    public var records: [PointRecord]
    /// The swept axes' names in the sweep's order (`workers`, `bandwidth`, ...). An axis whose
    /// records all share one value is shown but not plotted.
    public var axes: [String]
    public var title: String
    /// The config the sweep ran, as the caller names it.
    public var configPath: String
    /// When the sweep ran, as the caller writes it.
    public var date: String
    /// The result folder: `report.md` goes there and the plots into `plots/` under it.
    public var folder: String
    public var gnuplot: Gnuplot

    public init(records: [PointRecord], axes: [String], title: String, configPath: String, date: String,
                folder: String, gnuplot: Gnuplot = Gnuplot()) {
        self.records = records
        self.axes = axes
        self.title = title
        self.configPath = configPath
        self.date = date
        self.folder = folder
        self.gnuplot = gnuplot
    }

    /// The report's file name in ``folder``, and the plots' folder.
    public static let reportName = "report.md"
    public static let plotsFolderName = "plots"

    /// Writes the plots (when `plots` is true) and `report.md`, and returns what they found.
    ///
    /// A plot that gnuplot fails to draw is named in the report (and in
    /// ``SweepAnalysis/plots`` only when drawn); a missing gnuplot stops everything.
    ///
    /// - Throws: ``GnuplotError`` with code `.notFound` when gnuplot is missing (call again with
    ///   `plots: false` for the report alone), ``FormatError`` when a file cannot be written.
    public func write(plots: Bool = true) async throws -> SweepAnalysis {
        let content = ReportContent(self)
        var drawn: [String] = []
        var failures: [String: String] = [:]
        if plots {
            let plotsFolder = "\(folder)/\(Self.plotsFolderName)"
            do {
                try FileManager.default.createDirectory(atPath: plotsFolder, withIntermediateDirectories: true)
            } catch {
                throw FormatError(.writeFailed, path: plotsFolder, detail: "cannot create the folder: \(error.localizedDescription)")
            }
            for plot in content.sections.compactMap(\.plot) {
                do {
                    try await gnuplot.draw(plot, in: plotsFolder)
                    drawn.append(plot.name)
                } catch let error as GnuplotError where error.code != .notFound {
                    failures[plot.name] = error.description
                }
            }
        }
        let text = content.markdown(drawn: Set(drawn), failures: failures)
        try AtomicFile.write(Data(text.utf8), to: "\(folder)/\(Self.reportName)")
        return content.analysis(drawn: drawn, failures: failures)
    }

    /// What ``write(plots:)`` returns, without writing: the plots are listed when `plots` is true.
    public func analysis(plots: Bool = true) -> SweepAnalysis {
        let content = ReportContent(self)
        return content.analysis(drawn: plots ? content.sections.compactMap(\.plot?.name) : [], failures: [:])
    }

    /// The text of `report.md`, embedding the plots when `plots` is true.
    public func markdown(plots: Bool = true) -> String {
        let content = ReportContent(self)
        return content.markdown(drawn: plots ? Set(content.sections.compactMap(\.plot?.name)) : [], failures: [:])
    }
}

/// Everything the report says, computed once from the records: points, curves, sections.
struct ReportContent {
    let report: SweepReport
    /// One per setting, in the order the sweep ran them.
    let points: [ReportPoint]
    /// The axes with more than one value, in the sweep's order.
    let swept: [ReportAxis]
    /// Every axis named by the caller or found in the records, in that order.
    let named: [ReportAxis]
    private(set) var sections: [ReportSection] = []
    private(set) var knees: [SweepAnalysis.Knee] = []
    private(set) var saturation: [SweepAnalysis.Saturation] = []

    init(_ report: SweepReport) {
        self.report = report
        points = ReportPoint.group(report.records)
        var names = report.axes
        for record in report.records {
            for name in record.axes.keys.sorted() where !names.contains(name) { names.append(name) }
        }
        named = names.map(ReportAxis.init(name:))
        let points = points
        swept = named.filter { axis in Set(points.map { axis.label($0.settings) }).count > 1 }
        buildSections()
    }

    private mutating func buildSections() {
        let byName = Dictionary(uniqueKeysWithValues: swept.map { ($0.name, $0) })
        if let axis = byName["workers"] { add(workersSection(axis)) }
        // A real link rate (test hosts) reads like an emulated bandwidth: the same knee.
        if let axis = byName["bandwidth"] ?? byName["linkrate"] {
            if let (section, knees) = bandwidthSection(axis) {
                add(section)
                self.knees += knees
            }
        }
        if let axis = byName["flops"] { add(flopsSection(axis)) }
        for axis in swept where !["workers", "bandwidth", "linkrate", "flops", "rate"].contains(axis.name) {
            add(genericSection(axis))
            if axis.name == "placement" || axis.name == "skew" { add(imbalanceSection(axis)) }
        }
        if let (latency, load, saturation) = servingSections() {
            add(latency)
            add(load)
            self.saturation = saturation
        }
        add(breakdownSection(predicted: false))
        add(breakdownSection(predicted: true))
        add(accuracySection())
    }

    private mutating func add(_ section: ReportSection?) {
        if let section { sections.append(section) }
    }

    // MARK: shared by the sections

    /// The points with any figure (measured, serving or predicted): those the plots can show.
    var plotted: [ReportPoint] { points.filter(\.hasFigures) }

    /// The settings all points share, as labels ("prefill · s=4 · t=64 · k=2"), for plot titles.
    var fixedSettings: String {
        let all = ["mode", "workers", "coordinators", "sequences", "tokens", "topk", "experts", "hidden", "wire",
                   "bandwidth", "latency", "flops", "skew", "threads"].map(ReportAxis.init(name:))
        let sweptNames = Set(swept.map(\.name))
        return all.filter { !sweptNames.contains($0.name) }.compactMap { axis -> String? in
            let labels = Set(points.map { axis.label($0.settings) })
            guard labels.count == 1, let label = labels.first, !label.contains("–") else { return nil }
            return label
        }.joined(separator: " · ")
    }

    /// The point's label along the swept axes, e.g. "w=2 t=64" ("all" when nothing is swept).
    func label(_ point: ReportPoint, except: ReportAxis? = nil) -> String {
        let text = swept.filter { $0 != except }.map { $0.label(point.settings) }.joined(separator: " ")
        return text.isEmpty && except == nil ? "point" : text
    }

    /// The points with a figure along `axis`, one curve per combination of the other swept
    /// axes, each sorted by x. A categorical axis places its values at 0, 1, 2... in sweep order.
    func series(along axis: ReportAxis, where include: (ReportPoint) -> Bool = { _ in true }) -> [ReportSeries] {
        let categories = categories(of: axis)
        var order: [String] = []
        var curves: [String: [(x: Double, point: ReportPoint)]] = [:]
        for point in plotted where include(point) {
            let x = axis.isCategorical
                ? categories.firstIndex(of: axis.text(point.settings)).map(Double.init)
                : axis.number(point.settings)
            guard let x else { continue }
            let key = label(point, except: axis)
            if curves[key] == nil { order.append(key) }
            curves[key, default: []].append((x, point))
        }
        return order.map { ReportSeries(label: $0, points: curves[$0]!.sorted { $0.x < $1.x }) }
    }

    /// A categorical axis's values in the order the sweep ran them.
    func categories(of axis: ReportAxis) -> [String] {
        var seen: [String] = []
        for point in points where !seen.contains(axis.text(point.settings)) { seen.append(axis.text(point.settings)) }
        return seen
    }
}

/// One curve of a plot: the points that share every swept value but the one on x.
struct ReportSeries {
    /// The other swept axes' labels ("t=64 k=2"); empty when only one axis is swept.
    var label: String
    var points: [(x: Double, point: ReportPoint)]

    /// `text` about this curve, after "At t=64: " when there are several.
    func lead(_ text: String) -> String {
        guard !label.isEmpty else { return text }
        // "Measured throughput" becomes "measured throughput"; "TTFT" stays.
        let chars = Array(text)
        let lower = chars.count > 1 && chars[1].isLowercase ? chars[0].lowercased() + String(chars.dropFirst()) : text
        return "At \(label): " + lower
    }
    /// " (t=64)" after a legend entry, nothing when it is the only one.
    var suffix: String { label.isEmpty ? "" : " (\(label))" }
}

/// A section of the report: a heading, an optional plot and sentences that read it.
struct ReportSection {
    var heading: String
    var plot: GnuplotPlot?
    var paragraphs: [String]
}
