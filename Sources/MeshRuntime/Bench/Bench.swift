import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// What `expertmesh bench` measures, and how often.
public struct BenchRequest: Sendable {
    public var config: ExpertMeshConfig
    public var configPath: String
    /// Timed repetitions of each measurement (the median is reported).
    public var iterations = 20
    /// Untimed repetitions first.
    public var warmup = 3
    /// Decode steps for the decode throughput.
    public var decodeSteps = 16
    /// A stall or kill to act out at the start of the exchange bench, for tests.
    public var fault: Fault?
    /// Where rank 0 writes the report (standard output from the CLI).
    public var output: @Sendable (String) -> Void

    public init(config: ExpertMeshConfig, configPath: String, output: @escaping @Sendable (String) -> Void) {
        self.config = config
        self.configPath = configPath
        self.output = output
    }
}

/// `expertmesh bench`: the runtime against raw baselines measured in the same run.
///
/// 1. The exchange: the runtime's dispatch + combine of every MoE layer (counts, packing, the
///    two all-to-alls, the workers' grouping and decoding, the coordinator's additions; the expert
///    GEMMs replaced by the identity) against a raw `MPI_Alltoallv` moving the same byte matrix
///    between the same ranks.
/// 2. The expert computation of one worker against raw `cblas_sgemm` calls on the same shapes.
/// 3. Tokens per second of the config in prefill and in decode.
public enum Bench {
    public static func main(_ request: BenchRequest) -> Int32 {
        RankJob(command: "bench", timeoutSeconds: request.config.runtime.stepTimeoutSeconds, fault: request.fault).run(check: {
            MPIJob.rankCountProblem(worldSize: $0.ranks, config: request.config, configPath: request.configPath, command: "bench")
        }, setup: { try BenchSession(request: request, job: $0) })
    }
}

/// One rank's part of `bench`: the exchange, the experts (rank 0), then the model's throughput.
final class BenchSession: RankSession {
    let request: BenchRequest
    let job: JobContext
    let exchange: ExchangeBench
    private var lines: [String] = []

    init(request: BenchRequest, job: JobContext) throws {
        self.request = request
        self.job = job
        exchange = try ExchangeBench(request: request, job: job)
    }

    func run() throws {
        let config = request.config
        try job.agree("the start of the exchange bench")
        lines.append(try exchange.run())
        if job.rank == 0 { lines.append(try ComputeBench(request: request).run()) }
        // Rank 0 times the experts alone meanwhile, which takes long in a debug build: the others
        // wait for it at least 600 s, more if the step timeout is longer.
        try job.barrier("waiting for rank 0's expert bench", timeoutSeconds: max(job.timeoutSeconds, 600))
        for mode in [RunMode.prefill, .decode] {
            var run = RunRequest(config: config, configPath: request.configPath)
            run.mode = mode
            run.steps = mode == .prefill ? max(request.iterations / 2, 3) : request.decodeSteps
            job.enter("the model's \(mode.rawValue) throughput")
            let session = try RunSession(request: run, job: job)
            // Loading the weights again is setup: it ends seconds apart from rank to rank.
            try job.barrier("setting up the model's \(mode.rawValue) run", timeoutSeconds: job.setupTimeoutSeconds)
            try session.run()
            if let report = try session.finish() {
                let tokens = mode == .prefill ? "\(config.workload.sequences) × \(config.workload.tokens) tokens"
                    : "\(config.workload.sequences) sequences × 1 token"
                lines.append(String(format: "model %@: %.0f tokens/s (median of %d steps of %@)", mode.rawValue as NSString,
                                    report.medianTokensPerSecond, report.measuredSteps.count, tokens as NSString))
            }
        }
    }

    func end() throws -> Int32 {
        guard job.rank == 0 else { return 0 }
        request.output("expertmesh bench: \(request.configPath), \(job.ranks) ranks, \(request.iterations) timed iterations "
              + "after \(request.warmup) warm-up (medians; ratio = baseline time / runtime time, 1.0 = as fast as the baseline)")
        request.output(lines.joined(separator: "\n"))
        return 0
    }
}

/// Synthetic routing shared by every rank: the same seed gives every rank the same plans.
struct SyntheticRouting {
    /// `plans[c][m]`: coordinator c's plan for MoE layer m.
    let plans: [[DispatchPlan]]
    let tokens: Int

    init(config: ExpertMeshConfig) {
        let model = config.model, cluster = config.cluster
        tokens = config.workload.sequences * config.workload.tokens
        plans = (0..<cluster.coordinators).map { c in
            model.moeLayers.indices.map { m in
                var rng = SplitMix64(seed: config.workload.seed, name: "bench.routing.\(c).\(m)")
                let t = cluster.sequences(ofCoordinator: c, total: config.workload.sequences).count * config.workload.tokens
                var experts: [Int32] = [], weights: [Float] = []
                for _ in 0..<t {
                    var chosen: [Int32] = []
                    while chosen.count < model.topK {
                        let e = Int32(rng.next() % UInt64(model.experts))
                        if !chosen.contains(e) { chosen.append(e) }
                    }
                    experts += chosen
                    weights += (0..<model.topK).map { _ in abs(rng.nextFloat(bound: 1)) }
                }
                return DispatchPlan(routing: Routing(tokens: t, k: model.topK, experts: experts, weights: weights),
                                    experts: config.placement.experts[m])
            }
        }
    }
}
