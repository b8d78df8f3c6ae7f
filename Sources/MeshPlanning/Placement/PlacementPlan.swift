import MeshCore

/// What ``PlacementPlanner`` decided: the placement of every MoE layer and why.
public struct PlacementPlan: Sendable, Equatable {
    /// The planned placement, ready for a config (``Placement/yaml(layers:comments:)``).
    public var placement: Placement
    /// One entry per MoE layer, in order.
    public var layers: [LayerPlan]
    /// The policy that ran: `.hierarchical` or `.global`; `.auto` for a placement that was
    /// evaluated rather than planned (``PlacementPlanner/evaluate(_:load:baseline:)``).
    public var policy: PlacementPolicy
    public var workers: Int
    public var nodes: Int
    public var redundantPerWorker: Int
    public var groups: Int
    /// The most experts one worker may hold in one layer.
    public var capacity: Int
    /// Choices the planner made that the caller did not spell out (why `auto` chose a policy,
    /// a baseline that could not serve as a fallback), one sentence each.
    public var notes: [String]

    public init(placement: Placement, layers: [LayerPlan], policy: PlacementPolicy, workers: Int, nodes: Int,
                redundantPerWorker: Int, groups: Int, capacity: Int, notes: [String]) {
        self.placement = placement
        self.layers = layers
        self.policy = policy
        self.workers = workers
        self.nodes = nodes
        self.redundantPerWorker = redundantPerWorker
        self.groups = groups
        self.capacity = capacity
        self.notes = notes
    }
}

/// The plan of one MoE layer.
public struct LayerPlan: Sendable, Equatable {
    /// The model's index of this layer.
    public var layer: Int
    /// `experts[w]`: the experts worker `w` holds, ascending.
    public var experts: [[Int]]
    /// `copies[e]`: how many workers hold expert `e`.
    public var copies: [Int]
    /// The expected load of each worker: the sum over its experts of the expert's load divided by
    /// its copies (the runtime splits a replicated expert's tokens evenly among its copies).
    public var workerLoads: [Double]
    /// The same for the baseline placement.
    public var baselineWorkerLoads: [Double]
    /// Where the placement comes from.
    public var source: PlanSource
    /// Every copy added beyond the first of each expert, and why, in the order they were added.
    public var replicas: [ReplicaNote]
    /// For the hierarchical policy: the expert groups each node received; empty otherwise.
    public var groupsOfNode: [[Int]]

    public init(layer: Int, experts: [[Int]], copies: [Int], workerLoads: [Double], baselineWorkerLoads: [Double],
                source: PlanSource, replicas: [ReplicaNote], groupsOfNode: [[Int]] = []) {
        self.layer = layer
        self.experts = experts
        self.copies = copies
        self.workerLoads = workerLoads
        self.baselineWorkerLoads = baselineWorkerLoads
        self.source = source
        self.replicas = replicas
        self.groupsOfNode = groupsOfNode
    }

    /// The busiest worker's expected load over the mean (1 when nothing is routed).
    public var imbalance: Double { Self.imbalance(workerLoads) }

    /// The same for the baseline placement.
    public var baselineImbalance: Double { Self.imbalance(baselineWorkerLoads) }

    /// Max over mean of `loads`; 1 when they are all zero.
    public static func imbalance(_ loads: [Double]) -> Double {
        let total = loads.reduce(0, +)
        guard total > 0, let peak = loads.max() else { return 1 }
        return peak / (total / Double(loads.count))
    }
}

/// Where a layer's placement comes from.
public enum PlanSource: Sendable, Equatable {
    /// The policy's plan, at least as balanced as the baseline.
    case planned
    /// The policy's plan was less balanced than the baseline (greedy packing can be): the
    /// baseline was kept, with the `replicasAdded` copies that did not raise its busiest worker,
    /// then improved by moving and swapping experts. `plannedImbalance` is what the plan reached.
    case baseline(replicasAdded: Int, plannedImbalance: Double)
    /// A placement made elsewhere (an EPLB plan read back), evaluated, not planned.
    case given
}

/// One copy added to an expert, and why it was that expert.
public struct ReplicaNote: Sendable, Equatable, CustomStringConvertible {
    /// Why a copy was added.
    public enum Rule: Sendable, Equatable {
        /// EPLB's rule: the expert had the highest load per copy, or the highest of the experts
        /// not yet on every worker (of the node) when `busierExpertsFull`.
        case highestLoadPerCopy(busierExpertsFull: Bool)
        /// The copy was taken from another expert (`from`, which had `fromCopies` copies) on
        /// `fromWorker`, because that lowered the busiest worker from `peakBefore` to `peakAfter`.
        case movedFrom(from: Int, fromCopies: Int, fromWorker: Int, peakBefore: Double, peakAfter: Double)
        /// A copy added to the baseline, which did not make the busiest worker busier.
        case addedToBaseline(peakBefore: Double, peakAfter: Double)
    }

    /// The model's index of the layer.
    public var layer: Int
    public var expert: Int
    /// The expert's copies once this one is added (2 for the first replica).
    public var copies: Int
    /// The expert's load per copy before and after this copy.
    public var loadPerCopyBefore: Double
    public var loadPerCopyAfter: Double
    /// The node the copy was added within (hierarchical policy), if any.
    public var node: Int?
    /// The worker the copy went to, when it was chosen with the copy; EPLB's rule picks the
    /// expert only, and its copies are spread over workers afterwards.
    public var worker: Int?
    public var rule: Rule

    public init(layer: Int, expert: Int, copies: Int, loadPerCopyBefore: Double, loadPerCopyAfter: Double,
                node: Int? = nil, worker: Int? = nil, rule: Rule) {
        self.layer = layer
        self.expert = expert
        self.copies = copies
        self.loadPerCopyBefore = loadPerCopyBefore
        self.loadPerCopyAfter = loadPerCopyAfter
        self.node = node
        self.worker = worker
        self.rule = rule
    }

    /// For example `layer 1: expert 5 gets a 2nd copy: 812 tokens per copy, the highest; now 406`.
    public var description: String { "layer \(layer): \(reason)" }

    /// The description without the layer: `expert 5 gets a 2nd copy: ...`.
    public var reason: String {
        let number = LoadText.format
        var text = "expert \(expert) gets a \(LoadText.ordinal(copies)) copy"
        if let worker { text += " on worker \(worker)" }
        switch rule {
        case .highestLoadPerCopy(let busierExpertsFull):
            text += ": \(number(loadPerCopyBefore)) tokens per copy, the highest" + (node.map { " on node \($0)" } ?? "")
            if busierExpertsFull {
                text += node == nil ? " of the experts not on every worker yet" : " of the experts not on all its workers yet"
            }
            text += "; now \(number(loadPerCopyAfter))"
        case .movedFrom(let from, let fromCopies, let fromWorker, let peakBefore, let peakAfter):
            text += " instead of expert \(from)'s \(LoadText.ordinal(fromCopies)) on worker \(fromWorker): "
                + "\(number(loadPerCopyBefore)) → \(number(loadPerCopyAfter)) tokens per copy; "
                + "busiest worker \(number(peakBefore)) → \(number(peakAfter))"
        case .addedToBaseline(let peakBefore, let peakAfter):
            text += ": \(number(loadPerCopyBefore)) → \(number(loadPerCopyAfter)) tokens per copy; "
                + "busiest worker \(number(peakBefore)) → \(number(peakAfter))"
        }
        return text
    }
}

/// How loads and counts are written in reports.
enum LoadText {
    /// Whole numbers without a fraction, others with one decimal (three below 10).
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        let digits = abs(value) < 10 ? 3 : 1
        var text = String(value.rounded(toPlaces: digits))
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    /// 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st.
    static func ordinal(_ n: Int) -> String {
        let suffix: String
        switch (n % 10, n % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return "\(n)\(suffix)"
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}
