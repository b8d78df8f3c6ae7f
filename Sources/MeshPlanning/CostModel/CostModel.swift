import Foundation
import MeshCore

/// The predicted cost of one decoder layer on the busiest rank of each kind.
public struct LayerPrediction: Sendable {
    public var layer: Int
    public var moe: Bool
    /// Norms, q/k/v/o projections, attention over the KV cache (per attention rank).
    public var attention: Roofline
    /// Gate GEMM and top-k (per attention rank).
    public var router: Roofline
    /// Shared experts (MoE layer) or the dense MLP (dense layer), on the attention rank.
    public var mlp: Roofline
    /// Routed experts on the busiest worker.
    public var experts: Roofline
    /// Tokens per routed expert (mean, before imbalance).
    public var tokensPerExpert: Double
    public var dispatch: LinkTime
    public var combine: LinkTime
}

/// One exchange's time on its busiest rank, and which link set it.
public struct LinkTime: Sendable {
    public var seconds: Double
    /// Bytes in or out (the larger) of the busiest rank.
    public var bytes: Double
    /// Bytes the busiest rank moves over the inter-node link (NIC).
    public var interNodeBytes: Double
    /// Bytes over the intra-node link.
    public var intraNodeBytes: Double
    /// The link that took longest on the busiest rank.
    public var interNodeBound: Bool

    public static let zero = LinkTime(seconds: 0, bytes: 0, interNodeBytes: 0, intraNodeBytes: 0, interNodeBound: false)
}

/// The prediction for one step.
public struct StepPrediction: Sendable {
    public var layers: [LayerPrediction]
    /// Tokens in the step, over all attention ranks.
    public var tokens: Int
    public var stepSeconds: Double
    public var tokensPerSecond: Double { Double(tokens) / stepSeconds }
    /// Seconds per component, summed over layers (before overlap).
    public var components: [(name: String, seconds: Double)]
    /// The component that sets the step time, in words.
    public var bottleneck: String
    /// Throughput with twice the link bandwidth (intra and inter node), over today's.
    public var gainFromDoubleBandwidth: Double
    /// Throughput with twice the device FLOP/s, over today's.
    public var gainFromDoubleFlops: Double
    public var overlap: OverlapMode
    public var nodes: Int
    public var expertsPerWorker: Double
    /// The busiest worker's tokens over the mean that the prediction assumed (first MoE layer).
    public var imbalance: Double = 1
}

/// The analytic model of a MoE deployment's step time (every equation is in Docs/CostModel.md).
///
/// Pure and allocation-light: it needs no weight, so it answers at DeepSeek-V3 scale (61 layers,
/// 256 experts, hundreds of ranks) in milliseconds.
public struct CostModel: Sendable {
    public let request: PredictionRequest

    public init(_ request: PredictionRequest) { self.request = request }

    var config: ExpertMeshConfig { request.config }
    var model: ModelConfig { config.model }
    var hardware: HardwareProfile { request.hardware }

    /// Bytes per weight element: the compute dtype's.
    var weightBytes: Double {
        switch hardware.computeDType {
        case "fp8", "int8": 1
        case "bf16", "fp16": 2
        default: 4
        }
    }

    /// Ranks that run attention, and ranks that hold experts.
    var attentionRanks: Int { request.layout == .colocated ? config.cluster.workers : config.cluster.coordinators }
    var workers: Int { config.cluster.workers }
    var totalRanks: Int { request.layout == .colocated ? workers : config.cluster.coordinators + workers }

    /// Tokens in one step over all attention ranks, and the KV length attention reads.
    var stepTokens: Int {
        config.workload.mode == .prefill ? config.workload.sequences * config.workload.tokens : config.workload.sequences
    }

    /// Node of each rank: ranks fill nodes of `devicesPerNode` in rank order (the config's
    /// `cluster.nodes` when given).
    var nodeOfRank: [Int] {
        if !config.cluster.nodeOfRank.isEmpty, config.cluster.nodeOfRank.count == totalRanks { return config.cluster.nodeOfRank }
        return (0..<totalRanks).map { $0 / hardware.devicesPerNode }
    }

    /// World rank of worker `w`.
    func rank(ofWorker w: Int) -> Int { request.layout == .colocated ? w : config.cluster.coordinators + w }

    /// Probability that a token's top-k (uniform over `experts`) includes one of `held` experts:
    /// `1 − C(E − g, k) / C(E, k)`, computed as a product to stay finite at any scale.
    static func hitProbability(held: Int, experts: Int, k: Int) -> Double {
        guard held > 0 else { return 0 }
        if held >= experts { return 1 }
        var miss = 1.0
        for i in 0..<k {
            let numerator = Double(experts - held - i), denominator = Double(experts - i)
            if numerator <= 0 { return 1 }
            miss *= numerator / denominator
        }
        return 1 - miss
    }

    /// Predicts one step.
    public func predict() throws -> StepPrediction {
        if let devices = hardware.devices, totalRanks > devices {
            throw ConfigError(.outOfRange, path: "cluster.workers",
                              expected: "at most \(devices) ranks (the profile's devices)", found: "\(totalRanks) ranks")
        }
        let base = predictOnce(hardware)
        var doubleLinks = hardware
        doubleLinks.intraNode.bytesPerSecond *= 2
        doubleLinks.interNode.bytesPerSecond *= 2
        var doubleFlops = hardware
        for key in doubleFlops.device.flopsPerSecond.keys { doubleFlops.device.flopsPerSecond[key]! *= 2 }
        var prediction = base
        prediction.gainFromDoubleBandwidth = base.stepSeconds / predictOnce(doubleLinks).stepSeconds
        prediction.gainFromDoubleFlops = base.stepSeconds / predictOnce(doubleFlops).stepSeconds
        return prediction
    }

    public func predictOnce(_ hw: HardwareProfile) -> StepPrediction {
        var prediction = predictSteps(hw)
        prediction.imbalance = request.effectiveImbalance
        return prediction
    }

    func predictSteps(_ hw: HardwareProfile) -> StepPrediction {
        let micro: Int
        if case .pingPong(let m) = request.overlap { micro = max(m, 1) } else { micro = 1 }
        // Per micro-batch costs: each micro-batch carries 1/m of the tokens.
        let layers = (0..<model.layers).map { layerCost($0, hw: hw, microBatches: micro) }
        let tokens = stepTokens
        var components: [(String, Double)] = [
            ("attention", layers.reduce(0) { $0 + $1.attention.seconds }),
            ("router", layers.reduce(0) { $0 + $1.router.seconds }),
            ("shared experts / dense MLP", layers.reduce(0) { $0 + $1.mlp.seconds }),
            ("routed experts (busiest worker)", layers.reduce(0) { $0 + $1.experts.seconds }),
            ("dispatch", layers.reduce(0) { $0 + $1.dispatch.seconds }),
            ("combine", layers.reduce(0) { $0 + $1.combine.seconds }),
        ]
        let head = headCost(hw, microBatches: micro)
        components.append(("LM head", head))
        let step: Double
        switch (request.layout, request.overlap) {
        case (_, .none):
            step = layers.reduce(0) { $0 + sequential($1) } + head
        case (.disaggregated, .pingPong(let m)):
            // MegaScale-Infer's ping-pong pipeline (arXiv 2504.02263, §4), per micro-batch and layer:
            // T_total = (T_a + T_e + 2·T_c) + T_f·(m·L − 1), T_f = max(T_a, T_e), where 2·T_c is one
            // dispatch and one combine. The formula assumes communication hides behind compute
            // (T_c ≤ T_f); when it does not, the link sets the pace, so T_f also takes T_c.
            let l = Double(layers.count)
            let ta = layers.reduce(0) { $0 + $1.attention.seconds + $1.router.seconds + $1.mlp.seconds } / l
            let te = layers.reduce(0) { $0 + $1.experts.seconds } / l
            let tc = layers.reduce(0) { $0 + ($1.dispatch.seconds + $1.combine.seconds) / 2 } / l
            let tf = max(ta, te, tc)
            step = (ta + te + 2 * tc) + tf * (Double(m) * l - 1) + head * Double(m)
        case (.colocated, .pingPong(let m)):
            // Each rank computes one micro-batch while another's tokens are on the wire, layer by layer.
            step = layers.reduce(0) { total, l in
                let compute = l.attention.seconds + l.router.seconds + l.mlp.seconds + l.experts.seconds
                let comm = l.dispatch.seconds + l.combine.seconds
                return total + max(compute, comm) * Double(m) + min(compute, comm)
            } + head * Double(m)
        }
        let nodes = (nodeOfRank.max() ?? 0) + 1
        let perWorker = Double(config.placement.experts.first?.map(\.count).reduce(0, +) ?? model.experts) / Double(max(workers, 1))
        return StepPrediction(layers: layers, tokens: tokens, stepSeconds: step,
                              components: components.map { (name: $0.0, seconds: $0.1 * Double(micro)) },
                              bottleneck: bottleneck(layers, head: head),
                              gainFromDoubleBandwidth: 1, gainFromDoubleFlops: 1, overlap: request.overlap,
                              nodes: nodes, expertsPerWorker: perWorker)
    }

    /// A layer with no overlap but the runtime's own: the shared experts run on the coordinator
    /// while the workers compute (disaggregated); in colocated ranks everything is in sequence.
    func sequential(_ l: LayerPrediction) -> Double {
        let front = l.attention.seconds + l.router.seconds
        guard l.moe else { return front + l.mlp.seconds }
        if request.layout == .colocated {
            return front + l.mlp.seconds + l.dispatch.seconds + l.experts.seconds + l.combine.seconds
        }
        return front + l.dispatch.seconds + max(l.experts.seconds + l.combine.seconds, l.mlp.seconds)
    }

    /// Final norm and LM head on each attention rank, when the model has a vocabulary.
    func headCost(_ hw: HardwareProfile, microBatches m: Int) -> Double {
        guard model.vocab > 0 else { return 0 }
        let t = Double(stepTokens) / Double(attentionRanks * m)
        let h = Double(model.hidden), v = Double(model.vocab)
        return Roofline(flops: 2 * t * h * v, bytes: h * v * weightBytes + t * v * 4,
                        peakFlopsPerSecond: hw.peakFlopsPerSecond, memoryBytesPerSecond: hw.device.memoryBytesPerSecond).seconds
    }

    /// The share of a device one rank gets while the ranks in `active` compute: `cores / (active
    /// ranks on the busiest node)` when a CPU profile says a node has fewer cores than that, else 1.
    /// Disaggregated coordinators compute attention alone (the workers wait), and the shared experts
    /// while the workers run theirs; colocated ranks all compute at once.
    func deviceShare(active: (Int) -> Bool) -> Double {
        if let cores = request.machineCores {
            // Every rank on one machine, whatever nodes the links pretend (an emulated run).
            let busy = (0..<totalRanks).filter(active).count
            return min(1, Double(cores) / Double(max(busy, 1)))
        }
        guard let cores = hardware.coresPerNode else { return 1 }
        var perNode: [Int: Int] = [:]
        for (rank, node) in nodeOfRank.enumerated() where active(rank) { perNode[node, default: 0] += 1 }
        return min(1, Double(cores) / Double(perNode.values.max() ?? 1))
    }

    func layerCost(_ layer: Int, hw: HardwareProfile, microBatches m: Int) -> LayerPrediction {
        let attentionShare = deviceShare { $0 < attentionRanks }
        let expertShare = deviceShare { _ in true }
        var share = attentionShare
        let peak = hw.peakFlopsPerSecond * (hw.kernelEfficiency ?? 1), memory = hw.device.memoryBytesPerSecond
        /// A roofline whose GEMMs have `rows` rows (their efficiency below peak, from the profile),
        /// on the current share of the device.
        func roof(_ flops: Double, _ bytes: Double, rows: Double = .infinity) -> Roofline {
            let efficiency = rows.isFinite ? (hw.gemmEfficiency?.at(max(rows, 1)) ?? 1) : 1
            return Roofline(flops: flops, bytes: bytes, peakFlopsPerSecond: peak * efficiency * share,
                            memoryBytesPerSecond: memory * share)
        }
        let h = Double(model.hidden), b = weightBytes
        let q = Double(model.qWidth), kv = Double(model.kvWidth)
        let t = Double(stepTokens) / Double(attentionRanks * m)      // tokens per attention rank
        let sequences = Double(config.workload.sequences) / Double(attentionRanks * m)
        // Attention: projections, then scores and the weighted sum over the keys each query sees.
        let projections = 2 * t * h * (2 * q + 2 * kv)
        let weights = h * (2 * q + 2 * kv) * b
        let keysPerQuery: Double
        let cacheBytes: Double
        switch config.workload.mode {
        case .prefill:
            let length = Double(config.workload.tokens)
            keysPerQuery = (length + 1) / 2                          // causal: on average half the prompt
            cacheBytes = 0
        case .decode:
            keysPerQuery = Double(config.workload.tokens) + 1
            // The KV cache is read once per step: K and V per head, or one latent per token.
            let width = model.latentCacheWidth > 0 ? Double(model.latentCacheWidth) : 2 * kv
            cacheBytes = sequences * keysPerQuery * width * b
        }
        let scores = 2 * 2 * t * keysPerQuery * q                    // QKᵀ and PV
        let activations = 6 * t * h * b
        var attention = roof(projections + scores, weights + cacheBytes + activations, rows: t)
        // The layer's fixed cost on a CPU rank (calibrated), counted with its attention.
        attention.seconds += hw.layerOverheadSeconds ?? 0
        guard model.isMoE(layer) else {
            let ffn = Double(model.denseFFN)
            return LayerPrediction(layer: layer, moe: false, attention: attention, router: .zero,
                                   mlp: roof(6 * t * h * ffn, 3 * h * ffn * b + 2 * t * h * b, rows: t), experts: .zero,
                                   tokensPerExpert: 0, dispatch: .zero, combine: .zero)
        }
        let e = Double(model.experts), k = Double(model.topK), f = Double(model.expertFFN)
        let router = roof(2 * t * h * e, e * h * b + t * e * b, rows: t)
        share = expertShare   // the shared experts and the routed experts run while every rank works
        let shared = model.sharedExperts > 0
            ? roof(6 * t * h * Double(model.sharedFFN), 3 * h * Double(model.sharedFFN) * b + 2 * t * h * b, rows: t) : .zero
        // Routed experts: uniform routing gives T·k/E tokens per expert; the busiest worker has
        // `imbalance` times its share. An expert reads its weights only if it got a token.
        let allTokens = Double(stepTokens) / Double(m)
        let perExpert = allTokens * k / e
        let moeIndex = model.moeLayers.firstIndex(of: layer) ?? 0
        let held = config.placement.experts.isEmpty ? Array(repeating: Int(e) / workers, count: workers)
            : config.placement.experts[moeIndex].map(\.count)
        let busiest = Double(held.max() ?? 0)
        var experts: Roofline
        if let load = expertLoad(moeIndex), !config.placement.experts.isEmpty {
            // Known shares of the tokens per expert: each copy of an expert gets its share over
            // its copies; the slowest worker (its GEMMs one after another) sets the time.
            let lists = config.placement.experts[moeIndex]
            var copies = Array(repeating: 0, count: model.experts)
            for list in lists { for x in list { copies[x] += 1 } }
            experts = .zero
            for list in lists {
                var worker = Roofline.zero
                for x in list where load[x] > 0 {
                    // A copy gets a token with probability p / copies; it reads its weights only
                    // if it got at least one (decode batches leave many experts idle).
                    let p = min(load[x] / Double(copies[x]), 1)
                    let rows = allTokens * p
                    let used = 1 - pow(1 - p, allTokens)
                    worker = worker + roof(6 * rows * h * f, 3 * h * f * b * used + 2 * rows * (h + f) * b,
                                           rows: rows / max(used, 1e-12))
                }
                if worker.seconds > experts.seconds { experts = worker }
            }
        } else {
            let active = 1 - pow(1 - k / e, allTokens)                   // P(expert receives ≥ 1 token)
            let n = perExpert * request.imbalance / max(active, 1e-12)   // tokens per active expert
            let one = roof(6 * n * h * f, 3 * h * f * b + 2 * n * (h + f) * b, rows: n)
            experts = one.scaled(by: busiest * active)
        }
        let dispatch = exchange(hw: hw, dispatch: true, tokensPerSource: t, moeIndex: moeIndex)
        let combine = exchange(hw: hw, dispatch: false, tokensPerSource: t, moeIndex: moeIndex)
        return LayerPrediction(layer: layer, moe: true, attention: attention, router: router, mlp: shared,
                               experts: experts, tokensPerExpert: perExpert, dispatch: dispatch, combine: combine)
    }

    /// The probability that one token chooses each expert of MoE layer `moeIndex` (they sum to
    /// k): from the request's per-expert load, else the config's skew; nil for uniform routing.
    func expertLoad(_ moeIndex: Int) -> [Double]? {
        guard let raw = request.expertLoad.map({ $0[min(moeIndex, $0.count - 1)] }) ?? PredictionRequest.expectedLoad(config)?[moeIndex],
              raw.count == model.experts else { return nil }
        let total = raw.reduce(0, +)
        guard total > 0 else { return nil }
        return raw.map { min(1, $0 / total * Double(model.topK)) }
    }

    /// Bytes of one record on the wire.
    func recordBytes(dispatch: Bool) -> Double {
        let dtype = dispatch ? config.runtime.dispatchDType : config.runtime.combineDType
        let row = Double(model.hidden * dtype.bytesPerElement)
        guard request.recordHeaders else { return row }
        if dispatch {
            return Double(DispatchRecordLayout(hidden: model.hidden, k: model.topK, dtype: dtype).recordBytes)
        }
        return Double(CombineRecordLayout(hidden: model.hidden, dtype: dtype).recordBytes)
    }

    /// The time of one exchange on its busiest rank.
    ///
    /// Every attention rank sends each worker the tokens that hit one of its experts (once per
    /// worker). A token bound for another node crosses the NIC once per node and is forwarded over
    /// the intra-node link to the other workers there that need it (DeepEP's internode dispatch);
    /// with node-limited routing a token reaches at most M nodes. Each rank's NIC and intra-node
    /// link run concurrently, each direction independently: the rank's time is the slower link's
    /// bytes over its bandwidth × all-to-all efficiency, plus latency. Combine is the reverse.
    func exchange(hw: HardwareProfile, dispatch: Bool, tokensPerSource t: Double, moeIndex: Int) -> LinkTime {
        let ranks = totalRanks, nodes = nodeOfRank, k = model.topK, experts = model.experts
        let record = recordBytes(dispatch: dispatch)
        let held = config.placement.experts.isEmpty ? Array(repeating: experts / workers, count: workers)
            : config.placement.experts[moeIndex].map(\.count)
        var hit = held.map { Self.hitProbability(held: $0, experts: experts, k: k) }
        if let load = expertLoad(moeIndex), !config.placement.experts.isEmpty {
            // A token reaches a worker unless it misses every copy there: its chance to choose
            // each expert, over that expert's copies (the runtime deals tokens among copies).
            let lists = config.placement.experts[moeIndex]
            var copies = Array(repeating: 0, count: experts)
            for list in lists { for x in list { copies[x] += 1 } }
            hit = lists.map { list in 1 - list.reduce(1.0) { $0 * (1 - load[$1] / Double(copies[$1])) } }
        }
        let nodeCount = (nodes.max() ?? 0) + 1
        var nodeExperts = Array(repeating: 0, count: nodeCount)
        for w in 0..<workers { nodeExperts[nodes[rank(ofWorker: w)]] += held[w] }
        var nodeHit = nodeExperts.map { Self.hitProbability(held: min($0, experts), experts: experts, k: k) }
        if let limit = request.nodeLimit {
            let expected = nodeHit.reduce(0, +)
            if expected > Double(limit) { nodeHit = nodeHit.map { $0 * Double(limit) / expected } }
        }
        // Per rank: bytes out and in over each link, one direction each (dispatch sense).
        var interOut = Array(repeating: 0.0, count: ranks), interIn = interOut
        var intraOut = interOut, intraIn = interOut
        var workersOfNode = Array(repeating: [Int](), count: nodeCount)
        for w in 0..<workers { workersOfNode[nodes[rank(ofWorker: w)]].append(w) }
        let nodeHits = workersOfNode.map { $0.reduce(0.0) { $0 + hit[$1] } }
        // What one source token sends into each remote node: the crossing, and the forwarding
        // inside that node (spread over its workers). The same for every source, so computed once.
        for n in 0..<nodeCount where !workersOfNode[n].isEmpty {
            let there = workersOfNode[n]
            let share = 1 / Double(there.count)
            let remoteSources = (0..<attentionRanks).filter { nodes[$0] != n }.count
            guard remoteSources > 0 else { continue }
            let crossing = t * nodeHit[n] * record
            let forwarded = max(nodeHits[n] * t * record - crossing, 0)
            for w in there {
                let r = rank(ofWorker: w)
                interIn[r] += Double(remoteSources) * crossing * share
                intraOut[r] += Double(remoteSources) * forwarded * share
                intraIn[r] += nodeHits[n] > 0 ? Double(remoteSources) * forwarded * hit[w] / nodeHits[n] : 0
            }
        }
        // Attention ranks are ranks 0 ..< attentionRanks in both layouts.
        for s in 0..<attentionRanks {
            let sNode = nodes[s]
            for n in 0..<nodeCount where !workersOfNode[n].isEmpty {
                if n == sNode {
                    // Same node: straight over the intra-node link (none to itself when colocated).
                    for w in workersOfNode[n] where rank(ofWorker: w) != s {
                        intraOut[s] += t * hit[w] * record
                        intraIn[rank(ofWorker: w)] += t * hit[w] * record
                    }
                } else {
                    interOut[s] += t * nodeHit[n] * record
                }
            }
        }
        var worst = LinkTime.zero
        for r in 0..<ranks {
            let inter = max(interOut[r], interIn[r]), intra = max(intraOut[r], intraIn[r])
            let peers = Double(max(ranks - 1, 1))
            let interSeconds = hw.interNode.seconds(inter, efficiency: hw.allToAllEfficiency.at(bytesPerPeer: inter / peers))
            let intraSeconds = hw.intraNode.seconds(intra, efficiency: hw.allToAllEfficiency.at(bytesPerPeer: intra / peers))
            let seconds = max(interSeconds, intraSeconds)
            if seconds > worst.seconds {
                worst = LinkTime(seconds: seconds, bytes: inter + intra, interNodeBytes: inter, intraNodeBytes: intra,
                                 interNodeBound: interSeconds >= intraSeconds)
            }
        }
        return worst
    }

    /// The largest component, in words.
    func bottleneck(_ layers: [LayerPrediction], head: Double) -> String {
        let moe = layers.filter(\.moe)
        let attention = layers.reduce(0) { $0 + $1.attention.seconds + $1.router.seconds }
        let mlp = layers.reduce(0) { $0 + $1.mlp.seconds }
        let experts = moe.reduce(0) { $0 + $1.experts.seconds }
        let dispatch = moe.reduce(0) { $0 + $1.dispatch.seconds }
        let combine = moe.reduce(0) { $0 + $1.combine.seconds }
        let interBound = moe.filter { $0.dispatch.interNodeBound || $0.combine.interNodeBound }.count * 2 > moe.count
        let link = interBound ? "inter-node links" : "intra-node links"
        let expertsBound = moe.filter { !$0.experts.computeBound }.count * 2 > moe.count ? "bound by reading expert weights" : "compute-bound"
        let attentionBound = layers.filter { !$0.attention.computeBound }.count * 2 > layers.count ? "memory-bound" : "compute-bound"
        let candidates: [(String, Double)] = [
            ("attention on the \(request.layout == .colocated ? "ranks" : "coordinators") (\(attentionBound))", attention),
            ("shared experts / dense MLP", mlp),
            ("routed experts on the busiest worker (\(expertsBound))", experts),
            ("dispatch over \(link)", dispatch),
            ("combine over \(link)", combine),
            ("the LM head", head),
        ]
        return candidates.max { $0.1 < $1.1 }!.0
    }
}
