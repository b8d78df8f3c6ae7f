import Foundation
import Testing
import MeshCore
@testable import MeshPlanning

/// The cost model with a known load per expert: the busiest worker sets the time, and a
/// replicated expert splits its tokens over its copies.
@Suite struct CostModelLoadTests {
    /// 4 experts on 2 workers, prefill of 1024 tokens, a compute-bound profile (memory far faster).
    func config(placement: [[Int]]) throws -> ExpertMeshConfig {
        var config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 256, layers: 1, heads: 8, experts: 4, top_k: 1, expert_ffn: 512}
        cluster: {coordinators: 1, workers: 2}
        workload: {mode: prefill, sequences: 4, tokens: 256}
        """)
        config.placement = Placement(experts: [placement])
        return config
    }

    let profile = CostModelTests.profile(flops: 1e12, memory: 1e15, link: 1e12, perNode: 8)

    func experts(_ config: ExpertMeshConfig, load: [Double]?) throws -> Double {
        var request = PredictionRequest(config: config, hardware: profile)
        request.expertLoad = load.map { [$0] }
        return try CostModel(request).predict().layers[0].experts.seconds
    }

    @Test func theBusiestWorkerSetsTheTime() throws {
        let c = try config(placement: [[0, 1], [2, 3]])
        let uniform = try experts(c, load: [1, 1, 1, 1])
        // Worker 0 gets 7 of 8 parts of the tokens: 7/4 of its uniform share.
        let skewed = try experts(c, load: [6, 1, 0.5, 0.5])
        #expect(abs(skewed / uniform - 7.0 / 4) < 1e-9)
        // Without a load the model takes uniform routing, as before.
        #expect(abs(try experts(c, load: nil) / uniform - 1) < 0.01)
    }

    @Test func aReplicaSplitsItsExpertsTokens() throws {
        let load: [Double] = [6, 1, 0.5, 0.5]
        let single = try experts(try config(placement: [[0, 1], [2, 3]]), load: load)
        // Expert 0 copied onto worker 1: 3 + 1 parts against 3 + 0.5 + 0.5.
        let replicated = try experts(try config(placement: [[0, 1], [0, 2, 3]]), load: load)
        #expect(abs(replicated / single - 4.0 / 7) < 1e-9)
        var request = PredictionRequest(config: try config(placement: [[0, 1], [0, 2, 3]]), hardware: profile)
        request.expertLoad = [load]
        #expect(abs(request.effectiveImbalance - 4.0 / 4) < 1e-9)
        request.config.placement = Placement(experts: [[[0, 1], [2, 3]]])
        #expect(abs(request.effectiveImbalance - 7.0 / 4) < 1e-9)
    }

    @Test func inDecodeAnExpertWithoutATokenReadsNoWeights() throws {
        // 8 tokens over 16 experts, top-2: about a third of the experts get none. A uniform load
        // must predict what uniform routing predicts, not a weight read for every expert.
        var config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 256, layers: 1, heads: 8, experts: 16, top_k: 2, expert_ffn: 512}
        cluster: {coordinators: 1, workers: 2}
        workload: {mode: decode, sequences: 8, tokens: 16}
        """)
        config.placement = Placement(strategy: .contiguous, experts: 16, workers: 2, moeLayers: 1)
        let slowMemory = CostModelTests.profile(flops: 1e12, memory: 1e10, link: 1e12, perNode: 8)
        var request = PredictionRequest(config: config, hardware: slowMemory)
        let uniform = try CostModel(request).predict().layers[0].experts.seconds
        request.expertLoad = [Array(repeating: 1, count: 16)]
        let loaded = try CostModel(request).predict().layers[0].experts.seconds
        #expect(abs(loaded / uniform - 1) < 0.05)
    }

    @Test func skewedRoutingIsExpectedUnevenWithoutAMeasuredLoad() throws {
        var c = try config(placement: [[0, 1], [2, 3]])
        c.model.router.skew = 1.5
        let share = try #require(PredictionRequest.expectedLoad(c)?.first)
        #expect(abs(share.reduce(0, +) - 1) < 1e-9)              // k = 1 choice per token
        #expect(share.allSatisfy { $0 <= 1 })
        #expect(PredictionRequest(config: c, hardware: profile).effectiveImbalance > 1)
        c.model.router.skew = 0
        #expect(PredictionRequest.expectedLoad(c) == nil)
    }
}
