import ArgumentParser
import Foundation
import MeshCore
import MeshLoadTest
import MeshModel
import MeshRuntime

/// `expertmesh run`: the model of a config across the ranks of an mpirun job.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model distributed: coordinators run attention and routing, workers their experts (under mpirun).")

    @OptionGroup var io: ModelIOOptions
    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "Write one JSON record per step to this file.")
    var metrics: String?

    @Option(help: "Write a Chrome trace-event file (open it in Perfetto) with one track per rank.")
    var trace: String?

    @Option(help: "Write the run's medians (step time, phases, bytes, imbalance) as JSON to this file.")
    var summary: String?

    @Option(help: "Write the tokens routed to each expert of each MoE layer (total, mean per step, moving average) as CSV, for `expertmesh plan`.")
    var loadStats: String?

    @Option(help: "Start the job itself: mpirun with this hostfile and the config's rank count (outside mpirun only).")
    var hostfile: String?

    @Flag(help: "Do not print the summary table.")
    var quiet = false

    func run() throws {
        var (loaded, kind, mode) = try io.load()
        if let hostfile { try Self.launch(hostfile: hostfile, config: loaded) }
        try runtime.apply(to: &loaded)
        try RuntimeOptions.checkFolders([("--output", io.output), ("--metrics", metrics), ("--trace", trace),
                                         ("--summary", summary), ("--load-stats", loadStats)])
        var request = RunRequest(config: loaded, configPath: io.config)
        request.weightsPath = io.weights
        request.inputPath = io.input
        request.outputPath = io.output
        request.outputKind = kind
        request.metricsPath = metrics
        request.tracePath = trace
        request.summaryPath = summary
        request.loadStatsPath = loadStats
        request.mode = mode
        if let steps = io.steps { request.steps = steps }
        if !quiet { request.summary = { print($0) } }
        if let (profile, slowdown) = try runtime.emulation(config: loaded, configPath: io.config) {
            request.emulate = profile
            request.computeSlowdown = slowdown
        }
        request.fault = try runtime.fault()
        let status = DistributedRun.main(request)
        if status != 0 { throw ExitCode(status) }
    }

    /// Replaces this process with `mpirun --hostfile HOSTFILE -np RANKS expertmesh run ...` (the same
    /// arguments without `--hostfile`), so that `run` starts its own job on a cluster; returns
    /// only by throwing.
    static func launch(hostfile: String, config: ExpertMeshConfig) throws {
        guard ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] == nil else {
            throw CommandError(message: "--hostfile: run starts mpirun itself with it; under mpirun, give the hostfile to mpirun instead")
        }
        guard FileManager.default.isReadableFile(atPath: hostfile) else {
            throw CommandError(message: "--hostfile \(hostfile): no such readable file")
        }
        var launcher = try Launcher()
        launcher.hostfile = hostfile
        var arguments: [String] = []
        var skip = false
        for argument in CommandLine.arguments.dropFirst() {
            if skip { skip = false; continue }
            if argument == "--hostfile" { skip = true; continue }
            if argument.hasPrefix("--hostfile=") { continue }
            arguments.append(argument)
        }
        let line = launcher.commandLine(ranks: config.cluster.ranks, blasThreads: config.runtime.blasThreads, arguments: arguments)
        var argv = line.map { strdup($0) }
        argv.append(nil)
        execv(line[0], argv)
        throw CommandError(message: "--hostfile: cannot start \(line[0]): \(String(cString: strerror(errno)))")
    }

}
