import ArgumentParser
import Dispatch
import Foundation
import MeshCore
import MeshIO
import MeshLoadTest

/// `expertmesh loadtest`: sweeps launched through mpirun, measured beside predicted.
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Sweep workers, batch, wire format, emulated links and device, skew or serving load; write points.csv, plots and a report.",
        discussion: """
        Axes (--sweep AXIS=V1,V2,...): \(SweepAxis.allCases.map(\.rawValue).joined(separator: ", ")).
        bandwidth is Gbit/s (or 500Mbit/s, 2GB/s), latency µs (or 50us), flops GFLOP/s (or 10TFLOP/s):
        these change the profile given by --emulate (measured) or --hardware (--model-only).
        rate is offered requests per second: such points run `serve` (open-loop Poisson arrivals).
        Every point is checked before anything is launched. Docs/LoadTesting.md explains every column and plot.
        """)

    @Option(help: "The base config (YAML); every point is it plus --set overrides.")
    var config: String

    @Option(name: .customLong("sweep"), help: ArgumentHelp("An axis and its values, e.g. workers=1,2,3 (repeatable; the first is outermost).", valueName: "AXIS=V1,V2,..."))
    var sweeps: [String] = []

    @Option(help: "A sweep file (YAML: axes: {AXIS: [values]}, repeat: N, scaling: strong|weak) instead of --sweep.")
    var sweepFile: String?

    @Option(name: .customLong("repeat"), help: "Runs of every point (rows of points.csv; plots take their median) (default 1).")
    var repeats: Int?

    @Option(help: "strong (default): the same tokens at every worker count; weak: sequences grow with the workers.")
    var scaling: Scaling?

    @Option(help: "The result folder (created; must not hold another sweep).")
    var out: String

    @Flag(help: "Continue the sweep in --out: run only the points without a record.")
    var resume = false

    @Flag(help: "Predict every point with the cost model only, at any scale, launching nothing.")
    var modelOnly = false

    @Option(help: "Hardware profile for predictions (default: the config's `hardware`).")
    var hardware: String?

    @Option(help: "Hardware profile whose links (and, with a flops axis, device) measured runs emulate.")
    var emulate: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Replace a config field in every point, e.g. --set workload.seed=2 (repeatable).", valueName: "FIELD.PATH=VALUE"))
    var overrides: [String] = []

    @Option(help: "Token counts per expert (a `run --load-stats` file) for the predictions; `{AXIS}` is replaced by the point's value, e.g. loads/skew-{skew}.csv.")
    var expertLoad: String?

    @Option(help: "Steps per point (default: the config's workload.steps).")
    var steps: Int?

    @Option(help: "Serving points: requests per point.")
    var requests: Int = 32

    @Option(help: "Serving points: output tokens per request.")
    var outputTokens: Int = 16

    @Option(help: "Serving points: the cap on tokens per step of the continuous batch.")
    var maxBatchTokens: Int = 512

    @Option(help: "Seconds a point may run before its job is ended and the point recorded as failed.")
    var pointTimeout: Double = 600

    @Option(help: "Seconds an exchange may wait inside a run (passed to run/serve --step-timeout).")
    var stepTimeout: Double?

    @Option(help: "A hostfile for mpirun (a real cluster); default: every rank on this machine.")
    var hostfile: String?

    @Option(help: "What sets the test cluster's link rate before each linkrate point (given the rate in Gbit/s).")
    var rateCommand: String = "Scripts/cluster-rate.sh"

    @Option(name: .customLong("mpirun-arg"), help: "An extra mpirun argument, passed as it is (repeatable).")
    var mpirunArguments: [String] = []

    @Option(help: "The report's title (default: the axes and the config).")
    var title: String?

    @Flag(help: "No progress bar.")
    var quiet = false

    /// The hosts of a hostfile and their slots (1 when not given), in order.
    static func hosts(_ path: String) throws -> [(name: String, slots: Int)] {
        let text = try TextFile.read(path, what: "an mpirun hostfile (--hostfile)")
        var hosts: [(name: String, slots: Int)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = line.split(separator: " ").map(String.init)
            guard let name = words.first else { continue }
            var slots = 1
            for word in words.dropFirst() where word.hasPrefix("slots=") {
                guard let value = Int(word.dropFirst(6)), value >= 1 else {
                    throw CommandError(message: "--hostfile \(path): line \(n + 1): slots: expected an integer >= 1, found '\(word.dropFirst(6))'")
                }
                slots = value
            }
            hosts.append((name, slots))
        }
        guard !hosts.isEmpty else { throw CommandError(message: "--hostfile \(path): no host listed") }
        return hosts
    }

    func validate() throws {
        if sweepFile != nil, !sweeps.isEmpty || repeats != nil || scaling != nil {
            throw ValidationError("--sweep-file: give the axes, repeat and scaling in the file, not also --sweep, --repeat or --scaling")
        }
        if sweepFile == nil, sweeps.isEmpty { throw ValidationError("--sweep: give at least one axis, e.g. --sweep workers=1,2,3") }
        if let steps { try Limits.check(count: steps, flag: "--steps") }
        try Limits.check(count: requests, flag: "--requests", in: ConfigLimits.requests)
        try Limits.check(count: outputTokens, flag: "--output-tokens", in: ConfigLimits.tokens)
        try Limits.check(count: maxBatchTokens, flag: "--max-batch-tokens", in: ConfigLimits.tokens)
        try Limits.check(seconds: pointTimeout, flag: "--point-timeout")
        if let stepTimeout { try Limits.check(seconds: stepTimeout, flag: "--step-timeout") }
    }

    /// The axes and repetitions: the sweep file's, or --sweep, --repeat and --scaling.
    func sweepSpec() throws -> SweepSpec {
        if let sweepFile { return try SweepSpec.load(path: sweepFile) }
        return try SweepSpec.parse(sweeps: sweeps, repeats: repeats ?? 1, scaling: scaling ?? .strong)
    }

    /// What every point shares: the base config with --set, the profiles, the launch settings.
    func sweepBase() throws -> SweepBase {
        let overrides = try self.overrides.map(ConfigOverride.init(parsing:))
        var base = SweepBase(configPath: config, config: try ExpertMeshConfig.load(path: config, overrides: overrides))
        base.overrides = overrides
        base.hardwarePath = hardware ?? base.config.hardware
        if let path = base.hardwarePath { base.hardware = try HardwareProfile.load(path: path) }
        if let path = base.config.hardware { base.localHardware = try HardwareProfile.load(path: path) }
        if let emulate {
            base.emulatePath = emulate
            base.emulate = try HardwareProfile.load(path: emulate)
        }
        base.steps = steps
        base.expertLoadPattern = expertLoad
        base.requests = requests
        base.outputTokens = outputTokens
        base.maxBatchTokens = maxBatchTokens
        base.modelOnly = modelOnly
        // Test hosts in network namespaces (Scripts/cluster-up.sh) share this machine's cores.
        let environment = ProcessInfo.processInfo.environment
        base.remoteHosts = hostfile != nil && environment["EM_NETNS_MAP"] == nil
        if let hostfile { base.hosts = try Self.hosts(hostfile) }
        base.mapByNode = environment["OMPI_MCA_rmaps_base_mapping_policy"] == "node"
            || zip(mpirunArguments, mpirunArguments.dropFirst()).contains { $0 == "--map-by" && $1.hasPrefix("node") }
        base.rateCommand = URL(fileURLWithPath: rateCommand).standardizedFileURL.path
        return base
    }

    /// The sweep, every point checked, with its launcher unless --model-only.
    func loadTest(_ spec: SweepSpec) throws -> LoadTest {
        let test = try LoadTest(spec: spec, base: try sweepBase(), folder: out)
        test.resume = resume
        test.stepTimeout = stepTimeout
        if !modelOnly {
            var launcher = try Launcher()
            launcher.hostfile = hostfile
            launcher.extraArguments = mpirunArguments
            launcher.timeoutSeconds = pointTimeout
            test.launcher = launcher
        }
        return test
    }

    func run() async throws {
        let spec = try sweepSpec()
        let test = try loadTest(spec)
        let progress = ProgressBar(enabled: !quiet)
        let interruption = Interruption.install()
        defer { interruption.cancel() }
        let records: [PointRecord]
        do {
            records = try await test.run { progress.show($0) }
        } catch is CancellationError {
            // Interrupted: the signal handler ends the job, says so and exits with 130.
            try? await Task.sleep(nanoseconds: 10_000_000_000)
            Foundation.exit(130)
        }
        progress.finish()
        let date = ISO8601DateFormatter().string(from: Date())
        let title = title ?? "expertmesh loadtest: \(spec.axisNames.joined(separator: ", ")) on \(config)"
        let analysis: SweepAnalysis
        do {
            analysis = try await test.writeReport(records, title: title, date: date)
        } catch let error as GnuplotError where error.code == .notFound {
            FileHandle.standardError.write(Data("expertmesh: warning: \(error); report.md is written without plots\n".utf8))
            analysis = try await test.writeReport(records, title: title, date: date, plots: false)
        }
        let failed = records.filter { $0.status == .failed }.count
        print("\(records.count) points (\(failed) failed): \(out)/points.csv, \(out)/report.md (\(analysis.plots.count) plots)")
    }
}

/// The progress line on standard error: point i of n, its settings, the ETA.
final class ProgressBar: Sendable {
    let enabled: Bool
    let terminal: Bool

    init(enabled: Bool) {
        self.enabled = enabled
        terminal = isatty(STDERR_FILENO) != 0
    }

    func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    func show(_ event: LoadTestEvent) {
        guard enabled else { return }
        switch event {
        case .resumed(let done, let total):
            write("resuming: \(done) of \(total) points already done\n")
        case .starting(let position, let total, let point, let label, let repetition, let eta):
            let width = 24
            let filled = width * (position - 1) / max(total, 1)
            let bar = String(repeating: "=", count: filled) + ">" + String(repeating: " ", count: width - filled)
            let etaText = eta.map { " ETA \(Self.duration($0))" } ?? ""
            let line = "[\(bar)] \(position)/\(total) point \(point): \(label.isEmpty ? "-" : label) rep \(repetition + 1)\(etaText)"
            write(terminal ? "\r\u{1B}[K" + line : line + "\n")
        case .finished(let record):
            guard record.status == .failed else { return }
            write((terminal ? "\n" : "") + "  point \(record.index) failed: \(record.error ?? "")\n")
        }
    }

    func finish() { if enabled, terminal { write("\n") } }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

/// SIGINT and SIGTERM end the running job's ranks before the sweep exits: what was finished is
/// already on disk, and `--resume` continues from there.
final class Interruption: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    static func install() -> Interruption {
        let interruption = Interruption()
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                RunningJob.terminate()
                FileHandle.standardError.write(Data("\nexpertmesh: interrupted: finished points are saved; continue with --resume\n".utf8))
                Foundation.exit(130)
            }
            source.resume()
            interruption.sources.append(source)
        }
        return interruption
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
