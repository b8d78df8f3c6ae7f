import MeshTensor
import Numerics
import Testing

@Suite struct ActivationTests {
    @Test(arguments: [-100, -10, -1, -0.25, 0, 0.5, 3, 20, 100] as [Float])
    func sigmoidAndSiluMatchTheirDefinitions(x: Float) {
        let expectedSigmoid = naiveSigmoid(Double(x))
        #expect(Double(sigmoid(x)).isApproximatelyEqual(to: expectedSigmoid, absoluteTolerance: 1e-30, relativeTolerance: 1e-6))
        #expect(Double(silu(x)).isApproximatelyEqual(to: Double(x) * expectedSigmoid, absoluteTolerance: 1e-30, relativeTolerance: 1e-6))
    }

    @Test func sigmoidKnownValues() {
        #expect(sigmoid(0).isApproximatelyEqual(to: 0.5, relativeTolerance: 1e-7))
        // sigmoid(ln 3) = 1 / (1 + 1/3) = 0.75.
        #expect(sigmoid(Float.log(3)).isApproximatelyEqual(to: 0.75, relativeTolerance: 1e-6))
        #expect(!sigmoid(-1000).isNaN && !sigmoid(1000).isNaN)
    }

    @Test func softmaxOfSmallRowMatchesDefinition() {
        var row: [Float] = [1, 2, 3]
        softmaxInPlace(&row)
        // e⁰, e¹, e² over their sum 1 + 2.71828 + 7.38906 = 11.10734.
        expectClose(row, [0.0900306, 0.2447285, 0.6652410], tolerance: 1e-6)
    }

    @Test func softmaxOfLargeValuesDoesNotOverflow() {
        // e^1000 overflows Float (max ≈ 3.4e38 ≈ e^88.7); subtracting the max makes these e^-2, e^-1, e^0.
        var row: [Float] = [1000, 999, 998]
        softmaxInPlace(&row)
        #expect(row.allSatisfy { $0.isFinite })
        expectClose(row, [0.6652410, 0.2447285, 0.0900306], tolerance: 1e-6)
        var negative: [Float] = [-1000, -1000]
        softmaxInPlace(&negative)
        expectClose(negative, [0.5, 0.5])
    }

    @Test func softmaxGivesMaskedEntriesZero() {
        var row: [Float] = [0, -.infinity, Float.log(3)]
        softmaxInPlace(&row)
        expectClose(row, [0.25, 0, 0.75], tolerance: 1e-6)
    }

    @Test func softmaxOfTensorWorksRowByRow() {
        var generator = SeededGenerator(seed: 5)
        let logits = randomTensor([4, 7], using: &generator)
        let probabilities = softmax(logits)
        #expect(probabilities.shape == [4, 7])
        for row in 0..<4 {
            let expected = naiveSoftmax(logits[row: row].map(Double.init)).map(Float.init)
            expectClose(Array(probabilities[row: row]), expected, tolerance: 1e-6)
        }
    }
}

@Suite struct RMSNormTests {
    @Test(arguments: [(1, 1), (1, 8), (3, 5), (4, 7168)])
    func rmsNormMatchesNaiveLoop(rows: Int, hidden: Int) {
        var generator = SeededGenerator(seed: UInt64(rows * 100_000 + hidden))
        let x = randomTensor([rows, hidden], using: &generator)
        let weight = randomTensor([hidden], using: &generator)
        let epsilon: Float = 1e-6
        var expected = [Float]()
        for t in 0..<rows {
            let row = x[row: t].map(Double.init)
            let meanSquare = row.map { $0 * $0 }.reduce(0, +) / Double(hidden)
            let inverseRoot = 1 / (meanSquare + Double(epsilon)).squareRoot()
            expected += (0..<hidden).map { Float(row[$0] * inverseRoot * Double(weight.scalars[$0])) }
        }
        let y = rmsNorm(x, weight: weight, epsilon: epsilon)
        #expect(y.shape == x.shape)
        expectClose(y.scalars, expected)
    }

    @Test func rmsNormHandWorked() {
        // Row [3, 4]: mean square (9 + 16) / 2 = 12.5, rms = 3.5355339; with epsilon 0 and weight [1, 2]
        // the result is [3 / 3.5355339, 2 · 4 / 3.5355339] = [0.8485281, 2.2627417].
        let y = rmsNorm(Tensor(shape: [1, 2], scalars: [3, 4]), weight: Tensor(shape: [2], scalars: [1, 2]), epsilon: 0)
        expectClose(y.scalars, [0.8485281, 2.2627417], tolerance: 1e-6)
    }

    @Test func rmsNormEpsilonKeepsZeroRowFinite() {
        let y = rmsNorm(Tensor(zeros: [2, 3]), weight: Tensor(shape: [3], repeating: 1), epsilon: 1e-5)
        #expect(y.scalars.allSatisfy { $0.isFinite && $0.magnitude < 1e-30 })
    }
}
