import MeshTensor
import Numerics
import Testing

@Suite struct GEMMTests {
    /// `(rows, inFeatures, outFeatures)`: one row (decode), non-square, sizes around OpenBLAS's blocking.
    static let shapes = [(1, 1, 1), (1, 7, 3), (3, 5, 1), (5, 4, 9), (16, 33, 17), (64, 40, 72)]

    @Test(arguments: shapes)
    func linearMatchesNaiveLoop(rows: Int, inFeatures: Int, outFeatures: Int) {
        var generator = SeededGenerator(seed: UInt64(rows * 10_000 + inFeatures * 100 + outFeatures))
        let x = randomTensor([rows, inFeatures], using: &generator)
        let weight = randomTensor([outFeatures, inFeatures], using: &generator)
        let y = linear(x, weight: weight)
        #expect(y.shape == [rows, outFeatures])
        expectClose(y.scalars, naiveLinear(x.scalars, rows: rows, inFeatures: inFeatures,
                                           weight: weight.scalars, outFeatures: outFeatures))
    }

    @Test(arguments: shapes)
    func linearAddsBiasToEveryRow(rows: Int, inFeatures: Int, outFeatures: Int) {
        var generator = SeededGenerator(seed: UInt64(7 + rows * 10_000 + inFeatures * 100 + outFeatures))
        let x = randomTensor([rows, inFeatures], using: &generator)
        let weight = randomTensor([outFeatures, inFeatures], using: &generator)
        let bias = randomTensor([outFeatures], using: &generator)
        let y = linear(x, weight: weight, bias: bias)
        expectClose(y.scalars, naiveLinear(x.scalars, rows: rows, inFeatures: inFeatures,
                                           weight: weight.scalars, outFeatures: outFeatures, bias: bias.scalars))
    }

    @Test(arguments: shapes)
    func pointerLinearOverwritesOrAccumulates(rows: Int, inFeatures: Int, outFeatures: Int) {
        var generator = SeededGenerator(seed: UInt64(13 + rows * 10_000 + inFeatures * 100 + outFeatures))
        let x = randomTensor([rows, inFeatures], using: &generator).scalars
        let weight = randomTensor([outFeatures, inFeatures], using: &generator).scalars
        let previous = randomTensor([rows, outFeatures], using: &generator).scalars
        let product = naiveLinear(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures)

        for accumulate in [false, true] {
            // One spare element past the end, as in a reused scratch buffer: it must stay untouched.
            var out = previous + [42]
            x.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { weight in
                    out.withUnsafeMutableBufferPointer { out in
                        linear(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
                               into: out, accumulate: accumulate)
                    }
                }
            }
            let expected = accumulate ? zip(previous, product).map { $0 + $1 } : product
            expectClose(Array(out.dropLast()), expected)
            #expect(out.last!.isApproximatelyEqual(to: 42, relativeTolerance: 0))
        }
    }

    @Test(arguments: [Transpose.noTranspose, .transpose], [Transpose.noTranspose, .transpose])
    func gemmHonoursTransposesAlphaBetaAndStrides(transposeA: Transpose, transposeB: Transpose) {
        let (m, n, k) = (4, 3, 5)
        let padding = 2  // every stored row is `padding` elements wider than the view
        var generator = SeededGenerator(seed: 99)
        let (aRows, aColumns) = transposeA == .noTranspose ? (m, k) : (k, m)
        let (bRows, bColumns) = transposeB == .noTranspose ? (k, n) : (n, k)
        let (lda, ldb, ldc) = (aColumns + padding, bColumns + padding, n + padding)
        let a = randomTensor([aRows, lda], using: &generator).scalars
        let b = randomTensor([bRows, ldb], using: &generator).scalars
        let c = randomTensor([m, ldc], using: &generator).scalars
        let (alpha, beta): (Float, Float) = (0.5, -2)

        var expected = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let aValue = transposeA == .noTranspose ? a[i * lda + p] : a[p * lda + i]
                    let bValue = transposeB == .noTranspose ? b[p * ldb + j] : b[j * ldb + p]
                    sum += Double(aValue) * Double(bValue)
                }
                expected[i * ldc + j] = Float(Double(alpha) * sum + Double(beta) * Double(c[i * ldc + j]))
            }
        }

        var result = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    gemm(transposeA, transposeB, m: m, n: n, k: k, alpha: alpha,
                         a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                }
            }
        }
        // Padding columns of C are compared too: they must be left as they were.
        expectClose(result, expected)
    }

    @Test func gemmWithEmptyInnerDimensionOnlyScalesC() {
        var c: [Float] = [1, 2, 3, 4]
        let empty: [Float] = []
        empty.withUnsafeBufferPointer { nothing in
            c.withUnsafeMutableBufferPointer { c in
                gemm(m: 2, n: 2, k: 0, a: nothing, lda: 1, b: nothing, ldb: 2, beta: 3, c: c, ldc: 2)
            }
        }
        expectClose(c, [3, 6, 9, 12])
    }

    @Test func linearWithNoRowsReturnsEmptyOutput() {
        let y = linear(Tensor(zeros: [0, 4]), weight: Tensor(shape: [3, 4], repeating: 1))
        #expect(y.shape == [0, 3])
    }
}
