import MeshCore
import MeshModel

/// A worker rank: holds the routed experts its placement gives it and runs only those.
///
/// Per MoE layer it receives the token counts and then the rows of every coordinator, runs its
/// experts over them (``ExpertCompute``), and sends back one row per token it received.
final class Worker {
    let context: RunContext
    /// `experts[m]`: this worker's experts in MoE layer m, in local order (ascending global id).
    let experts: [[MLPWeights]]
    /// `localExperts[m]`: their global ids.
    let localExperts: [[Int]]
    let metrics: RankMetrics
    let compute: ExpertCompute

    init(context: RunContext, index: Int, weights: ModelWeights, metrics: RankMetrics) {
        self.context = context
        let model = context.config.model
        let held = context.config.placement.experts.map { $0[index] }
        localExperts = held
        experts = model.moeLayers.enumerated().map { m, layer in held[m].map { weights.experts[layer][$0]! } }
        self.metrics = metrics
        compute = ExpertCompute(dispatchLayout: context.dispatchLayout, combineLayout: context.combineLayout)
    }

    /// Serves steps until the coordinators say stop.
    func run() throws {
        while try serveStep() {}
    }

    /// Waits for the coordinators' control words and serves one step (or none, when every
    /// coordinator is idle while serving).
    ///
    /// - Returns: false when the coordinators said stop.
    func serveStep() throws -> Bool {
        let coordinators = context.config.cluster.coordinators
        let control = try context.counts.exchange(Array(repeating: 0, count: context.ranks),
                                                  timeoutSeconds: context.timeoutSeconds,
                                                  phase: "the start of the next step")
        let words = Array(control[0..<coordinators])
        let word: ControlWord
        switch ControlWord.agreement(words) {
        case .stop: return false
        case .skip: return true
        case .run(let phase): word = phase
        case nil:
            let first = words.firstIndex { $0 != words[0] || ControlWord(rawValue: $0) == nil } ?? 0
            throw ProtocolError(rank: context.rank, sender: first, layer: nil, field: "control word",
                                detail: "expected the same 0, 1 or 2 from every coordinator, or each 0, 3 or 4, found \(words)")
        }
        metrics.beginStep(phaseCode: Int(word.rawValue), tokens: 0)
        for (m, layer) in context.config.model.moeLayers.enumerated() { try runLayer(m, layer: layer) }
        metrics.endStep()
        compute.combineError.active = false
        return true
    }

    private func runLayer(_ m: Int, layer: Int) throws {
        let coordinators = context.config.cluster.coordinators
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
                                          recvCounts: tokens.map { $0 * context.dispatchLayout.recordBytes },
                                          timeoutSeconds: context.timeoutSeconds, phase: "the dispatch of layer \(layer)",
                                          pack: { _, _ in })
        }
        metrics.add(context.dispatch.lastEmulatedWait, to: .emulated, layer: layer)
        let sendBytes = tokens.map { $0 * context.combineLayout.recordBytes }
        let origin = ExpertCompute.Origin(rank: context.rank, layer: layer, recordsPerSource: tokens)
        try context.combine.exchange(sendCounts: sendBytes, recvCounts: Array(repeating: 0, count: context.ranks),
                                     timeoutSeconds: context.timeoutSeconds, phase: "the combine of layer \(layer)",
                                     pack: { send, _ in
            let rows = try metrics.measure(.experts, layer: layer) {
                try context.dispatch.withReceived { received in
                    try compute.run(experts: experts[m], received: received, origin: origin, into: send)
                }
            }
            for (local, n) in rows.enumerated() where n > 0 {
                metrics.addExpertRows(n, expert: localExperts[m][local], moeLayer: m)
            }
        })
        metrics.add(context.combine.lastEmulatedWait, to: .emulated, layer: layer)
        for (rank, bytes) in sendBytes.enumerated() where bytes > 0 { metrics.addBytes(bytes, to: rank, dispatch: false) }
    }
}
