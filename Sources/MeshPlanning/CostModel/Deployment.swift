import MeshCore

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
    /// Busiest worker's tokens over the mean (1 = perfectly balanced routing), when no
    /// per-expert load is known.
    public var imbalance: Double = 1
    /// Tokens per expert in each MoE layer (any scale: only the shares count), measured (`run
    /// --load-stats`) or expected; nil: uniform routing times `imbalance`, or the config's skew.
    /// Workers' loads follow from the placement, replicated experts splitting their tokens.
    public var expertLoad: [[Double]]?
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
    /// Expected tokens per expert of every MoE layer under the config's skewed routing
    /// (`model.router.skew`, `hot_experts`), as shares of the k choices per token; nil without skew.
    ///
    /// Each expert's share is in proportion to its skew factor, capped at one choice per token
    /// (a token picks k distinct experts), the excess spread over the others in proportion. An
    /// estimate: the router multiplies near-equal scores, so its real skew is steeper (measure
    /// it with `run --load-stats` and predict from that: ``expertLoad``).
    public static func expectedLoad(_ config: ExpertMeshConfig) -> [[Double]]? {
        let model = config.model
        guard model.router.isSkewed else { return nil }
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
        return Array(repeating: share, count: model.moeLayers.count)
    }

    /// Each worker's tokens in MoE layer `moeIndex` under `load` (any scale), a replicated
    /// expert's tokens split evenly over its copies, as the runtime deals them.
    static func workerLoads(_ load: [Double], held: [[Int]]) -> [Double] {
        var copies = Array(repeating: 0, count: load.count)
        for list in held { for e in list { copies[e] += 1 } }
        return held.map { $0.reduce(0) { $0 + load[$1] / Double(max(copies[$1], 1)) } }
    }

    /// The busiest worker's expert rows over the mean, averaged over the MoE layers, under
    /// ``expertLoad`` or the config's expected skew; `imbalance` otherwise. (`run` measures the
    /// same: RunSummary.imbalance.)
    public var effectiveImbalance: Double {
        guard let loads = expertLoad ?? Self.expectedLoad(config), !config.placement.experts.isEmpty else { return imbalance }
        let layers = config.placement.experts.indices.map { m -> Double in
            let workers = Self.workerLoads(loads[min(m, loads.count - 1)], held: config.placement.experts[m])
            let mean = workers.reduce(0, +) / Double(max(workers.count, 1))
            return mean > 0 ? (workers.max() ?? 0) / mean : 1
        }
        return layers.reduce(0, +) / Double(layers.count)
    }
}
