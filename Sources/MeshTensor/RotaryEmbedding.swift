#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Rotary position embedding (RoPE, Su et al. 2021) in the "rotate_half" layout.
///
/// The convention of Hugging Face transformers' `LlamaRotaryEmbedding` and
/// `apply_rotary_pos_emb`: within each head of `headDim` features, feature `i`
/// is paired with feature `i + headDim/2` (not with its neighbour `i + 1`, as in
/// the original interleaved form). With `half = headDim / 2`, for `i < half`:
///
///     invFrequency[i] = theta^(-2i / headDim)
///     angle           = position · invFrequency[i]
///     out[i]          = x[i] · cos(angle) - x[i + half] · sin(angle)
///     out[i + half]   = x[i + half] · cos(angle) + x[i] · sin(angle)
///
/// Frequencies and angles are computed in `Double` and only cos/sin are rounded
/// to `Float`. Hugging Face computes the angle in float32, whose rounding error
/// grows with the position (half a float32 ulp of 4096 is 2.4e-4 rad), so at long
/// contexts this is the more accurate of the two and they differ by about that much.
public struct RotaryEmbedding: Sendable {
    /// Features per head; even.
    public let headDim: Int

    /// The frequency base (`rope_theta` in Hugging Face configs: 10000 for Llama 2).
    public let theta: Float

    /// `theta^(-2i / headDim)` for `i` in `0..<headDim/2`, in radians per position.
    public let inverseFrequencies: [Double]

    /// Creates the embedding for heads of `headDim` features.
    ///
    /// - Parameters:
    ///   - headDim: Features per head; must be even and positive.
    ///   - theta: The frequency base; must be positive.
    public init(headDim: Int, theta: Float) {
        precondition(headDim > 0 && headDim % 2 == 0, "RotaryEmbedding: headDim \(headDim) must be even and positive")
        precondition(theta > 0, "RotaryEmbedding: theta \(theta) must be positive")
        self.headDim = headDim
        self.theta = theta
        self.inverseFrequencies = (0..<(headDim / 2)).map { i in
            pow(Double(theta), -Double(2 * i) / Double(headDim))
        }
    }

    /// Rotates every head of every row in place.
    ///
    /// - Parameters:
    ///   - x: `[T, heads · headDim]`; row `t` holds the heads of the token at `positions[t]`.
    ///   - heads: Number of heads in a row.
    ///   - positions: Absolute position of each row, `T` of them.
    /// - Complexity: O(`x.count`), plus `T × headDim/2` cos/sin pairs.
    public func apply(_ x: inout Tensor, heads: Int, positions: [Int]) {
        precondition(
            x.columns == heads * headDim,
            "RotaryEmbedding: rows are \(x.columns) wide, expected \(heads) heads × \(headDim)")
        precondition(positions.count == x.rows, "RotaryEmbedding: \(positions.count) positions for \(x.rows) rows")
        x.scalars.withUnsafeMutableBufferPointer { scalars in
            positions.withUnsafeBufferPointer { positions in
                apply(to: scalars, heads: heads, positions: positions)
            }
        }
    }

    /// Rotates every head of `positions.count` rows in caller-owned memory.
    ///
    /// - Parameters:
    ///   - x: `positions.count × (heads · headDim)` row-major.
    ///   - heads: Number of heads in a row.
    ///   - positions: Absolute position of each row.
    public func apply(to x: UnsafeMutableBufferPointer<Float>, heads: Int, positions: UnsafeBufferPointer<Int>) {
        let half = headDim / 2
        let rowWidth = heads * headDim
        precondition(x.count >= positions.count * rowWidth, "RotaryEmbedding: buffer too short")
        var cosines = [Float](repeating: 0, count: half)
        var sines = [Float](repeating: 0, count: half)
        for (row, position) in positions.enumerated() {
            precondition(position >= 0, "RotaryEmbedding: negative position \(position)")
            for i in 0..<half {
                let angle = Double(position) * inverseFrequencies[i]
                cosines[i] = Float(cos(angle))
                sines[i] = Float(sin(angle))
            }
            for head in 0..<heads {
                let start = row * rowWidth + head * headDim
                for i in 0..<half {
                    let first = x[start + i]
                    let second = x[start + i + half]
                    x[start + i] = first * cosines[i] - second * sines[i]
                    x[start + i + half] = second * cosines[i] + first * sines[i]
                }
            }
        }
    }
}
