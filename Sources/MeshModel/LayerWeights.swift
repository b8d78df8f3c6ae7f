import MeshTensor

/// The three projections of a SwiGLU MLP: `down(silu(gate(x)) * up(x))`.
public struct MLPWeights: Sendable {
    public var gate: Tensor
    public var up: Tensor
    public var down: Tensor

    public var width: Int { gate.rows }

    public func callAsFunction(_ x: Tensor) -> Tensor { swiglu(x, gate: gate, up: up, down: down) }
}

/// The q, k, v and o projections of one attention layer, stored `[out, in]`.
public struct AttentionWeights: Sendable {
    public var q: Tensor, k: Tensor, v: Tensor, o: Tensor
    public var qBias: Tensor?, kBias: Tensor?, vBias: Tensor?
}

/// Everything of a MoE block that runs on the coordinator.
public struct RouterWeights: Sendable {
    /// `[experts, hidden]`.
    public var gate: Tensor
    /// DeepSeek-V3's selection bias, one per expert.
    public var bias: [Float]?
    public var shared: MLPWeights?
    /// Qwen2-MoE's `[1, hidden]` gate on the shared expert.
    public var sharedGate: Tensor?
}

/// The non-expert part of one decoder layer: what a coordinator holds.
public struct LayerWeights: Sendable {
    public var inputNorm: Tensor
    public var postAttentionNorm: Tensor
    public var attention: AttentionWeights
    /// The dense MLP of a dense layer.
    public var dense: MLPWeights?
    /// The router (and shared experts) of a MoE layer.
    public var router: RouterWeights?
}
