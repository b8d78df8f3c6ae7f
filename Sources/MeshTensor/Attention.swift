/// Causal scaled dot-product attention over several heads, with grouped-query attention (GQA).
///
/// For each query head `h` the key/value head is `h / (heads / kvHeads)`, the
/// grouping of Hugging Face transformers' `repeat_kv` (Ainslie et al. 2023):
/// consecutive query heads share one KV head. Query row `t` sits at absolute
/// position `queryOffset + t` and attends keys `0...queryOffset + t`, so the
/// same function serves a prefill (`queryOffset == 0`, `T == S`) and a decode
/// step (`T == 1`, `queryOffset == S - 1`) over a KV cache.
///
/// Per head, two `cblas_sgemm` calls read the head's columns in place through
/// the leading dimension (no copies): scores `[T, S] = Q_h · K_gᵀ / sqrt(headDim)`,
/// a masked softmax per row, then `P · V_g` written straight into the head's
/// output columns. One `[T, S]` score buffer is reused for every head.
///
/// - Parameters:
///   - q: `[T, heads · headDim]` queries, head-major within a row.
///   - k: `[S, kvHeads · headDim]` keys for positions `0..<S`, including these `T`.
///   - v: `[S, kvHeads · headDim]` values, laid out like `k`.
///   - heads: Query heads; a multiple of `kvHeads`.
///   - kvHeads: Key/value heads.
///   - headDim: Features per head.
///   - queryOffset: Absolute position of the first query; `queryOffset + T ≤ S`.
/// - Returns: `[T, heads · headDim]`.
/// - Complexity: O(`heads` × `T` × `S` × `headDim`) time, O(`T` × `S`) extra memory.
public func causalAttention(
    q: Tensor, k: Tensor, v: Tensor,
    heads: Int, kvHeads: Int, headDim: Int, queryOffset: Int
) -> Tensor {
    precondition(heads > 0 && kvHeads > 0 && headDim > 0, "causalAttention: sizes must be positive")
    precondition(heads % kvHeads == 0, "causalAttention: \(heads) heads do not divide into \(kvHeads) KV heads")
    let queryWidth = heads * headDim
    let keyWidth = kvHeads * headDim
    let (queries, keys) = (q.rows, k.rows)
    precondition(q.rank == 2 && q.columns == queryWidth, "causalAttention: q must be [T, \(queryWidth)], got \(q.shape)")
    precondition(k.rank == 2 && k.columns == keyWidth, "causalAttention: k must be [S, \(keyWidth)], got \(k.shape)")
    precondition(v.shape == k.shape, "causalAttention: v \(v.shape) must match k \(k.shape)")
    precondition(
        queryOffset >= 0 && queryOffset + queries <= keys,
        "causalAttention: queries at \(queryOffset)..<\(queryOffset + queries) need that many keys, have \(keys)")

    var output = Tensor(zeros: [queries, queryWidth])
    if queries == 0 { return output }
    let groupSize = heads / kvHeads
    let scale = 1 / Float(headDim).squareRoot()
    var scores = [Float](repeating: 0, count: queries * keys)

    q.scalars.withUnsafeBufferPointer { q in
        k.scalars.withUnsafeBufferPointer { k in
            v.scalars.withUnsafeBufferPointer { v in
                scores.withUnsafeMutableBufferPointer { scores in
                    output.scalars.withUnsafeMutableBufferPointer { output in
                        for head in 0..<heads {
                            let kvHead = head / groupSize
                            let queryColumns = UnsafeBufferPointer(rebasing: q[(head * headDim)...])
                            let keyColumns = UnsafeBufferPointer(rebasing: k[(kvHead * headDim)...])
                            let valueColumns = UnsafeBufferPointer(rebasing: v[(kvHead * headDim)...])
                            let outputColumns = UnsafeMutableBufferPointer(rebasing: output[(head * headDim)...])

                            gemm(
                                .noTranspose, .transpose,
                                m: queries, n: keys, k: headDim,
                                alpha: scale,
                                a: queryColumns, lda: queryWidth,
                                b: keyColumns, ldb: keyWidth,
                                c: scores, ldc: keys)
                            for row in 0..<queries {
                                let visible = queryOffset + row + 1
                                let start = row * keys
                                softmaxInPlace(UnsafeMutableBufferPointer(rebasing: scores[start..<(start + visible)]))
                                for masked in (start + visible)..<(start + keys) {
                                    scores[masked] = 0
                                }
                            }
                            gemm(
                                .noTranspose, .noTranspose,
                                m: queries, n: headDim, k: keys,
                                a: UnsafeBufferPointer(scores), lda: keys,
                                b: valueColumns, ldb: keyWidth,
                                c: outputColumns, ldc: queryWidth)
                        }
                    }
                }
            }
        }
    }
    return output
}
