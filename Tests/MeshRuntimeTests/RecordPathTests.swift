import Testing
@testable import MeshCore
@testable import MeshModel
@testable import MeshRuntime
import MeshTensor

/// The record path without MPI: coordinator packing → worker expert computation → coordinator
/// accumulation, checked against the reference's MoE block.
@Suite struct RecordPathTests {
    func model() -> ModelConfig {
        var m = ModelConfig()
        m.hidden = 40; m.layers = 1; m.heads = 4; m.kvHeads = 2; m.headDim = 10
        m.experts = 6; m.topK = 3; m.expertFFN = 24
        return m
    }

    /// Runs one MoE layer through packing, the workers' computation and accumulation.
    func distributed(_ m: ModelConfig, placement: [[Int]], dispatch: WireDType, combine: WireDType,
                     x: Tensor, routing: Routing, weights: ModelWeights) throws -> Tensor {
        let codec = RecordCodec(hidden: m.hidden, k: m.topK, dispatch: dispatch, combine: combine)
        let dispatchLayout = codec.dispatch, combineLayout = codec.combine
        let plan = DispatchPlan(routing: routing, experts: placement)
        let packer = DispatchPacker(codec: codec)
        var sendOffsets: [Int] = [], total = 0
        for count in plan.counts { sendOffsets.append(total); total += count * dispatchLayout.recordBytes }
        var wire = [UInt8](repeating: 0, count: max(total, 1))
        x.scalars.withUnsafeBufferPointer { rows in
            wire.withUnsafeMutableBytes { packer.pack(plan, rows: rows, into: $0) { sendOffsets[$0] } }
        }
        var combineOffsets: [Int] = [], combined = [UInt8]()
        for (w, count) in plan.counts.enumerated() {
            combineOffsets.append(combined.count)
            var out = [UInt8](repeating: 0, count: max(count * combineLayout.recordBytes, 1))
            let compute = ExpertCompute(codec: codec)
            let region = Array(wire[sendOffsets[w]..<(sendOffsets[w] + count * dispatchLayout.recordBytes)])
            try region.withUnsafeBytes { input in
                try out.withUnsafeMutableBytes { output in
                    _ = try compute.run(experts: placement[w].map { weights.experts[0][$0]! }, received: input,
                                        origin: .init(rank: w + 1, layer: 0, recordsPerSource: [count]), into: output)
                }
            }
            combined += out[0..<(count * combineLayout.recordBytes)]
        }
        var result = Tensor(zeros: x.shape)
        combined.withUnsafeBytes { received in
            result.scalars.withUnsafeMutableBufferPointer {
                packer.accumulate(plan, received: received, workerOffsets: { combineOffsets[$0] }, into: $0)
            }
        }
        return result
    }

    @Test(arguments: [
        (WireDType.fp32, WireDType.fp32, 1e-5),
        (.bf16, .fp32, 2e-2),
        (.fp8, .bf16, 1e-1),
    ])
    func packComputeAccumulateEqualsTheReference(dispatch: WireDType, combine: WireDType, tolerance: Double) throws {
        let m = model()
        let weights = try ModelWeights(model: m, source: SeededWeights(seed: 1), ownership: .everything(m))
        let reference = ReferenceModel(weights: weights)
        let layer = DecoderLayer(model: m, index: 0, weights: weights.layers[0]!)
        let x = Tensor(shape: [9, m.hidden], scalars: SeededInput.hiddenStates(sequences: 1, tokens: 9, hidden: m.hidden, seed: 2))
        let routing = layer.route(x)
        let expected = reference.routedOutput(layer: layer, normed: x)
        // Uneven, with a replicated expert (2) and a worker holding nothing.
        let placement = [[0, 2], [], [1, 2, 3, 4], [5]]
        let actual = try distributed(m, placement: placement, dispatch: dispatch, combine: combine, x: x,
                                     routing: routing, weights: weights)
        let comparison = Comparison(actual.scalars, expected.scalars)
        #expect(comparison.relativeError <= tolerance, "relative error \(comparison.relativeError)")
        if dispatch != .fp32 {
            #expect(comparison.relativeError > 1e-6, "a reduced format should not be exact")
        }
    }

    @Test func aRecordNamingAnExpertNotHeldIsAProtocolError() throws {
        let m = model()
        let layout = DispatchRecordLayout(hidden: m.hidden, k: m.topK, dtype: .fp32)
        var record = [UInt8](repeating: 0, count: layout.recordBytes)
        record.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: Int32(7), toByteOffset: 0, as: Int32.self)
            bytes.storeBytes(of: Int32(-1), toByteOffset: 4, as: Int32.self)
            bytes.storeBytes(of: Int32(-1), toByteOffset: 8, as: Int32.self)
        }
        let weights = try ModelWeights(model: m, source: SeededWeights(seed: 1), ownership: .everything(m))
        let compute = ExpertCompute(codec: RecordCodec(hidden: m.hidden, k: m.topK, dispatch: .fp32, combine: .fp32))
        var out = [UInt8](repeating: 0, count: 4 * m.hidden)
        #expect {
            try record.withUnsafeBytes { input in
                try out.withUnsafeMutableBytes { output in
                    _ = try compute.run(experts: [weights.experts[0][0]!, weights.experts[0][1]!], received: input,
                                        origin: .init(rank: 3, layer: 2, recordsPerSource: [0, 1]), into: output)
                }
            }
        } throws: { error in
            (error as? ProtocolError)?.description
                == "rank 3: layer 2: bad message from rank 1: record 0 slot 0 expert: local expert 7 is not held here (this worker holds 2 in layer 2)"
        }
    }

    @Test func faultsParse() {
        #expect(Fault("stall:2") == .stall(rank: 2))
        #expect(Fault("corrupt:0") == .corrupt(rank: 0))
        #expect(Fault("kill:1") == .kill(rank: 1))
        #expect(Fault("explode:1") == nil)
        #expect(Fault("stall:-1") == nil)
        #expect(Fault("stall") == nil)
    }
}
