import MeshCore

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
