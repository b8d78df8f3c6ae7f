import MeshCore
import MeshTensor

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
