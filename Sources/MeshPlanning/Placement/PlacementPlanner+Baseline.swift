import MeshCore

extension LayerContext {
    /// The baseline placement with replicas that do not raise its busiest worker, then improved.
    ///
    /// Used when the policy's plan is less balanced than the baseline. Copies are added one at a
    /// time, up to `totalCopies` copies in all and never beyond ``capacity``: for each expert, its
    /// next copy would go to the least loaded worker with room that does not hold it; of those,
    /// the copy that leaves the lowest busiest worker is taken (ties: the expert with the higher
    /// load per copy, then the lower id), as long as the busiest worker does not get busier.
    /// Then ``polish(_:firstWorker:candidates:maxCopies:copies:node:)`` moves and swaps experts
    /// and replicas.
    ///
    /// - Precondition: no worker of `baseline` holds more than ``capacity`` experts.
    func improvingBaseline(_ baseline: [[Int]], totalCopies: Int, plannedImbalance: Double) -> LayerPlan {
        var lists = baseline
        var copies = copies(lists)
        var holds = [[Bool]](repeating: [Bool](repeating: false, count: workers), count: experts)
        for (w, list) in lists.enumerated() { for e in list { holds[e][w] = true } }
        var load = workerLoads(lists)
        var notes: [ReplicaNote] = []
        var placed = copies.reduce(0, +)

        while placed < totalCopies {
            let peak = load.max() ?? 0
            var best: (peak: Double, share: Double, expert: Int, worker: Int)?
            for e in 0..<experts where copies[e] < workers {
                var target: Int?
                for w in 0..<workers where !holds[e][w] && lists[w].count < capacity {
                    if target.map({ load[w] < load[$0] }) ?? true { target = w }
                }
                guard let target else { continue }
                let before = loads[e] / Double(copies[e]), after = loads[e] / Double(copies[e] + 1)
                var newPeak = 0.0
                for w in 0..<workers {
                    let value = w == target ? load[w] + after : holds[e][w] ? load[w] - before + after : load[w]
                    newPeak = max(newPeak, value)
                }
                if let b = best {
                    let tolerance = Self.tolerance(b.peak)
                    if newPeak > b.peak + tolerance || (newPeak >= b.peak - tolerance && before <= b.share) { continue }
                }
                best = (newPeak, before, e, target)
            }
            guard let choice = best, choice.peak <= peak + Self.tolerance(peak) else { break }
            let e = choice.expert
            copies[e] += 1
            holds[e][choice.worker] = true
            lists[choice.worker].append(e)
            load = workerLoads(lists)
            placed += 1
            notes.append(ReplicaNote(layer: layer, expert: e, copies: copies[e], loadPerCopyBefore: choice.share,
                                     loadPerCopyAfter: loads[e] / Double(copies[e]), worker: choice.worker,
                                     rule: .addedToBaseline(peakBefore: peak, peakAfter: load.max() ?? 0)))
        }
        let added = notes.count
        notes += polish(&lists, firstWorker: 0, candidates: Array(0..<experts), maxCopies: workers, copies: &copies, node: nil)
        return finished(lists, source: .baseline(replicasAdded: added, plannedImbalance: plannedImbalance),
                        replicas: notes)
    }
}
