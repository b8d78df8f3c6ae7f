import Foundation
import MeshIO
import Yams

/// Turns YAML into an ``ExpertMeshConfig``, naming the field path of every problem.
struct ConfigParser {
    let baseDirectory: String

    static let rootKeys: Set = ["model", "cluster", "workload", "weights", "hardware", "runtime"]
    static let modelKeys: Set = [
        "huggingface", "family", "hidden", "layers", "heads", "kv_heads", "head_dim", "attention_bias",
        "rms_norm_eps", "rope_theta", "vocab", "tie_embeddings", "experts", "top_k", "expert_ffn",
        "shared_experts", "shared_ffn", "shared_expert_gate", "dense_layers", "dense_ffn", "router", "latent_cache_width",
    ]
    static let routerKeys: Set = ["scoring", "normalize", "scale", "bias", "groups", "top_groups", "group_score", "skew", "skew_seed", "hot_experts", "hot_factor"]
    static let clusterKeys: Set = ["coordinators", "workers", "nodes", "placement", "layout"]
    static let workerKeys: Set = ["worker", "experts", "per_layer"]
    static let workloadKeys: Set = ["mode", "sequences", "tokens", "steps", "seed"]
    static let weightsKeys: Set = ["seed", "path"]
    static let runtimeKeys: Set = ["dispatch_dtype", "combine_dtype", "step_timeout", "blas_threads"]

    static let maxDimension = 1 << 20

    mutating func parse(yaml: String, overrides: [ConfigOverride] = []) throws -> ExpertMeshConfig {
        var document = try ConfigNode.document(yaml: yaml)
        if !overrides.isEmpty { document = ConfigNode(try ConfigOverride.apply(overrides, to: document.node), path: "") }
        let top = try document.mapping(allowed: Self.rootKeys)
        var config = ExpertMeshConfig()
        let modelNode = try top.required("model")
        (config.model, config.huggingFaceFolder) = try parseModel(modelNode)
        try ConfigValidator.validate(model: config.model)
        if let node = top["cluster"] { config.cluster = try parseCluster(node, model: config.model) }
        if let node = top["workload"] { config.workload = try parseWorkload(node) }
        if let node = top["weights"] { config.weights = try parseWeights(node) }
        if let node = top["runtime"] { config.runtime = try parseRuntime(node) }
        if config.weights.path == nil, let folder = config.huggingFaceFolder { config.weights.path = folder }
        if let node = top["hardware"] {
            // Not required to exist here: derived configs are often written elsewhere; `validate`
            // and `predict` check it.
            config.hardware = ExpertMeshConfig.resolve(try node.string(), against: baseDirectory)
        }
        config.placement = try ConfigValidator.resolvePlacement(config.cluster, model: config.model)
        return config
    }

    /// The one-line text of a Yams error: position and problem, without the snippet.
    static func oneLine(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicated keys \(duplicates.sorted().joined(separator: ", "))"
        default:
            return String(describing: error).split(separator: "\n").first.map(String.init) ?? "invalid YAML"
        }
    }

    // MARK: model

    func parseModel(_ node: ConfigNode) throws -> (ModelConfig, String?) {
        let map = try node.mapping(allowed: Self.modelKeys)
        var model = ModelConfig()
        var folder: String?
        // Values a config.json gave, so that derived defaults do not override them.
        var fromFile = false
        if let hf = map["huggingface"] {
            let path = ExpertMeshConfig.resolve(try hf.string(), against: baseDirectory)
            model = try HuggingFaceConfig.load(folder: path, fieldPath: hf.path)
            folder = path
            fromFile = true
        }
        let dim = 1...Self.maxDimension
        if let v = map["family"] { model.family = try v.choice(ModelFamily.self, among: ModelFamily.allCases) }
        if let v = map["hidden"] { model.hidden = try v.int(in: dim) }
        if let v = map["layers"] { model.layers = try v.int(in: 1...10_000) }
        if let v = map["heads"] { model.heads = try v.int(in: 1...65_536) }
        if let v = map["kv_heads"] { model.kvHeads = try v.int(in: 1...65_536) }
        else if !fromFile { model.kvHeads = model.heads }
        if let v = map["head_dim"] { model.headDim = try v.int(in: 2...65_536) }
        else if !fromFile || map["hidden"] != nil || map["heads"] != nil {
            guard model.hidden % model.heads == 0 else {
                throw ConfigError(.inconsistent, path: map["heads"]?.path ?? "model.heads",
                                  expected: "a number of heads that divides hidden (\(model.hidden))",
                                  found: "\(model.heads)")
            }
            model.headDim = model.hidden / model.heads
        }
        if let v = map["attention_bias"] { model.attentionBias = try v.bool() }
        if let v = map["rms_norm_eps"] { model.rmsNormEpsilon = try v.double(in: 0...1, openLower: true) }
        if let v = map["rope_theta"] { model.ropeTheta = try v.double(in: 0...Double.greatestFiniteMagnitude, openLower: true) }
        if let v = map["vocab"] { model.vocab = try v.int(in: 0...10_000_000) }
        if let v = map["tie_embeddings"] { model.tieEmbeddings = try v.bool() }
        if let v = map["experts"] { model.experts = try v.int(in: ConfigLimits.experts) }
        if let v = map["top_k"] { model.topK = try v.int(in: 1...65_536) }
        if let v = map["expert_ffn"] { model.expertFFN = try v.int(in: dim) }
        if let v = map["shared_experts"] { model.sharedExperts = try v.int(in: 0...1024) }
        if let v = map["shared_ffn"] { model.sharedFFN = try v.int(in: dim) }
        else if !fromFile || map["shared_experts"] != nil || map["expert_ffn"] != nil {
            model.sharedFFN = model.expertFFN * model.sharedExperts
        }
        if let v = map["shared_expert_gate"] { model.sharedExpertGate = try v.bool() }
        if let v = map["dense_layers"] { model.denseLayers = try v.int(in: 0...10_000) }
        if let v = map["dense_ffn"] { model.denseFFN = try v.int(in: dim) }
        else if model.denseFFN == 0 { model.denseFFN = 4 * model.hidden }
        if let v = map["router"] { try parseRouter(v, into: &model.router) }
        if let v = map["latent_cache_width"] { model.latentCacheWidth = try v.int(in: 0...1_000_000) }
        return (model, folder)
    }

    func parseRouter(_ node: ConfigNode, into router: inout RouterConfig) throws {
        let map = try node.mapping(allowed: Self.routerKeys)
        if let v = map["scoring"] { router.scoring = try v.choice(ScoringFunction.self, among: ScoringFunction.allCases) }
        if let v = map["normalize"] { router.normalize = try v.bool() }
        if let v = map["scale"] { router.scale = try v.double(in: 0...1e6, openLower: true) }
        if let v = map["bias"] { router.bias = try v.bool() }
        if let v = map["groups"] {
            router.groups = try v.int(in: 1...65_536)
            if map["top_groups"] == nil { router.topGroups = router.groups }
        }
        if let v = map["top_groups"] { router.topGroups = try v.int(in: 1...65_536) }
        if let v = map["group_score"] { router.groupScore = try v.choice(GroupScore.self, among: GroupScore.allCases) }
        if let v = map["skew"] { router.skew = try v.double(in: 0...10) }
        if let v = map["skew_seed"] { router.skewSeed = UInt64(try v.int(in: 0...Int.max)) }
        if let v = map["hot_experts"] { router.hotExperts = try v.intList(in: 0...Int.max) }
        if let v = map["hot_factor"] { router.hotFactor = try v.double(in: 1...1e6) }
    }

    // MARK: cluster

    func parseCluster(_ node: ConfigNode, model: ModelConfig) throws -> ClusterConfig {
        let map = try node.mapping(allowed: Self.clusterKeys)
        var cluster = ClusterConfig()
        if let v = map["coordinators"] { cluster.coordinators = try v.int(in: ConfigLimits.coordinators) }
        if let v = map["workers"] { cluster.workers = try v.int(in: ConfigLimits.workers) }
        if let v = map["layout"] { cluster.layout = try v.choice(DeploymentLayout.self, among: DeploymentLayout.allCases) }
        if let v = map["nodes"] {
            cluster.nodeOfRank = try v.intList(in: 0...65_536)
            guard cluster.nodeOfRank.count == cluster.ranks else {
                throw v.error(.inconsistent,
                              expected: "one node index per rank (\(cluster.ranks): coordinators then workers)",
                              found: "\(cluster.nodeOfRank.count) entries")
            }
        }
        if let v = map["placement"] {
            switch v.node {
            case .scalar:
                cluster.placement = .strategy(try v.choice(PlacementStrategy.self, among: PlacementStrategy.allCases))
            case .mapping:
                let (path, entries) = try parsePlacementFile(v, workers: cluster.workers, model: model)
                cluster.placement = .explicit(entries)
                cluster.placementFile = path
            default:
                cluster.placement = .explicit(try parseWorkers(v, workers: cluster.workers, model: model))
            }
        }
        return cluster
    }

    /// `placement: {file: PATH}`: the explicit list of a placement file (what `expertmesh plan`
    /// writes: a mapping whose `placement` key holds the list), resolved against the config's folder.
    ///
    /// - Returns: The resolved path of the file and its entries.
    func parsePlacementFile(_ node: ConfigNode, workers: Int, model: ModelConfig) throws -> (path: String, entries: [WorkerPlacement]) {
        let map = try node.mapping(allowed: ["file"])
        let fileNode = try map.required("file")
        let path = ExpertMeshConfig.resolve(try fileNode.string(), against: baseDirectory)
        let text = try TextFile.read(path, what: "a placement file (\(fileNode.path))")
        do {
            let top = try ConfigNode.document(yaml: text).mapping(allowed: ["placement"])
            return (path, try parseWorkers(try top.required("placement"), workers: workers, model: model))
        } catch let error as ConfigError {
            throw error.inFile(path)
        }
    }

    /// Explicit placement entries, reordered by their `worker` field when it is given.
    func parseWorkers(_ node: ConfigNode, workers: Int, model: ModelConfig) throws -> [WorkerPlacement] {
        let items = try node.list()
        guard items.count == workers else {
            throw node.error(.inconsistent, expected: "one entry per worker (\(workers))",
                             found: "\(items.count) entries")
        }
        var slots = [WorkerPlacement?](repeating: nil, count: workers)
        for (index, item) in items.enumerated() {
            let map = try item.mapping(allowed: Self.workerKeys)
            var worker = index
            if let v = map["worker"] {
                worker = try v.int()
                guard (0..<workers).contains(worker) else {
                    throw v.error(.outOfRange, expected: "a worker index in 0...\(workers - 1)", found: "\(worker)")
                }
                guard slots[worker] == nil else {
                    throw v.error(.inconsistent, expected: "each worker listed once", found: "worker \(worker) again")
                }
            } else if slots[index] != nil {
                throw item.error(.inconsistent, expected: "each worker listed once",
                                 found: "worker \(index) already given by an explicit 'worker' field")
            }
            var entry = WorkerPlacement()
            if let v = map["experts"] { entry.experts = try expertList(v, model: model) }
            if let v = map["per_layer"] {
                let lists = try v.list()
                guard lists.count == model.moeLayers.count else {
                    throw v.error(.inconsistent, expected: "one list per MoE layer (\(model.moeLayers.count))",
                                  found: "\(lists.count) lists")
                }
                entry.perLayer = try lists.map { try expertList($0, model: model) }
            }
            if entry.experts != nil, entry.perLayer != nil {
                throw item.error(.inconsistent, expected: "either 'experts' or 'per_layer'", found: "both")
            }
            if entry.experts == nil, entry.perLayer == nil {
                throw item.error(.missingKey, expected: "'experts' or 'per_layer'", found: "neither")
            }
            slots[worker] = entry
        }
        return slots.map { $0! }
    }

    /// A list of expert ids: each must exist and appear once.
    func expertList(_ node: ConfigNode, model: ModelConfig) throws -> [Int] {
        var seen = Set<Int>()
        return try node.list().map { item in
            let expert = try item.int()
            guard (0..<model.experts).contains(expert) else {
                throw item.error(.outOfRange, expected: "an expert id in 0...\(model.experts - 1)", found: "\(expert)")
            }
            guard seen.insert(expert).inserted else {
                throw item.error(.inconsistent, expected: "each expert listed once per worker",
                                 found: "expert \(expert) again")
            }
            return expert
        }
    }

    // MARK: workload, weights

    func parseWorkload(_ node: ConfigNode) throws -> WorkloadConfig {
        let map = try node.mapping(allowed: Self.workloadKeys)
        var workload = WorkloadConfig()
        if let v = map["mode"] { workload.mode = try v.choice(RunMode.self, among: RunMode.allCases) }
        if let v = map["sequences"] { workload.sequences = try v.int(in: ConfigLimits.sequences) }
        if let v = map["tokens"] { workload.tokens = try v.int(in: ConfigLimits.tokens) }
        if let v = map["steps"] { workload.steps = try v.int(in: ConfigLimits.steps) }
        if let v = map["seed"] { workload.seed = UInt64(try v.int(in: 0...Int.max)) }
        return workload
    }

    func parseRuntime(_ node: ConfigNode) throws -> RuntimeConfig {
        let map = try node.mapping(allowed: Self.runtimeKeys)
        var runtime = RuntimeConfig()
        if let v = map["dispatch_dtype"] { runtime.dispatchDType = try v.choice(WireDType.self, among: WireDType.allCases) }
        if let v = map["combine_dtype"] {
            runtime.combineDType = try v.choice(WireDType.self, among: [.fp32, .bf16])
            if runtime.combineDType == .fp8 {
                throw v.error(.outOfRange, expected: "one of fp32, bf16", found: "'fp8'")
            }
        }
        if let v = map["step_timeout"] { runtime.stepTimeoutSeconds = try v.double(in: ConfigLimits.stepTimeoutSeconds, openLower: true) }
        if let v = map["blas_threads"] { runtime.blasThreads = try v.int(in: ConfigLimits.blasThreads) }
        return runtime
    }

    func parseWeights(_ node: ConfigNode) throws -> WeightsConfig {
        let map = try node.mapping(allowed: Self.weightsKeys)
        var weights = WeightsConfig()
        if let v = map["seed"] { weights.seed = UInt64(try v.int(in: 0...Int.max)) }
        if let v = map["path"] { weights.path = ExpertMeshConfig.resolve(try v.string(), against: baseDirectory) }
        return weights
    }
}
