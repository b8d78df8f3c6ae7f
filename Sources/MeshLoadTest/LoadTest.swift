import Foundation
import MeshCore
import MeshIO

/// What the sweep reports while it runs (the CLI draws the progress bar from it).
public enum LoadTestEvent: Sendable {
    /// Points already in the result folder, skipped by `--resume`.
    case resumed(done: Int, total: Int)
    /// Point `position` of `total` (1-based, counting only points run now) starts.
    case starting(position: Int, total: Int, point: Int, label: String, repetition: Int, etaSeconds: Double?)
    /// A point ended, measured or failed.
    case finished(PointRecord)
}

/// A sweep: every point planned and checked first, then launched one after another through
/// mpirun (or only predicted, `--model-only`), each result written as soon as it exists.
///
/// The result folder holds `sweep.json` (what was asked), `points/NNNN/` per point (its
/// `record.json`, the job's `summary.json`, `stdout.txt`, `stderr.txt` and emulated profile),
/// `points.csv` (rewritten after every point) and, at the end, `summary.json`. Every file is
/// written atomically, so an interrupted sweep loses no finished point, and `--resume` runs
/// only the points without a `record.json`.
public final class LoadTest {
    public let spec: SweepSpec
    public let base: SweepBase
    public let folder: String
    public let plans: [PointPlan]
    public var launcher: Launcher?
    public var stepTimeout: Double?
    public var resume = false

    /// Plans every point; any point that cannot run is an error now, before anything is launched.
    public init(spec: SweepSpec, base: SweepBase, folder: String) throws {
        self.spec = spec
        self.base = base
        self.folder = folder
        plans = try spec.points.map { try PointPlan(point: $0, spec: spec, base: base) }
    }

    var pointsFolder: String { (folder as NSString).appendingPathComponent("points") }

    func pointFolder(_ index: Int) -> String {
        (pointsFolder as NSString).appendingPathComponent(String(format: "%04d", index))
    }

    func recordPath(_ index: Int) -> String { (pointFolder(index) as NSString).appendingPathComponent("record.json") }

    /// What identifies a sweep, so that `--resume` refuses a folder made by another one.
    struct Identity: Codable, Equatable {
        var config: String
        var spec: SweepSpec
        var modelOnly: Bool
        var emulate: String?
        var hardware: String?
        var steps: Int?
        var requests: Int
        var outputTokens: Int
        var maxBatchTokens: Int
        /// nil when there is none (and in folders written before `--set` existed).
        var overrides: [String]?
    }

    var identity: Identity {
        Identity(config: base.configPath, spec: spec, modelOnly: base.modelOnly, emulate: base.emulatePath,
                 hardware: base.hardwarePath, steps: base.steps, requests: base.requests, outputTokens: base.outputTokens,
                 maxBatchTokens: base.maxBatchTokens,
                 overrides: base.overrides.isEmpty ? nil : base.overrides.map(\.description))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()

    /// Creates the folder, or checks that `--resume` continues the same sweep in it.
    ///
    /// - Returns: the records already there (resume), by point index.
    func prepareFolder() throws -> [Int: PointRecord] {
        let manager = FileManager.default
        let identityPath = (folder as NSString).appendingPathComponent("sweep.json")
        if manager.fileExists(atPath: identityPath) {
            guard resume else {
                throw SweepError(.resultFolder, "\(folder): holds a sweep already: add --resume to continue it, or choose another --out")
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: identityPath))
            guard let previous = try? JSONDecoder().decode(Identity.self, from: data), previous == identity else {
                throw SweepError(.resultFolder, "\(folder)/sweep.json: made by a different sweep (config, axes, repetitions or options differ); --resume continues only the same one")
            }
        } else {
            do {
                try manager.createDirectory(atPath: pointsFolder, withIntermediateDirectories: true)
            } catch {
                throw SweepError(.resultFolder, "\(folder): cannot create the result folder: \(error.localizedDescription)")
            }
            try AtomicFile.write(try Self.encoder.encode(identity), to: identityPath)
        }
        var done: [Int: PointRecord] = [:]
        for plan in plans {
            let path = recordPath(plan.point.index)
            guard let data = manager.contents(atPath: path) else { continue }
            guard let record = try? JSONDecoder().decode(PointRecord.self, from: data) else {
                throw SweepError(.resultFolder, "\(path): not a point record (remove it to run the point again)")
            }
            // A failed point runs again: its record is replaced only when the new run ends.
            if record.status != .failed { done[plan.point.index] = record }
        }
        return done
    }

    /// Runs the sweep and returns every point's record, in point order.
    public func run(events: @Sendable (LoadTestEvent) -> Void) async throws -> [PointRecord] {
        var records = try prepareFolder()
        if !records.isEmpty { events(.resumed(done: records.count, total: plans.count)) }
        let pending = plans.filter { records[$0.point.index] == nil }
        var spent: [Double] = []
        for (position, plan) in pending.enumerated() {
            if RunningJob.wasInterrupted { throw CancellationError() }
            let eta = spent.isEmpty ? nil : spent.reduce(0, +) / Double(spent.count) * Double(pending.count - position)
            events(.starting(position: position + 1, total: pending.count, point: plan.point.index, label: plan.label,
                             repetition: plan.point.repetition, etaSeconds: eta))
            let started = Date()
            let record = try await measure(plan)
            // An interrupted sweep records nothing more: the point that was running is run again on --resume.
            if RunningJob.wasInterrupted { throw CancellationError() }
            spent.append(Date().timeIntervalSince(started))
            try FileManager.default.createDirectory(atPath: pointFolder(plan.point.index), withIntermediateDirectories: true)
            try AtomicFile.write(try Self.encoder.encode(record), to: recordPath(plan.point.index))
            records[plan.point.index] = record
            try writeCSV(records)
            events(.finished(record))
        }
        try writeCSV(records)
        return plans.compactMap { records[$0.point.index] }
    }

    func writeCSV(_ records: [Int: PointRecord]) throws {
        let text = PointsCSV.text(Array(records.values))
        try AtomicFile.write(Data(text.utf8), to: (folder as NSString).appendingPathComponent("points.csv"))
    }

    /// One point: predicted, and launched unless the sweep is `--model-only`.
    func measure(_ plan: PointPlan) async throws -> PointRecord {
        var record = plan.record(status: base.modelOnly ? .predicted : .ok)
        if plan.rate == nil { record.predicted = plan.predict() }
        guard !base.modelOnly else { return record }
        guard let launcher else { throw SweepError(.launcher, "no launcher: mpirun is needed for measured points") }
        let folder = pointFolder(plan.point.index)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if let emulate = plan.emulate, let path = plan.emulatePath(folder: folder) {
            try AtomicFile.write(Data(emulate.yaml(comments: ["The emulated hardware of point \(plan.point.index) (\(plan.label))"]).utf8), to: path)
        }
        let summaryPath = (folder as NSString).appendingPathComponent("summary.json")
        try? FileManager.default.removeItem(atPath: summaryPath)
        if let bits = plan.linkRate, let command = base.rateCommand {
            // The real links first: every test host's rate, both directions.
            if let problem = await launcher.runCommand([command, String(format: "%.6g", bits / 1e9)], folder: folder) {
                record.status = .failed
                record.error = "\(command): \(problem)"
                return record
            }
        }
        let line = launcher.commandLine(ranks: plan.ranks, blasThreads: plan.config.runtime.blasThreads,
                                        arguments: plan.arguments(folder: folder, stepTimeout: stepTimeout))
        try AtomicFile.write(Data((line.map(Self.shellQuoted).joined(separator: " ") + "\n").utf8),
                             to: (folder as NSString).appendingPathComponent("command.txt"))
        let outcome = try await launcher.run(line, folder: folder)
        record.elapsedSeconds = outcome.seconds
        guard outcome.status == 0, let data = FileManager.default.contents(atPath: summaryPath) else {
            record.status = .failed
            record.error = outcome.errorLine ?? "exit status \(outcome.status) and no summary.json"
            return record
        }
        do {
            if plan.rate != nil {
                let serving = try JSONDecoder().decode(ServingSummary.self, from: data)
                record.serving = PointRecord.Serving(
                    completedRequests: serving.completedRequests, achievedRequestsPerSecond: serving.achievedRequestsPerSecond,
                    outputTokensPerSecond: serving.outputTokensPerSecond,
                    ttftP50: serving.timeToFirstToken.p50, ttftP90: serving.timeToFirstToken.p90, ttftP99: serving.timeToFirstToken.p99,
                    tpotP50: serving.timePerOutputToken.p50, tpotP90: serving.timePerOutputToken.p90,
                    tpotP99: serving.timePerOutputToken.p99)
                record.serving?.arrivalRequestsPerSecond = serving.arrivalRequestsPerSecond
            } else {
                let run = try JSONDecoder().decode(RunSummary.self, from: data)
                record.measured = PointRecord.Measured(
                    tokensPerSecond: run.tokensPerSecond, stepSeconds: run.stepSeconds, attentionSeconds: run.attentionSeconds,
                    routerSeconds: run.routerSeconds, dispatchSeconds: run.dispatchSeconds, combineSeconds: run.combineSeconds,
                    sharedSeconds: run.sharedSeconds, expertsSeconds: run.expertsSeconds, waitSeconds: run.waitSeconds,
                    emulatedSeconds: run.emulatedSeconds, dispatchBytes: run.dispatchBytes, combineBytes: run.combineBytes,
                    exchangeBytesPerSecond: run.exchangeBytesPerSecond, imbalance: run.imbalance)
            }
        } catch {
            record.status = .failed
            record.error = "\(summaryPath): not a summary of this kind of point: \(error)"
        }
        return record
    }

    /// A word as a POSIX shell would need it, for `command.txt` (which is for people, never run).
    static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// What `summary.json` holds: the sweep as asked, what its report found, and every record.
    struct Summary: Codable {
        var sweep: Identity
        var date: String
        var analysis: SweepAnalysis
        var records: [PointRecord]
    }

    /// Writes `report.md` with its plots and `summary.json` for `records`.
    ///
    /// - Parameter plots: false to write the report without images (no gnuplot).
    /// - Returns: what the report found.
    @discardableResult
    public func writeReport(_ records: [PointRecord], title: String, date: String, plots: Bool = true) async throws -> SweepAnalysis {
        let report = SweepReport(records: records, axes: spec.axisNames, title: title, configPath: base.configPath,
                                 date: date, folder: folder)
        let analysis = try await report.write(plots: plots)
        let summary = Summary(sweep: identity, date: date, analysis: analysis, records: records)
        try AtomicFile.write(try Self.encoder.encode(summary), to: (folder as NSString).appendingPathComponent("summary.json"))
        return analysis
    }
}
