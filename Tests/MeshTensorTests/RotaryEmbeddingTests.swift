import MeshTensor
import Numerics
import Testing

@Suite struct RotaryEmbeddingTests {
    @Test func inverseFrequenciesFollowTheta() {
        // theta^(-2i/headDim) for headDim 8, theta 10000: 1, 10000^-0.25 = 0.1, 0.01, 0.001.
        let rope = RotaryEmbedding(headDim: 8, theta: 10_000)
        let expected = [1, 0.1, 0.01, 0.001]
        #expect(rope.inverseFrequencies.count == 4)
        for (actual, expected) in zip(rope.inverseFrequencies, expected) {
            #expect(actual.isApproximatelyEqual(to: expected, relativeTolerance: 1e-12))
        }
    }

    @Test func handWorkedHeadDim4AtPosition1() {
        // headDim 4, theta 10000, half 2: inv_freq = [10000^0, 10000^(-2/4)] = [1, 0.01].
        // Position 1: angles [1, 0.01] rad.
        //   cos 1 = 0.5403023, sin 1 = 0.8414710, cos 0.01 = 0.9999500, sin 0.01 = 0.0099998.
        // x = [1, 2, 3, 4] pairs feature 0 with 2 (angle 1) and feature 1 with 3 (angle 0.01):
        //   out[0] = 1·cos1    - 3·sin1    = 0.5403023 - 2.5244130 = -1.9841107
        //   out[1] = 2·cos0.01 - 4·sin0.01 = 1.9999000 - 0.0399993 =  1.9599007
        //   out[2] = 3·cos1    + 1·sin1    = 1.6209069 + 0.8414710 =  2.4623779
        //   out[3] = 4·cos0.01 + 2·sin0.01 = 3.9998000 + 0.0199997 =  4.0197997
        // Row 0 is at position 0 (all angles 0): unchanged. Both heads of a row rotate alike.
        let rope = RotaryEmbedding(headDim: 4, theta: 10_000)
        var x = Tensor(shape: [2, 8], scalars: [1, 2, 3, 4, 1, 2, 3, 4,
                                                 1, 2, 3, 4, 1, 2, 3, 4])
        rope.apply(&x, heads: 2, positions: [0, 1])
        let rotated: [Float] = [-1.9841107, 1.9599007, 2.4623779, 4.0197997]
        expectClose(x.scalars, [1, 2, 3, 4, 1, 2, 3, 4] + rotated + rotated, tolerance: 1e-6)
    }

    @Test(arguments: [(3, 2, 8), (1, 4, 16)])
    func matchesDefinitionAtLargePositions(rows: Int, heads: Int, headDim: Int) {
        var generator = SeededGenerator(seed: UInt64(rows * 100 + heads * 10 + headDim))
        let original = randomTensor([rows, heads * headDim], using: &generator)
        let positions = (0..<rows).map { 4093 + 7 * $0 }
        let theta = 500_000.0
        var x = original
        RotaryEmbedding(headDim: headDim, theta: Float(theta)).apply(&x, heads: heads, positions: positions)

        var expected = original.scalars
        let half = headDim / 2
        for t in 0..<rows {
            for h in 0..<heads {
                let start = t * heads * headDim + h * headDim
                for i in 0..<half {
                    let angle = Double(positions[t]) * Double.pow(theta, -Double(2 * i) / Double(headDim))
                    let (a, b) = (Double(original.scalars[start + i]), Double(original.scalars[start + i + half]))
                    expected[start + i] = Float(a * .cos(angle) - b * .sin(angle))
                    expected[start + i + half] = Float(b * .cos(angle) + a * .sin(angle))
                }
            }
        }
        expectClose(x.scalars, expected, tolerance: 1e-6)
    }

    @Test func rotationPreservesEachPairsNorm() {
        var generator = SeededGenerator(seed: 3)
        let original = randomTensor([1, 8], using: &generator)
        var x = original
        RotaryEmbedding(headDim: 8, theta: 10_000).apply(&x, heads: 1, positions: [12_345])
        for i in 0..<4 {
            let before = original.scalars[i] * original.scalars[i] + original.scalars[i + 4] * original.scalars[i + 4]
            let after = x.scalars[i] * x.scalars[i] + x.scalars[i + 4] * x.scalars[i + 4]
            #expect(after.isApproximatelyEqual(to: before, relativeTolerance: 1e-5))
        }
        // And it did rotate: a pure rotation that changed nothing would pass the check above.
        #expect(!x.scalars[0].isApproximatelyEqual(to: original.scalars[0], relativeTolerance: 1e-3))
    }
}
