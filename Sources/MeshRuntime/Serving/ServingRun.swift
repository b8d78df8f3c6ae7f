import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// What `expertmesh serve` was asked to do.
public struct ServeRequest: Sendable {
    public var config: ExpertMeshConfig
    public var configPath: String
    public var weightsPath: String?
    /// Every request of the run; coordinator `c` serves those with `id % coordinators == c`.
    public var workload: ServingWorkload
    /// Per coordinator.
    public var limits: ServingLimits
    /// Where rank 0 writes the ``ServingSummary`` as JSON.
    public var summaryPath: String?
    /// Where rank 0 writes one CSV line per request.
    public var requestsCSVPath: String?
    /// Where rank 0 writes the summary table (standard output from the CLI); nil: no table.
    public var table: (@Sendable (String) -> Void)?
    /// How latencies are reduced to percentiles.
    public var estimator: LatencyEstimator
    /// A failure to inject, for tests.
    public var fault: Fault?
    /// Links to emulate: every exchange takes at least what this profile's links would.
    public var emulate: HardwareProfile?
    /// Compute phases take this many times their real time (≥ 1): a slower device, emulated.
    public var computeSlowdown: Double = 1

    public init(config: ExpertMeshConfig, configPath: String, workload: ServingWorkload, limits: ServingLimits,
                estimator: @escaping LatencyEstimator) {
        self.config = config
        self.configPath = configPath
        self.workload = workload
        self.limits = limits
        self.estimator = estimator
    }
}

/// Open-loop serving across the ranks of an mpirun job: every rank calls ``main(_:)``.
///
/// Coordinators run a ``ServingLoop`` each over their share of the requests, with continuous
/// batching; workers serve the steps the coordinators agree on. Time is each rank's monotonic
/// clock from the barrier every rank leaves at the start. At the end rank 0 gathers every
/// request's record and writes the summary.
public enum ServingRun {
    /// The longest an idle coordinator waits before the next control exchange: short, so that a
    /// request arriving meanwhile waits little, and far below the step timeout the workers'
    /// waits run under.
    static let maxIdleSeconds = 0.010

    /// Runs `request` on this rank and returns the process exit status: 0, or 2 for bad input.
    public static func main(_ request: ServeRequest) -> Int32 {
        RankJob(command: "serve", timeoutSeconds: request.config.runtime.stepTimeoutSeconds).run(check: {
            DistributedRun.problem(command: "serve", config: request.config, configPath: request.configPath,
                                   emulate: request.emulate, job: $0)
        }, setup: { try ServingSession(request: request, job: $0) })
    }
}

/// The state of one rank during a serving run.
final class ServingSession: RankSession {
    let request: ServeRequest
    let job: JobContext
    let setup: RankSetup
    private var scheduler: ServingScheduler?

    init(request: ServeRequest, job: JobContext) throws {
        self.request = request
        self.job = job
        let config = request.config
        setup = try RankSetup(job: job, config: config,
                              source: try WeightFiles.source(path: request.weightsPath ?? config.weights.path, seed: config.weights.seed),
                              fault: request.fault, emulate: request.emulate, computeSlowdown: request.computeSlowdown)
        if case .coordinator(let coordinator) = setup.part, case .coordinator(let c) = setup.role {
            let coordinators = config.cluster.coordinators, seed = config.workload.seed, head = coordinator.head
            scheduler = ServingScheduler(requests: request.workload.requests.filter { $0.id % coordinators == c },
                                         limits: request.limits, head: head, coordinator: c) {
                ServingScheduler.prompt(for: $0, head: head, seed: seed)
            }
        }
    }

    /// Serves every request: coordinators drive the steps, workers serve them.
    func run() throws {
        try job.barrier("the start barrier")
        let start = monotonicSeconds()
        switch setup.part {
        case .coordinator(var stepper):
            guard var scheduler else { return }
            let clock = ServingClock(now: { monotonicSeconds() - start },
                                     sleep: { Thread.sleep(forTimeInterval: $0) })
            // A fraction of the step timeout, so that even a tiny timeout never runs out while idle.
            let idle = min(ServingRun.maxIdleSeconds, job.timeoutSeconds / 4)
            try ServingLoop.run(&stepper, scheduler: &scheduler, clock: clock, maxIdleSeconds: idle)
            self.scheduler = scheduler
        case .worker(let worker):
            try worker.run()
        }
    }

    /// Gathers every request's record on rank 0, which writes the summary, the CSV and the table.
    func end() throws -> Int32 {
        // Per coordinator: steps, tokens and its records; workers send none.
        let mine = scheduler.map { ServingRankResult(steps: $0.steps, batchTokens: $0.batchTokens, records: $0.records) }
        guard let gathered = try job.gather(mine, phase: "gathering the requests' records"), job.rank == 0 else { return 0 }
        let results = gathered.compactMap { $0 }
        // Lockstep: every coordinator counted the same steps.
        let steps = results.map(\.steps).max() ?? 0, batchTokens = results.reduce(0) { $0 + $1.batchTokens }
        var records = results.flatMap(\.records)
        records.sort { $0.id < $1.id }
        let summary = ServingSummary(records: records, requests: request.workload.requests.count,
                                     offeredRequestsPerSecond: request.workload.offeredRequestsPerSecond, steps: steps,
                                     batchTokens: batchTokens, maxBatchTokens: request.limits.maxBatchTokens,
                                     estimator: request.estimator)
        if let path = request.summaryPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(try encoder.encode(summary) + Data("\n".utf8), to: path)
        }
        if let path = request.requestsCSVPath {
            let text = ([RequestRecord.csvHeader] + records.map(\.csvLine)).joined(separator: "\n") + "\n"
            try AtomicFile.write(Data(text.utf8), to: path)
        }
        request.table?(summary.table())
        return 0
    }
}
