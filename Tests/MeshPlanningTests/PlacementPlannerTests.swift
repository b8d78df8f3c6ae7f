import Foundation
import PropertyBased
import Testing
import MeshCore
@testable import MeshPlanning

/// One random planning problem: the settings and two layers of loads.
struct PlanningCase: Sendable, CustomStringConvertible {
    var experts: Int
    var workers: Int
    var nodes: Int
    var groups: Int
    var redundant: Int
    /// Added to the default capacity; nil leaves the capacity to the planner.
    var extraCapacity: Int?
    var policy: PlacementPolicy
    var kind: String
    var tokens: [[Double]]

    var load: ExpertLoad { ExpertLoad(layers: Array(1...tokens.count), tokens: tokens) }
    var defaultCapacity: Int { (experts + workers - 1) / workers + redundant }
    var capacity: Int { defaultCapacity + (extraCapacity ?? 0) }
    var planner: PlacementPlanner {
        PlacementPlanner(workers: workers, nodes: nodes, redundantPerWorker: redundant, groups: groups,
                         capacity: extraCapacity.map { defaultCapacity + $0 }, policy: policy)
    }
    /// Whether a hierarchical plan fits: groups over nodes, and at most one copy per worker of a node.
    var hierarchicalFits: Bool {
        groups % nodes == 0 && workers * redundant <= experts * (workers / nodes - 1)
    }

    var description: String {
        "E=\(experts) W=\(workers) N=\(nodes) G=\(groups) R=\(redundant) capacity+\(extraCapacity.map(String.init) ?? "default") "
            + "\(policy.rawValue) \(kind) \(tokens)"
    }

    static let generator = Generator<PlanningCase, Shrink.None<PlanningCase>> { rng in
        func pick(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        func divisor(of n: Int) -> Int { (1...n).filter { n % $0 == 0 }.randomElement(using: &rng)! }
        let workers = pick(1...16), experts = pick(2...64)
        let nodes = divisor(of: workers), groups = divisor(of: experts)
        // A worker holds an expert once: at most E·(W − 1) replicas.
        let redundant = min(pick(0...3), experts * (workers - 1) / workers)
        let extra: Int? = pick(0...2) == 0 ? pick(0...2) : nil
        let policy = PlacementPolicy.allCases.randomElement(using: &rng)!
        let kinds = ["uniform", "skewed", "random", "sparse", "zero", "integers"]
        let kind = kinds.randomElement(using: &rng)!
        let tokens = (0..<2).map { _ -> [Double] in
            switch kind {
            case "uniform":
                return Array(repeating: Double(pick(1...1000)), count: experts)
            case "skewed":
                // Zipf-like popularity over a random order of the experts.
                let order = Array(0..<experts).shuffled(using: &rng), s = Double.random(in: 0.5...2, using: &rng)
                var values = [Double](repeating: 0, count: experts)
                for (rank, e) in order.enumerated() { values[e] = 10_000 * pow(Double(rank + 1), -s) }
                return values
            case "random":
                return (0..<experts).map { _ in Double.random(in: 0...1000, using: &rng) }
            case "sparse":
                return (0..<experts).map { _ in pick(0...3) == 0 ? Double(pick(1...5000)) : 0 }
            case "zero":
                return Array(repeating: 0, count: experts)
            default:
                return (0..<experts).map { _ in Double(pick(0...20)) }
            }
        }
        return PlanningCase(experts: experts, workers: workers, nodes: nodes, groups: groups, redundant: redundant,
                            extraCapacity: extra, policy: policy, kind: kind, tokens: tokens)
    }
}

/// A planning case and a baseline of its own: every expert held, some replicated, and, when
/// `overloaded` is set, one worker of one layer holding more experts than the capacity.
struct BaselineCase: Sendable, CustomStringConvertible {
    var problem: PlanningCase
    var baseline: Placement
    /// The model's layer, the worker and its experts when one holds more than the capacity.
    var overloaded: (layer: Int, worker: Int, experts: Int)?

    var description: String { "\(problem) baseline \(baseline.experts)" }

    static func generator(overCapacity: Bool) -> Generator<BaselineCase, Shrink.None<BaselineCase>> {
        Generator { rng in
            var c = PlanningCase.generator.run(using: &rng)
            // Over the capacity needs an expert left to add: capacity < experts.
            while overCapacity && c.capacity >= c.experts { c = PlanningCase.generator.run(using: &rng) }
            var layers = (0..<c.tokens.count).map { _ -> [[Int]] in
                var lists = [[Int]](repeating: [], count: c.workers)
                for e in (0..<c.experts).shuffled(using: &rng) {
                    let open = lists.indices.filter { lists[$0].count < c.capacity }
                    lists[open.randomElement(using: &rng)!].append(e)
                }
                let replicas = Int.random(in: 0...(c.workers * c.capacity - c.experts), using: &rng)
                for _ in 0..<replicas {
                    let free = lists.indices.flatMap { w in
                        lists[w].count < c.capacity ? (0..<c.experts).filter { !lists[w].contains($0) }.map { (w, $0) } : []
                    }
                    guard let (w, e) = free.randomElement(using: &rng) else { break }
                    lists[w].append(e)
                }
                return lists
            }
            var overloaded: (layer: Int, worker: Int, experts: Int)?
            if overCapacity {
                let m = Int.random(in: layers.indices, using: &rng), w = Int.random(in: 0..<c.workers, using: &rng)
                let target = Int.random(in: (c.capacity + 1)...c.experts, using: &rng)
                for e in (0..<c.experts).shuffled(using: &rng) where layers[m][w].count < target && !layers[m][w].contains(e) {
                    layers[m][w].append(e)
                }
                overloaded = (c.load.layers[m], w, target)
            }
            return BaselineCase(problem: c, baseline: Placement(experts: layers.map { $0.map { $0.sorted() } }),
                                overloaded: overloaded)
        }
    }
}

@Suite struct PlacementPlannerTests {
    @Test func everyGuaranteeHoldsOnRandomLoads() async throws {
        await propertyCheck(count: 300, input: PlanningCase.generator) { c in
            let plan: PlacementPlan
            do {
                plan = try c.planner.plan(c.load)
            } catch let error as PlanningError {
                // The only refusal these settings can meet: a hierarchical plan that does not fit.
                #expect(c.policy == .hierarchical && !c.hierarchicalFits, "\(error)")
                return
            }
            #expect(c.policy != .hierarchical || c.hierarchicalFits)
            #expect(plan.capacity == c.capacity)
            #expect(plan.policy == (c.policy == .auto ? (c.groups > 1 && c.hierarchicalFits ? .hierarchical : .global) : c.policy))
            let baseline = Placement(strategy: .contiguous, experts: c.experts, workers: c.workers, moeLayers: 2)
            #expect(plan.placement.experts.count == 2)
            for (m, layer) in plan.layers.enumerated() {
                #expect(plan.placement.experts[m] == layer.experts)
                #expect(layer.experts.count == c.workers)
                var copies = [Int](repeating: 0, count: c.experts)
                for list in layer.experts {
                    #expect(list == list.sorted(), "ascending ids")
                    #expect(Set(list).count == list.count, "no expert twice on one worker")
                    #expect(list.count <= c.capacity, "capacity")
                    for e in list { copies[e] += 1 }
                }
                #expect(copies.allSatisfy { $0 >= 1 }, "every expert placed")
                #expect(layer.copies == copies)
                let total = copies.reduce(0, +)
                // A note for every copy the rule added, moved to another expert or added to the baseline.
                let byRule = layer.replicas.reduce(into: [0, 0, 0]) { counts, note in
                    switch note.rule {
                    case .highestLoadPerCopy: counts[0] += 1
                    case .movedFrom: counts[1] += 1
                    case .addedToBaseline: counts[2] += 1
                    }
                }
                switch layer.source {
                case .planned:
                    #expect(total == c.experts + c.workers * c.redundant)
                    #expect(byRule == [c.workers * c.redundant, byRule[1], 0])
                case .baseline(let added, _):
                    #expect(total == c.experts + added)
                    #expect(added <= c.workers * c.redundant)
                    #expect(byRule == [0, byRule[1], added])
                case .given:
                    Issue.record("a plan is never given")
                }
                // Loads recomputed here, from the lists alone.
                let expected = layer.experts.map { list in list.reduce(0.0) { $0 + c.tokens[m][$1] / Double(copies[$1]) } }
                for (a, b) in zip(layer.workerLoads, expected) { #expect(abs(a - b) <= 1e-9 * max(1, b)) }
                let baselineLoads = baseline.experts[m].map { $0.reduce(0.0) { $0 + c.tokens[m][$1] } }
                #expect(layer.baselineWorkerLoads == baselineLoads)
                #expect(layer.imbalance <= layer.baselineImbalance * (1 + 1e-9), "never worse than the baseline")
                if plan.policy == .hierarchical, layer.source == .planned {
                    // Each node holds exactly the experts of its groups.
                    let size = c.experts / c.groups, perNode = c.workers / c.nodes
                    for (node, groups) in layer.groupsOfNode.enumerated() {
                        let own = Set(groups.flatMap { g in (g * size)..<((g + 1) * size) })
                        let held = Set(layer.experts[(node * perNode)..<((node + 1) * perNode)].joined())
                        #expect(held == own)
                    }
                }
            }
            #expect(try c.planner.plan(c.load) == plan, "deterministic")
        }
    }

    @Test func theHottestExpertGetsACopyOnEachWorker() throws {
        // 4 experts on 2 workers, 1 redundant per worker: 2 replicas. Expert 0 (100 tokens) gets
        // the first; with a copy on both workers it can take no more, and expert 1 (10 tokens,
        // tied with 2 and 3, the lowest id) gets the second.
        let load = ExpertLoad(layers: [1], tokens: [[100, 10, 10, 10]])
        let plan = try PlacementPlanner(workers: 2, redundantPerWorker: 1).plan(load)
        let layer = try #require(plan.layers.first)
        #expect(plan.policy == .global)
        #expect(plan.capacity == 3)
        #expect(layer.experts == [[0, 1, 2], [0, 1, 3]])
        #expect(layer.copies == [2, 2, 1, 1])
        #expect(layer.workerLoads == [65, 65])
        #expect(layer.baselineWorkerLoads == [110, 20])
        #expect(layer.source == .planned)
        #expect(layer.replicas.map(\.description) == [
            "layer 1: expert 0 gets a 2nd copy: 100 tokens per copy, the highest; now 50",
            "layer 1: expert 1 gets a 2nd copy: 10 tokens per copy, the highest of the experts not on every worker yet; now 5",
        ])
        #expect(abs(layer.baselineImbalance - 110.0 / 65) < 1e-12)
        #expect(layer.imbalance == 1)
    }

    @Test func aCappedExpertLeavesTheNextReplicaToTheNextHottest() throws {
        // 3 experts on 2 workers, R = 1: 2 replicas, capacity ceil(3/2) + 1 = 3. Expert 0 (30)
        // gets a 2nd copy (15 each) and then has one on each worker, so expert 1 (6, above
        // expert 2's 4) gets the other. Packing, largest share first: 0 on both workers (15, 15),
        // expert 2 (4) on worker 0 (tie, the lower index), expert 1 (3 per copy) on both: 22 and
        // 18. No move or swap helps: worker 1 already holds everything worker 0 could give it but 2,
        // and moving 2 would make worker 1 the busier at 22.
        let load = ExpertLoad(layers: [0], tokens: [[30, 6, 4]])
        let plan = try PlacementPlanner(workers: 2, redundantPerWorker: 1).plan(load)
        let layer = try #require(plan.layers.first)
        #expect(layer.copies == [2, 2, 1])
        #expect(layer.experts == [[0, 1, 2], [0, 1]])
        #expect(layer.workerLoads == [22, 18])
        #expect(layer.baselineWorkerLoads == [30, 10])
        #expect(layer.replicas.map(\.reason) == [
            "expert 0 gets a 2nd copy: 30 tokens per copy, the highest; now 15",
            "expert 1 gets a 2nd copy: 6 tokens per copy, the highest of the experts not on every worker yet; now 3",
        ])
    }

    @Test func hierarchicalKeepsGroupsOnNodesAndFallsBackToABetterBaseline() throws {
        // Two groups of two experts on two nodes of one worker: group {0, 1} is hot, so whichever
        // node gets it is the bottleneck; round robin spreads the hot experts and wins.
        let load = ExpertLoad(layers: [0], tokens: [[100, 100, 1, 1]])
        let planner = PlacementPlanner(workers: 2, nodes: 2, groups: 2, policy: .hierarchical)
        let baseline = Placement(strategy: .roundRobin, experts: 4, workers: 2, moeLayers: 1)
        let plan = try planner.plan(load, baseline: baseline)
        let layer = try #require(plan.layers.first)
        #expect(plan.policy == .hierarchical)
        #expect(layer.experts == [[0, 2], [1, 3]])
        #expect(layer.source == .baseline(replicasAdded: 0, plannedImbalance: 200.0 / 101))
        #expect(layer.workerLoads == [101, 101])
        // Against the contiguous baseline (the same as the plan), the plan stands.
        let planned = try planner.plan(load)
        #expect(planned.layers[0].source == .planned)
        #expect(planned.layers[0].groupsOfNode == [[0], [1]])
        #expect(planned.layers[0].experts == [[0, 1], [2, 3]])
    }

    @Test func aBetterBaselineGetsTheReplicasThatDoNotHurtIt() throws {
        // Hierarchical: node 0 (workers 0, 1) gets the hot group {0, 1}: both workers at 100.
        // The baseline already splits the hot experts over all four workers (peak 51).
        let load = ExpertLoad(layers: [0], tokens: [[100, 100, 1, 1]])
        let planner = PlacementPlanner(workers: 4, nodes: 2, redundantPerWorker: 1, groups: 2, policy: .hierarchical)
        let baseline = Placement(experts: [[[0], [1], [0, 2], [1, 3]]])
        let plan = try planner.plan(load, baseline: baseline)
        let layer = try #require(plan.layers.first)
        #expect(layer.baselineWorkerLoads == [50, 50, 51, 51])
        guard case .baseline(let added, let planned) = layer.source else {
            Issue.record("expected the baseline, found \(layer.source)")
            return
        }
        #expect(planned == 100 / 50.5)
        #expect(added == 2)
        #expect(layer.copies.reduce(0, +) == 8)
        #expect(layer.workerLoads.max()! == 50.5)
        for note in layer.replicas {
            #expect(note.worker != nil)
            if case .addedToBaseline(let before, let after) = note.rule { #expect(after <= before) }
        }
    }

    @Test func zeroLoadsSpreadReplicasAndCopies() throws {
        let load = ExpertLoad(layers: [0], tokens: [[0, 0, 0, 0]])
        let plan = try PlacementPlanner(workers: 2, redundantPerWorker: 1).plan(load)
        // Ties go to fewer copies: experts 0 and 1 get the replicas, not expert 0 twice.
        #expect(plan.layers[0].copies == [2, 2, 1, 1])
        #expect(plan.layers[0].experts.map(\.count) == [3, 3])
        #expect(plan.layers[0].imbalance == 1)
    }

    @Test func packingNeverStrandsACopy() {
        // One hot expert, six cold singles, then the coldest with two copies, 9 copies in the 9
        // slots of 3 workers. A plain greedy pass puts the hot expert alone on worker 0, fills
        // workers 1 and 2 with the singles and leaves both copies of expert 7 only worker 0.
        let context = LayerContext(layer: 0, loads: [100, 1, 1, 1, 1, 1, 1, 0.5], workers: 3, capacity: 3)
        let lists = context.pack(Array(0..<8), copies: [1, 1, 1, 1, 1, 1, 1, 2], workers: 3)
        #expect(lists.allSatisfy { $0.count == 3 && Set($0).count == 3 })
        #expect(lists.joined().sorted() == [0, 1, 2, 3, 4, 5, 6, 7, 7])
        #expect(lists[0].first == 0)
        // The check itself: one slot left on worker 0 only, two copies to place: impossible.
        #expect(!LayerContext.stillPlaceable(free: [2, 0, 0], excluded: [false, false, false], copiesLeft: 0, pending: [0, 0, 1, 0]))
        #expect(LayerContext.stillPlaceable(free: [1, 1, 0], excluded: [false, false, false], copiesLeft: 0, pending: [0, 0, 1, 0]))
        #expect(!LayerContext.stillPlaceable(free: [1, 1, 0], excluded: [true, false, false], copiesLeft: 1, pending: [0, 0, 1, 0]))
        #expect(LayerContext.stillPlaceable(free: [1, 1, 0], excluded: [true, false, false], copiesLeft: 1, pending: [0, 1, 0, 0]))
    }

    @Test(arguments: [
        (PlacementPlanner(workers: 3, capacity: 5), "plan: capacity: expected room for the 16 copies (16 experts + 3 workers × 0 redundant): workers × capacity ≥ 16, found 3 × 5 = 15 slots"),
        (PlacementPlanner(workers: 4, nodes: 3), "plan: nodes: expected a divisor of workers (4): workers split evenly over nodes, found 3"),
        (PlacementPlanner(workers: 2, groups: 3), "plan: groups: expected a divisor of the experts (16), found 3"),
        (PlacementPlanner(workers: 2, redundantPerWorker: 9), "plan: redundant: expected at most 32 copies (16 experts × 2 workers: a worker holds an expert once), so at most 8 per worker, found 9 per worker, 34 copies"),
        (PlacementPlanner(workers: 2, redundantPerWorker: -1), "plan: redundant: expected 0 or more copies per worker, found -1"),
        (PlacementPlanner(workers: 4, nodes: 4, groups: 2, policy: .hierarchical), "plan: policy: expected a hierarchical plan that fits, found groups (2) not a multiple of nodes (4)"),
        (PlacementPlanner(workers: 4, nodes: 4, redundantPerWorker: 1, groups: 4, policy: .hierarchical), "plan: policy: expected a hierarchical plan that fits, found 1 replicas per node for 4 experts on 1 workers (at most 0)"),
    ])
    func badSettingsAreRefusedInOneLine(planner: PlacementPlanner, message: String) {
        let load = ExpertLoad(layers: [0], tokens: [[Double](repeating: 1, count: 16)])
        #expect(throws: PlanningError.self) { try planner.plan(load) }
        do {
            _ = try planner.plan(load)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func autoFallsBackToGlobalAndSaysWhy() throws {
        let load = ExpertLoad(layers: [0], tokens: [(0..<16).map(Double.init)])
        let plan = try PlacementPlanner(workers: 4, nodes: 4, groups: 2).plan(load)
        #expect(plan.policy == .global)
        #expect(plan.notes == ["auto policy: global, not hierarchical: groups (2) not a multiple of nodes (4)"])
        let grouped = try PlacementPlanner(workers: 4, nodes: 2, groups: 4).plan(load)
        #expect(grouped.policy == .hierarchical)
    }

    @Test func aBaselineOverCapacityIsRefused() throws {
        // The config's placement has 1 redundant expert per worker; planned with 0, the capacity
        // is 2 and the plan could not fall back to it: refused, naming the worker and the layer.
        let load = ExpertLoad(layers: [3], tokens: [[100, 10, 1, 1]])
        let baseline = Placement(experts: [[[0, 1, 2], [0, 1, 3]]])
        #expect(throws: PlanningError(
            field: "baseline",
            expected: "at most the capacity (2) experts on every worker, so that the plan can fall back to it and is never worse",
            found: "3 on worker 0 of layer 3: raise --capacity to at least 3, or plan from a config with a contiguous or "
                + "round_robin placement")) {
            try PlacementPlanner(workers: 2).plan(load, baseline: baseline)
        }
        // With room for it, the baseline (peak 56) beats the plan without replicas (expert 0 alone: 100).
        let plan = try PlacementPlanner(workers: 2, capacity: 3).plan(load, baseline: baseline)
        #expect(plan.layers[0].baselineWorkerLoads == [56, 56])
        #expect(plan.layers[0].workerLoads.max()! <= 56)
        #expect(plan.layers[0].source == .baseline(replicasAdded: 0, plannedImbalance: 100.0 / 56))
    }

    @Test func baselinesWithReplicasWithinCapacityAreNeverBeaten() async throws {
        await propertyCheck(count: 200, input: BaselineCase.generator(overCapacity: false)) { b in
            let c = b.problem
            let plan: PlacementPlan
            do {
                plan = try c.planner.plan(c.load, baseline: b.baseline)
            } catch let error as PlanningError {
                #expect(c.policy == .hierarchical && !c.hierarchicalFits, "\(error)")
                return
            }
            for (m, layer) in plan.layers.enumerated() {
                var copies = [Int](repeating: 0, count: c.experts)
                for list in layer.experts {
                    #expect(Set(list).count == list.count, "no expert twice on one worker")
                    #expect(list.count <= c.capacity, "capacity")
                    for e in list { copies[e] += 1 }
                }
                #expect(copies.allSatisfy { $0 >= 1 }, "every expert placed")
                let baselineCopies = b.baseline.experts[m].joined().count
                switch layer.source {
                case .planned: #expect(copies.reduce(0, +) == c.experts + c.workers * c.redundant)
                case .baseline(let added, _): #expect(copies.reduce(0, +) == baselineCopies + added)
                case .given: Issue.record("a plan is never given")
                }
                let baselineLoads = LayerContext(layer: m, loads: c.tokens[m], workers: c.workers, capacity: c.capacity)
                    .workerLoads(b.baseline.experts[m])
                #expect(layer.baselineWorkerLoads == baselineLoads)
                #expect(layer.imbalance <= layer.baselineImbalance * (1 + 1e-9), "never worse than the baseline")
            }
        }
    }

    @Test func baselinesOverCapacityAreRefused() async throws {
        await propertyCheck(count: 200, input: BaselineCase.generator(overCapacity: true)) { b in
            let c = b.problem
            #expect { try c.planner.plan(c.load, baseline: b.baseline) } throws: { error in
                guard let error = error as? PlanningError else { return false }
                if c.policy == .hierarchical, !c.hierarchicalFits { return error.field == "policy" }
                let (layer, worker, count) = b.overloaded!
                return error.field == "baseline"
                    && error.found.hasPrefix("\(count) on worker \(worker) of layer \(layer): raise --capacity to at least \(count),")
            }
        }
    }

    @Test func aBaselineOfTheWrongShapeIsRefused() {
        let load = ExpertLoad(layers: [0], tokens: [[1, 1, 1, 1]])
        #expect(throws: PlanningError(field: "baseline", expected: "every expert held in MoE layer 0", found: "expert 3 held by none")) {
            try PlacementPlanner(workers: 2).plan(load, baseline: Placement(experts: [[[0, 1], [2]]]))
        }
        #expect(throws: PlanningError(field: "baseline", expected: "one list per worker (2) in MoE layer 0", found: "3")) {
            try PlacementPlanner(workers: 2).plan(load, baseline: Placement(experts: [[[0, 1], [2], [3]]]))
        }
    }

    @Test func evaluatingAGivenPlacement() throws {
        let load = ExpertLoad(layers: [2], tokens: [[8, 4, 2, 2]])
        let given = Placement(experts: [[[0, 3], [0, 1, 2]]])
        let plan = try PlacementPlanner(workers: 2).evaluate(given, load: load)
        #expect(plan.layers[0].source == .given)
        #expect(plan.layers[0].workerLoads == [6, 10])
        #expect(plan.layers[0].baselineWorkerLoads == [12, 4])
        #expect(plan.capacity == 3)
        #expect(plan.text().hasPrefix("given placement: 2 worker(s) on 1 node(s), at most 3 experts per worker"))
    }

    @Test func theReportShowsLoadsCopiesAndReasons() throws {
        let load = ExpertLoad(layers: [1], tokens: [[100, 10, 10, 10]])
        let text = try PlacementPlanner(workers: 2, redundantPerWorker: 1).plan(load).text(title: "plan: test")
        #expect(text == """
            plan: test
            global policy: 2 worker(s) on 1 node(s), 1 redundant per worker, at most 3 experts per worker; \
            loads in tokens, imbalance = busiest worker over the mean (before = baseline), * = one of several copies
            note: auto policy: global, the model has one routing group

            layer 1: imbalance 1.69 → 1.00, 6 copies, planned
              worker  load  before  experts
                   0    65     110  0* 1* 2
                   1    65      20  0* 1* 3
              expert 0 gets a 2nd copy: 100 tokens per copy, the highest; now 50
              expert 1 gets a 2nd copy: 10 tokens per copy, the highest of the experts not on every worker yet; now 5

            """)
    }

    @Test func ordinalsAndNumbers() {
        #expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(LoadText.ordinal)
                == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"])
        #expect([812, 406.5, 2.3456, 0].map(LoadText.format) == ["812", "406.5", "2.346", "0"])
    }
}
