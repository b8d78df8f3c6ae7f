/// A way to spread experts over workers without listing them.
public enum PlacementStrategy: String, Sendable, CaseIterable, Codable {
    /// Worker w holds a contiguous block of about E/W experts.
    case contiguous
    /// Expert e is held by worker e mod W.
    case roundRobin = "round_robin"
    /// The experts of a routing group (`model.router.groups`) stay on one node: groups are dealt
    /// to the workers' nodes in contiguous blocks, then each node's experts contiguously over its
    /// workers. With group-limited routing a token then crosses to at most `top_groups` nodes.
    case nodeAware = "node_aware"
}

/// Which experts each worker holds, in every MoE layer.
///
/// `experts[m][w]` lists, in ascending order, the global expert ids worker `w` holds in the
/// `m`-th MoE layer (counting MoE layers only). A worker may hold no expert of a layer; an expert
/// may be held by several workers (a redundant copy), but never twice by one.
public struct Placement: Sendable, Equatable, Codable {
    public var experts: [[[Int]]]

    public init(experts: [[[Int]]]) { self.experts = experts }

    /// The same lists in every one of `moeLayers` layers.
    public init(uniform perWorker: [[Int]], moeLayers: Int) {
        self.experts = Array(repeating: perWorker.map { $0.sorted() }, count: moeLayers)
    }

    /// A placement made by `strategy` for `experts` experts over `workers` workers.
    public init(strategy: PlacementStrategy, experts: Int, workers: Int, moeLayers: Int) {
        var lists = Array(repeating: [Int](), count: workers)
        switch strategy {
        case .contiguous:
            for w in 0..<workers {
                let begin = w * experts / workers, end = (w + 1) * experts / workers
                lists[w] = Array(begin..<end)
            }
        case .roundRobin:
            for e in 0..<experts { lists[e % workers].append(e) }
        case .nodeAware:
            // Without nodes and groups to respect, the same as contiguous.
            self.init(strategy: .contiguous, experts: experts, workers: workers, moeLayers: moeLayers)
            return
        }
        self.init(uniform: lists, moeLayers: moeLayers)
    }

    /// Node-aware placement: `groups` routing groups of consecutive experts, dealt in contiguous
    /// blocks to the nodes of the workers (`nodeOfWorker`, in order of first appearance), each
    /// node's experts then contiguously over its workers.
    ///
    /// - Precondition: `groups` divides `experts` and is a multiple of the number of nodes.
    public init(nodeAware experts: Int, groups: Int, nodeOfWorker: [Int], moeLayers: Int) {
        var nodes: [Int] = []
        for node in nodeOfWorker where !nodes.contains(node) { nodes.append(node) }
        let perGroup = experts / groups, groupsPerNode = groups / nodes.count
        var lists = Array(repeating: [Int](), count: nodeOfWorker.count)
        for (n, node) in nodes.enumerated() {
            let held = Array((n * groupsPerNode * perGroup)..<((n + 1) * groupsPerNode * perGroup))
            let here = nodeOfWorker.indices.filter { nodeOfWorker[$0] == node }
            for (i, w) in here.enumerated() {
                lists[w] = Array(held[(i * held.count / here.count)..<((i + 1) * held.count / here.count)])
            }
        }
        self.init(uniform: lists, moeLayers: moeLayers)
    }

    public var workers: Int { experts.first?.count ?? 0 }

    /// The workers holding `expert` in MoE layer `moeLayer`, ascending.
    public func holders(of expert: Int, moeLayer: Int) -> [Int] {
        experts[moeLayer].indices.filter { experts[moeLayer][$0].contains(expert) }
    }
}

/// How placement is written in the config: a strategy or explicit lists.
public enum PlacementSpec: Sendable, Equatable, Codable {
    case strategy(PlacementStrategy)
    /// Per worker: either one list for every MoE layer or one list per MoE layer.
    case explicit([WorkerPlacement])
}

/// One worker's entry in an explicit placement.
public struct WorkerPlacement: Sendable, Equatable, Codable {
    /// Experts held in every MoE layer, unless `perLayer` is given.
    public var experts: [Int]?
    /// Experts held in each MoE layer, one list per MoE layer.
    public var perLayer: [[Int]]?

    public init(experts: [Int]? = nil, perLayer: [[Int]]? = nil) {
        self.experts = experts
        self.perLayer = perLayer
    }
}

/// The ranks of a run: coordinators first, then workers, and the node each one is on.
public struct ClusterConfig: Sendable, Equatable, Codable {
    public var coordinators: Int = 1
    public var workers: Int = 3
    /// Node index of every rank (coordinators then workers); empty means all on node 0.
    public var nodeOfRank: [Int] = []
    public var placement: PlacementSpec = .strategy(.contiguous)
    /// The file an explicit `placement` was read from (`placement: {file: PATH}`), resolved against
    /// the config's folder, so that a problem with the lists names that file; nil when the config
    /// holds the placement itself.
    public var placementFile: String?
    /// Disaggregated (coordinators + workers, what `run` executes) or colocated (every worker rank
    /// also runs attention; `predict` only).
    public var layout: DeploymentLayout = .disaggregated

    public init() {}

    /// Ranks of the job: coordinators and workers, or the workers alone when colocated.
    public var ranks: Int { layout == .colocated ? workers : coordinators + workers }

    /// The world rank of worker `w`.
    public func rank(ofWorker w: Int) -> Int { coordinators + w }

    /// The node of `rank`.
    public func node(ofRank rank: Int) -> Int { nodeOfRank.isEmpty ? 0 : nodeOfRank[rank] }

    public var nodes: Int { (nodeOfRank.max() ?? 0) + 1 }

    /// Ranks on the same node as `rank`, itself included.
    public func ranksOnNode(of rank: Int) -> Int {
        (0..<ranks).filter { node(ofRank: $0) == node(ofRank: rank) }.count
    }
}

/// What a run does.
public enum RunMode: String, Sendable, CaseIterable, Codable {
    /// Whole prompts with causal attention.
    case prefill
    /// One new token per sequence per step against a KV cache.
    case decode
}

/// The work a run performs when no input file is given.
public struct WorkloadConfig: Sendable, Equatable, Codable {
    public var mode: RunMode = .prefill
    /// Concurrent sequences.
    public var sequences: Int = 2
    /// Prompt tokens per sequence (prefill), or the context already in the cache (decode).
    public var tokens: Int = 32
    /// Steps to run: prefill batches, or decode tokens per sequence.
    public var steps: Int = 1
    /// Seed of the generated input.
    public var seed: UInt64 = 0

    public init() {}
}

/// Where weights come from.
public struct WeightsConfig: Sendable, Equatable, Codable {
    /// Seed of the deterministic initialisation used when no file is given.
    public var seed: UInt64 = 0
    /// A safetensors file, a sharded index or a Hugging Face model folder.
    public var path: String?

    public init() {}
}

/// How the distributed runtime exchanges tokens and guards against hangs.
public struct RuntimeConfig: Sendable, Equatable, Codable {
    /// Encoding of dispatched rows: fp32, bf16 or fp8 (E4M3 with a per-token scale).
    public var dispatchDType: WireDType = .fp32
    /// Encoding of combined rows: fp32 or bf16.
    public var combineDType: WireDType = .fp32
    /// Seconds an exchange may take before the rank reports the peer and phase and aborts the job.
    public var stepTimeoutSeconds: Double = 60
    /// OpenBLAS threads per rank; nil chooses cores / ranks on the node (at least 1).
    public var blasThreads: Int?

    public init() {}
}

/// What a rank does in a run.
public enum RankRole: Sendable, Equatable {
    /// Norms, attention and its KV cache, router, shared experts, for its share of the sequences.
    case coordinator(Int)
    /// The routed experts its placement gives it.
    case worker(Int)
}

extension ClusterConfig {
    /// The role of world rank `rank`: coordinators first, then workers.
    public func role(ofRank rank: Int) -> RankRole {
        rank < coordinators ? .coordinator(rank) : .worker(rank - coordinators)
    }

    /// The sequences coordinator `c` runs: a contiguous block, as even as possible.
    public func sequences(ofCoordinator c: Int, total: Int) -> Range<Int> {
        (c * total / coordinators)..<((c + 1) * total / coordinators)
    }
}
