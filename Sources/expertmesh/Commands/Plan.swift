import ArgumentParser
import Foundation
import MeshCore
import MeshIO
import MeshPlanning

/// `expertmesh plan`: which experts each worker should hold, from the loads a run measured.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan expert placement from measured loads (EPLB's hierarchical and global policies) and write it as a placement file.",
        discussion: """
            Reads the loads `expertmesh run --load-stats FILE.csv` wrote, adds replicas to the hottest experts and \
            spreads the copies over the workers, then writes a placement file for `cluster.placement: {file: PATH}`. \
            With --eplb-in, checks an EPLB plan (phy2log, log2phy, logcnt) instead and writes it as a placement file.
            """)

    @Option(help: "The config file (YAML): the model, and the workers, nodes and placement to compare with.")
    var config: String

    @Option(help: "The load statistics CSV written by `expertmesh run --load-stats` (optional with --eplb-in).")
    var load: String?

    @Option(help: "The load column.")
    var column: LoadColumn = .tokens

    @Option(help: "Workers (default: the config's).")
    var workers: Int?

    @Option(help: "Nodes the workers split over, evenly and in order (default: the nodes of the config's workers, else 1).")
    var nodes: Int?

    @Option(help: "Redundant copies per worker: workers × this many replicas in each layer.")
    var redundant: Int = 0

    @Option(help: "Most experts a worker holds in one layer (default: ceil(experts / workers) + redundant).")
    var capacity: Int?

    @Option(help: "auto: hierarchical when the routing groups split over the nodes.")
    var policy: PlacementPolicy = .auto

    @Option(help: "Write the placement file (YAML) here.")
    var out: String

    @Option(help: "Also write the plan as EPLB arrays (JSON: phy2log, log2phy, logcnt, physical_per_worker; a note says when workers hold different numbers of experts, which EPLB itself does not expect).")
    var eplbOut: String?

    @Option(help: "Read an EPLB plan (JSON) instead of planning: check it and write it as the placement file.")
    var eplbIn: String?

    func validate() throws {
        if let workers { try Limits.check(count: workers, flag: "--workers", in: ConfigLimits.workers) }
        if let nodes { try Limits.check(count: nodes, flag: "--nodes", in: ConfigLimits.workers) }
        try Limits.check(count: redundant, flag: "--redundant", in: 0...ConfigLimits.experts.upperBound)
        if let capacity { try Limits.check(count: capacity, flag: "--capacity", in: ConfigLimits.experts) }
        if eplbIn == nil, load == nil { throw ValidationError("--load: required unless --eplb-in is given") }
    }

    func run() throws {
        let loaded = try ExpertMeshConfig.load(path: config)
        let model = loaded.model
        let workerCount = workers ?? loaded.cluster.workers
        let nodeCount = try nodes ?? Self.nodes(of: loaded.cluster, workers: workerCount, config: config)
        // The config's placement is the one to beat, when it is for these workers.
        let baseline: Placement?
        let baselineName: String
        if workerCount == loaded.cluster.workers {
            baseline = loaded.placement
            baselineName = "the placement of \(config)"
        } else {
            baseline = nil
            baselineName = "contiguous (\(config) has \(loaded.cluster.workers) workers)"
        }
        let expertLoad = try load.map { try ExpertLoad.read(path: $0, model: model, column: column.rawValue) }
        let planner = PlacementPlanner(workers: workerCount, nodes: nodeCount, redundantPerWorker: redundant,
                                       groups: model.router.groups, capacity: capacity,
                                       policy: policy)
        let unit = column.unit

        let placement: Placement
        var comments: [String]
        if let eplbIn {
            placement = try EPLBPlan.read(path: eplbIn, model: model, workers: workerCount).placement
            comments = ["placement read from the EPLB plan \(eplbIn) by `expertmesh plan` for \(config): "
                        + "\(workerCount) workers, one list per MoE layer"]
            if let expertLoad {
                let evaluated = try planner.evaluate(placement, load: expertLoad, baseline: baseline)
                print(evaluated.text(title: "plan: \(eplbIn) against \(load!) (\(column.rawValue)); before = \(baselineName)", unit: unit),
                      terminator: "")
                comments += Self.imbalanceComments(evaluated)
            } else {
                print("plan: \(eplbIn): a valid EPLB plan for \(workerCount) workers")
                for (m, lists) in placement.experts.enumerated() {
                    print("layer \(model.moeLayers[m]): " + lists.enumerated().map { "worker \($0.offset) \($0.element)" }
                        .joined(separator: ", "))
                }
            }
        } else {
            let plan = try planner.plan(expertLoad!, baseline: baseline)
            placement = plan.placement
            print(plan.text(title: "plan: \(load!) (\(column.rawValue)) for \(config); before = \(baselineName)", unit: unit),
                  terminator: "")
            comments = ["placement planned by `expertmesh plan` from \(load!) (column \(column.rawValue)) for \(config):",
                        "\(plan.policy.rawValue) policy, \(workerCount) workers on \(nodeCount) node(s), "
                            + "\(redundant) redundant per worker, at most \(plan.capacity) experts per worker"]
            comments += Self.imbalanceComments(plan)
        }
        comments.append("use it with `cluster: {workers: \(workerCount), placement: {file: \(out)}}`")

        try AtomicFile.write(Data(placement.yaml(layers: model.moeLayers, comments: comments).utf8), to: out)
        print("wrote \(out)")
        if let eplbOut {
            let eplb = EPLBPlan(placement: placement, experts: model.experts)
            try AtomicFile.write(Data(eplb.json().utf8), to: eplbOut)
            print("wrote \(eplbOut)")
            // Kept in the file (--eplb-in reads it back), but a plain EPLB consumer cannot read it.
            if let note = eplb.compatibilityNote(file: eplbOut) { print("note: " + note) }
        }
    }

    /// One comment line per layer: the imbalance before and after.
    static func imbalanceComments(_ plan: PlacementPlan) -> [String] {
        ["expected imbalance (busiest worker over the mean), before → after:"]
            + plan.layers.map { layer in
                "  layer \(layer.layer): " + String(format: "%.2f → %.2f", layer.baselineImbalance, layer.imbalance)
            }
    }

    /// The nodes the config puts its workers on, when they split evenly and in order; 1 when the
    /// config names no nodes or has another number of workers.
    static func nodes(of cluster: ClusterConfig, workers: Int, config: String) throws -> Int {
        guard !cluster.nodeOfRank.isEmpty, workers == cluster.workers else { return 1 }
        let nodeOfWorker = (0..<workers).map { cluster.node(ofRank: cluster.rank(ofWorker: $0)) }
        var order: [Int] = []
        for node in nodeOfWorker where !order.contains(node) { order.append(node) }
        let perNode = workers / order.count
        guard workers % order.count == 0, nodeOfWorker.indices.allSatisfy({ nodeOfWorker[$0] == order[$0 / perNode] }) else {
            throw CommandError(message: "--nodes: \(config) puts its workers on nodes \(nodeOfWorker), not split evenly "
                               + "and in order; give --nodes")
        }
        return order.count
    }
}
