import Numerics
import Testing
@testable import MeshCore
@testable import MeshModel
import MeshTensor

/// A small model with every optional part switched on.
func smallModel(family: ModelFamily = .generic, dense: Int = 1, vocab: Int = 0) -> ModelConfig {
    var m = ModelConfig()
    m.family = family
    m.hidden = 32; m.layers = 3; m.heads = 4; m.kvHeads = 2; m.headDim = 8
    m.experts = 6; m.topK = 2; m.expertFFN = 24
    m.sharedExperts = 1; m.sharedFFN = 16
    m.denseLayers = dense; m.denseFFN = 40
    m.vocab = vocab
    m.router.scoring = .sigmoid; m.router.bias = true; m.router.groups = 3; m.router.topGroups = 2
    m.router.scale = 1.5
    return m
}

func reference(_ model: ModelConfig, seed: UInt64 = 3) throws -> ReferenceModel {
    ReferenceModel(weights: try ModelWeights(model: model, source: SeededWeights(seed: seed),
                                             ownership: .everything(model)))
}

func randomSequences(_ count: Int, tokens: Int, hidden: Int, seed: UInt64 = 9) -> [Tensor] {
    let values = SeededInput.hiddenStates(sequences: count, tokens: tokens, hidden: hidden, seed: seed)
    return (0..<count).map {
        Tensor(shape: [tokens, hidden], scalars: Array(values[($0 * tokens * hidden)..<(($0 + 1) * tokens * hidden)]))
    }
}

func expectClose(_ a: [Float], _ b: [Float], tolerance: Double = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
    let c = Comparison(a, b)
    #expect(c.relativeError <= tolerance, "relative error \(c.relativeError)", sourceLocation: sourceLocation)
}

@Suite struct ReferenceModelTests {
    @Test func moeBlockEqualsANaivePerTokenComputation() throws {
        let model = smallModel()
        let ref = try reference(model)
        let layer = ref.layers[1]
        let x = randomSequences(1, tokens: 7, hidden: model.hidden)[0]
        let normed = layer.mlpInput(x)
        let routed = ref.routedOutput(layer: layer, normed: normed)
        // Naive: for every token and every chosen expert, run the expert on that one row.
        let routing = layer.route(normed)
        var naive = [Float](repeating: 0, count: normed.count)
        for t in 0..<normed.rows {
            let row = Tensor(shape: [1, model.hidden], scalars: Array(normed[row: t]))
            for j in 0..<routing.k {
                let e = Int(routing.experts[t * routing.k + j]), w = routing.weights[t * routing.k + j]
                let y = ref.weights.experts[1][e]!(row)
                for c in 0..<model.hidden { naive[t * model.hidden + c] += w * y.scalars[c] }
            }
        }
        expectClose(routed.scalars, naive)
        #expect(routing.k == 2)
    }

    @Test func prefillInChunksEqualsPrefillAtOnce() throws {
        let model = smallModel()
        let ref = try reference(model)
        let seqs = randomSequences(2, tokens: 6, hidden: model.hidden)
        let whole = ref.forward(seqs)
        var caches = ref.newCaches(sequences: 2)
        let first = ref.step(seqs.map { Tensor(shape: [4, model.hidden], scalars: Array($0.scalars[0..<(4 * model.hidden)])) },
                             caches: &caches)
        let second = ref.step(seqs.map { Tensor(shape: [2, model.hidden], scalars: Array($0.scalars[(4 * model.hidden)...])) },
                              caches: &caches)
        for s in 0..<2 {
            expectClose(first[s].scalars + second[s].scalars, whole[s].scalars)
        }
        #expect(caches[0][0].length == 6)
    }

    @Test func decodeOneTokenAtATimeEqualsPrefill() throws {
        let model = smallModel()
        let ref = try reference(model)
        let seq = randomSequences(1, tokens: 5, hidden: model.hidden)[0]
        let whole = ref.forward([seq])[0]
        var caches = ref.newCaches(sequences: 1)
        var rows: [Float] = []
        for t in 0..<5 {
            let token = Tensor(shape: [1, model.hidden], scalars: Array(seq[row: t]))
            rows += ref.step([token], caches: &caches)[0].scalars
        }
        expectClose(rows, whole.scalars)
    }

    @Test func anEarlierTokenDoesNotSeeALaterOne() throws {
        let model = smallModel()
        let ref = try reference(model)
        var seq = randomSequences(1, tokens: 4, hidden: model.hidden)[0]
        let before = ref.forward([seq])[0]
        seq[row: 3] = ArraySlice(repeating: 0.5, count: model.hidden)
        let after = ref.forward([seq])[0]
        // Rows 0-2 agree up to rounding (expert batches change shape with row 3's routing).
        expectClose(Array(after.scalars[0..<(3 * model.hidden)]), Array(before.scalars[0..<(3 * model.hidden)]),
                    tolerance: 1e-6)
        #expect(Comparison(Array(after[row: 3]), Array(before[row: 3])).relativeError > 1e-2)
    }

    @Test func tokenIDsGoThroughTheEmbedding() throws {
        let model = smallModel(vocab: 50)
        let ref = try reference(model)
        let ids: [Int32] = [3, 14, 15, 9, 2]
        let byIDs = ref.forward(ref.head.initialStates(.tokens([ids])))[0]
        let embedded = ref.weights.embedding!.gatherRows(ids.map(Int.init))
        #expect(byIDs == ref.forward([embedded])[0])
        guard case .ids(let next) = ref.head.finish([byIDs], as: .nextIDs) else { Issue.record("no ids"); return }
        guard case .floats(let logits) = ref.head.finish([byIDs], as: .logits) else { Issue.record("no logits"); return }
        #expect(logits[0].shape == [5, 50])
        for t in 0..<5 {
            let row = Array(logits[0][row: t])
            #expect(Float(row[Int(next[0][t])]) == row.max()!)
        }
    }

    @Test(arguments: [ModelFamily.generic, .mixtral, .qwen2MoE, .deepseekV3])
    func everyFamilyRuns(family: ModelFamily) throws {
        var model = smallModel(family: family)
        if family == .qwen2MoE { model.sharedExpertGate = true; model.attentionBias = true }
        let out = try reference(model).forward(randomSequences(1, tokens: 3, hidden: model.hidden))[0]
        #expect(out.shape == [3, model.hidden])
        #expect(out.scalars.allSatisfy { $0.isFinite })
    }

    @Test func aWorkerMaterialisesOnlyItsExperts() throws {
        let model = smallModel()
        let placement = Placement(strategy: .contiguous, experts: model.experts, workers: 3, moeLayers: model.moeLayers.count)
        let w = try ModelWeights(model: model, source: SeededWeights(seed: 3),
                                 ownership: .worker(1, placement: placement, model: model))
        #expect(w.layers.allSatisfy { $0 == nil })
        #expect(w.embedding == nil)
        #expect(w.experts[0].isEmpty)
        #expect(Set(w.experts[1].keys) == [2, 3])
        #expect(Set(w.experts[2].keys) == [2, 3])
        let perExpert = 3 * model.expertFFN * model.hidden * 4
        #expect(w.residentBytes == 2 * 2 * perExpert)
        // The values equal the full model's: every rank derives the same tensor from seed + name.
        let full = try reference(model)
        #expect(w.experts[2][3]!.down == full.weights.experts[2][3]!.down)
    }
}
