import MeshCore
import MeshTensor

/// The whole model in one process: the oracle every distributed run is checked against.
///
/// Written for clarity, not speed: each routed expert gathers its tokens, runs one SwiGLU, and
/// adds its weighted output back, expert by expert, then the shared experts are added.
public struct ReferenceModel: Sendable {
    public let model: ModelConfig
    public let weights: ModelWeights
    let stack: DecoderStack
    var layers: [DecoderLayer] { stack.layers }

    public init(weights: ModelWeights) {
        precondition(weights.layers.allSatisfy { $0 != nil }, "the reference needs every tensor")
        self.model = weights.model
        self.weights = weights
        self.stack = DecoderStack(weights: weights)
    }

    /// Hidden states after the last decoder layer, before the final norm.
    ///
    /// - Parameter sequences: one `[tokens, hidden]` tensor per sequence; positions start at 0.
    public func forward(_ sequences: [Tensor]) -> [Tensor] {
        var caches = newCaches(sequences: sequences.count)
        return step(sequences, caches: &caches)
    }

    /// Empty KV caches, `[layer][sequence]`.
    public func newCaches(sequences: Int) -> [[KVCache]] { stack.newCaches(sequences: sequences) }

    /// Runs new tokens of every sequence through all layers, extending `caches`.
    ///
    /// A prefill is one step with whole prompts; a decode step gives one token per sequence.
    /// Each sequence's tokens continue at the position its cache has reached.
    public func step(_ sequences: [Tensor], caches: inout [[KVCache]]) -> [Tensor] {
        step(sequences, slots: Array(sequences.indices), caches: &caches)
    }

    /// Runs `sequences[i]` as the new tokens of the sequence whose caches are `caches[_][slots[i]]`.
    ///
    /// The MLP sees every token of the batch at once, as the distributed runtime does.
    public func step(_ sequences: [Tensor], slots: [Int], caches: inout [[KVCache]]) -> [Tensor] {
        guard !sequences.isEmpty else { return [] }
        var block = LocalMoE(model: self)
        return stack.step(sequences, slots: slots, caches: &caches, moe: &block)
    }

    /// The MoE block run in this process: routed experts, then shared experts, added in that order.
    struct LocalMoE: MoEBlock {
        typealias Failure = Never
        let model: ReferenceModel

        func addMoE(layer: DecoderLayer, moeIndex: Int, normed: Tensor, into out: inout Tensor) {
            add(model.routedOutput(layer: layer, normed: normed), into: &out)
            if let shared = layer.sharedOutput(normed) { add(shared, into: &out) }
        }
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
