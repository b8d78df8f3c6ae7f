import MeshCore
import MeshIO
import MeshModel
import MeshTensor

/// A coordinator rank: attention and its KV caches, the router, the shared experts, and the
/// token exchange with the workers, for its share of the sequences.
///
/// It is a ``ModelStepper``, so prefill and decode are driven by the same ``Generation`` code as
/// the reference, and a ``ServingStepper``, so serving runs the same ``ServingLoop``.
final class Coordinator: ServingStepper {
    let context: RunContext
    let layers: [DecoderLayer]
    let head: ModelHead
    let metrics: RankMetrics
    private var caches: [[KVCache]] = []
    let packer: DispatchPacker

    /// This coordinator's index among the coordinators.
    let index: Int

    init(context: RunContext, index: Int, weights: ModelWeights, metrics: RankMetrics) {
        self.index = index
        self.context = context
        self.layers = weights.layers.enumerated().map {
            DecoderLayer(model: weights.model, index: $0.offset, weights: $0.element!)
        }
        self.head = ModelHead(weights: weights)
        self.metrics = metrics
        packer = DispatchPacker(dispatchLayout: context.dispatchLayout, combineLayout: context.combineLayout)
    }

    var model: ModelConfig { context.config.model }

    func reset(sequences: Int) {
        caches = Array(repeating: Array(repeating: KVCache(width: model.kvWidth), count: sequences), count: model.layers)
    }

    /// Tells every rank that the run is over.
    func stop() throws {
        _ = try context.counts.exchange(Array(repeating: ControlWord.stop.rawValue, count: context.ranks),
                                        timeoutSeconds: context.timeoutSeconds, phase: "the end of the run")
    }

    func release(slot: Int) {
        for layer in caches.indices { caches[layer][slot] = KVCache(width: model.kvWidth) }
    }

    /// Runs one step: `states[i]` continues the sequence in slot `slots[i]`.
    ///
    /// A prefill or decode step starts with its control word; a serving step was agreed on by
    /// ``agree(_:)`` just before, and may hold no token of this coordinator's own.
    func step(_ states: [Tensor], slots: [Int], phase: StepPhase) throws -> [Tensor] {
        let word: ControlWord
        switch phase {
        case .prefill: word = .prefill
        case .decode: word = .decode
        case .serving: word = .serve
        }
        if phase != .serving {
            _ = try context.counts.exchange(Array(repeating: word.rawValue, count: context.ranks),
                                            timeoutSeconds: context.timeoutSeconds, phase: "the start of a step")
        }
        metrics.beginStep(phaseCode: Int(word.rawValue), tokens: states.reduce(0) { $0 + $1.rows })
        defer {
            metrics.endStep()
            packer.dispatchError.active = false
        }
        var states = states
        var moeIndex = 0
        for layer in layers {
            metrics.measure(.attention, layer: layer.index) {
                for s in states.indices {
                    states[s] = layer.attentionResidual(states[s], cache: &caches[layer.index][slots[s]])
                }
            }
            var all = states.isEmpty ? Tensor(shape: [0, model.hidden], scalars: []) : concatenateRows(states)
            let normed = layer.mlpInput(all)
            if model.isMoE(layer.index) {
                try moe(layer: layer, moeIndex: moeIndex, normed: normed, into: &all)
                moeIndex += 1
            } else {
                let dense = metrics.measure(.mlp, layer: layer.index) { layer.denseOutput(normed) }
                add(dense, into: &all)
            }
            states = splitRows(all, like: states)
        }
        return states
    }

    /// Sends every rank this coordinator's serving control word and reads the other
    /// coordinators': the step runs when any has tokens, is skipped when none has, and the run
    /// stops when all have finished.
    func agree(_ intent: ServingIntent) throws -> ServingDecision {
        let word: ControlWord
        switch intent {
        case .step: word = .serve
        case .idle: word = .idle
        case .finished: word = .stop
        }
        let received = try context.counts.exchange(Array(repeating: word.rawValue, count: context.ranks),
                                                   timeoutSeconds: context.timeoutSeconds, phase: "the start of a serving step")
        let words = Array(received[0..<context.config.cluster.coordinators])
        guard let agreement = ControlWord.agreement(words) else {
            throw ProtocolError(rank: context.rank, sender: 0, layer: nil, field: "control word",
                                detail: "expected serving words (0, 3 or 4) from every coordinator, found \(words)")
        }
        switch agreement {
        case .stop: return .stop
        case .skip: return .skip
        case .run: return .step
        }
    }

    /// Routes `normed`, sends each worker its tokens, and adds what comes back (then the shared
    /// experts) into `out`.
    private func moe(layer: DecoderLayer, moeIndex m: Int, normed: Tensor, into out: inout Tensor) throws {
        let cluster = context.config.cluster
        var plan = metrics.measure(.router, layer: layer.index) {
            // Copies of a replicated expert are dealt from a different one each step and coordinator.
            DispatchPlan(routing: layer.route(normed), experts: context.config.placement.experts[m],
                         rotation: metrics.steps.count + index)
        }
        if let fault = context.takeFault() {
            fault.strike(rank: context.rank)
            if case .corrupt(let rank) = fault, case .worker(let w) = cluster.role(ofRank: rank), !plan.tokens[w].isEmpty {
                plan.localExperts[w][0] = 9999
            }
        }
        var shared: Tensor?
        try exchange(plan, rows: normed, layer: layer.index, into: &out) {
            shared = layer.sharedOutput(normed)
        }
        if let shared { add(shared, into: &out) }
    }

    /// Dispatches `rows` as `plan` says, and adds the combined rows into `out`.
    ///
    /// Counts first (point to point, so that a missing peer can be named), then the records
    /// through `MPI_Ialltoallv`; the combine's receive is posted at once and `overlap` (the shared
    /// experts) runs while the workers compute.
    func exchange(_ plan: DispatchPlan, rows: Tensor, layer: Int, into out: inout Tensor,
                  overlap: () throws -> Void = {}) throws {
        let cluster = context.config.cluster
        let dispatchLayout = context.dispatchLayout, combineLayout = context.combineLayout
        var tokensTo = Array(repeating: 0, count: context.ranks)
        for w in 0..<cluster.workers { tokensTo[cluster.rank(ofWorker: w)] = plan.counts[w] }
        try metrics.measure(.dispatch, layer: layer) {
            let announced = try context.counts.exchange(tokensTo.map { Int32($0) }, timeoutSeconds: context.timeoutSeconds,
                                                        phase: "the dispatch counts of layer \(layer)")
            for (source, count) in announced.enumerated() where source != context.rank && count != 0 {
                throw ProtocolError(rank: context.rank, sender: source, layer: layer, field: "token count",
                                    detail: "a coordinator receives no tokens, found \(count)")
            }
            try context.dispatch.exchange(
                sendCounts: tokensTo.map { $0 * dispatchLayout.recordBytes },
                recvCounts: Array(repeating: 0, count: context.ranks), timeoutSeconds: context.timeoutSeconds,
                phase: "the dispatch of layer \(layer)",
                pack: { send, offsets in
                    rows.scalars.withUnsafeBufferPointer { rows in
                        packer.pack(plan, rows: rows, into: send, workerOffsets: workerOffsets(offsets))
                    }
                })
        }
        metrics.add(context.dispatch.lastEmulatedWait, to: .emulated, layer: layer)
        for (rank, tokens) in tokensTo.enumerated() where tokens > 0 {
            metrics.addBytes(tokens * dispatchLayout.recordBytes, to: rank, dispatch: true)
        }
        // Combine's time is the wait and the additions; the overlapped work is counted apart.
        try metrics.measure(.combine, layer: layer, excluding: .mlp) {
            try context.combine.exchange(
                sendCounts: Array(repeating: 0, count: context.ranks),
                recvCounts: tokensTo.map { $0 * combineLayout.recordBytes }, timeoutSeconds: context.timeoutSeconds,
                phase: "the combine of layer \(layer)", pack: { _, _ in },
                overlap: { try metrics.measure(.mlp, layer: layer) { try overlap() } })
            metrics.add(context.combine.lastEmulatedWait, to: .emulated, layer: layer)
            context.combine.withReceived { received in
                let offsets = workerOffsets(context.combine.lastReceived.map(\.offset))
                out.scalars.withUnsafeMutableBufferPointer { target in
                    packer.accumulate(plan, received: received, workerOffsets: offsets, into: target)
                }
            }
        }
    }

    /// Per-rank offsets reduced to the workers', by worker index.
    private func workerOffsets(_ byRank: [Int]) -> [Int] {
        (0..<context.config.cluster.workers).map { byRank[context.config.cluster.rank(ofWorker: $0)] }
    }
}
