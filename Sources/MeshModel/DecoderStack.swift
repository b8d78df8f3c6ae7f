import MeshCore
import MeshTensor

/// What runs the MoE block of a decoder layer: the reference's experts in this process, or the
/// coordinator's exchange with the workers.
public protocol MoEBlock {
    /// What the block throws: nothing in the reference, an exchange failure in the coordinator.
    associatedtype Failure: Error = any Error

    /// Adds the MoE block's output (routed and shared experts) for `normed`, the rows after the
    /// post-attention norm, into `out`, the rows after attention (the residual).
    ///
    /// - Parameter moeIndex: the layer's index among the MoE layers.
    mutating func addMoE(layer: DecoderLayer, moeIndex: Int, normed: Tensor, into out: inout Tensor) throws(Failure)

    /// Runs `body`, the `part` of `layer`, timing it if this block keeps time.
    func measure<R>(_ part: DecoderStack.Part, layer: Int, _ body: () throws -> R) rethrows -> R
}

extension MoEBlock {
    public func measure<R>(_ part: DecoderStack.Part, layer: Int, _ body: () throws -> R) rethrows -> R { try body() }
}

/// The decoder layers of a model, run over one step's rows: the one layer loop that the
/// reference and the distributed coordinator share.
///
/// Each layer runs attention per sequence (each with its KV cache) in place on the step's rows,
/// then the MLP over every row of the step at once: the dense MLP, or the MoE block that the
/// caller plugs in.
public struct DecoderStack: Sendable {
    /// The parts of a layer the stack runs itself, for timing.
    public enum Part: Sendable {
        case attention
        case denseMLP
    }

    public let model: ModelConfig
    public let layers: [DecoderLayer]

    /// The layers of `weights` (which may lack the routed experts: a coordinator's).
    public init(weights: ModelWeights) {
        model = weights.model
        layers = weights.layers.enumerated().map { DecoderLayer(model: weights.model, index: $0.offset, weights: $0.element!) }
    }

    /// Empty KV caches, `[layer][slot]`.
    public func newCaches(sequences: Int) -> [[KVCache]] {
        Array(repeating: Array(repeating: KVCache(width: model.kvWidth), count: sequences), count: model.layers)
    }

    /// Empties the caches of `slot`, so that a new sequence starts there at position 0.
    public func release(slot: Int, in caches: inout [[KVCache]]) {
        for layer in caches.indices { caches[layer][slot] = KVCache(width: model.kvWidth) }
    }

    /// Runs `states[i]`, the new tokens of the sequence whose caches are `caches[_][slots[i]]`,
    /// through every layer, with `moe` as the MoE block.
    public func step<Block: MoEBlock>(_ states: [Tensor], slots: [Int], caches: inout [[KVCache]],
                                      moe: inout Block) throws(Block.Failure) -> [Tensor] {
        precondition(slots.count == states.count, "one slot per sequence")
        var step = StepRows(states, hidden: model.hidden)
        var moeIndex = 0
        for layer in layers {
            moe.measure(.attention, layer: layer.index) {
                for (s, range) in step.ranges.enumerated() {
                    layer.attentionResidual(rows: range, of: &step.rows, cache: &caches[layer.index][slots[s]])
                }
            }
            let normed = layer.mlpInput(step.rows)
            if model.isMoE(layer.index) {
                try moe.addMoE(layer: layer, moeIndex: moeIndex, normed: normed, into: &step.rows)
                moeIndex += 1
            } else {
                let dense = moe.measure(.denseMLP, layer: layer.index) { layer.denseOutput(normed) }
                add(dense, into: &step.rows)
            }
        }
        return step.sequences()
    }
}
