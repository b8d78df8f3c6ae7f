import Logging
import MeshCore
import MeshMPI

/// What every role of a run shares: the config, this rank, the exchange's rules and transport,
/// and the limits.
final class RunContext {
    let config: ExpertMeshConfig
    let communicator: Communicator
    let rank: Int
    let ranks: Int
    let timeoutSeconds: Double
    /// The records of every MoE layer's exchange.
    let codec: RecordCodec
    /// Who sends how many tokens to whom, and the traffic that follows.
    let rules: TrafficRules
    /// The placement's holder index of every MoE layer, built once.
    let holders: [ExpertHolders]
    /// Control words, setup agreements and gathers between all ranks, point to point.
    let counts: CountsExchange
    /// The per-layer counts and records (wrapped to act out an injected fault, in tests).
    let transport: any Transport
    /// This rank's logger (`rank`, `role` metadata); the roles log per-layer events at `.debug`.
    var logger: Logger

    init(config: ExpertMeshConfig, communicator: Communicator, fault: Fault? = nil, emulate: HardwareProfile? = nil,
         logger: Logger? = nil) {
        self.config = config
        self.logger = logger ?? .rank(communicator.rank, role: config.cluster.role(ofRank: communicator.rank).name)
        self.communicator = communicator
        rank = communicator.rank
        ranks = communicator.size
        timeoutSeconds = config.runtime.stepTimeoutSeconds
        codec = RecordCodec(hidden: config.model.hidden, k: config.model.topK,
                            dispatch: config.runtime.dispatchDType, combine: config.runtime.combineDType)
        rules = TrafficRules(codec: codec, cluster: config.cluster)
        holders = config.placement.experts.map(ExpertHolders.init(experts:))
        counts = CountsExchange(communicator: communicator)
        let transport = MPITransport(communicator: communicator, timeoutSeconds: timeoutSeconds)
        if let emulate {
            let emulator = LinkEmulator(profile: emulate, config: config)
            transport.dispatch.emulator = emulator
            transport.combine.emulator = emulator
        }
        let (rank, codec) = (self.rank, self.codec)
        self.transport = fault.map { FaultInjectingTransport(wrapping: transport, fault: $0, rank: rank, codec: codec) } ?? transport
    }
}
