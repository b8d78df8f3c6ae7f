import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

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
