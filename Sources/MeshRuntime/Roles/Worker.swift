import MeshCore
import MeshIO
import MeshModel
import MeshTensor

/// A worker rank: holds the routed experts its placement gives it and runs only those.
///
/// Per MoE layer it receives the token counts and then the rows of every coordinator, groups the
/// rows by local expert, runs each expert as one batch of GEMMs, adds the weighted outputs of its
/// experts per token, and sends back one row per token it received.
final class Worker {
    let context: RunContext
    let index: Int
    let weights: ModelWeights
    /// `localExperts[m]`: the global ids this worker holds in MoE layer m, ascending.
    let localExperts: [[Int]]
    let metrics: RankMetrics

    // Scratch reused from layer to layer (grown on demand, never shrunk).
    private var gathered: [Float] = []
    private var expertOut: [Float] = []
    private var scratch: [Float] = []
    private var scales: [Float] = []
    private var accumulator: [Float] = []
    private var meterScratch: [Float] = []
    /// Round-trip error of the combine wire format, measured on the first step.
    private(set) var combineError = WireErrorMeter()

    init(context: RunContext, index: Int, weights: ModelWeights, metrics: RankMetrics) {
        self.context = context
        self.index = index
        self.weights = weights
        self.localExperts = context.config.placement.experts.map { $0[index] }
        self.metrics = metrics
    }

    var model: ModelConfig { context.config.model }

    /// Serves steps until the coordinators say stop.
    func run() throws {
        let coordinators = context.config.cluster.coordinators
        while true {
            let control = try context.counts.exchange(Array(repeating: 0, count: context.ranks),
                                                      timeoutSeconds: context.timeoutSeconds,
                                                      phase: "the start of the next step")
            let words = Array(control[0..<coordinators])
            guard let word = ControlWord(rawValue: words[0]), words.allSatisfy({ $0 == words[0] }) else {
                throw ProtocolError(rank: context.rank, sender: 0, layer: nil, field: "control word",
                                    detail: "expected the same 0, 1 or 2 from every coordinator, found \(words)")
            }
            if word == .stop { return }
            metrics.beginStep(phaseCode: Int(word.rawValue), tokens: 0)
            for (m, layer) in model.moeLayers.enumerated() { try runLayer(m, layer: layer) }
            metrics.endStep()
            combineError.active = false
        }
    }

    private func runLayer(_ m: Int, layer: Int) throws {
        let coordinators = context.config.cluster.coordinators
        let dispatchLayout = context.dispatchLayout, combineLayout = context.combineLayout
        var tokens = Array(repeating: 0, count: context.ranks)
        context.takeFault()?.strike(rank: context.rank)
        try metrics.measure(.wait, layer: layer) {
            let counts = try context.counts.exchange(Array(repeating: 0, count: context.ranks),
                                                     timeoutSeconds: context.timeoutSeconds,
                                                     phase: "the dispatch counts of layer \(layer)")
            for (source, count) in counts.enumerated() {
                let isCoordinator = source < coordinators
                guard count >= 0, isCoordinator || count == 0, count <= context.maxTokensPerMessage else {
                    throw ProtocolError(rank: context.rank, sender: source, layer: layer, field: "token count",
                                        detail: "expected 0...\(isCoordinator ? context.maxTokensPerMessage : 0), found \(count)")
                }
                tokens[source] = Int(count)
            }
            try context.dispatch.exchange(sendCounts: Array(repeating: 0, count: context.ranks),
                                          recvCounts: tokens.map { $0 * dispatchLayout.recordBytes },
                                          timeoutSeconds: context.timeoutSeconds, pack: { _, _ in })
        }
        let sendBytes = tokens.map { $0 * combineLayout.recordBytes }
        try context.combine.exchange(sendCounts: sendBytes, recvCounts: Array(repeating: 0, count: context.ranks),
                                     timeoutSeconds: context.timeoutSeconds, pack: { send, _ in
            try metrics.measure(.experts, layer: layer) {
                try context.dispatch.withReceived { received in
                    try compute(m, layer: layer, tokens: tokens, received: received, into: send)
                }
            }
        })
        for (rank, bytes) in sendBytes.enumerated() where bytes > 0 { metrics.addBytes(bytes, to: rank, dispatch: false) }
    }

    /// Runs the experts over the received records and writes one combined row per record.
    private func compute(_ m: Int, layer: Int, tokens: [Int], received: UnsafeRawBufferPointer,
                         into send: UnsafeMutableRawBufferPointer) throws {
        let layout = context.dispatchLayout, hidden = model.hidden, k = layout.k
        let records = tokens.reduce(0, +)
        let held = localExperts[m]
        // Group (record, weight) by local expert, validating every slot.
        var groups = Array(repeating: [(record: Int, weight: Float)](), count: held.count)
        var record = 0
        for (source, count) in tokens.enumerated() {
            for _ in 0..<count {
                let base = record * layout.recordBytes
                var used = 0
                for j in 0..<k {
                    let local = received.loadUnaligned(fromByteOffset: base + layout.expertsOffset + 4 * j, as: Int32.self)
                    if local == -1 { continue }
                    let weight = received.loadUnaligned(fromByteOffset: base + layout.weightsOffset + 4 * j, as: Float.self)
                    guard local >= 0, Int(local) < held.count else {
                        throw ProtocolError(rank: context.rank, sender: source, layer: layer,
                                            field: "record \(record) slot \(j) expert",
                                            detail: "local expert \(local) is not held here (this worker holds \(held.count) in layer \(layer))")
                    }
                    guard weight.isFinite else {
                        throw ProtocolError(rank: context.rank, sender: source, layer: layer,
                                            field: "record \(record) slot \(j) weight", detail: "not finite: \(weight)")
                    }
                    groups[Int(local)].append((record, weight))
                    used += 1
                }
                guard used > 0 else {
                    throw ProtocolError(rank: context.rank, sender: source, layer: layer,
                                        field: "record \(record)", detail: "names no expert")
                }
                record += 1
            }
        }
        // The weighted sum per record: written straight into the send buffer for fp32.
        let direct = context.combineLayout.dtype == .fp32
        if !direct { grow(&accumulator, records * hidden) }
        let accumulate = { (body: (UnsafeMutablePointer<Float>) -> Void) in
            if direct {
                body(send.baseAddress!.bindMemory(to: Float.self, capacity: records * hidden))
            } else {
                self.accumulator.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
            }
        }
        accumulate { $0.update(repeating: 0, count: records * hidden) }
        for (local, group) in groups.enumerated() where !group.isEmpty {
            let n = group.count
            let expert = weights.experts[layer][held[local]]!
            let ffn = expert.width
            grow(&gathered, n * hidden)
            grow(&expertOut, n * hidden)
            grow(&scratch, 2 * n * ffn)
            grow(&scales, n)
            gathered.withUnsafeMutableBufferPointer { rows in
                for (i, entry) in group.enumerated() {
                    decodeRow(received, record: entry.record, into: UnsafeMutableBufferPointer(rebasing: rows[(i * hidden)..<((i + 1) * hidden)]))
                    scales[i] = entry.weight
                }
            }
            gathered.withUnsafeBufferPointer { x in
                scales.withUnsafeBufferPointer { s in
                    scratch.withUnsafeMutableBufferPointer { tmp in
                        expertOut.withUnsafeMutableBufferPointer { out in
                            expert.gate.scalars.withUnsafeBufferPointer { g in
                                expert.up.scalars.withUnsafeBufferPointer { u in
                                    expert.down.scalars.withUnsafeBufferPointer { d in
                                        swiglu(x, rows: n, hidden: hidden, gate: g, up: u, down: d, ffn: ffn,
                                               rowScales: UnsafeBufferPointer(rebasing: s[0..<n]),
                                               scratch: tmp, into: out)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            expertOut.withUnsafeBufferPointer { out in
                accumulate { acc in
                    for (i, entry) in group.enumerated() {
                        let target = acc + entry.record * hidden
                        for c in 0..<hidden { target[c] += out[i * hidden + c] }
                    }
                }
            }
            metrics.addExpertRows(n, expert: held[local], moeLayer: m)
        }
        if !direct {
            let bytes = context.combineLayout.recordBytes
            accumulator.withUnsafeBufferPointer { acc in
                for r in 0..<records {
                    let row = UnsafeBufferPointer(rebasing: acc[(r * hidden)..<((r + 1) * hidden)])
                    let target = UnsafeMutableRawBufferPointer(rebasing: send[(r * bytes)..<(r * bytes + hidden * 2)])
                    ReducedFloatFormat.bfloat16.encode(row, into: target)
                    combineError.record(original: row, encoded: UnsafeRawBufferPointer(target), format: .bfloat16,
                                        scratch: &meterScratch)
                }
            }
        }
    }

    /// Decodes the row of `record` from the wire format into `row`.
    private func decodeRow(_ received: UnsafeRawBufferPointer, record: Int, into row: UnsafeMutableBufferPointer<Float>) {
        let layout = context.dispatchLayout
        let base = record * layout.recordBytes
        let bytes = UnsafeRawBufferPointer(rebasing: received[(base + layout.rowOffset)..<(base + layout.rowOffset + layout.rowBytes)])
        switch layout.dtype {
        case .fp32:
            for c in 0..<row.count { row[c] = bytes.loadUnaligned(fromByteOffset: 4 * c, as: Float.self) }
        case .bf16:
            ReducedFloatFormat.bfloat16.decode(bytes, into: row)
        case .fp8:
            ReducedFloatFormat.float8E4M3.decode(bytes, into: row)
            let scale = received.loadUnaligned(fromByteOffset: base + layout.scaleOffset, as: Float.self)
            for c in 0..<row.count { row[c] *= scale }
        }
    }
}

/// Makes `buffer` hold at least `count` elements.
@inline(__always)
func grow(_ buffer: inout [Float], _ count: Int) {
    if buffer.count < count { buffer = [Float](repeating: 0, count: max(count, buffer.count * 3 / 2)) }
}
