import ArgumentParser
import MeshCore
import MeshRuntime

/// `expertmesh bench`: ratios against raw MPI_Alltoallv and raw cblas_sgemm, and tokens/s.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the exchange against raw MPI_Alltoallv, the experts against raw cblas_sgemm, and tokens/s (under mpirun).")

    @Option(help: "The config file (YAML).")
    var config: String = "Cluster/default.yaml"

    @Option(help: "Timed iterations of each measurement; medians are reported.")
    var iterations: Int = 20

    @Option(help: "Untimed iterations first.")
    var warmup: Int = 3

    @Option(help: "Decode steps for the decode throughput.")
    var decodeSteps: Int = 16

    @OptionGroup var job: JobOptions

    func validate() throws {
        try Limits.check(count: iterations, flag: "--iterations")
        try Limits.check(count: warmup, flag: "--warmup", in: 0...ConfigLimits.steps.upperBound)
        try Limits.check(count: decodeSteps, flag: "--decode-steps")
    }

    func run() throws {
        var loaded = try ExpertMeshConfig.load(path: config)
        loaded.runtime.stepTimeoutSeconds = job.timeoutSeconds(default: loaded.runtime.stepTimeoutSeconds)
        var request = BenchRequest(config: loaded, configPath: config, output: { print($0) })
        request.fault = job.fault()
        request.iterations = iterations
        request.warmup = warmup
        request.decodeSteps = decodeSteps
        let status = Bench.main(request)
        if status != 0 { throw ExitCode(status) }
    }
}
