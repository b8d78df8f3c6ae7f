import MeshCore
import MeshIO
import MeshModel
import MeshTensor

/// A coordinator rank: attention and its KV caches, the router, the shared experts, and the
/// token exchange with the workers, for its share of the sequences.
///
/// It is a ``ModelStepper``, so prefill and decode are driven by the same ``Generation`` code as
/// the reference.
final class Coordinator: ModelStepper {
    let context: RunContext
    let index: Int
    let layers: [DecoderLayer]
    let head: ModelHead
    let metrics: RankMetrics
    private var caches: [[KVCache]] = []
    private var encodeScratch: [Float] = []
    private var meterScratch: [Float] = []
    /// Round-trip error of the dispatch wire format, measured on the first step.
    private(set) var dispatchError = WireErrorMeter()

    init(context: RunContext, index: Int, weights: ModelWeights, metrics: RankMetrics) {
        self.context = context
        self.index = index
        self.layers = weights.layers.enumerated().map {
            DecoderLayer(model: weights.model, index: $0.offset, weights: $0.element!)
        }
        self.head = ModelHead(weights: weights)
        self.metrics = metrics
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

    func step(_ states: [Tensor], phase: StepPhase) throws -> [Tensor] {
        let word: ControlWord = phase == .prefill ? .prefill : .decode
        _ = try context.counts.exchange(Array(repeating: word.rawValue, count: context.ranks),
                                        timeoutSeconds: context.timeoutSeconds, phase: "the start of a step")
        metrics.beginStep(phaseCode: Int(word.rawValue), tokens: states.reduce(0) { $0 + $1.rows })
        defer {
            metrics.endStep()
            dispatchError.active = false
        }
        var states = states
        var moeIndex = 0
        for layer in layers {
            metrics.measure(.attention, layer: layer.index) {
                for s in states.indices { states[s] = layer.attentionResidual(states[s], cache: &caches[layer.index][s]) }
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

    /// Routes `normed`, sends each worker its tokens, and adds what comes back (then the shared
    /// experts) into `out`.
    private func moe(layer: DecoderLayer, moeIndex m: Int, normed: Tensor, into out: inout Tensor) throws {
        let cluster = context.config.cluster
        var plan = metrics.measure(.router, layer: layer.index) {
            DispatchPlan(routing: layer.route(normed), experts: context.config.placement.experts[m])
        }
        if let fault = context.takeFault() {
            fault.strike(rank: context.rank)
            if case .corrupt(let rank) = fault, case .worker(let w) = cluster.role(ofRank: rank), !plan.tokens[w].isEmpty {
                plan.localExperts[w][0] = 9999
            }
        }
        let dispatchLayout = context.dispatchLayout, combineLayout = context.combineLayout
        var tokensTo = Array(repeating: 0, count: context.ranks)
        for w in 0..<cluster.workers { tokensTo[cluster.rank(ofWorker: w)] = plan.counts[w] }
        try metrics.measure(.dispatch, layer: layer.index) {
            let announced = try context.counts.exchange(tokensTo.map { Int32($0) }, timeoutSeconds: context.timeoutSeconds,
                                                        phase: "the dispatch counts of layer \(layer.index)")
            for (source, count) in announced.enumerated() where source != context.rank && count != 0 {
                throw ProtocolError(rank: context.rank, sender: source, layer: layer.index, field: "token count",
                                    detail: "a coordinator receives no tokens, found \(count)")
            }
            try context.dispatch.exchange(
                sendCounts: tokensTo.map { $0 * dispatchLayout.recordBytes },
                recvCounts: Array(repeating: 0, count: context.ranks), timeoutSeconds: context.timeoutSeconds,
                pack: { send, offsets in pack(plan, normed: normed, into: send, offsets: offsets) })
        }
        for (rank, tokens) in tokensTo.enumerated() where tokens > 0 {
            metrics.addBytes(tokens * dispatchLayout.recordBytes, to: rank, dispatch: true)
        }
        var shared: Tensor?
        try metrics.measure(.combine, layer: layer.index) {
            try context.combine.exchange(
                sendCounts: Array(repeating: 0, count: context.ranks),
                recvCounts: tokensTo.map { $0 * combineLayout.recordBytes }, timeoutSeconds: context.timeoutSeconds,
                pack: { _, _ in },
                overlap: { shared = metrics.measure(.mlp, layer: layer.index) { layer.sharedOutput(normed) } })
            accumulate(plan, into: &out)
        }
        if let shared { add(shared, into: &out) }
    }

    /// Writes one record per (token, worker): expert ids, weights, (scale,) the encoded row.
    private func pack(_ plan: DispatchPlan, normed: Tensor, into send: UnsafeMutableRawBufferPointer, offsets: [Int]) {
        let layout = context.dispatchLayout, hidden = model.hidden, k = layout.k
        grow(&encodeScratch, hidden)
        normed.scalars.withUnsafeBufferPointer { rows in
            for (w, tokens) in plan.tokens.enumerated() {
                var base = offsets[context.config.cluster.rank(ofWorker: w)]
                for (i, token) in tokens.enumerated() {
                    for j in 0..<k {
                        send.storeBytes(of: plan.localExperts[w][i * k + j], toByteOffset: base + layout.expertsOffset + 4 * j, as: Int32.self)
                        send.storeBytes(of: plan.weights[w][i * k + j], toByteOffset: base + layout.weightsOffset + 4 * j, as: Float.self)
                    }
                    let row = UnsafeBufferPointer(rebasing: rows[(Int(token) * hidden)..<((Int(token) + 1) * hidden)])
                    let target = UnsafeMutableRawBufferPointer(rebasing: send[(base + layout.rowOffset)..<(base + layout.rowOffset + layout.rowBytes)])
                    switch layout.dtype {
                    case .fp32:
                        target.copyMemory(from: UnsafeRawBufferPointer(row))
                    case .bf16:
                        ReducedFloatFormat.bfloat16.encode(row, into: target)
                        dispatchError.record(original: row, encoded: UnsafeRawBufferPointer(target), format: .bfloat16,
                                             scratch: &meterScratch)
                    case .fp8:
                        let amax = row.reduce(0) { max($0, abs($1)) }
                        let scale = amax > 0 ? amax / Float8E4M3.greatestFiniteMagnitude : 1
                        send.storeBytes(of: scale, toByteOffset: base + layout.scaleOffset, as: Float.self)
                        encodeScratch.withUnsafeMutableBufferPointer { scaled in
                            for c in 0..<hidden { scaled[c] = row[c] / scale }
                            ReducedFloatFormat.float8E4M3.encode(UnsafeBufferPointer(rebasing: scaled[0..<hidden]), into: target)
                        }
                        dispatchError.record(original: row, encoded: UnsafeRawBufferPointer(target), format: .float8E4M3,
                                             scale: scale, scratch: &meterScratch)
                    }
                    base += layout.recordBytes
                }
            }
        }
    }

    /// Adds the combined rows to `out`, worker by worker in rank order, token by token: a fixed
    /// order, so a run is bitwise repeatable.
    private func accumulate(_ plan: DispatchPlan, into out: inout Tensor) {
        let layout = context.combineLayout, hidden = model.hidden
        let cluster = context.config.cluster
        context.combine.withReceived { received in
            out.scalars.withUnsafeMutableBufferPointer { target in
                grow(&encodeScratch, hidden)
                encodeScratch.withUnsafeMutableBufferPointer { decoded in
                    for (w, tokens) in plan.tokens.enumerated() {
                        var base = context.combine.lastReceived[cluster.rank(ofWorker: w)].offset
                        for token in tokens {
                            let row = target.baseAddress! + Int(token) * hidden
                            switch layout.dtype {
                            case .fp32:
                                for c in 0..<hidden { row[c] += received.loadUnaligned(fromByteOffset: base + 4 * c, as: Float.self) }
                            default:
                                ReducedFloatFormat.bfloat16.decode(
                                    UnsafeRawBufferPointer(rebasing: received[base..<(base + hidden * 2)]),
                                    into: UnsafeMutableBufferPointer(rebasing: decoded[0..<hidden]))
                                for c in 0..<hidden { row[c] += decoded[c] }
                            }
                            base += layout.recordBytes
                        }
                    }
                }
            }
        }
    }
}
