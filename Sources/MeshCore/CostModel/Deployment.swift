/// How the ranks of a deployment share the work.
public enum DeploymentLayout: String, Sendable, CaseIterable, Codable {
    /// Coordinator ranks run attention, workers hold experts (ExpertMesh's runtime, MegaScale-Infer).
    case disaggregated
    /// Every rank runs attention for its share of the batch and holds experts (DeepEP, DeepSeek).
    case colocated
}

/// How communication overlaps computation in the model's step.
public enum OverlapMode: Sendable, Equatable {
    /// One batch, phases in sequence (shared experts overlap the workers, as in the runtime).
    case none
    /// An m-micro-batch ping-pong pipeline (MegaScale-Infer); m = 2 is dual micro-batch overlap.
    case pingPong(microBatches: Int)

    public var name: String {
        switch self {
        case .none: "none"
        case .pingPong(2): "two micro-batches"
        case .pingPong(let m): "\(m)-micro-batch ping-pong"
        }
    }
}

/// What to predict: a config's model and cluster on a hardware profile, with options.
public struct PredictionRequest: Sendable {
    public var config: ExpertMeshConfig
    public var hardware: HardwareProfile
    public var layout: DeploymentLayout
    public var overlap: OverlapMode = .none
    /// At most this many nodes per token (DeepSeek-V3's node-limited routing: 4); nil = no limit.
    public var nodeLimit: Int?
    /// Send records with their (expert, weight) header (ExpertMesh, DeepEP); false = bare rows
    /// (StepMesh's attention-FFN transfer).
    public var recordHeaders = true
    /// Busiest worker's tokens over the mean (1 = perfectly balanced routing).
    public var imbalance: Double = 1

    public init(config: ExpertMeshConfig, hardware: HardwareProfile) {
        self.config = config
        self.hardware = hardware
        layout = config.cluster.layout
    }
}
