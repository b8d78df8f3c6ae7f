import Testing
@testable import MeshCore

@Suite struct DispatchPlanTests {
    /// 3 tokens, top-2, experts 0-3 on worker 0 ({0,1}) and worker 1 ({2,3}).
    let routing = Routing(tokens: 3, k: 2, experts: [0, 1, 1, 2, 3, 2], weights: [0.6, 0.4, 0.7, 0.3, 0.5, 0.5])

    @Test func aTokenIsSentOnceToAWorkerHoldingSeveralOfItsExperts() {
        let plan = DispatchPlan(routing: routing, experts: [[0, 1], [2, 3]])
        #expect(plan.tokens == [[0, 1], [1, 2]])
        #expect(plan.counts == [2, 2])
        // Token 0 → worker 0 with local experts 0 and 1; token 1 → worker 0 with local 1 only.
        #expect(plan.localExperts[0] == [0, 1, 1, -1])
        #expect(plan.weights[0] == [0.6, 0.4, 0.7, 0])
        // Worker 1 holds experts 2, 3 as local 0, 1.
        #expect(plan.localExperts[1] == [0, -1, 1, 0])
        #expect(plan.weights[1] == [0.3, 0, 0.5, 0.5])
        #expect(plan.expertRows == [3, 3])
    }

    @Test func aWorkerWithNoExpertOfTheLayerGetsNothing() {
        let plan = DispatchPlan(routing: routing, experts: [[0, 1, 2, 3], [], [1]])
        #expect(plan.counts[1] == 0)
        #expect(plan.localExperts[1].isEmpty)
    }

    @Test func replicatedExpertTokensAreDealtInTurn() {
        // Expert 1 on both workers: its first chooser (token 0) goes to worker 0, the next to worker 1.
        let plan = DispatchPlan(routing: routing, experts: [[0, 1], [1, 2, 3]])
        #expect(plan.tokens[0] == [0])
        #expect(plan.tokens[1] == [1, 2])
        #expect(plan.localExperts[1] == [0, 1, 2, 1])
    }

    @Test func oneTokenPerStepStillVisitsEveryCopy() {
        // Decode: one token chooses expert 0, held by workers 0 and 1, every step. Rotating the
        // first copy by the step sends it to each copy in turn.
        let one = Routing(tokens: 1, k: 1, experts: [0], weights: [1])
        let holders = (0..<4).map { step in
            DispatchPlan(routing: one, experts: [[0, 1], [0]], rotation: step).tokens.firstIndex { !$0.isEmpty }!
        }
        #expect(holders == [0, 1, 0, 1])
        #expect(DispatchPlan(routing: one, experts: [[0, 1], [0]]).tokens[0] == [0])
    }

    @Test func everyChoiceAppearsExactlyOnce() {
        var rng = SplitMix64(seed: 5)
        let tokens = 50, k = 3, experts = 8
        var chosen: [Int32] = [], weights: [Float] = []
        for _ in 0..<tokens {
            var picked = Set<Int32>()
            while picked.count < k { picked.insert(Int32(rng.next() % UInt64(experts))) }
            chosen += picked.sorted()
            weights += (0..<k).map { _ in rng.nextFloat(bound: 1) }
        }
        let routing = Routing(tokens: tokens, k: k, experts: chosen, weights: weights)
        let placement = [[0, 5], [1, 2, 6], [3], [4, 7]]
        let plan = DispatchPlan(routing: routing, experts: placement)
        var seen: [String: Float] = [:]
        for w in 0..<placement.count {
            for (i, t) in plan.tokens[w].enumerated() {
                for j in 0..<k where plan.localExperts[w][i * k + j] >= 0 {
                    let e = placement[w][Int(plan.localExperts[w][i * k + j])]
                    #expect(seen.updateValue(plan.weights[w][i * k + j], forKey: "\(t)/\(e)") == nil)
                }
            }
        }
        #expect(seen.count == tokens * k)
        for t in 0..<tokens {
            for j in 0..<k { #expect(seen["\(t)/\(chosen[t * k + j])"] == weights[t * k + j]) }
        }
    }

    @Test func recordLayoutsAreAligned() {
        let fp8 = DispatchRecordLayout(hidden: 255, k: 2, dtype: .fp8)
        #expect(fp8.rowOffset == 20)
        #expect(fp8.recordBytes == 276)
        #expect(DispatchRecordLayout(hidden: 256, k: 8, dtype: .bf16).recordBytes == 64 + 512)
        #expect(CombineRecordLayout(hidden: 3, dtype: .bf16).recordBytes == 8)
    }
}
