/// Root-mean-square layer normalization, per row: `x / sqrt(mean(x²) + epsilon) · weight`.
///
/// The form of Hugging Face transformers' `LlamaRMSNorm` (no mean subtraction,
/// no bias). The sum of squares and the reciprocal square root are computed in
/// `Double`, then the scale is rounded to `Float` and applied in `Float`.
/// Hugging Face accumulates in float32; the `Double` sum removes the
/// accumulation error that grows with row length (7168 for DeepSeek-V3's hidden
/// size), and the two agree to within a few float32 ulps.
///
/// - Parameters:
///   - x: `[T, hidden]` rows (any rank; each run of `columns` scalars is a row).
///   - weight: `[hidden]` per-feature gain.
///   - epsilon: Added to the mean square before the root (typically 1e-6 or 1e-5, from the model config).
/// - Returns: A tensor shaped like `x`.
/// - Complexity: O(`x.count`).
public func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float) -> Tensor {
    precondition(
        weight.count == x.columns,
        "rmsNorm: weight has \(weight.count) features, rows have \(x.columns)")
    var output = Tensor(zeros: x.shape)
    x.scalars.withUnsafeBufferPointer { input in
        weight.scalars.withUnsafeBufferPointer { gain in
            output.scalars.withUnsafeMutableBufferPointer { result in
                rmsNorm(input, rows: x.rows, columns: x.columns, weight: gain, epsilon: epsilon, into: result)
            }
        }
    }
    return output
}

/// Root-mean-square layer normalization into caller-owned memory; see the `Tensor` form for the formula.
///
/// `out` may be the same memory as `x` (normalizing in place), since each
/// element is read before it is written.
///
/// - Parameters:
///   - x: `rows × columns` row-major input.
///   - rows: Number of rows.
///   - columns: Row length; `weight` holds this many gains.
///   - weight: Per-feature gain.
///   - epsilon: Added to the mean square before the root.
///   - out: `rows × columns` row-major output.
public func rmsNorm(
    _ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
    weight: UnsafeBufferPointer<Float>, epsilon: Float,
    into out: UnsafeMutableBufferPointer<Float>
) {
    precondition(rows >= 0 && columns >= 0, "rmsNorm: negative size")
    precondition(x.count >= rows * columns && out.count >= rows * columns, "rmsNorm: buffer too short")
    precondition(weight.count >= columns, "rmsNorm: weight has \(weight.count) features, rows have \(columns)")
    guard columns > 0 else { return }
    for row in 0..<rows {
        let start = row * columns
        var sumOfSquares: Double = 0
        for column in 0..<columns {
            let value = Double(x[start + column])
            sumOfSquares += value * value
        }
        let meanSquare = sumOfSquares / Double(columns)
        let scale = Float(1 / (meanSquare + Double(epsilon)).squareRoot())
        for column in 0..<columns {
            out[start + column] = x[start + column] * scale * weight[column]
        }
    }
}
