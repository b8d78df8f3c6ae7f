import MeshCore

extension LayerContext {
    /// Spreads `copies[e]` copies of each expert in `experts` over `workers` workers, at most
    /// ``capacity`` each and never two copies of one expert on one worker.
    ///
    /// Largest share first (ties: the lower id), each copy to the least loaded worker (ties: the
    /// one with more room, then the lower index) that has room, does not hold the expert and
    /// leaves the rest placeable. A plain greedy pass can strand copies: with one worker left
    /// with room, the last expert's two copies have nowhere to go. So before taking a worker,
    /// the pass checks that the expert's remaining copies and every expert after it still fit
    /// (``stillPlaceable(free:excluded:copiesLeft:pending:)``); the first worker in order that
    /// passes is taken, and one always does.
    ///
    /// - Returns: The experts of each of the `workers` workers (local indices), in placing order.
    func pack(_ experts: [Int], copies: [Int], workers: Int) -> [[Int]] {
        let share = shares(copies)
        let order = experts.sorted { share[$0] > share[$1] || (share[$0] == share[$1] && $0 < $1) }
        var free = [Int](repeating: capacity, count: workers)
        var load = [Double](repeating: 0, count: workers)
        var lists = [[Int]](repeating: [], count: workers)
        // pending[c]: experts not placed yet that have c copies.
        var pending = [Int](repeating: 0, count: workers + 1)
        for e in experts { pending[copies[e]] += 1 }

        for e in order {
            pending[copies[e]] -= 1
            var holds = [Bool](repeating: false, count: workers)
            for placed in 0..<copies[e] {
                // Workers in order of preference, tried until one keeps the rest placeable (the
                // first, nearly always): a scan for the best untried one rather than a sort.
                var tried = [Bool](repeating: false, count: workers)
                var taken: Int?
                while taken == nil {
                    var next: Int?
                    for w in 0..<workers where free[w] > 0 && !holds[w] && !tried[w] {
                        if let n = next, (load[n], -free[n]) <= (load[w], -free[w]) { continue }
                        next = w
                    }
                    guard let w = next else { break }
                    tried[w] = true
                    free[w] -= 1
                    holds[w] = true
                    if Self.stillPlaceable(free: free, excluded: holds, copiesLeft: copies[e] - placed - 1, pending: pending) {
                        taken = w
                    } else {
                        free[w] += 1
                        holds[w] = false
                    }
                }
                // The state before this copy was placeable, so some worker keeps it so.
                guard let w = taken else { preconditionFailure("packing left a copy of expert \(e) without a worker") }
                lists[w].append(e)
                load[w] += share[e]
            }
        }
        return lists
    }

    /// Whether the copies still to place fit into the free slots.
    ///
    /// `copiesLeft` copies of the current expert must go to distinct workers not `excluded`;
    /// then `pending[c]` experts of `c` copies each, on distinct workers, anywhere.
    ///
    /// The current expert's copies take the workers with the most room: for every k, that
    /// decreases the fewest slots counted by Σ min(free, k), so it keeps the most freedom. The
    /// rest is the Gale–Ryser condition for a 0/1 matrix with row sums r (copies per expert,
    /// descending) and column sums at most `free`: it exists iff for every k, the k largest
    /// rows sum to at most Σ_w min(free_w, k) (a max-flow min-cut argument).
    static func stillPlaceable(free: [Int], excluded: [Bool], copiesLeft: Int, pending: [Int]) -> Bool {
        var free = free
        if copiesLeft > 0 {
            let allowed = free.indices.filter { !excluded[$0] && free[$0] > 0 }.sorted { free[$0] > free[$1] || (free[$0] == free[$1] && $0 < $1) }
            guard allowed.count >= copiesLeft else { return false }
            for w in allowed.prefix(copiesLeft) { free[w] -= 1 }
        }
        var total = 0
        for (c, count) in pending.enumerated() { total += c * count }
        guard total <= free.reduce(0, +) else { return false }
        // Beyond k = max(free), Σ min(free, k) is Σ free, already checked against the total.
        let largest = free.max() ?? 0
        var k = 0, rowSum = 0
        for c in stride(from: pending.count - 1, through: 1, by: -1) {
            for _ in 0..<pending[c] {
                k += 1
                if k > largest { return true }
                rowSum += c
                if rowSum > free.reduce(0, { $0 + min($1, k) }) { return false }
            }
        }
        return true
    }

    /// Moves or swaps experts between workers while that lowers the busiest one.
    ///
    /// Each round takes the busiest worker (the lower index on ties) and, among moving one of
    /// its experts to another worker with room or swapping it with one of another worker's,
    /// the change that leaves the lowest new peak of the two workers (the first found on ties);
    /// it is made only when both end below the busiest load. No worker ever ends above the
    /// busiest, capacity is kept and no worker gets an expert twice. The sorted loads fall
    /// with every change, so the rounds end; a cap bounds them anyway.
    static func improve(_ lists: inout [[Int]], share: [Double], capacity: Int) {
        let workers = lists.count
        guard workers > 1 else { return }
        var load = lists.map { $0.reduce(0) { $0 + share[$1] } }
        let maxRounds = 64 * workers * max(capacity, 1)
        for _ in 0..<maxRounds {
            var a = 0
            for w in 1..<workers where load[w] > load[a] { a = w }
            let peak = load[a]
            // (new peak of the two workers, index of x in a, worker b, index of y in b or nil)
            var best: (peak: Double, x: Int, b: Int, y: Int?)?
            for (xi, x) in lists[a].enumerated() {
                for b in 0..<workers where b != a && !lists[b].contains(x) {
                    if lists[b].count < capacity {
                        let p = max(peak - share[x], load[b] + share[x])
                        if p < (best?.peak ?? peak) { best = (p, xi, b, nil) }
                    }
                    for (yi, y) in lists[b].enumerated() where !lists[a].contains(y) {
                        let p = max(peak - share[x] + share[y], load[b] - share[y] + share[x])
                        if p < (best?.peak ?? peak) { best = (p, xi, b, yi) }
                    }
                }
            }
            guard let change = best, change.peak < peak - tolerance(peak) else { return }
            let x = lists[a][change.x]
            if let yi = change.y {
                let y = lists[change.b][yi]
                lists[a][change.x] = y
                lists[change.b][yi] = x
                load[a] += share[y] - share[x]
                load[change.b] += share[x] - share[y]
            } else {
                lists[a].remove(at: change.x)
                lists[change.b].append(x)
                load[a] -= share[x]
                load[change.b] += share[x]
            }
        }
    }
}
