import Testing
@testable import MeshCore

@Suite struct PlacementAndNamesTests {
    @Test(arguments: [(16, 3), (8, 8), (5, 2), (3, 5)])
    func contiguousCoversEveryExpertOnceInOrder(experts: Int, workers: Int) {
        let p = Placement(strategy: .contiguous, experts: experts, workers: workers, moeLayers: 2)
        #expect(p.experts[0].joined().map { $0 } == Array(0..<experts))
        let sizes = p.experts[0].map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1)
    }

    @Test func roundRobinDealsExperts() {
        let p = Placement(strategy: .roundRobin, experts: 7, workers: 3, moeLayers: 1)
        #expect(p.experts[0] == [[0, 3, 6], [1, 4], [2, 5]])
        #expect(p.holders(of: 4, moeLayer: 0) == [1])
    }

    @Test func everyTensorHasAUniqueNameAndTheRightRole() {
        var model = ModelConfig()
        model.hidden = 32; model.layers = 3; model.heads = 4; model.kvHeads = 2; model.headDim = 8
        model.experts = 4; model.topK = 2; model.expertFFN = 16; model.sharedExperts = 1; model.sharedFFN = 16
        model.denseLayers = 1; model.denseFFN = 64; model.vocab = 10; model.router.bias = true
        let specs = TensorNames(model: model).all
        #expect(Set(specs.map(\.name)).count == specs.count)
        let expertSpecs = specs.filter { if case .expert = $0.role { return true } else { return false } }
        #expect(expertSpecs.count == 2 * 4 * 3)
        #expect(specs.contains { $0.name == "model.layers.0.mlp.gate_proj.weight" && $0.shape == [64, 32] })
        #expect(specs.contains { $0.name == "model.layers.2.mlp.experts.3.down_proj.weight" && $0.shape == [32, 16] })
        #expect(specs.contains { $0.name == "model.layers.1.mlp.gate.e_score_correction_bias" })
        #expect(specs.contains { $0.name == "lm_head.weight" && $0.shape == [10, 32] })
        #expect(!specs.contains { $0.name == "model.layers.0.mlp.gate.weight" })
    }

    @Test func seededWeightsDependOnlyOnSeedAndName() {
        let spec = TensorSpec(name: "model.layers.0.self_attn.q_proj.weight", shape: [4, 16], role: .layer(0))
        let a = SeededWeights(seed: 7).values(for: spec)
        #expect(a == SeededWeights(seed: 7).values(for: spec))
        #expect(a != SeededWeights(seed: 8).values(for: spec))
        var renamed = spec
        renamed.name = "model.layers.1.self_attn.q_proj.weight"
        #expect(a != SeededWeights(seed: 7).values(for: renamed))
        #expect(a.allSatisfy { abs($0) <= 0.25 })
    }
}
