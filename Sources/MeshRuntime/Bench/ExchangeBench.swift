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
                _ = try context.counts.exchange(Array(repeating: ControlWord.prefill.rawValue, count: context.ranks),
                                                timeoutSeconds: context.timeoutSeconds, phase: "the start of a bench step")
                metrics.beginStep(phaseCode: 1, tokens: tokens)
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
        let dispatchBytes = routing.plans.flatMap { $0 }.reduce(0) { $0 + $1.counts.reduce(0, +) } * context.dispatchLayout.recordBytes
        let combineBytes = routing.plans.flatMap { $0 }.reduce(0) { $0 + $1.counts.reduce(0, +) } * context.combineLayout.recordBytes
        let r = RunReport.median(runtimeSeconds), b = RunReport.median(rawSeconds)
        return String(format: "exchange, dispatch + combine of %d MoE layers (%.2f MB + %.2f MB): runtime %.3f ms, raw MPI_Alltoallv %.3f ms, ratio %.2f (target >= 0.9); runtime %.2f GB/s",
                      model.moeLayers.count, Double(dispatchBytes) / 1e6, Double(combineBytes) / 1e6,
                      r * 1000, b * 1000, b / max(r, 1e-12), Double(dispatchBytes + combineBytes) / max(r, 1e-12) / 1e9)
    }
}

/// The same bytes as the runtime's exchange with nothing but blocking `MPI_Alltoallv`, from
/// preallocated buffers: per MoE layer, the dispatch matrix, then the combine matrix.
///
/// The baseline's calls stay blocking on purpose: they are what the runtime's non-blocking,
/// deadline-bounded exchange is compared against, and a timed wait around them would change what
/// is measured. Each step starts with a barrier bounded by the step timeout, so that a rank that
/// stopped before the step (in the runtime's exchange, or between steps) is caught there, and
/// runs under the job's watchdog (``JobContext/blocking(_:_:)``), armed outside the timed window,
/// which ends the job when the step's calls outlast the step timeout.
final class RawExchange {
    let job: JobContext
    let world: Communicator
    let layers: [[(send: [Int32], sendOffsets: [Int32], recv: [Int32], recvOffsets: [Int32])]]
    var sendBuffer: [UInt8]
    var recvBuffer: [UInt8]

    /// - Throws: `MPIRuntimeError` when a step's bytes to one rank exceed MPI's C `int` counts.
    init(bench: ExchangeBench) throws {
        let config = bench.config, context = bench.context, cluster = config.cluster
        job = bench.job
        world = bench.job.world
        let moeLayers = config.model.moeLayers.count
        // Byte matrices: [m][source][destination].
        var dispatch = Array(repeating: Array(repeating: Array(repeating: 0, count: context.ranks), count: context.ranks), count: moeLayers)
        var combine = dispatch
        for c in 0..<cluster.coordinators {
            for m in 0..<moeLayers {
                for (w, count) in bench.routing.plans[c][m].counts.enumerated() {
                    let rank = cluster.rank(ofWorker: w)
                    dispatch[m][c][rank] = count * context.dispatchLayout.recordBytes
                    combine[m][rank][c] = count * context.combineLayout.recordBytes
                }
            }
        }
        let me = context.rank
        func plan(_ matrix: [[Int]]) throws -> (send: [Int32], sendOffsets: [Int32], recv: [Int32], recvOffsets: [Int32]) {
            let send = matrix[me], recv = matrix.map { $0[me] }
            let (send32, recv32) = (send.map(Int32.init), recv.map(Int32.init))
            return (send32, try Communicator.packedDisplacements(for: send32), recv32, try Communicator.packedDisplacements(for: recv32))
        }
        layers = try (0..<moeLayers).map { [try plan(dispatch[$0]), try plan(combine[$0])] }
        let capacity = layers.flatMap { $0 }.flatMap { [$0.send, $0.recv] }.map { Int($0.reduce(0, +)) }.max() ?? 0
        sendBuffer = [UInt8](repeating: 1, count: max(capacity, 1))
        recvBuffer = [UInt8](repeating: 0, count: max(capacity, 1))
    }

    /// One step: every layer's dispatch and combine. Returns its seconds on this rank.
    func step() throws -> Double {
        try job.barrier("the barrier before a raw MPI_Alltoallv step")
        return try job.blocking("a raw MPI_Alltoallv step of the exchange bench") {
            let start = monotonicSeconds()
            for layer in layers {
                for p in layer {
                    try sendBuffer.withUnsafeBytes { send in
                        try recvBuffer.withUnsafeMutableBytes { recv in
                            try world.alltoallv(sending: send, sendCounts: p.send, sendDisplacements: p.sendOffsets,
                                                receivingInto: recv, recvCounts: p.recv, recvDisplacements: p.recvOffsets)
                        }
                    }
                }
            }
            return monotonicSeconds() - start
        }
    }
}

/// One worker's expert computation against raw `cblas_sgemm` calls on the same shapes.
struct ComputeBench {
    let request: BenchRequest

    func run() throws -> String {
        let config = request.config, model = config.model
        let layer = model.moeLayers[0]
        let held = config.placement.experts[0][0]
        let source = SeededWeights(seed: config.weights.seed)
        let weights = try ModelWeights(model: model, source: source,
                                       ownership: .worker(0, placement: config.placement, model: model))
        let experts = held.map { weights.experts[layer][$0]! }
        let plan = SyntheticRouting(config: config).plans[0][0]
        let tokens = plan.tokens.flatMap { $0 }.map { Int($0) }.max().map { $0 + 1 } ?? 0
        let rows = SeededInput.hiddenStates(sequences: 1, tokens: tokens, hidden: model.hidden, seed: 9)
        let dispatchLayout = DispatchRecordLayout(hidden: model.hidden, k: model.topK, dtype: config.runtime.dispatchDType)
        let combineLayout = CombineRecordLayout(hidden: model.hidden, dtype: config.runtime.combineDType)
        let records = plan.counts[0]
        // Worker 0's records, packed exactly as a coordinator sends them.
        var received = [UInt8](repeating: 0, count: max(records * dispatchLayout.recordBytes, 1))
        var onlyWorker0 = plan
        for w in 1..<plan.tokens.count { onlyWorker0.tokens[w] = []; onlyWorker0.localExperts[w] = []; onlyWorker0.weights[w] = [] }
        let packer = DispatchPacker(dispatchLayout: dispatchLayout, combineLayout: combineLayout)
        rows.withUnsafeBufferPointer { rows in
            received.withUnsafeMutableBytes { send in
                packer.pack(onlyWorker0, rows: rows, into: send, workerOffsets: Array(repeating: 0, count: plan.tokens.count))
            }
        }
        var send = [UInt8](repeating: 0, count: max(records * combineLayout.recordBytes, 1))
        let compute = ExpertCompute(dispatchLayout: dispatchLayout, combineLayout: combineLayout)
        let origin = ExpertCompute.Origin(rank: 0, layer: layer, recordsPerSource: [records])
        let perExpert = try received.withUnsafeBytes { input in
            try send.withUnsafeMutableBytes { output in
                try compute.run(experts: experts, received: input, origin: origin, into: output)
            }
        }
        // The baseline: the three GEMMs of each expert on rows already gathered, nothing else.
        let hidden = model.hidden
        let inputs = perExpert.map { [Float](repeating: 0.5, count: max($0 * hidden, 1)) }
        var gateOut = [Float](repeating: 0, count: (perExpert.max() ?? 0) * (experts.map(\.width).max() ?? 0) + 1)
        var upOut = gateOut
        var downOut = [Float](repeating: 0, count: (perExpert.max() ?? 0) * hidden + 1)
        var raw: [Double] = [], runtime: [Double] = []
        // Alternate the two so that the machine's noise falls on both alike.
        for iteration in 0..<(request.warmup + request.iterations) {
            let runtimeStart = monotonicSeconds()
            try received.withUnsafeBytes { input in
                try send.withUnsafeMutableBytes { output in
                    _ = try compute.run(experts: experts, received: input, origin: origin, into: output)
                }
            }
            if iteration >= request.warmup { runtime.append(monotonicSeconds() - runtimeStart) }
            let start = monotonicSeconds()
            for (e, n) in perExpert.enumerated() where n > 0 {
                let expert = experts[e]
                inputs[e].withUnsafeBufferPointer { x in
                    expert.gate.scalars.withUnsafeBufferPointer { g in
                        gateOut.withUnsafeMutableBufferPointer { linear(x, rows: n, inFeatures: hidden, weight: g, outFeatures: expert.width, into: $0) }
                    }
                    expert.up.scalars.withUnsafeBufferPointer { u in
                        upOut.withUnsafeMutableBufferPointer { linear(x, rows: n, inFeatures: hidden, weight: u, outFeatures: expert.width, into: $0) }
                    }
                }
                gateOut.withUnsafeBufferPointer { h in
                    expert.down.scalars.withUnsafeBufferPointer { d in
                        downOut.withUnsafeMutableBufferPointer { linear(h, rows: n, inFeatures: expert.width, weight: d, outFeatures: hidden, into: $0) }
                    }
                }
            }
            if iteration >= request.warmup { raw.append(monotonicSeconds() - start) }
        }
        let r = RunReport.median(runtime), b = RunReport.median(raw)
        let flops = perExpert.enumerated().reduce(0.0) { $0 + 6 * Double($1.element * hidden * experts[$1.offset].width) }
        return String(format: "expert compute, worker 0, layer %d (%d experts, %d token rows, %d expert rows): runtime %.3f ms, raw cblas_sgemm %.3f ms, ratio %.2f (target >= 0.9); %.2f GFLOP/s",
                      layer, experts.count, records, perExpert.reduce(0, +), r * 1000, b * 1000, b / max(r, 1e-12),
                      flops / max(r, 1e-12) / 1e9)
    }
}
