import MeshCore

/// How the planner spreads experts over workers.
public enum PlacementPolicy: String, Sendable, CaseIterable, Codable {
    /// Hierarchical when the model has several routing groups and they split evenly over the
    /// nodes, global otherwise (the choice EPLB makes).
    case auto
    /// Pack whole expert groups onto nodes by load, then replicate and pack within each node:
    /// a token's group-limited routing then stays on few nodes.
    case hierarchical
    /// Replicate and pack over all workers as if they were on one node.
    case global
}

/// Plans which experts each worker holds from the measured load of every expert.
///
/// Our implementation of the two policies DeepSeek's EPLB describes
/// (https://github.com/deepseek-ai/EPLB), with guarantees it does not give:
///
/// 1. *Groups to nodes* (hierarchical only): the `groups` routing groups, each `E/G` experts,
///    go to the nodes `G/N` each, heaviest group first onto the lightest node that has room.
/// 2. *Replicas*: each node (one node of all workers for the global policy) adds one copy at a
///    time, `R` per worker, to the expert with the highest load per copy (ties: fewer copies,
///    then the lower id); an expert never has more copies than the node has workers.
/// 3. *Packing*: the copies, heaviest share first, go each to the least loaded worker of the node
///    that has room and does not hold that expert yet, unless that would leave the remaining
///    copies impossible to place (checked with the Gale–Ryser condition); then experts are moved
///    and swapped between workers while that lowers the busiest one.
/// 4. *Baseline*: when the result is less balanced than the baseline placement, the baseline is
///    kept instead, with the replicas that do not raise its busiest worker, improved likewise.
///    A baseline with more than `capacity` experts on a worker could not be kept, so it is refused.
///
/// Every expert is placed at least once, never twice on one worker, every worker holds at most
/// `capacity` experts, a planned layer has exactly `E + W·R` copies, and its busiest worker is
/// never busier than the baseline's. The plan is deterministic: ties go to the lower index.
public struct PlacementPlanner: Sendable {
    public var workers: Int
    /// Nodes the workers are split over, evenly and in order: worker `w` is on node
    /// `w / (workers / nodes)`.
    public var nodes: Int
    /// Extra copies per worker: `workers · redundantPerWorker` replicas in each layer.
    public var redundantPerWorker: Int
    /// The model's routing groups (`model.router.groups`); 1 when routing is not group-limited.
    public var groups: Int
    /// The most experts a worker may hold in one layer; nil for `ceil(E/W) + R`.
    public var capacity: Int?
    public var policy: PlacementPolicy

    public init(workers: Int, nodes: Int = 1, redundantPerWorker: Int = 0, groups: Int = 1,
                capacity: Int? = nil, policy: PlacementPolicy = .auto) {
        self.workers = workers
        self.nodes = nodes
        self.redundantPerWorker = redundantPerWorker
        self.groups = groups
        self.capacity = capacity
        self.policy = policy
    }

    /// Plans every MoE layer of `load`.
    ///
    /// - Parameters:
    ///   - load: The load of every expert of every MoE layer.
    ///   - baseline: The placement to compare with and fall back to (the config's current one);
    ///     nil for the contiguous placement over `workers`.
    /// - Returns: The placement and, per layer, the expected loads before and after and the
    ///   reasons for each replica.
    /// - Throws: ``PlanningError`` when the settings contradict each other or the load, or when
    ///   `baseline` gives a worker more than the capacity (the plan could then end worse than it).
    /// - Complexity: per layer about O(T·(E + K·W)) for T = E + W·R copies and capacity K, plus
    ///   the moves and swaps, O(K²·W) each.
    public func plan(_ load: ExpertLoad, baseline: Placement? = nil) throws -> PlacementPlan {
        let experts = load.experts
        let setup = try checkedSetup(experts: experts, layers: load.layers.count)
        let baseline = try checkedBaseline(baseline, experts: experts, layers: load.layers.count)
        try checkFits(baseline, capacity: setup.capacity, layers: load.layers)
        var layers: [LayerPlan] = []
        for (m, layer) in load.layers.enumerated() {
            let context = LayerContext(layer: layer, loads: load.tokens[m], workers: workers, capacity: setup.capacity)
            var plan = setup.policy == .hierarchical
                ? context.hierarchical(nodes: nodes, groups: groups, redundantPerWorker: redundantPerWorker)
                : context.global(redundantPerWorker: redundantPerWorker)
            let baselineLists = baseline.experts[m]
            let baselineLoads = context.workerLoads(baselineLists)
            plan.baselineWorkerLoads = baselineLoads
            let peak = plan.workerLoads.max() ?? 0, baselinePeak = baselineLoads.max() ?? 0
            if peak > baselinePeak + LayerContext.tolerance(baselinePeak) {
                plan = context.improvingBaseline(baselineLists, totalCopies: experts + workers * redundantPerWorker,
                                                 plannedImbalance: plan.imbalance)
                plan.baselineWorkerLoads = baselineLoads
            }
            layers.append(plan)
        }
        return PlacementPlan(placement: Placement(experts: layers.map(\.experts)), layers: layers, policy: setup.policy,
                             workers: workers, nodes: nodes, redundantPerWorker: redundantPerWorker, groups: groups,
                             capacity: setup.capacity, notes: setup.notes)
    }

    /// The expected loads of a placement made elsewhere (an EPLB plan read back), against `baseline`.
    ///
    /// Only ``workers`` and ``nodes`` are used; the plan's capacity is the most experts any
    /// worker holds, and its layers' source is ``PlanSource/given``.
    ///
    /// - Throws: ``PlanningError`` when `placement` or `baseline` do not fit the load and the workers.
    public func evaluate(_ placement: Placement, load: ExpertLoad, baseline: Placement? = nil) throws -> PlacementPlan {
        let experts = load.experts, count = load.layers.count
        guard experts >= 1, count >= 1 else {
            throw PlanningError(field: "load", expected: "at least one MoE layer and one expert",
                                found: "\(count) layers of \(experts) experts")
        }
        guard nodes >= 1, workers % nodes == 0 else {
            throw PlanningError(field: "nodes", expected: "a divisor of workers (\(workers)): workers split evenly over nodes",
                                found: "\(nodes)")
        }
        let given = try checked(placement, field: "placement", experts: experts, layers: count)
        let baseline = try checkedBaseline(baseline, experts: experts, layers: count)
        let capacity = given.experts.joined().map(\.count).max() ?? 0
        let layers = load.layers.enumerated().map { m, layer in
            let context = LayerContext(layer: layer, loads: load.tokens[m], workers: workers, capacity: capacity)
            var plan = context.finished(given.experts[m], source: .given, replicas: [])
            plan.baselineWorkerLoads = context.workerLoads(baseline.experts[m])
            return plan
        }
        let replicas = given.experts.map { $0.joined().count - experts }.max() ?? 0
        return PlacementPlan(placement: given, layers: layers, policy: .auto, workers: workers, nodes: nodes,
                             redundantPerWorker: replicas / workers, groups: groups, capacity: capacity, notes: [])
    }

    /// The settings checked against each other and against `experts`, the policy resolved.
    func checkedSetup(experts: Int, layers: Int) throws -> (policy: PlacementPolicy, capacity: Int, notes: [String]) {
        guard experts >= 1, layers >= 1 else {
            throw PlanningError(field: "load", expected: "at least one MoE layer and one expert",
                                found: "\(layers) layers of \(experts) experts")
        }
        guard workers >= 1 else { throw PlanningError(field: "workers", expected: "at least 1", found: "\(workers)") }
        guard nodes >= 1, workers % nodes == 0 else {
            throw PlanningError(field: "nodes", expected: "a divisor of workers (\(workers)): workers split evenly over nodes",
                                found: "\(nodes)")
        }
        guard redundantPerWorker >= 0 else {
            throw PlanningError(field: "redundant", expected: "0 or more copies per worker", found: "\(redundantPerWorker)")
        }
        guard groups >= 1, experts % groups == 0 else {
            throw PlanningError(field: "groups", expected: "a divisor of the experts (\(experts))", found: "\(groups)")
        }
        let copies = experts + workers * redundantPerWorker
        guard copies <= experts * workers else {
            throw PlanningError(field: "redundant",
                                expected: "at most \(experts * workers) copies (\(experts) experts × \(workers) workers: "
                                    + "a worker holds an expert once), so at most \(experts * (workers - 1) / workers) per worker",
                                found: "\(redundantPerWorker) per worker, \(copies) copies")
        }
        let capacity = self.capacity ?? ((experts + workers - 1) / workers + redundantPerWorker)
        guard capacity >= 1 else { throw PlanningError(field: "capacity", expected: "at least 1", found: "\(capacity)") }
        guard workers * capacity >= copies else {
            throw PlanningError(field: "capacity",
                                expected: "room for the \(copies) copies (\(experts) experts + \(workers) workers × "
                                    + "\(redundantPerWorker) redundant): workers × capacity ≥ \(copies)",
                                found: "\(workers) × \(capacity) = \(workers * capacity) slots")
        }

        // Within a node, an expert can have at most as many copies as the node has workers.
        let perNode = workers / nodes
        let hierarchicalProblem: String? =
            groups % nodes != 0 ? "groups (\(groups)) not a multiple of nodes (\(nodes))"
            : workers * redundantPerWorker > experts * (perNode - 1)
                ? "\(perNode * redundantPerWorker) replicas per node for \(experts / nodes) experts on \(perNode) workers "
                    + "(at most \(experts / nodes * (perNode - 1)))"
            : nil
        switch policy {
        case .hierarchical:
            if let hierarchicalProblem {
                throw PlanningError(field: "policy", expected: "a hierarchical plan that fits", found: hierarchicalProblem)
            }
            return (.hierarchical, capacity, [])
        case .global:
            return (.global, capacity, [])
        case .auto:
            if groups == 1 { return (.global, capacity, ["auto policy: global, the model has one routing group"]) }
            if let hierarchicalProblem {
                return (.global, capacity, ["auto policy: global, not hierarchical: \(hierarchicalProblem)"])
            }
            return (.hierarchical, capacity, ["auto policy: hierarchical, \(groups) routing groups over \(nodes) node(s)"])
        }
    }

    /// Refuses a baseline with more experts on a worker than `capacity`.
    ///
    /// The plan falls back to the baseline when the baseline is better balanced; a baseline it
    /// could not keep would leave the plan worse than the placement it replaces. The error names
    /// the worker holding the most experts (the first such worker of the first such layer), so
    /// that raising the capacity to its count is enough. A contiguous or round-robin baseline
    /// always fits: it gives a worker at most `ceil(E/W)` experts, and the capacity is at least that.
    ///
    /// - Parameter layers: The model's index of each MoE layer, for the message.
    func checkFits(_ baseline: Placement, capacity: Int, layers: [Int]) throws {
        var most: (count: Int, layer: Int, worker: Int)?
        for (m, lists) in baseline.experts.enumerated() {
            for (w, list) in lists.enumerated() where list.count > (most?.count ?? capacity) {
                most = (list.count, layers[m], w)
            }
        }
        guard let most else { return }
        throw PlanningError(field: "baseline",
                            expected: "at most the capacity (\(capacity)) experts on every worker, so that the plan can "
                                + "fall back to it and is never worse",
                            found: "\(most.count) on worker \(most.worker) of layer \(most.layer): raise --capacity to at "
                                + "least \(most.count), or plan from a config with a contiguous or round_robin placement")
    }

    /// `baseline`, or the contiguous placement, checked against the load's shape.
    func checkedBaseline(_ baseline: Placement?, experts: Int, layers: Int) throws -> Placement {
        guard let baseline else {
            return Placement(strategy: .contiguous, experts: experts, workers: workers, moeLayers: layers)
        }
        return try checked(baseline, field: "baseline", experts: experts, layers: layers)
    }

    /// `placement`, checked: one list per layer and worker, distinct ids in range, every expert held.
    func checked(_ placement: Placement, field: String, experts: Int, layers: Int) throws -> Placement {
        guard placement.experts.count == layers else {
            throw PlanningError(field: field, expected: "one list per MoE layer (\(layers))", found: "\(placement.experts.count)")
        }
        for (m, lists) in placement.experts.enumerated() {
            guard lists.count == workers else {
                throw PlanningError(field: field, expected: "one list per worker (\(workers)) in MoE layer \(m)",
                                    found: "\(lists.count)")
            }
            var held = Set<Int>()
            for (w, list) in lists.enumerated() {
                guard list.allSatisfy({ (0..<experts).contains($0) }), Set(list).count == list.count else {
                    throw PlanningError(field: field, expected: "distinct expert ids in 0...\(experts - 1)",
                                        found: "\(list) on worker \(w) in MoE layer \(m)")
                }
                held.formUnion(list)
            }
            if let orphan = (0..<experts).first(where: { !held.contains($0) }) {
                throw PlanningError(field: field, expected: "every expert held in MoE layer \(m)",
                                    found: "expert \(orphan) held by none")
            }
        }
        return placement
    }
}
