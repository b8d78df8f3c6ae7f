import Foundation
import MeshCore
import MeshModel
import MeshMPI
import MeshTensor

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
        let codec = RecordCodec(hidden: model.hidden, k: model.topK, dispatch: config.runtime.dispatchDType,
                                combine: config.runtime.combineDType)
        let dispatchLayout = codec.dispatch, combineLayout = codec.combine
        let records = plan.counts[0]
        // Worker 0's records, packed exactly as a coordinator sends them.
        var received = [UInt8](repeating: 0, count: max(records * dispatchLayout.recordBytes, 1))
        var onlyWorker0 = plan
        for w in 1..<plan.tokens.count { onlyWorker0.tokens[w] = []; onlyWorker0.localExperts[w] = []; onlyWorker0.weights[w] = [] }
        let packer = DispatchPacker(codec: codec)
        rows.withUnsafeBufferPointer { rows in
            received.withUnsafeMutableBytes { send in
                packer.pack(onlyWorker0, rows: rows, into: send) { _ in 0 }
            }
        }
        var send = [UInt8](repeating: 0, count: max(records * combineLayout.recordBytes, 1))
        let compute = ExpertCompute(codec: codec)
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
