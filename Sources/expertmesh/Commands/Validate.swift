import ArgumentParser
import MeshCore

/// `expertmesh validate FILE`: check a config and run nothing else.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a config file: every field, every cross-field rule, the placement.")

    @Argument(help: "The config file (YAML).")
    var file: String

    func run() throws {
        let config = try ExpertMeshConfig.load(path: file)
        if let hardware = config.hardware {
            _ = try HardwareProfile.load(path: hardware)
        }
        let m = config.model, c = config.cluster
        print("\(file): valid")
        print("  model: \(m.layers) layers (\(m.denseLayers) dense), hidden \(m.hidden), heads \(m.heads)/\(m.kvHeads), "
              + "\(m.experts) experts top-\(m.topK), expert ffn \(m.expertFFN), shared \(m.sharedExperts)")
        print("  cluster: \(c.coordinators) coordinator(s) + \(c.workers) worker(s) = \(c.ranks) ranks on \(c.nodes) node(s)")
        for (w, experts) in (config.placement.experts.first ?? []).enumerated() {
            print("  worker \(w) (rank \(c.rank(ofWorker: w))): experts \(experts)"
                  + (config.placement.experts.dropFirst().allSatisfy { $0[w] == experts } ? "" : " in the first MoE layer"))
        }
    }
}
