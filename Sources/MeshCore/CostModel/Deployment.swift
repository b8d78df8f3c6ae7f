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
    /// Every rank runs on one machine of this many cores, whatever nodes the profile's links
    /// describe: a run on this machine with emulated links. nil: nodes as the profile says.
    public var machineCores: Int?

    public init(config: ExpertMeshConfig, hardware: HardwareProfile) {
        self.config = config
        self.hardware = hardware
        layout = config.cluster.layout
    }
}

extension PredictionRequest {
    /// The busiest worker's expected tokens over the mean under the config's routing skew
    /// (`model.router.skew`), for the first MoE layer's placement; 1 without skew.
    ///
    /// Each expert's share of the k choices per token is taken in proportion to its skew factor
    /// `(r + 1)^-skew`, capped at one choice per token (a token picks k distinct experts), the
    /// excess spread over the others in proportion; a worker's load is the sum over its experts.
    /// An estimate: the router multiplies scores, not probabilities, so the real skew is milder
    /// at small exponents; the load-test report puts the measured imbalance beside it.
    public static func expectedImbalance(_ config: ExpertMeshConfig) -> Double {
        let model = config.model
        guard model.router.skew > 0, let held = config.placement.experts.first, !held.isEmpty else { return 1 }
        let factors = model.router.skewFactors(experts: model.experts).map(Double.init)
        let k = Double(model.topK)
        var share = Array(repeating: 0.0, count: model.experts)
        var capped = Set<Int>()
        // Water-filling: give k choices in proportion to the factors, capping any expert at 1.
        while true {
            let free = (0..<model.experts).filter { !capped.contains($0) }
            let remaining = k - Double(capped.count)
            let total = free.reduce(0) { $0 + factors[$1] }
            guard total > 0 else { break }
            var changed = false
            for e in free {
                share[e] = remaining * factors[e] / total
                if share[e] > 1 { share[e] = 1; capped.insert(e); changed = true }
            }
            if !changed { break }
        }
        let loads = held.map { $0.reduce(0) { $0 + share[$1] } }
        let mean = loads.reduce(0, +) / Double(loads.count)
        return mean > 0 ? (loads.max() ?? 0) / mean : 1
    }
}
