import ArgumentParser
import Foundation
import MeshCore
import MeshRuntime

/// `expertmesh serve`: open-loop serving with continuous batching, across an mpirun job.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve requests arriving open-loop (Poisson or a trace) with continuous batching, and report TTFT, TPOT and latency percentiles (under mpirun).",
        discussion: """
            Give either --rate and --requests (Poisson arrivals) or --trace-file (CSV with the header \
            \(ServingWorkload.traceHeader)). Request i is served by coordinator i % coordinators; each step \
            holds one decode token per running request plus the prompts of arrived requests admitted first \
            come, first served within --max-batch-tokens and --max-sequences (per coordinator).
            """)

    @Option(help: "The config file (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Replace a config field before it is checked, e.g. --set cluster.workers=2 (repeatable).", valueName: "FIELD.PATH=VALUE"))
    var overrides: [String] = []

    @Option(help: "Weights: a .safetensors file, a sharded index JSON or a model folder (default: the config's, else seeded).")
    var weights: String?

    @Option(help: "Requests per second arriving as a Poisson process.")
    var rate: Double?

    @Option(help: "Requests to send at --rate.")
    var requests: Int?

    @Option(help: ArgumentHelp("Prompt tokens per request, or a uniform range LOW-HIGH (default: the config's workload.tokens).", valueName: "N|LOW-HIGH"))
    var promptTokens: String?

    @Option(help: ArgumentHelp("Output tokens per request, or a uniform range LOW-HIGH (default: 16).", valueName: "N|LOW-HIGH"))
    var outputTokens: String?

    @Option(help: "Seed of the arrivals and lengths (default: the config's workload.seed).")
    var arrivalSeed: UInt64?

    @Option(help: "A trace CSV: arrival_seconds,prompt_tokens,output_tokens per line, after that header.")
    var traceFile: String?

    @Option(help: "Most tokens in one step of one coordinator: running decodes plus admitted prompts.")
    var maxBatchTokens = 512

    @Option(help: "Most requests running at once on one coordinator (KV cache slots).")
    var maxSequences = 64

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "Write the serving summary (rates, TTFT/TPOT/end-to-end percentiles) as JSON to this file.")
    var summary: String?

    @Option(help: "Write one CSV line per request (arrival, first token, finish, tokens, TTFT, TPOT) to this file.")
    var requestsCsv: String?

    @Flag(help: "Do not print the summary table.")
    var quiet = false

    func validate() throws {
        try Limits.check(count: maxBatchTokens, flag: "--max-batch-tokens", in: ConfigLimits.tokens)
        try Limits.check(count: maxSequences, flag: "--max-sequences", in: ConfigLimits.sequences)
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate: expected requests per second > 0, found \(rate)") }
        if let requests { try Limits.check(count: requests, flag: "--requests", in: ConfigLimits.requests) }
    }

    func run() throws {
        var loaded = try ExpertMeshConfig.load(path: config, overrides: try overrides.map(ConfigOverride.init(parsing:)))
        try runtime.apply(to: &loaded)
        let workload = try loadWorkload(config: loaded)
        let limits = ServingLimits(maxBatchTokens: maxBatchTokens, maxSequences: maxSequences)
        try limits.check(workload)
        try RuntimeOptions.checkFolders([("--summary", summary), ("--requests-csv", requestsCsv)])
        var request = ServeRequest(config: loaded, configPath: config, workload: workload, limits: limits,
                                   estimator: LatencyHistogram.percentiles)
        request.weightsPath = weights
        request.summaryPath = summary
        request.requestsCSVPath = requestsCsv
        if !quiet { request.table = { print($0) } }
        if let (profile, slowdown) = try runtime.emulation(config: loaded, configPath: config) {
            request.emulate = profile
            request.computeSlowdown = slowdown
        }
        request.fault = try runtime.fault()
        let status = ServingRun.main(request)
        if status != 0 { throw ExitCode(status) }
    }

    /// The requests: Poisson arrivals at --rate, or the trace file.
    private func loadWorkload(config: ExpertMeshConfig) throws -> ServingWorkload {
        if let traceFile {
            for (flag, given) in [("--rate", rate != nil), ("--requests", requests != nil), ("--prompt-tokens", promptTokens != nil),
                                  ("--output-tokens", outputTokens != nil), ("--arrival-seed", arrivalSeed != nil)] where given {
                throw CommandError(message: "\(flag): not with --trace-file, which gives every request's arrival and tokens")
            }
            return try ServingWorkload.trace(path: traceFile)
        }
        guard let rate else { throw CommandError(message: "--rate: give --rate R --requests N, or --trace-file F") }
        guard let requests else { throw CommandError(message: "--requests: needed with --rate") }
        let prompt = try Self.range(promptTokens, flag: "--prompt-tokens", default: config.workload.tokens)
        let output = try Self.range(outputTokens, flag: "--output-tokens", default: 16)
        return ServingWorkload.poisson(ratePerSecond: rate, count: requests, promptTokens: prompt, outputTokens: output,
                                       seed: arrivalSeed ?? config.workload.seed)
    }

    /// `N` or `LOW-HIGH`, whole numbers ≥ 1.
    static func range(_ text: String?, flag: String, default value: Int) throws -> ClosedRange<Int> {
        guard let text else { return value...value }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), let low = parts.first!, let high = parts.last!, low >= 1, high >= low,
              high <= ConfigLimits.tokens.upperBound else {
            throw CommandError(message: "\(flag): expected N or LOW-HIGH, whole numbers in \(ConfigLimits.tokens), found '\(text)'")
        }
        return low...high
    }
}
