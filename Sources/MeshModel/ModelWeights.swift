import MeshCore
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

/// Which tensors a process materialises.
public struct WeightOwnership: Sendable {
    /// Norms, attention, routers, shared experts, dense MLPs, embedding and head.
    public var coordinatorTensors: Bool
    /// `experts[layer]`: the routed experts held in that layer.
    public var experts: [Set<Int>]

    public init(coordinatorTensors: Bool, experts: [Set<Int>]) {
        self.coordinatorTensors = coordinatorTensors
        self.experts = experts
    }

    /// Everything: the single-process reference.
    public static func everything(_ model: ModelConfig) -> WeightOwnership {
        WeightOwnership(coordinatorTensors: true, experts: (0..<model.layers).map {
            model.isMoE($0) ? Set(0..<model.experts) : []
        })
    }

    /// What worker `worker` of `placement` holds: its experts and nothing else.
    public static func worker(_ worker: Int, placement: Placement, model: ModelConfig) -> WeightOwnership {
        var experts = Array(repeating: Set<Int>(), count: model.layers)
        for (m, layer) in model.moeLayers.enumerated() { experts[layer] = Set(placement.experts[m][worker]) }
        return WeightOwnership(coordinatorTensors: false, experts: experts)
    }

    public func owns(_ spec: TensorSpec) -> Bool {
        switch spec.role {
        case .global, .layer: return coordinatorTensors
        case .expert(let layer, let expert): return experts[layer].contains(expert)
        }
    }
}

/// The tensors a process owns, arranged by layer.
public struct ModelWeights: Sendable {
    public let model: ModelConfig
    /// Per layer; nil where this process holds none of the layer's non-expert tensors.
    public var layers: [LayerWeights?]
    /// `experts[layer][e]`: the routed experts this process holds.
    public var experts: [[Int: MLPWeights]]
    public var embedding: Tensor?
    public var finalNorm: Tensor?
    public var lmHead: Tensor?

    /// Bytes of Float32 weights held.
    public var residentBytes: Int

    /// Materialises the tensors `ownership` selects, one at a time, from `source`.
    public init(model: ModelConfig, source: any WeightSource, ownership: WeightOwnership) throws {
        self.model = model
        var store: [String: Tensor] = [:]
        var bytes = 0
        for spec in TensorNames(model: model).all where ownership.owns(spec) {
            let values = try source.values(for: spec)
            precondition(values.count == spec.shape.reduce(1, *), "source gave a wrong count for \(spec.name)")
            store[spec.name] = Tensor(shape: spec.shape, scalars: values)
            bytes += values.count * MemoryLayout<Float>.size
        }
        residentBytes = bytes
        let names = TensorNames(model: model)
        func mlp(_ name: (String) -> String) -> MLPWeights? {
            guard let gate = store[name("gate")], let up = store[name("up")], let down = store[name("down")] else {
                return nil
            }
            return MLPWeights(gate: gate, up: up, down: down)
        }
        layers = (0..<model.layers).map { i -> LayerWeights? in
            guard ownership.coordinatorTensors else { return nil }
            let attention = AttentionWeights(
                q: store[names.attention(i, "q")]!, k: store[names.attention(i, "k")]!,
                v: store[names.attention(i, "v")]!, o: store[names.attention(i, "o")]!,
                qBias: store[names.attentionBias(i, "q")], kBias: store[names.attentionBias(i, "k")],
                vBias: store[names.attentionBias(i, "v")])
            var router: RouterWeights?
            if model.isMoE(i) {
                router = RouterWeights(gate: store[names.router(i)]!, bias: store[names.routerBias(i)]?.scalars,
                                       shared: mlp { names.shared(i, $0) }, sharedGate: store[names.sharedGate(i)])
            }
            return LayerWeights(inputNorm: store[names.inputNorm(i)]!,
                                postAttentionNorm: store[names.postAttentionNorm(i)]!,
                                attention: attention,
                                dense: model.isMoE(i) ? nil : mlp { names.dense(i, $0) },
                                router: router)
        }
        experts = (0..<model.layers).map { i in
            var held: [Int: MLPWeights] = [:]
            for e in ownership.experts[i].sorted() { held[e] = mlp { names.expert(i, e, $0) } }
            return held
        }
        embedding = store[names.embedding]
        finalNorm = store[names.finalNorm]
        lmHead = model.tieEmbeddings ? embedding : store[names.lmHead]
    }
}
