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

    @Option(help: "Dispatch wire format: fp32, bf16 or fp8 (default: the config's).")
    var dispatchDtype: String?

    @Option(help: "Combine wire format: fp32 or bf16 (default: the config's).")
    var combineDtype: String?

    @Option(help: "Seconds an exchange may wait before the job is aborted naming the peer and phase.")
    var stepTimeout: Double?

    @Option(help: "Write one JSON record per step to this file.")
    var metrics: String?

    @Option(help: "Write a Chrome trace-event file (open it in Perfetto) with one track per rank.")
    var trace: String?

    @Option(help: "Emulate a hardware profile's links: each exchange takes at least what they would for the bytes sent.")
    var emulate: String?

    @Flag(help: "With --emulate: also stretch every compute phase to the profile's device, when it is slower than this machine's (the config's hardware profile).")
    var emulateDevice = false

    @Option(help: "Write the run's medians (step time, phases, bytes, imbalance) as JSON to this file.")
    var summary: String?

    @Option(help: "Write the tokens routed to each expert of each MoE layer (total, mean per step, moving average) as CSV, for `expertmesh plan`.")
    var loadStats: String?

    @Option(help: "Start the job itself: mpirun with this hostfile and the config's rank count (outside mpirun only).")
    var hostfile: String?

    @Flag(help: "Do not print the summary table.")
    var quiet = false

    @Option(help: ArgumentHelp("Inject a failure for tests: stall:RANK, corrupt:RANK or kill:RANK.", visibility: .hidden))
    var injectFault: String?

    func run() throws {
        var (loaded, kind, mode) = try io.load()
        if let hostfile { try Self.launch(hostfile: hostfile, config: loaded) }
        if let dispatchDtype {
            guard let value = WireDType(rawValue: dispatchDtype) else {
                throw CommandError(message: "--dispatch-dtype: expected fp32, bf16 or fp8, found '\(dispatchDtype)'")
            }
            loaded.runtime.dispatchDType = value
        }
        if let combineDtype {
            guard let value = WireDType(rawValue: combineDtype), value != .fp8 else {
                throw CommandError(message: "--combine-dtype: expected fp32 or bf16, found '\(combineDtype)'")
            }
            loaded.runtime.combineDType = value
        }
        if let stepTimeout {
            guard stepTimeout > 0 else { throw CommandError(message: "--step-timeout: expected seconds > 0, found \(stepTimeout)") }
            loaded.runtime.stepTimeoutSeconds = stepTimeout
        }
        // Files are written by rank 0 after the run: a folder that is not there is bad input now.
        for (flag, path) in [("--output", io.output), ("--metrics", metrics), ("--trace", trace), ("--summary", summary), ("--load-stats", loadStats)] {
            guard let path else { continue }
            let folder = (path as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) || !isFolder.boolValue {
                throw CommandError(message: "\(flag) \(path): no folder \(folder)")
            }
        }
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
        if let emulate {
            let profile = try HardwareProfile.load(path: emulate)
            request.emulate = profile
            if emulateDevice { request.computeSlowdown = try Self.slowdown(emulating: profile, path: emulate, config: loaded, configPath: io.config) }
        } else if emulateDevice {
            throw CommandError(message: "--emulate-device: needs --emulate PROFILE")
        }
        if let injectFault {
            guard let fault = Fault(injectFault) else {
                throw CommandError(message: "--inject-fault: expected stall:RANK, corrupt:RANK or kill:RANK, found '\(injectFault)'")
            }
            request.fault = fault
        }
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

    /// How many times slower than this machine the emulated profile's device is (at least 1).
    ///
    /// This machine's speed is the config's hardware profile (`expertmesh calibrate` writes it).
    static func slowdown(emulating profile: HardwareProfile, path: String, config: ExpertMeshConfig, configPath: String) throws -> Double {
        guard let localPath = config.hardware else {
            throw CommandError(message: "--emulate-device: \(configPath) has no `hardware:` profile of this machine to compare \(path) with")
        }
        let local = try HardwareProfile.load(path: localPath)
        guard profile.peakFlopsPerSecond > 0 else {
            throw CommandError(message: "--emulate-device: \(path): device.flops has no \(profile.computeDType) rate")
        }
        return max(1, local.peakFlopsPerSecond / profile.peakFlopsPerSecond)
    }
}
