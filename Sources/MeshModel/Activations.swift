import MeshCore
import MeshIO
import MeshTensor

/// What a model is fed: hidden states or token ids, one entry per sequence.
public enum ModelInput: Sendable {
    /// `[tokens, hidden]` per sequence.
    case hidden([Tensor])
    /// Token ids per sequence (the model needs an embedding table).
    case tokens([[Int32]])

    public var sequences: Int {
        switch self {
        case .hidden(let s): s.count
        case .tokens(let s): s.count
        }
    }

    public var tokensPerSequence: [Int] {
        switch self {
        case .hidden(let s): s.map(\.rows)
        case .tokens(let s): s.map(\.count)
        }
    }
}

/// A bad activations file: the one line the CLI prints.
public struct ActivationError: InputError {
    public var path: String
    public var detail: String
    public var description: String { "\(path): \(detail)" }
}

/// Reading inputs and writing outputs as `.npy`, with the reference's file conventions.
///
/// Input: float `[tokens, hidden]` (one sequence) or `[sequences, tokens, hidden]`; or, for a
/// model with an embedding table, integer ids `[sequences, tokens]` (or `[tokens]`). Positions
/// start at 0 in every sequence. Outputs keep the input's batching: `[tokens, …]` for one
/// unbatched sequence, `[sequences, tokens, …]` otherwise.
public enum Activations {
    /// Reads `path` as input for `model`.
    ///
    /// - Returns: the input, and whether it was batched (had a sequence dimension).
    public static func read(_ path: String, model: ModelConfig) throws -> (ModelInput, batched: Bool) {
        let array = try NPYArray.read(contentsOf: path)
        func fail(_ detail: String) -> ActivationError { ActivationError(path: path, detail: detail) }
        switch array.storage {
        case .float32(let values):
            guard array.shape.count == 2 || array.shape.count == 3 else {
                throw fail("expected float hidden states [tokens, \(model.hidden)] or [sequences, tokens, \(model.hidden)], found shape \(array.shape)")
            }
            guard array.shape.last == model.hidden else {
                throw fail("expected hidden size \(model.hidden) in the last dimension, found shape \(array.shape)")
            }
            let batched = array.shape.count == 3
            let sequences = batched ? array.shape[0] : 1, tokens = array.shape[array.shape.count - 2]
            guard sequences > 0, tokens > 0 else { throw fail("expected at least one token, found shape \(array.shape)") }
            let size = tokens * model.hidden
            let parts = (0..<sequences).map {
                Tensor(shape: [tokens, model.hidden], scalars: Array(values[($0 * size)..<(($0 + 1) * size)]))
            }
            return (.hidden(parts), batched)
        case .int32, .int64:
            guard model.vocab > 0 else {
                throw fail("token ids need a model with an embedding table (model.vocab > 0); give float hidden states [sequences, tokens, \(model.hidden)]")
            }
            let ids: [Int64]
            switch array.storage {
            case .int32(let v): ids = v.map(Int64.init)
            case .int64(let v): ids = v
            case .float32: preconditionFailure()
            }
            guard array.shape.count == 1 || array.shape.count == 2 else {
                throw fail("expected token ids [sequences, tokens] or [tokens], found shape \(array.shape)")
            }
            if let bad = ids.firstIndex(where: { $0 < 0 || $0 >= Int64(model.vocab) }) {
                throw fail("token id \(ids[bad]) at index \(bad) is outside the vocabulary 0..<\(model.vocab)")
            }
            let batched = array.shape.count == 2
            let sequences = batched ? array.shape[0] : 1, tokens = array.shape.last!
            guard sequences > 0, tokens > 0 else { throw fail("expected at least one token, found shape \(array.shape)") }
            let parts = (0..<sequences).map { s in ids[(s * tokens)..<((s + 1) * tokens)].map { Int32($0) } }
            return (.tokens(parts), batched)
        }
    }

    /// The workload's generated input: hidden states, or ids when the model has a vocabulary.
    public static func generated(_ workload: WorkloadConfig, model: ModelConfig, tokens: Int? = nil) -> ModelInput {
        let count = tokens ?? workload.tokens
        if model.vocab > 0 {
            let ids = SeededInput.tokenIDs(sequences: workload.sequences, tokens: count, vocab: model.vocab, seed: workload.seed)
            return .tokens((0..<workload.sequences).map { Array(ids[($0 * count)..<(($0 + 1) * count)]) })
        }
        let values = SeededInput.hiddenStates(sequences: workload.sequences, tokens: count, hidden: model.hidden,
                                              seed: workload.seed)
        let size = count * model.hidden
        return .hidden((0..<workload.sequences).map {
            Tensor(shape: [count, model.hidden], scalars: Array(values[($0 * size)..<(($0 + 1) * size)]))
        })
    }

    /// Per-sequence `[tokens, width]` float outputs as one array.
    public static func array(_ outputs: [Tensor], batched: Bool) -> NPYArray {
        let width = outputs.first?.columns ?? 0, tokens = outputs.first?.rows ?? 0
        let shape = batched ? [outputs.count, tokens, width] : [tokens, width]
        return NPYArray(shape: shape, floats: outputs.flatMap(\.scalars))
    }

    /// Per-sequence ids as one int32 array.
    public static func array(ids: [[Int32]], batched: Bool) -> NPYArray {
        let shape = batched ? [ids.count, ids.first?.count ?? 0] : [ids.first?.count ?? 0]
        return NPYArray(shape: shape, storage: .int32(ids.flatMap { $0 }))
    }
}
