/// Applies a linear layer: `y = x · Wᵀ (+ bias)`, the PyTorch `nn.Linear` convention.
///
/// One `cblas_sgemm` with the weight read transposed, so weights stay in the
/// `[out, in]` layout checkpoints store them in. The bias, when present, is
/// first broadcast into the output rows and the GEMM accumulates onto it.
///
/// - Parameters:
///   - x: `[T, in]` input rows.
///   - weight: `[out, in]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[T, out]`.
/// - Complexity: O(`T` × `in` × `out`).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(x.rank == 2, "linear: input must be [T, in], got \(x.shape)")
    precondition(weight.rank == 2, "linear: weight must be [out, in], got \(weight.shape)")
    let (rows, inFeatures, outFeatures) = (x.rows, x.columns, weight.rows)
    precondition(
        weight.columns == inFeatures,
        "linear: weight \(weight.shape) does not take \(inFeatures) input features")
    var output = Tensor(zeros: [rows, outFeatures])
    if let bias {
        precondition(bias.shape == [outFeatures], "linear: bias must be [\(outFeatures)], got \(bias.shape)")
        for row in 0..<rows {
            output[row: row] = bias.scalars[...]
        }
    }
    x.scalars.withUnsafeBufferPointer { input in
        weight.scalars.withUnsafeBufferPointer { weights in
            output.scalars.withUnsafeMutableBufferPointer { result in
                linear(
                    input, rows: rows, inFeatures: inFeatures,
                    weight: weights, outFeatures: outFeatures,
                    into: result, accumulate: bias != nil)
            }
        }
    }
    return output
}

/// Applies a linear layer into caller-owned memory: `out = (accumulate ? out : 0) + x · Wᵀ`.
///
/// The allocation-free form for the hot path: the caller keeps scratch buffers
/// alive across layers and tokens. Buffers may be longer than needed; only the
/// leading `rows × features` elements are read or written.
///
/// - Parameters:
///   - x: `rows × inFeatures` row-major input.
///   - rows: Number of input rows (tokens).
///   - inFeatures: Length of an input row.
///   - weight: `outFeatures × inFeatures` row-major, PyTorch `[out, in]`.
///   - outFeatures: Length of an output row.
///   - out: `rows × outFeatures` row-major output.
///   - accumulate: Add to the existing `out` instead of overwriting it.
/// - Complexity: O(`rows` × `inFeatures` × `outFeatures`).
public func linear(
    _ x: UnsafeBufferPointer<Float>, rows: Int, inFeatures: Int,
    weight: UnsafeBufferPointer<Float>, outFeatures: Int,
    into out: UnsafeMutableBufferPointer<Float>, accumulate: Bool = false
) {
    gemm(
        .noTranspose, .transpose,
        m: rows, n: outFeatures, k: inFeatures,
        a: x, lda: max(1, inFeatures),
        b: weight, ldb: max(1, inFeatures),
        beta: accumulate ? 1 : 0,
        c: out, ldc: max(1, outFeatures))
}
