import MeshCore
import MeshTensor

/// The whole model in one process: the oracle every distributed run is checked against.
///
/// Written for clarity, not speed: each routed expert gathers its tokens, runs one SwiGLU, and
/// adds its weighted output back, expert by expert, then the shared experts are added.
public struct ReferenceModel: Sendable {
    public let model: ModelConfig
    public let weights: ModelWeights
    let layers: [DecoderLayer]

    public init(weights: ModelWeights) {
        precondition(weights.layers.allSatisfy { $0 != nil }, "the reference needs every tensor")
        self.model = weights.model
        self.weights = weights
        self.layers = weights.layers.enumerated().map {
            DecoderLayer(model: weights.model, index: $0.offset, weights: $0.element!)
        }
    }

    /// Hidden states after the last decoder layer, before the final norm.
    ///
    /// - Parameter sequences: one `[tokens, hidden]` tensor per sequence; positions start at 0.
    public func forward(_ sequences: [Tensor]) -> [Tensor] {
        var caches = newCaches(sequences: sequences.count)
        return step(sequences, caches: &caches)
    }

    /// Empty KV caches, `[layer][sequence]`.
    public func newCaches(sequences: Int) -> [[KVCache]] {
        Array(repeating: Array(repeating: KVCache(width: model.kvWidth), count: sequences), count: model.layers)
    }

    /// Runs new tokens of every sequence through all layers, extending `caches`.
    ///
    /// A prefill is one step with whole prompts; a decode step gives one token per sequence.
    /// Each sequence's tokens continue at the position its cache has reached.
    public func step(_ sequences: [Tensor], caches: inout [[KVCache]]) -> [Tensor] {
        step(sequences, slots: Array(sequences.indices), caches: &caches)
    }

    /// Runs `sequences[i]` as the new tokens of the sequence whose caches are `caches[_][slots[i]]`.
    public func step(_ sequences: [Tensor], slots: [Int], caches: inout [[KVCache]]) -> [Tensor] {
        precondition(slots.count == sequences.count, "one slot per sequence")
        guard !sequences.isEmpty else { return [] }
        var states = sequences
        for layer in layers {
            for s in states.indices {
                states[s] = layer.attentionResidual(states[s], cache: &caches[layer.index][slots[s]])
            }
            // The MLP sees every token of the batch at once, as the distributed runtime does.
            let all = concatenateRows(states)
            let normed = layer.mlpInput(all)
            var out = all
            if model.isMoE(layer.index) {
                add(routedOutput(layer: layer, normed: normed), into: &out)
                if let shared = layer.sharedOutput(normed) { add(shared, into: &out) }
            } else {
                add(layer.denseOutput(normed), into: &out)
            }
            states = splitRows(out, like: states)
        }
        return states
    }

    /// Σ over the chosen experts of weight × expert(x), expert by expert.
    func routedOutput(layer: DecoderLayer, normed: Tensor) -> Tensor {
        let routing = layer.route(normed)
        var out = Tensor(zeros: normed.shape)
        for (e, expert) in weights.experts[layer.index].sorted(by: { $0.key < $1.key }) {
            var rows: [Int] = [], scales: [Float] = []
            for slot in routing.experts.indices where Int(routing.experts[slot]) == e {
                rows.append(slot / routing.k)
                scales.append(routing.weights[slot])
            }
            guard !rows.isEmpty else { continue }
            out.addRows(expert(normed.gatherRows(rows)), at: rows, scaledBy: scales)
        }
        return out
    }

    /// The embedding, final norm and LM head.
    public var head: ModelHead { ModelHead(weights: weights) }
}

/// The rows of several `[n_i, width]` tensors stacked into one.
public func concatenateRows(_ parts: [Tensor]) -> Tensor {
    let width = parts.first?.columns ?? 0
    var scalars: [Float] = []
    scalars.reserveCapacity(parts.reduce(0) { $0 + $1.count })
    for part in parts { scalars.append(contentsOf: part.scalars) }
    return Tensor(shape: [scalars.count / max(width, 1), width], scalars: scalars)
}

/// Splits `whole` back into tensors with the row counts of `like`.
public func splitRows(_ whole: Tensor, like: [Tensor]) -> [Tensor] {
    var start = 0
    return like.map { part in
        let count = part.rows * whole.columns
        defer { start += count }
        return Tensor(shape: [part.rows, whole.columns], scalars: Array(whole.scalars[start..<(start + count)]))
    }
}
