import Foundation
/// How a checkpoint names its tensors and shapes its MoE block.
///
/// The families differ in tensor names (Mixtral's `block_sparse_moe.experts.{e}.w1`), in the shared
/// expert (DeepSeek's `shared_experts`, Qwen's single `shared_expert` with a sigmoid gate) and in
/// the router defaults; the arithmetic of the decoder layer is the same.
public enum ModelFamily: String, Sendable, CaseIterable, Codable {
    /// Hugging Face's common MoE naming (`mlp.experts.{e}.gate_proj`, `mlp.shared_experts`).
    case generic
    case mixtral
    case qwen2MoE = "qwen2_moe"
    case deepseekV3 = "deepseek_v3"
}

/// How the router turns gate logits into scores.
public enum ScoringFunction: String, Sendable, CaseIterable, Codable {
    case softmax
    case sigmoid
}

/// How a group of experts is scored for group-limited routing.
public enum GroupScore: String, Sendable, CaseIterable, Codable {
    /// The best score in the group (DeepSeek-V2).
    case max
    /// The sum of the two best scores in the group (DeepSeek-V3, `topk(2).sum()`).
    case top2Sum = "top2_sum"
}

/// The router of a MoE block.
public struct RouterConfig: Sendable, Equatable, Codable {
    public var scoring: ScoringFunction = .softmax
    /// Renormalise the k chosen weights so that they sum to one.
    public var normalize: Bool = true
    /// Factor applied to the final weights (DeepSeek-V3's `routed_scaling_factor`, 2.5).
    public var scale: Double = 1
    /// A per-expert bias added to the scores for choosing experts only (DeepSeek-V3's
    /// `e_score_correction_bias`); the weights use the unbiased scores.
    public var bias: Bool = false
    /// Number of expert groups for group-limited routing (1 = off).
    public var groups: Int = 1
    /// Groups kept per token before the top-k inside them.
    public var topGroups: Int = 1
    public var groupScore: GroupScore = .top2Sum
    /// Routing skew on purpose, for load tests: the choice scores are multiplied by
    /// `(r + 1)^-skew`, where r is the expert's popularity rank in a permutation drawn from
    /// `skewSeed`, so expert popularity falls off roughly as Zipf(skew). Like `bias`, it changes
    /// which experts are chosen, not their weights. 0 = off.
    public var skew: Double = 0
    public var skewSeed: UInt64 = 0
    /// Named hot experts, for load tests: their choice scores are multiplied by `hotFactor`.
    public var hotExperts: [Int] = []
    public var hotFactor: Double = 4

    public init() {}

    /// Whether routing is skewed on purpose (`skew` or `hot_experts`).
    public var isSkewed: Bool { skew > 0 || !hotExperts.isEmpty }

    /// The factor each expert's choice score is multiplied by: the Zipf factor of its popularity
    /// rank, times `hotFactor` for a named hot expert (all 1 when routing is not skewed).
    public func skewFactors(experts: Int) -> [Float] {
        var factors = [Float](repeating: 1, count: experts)
        if skew > 0 {
            var generator = SplitMix64(seed: skewSeed, name: "router.skew")
            let popularity = Array(0..<experts).shuffled(using: &generator)   // popularity[r] = expert of rank r
            for (rank, expert) in popularity.enumerated() { factors[expert] = Float(pow(Double(rank + 1), -skew)) }
        }
        for expert in hotExperts where expert < experts { factors[expert] *= Float(hotFactor) }
        return factors
    }
}

/// The shape of the transformer: everything needed to allocate, name and run its tensors.
public struct ModelConfig: Sendable, Equatable, Codable {
    public var family: ModelFamily = .generic
    public var hidden: Int = 256
    public var layers: Int = 4
    public var heads: Int = 8
    public var kvHeads: Int = 8
    public var headDim: Int = 32
    public var attentionBias: Bool = false
    public var rmsNormEpsilon: Double = 1e-6
    public var ropeTheta: Double = 10_000
    /// Vocabulary size; 0 means hidden states in and out, no embedding, final norm or LM head.
    public var vocab: Int = 0
    public var tieEmbeddings: Bool = false
    public var experts: Int = 16
    public var topK: Int = 2
    public var expertFFN: Int = 512
    /// Number of shared experts; they are run as one fused MLP of width `sharedFFN`.
    public var sharedExperts: Int = 0
    public var sharedFFN: Int = 0
    /// Qwen2-MoE's per-token sigmoid gate on the shared expert output.
    public var sharedExpertGate: Bool = false
    /// The first `denseLayers` layers use a dense MLP of width `denseFFN` instead of experts.
    public var denseLayers: Int = 0
    public var denseFFN: Int = 0
    public var router = RouterConfig()
    /// Multi-head latent attention's cache width per token (kv_lora_rank + qk_rope_head_dim,
    /// DeepSeek-V3: 512 + 64); 0 for standard attention. The cost model uses it; the runtime
    /// does not implement latent attention and refuses such a model.
    public var latentCacheWidth: Int = 0

    public init() {}

    /// Whether layer `layer` has a MoE block (otherwise a dense MLP).
    public func isMoE(_ layer: Int) -> Bool { layer >= denseLayers }

    /// The MoE layers, in order.
    public var moeLayers: [Int] { Array(denseLayers..<layers) }

    public var qWidth: Int { heads * headDim }
    public var kvWidth: Int { kvHeads * headDim }
    public var hasEmbedding: Bool { vocab > 0 }
}
