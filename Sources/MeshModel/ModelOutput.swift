import MeshIO
import MeshTensor
import MeshCore

/// What a run writes: the hidden states after the last layer, logits, or greedy next ids.
public enum OutputKind: String, Sendable, CaseIterable {
    /// Hidden states after the last decoder layer, before the final norm.
    case hidden
    /// Final norm, then the LM head.
    case logits
    /// The argmax of the logits at every position.
    case nextIDs = "next-ids"
}

/// The result of a run, per sequence.
public enum ModelOutput: Sendable {
    case floats([Tensor])
    case ids([[Int32]])

    public func array(batched: Bool) -> NPYArray {
        switch self {
        case .floats(let tensors): Activations.array(tensors, batched: batched)
        case .ids(let ids): Activations.array(ids: ids, batched: batched)
        }
    }
}

/// The ends of the model around the decoder layers: embedding in, final norm and LM head out.
///
/// Held by the reference and by coordinators; workers hold none of it.
public struct ModelHead: Sendable {
    public let model: ModelConfig
    public let embedding: Tensor?
    public let finalNorm: Tensor?
    public let lmHead: Tensor?

    public init(weights: ModelWeights) {
        model = weights.model
        embedding = weights.embedding
        finalNorm = weights.finalNorm
        lmHead = weights.lmHead
    }

    /// The first layer's input: the hidden states as given, or the embedding rows of the ids.
    public func initialStates(_ input: ModelInput) -> [Tensor] {
        switch input {
        case .hidden(let states): states
        case .tokens(let ids): ids.map(embed)
        }
    }

    /// Rows of the embedding table for `ids`.
    public func embed(_ ids: [Int32]) -> Tensor {
        embedding!.gatherRows(ids.map(Int.init))
    }

    /// Logits `[tokens, vocab]`: the final norm, then the LM head.
    public func logits(_ hidden: Tensor) -> Tensor {
        let normed = rmsNorm(hidden, weight: finalNorm!, epsilon: Float(model.rmsNormEpsilon))
        return linear(normed, weight: lmHead!)
    }

    /// Greedy next ids: the argmax of the logits of every row.
    public func nextIDs(_ hidden: Tensor) -> [Int32] {
        let l = logits(hidden)
        return (0..<l.rows).map { t in l.withRow(t) { Int32(argmax($0)) } }
    }

    /// Turns the last layer's hidden states into `kind`.
    public func finish(_ hidden: [Tensor], as kind: OutputKind) -> ModelOutput {
        switch kind {
        case .hidden: .floats(hidden)
        case .logits: .floats(hidden.map(logits))
        case .nextIDs: .ids(hidden.map(nextIDs))
        }
    }

    /// The input of the next decode step after a step that produced `last` (`[1, hidden]`).
    ///
    /// With a vocabulary: the embedding of the greedy next token. Without one, the hidden state
    /// itself is fed back, so that decode still runs one new token per sequence per step.
    public func nextInput(after last: Tensor) -> Tensor {
        guard model.hasEmbedding else { return last }
        return embed(nextIDs(last))
    }
}

/// Index of the largest value; the lower index on ties.
func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
