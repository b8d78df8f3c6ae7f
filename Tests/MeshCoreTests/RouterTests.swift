import Foundation
import Testing
@testable import MeshCore

@Suite struct RouterTests {
    func router(experts: Int, k: Int, _ configure: (inout RouterConfig) -> Void = { _ in }) -> Router {
        var config = RouterConfig()
        configure(&config)
        return Router(config: config, experts: experts, topK: k)
    }

    @Test func softmaxTopKRenormalised() {
        // logits 0, ln 2, ln 4, ln 3 → softmax ∝ 1, 2, 4, 3; top-2 = experts 2 (4) and 3 (3).
        let logits: [Float] = [0, log(2), log(4), log(3)]
        let r = router(experts: 4, k: 2).route(logits: logits)
        #expect(r.experts == [2, 3])
        #expect(abs(r.weights[0] - 4.0 / 7.0) < 1e-6)
        #expect(abs(r.weights[1] - 3.0 / 7.0) < 1e-6)
    }

    @Test func softmaxWithoutRenormalisationKeepsTheFullSoftmaxWeights() {
        let logits: [Float] = [0, log(2), log(4), log(3)]
        let r = router(experts: 4, k: 2) { $0.normalize = false }.route(logits: logits)
        #expect(abs(r.weights[0] - 0.4) < 1e-6)
        #expect(abs(r.weights[1] - 0.3) < 1e-6)
    }

    @Test func tiesGoToTheLowerIndex() {
        let r = router(experts: 4, k: 2).route(logits: [1, 5, 5, 5])
        #expect(r.experts == [1, 2])
        #expect(abs(r.weights[0] - 0.5) < 1e-6)
    }

    @Test func topKEqualToTheExpertCountChoosesAllInScoreOrder() {
        let r = router(experts: 3, k: 3).route(logits: [0.1, 0.3, 0.2])
        #expect(r.experts == [1, 2, 0])
        #expect(abs(r.weights.reduce(0, +) - 1) < 1e-6)
    }

    @Test func biasChangesTheChoiceButNotTheWeights() {
        // Sigmoid scores; the bias pushes expert 0 into the top-1 although its score is lowest.
        let logits: [Float] = [-1, 0, 1]
        let plain = router(experts: 3, k: 1) { $0.scoring = .sigmoid; $0.normalize = false }
        #expect(plain.route(logits: logits).experts == [2])
        let biased = plain.route(logits: logits, bias: [10, 0, 0])
        #expect(biased.experts == [0])
        #expect(abs(biased.weights[0] - 1 / (1 + exp(1))) < 1e-6)
    }

    @Test func routeScaleMultipliesTheWeights() {
        let r = router(experts: 4, k: 2) { $0.scoring = .sigmoid; $0.scale = 2.5 }.route(logits: [0, 1, 2, 3])
        #expect(abs(r.weights.reduce(0, +) - 2.5) < 1e-5)
    }

    @Test func groupLimitedRoutingKeepsOnlyTheBestGroups() {
        // 4 groups of 2. Group sums of the two scores: g0 low, g1 highest, g2 has the single best
        // expert but a weak partner, g3 medium. top2_sum keeps g1 and g3; max would keep g2.
        let logits: [Float] = [-3, -3, 2, 2, 3, -3, 1.5, 1.5]
        let top2 = router(experts: 8, k: 2) { $0.scoring = .sigmoid; $0.groups = 4; $0.topGroups = 2 }
        #expect(Set(top2.route(logits: logits).experts) == [2, 3])
        let byMax = router(experts: 8, k: 2) {
            $0.scoring = .sigmoid; $0.groups = 4; $0.topGroups = 2; $0.groupScore = .max
        }
        #expect(byMax.route(logits: logits).experts == [4, 2])
    }

    @Test func groupLimitedRoutingWithOneGroupKeptStaysInside() {
        let logits: [Float] = [5, 0, 0, 4.9, 4.8, 0]
        let r = router(experts: 6, k: 2) { $0.groups = 3; $0.topGroups = 1 }.route(logits: logits)
        // Group sums: g0 = 5 + 0, g1 = 0 + 4.9, g2 = 4.8 + 0 (on softmax scores, same order).
        #expect(r.experts == [0, 1])
    }

    @Test func loadCountsTokensPerExpert() {
        let r = router(experts: 4, k: 2).route(logits: [4, 3, 0, 0, 0, 0, 3, 4])
        #expect(r.load(experts: 4) == [1, 1, 1, 1])
        #expect(r.tokens == 2)
    }
}
