import Logging
import MeshCore
import MeshModel
import MeshTensor

/// A coordinator rank: attention and its KV caches, the router, the shared experts, and the
/// token exchange with the workers, for its share of the sequences.
///
/// It runs the model's ``DecoderStack`` with its distributed MoE block plugged in, and it is a
/// ``ModelStepper``, so prefill and decode are driven by the same ``Generation`` code as the
/// reference, and a ``ServingStepper``, so serving runs the same ``ServingLoop``.
final class Coordinator: ServingStepper {
    let context: RunContext
    let stack: DecoderStack
    let head: ModelHead
    let metrics: RankMetrics
    let packer: DispatchPacker
    /// This coordinator's index among the coordinators.
    let index: Int
    private var caches: [[KVCache]] = []

    init(context: RunContext, index: Int, weights: ModelWeights, metrics: RankMetrics) {
        self.index = index
        self.context = context
        stack = DecoderStack(weights: weights)
        head = ModelHead(weights: weights)
        self.metrics = metrics
        packer = DispatchPacker(codec: context.codec)
    }

    func reset(sequences: Int) { caches = stack.newCaches(sequences: sequences) }

    func release(slot: Int) { stack.release(slot: slot, in: &caches) }

    /// Tells every rank that the run is over.
    func stop() throws { try broadcast(.stop, phase: "the end of the run") }

    /// Runs one step: `states[i]` continues the sequence in slot `slots[i]`.
    ///
    /// A prefill or decode step starts with its control word; a serving step was agreed on by
    /// ``agree(_:)`` just before, and may hold no token of this coordinator's own.
    func step(_ states: [Tensor], slots: [Int], phase: StepPhase) throws -> [Tensor] {
        let word = ControlWord(phase: phase)
        if phase != .serving { try broadcast(word, phase: "the start of a step") }
        metrics.beginStep(word, tokens: states.reduce(0) { $0 + $1.rows })
        defer {
            metrics.endStep()
            packer.dispatchError.active = false
        }
        var block = DistributedMoE(coordinator: self)
        return try stack.step(states, slots: slots, caches: &caches, moe: &block)
    }

    /// Sends every rank this coordinator's serving control word and reads the other
    /// coordinators': the step runs when any has tokens, is skipped when none has, and the run
    /// stops when all have finished.
    func agree(_ intent: ServingIntent) throws -> ServingDecision {
        let received = try broadcast(ControlWord(intent: intent), phase: "the start of a serving step")
        do {
            return try ControlWord.agree(Array(received[0..<context.config.cluster.coordinators])).decision
        } catch {
            throw ProtocolError(rank: context.rank, error)
        }
    }

    /// Sends `word` to every rank and returns every rank's word.
    @discardableResult
    func broadcast(_ word: ControlWord, phase: String) throws -> [Int32] {
        try context.counts.exchange(Array(repeating: word.rawValue, count: context.ranks),
                                    timeoutSeconds: context.timeoutSeconds, phase: phase)
    }

    /// Dispatches `rows` as `plan` says, and adds the combined rows into `out`.
    ///
    /// In the order it runs: counts announced (point to point, so that a missing peer can be
    /// named) and checked, records written and dispatched, then the combine, during which
    /// `overlap` (the shared experts) runs while the workers compute, and the rows added back.
    func exchange(_ plan: DispatchPlan, rows: Tensor, layer: Int, into out: inout Tensor,
                  overlap: () throws -> Void = {}) throws {
        let transport = context.transport, rules = context.rules
        let (announce, traffic) = rules.coordinator(sending: plan.counts)
        try metrics.measure(.dispatch, layer: layer) {
            let announced = try transport.announce(announce, layer: layer)
            do {
                try rules.checkCoordinator(announced: announced, me: context.rank)
            } catch let error as CountError {
                throw ProtocolError(rank: context.rank, layer: layer, error)
            }
            transport.dispatch.fill(traffic.dispatchSend.total) { send in
                rows.scalars.withUnsafeBufferPointer { rows in
                    packer.pack(plan, rows: rows, into: send) { traffic.dispatchSend.offsets[rules.rank(ofWorker: $0)] }
                }
            }
            try transport.exchangeDispatch(traffic, layer: layer)
        }
        context.logger.debug("dispatched \(plan.counts) tokens to the workers (\(traffic.dispatchSend.total) B)",
                             metadata: [LogKey.phase: "layer \(layer)"])
        metrics.add(transport.dispatch.lastEmulatedWait, to: .emulated, layer: layer)
        for (rank, bytes) in traffic.dispatchSend.counts.enumerated() where bytes > 0 {
            metrics.addBytes(bytes, to: rank, dispatch: true)
        }
        // Combine's time is the wait and the additions; the overlapped work is counted apart.
        try metrics.measure(.combine, layer: layer, excluding: .mlp) {
            try transport.exchangeCombine(traffic, layer: layer, overlap: { try metrics.measure(.mlp, layer: layer) { try overlap() } })
            metrics.add(transport.combine.lastEmulatedWait, to: .emulated, layer: layer)
            transport.combine.withReceived { received in
                out.scalars.withUnsafeMutableBufferPointer { target in
                    packer.accumulate(plan, received: received, workerOffsets: { traffic.combineReceive.offsets[rules.rank(ofWorker: $0)] },
                                      into: target)
                }
            }
        }
        context.logger.debug("combined \(traffic.combineReceive.total) B", metadata: [LogKey.phase: "layer \(layer)"])
    }
}

/// A coordinator's MoE block: route, dispatch to the workers, run the shared experts while they
/// compute, and add what comes back.
struct DistributedMoE: MoEBlock {
    let coordinator: Coordinator

    func measure<R>(_ part: DecoderStack.Part, layer: Int, _ body: () throws -> R) rethrows -> R {
        try coordinator.metrics.measure(part == .attention ? .attention : .mlp, layer: layer, body)
    }

    func addMoE(layer: DecoderLayer, moeIndex m: Int, normed: Tensor, into out: inout Tensor) throws {
        let context = coordinator.context, metrics = coordinator.metrics
        let plan = metrics.measure(.router, layer: layer.index) {
            // Copies of a replicated expert are dealt from a different one each step and coordinator.
            DispatchPlan(routing: layer.route(normed), holders: context.holders[m],
                         rotation: metrics.steps.count + coordinator.index)
        }
        var shared: Tensor?
        try coordinator.exchange(plan, rows: normed, layer: layer.index, into: &out) {
            shared = layer.sharedOutput(normed)
        }
        if let shared { add(shared, into: &out) }
    }
}
