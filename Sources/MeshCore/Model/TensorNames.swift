/// What a tensor is for, so that each rank can materialise only what it owns.
public enum TensorRole: Sendable, Equatable, Hashable {
    /// Embedding, final norm, LM head.
    case global
    /// Norms, attention, router, dense MLP and shared experts of a layer: the coordinator's.
    case layer(Int)
    /// One routed expert of one layer: held by the workers its placement names.
    case expert(layer: Int, expert: Int)
}

/// A tensor of the model: its checkpoint name, its shape, and what it belongs to.
public struct TensorSpec: Sendable, Equatable, Hashable {
    public var name: String
    public var shape: [Int]
    public var role: TensorRole
    /// Norm weights are initialised around one, everything else around zero.
    public var isNorm: Bool

    public init(name: String, shape: [Int], role: TensorRole, isNorm: Bool = false) {
        self.name = name
        self.shape = shape
        self.role = role
        self.isNorm = isNorm
    }
}

/// Checkpoint names as Hugging Face MoE models use them.
///
/// `model.layers.{i}.self_attn.q_proj.weight`, routers at `mlp.gate` (Mixtral: `block_sparse_moe.gate`),
/// experts at `mlp.experts.{e}.{gate,up,down}_proj` (Mixtral: `block_sparse_moe.experts.{e}.{w1,w3,w2}`),
/// shared experts at `mlp.shared_experts` (Qwen2-MoE: `mlp.shared_expert` with `mlp.shared_expert_gate`).
public struct TensorNames: Sendable {
    public let model: ModelConfig

    public init(model: ModelConfig) { self.model = model }

    func layer(_ i: Int) -> String { "model.layers.\(i)" }

    public func inputNorm(_ i: Int) -> String { "\(layer(i)).input_layernorm.weight" }
    public func postAttentionNorm(_ i: Int) -> String { "\(layer(i)).post_attention_layernorm.weight" }
    /// `which` is one of q, k, v, o.
    public func attention(_ i: Int, _ which: String) -> String { "\(layer(i)).self_attn.\(which)_proj.weight" }
    public func attentionBias(_ i: Int, _ which: String) -> String { "\(layer(i)).self_attn.\(which)_proj.bias" }

    var moePrefix: String { model.family == .mixtral ? "block_sparse_moe" : "mlp" }

    public func router(_ i: Int) -> String { "\(layer(i)).\(moePrefix).gate.weight" }
    /// DeepSeek-V3's `e_score_correction_bias`.
    public func routerBias(_ i: Int) -> String { "\(layer(i)).\(moePrefix).gate.e_score_correction_bias" }

    /// `which` is one of gate, up, down.
    public func expert(_ i: Int, _ e: Int, _ which: String) -> String {
        if model.family == .mixtral {
            let short = ["gate": "w1", "up": "w3", "down": "w2"][which]!
            return "\(layer(i)).block_sparse_moe.experts.\(e).\(short).weight"
        }
        return "\(layer(i)).mlp.experts.\(e).\(which)_proj.weight"
    }

    public func shared(_ i: Int, _ which: String) -> String {
        let block = model.family == .qwen2MoE ? "shared_expert" : "shared_experts"
        return "\(layer(i)).mlp.\(block).\(which)_proj.weight"
    }

    public func sharedGate(_ i: Int) -> String { "\(layer(i)).mlp.shared_expert_gate.weight" }
    public func dense(_ i: Int, _ which: String) -> String { "\(layer(i)).mlp.\(which)_proj.weight" }

    public var embedding: String { "model.embed_tokens.weight" }
    public var finalNorm: String { "model.norm.weight" }
    public var lmHead: String { "lm_head.weight" }

    /// Every tensor of the model, in a fixed order.
    public var all: [TensorSpec] {
        let m = model, h = m.hidden
        var specs: [TensorSpec] = []
        if m.hasEmbedding { specs.append(TensorSpec(name: embedding, shape: [m.vocab, h], role: .global)) }
        for i in 0..<m.layers {
            let role = TensorRole.layer(i)
            specs.append(TensorSpec(name: inputNorm(i), shape: [h], role: role, isNorm: true))
            specs.append(TensorSpec(name: attention(i, "q"), shape: [m.qWidth, h], role: role))
            specs.append(TensorSpec(name: attention(i, "k"), shape: [m.kvWidth, h], role: role))
            specs.append(TensorSpec(name: attention(i, "v"), shape: [m.kvWidth, h], role: role))
            if m.attentionBias {
                specs.append(TensorSpec(name: attentionBias(i, "q"), shape: [m.qWidth], role: role))
                specs.append(TensorSpec(name: attentionBias(i, "k"), shape: [m.kvWidth], role: role))
                specs.append(TensorSpec(name: attentionBias(i, "v"), shape: [m.kvWidth], role: role))
            }
            specs.append(TensorSpec(name: attention(i, "o"), shape: [h, m.qWidth], role: role))
            specs.append(TensorSpec(name: postAttentionNorm(i), shape: [h], role: role, isNorm: true))
            if !m.isMoE(i) {
                specs += mlp(width: m.denseFFN, role: role) { dense(i, $0) }
                continue
            }
            specs.append(TensorSpec(name: router(i), shape: [m.experts, h], role: role))
            if m.router.bias { specs.append(TensorSpec(name: routerBias(i), shape: [m.experts], role: role)) }
            if m.sharedExperts > 0 {
                specs += mlp(width: m.sharedFFN, role: role) { shared(i, $0) }
                if m.sharedExpertGate { specs.append(TensorSpec(name: sharedGate(i), shape: [1, h], role: role)) }
            }
            for e in 0..<m.experts {
                specs += mlp(width: m.expertFFN, role: .expert(layer: i, expert: e)) { expert(i, e, $0) }
            }
        }
        if m.hasEmbedding {
            specs.append(TensorSpec(name: finalNorm, shape: [h], role: .global, isNorm: true))
            if !m.tieEmbeddings { specs.append(TensorSpec(name: lmHead, shape: [m.vocab, h], role: .global)) }
        }
        return specs
    }

    /// The gate, up and down projections of a SwiGLU MLP of `width`.
    private func mlp(width: Int, role: TensorRole, name: (String) -> String) -> [TensorSpec] {
        [
            TensorSpec(name: name("gate"), shape: [width, model.hidden], role: role),
            TensorSpec(name: name("up"), shape: [width, model.hidden], role: role),
            TensorSpec(name: name("down"), shape: [model.hidden, width], role: role),
        ]
    }
}
