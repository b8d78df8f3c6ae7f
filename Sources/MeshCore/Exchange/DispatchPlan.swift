/// Which tokens of one source go to which worker in one MoE layer, and what each must do.
///
/// A token whose top-k experts include several on one worker is sent to it once, with its list
/// of (local expert, weight) pairs, as DeepEP does; each worker then returns one row per token it
/// received (the weighted sum of its experts' outputs), so combine carries one row per
/// (token, worker). When an expert has several copies (redundant experts), the tokens choosing it
/// are dealt to its holders in turn, in token order, starting at copy `rotation` (the caller's
/// step count, so that one token per step, as in decode, still visits every copy): balanced by
/// count and deterministic.
///
/// Pure: built from a ``Routing`` and the layer's ``ExpertHolders``; ``TrafficRules`` turns its
/// counts into the layer's traffic and ``RecordCodec`` its entries into records.
public struct DispatchPlan: Sendable, Equatable {
    /// Slots per token record: the router's k. Unused slots hold expert -1 and weight 0.
    public let k: Int
    /// `tokens[w]`: indices of the source's tokens sent to worker `w`, ascending.
    public var tokens: [[Int32]]
    /// `localExperts[w][i * k + j]`: worker `w`'s local index of the j-th expert of its i-th token.
    public var localExperts: [[Int32]]
    /// `weights[w][i * k + j]`: the router weight that goes with it.
    public var weights: [[Float]]

    /// Plans the dispatch of `routing`'s tokens to the holders of their experts.
    ///
    /// - Parameters:
    ///   - holders: the layer's placement index.
    ///   - rotation: the copy a replicated expert's first token goes to (modulo its copies).
    /// - Precondition: every routed expert has at least one holder.
    public init(routing: Routing, holders: ExpertHolders, rotation: Int = 0) {
        let workers = holders.workers
        k = routing.k
        var dealt: [Int: Int] = [:] // tokens dealt so far per replicated expert
        tokens = Array(repeating: [], count: workers)
        localExperts = Array(repeating: [], count: workers)
        weights = Array(repeating: [], count: workers)
        var slotsUsed = Array(repeating: 0, count: workers)
        var touched: [Int] = []
        for t in 0..<routing.tokens {
            touched.removeAll(keepingCapacity: true)
            for j in 0..<k {
                let e = Int(routing.experts[t * k + j])
                let copies = holders[expert: e]
                guard var copy = copies.first else { preconditionFailure("expert \(e) has no holder") }
                if copies.count > 1 {
                    let n = dealt[e, default: max(rotation, 0) % copies.count]
                    copy = copies[n % copies.count]
                    dealt[e] = n + 1
                }
                let w = copy.worker
                if slotsUsed[w] == 0 {
                    touched.append(w)
                    tokens[w].append(Int32(t))
                    localExperts[w].append(contentsOf: repeatElement(-1, count: k))
                    weights[w].append(contentsOf: repeatElement(0, count: k))
                }
                let slot = (tokens[w].count - 1) * k + slotsUsed[w]
                localExperts[w][slot] = copy.local
                weights[w][slot] = routing.weights[t * k + j]
                slotsUsed[w] += 1
            }
            for w in touched { slotsUsed[w] = 0 }
        }
    }

    /// Plans the dispatch over `experts[w]`, the global expert ids each worker holds (ascending).
    public init(routing: Routing, experts: [[Int]], rotation: Int = 0) {
        self.init(routing: routing, holders: ExpertHolders(experts: experts), rotation: rotation)
    }

    /// Tokens sent to each worker.
    public var counts: [Int] { tokens.map(\.count) }

    /// (token, expert) pairs handled by each worker: its expert load in rows.
    public var expertRows: [Int] { localExperts.map { $0.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } } }
}
