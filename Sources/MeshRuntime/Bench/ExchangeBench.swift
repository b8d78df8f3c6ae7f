import Foundation
import MeshCore
import MeshModel
import MeshMPI
import MeshTensor

/// The runtime's exchange against a raw `MPI_Alltoallv` of the same byte matrix.
final class ExchangeBench {
    let request: BenchRequest
    let job: JobContext
    let setup: RankSetup
    let routing: SyntheticRouting

    /// Sets this rank up with seeded weights, its experts' GEMMs skipped on workers.
    init(request: BenchRequest, job: JobContext) throws {
        self.request = request
        self.job = job
        setup = try RankSetup(job: job, config: request.config, source: SeededWeights(seed: request.config.weights.seed))
        routing = SyntheticRouting(config: request.config)
    }

    var config: ExpertMeshConfig { request.config }
    var context: RunContext { setup.context }

    /// Runs both sides, alternating one runtime step and one raw step so that the machine's noise
    /// falls on both alike; returns the report line (meaningful on rank 0).
    func run() throws -> String {
        let model = config.model
        let metrics = setup.metrics
        let raw = try RawExchange(bench: self)
        var runtimeSeconds: [Double] = [], rawSeconds: [Double] = []
        switch setup.part {
        case .coordinator(let coordinator):
            guard case .coordinator(let c) = setup.role else { return "" }
            let tokens = config.cluster.sequences(ofCoordinator: c, total: config.workload.sequences).count * config.workload.tokens
            let rows = Tensor(shape: [tokens, model.hidden],
                              scalars: SeededInput.hiddenStates(sequences: 1, tokens: tokens, hidden: model.hidden, seed: 9))
            var out = Tensor(zeros: rows.shape)
            for iteration in 0..<(request.warmup + request.iterations) {
                try coordinator.broadcast(.prefill, phase: "the start of a bench step")
                metrics.beginStep(.prefill, tokens: tokens)
                for (m, layer) in model.moeLayers.enumerated() {
                    try coordinator.exchange(routing.plans[c][m], rows: rows, layer: layer, into: &out)
                }
                metrics.endStep()
                let step = metrics.steps[metrics.steps.count - 1]
                let time = step.times.reduce(0) { $0 + $1[LayerPhase.dispatch.rawValue] + $1[LayerPhase.combine.rawValue] }
                let rawTime = try raw.step()
                if iteration >= request.warmup {
                    runtimeSeconds.append(time)
                    rawSeconds.append(rawTime)
                }
            }
            try coordinator.stop()
        case .worker(let worker):
            worker.compute.skipExperts = true
            while try worker.serveStep() { _ = try raw.step() }
        }
        let dispatchBytes = routing.plans.flatMap { $0 }.reduce(0) { $0 + $1.counts.reduce(0, +) } * context.codec.dispatch.recordBytes
        let combineBytes = routing.plans.flatMap { $0 }.reduce(0) { $0 + $1.counts.reduce(0, +) } * context.codec.combine.recordBytes
        let r = RunReport.median(runtimeSeconds), b = RunReport.median(rawSeconds)
        return String(format: "exchange, dispatch + combine of %d MoE layers (%.2f MB + %.2f MB): runtime %.3f ms, raw MPI_Alltoallv %.3f ms, ratio %.2f (target >= 0.9); runtime %.2f GB/s",
                      model.moeLayers.count, Double(dispatchBytes) / 1e6, Double(combineBytes) / 1e6,
                      r * 1000, b * 1000, b / max(r, 1e-12), Double(dispatchBytes + combineBytes) / max(r, 1e-12) / 1e9)
    }
}
