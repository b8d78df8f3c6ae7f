import MeshTensor

/// The experts chosen for a batch of tokens: `k` (expert, weight) pairs per token.
public struct Routing: Sendable, Equatable {
    public let tokens: Int
    public let k: Int
    /// `experts[t * k + j]`: the j-th expert of token t, in the order the router chose them.
    public var experts: [Int32]
    /// `weights[t * k + j]`: the weight of that expert's output.
    public var weights: [Float]

    public init(tokens: Int, k: Int, experts: [Int32], weights: [Float]) {
        precondition(experts.count == tokens * k && weights.count == tokens * k)
        self.tokens = tokens
        self.k = k
        self.experts = experts
        self.weights = weights
    }

    /// Tokens routed to each of `experts` experts.
    public func load(experts count: Int) -> [Int] {
        var load = Array(repeating: 0, count: count)
        for e in experts { load[Int(e)] += 1 }
        return load
    }
}

/// Chooses the top-k experts of each token from its gate logits.
///
/// scores = softmax or sigmoid of the logits; the choice uses scores + bias (when a bias is
/// configured, as DeepSeek-V3's auxiliary-loss-free balancing does) and, with groups, only the
/// experts of the best `topGroups` groups; the weights use the unbiased scores, optionally
/// renormalised over the k chosen, then multiplied by `scale`. Ties go to the lower index. A
/// configured `skew` multiplies the choice scores by per-expert factors (load tests).
public struct Router: Sendable {
    public let config: RouterConfig
    public let experts: Int
    public let topK: Int
    /// `config.skewFactors`, nil when there is no skew.
    let skewFactors: [Float]?

    public init(config: RouterConfig, experts: Int, topK: Int) {
        precondition(topK <= experts && experts % config.groups == 0)
        self.config = config
        self.experts = experts
        self.topK = topK
        skewFactors = config.isSkewed ? config.skewFactors(experts: experts) : nil
    }

    public init(model: ModelConfig) {
        self.init(config: model.router, experts: model.experts, topK: model.topK)
    }

    /// Routes every row of `logits` (`[tokens, experts]`, row-major).
    ///
    /// - Parameter bias: the per-expert selection bias, `experts` values, when configured.
    public func route(logits: [Float], bias: [Float]? = nil) -> Routing {
        precondition(logits.count % experts == 0)
        let tokens = logits.count / experts
        var chosen = [Int32](), weights = [Float]()
        chosen.reserveCapacity(tokens * topK)
        weights.reserveCapacity(tokens * topK)
        var scores = [Float](repeating: 0, count: experts)
        var choice = [Float](repeating: 0, count: experts)
        for t in 0..<tokens {
            for e in 0..<experts { scores[e] = logits[t * experts + e] }
            switch config.scoring {
            case .softmax: softmaxInPlace(&scores)
            case .sigmoid: for e in 0..<experts { scores[e] = sigmoid(scores[e]) }
            }
            for e in 0..<experts { choice[e] = scores[e] * (skewFactors?[e] ?? 1) + (bias?[e] ?? 0) }
            if config.groups > 1 { maskGroups(&choice) }
            let top = MeshTensor.topK(choice, k: self.topK)
            var picked = top.map { scores[$0] }
            if config.normalize {
                let sum = picked.reduce(0, +)
                if sum > 0 { picked = picked.map { $0 / sum } }
            }
            let scale = Float(config.scale)
            for (e, w) in zip(top, picked) {
                chosen.append(Int32(e))
                weights.append(w * scale)
            }
        }
        return Routing(tokens: tokens, k: topK, experts: chosen, weights: weights)
    }

    /// Sets the choice scores of experts outside the best `topGroups` groups to -infinity.
    private func maskGroups(_ choice: inout [Float]) {
        let size = experts / config.groups
        var groupScores = [Float](repeating: 0, count: config.groups)
        for g in 0..<config.groups {
            let members = Array(choice[g * size..<(g + 1) * size])
            switch config.groupScore {
            case .max: groupScores[g] = members.max()!
            case .top2Sum: groupScores[g] = MeshTensor.topK(members, k: 2).reduce(0) { $0 + members[$1] }
            }
        }
        let kept = Set(MeshTensor.topK(groupScores, k: config.topGroups))
        for g in 0..<config.groups where !kept.contains(g) {
            for e in g * size..<(g + 1) * size { choice[e] = -.infinity }
        }
    }
}
