import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// Synthetic routing shared by every rank: the same seed gives every rank the same plans.
struct SyntheticRouting {
    /// `plans[c][m]`: coordinator c's plan for MoE layer m.
    let plans: [[DispatchPlan]]
    let tokens: Int

    init(config: ExpertMeshConfig) {
        let model = config.model, cluster = config.cluster
        tokens = config.workload.sequences * config.workload.tokens
        plans = (0..<cluster.coordinators).map { c in
            model.moeLayers.indices.map { m in
                var rng = SplitMix64(seed: config.workload.seed, name: "bench.routing.\(c).\(m)")
                let t = cluster.sequences(ofCoordinator: c, total: config.workload.sequences).count * config.workload.tokens
                var experts: [Int32] = [], weights: [Float] = []
                for _ in 0..<t {
                    var chosen: [Int32] = []
                    while chosen.count < model.topK {
                        let e = Int32(rng.next() % UInt64(model.experts))
                        if !chosen.contains(e) { chosen.append(e) }
                    }
                    experts += chosen
                    weights += (0..<model.topK).map { _ in abs(rng.nextFloat(bound: 1)) }
                }
                return DispatchPlan(routing: Routing(tokens: t, k: model.topK, experts: experts, weights: weights),
                                    experts: config.placement.experts[m])
            }
        }
    }
}
