import Logging
import MeshCore
import MeshModel

/// A worker rank: holds the routed experts its placement gives it and runs only those.
///
/// Per MoE layer it receives the token counts and then the records of every coordinator, runs
/// its experts over them (``ExpertCompute``) into the combine's send buffer, and sends back one
/// row per record it received.
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
        compute = ExpertCompute(codec: context.codec)
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
        let control = try context.counts.exchange(Array(repeating: 0, count: context.ranks),
                                                  timeoutSeconds: context.timeoutSeconds,
                                                  phase: "the start of the next step")
        let agreement: ControlWord.Agreement
        do {
            agreement = try ControlWord.agree(Array(control[0..<context.config.cluster.coordinators]))
        } catch {
            throw ProtocolError(rank: context.rank, error)
        }
        switch agreement {
        case .stop: return false
        case .skip: return true
        case .run(let word):
            metrics.beginStep(word, tokens: 0)
            for (m, layer) in context.config.model.moeLayers.enumerated() { try runLayer(m, layer: layer) }
            metrics.endStep()
            compute.combineError.active = false
            return true
        }
    }

    /// One MoE layer: receive the counts and the records, compute into the send buffer, send.
    private func runLayer(_ m: Int, layer: Int) throws {
        let transport = context.transport
        let traffic = try metrics.measure(.wait, layer: layer) {
            let announced = try transport.announce(Array(repeating: 0, count: context.ranks), layer: layer)
            let traffic: LayerTraffic
            do {
                traffic = try context.rules.worker(announced: announced)
            } catch let error as CountError {
                throw ProtocolError(rank: context.rank, layer: layer, error)
            }
            try transport.exchangeDispatch(traffic, layer: layer)
            return traffic
        }
        metrics.add(transport.dispatch.lastEmulatedWait, to: .emulated, layer: layer)

        let origin = ExpertCompute.Origin(rank: context.rank, layer: layer, recordsPerSource: traffic.tokensReceived)
        let rows = try metrics.measure(.experts, layer: layer) {
            try transport.dispatch.withReceived { received in
                try transport.combine.fill(traffic.combineSend.total) { send in
                    try compute.run(experts: experts[m], received: received, origin: origin, into: send)
                }
            }
        }
        context.logger.debug("received \(traffic.tokensReceived) records, ran \(rows) rows per local expert",
                             metadata: [LogKey.phase: "layer \(layer)"])
        for (local, n) in rows.enumerated() where n > 0 {
            metrics.addExpertRows(n, expert: localExperts[m][local], moeLayer: m)
        }

        try transport.exchangeCombine(traffic, layer: layer, overlap: {})
        metrics.add(transport.combine.lastEmulatedWait, to: .emulated, layer: layer)
        for (rank, bytes) in traffic.combineSend.counts.enumerated() where bytes > 0 {
            metrics.addBytes(bytes, to: rank, dispatch: false)
        }
    }
}
