/// The SwiGLU feed-forward block: `down(silu(gate(x)) ⊙ up(x))`.
///
/// The MLP of Llama and of each DeepSeek / Mixtral expert (Shazeer 2020,
/// "GLU Variants Improve Transformer"). Three GEMMs, no biases.
///
/// - Parameters:
///   - x: `[T, hidden]` input rows.
///   - gate: `[ffn, hidden]` gate projection.
///   - up: `[ffn, hidden]` up projection.
///   - down: `[hidden, ffn]` down projection.
/// - Returns: `[T, hidden]`.
/// - Complexity: O(`T` × `hidden` × `ffn`).
public func swiglu(_ x: Tensor, gate: Tensor, up: Tensor, down: Tensor) -> Tensor {
    precondition(x.rank == 2, "swiglu: input must be [T, hidden], got \(x.shape)")
    let (rows, hidden, ffn) = (x.rows, x.columns, gate.rows)
    precondition(gate.shape == [ffn, hidden], "swiglu: gate must be [ffn, \(hidden)], got \(gate.shape)")
    precondition(up.shape == [ffn, hidden], "swiglu: up must be [\(ffn), \(hidden)], got \(up.shape)")
    precondition(down.shape == [hidden, ffn], "swiglu: down must be [\(hidden), \(ffn)], got \(down.shape)")
    var output = Tensor(zeros: [rows, hidden])
    var scratch = [Float](repeating: 0, count: 2 * rows * ffn)
    x.scalars.withUnsafeBufferPointer { input in
        gate.scalars.withUnsafeBufferPointer { gateWeights in
            up.scalars.withUnsafeBufferPointer { upWeights in
                down.scalars.withUnsafeBufferPointer { downWeights in
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        output.scalars.withUnsafeMutableBufferPointer { result in
                            swiglu(
                                input, rows: rows, hidden: hidden,
                                gate: gateWeights, up: upWeights, down: downWeights, ffn: ffn,
                                scratch: scratch, into: result)
                        }
                    }
                }
            }
        }
    }
    return output
}

/// The SwiGLU feed-forward block into caller-owned memory, optionally scaling and accumulating rows.
///
/// `out[t] = (accumulate ? out[t] : 0) + rowScales[t] · down(silu(gate(x[t])) ⊙ up(x[t]))`.
/// Because `down` is linear, the per-row scale (a router gate weight) is applied to
/// the `ffn`-wide activation before the last GEMM, so an expert's weighted output
/// lands in a shared accumulator with no extra pass over `out`.
///
/// - Parameters:
///   - x: `rows × hidden` row-major input.
///   - rows: Number of tokens.
///   - hidden: Model width.
///   - gate: `ffn × hidden` row-major.
///   - up: `ffn × hidden` row-major.
///   - down: `hidden × ffn` row-major.
///   - ffn: Intermediate width.
///   - rowScales: `rows` factors, or `nil` for 1.
///   - scratch: At least `2 × rows × ffn` elements; its contents are overwritten.
///   - out: `rows × hidden` row-major output.
///   - accumulate: Add to the existing `out` instead of overwriting it.
/// - Complexity: O(`rows` × `hidden` × `ffn`).
public func swiglu(
    _ x: UnsafeBufferPointer<Float>, rows: Int, hidden: Int,
    gate: UnsafeBufferPointer<Float>, up: UnsafeBufferPointer<Float>, down: UnsafeBufferPointer<Float>,
    ffn: Int,
    rowScales: UnsafeBufferPointer<Float>? = nil,
    scratch: UnsafeMutableBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>, accumulate: Bool = false
) {
    let width = rows * ffn
    precondition(scratch.count >= 2 * width, "swiglu: scratch has \(scratch.count) elements, needs \(2 * width)")
    precondition(rowScales == nil || rowScales!.count >= rows, "swiglu: need one scale per row")
    let gated = UnsafeMutableBufferPointer(rebasing: scratch[0..<width])
    let upper = UnsafeMutableBufferPointer(rebasing: scratch[width..<(2 * width)])
    linear(x, rows: rows, inFeatures: hidden, weight: gate, outFeatures: ffn, into: gated)
    linear(x, rows: rows, inFeatures: hidden, weight: up, outFeatures: ffn, into: upper)
    for row in 0..<rows {
        let scale = rowScales?[row] ?? 1
        for column in 0..<ffn {
            let index = row * ffn + column
            gated[index] = silu(gated[index]) * upper[index] * scale
        }
    }
    linear(
        UnsafeBufferPointer(gated), rows: rows, inFeatures: ffn,
        weight: down, outFeatures: hidden, into: out, accumulate: accumulate)
}
