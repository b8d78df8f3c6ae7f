import MeshCore
import MeshTensor

/// The arithmetic of a decoder layer, shared by the reference and the distributed coordinator.
///
/// A layer is: `h = x + attention(rmsNorm(x))`, then `out = h + mlp(rmsNorm(h))`, where the MLP is
/// dense in the first `dense_layers` layers and a MoE block in the others.
public struct DecoderLayer: Sendable {
    public let model: ModelConfig
    public let index: Int
    public let weights: LayerWeights
    let rope: RotaryEmbedding
    let epsilon: Float
    /// Built once per layer (its skew factors are computed from the config); nil in dense layers.
    let router: Router?

    public init(model: ModelConfig, index: Int, weights: LayerWeights) {
        self.model = model
        self.index = index
        self.weights = weights
        self.rope = RotaryEmbedding(headDim: model.headDim, theta: Float(model.ropeTheta))
        self.epsilon = Float(model.rmsNormEpsilon)
        self.router = model.isMoE(index) ? Router(model: model) : nil
    }

    /// `h[rows] += attention(rmsNorm(h[rows]))` for the new tokens of one sequence, which sit
    /// at `rows` of the step's `[tokens, hidden]` rows, in place.
    ///
    /// The tokens sit at positions `cache.length ..< cache.length + rows.count`; their keys and
    /// values are appended to `cache`. The rows are read and written where they are: no copy of
    /// the sequence's rows is made.
    public func attentionResidual(rows: Range<Int>, of h: inout Tensor, cache: inout KVCache) {
        let a = weights.attention, hidden = model.hidden, count = rows.count
        guard count > 0 else { return }
        let span = (rows.lowerBound * hidden)..<(rows.upperBound * hidden)
        var normed = Tensor(zeros: [count, hidden])
        h.scalars.withUnsafeBufferPointer { x in
            weights.inputNorm.scalars.withUnsafeBufferPointer { gain in
                normed.scalars.withUnsafeMutableBufferPointer { out in
                    rmsNorm(UnsafeBufferPointer(rebasing: x[span]), rows: count, columns: hidden, weight: gain,
                            epsilon: epsilon, into: out)
                }
            }
        }
        var q = linear(normed, weight: a.q, bias: a.qBias)
        var k = linear(normed, weight: a.k, bias: a.kBias)
        let v = linear(normed, weight: a.v, bias: a.vBias)
        let start = cache.length
        let positions = Array(start..<(start + count))
        rope.apply(&q, heads: model.heads, positions: positions)
        rope.apply(&k, heads: model.kvHeads, positions: positions)
        cache.append(keys: k, values: v)
        let attended = causalAttention(q: q, k: cache.keys, v: cache.values, heads: model.heads,
                                       kvHeads: model.kvHeads, headDim: model.headDim, queryOffset: start)
        // The projection first, then the residual added to it, as `x + o(attended)` reads.
        let projected = linear(attended, weight: a.o)
        h.scalars.withUnsafeMutableBufferPointer { out in
            projected.scalars.withUnsafeBufferPointer { o in
                for i in 0..<(count * hidden) { out[span.lowerBound + i] = o[i] + out[span.lowerBound + i] }
            }
        }
    }

    /// The input of the MLP: `rmsNorm(h)`.
    public func mlpInput(_ h: Tensor) -> Tensor {
        rmsNorm(h, weight: weights.postAttentionNorm, epsilon: epsilon)
    }

    /// The dense MLP's output for a dense layer.
    public func denseOutput(_ normed: Tensor) -> Tensor {
        weights.dense!(normed)
    }

    /// The experts and weights chosen for each row of `normed`.
    public func route(_ normed: Tensor) -> Routing {
        let router = weights.router!
        let logits = linear(normed, weight: router.gate)
        return self.router!.route(logits: logits.scalars, bias: router.bias)
    }

    /// The shared experts' output (gated, for Qwen2-MoE), or nil when the model has none.
    public func sharedOutput(_ normed: Tensor) -> Tensor? {
        guard let router = weights.router, let shared = router.shared else { return nil }
        var out = shared(normed)
        if let gate = router.sharedGate {
            let g = linear(normed, weight: gate)
            for t in 0..<out.rows {
                let factor = sigmoid(g.scalars[t])
                out.withMutableRow(t) { row in for c in row.indices { row[c] *= factor } }
            }
        }
        return out
    }
}

/// `into += x`, element-wise.
public func add(_ x: Tensor, into out: inout Tensor) {
    precondition(x.shape == out.shape)
    out.scalars.withUnsafeMutableBufferPointer { o in
        x.scalars.withUnsafeBufferPointer { s in
            for i in o.indices { o[i] += s[i] }
        }
    }
}
