import MeshCore
import MeshTensor

/// Something that runs new tokens of a batch of sequences through every decoder layer.
///
/// The single-process reference and the distributed coordinator both are one, so prefill and
/// decode are driven by the same code in both, and their outputs can be compared exactly.
///
/// Sequences live in slots, each with its own KV caches: ``Generation`` steps every slot at once;
/// serving steps the slots of the requests running now, and frees a slot when its request ends
/// so that another can take it.
public protocol ModelStepper {
    /// Starts a new batch of `sequences` slots, each with empty KV caches.
    mutating func reset(sequences: Int) throws
    /// Runs `states[i]` (the new tokens of the sequence in slot `slots[i]`, `[T_i, hidden]`)
    /// through all layers, continuing each sequence at the position its cache has reached.
    ///
    /// `slots` are distinct and below the count given to ``reset(sequences:)``; they may be in
    /// any order, and may be empty (a step that runs no token of this stepper's own).
    mutating func step(_ states: [Tensor], slots: [Int], phase: StepPhase) throws -> [Tensor]
    /// Empties the KV caches of `slot`, so that a new sequence starts there at position 0.
    mutating func release(slot: Int)
}

extension ModelStepper {
    /// Runs `states[s]` for the sequence in slot `s`, for every slot `0 ..< states.count`.
    public mutating func step(_ states: [Tensor], phase: StepPhase) throws -> [Tensor] {
        try step(states, slots: Array(states.indices), phase: phase)
    }
}

/// Prefill or decode over a ``ModelStepper``.
public enum Generation {
    /// Runs the workload and returns, per sequence, the hidden states it produced.
    ///
    /// - prefill: `steps` times the whole prompts, each a fresh batch; returns the last
    ///   step's `[T, hidden]` per sequence (every step computes the same values).
    /// - decode: the prompts once (prefill), then `steps` decode steps of one token per
    ///   sequence, each fed the next input ``ModelHead/nextInput(after:)`` derives from the
    ///   previous output; returns the decode outputs, `[steps, hidden]` per sequence.
    public static func run<S: ModelStepper>(_ stepper: inout S, prompts: [Tensor], mode: RunMode, steps: Int,
                                            head: ModelHead) throws -> [Tensor] {
        switch mode {
        case .prefill:
            var outputs = prompts
            for _ in 0..<steps {
                try stepper.reset(sequences: prompts.count)
                outputs = try stepper.step(prompts, phase: .prefill)
            }
            return outputs
        case .decode:
            try stepper.reset(sequences: prompts.count)
            var last = try stepper.step(prompts, phase: .prefill).map { lastRow(of: $0) }
            var produced = Array(repeating: [Float](), count: prompts.count)
            for _ in 0..<steps {
                let inputs = last.map(head.nextInput(after:))
                last = try stepper.step(inputs, phase: .decode)
                for s in last.indices { produced[s] += last[s].scalars }
            }
            return produced.map { Tensor(shape: [steps, head.model.hidden], scalars: $0) }
        }
    }

    static func lastRow(of x: Tensor) -> Tensor {
        Tensor(shape: [1, x.columns], scalars: Array(x[row: x.rows - 1]))
    }
}

/// The reference as a ``ModelStepper``: the whole model in this process.
public struct ReferenceStepper: ModelStepper {
    public let model: ReferenceModel
    var caches: [[KVCache]] = []

    public init(model: ReferenceModel) { self.model = model }

    public mutating func reset(sequences: Int) { caches = model.newCaches(sequences: sequences) }

    public mutating func step(_ states: [Tensor], slots: [Int], phase: StepPhase) -> [Tensor] {
        model.step(states, slots: slots, caches: &caches)
    }

    public mutating func release(slot: Int) { model.stack.release(slot: slot, in: &caches) }
}
