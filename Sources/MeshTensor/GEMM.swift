internal import CBLAS

/// Whether GEMM reads an operand as stored or transposed (BLAS `CblasNoTrans` / `CblasTrans`).
public enum Transpose: Sendable, Hashable {
    /// Use the matrix as stored (`CblasNoTrans`).
    case noTranspose
    /// Use the transpose of the stored matrix (`CblasTrans`).
    case transpose

    var cblas: CBLAS_TRANSPOSE {
        switch self {
        case .noTranspose: CblasNoTrans
        case .transpose: CblasTrans
        }
    }
}

/// Row-major single-precision matrix multiply: `C = alpha · op(A) · op(B) + beta · C`.
///
/// A thin wrapper over `cblas_sgemm` with `CblasRowMajor`. `op(A)` is `m × k` and
/// `op(B)` is `k × n`; `C` is `m × n`. Each operand may be a strided view into a
/// wider matrix (for example one attention head inside `[T, heads·headDim]`):
/// pass the buffer starting at the view's first element and the full row length
/// as the leading dimension. Every buffer must reach the view's last element,
/// which is checked.
///
/// As in reference BLAS, `C` is not read when `beta` is 0, so it may hold anything.
/// Degenerate sizes are handled here rather than in OpenBLAS (which rejects a
/// leading dimension of 0): `m == 0` or `n == 0` does nothing, and `k == 0`
/// only scales `C` by `beta`.
///
/// - Parameters:
///   - transposeA: How to read `a`; stored `m × k` for `.noTranspose`, `k × m` for `.transpose`.
///   - transposeB: How to read `b`; stored `k × n` for `.noTranspose`, `n × k` for `.transpose`.
///   - m: Rows of `op(A)` and `C`.
///   - n: Columns of `op(B)` and `C`.
///   - k: The shared dimension.
///   - alpha: Scale of the product.
///   - a: The stored A, from its first element.
///   - lda: Distance in elements between consecutive stored rows of A.
///   - b: The stored B, from its first element.
///   - ldb: Distance in elements between consecutive stored rows of B.
///   - beta: Scale of the existing `C`; 0 overwrites it.
///   - c: The output, from its first element.
///   - ldc: Distance in elements between consecutive rows of C.
/// - Complexity: O(`m` × `n` × `k`).
public func gemm(
    _ transposeA: Transpose = .noTranspose,
    _ transposeB: Transpose = .noTranspose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm sizes must be non-negative: m \(m), n \(n), k \(k)")
    if m == 0 || n == 0 { return }
    checkExtent(c.count, rows: m, columns: n, leadingDimension: ldc, operand: "C")
    if k == 0 {
        scaleMatrix(c, rows: m, columns: n, leadingDimension: ldc, by: beta)
        return
    }
    let (aRows, aColumns) = transposeA == .noTranspose ? (m, k) : (k, m)
    let (bRows, bColumns) = transposeB == .noTranspose ? (k, n) : (n, k)
    checkExtent(a.count, rows: aRows, columns: aColumns, leadingDimension: lda, operand: "A")
    checkExtent(b.count, rows: bRows, columns: bColumns, leadingDimension: ldb, operand: "B")
    cblas_sgemm(
        CblasRowMajor, transposeA.cblas, transposeB.cblas,
        blasInt(m), blasInt(n), blasInt(k),
        alpha, a.baseAddress, blasInt(lda),
        b.baseAddress, blasInt(ldb),
        beta, c.baseAddress, blasInt(ldc))
}

/// Checks that a row-major `rows × columns` view with the given leading dimension fits in `available` elements.
private func checkExtent(_ available: Int, rows: Int, columns: Int, leadingDimension: Int, operand: String) {
    precondition(
        leadingDimension >= columns,
        "gemm: leading dimension of \(operand) (\(leadingDimension)) is shorter than its rows (\(columns))")
    let needed = (rows - 1) * leadingDimension + columns
    precondition(
        available >= needed,
        "gemm: \(operand) has \(available) elements, a \(rows)×\(columns) view with stride \(leadingDimension) needs \(needed)")
}

/// `C = beta · C` over a strided view, with `beta == 0` writing zeros (never reading C, as BLAS does).
private func scaleMatrix(
    _ c: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int, leadingDimension: Int, by beta: Float
) {
    for row in 0..<rows {
        for column in 0..<columns {
            let index = row * leadingDimension + column
            c[index] = beta == 0 ? 0 : beta * c[index]
        }
    }
}

/// Converts a size to OpenBLAS's `blasint` (32-bit in the LP64 build that Debian ships), trapping on overflow.
private func blasInt(_ value: Int) -> blasint {
    blasint(value)
}
