import MeshCore

/// The planning of one MoE layer: its loads and the limits every step respects.
struct LayerContext {
    /// The model's index of the layer, for the replica notes.
    let layer: Int
    /// The load of each expert.
    let loads: [Double]
    let workers: Int
    let capacity: Int

    var experts: Int { loads.count }

    /// How much two loads may differ and still count as equal: sums of the same shares in another
    /// order differ in the last bits.
    static func tolerance(_ value: Double) -> Double { 1e-9 * max(1, abs(value)) }

    /// The copies of each expert in `lists` (one list per worker).
    func copies(_ lists: [[Int]]) -> [Int] {
        var copies = [Int](repeating: 0, count: experts)
        for list in lists { for e in list { copies[e] += 1 } }
        return copies
    }

    /// The expected load of each worker: its experts' loads, each divided by its copies.
    func workerLoads(_ lists: [[Int]]) -> [Double] {
        let copies = copies(lists)
        return lists.map { list in list.reduce(0) { $0 + loads[$1] / Double(copies[$1]) } }
    }

    /// The global policy: replicas, packing and polish with every worker as one node.
    func global(redundantPerWorker: Int) -> LayerPlan {
        var copies = [Int](repeating: 1, count: experts)
        let all = Array(0..<experts)
        var notes = replicate(all, count: workers * redundantPerWorker, maxCopies: workers, copies: &copies, node: nil)
        var lists = pack(all, copies: copies, workers: workers)
        notes += polish(&lists, firstWorker: 0, candidates: all, maxCopies: workers, copies: &copies, node: nil)
        return finished(lists, source: .planned, replicas: notes)
    }

    /// The hierarchical policy: groups to nodes, then replicas, packing and polish within each node.
    func hierarchical(nodes: Int, groups: Int, redundantPerWorker: Int) -> LayerPlan {
        let groupSize = experts / groups, perNode = workers / nodes
        let groupLoads = (0..<groups).map { g in loads[(g * groupSize)..<((g + 1) * groupSize)].reduce(0, +) }
        let groupsOfNode = Self.packGroups(groupLoads, nodes: nodes)
        var copies = [Int](repeating: 1, count: experts)
        var notes: [ReplicaNote] = []
        var lists = [[Int]](repeating: [], count: workers)
        for (node, nodeGroups) in groupsOfNode.enumerated() {
            let nodeExperts = nodeGroups.flatMap { g in (g * groupSize)..<((g + 1) * groupSize) }
            notes += replicate(nodeExperts, count: perNode * redundantPerWorker, maxCopies: perNode,
                               copies: &copies, node: nodes > 1 ? node : nil)
            var nodeLists = pack(nodeExperts, copies: copies, workers: perNode)
            notes += polish(&nodeLists, firstWorker: node * perNode, candidates: nodeExperts, maxCopies: perNode,
                            copies: &copies, node: nodes > 1 ? node : nil)
            lists.replaceSubrange((node * perNode)..<((node + 1) * perNode), with: nodeLists)
        }
        var plan = finished(lists, source: .planned, replicas: notes)
        plan.groupsOfNode = groupsOfNode
        return plan
    }

    /// The layer plan of `lists`: sorted, with its loads.
    func finished(_ lists: [[Int]], source: PlanSource, replicas: [ReplicaNote]) -> LayerPlan {
        let sorted = lists.map { $0.sorted() }
        return LayerPlan(layer: layer, experts: sorted, copies: copies(sorted), workerLoads: workerLoads(sorted),
                         baselineWorkerLoads: [], source: source, replicas: replicas)
    }

    /// Each expert's load per copy.
    func shares(_ copies: [Int]) -> [Double] {
        zip(loads, copies).map { $0 / Double(max($1, 1)) }
    }

    // MARK: groups to nodes

    /// Groups spread over `nodes`, the same number on each: heaviest group first, onto the
    /// lightest node with room (ties: the lower index). Each node's groups ascending.
    static func packGroups(_ groupLoads: [Double], nodes: Int) -> [[Int]] {
        let perNode = groupLoads.count / nodes
        let order = groupLoads.indices.sorted { groupLoads[$0] > groupLoads[$1] || (groupLoads[$0] == groupLoads[$1] && $0 < $1) }
        var members = [[Int]](repeating: [], count: nodes)
        var nodeLoads = [Double](repeating: 0, count: nodes)
        for g in order {
            var target = -1
            for n in 0..<nodes where members[n].count < perNode {
                if target < 0 || nodeLoads[n] < nodeLoads[target] { target = n }
            }
            members[target].append(g)
            nodeLoads[target] += groupLoads[g]
        }
        return members.map { $0.sorted() }
    }

    // MARK: replicas

    /// Adds `count` copies among `candidates` (ascending), one at a time, each to the expert with
    /// the highest load per copy that has fewer than `maxCopies`; ties go to fewer copies, then
    /// the lower id.
    ///
    /// Raising the highest share first is what minimises the largest share: no other choice of
    /// `count` copies gives a lower one.
    func replicate(_ candidates: [Int], count: Int, maxCopies: Int, copies: inout [Int], node: Int?) -> [ReplicaNote] {
        var notes: [ReplicaNote] = []
        for _ in 0..<count {
            var best: Int?
            var bestShare = 0.0, fullShare = 0.0
            for e in candidates {
                let share = loads[e] / Double(copies[e])
                guard copies[e] < maxCopies else {
                    fullShare = max(fullShare, share)
                    continue
                }
                if let b = best, share < bestShare || (share == bestShare && copies[e] >= copies[b]) { continue }
                best = e
                bestShare = share
            }
            // The planner checked that the copies fit: count ≤ candidates × (maxCopies − 1).
            guard let e = best else { preconditionFailure("more replicas than the experts can take") }
            copies[e] += 1
            notes.append(ReplicaNote(layer: layer, expert: e, copies: copies[e], loadPerCopyBefore: bestShare,
                                     loadPerCopyAfter: loads[e] / Double(copies[e]), node: node,
                                     rule: .highestLoadPerCopy(busierExpertsFull: fullShare > bestShare)))
        }
        return notes
    }
}
