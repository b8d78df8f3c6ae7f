import Foundation
import MeshCore
import MeshModel
import MeshTensor

/// A rank's part of the model: the coordinator or the worker it runs.
enum RankPart {
    case coordinator(Coordinator)
    case worker(Worker)
}

/// What every rank that runs the model sets up alike (`run`, `serve`, `bench`): OpenBLAS
/// threads, the metrics, its weights (only those it owns), and its role.
struct RankSetup {
    let context: RunContext
    let role: RankRole
    let part: RankPart
    let metrics: RankMetrics
    /// Bytes of the weights this rank holds.
    let weightBytes: Int

    /// - Parameters:
    ///   - source: Where the weights come from: a checkpoint, or seeded.
    ///   - recordSpans: Whether the metrics keep trace spans (`--trace`).
    /// - Throws: What loading the weights throws (a missing tensor, a bad checkpoint).
    init(job: JobContext, config: ExpertMeshConfig, source: any WeightSource, fault: Fault? = nil,
         emulate: HardwareProfile? = nil, computeSlowdown: Double = 1, recordSpans: Bool = false) throws {
        let world = job.world
        role = config.cluster.role(ofRank: world.rank)
        job.setRole(role.name)
        context = RunContext(config: config, communicator: world, fault: fault, emulate: emulate, logger: job.logger)
        // OpenBLAS threads × ranks on a node must not exceed its cores.
        BLASThreads.set(BLASThreads.recommended(ranksOnNode: config.cluster.ranksOnNode(of: world.rank),
                                                cores: ProcessInfo.processInfo.activeProcessorCount,
                                                override: config.runtime.blasThreads))
        metrics = RankMetrics(layers: config.model.layers, ranks: world.size, moeLayers: config.model.moeLayers.count,
                              experts: config.model.experts, recordSpans: recordSpans)
        metrics.computeSlowdown = computeSlowdown
        let model = config.model
        switch role {
        case .coordinator(let c):
            let ownership = WeightOwnership(coordinatorTensors: true, experts: Array(repeating: [], count: model.layers))
            let weights = try ModelWeights(model: model, source: source, ownership: ownership)
            weightBytes = weights.residentBytes
            part = .coordinator(Coordinator(context: context, index: c, weights: weights, metrics: metrics))
        case .worker(let w):
            let weights = try ModelWeights(model: model, source: source,
                                           ownership: .worker(w, placement: config.placement, model: model))
            weightBytes = weights.residentBytes
            part = .worker(Worker(context: context, index: w, weights: weights, metrics: metrics))
        }
        job.logger.debug("set up: \(weightBytes) B of weights")
    }

    /// The maximum error and magnitude of this rank's wire-format round trips: dispatch on a
    /// coordinator, combine on a worker.
    var wireError: WireErrorMeter {
        switch part {
        case .coordinator(let coordinator): coordinator.packer.dispatchError
        case .worker(let worker): worker.compute.combineError
        }
    }
}
