import MeshCore

extension LayerContext {
    /// Moves experts, swaps them, and moves replicas from one expert to another, while that lowers
    /// the busiest worker of `lists`.
    ///
    /// EPLB's replica rule looks at loads per copy, not at how the copies pack: with few experts
    /// per worker it can leave a worker holding two large shares where a copy of a colder expert
    /// would have split the load better. So after the moves and swaps of
    /// ``improve(_:share:capacity:)`` settle, one copy of a replicated expert on the busiest
    /// worker may go to another expert of `candidates` (on the least loaded worker with room that
    /// does not hold it), the change that leaves the lowest busiest worker, if it is lower; then
    /// the moves and swaps again. The copies in all, capacity, one copy per worker and at least
    /// one copy per expert are kept; the busiest worker only gets less busy.
    ///
    /// - Parameters:
    ///   - lists: The experts of each worker of the set, changed in place.
    ///   - firstWorker: The global index of `lists[0]`, for the notes.
    ///   - candidates: The experts that may gain a copy (those of the node).
    ///   - maxCopies: The most copies an expert may have (the workers of the set).
    ///   - copies: The copies of every expert, changed in place.
    /// - Returns: A note for every copy moved to another expert.
    func polish(_ lists: inout [[Int]], firstWorker: Int, candidates: [Int], maxCopies: Int, copies: inout [Int],
                node: Int?) -> [ReplicaNote] {
        var notes: [ReplicaNote] = []
        let maxRounds = 4 * lists.joined().count + 16
        for _ in 0..<maxRounds {
            Self.improve(&lists, share: shares(copies), capacity: capacity)
            guard let move = bestReplicaMove(lists, candidates: candidates, maxCopies: maxCopies, copies: copies) else { break }
            let fromCopies = copies[move.from]
            lists[move.fromWorker].removeAll { $0 == move.from }
            copies[move.from] -= 1
            lists[move.toWorker].append(move.to)
            copies[move.to] += 1
            notes.append(ReplicaNote(layer: layer, expert: move.to, copies: copies[move.to],
                                     loadPerCopyBefore: loads[move.to] / Double(copies[move.to] - 1),
                                     loadPerCopyAfter: loads[move.to] / Double(copies[move.to]), node: node,
                                     worker: firstWorker + move.toWorker,
                                     rule: .movedFrom(from: move.from, fromCopies: fromCopies, fromWorker: firstWorker + move.fromWorker,
                                                      peakBefore: move.peakBefore, peakAfter: move.peakAfter)))
        }
        return notes
    }

    /// One copy taken from a replicated expert on the busiest worker and given to another expert.
    struct ReplicaMove {
        var from: Int
        var fromWorker: Int
        var to: Int
        var toWorker: Int
        var peakBefore: Double
        var peakAfter: Double
    }

    /// The replica move that leaves the lowest busiest worker, if it is lower than now.
    ///
    /// Ties go to the lower expert given up, then the lower expert gaining the copy.
    /// - Complexity: O(K · E · W) for K experts on the busiest worker.
    func bestReplicaMove(_ lists: [[Int]], candidates: [Int], maxCopies: Int, copies: [Int]) -> ReplicaMove? {
        let workers = lists.count
        guard workers > 1 else { return nil }
        let share = shares(copies)
        let load = lists.map { $0.reduce(0) { $0 + share[$1] } }
        var holds = [[Bool]](repeating: [Bool](repeating: false, count: workers), count: experts)
        for (w, list) in lists.enumerated() { for e in list { holds[e][w] = true } }
        var u = 0
        for w in 1..<workers where load[w] > load[u] { u = w }
        let peak = load[u]
        var best: ReplicaMove?
        for a in lists[u].sorted() where copies[a] >= 2 {
            // The loads once `a` leaves `u`: its other copies take up its share.
            let grown = loads[a] / Double(copies[a] - 1) - share[a]
            var base = load
            base[u] -= share[a]
            for w in 0..<workers where w != u && holds[a][w] { base[w] += grown }
            for b in candidates where b != a && copies[b] < maxCopies {
                var v = -1
                for w in 0..<workers where !holds[b][w] && (w == u || lists[w].count < capacity) {
                    if v < 0 || base[w] < base[v] { v = w }
                }
                guard v >= 0 else { continue }
                let after = loads[b] / Double(copies[b] + 1)
                var newPeak = 0.0
                for w in 0..<workers {
                    newPeak = max(newPeak, base[w] + (holds[b][w] ? after - share[b] : 0) + (w == v ? after : 0))
                }
                if newPeak < (best?.peakAfter ?? peak - Self.tolerance(peak)) {
                    best = ReplicaMove(from: a, fromWorker: u, to: b, toWorker: v, peakBefore: peak, peakAfter: newPeak)
                }
            }
        }
        return best
    }
}
