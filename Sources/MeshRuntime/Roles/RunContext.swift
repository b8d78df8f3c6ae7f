import MeshCore
import MeshMPI

/// What every role of a run shares: the config, this rank, the channels and the limits.
final class RunContext {
    /// Takes the injected fault, if any, so that it acts once.
    func takeFault() -> Fault? {
        defer { fault = nil }
        return fault
    }

    let config: ExpertMeshConfig
    let communicator: Communicator
    let rank: Int
    let ranks: Int
    let timeoutSeconds: Double
    let dispatchLayout: DispatchRecordLayout
    let combineLayout: CombineRecordLayout
    let counts: CountsExchange
    let dispatch: Channel
    let combine: Channel
    /// The most tokens one message may announce: a sanity bound on received headers.
    let maxTokensPerMessage: Int32
    /// A failure to inject, for tests; consumed by its first use.
    var fault: Fault?

    init(config: ExpertMeshConfig, communicator: Communicator, fault: Fault? = nil, emulate: HardwareProfile? = nil) {
        self.fault = fault
        self.config = config
        self.communicator = communicator
        rank = communicator.rank
        ranks = communicator.size
        timeoutSeconds = config.runtime.stepTimeoutSeconds
        dispatchLayout = DispatchRecordLayout(hidden: config.model.hidden, k: config.model.topK,
                                              dtype: config.runtime.dispatchDType)
        combineLayout = CombineRecordLayout(hidden: config.model.hidden, dtype: config.runtime.combineDType)
        counts = CountsExchange(communicator: communicator)
        dispatch = Channel(communicator: communicator, name: "dispatch")
        combine = Channel(communicator: communicator, name: "combine")
        if let emulate {
            let emulator = LinkEmulator(profile: emulate, config: config)
            dispatch.emulator = emulator
            combine.emulator = emulator
        }
        // Int32 byte counts bound one message to 2 GiB.
        maxTokensPerMessage = Int32(Int(Int32.max) / max(dispatchLayout.recordBytes, combineLayout.recordBytes))
    }
}
