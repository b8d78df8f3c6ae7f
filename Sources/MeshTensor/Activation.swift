#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The logistic function `1 / (1 + e^-x)`.
///
/// Saturates to exactly 0 below about -88 (where `e^-x` overflows to infinity)
/// and to 1 above about 17 (float rounding), never producing NaN for finite `x`.
public func sigmoid(_ x: Float) -> Float {
    1 / (1 + expf(-x))
}

/// The SiLU (swish) activation `x · sigmoid(x)`, as in PyTorch `nn.SiLU`.
public func silu(_ x: Float) -> Float {
    x * sigmoid(x)
}

/// Replaces a row of logits with their softmax, `e^(xᵢ - max) / Σⱼ e^(xⱼ - max)`.
///
/// Subtracting the row maximum first keeps every exponent ≤ 0, so large logits
/// (say 1000) cannot overflow. As in PyTorch, a row of only `-infinity` becomes
/// NaN; a row with some `-infinity` entries (masked positions) gives them 0.
/// An empty row is left alone.
///
/// - Complexity: O(`row.count`).
public func softmaxInPlace(_ row: UnsafeMutableBufferPointer<Float>) {
    guard var maximum = row.first else { return }
    for value in row where value > maximum {
        maximum = value
    }
    var sum: Float = 0
    for index in row.indices {
        let exponential = expf(row[index] - maximum)
        row[index] = exponential
        sum += exponential
    }
    let reciprocal = 1 / sum
    for index in row.indices {
        row[index] *= reciprocal
    }
}

/// Replaces a row of logits with their softmax, computed as the buffer overload does.
public func softmaxInPlace(_ row: inout [Float]) {
    row.withUnsafeMutableBufferPointer { softmaxInPlace($0) }
}

/// Replaces each row of `x` (each run of `columns` scalars) with its softmax.
public func softmaxInPlace(_ x: inout Tensor) {
    let (rows, columns) = (x.rows, x.columns)
    x.scalars.withUnsafeMutableBufferPointer { all in
        for row in 0..<rows {
            softmaxInPlace(UnsafeMutableBufferPointer(rebasing: all[(row * columns)..<((row + 1) * columns)]))
        }
    }
}

/// Returns the row-wise softmax of `x`, each row computed as the buffer overload does.
public func softmax(_ x: Tensor) -> Tensor {
    var result = x
    softmaxInPlace(&result)
    return result
}
