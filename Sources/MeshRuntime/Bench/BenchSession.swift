import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

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
