import MeshIO
import MeshTensor

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

extension ReferenceModel {
    /// The first layer's input: the hidden states as given, or the embedding rows of the ids.
    public func initialStates(_ input: ModelInput) -> [Tensor] {
        switch input {
        case .hidden(let states): states
        case .tokens(let ids): ids.map(embed)
        }
    }

    /// Turns the last layer's hidden states into `kind`.
    public func finish(_ hidden: [Tensor], as kind: OutputKind) -> ModelOutput {
        switch kind {
        case .hidden: return .floats(hidden)
        case .logits: return .floats(hidden.map(logits))
        case .nextIDs:
            return .ids(hidden.map { h in
                let l = logits(h)
                return (0..<l.rows).map { t in l.withRow(t) { Int32(argmax($0)) } }
            })
        }
    }
}

/// Index of the largest value; the lower index on ties.
func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
