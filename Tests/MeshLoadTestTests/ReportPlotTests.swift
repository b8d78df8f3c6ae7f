import Foundation
import Testing
@testable import MeshLoadTest

/// Whether `gnuplot` is on PATH.
private let gnuplotInstalled: Bool = {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/gnuplot")
    }
}()

/// End to end: records in, report.md and plots out, through the real gnuplot.
@Suite struct ReportPlotTests {
    /// A fresh folder; `REPORT_PLOTS_KEEP=DIR` writes under DIR instead, and keeps it to look at.
    private func folder(_ name: String) throws -> (path: String, keep: Bool) {
        if let keep = ProcessInfo.processInfo.environment["REPORT_PLOTS_KEEP"] {
            let path = "\(keep)/\(name)"
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return (path, true)
        }
        let path = NSTemporaryDirectory() + "report-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return (path, false)
    }

    static let sweeps: [(name: String, axes: [String], records: [PointRecord])] = [
        ("workers", ["workers"], ReportFixtures.workers()),
        ("bandwidth", ["bandwidth"], ReportFixtures.bandwidth()),
        ("flops", ["bandwidth", "flops"], ReportFixtures.flops()),
        ("topk-wire", ["topk", "wire"], ReportFixtures.topKAndWire()),
        ("serving", ["rate"], ReportFixtures.serving()),
        ("model-only", ["bandwidth"], ReportFixtures.modelOnly(ReportFixtures.bandwidth())),
        ("workers-tokens", ["workers", "tokens"], ReportFixtures.workersByTokens()),
        ("serving-workers", ["workers", "rate"], ReportFixtures.servingByWorkers()),
    ]

    @Test(.enabled(if: gnuplotInstalled, "gnuplot is not installed (apt-get install -y gnuplot-nox)"),
          arguments: sweeps.indices)
    func writesEveryPlotAsPNGAndSVG(_ i: Int) async throws {
        let sweep = Self.sweeps[i]
        let (path, keep) = try folder(sweep.name)
        defer { if !keep { try? FileManager.default.removeItem(atPath: path) } }
        let report = SweepReport(records: sweep.records, axes: sweep.axes, title: "Sweep \(sweep.name)",
                                 configPath: "Cluster/default.yaml", date: "2026-11-29", folder: path)
        let analysis = try await report.write()
        #expect(analysis.plotFailures.isEmpty)
        #expect(!analysis.plots.isEmpty)
        let markdown = try String(contentsOfFile: "\(path)/report.md", encoding: .utf8)
        for plot in analysis.plots {
            let png = try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(plot.png)"))
            #expect(png.count > 1000, "\(plot.png) is \(png.count) bytes")
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(plot.png) is not a PNG")
            let svg = try String(contentsOfFile: "\(path)/\(plot.svg)", encoding: .utf8)
            #expect(svg.contains("<svg"), "\(plot.svg) is not an SVG")
            #expect(markdown.contains("](plots/\(plot.name).png)"))
            #expect(FileManager.default.fileExists(atPath: "\(path)/plots/\(plot.name).gp"))
            #expect(FileManager.default.fileExists(atPath: "\(path)/plots/\(plot.name).dat"))
        }
        // No temporary file left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: "\(path)/plots").filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test(.enabled(if: gnuplotInstalled, "gnuplot is not installed (apt-get install -y gnuplot-nox)"))
    func drawsThePlotsTheSweepHasDataFor() async throws {
        let names = { (records: [PointRecord], axes: [String]) in
            SweepReport(records: records, axes: axes, title: "", configPath: "", date: "", folder: "")
                .analysis().plots.map(\.name)
        }
        #expect(names(ReportFixtures.workers(), ["workers"])
                == ["throughput-vs-workers", "breakdown", "breakdown-predicted", "predicted-vs-measured"])
        #expect(names(ReportFixtures.bandwidth(), ["bandwidth"]).first == "throughput-vs-bandwidth")
        #expect(names(ReportFixtures.flops(), ["bandwidth", "flops"]).prefix(2) == ["throughput-vs-bandwidth", "throughput-vs-flops"])
        #expect(names(ReportFixtures.topKAndWire(), ["topk", "wire"]).prefix(2) == ["throughput-vs-topk", "throughput-vs-wire"])
        #expect(names(ReportFixtures.serving(), ["rate"]) == ["latency-vs-load", "throughput-vs-load"])
        #expect(names(ReportFixtures.modelOnly(ReportFixtures.bandwidth()), ["bandwidth"])
                == ["throughput-vs-bandwidth", "breakdown-predicted"])
    }

    @Test func aMissingGnuplotIsOneClearError() async throws {
        let (path, _) = try folder("missing")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = SweepReport(records: ReportFixtures.workers(), axes: ["workers"], title: "t", configPath: "c",
                                 date: "d", folder: path, gnuplot: Gnuplot(executable: "gnuplot-not-installed-here"))
        do {
            _ = try await report.write()
            Issue.record("expected an error")
        } catch let error as GnuplotError {
            #expect(error.code == .notFound)
            #expect("\(error)" == "gnuplot not found: install it with `apt-get install -y gnuplot-nox`")
        }
        // Without plots the report is still written.
        let analysis = try await report.write(plots: false)
        #expect(analysis.plots.isEmpty)
        let markdown = try String(contentsOfFile: "\(path)/report.md", encoding: .utf8)
        #expect(!markdown.contains("!["))
    }

    @Test(.enabled(if: gnuplotInstalled, "gnuplot is not installed (apt-get install -y gnuplot-nox)"))
    func aSlowGnuplotIsKilled() async throws {
        let (path, _) = try folder("timeout")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plot = GnuplotPlot(name: "slow", title: "slow", data: "1 1\n", commands: "pause 30\nplot data using 1:2")
        let started = Date()
        do {
            try await Gnuplot(timeoutSeconds: 0.5).draw(plot, in: path)
            Issue.record("expected a timeout")
        } catch let error as GnuplotError {
            #expect(error.code == .timedOut)
        }
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(!FileManager.default.fileExists(atPath: "\(path)/slow.png"))
    }
}
