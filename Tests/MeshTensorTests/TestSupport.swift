import MeshTensor
import Numerics
import Testing

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny seeded generator so every random case is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A tensor of uniform values in `-1...1`.
func randomTensor(_ shape: [Int], using generator: inout SeededGenerator) -> Tensor {
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<count).map { _ in Float.random(in: -1...1, using: &generator) })
}

/// Expects `actual` to match `expected` element-wise.
///
/// Each element must be within `tolerance` relative to itself, or within
/// `tolerance × max(1, largest |expected|)` absolutely: float32 sums of many
/// terms lose absolute, not relative, precision near zero. Reports the first mismatch only.
func expectClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "count \(actual.count) vs \(expected.count)", sourceLocation: sourceLocation)
    let scale = max(1, expected.lazy.map(\.magnitude).max() ?? 0)
    let mismatch = zip(actual, expected).enumerated().first { _, pair in
        !pair.0.isApproximatelyEqual(to: pair.1, absoluteTolerance: tolerance * scale, relativeTolerance: tolerance)
    }
    #expect(
        mismatch == nil,
        "element \(mismatch?.offset ?? -1): got \(mismatch?.element.0 ?? .nan), expected \(mismatch?.element.1 ?? .nan)",
        sourceLocation: sourceLocation)
}

// MARK: - Naive references, in Double, written from the formulas and not from the kernels.

/// `y[t][o] = Σᵢ x[t][i] · w[o][i] + bias[o]`.
func naiveLinear(_ x: [Float], rows: Int, inFeatures: Int, weight: [Float], outFeatures: Int, bias: [Float]? = nil) -> [Float] {
    var y = [Float](repeating: 0, count: rows * outFeatures)
    for t in 0..<rows {
        for o in 0..<outFeatures {
            var sum = Double(bias?[o] ?? 0)
            for i in 0..<inFeatures {
                sum += Double(x[t * inFeatures + i]) * Double(weight[o * inFeatures + i])
            }
            y[t * outFeatures + o] = Float(sum)
        }
    }
    return y
}

func naiveSigmoid(_ x: Double) -> Double {
    1 / (1 + Double.exp(-x))
}

func naiveSoftmax(_ row: [Double]) -> [Double] {
    let maximum = row.max()!
    let exponentials = row.map { Double.exp($0 - maximum) }
    let sum = exponentials.reduce(0, +)
    return exponentials.map { $0 / sum }
}

/// Causal GQA attention by definition: for each head and query, softmax over the visible keys, then a weighted sum of values.
func naiveAttention(
    q: [Float], k: [Float], v: [Float], queries: Int, keys: Int,
    heads: Int, kvHeads: Int, headDim: Int, queryOffset: Int
) -> [Float] {
    var out = [Float](repeating: 0, count: queries * heads * headDim)
    for h in 0..<heads {
        let g = h / (heads / kvHeads)
        for t in 0..<queries {
            let visible = queryOffset + t + 1
            var scores = [Double]()
            for s in 0..<visible {
                var dot = 0.0
                for d in 0..<headDim {
                    dot += Double(q[t * heads * headDim + h * headDim + d]) * Double(k[s * kvHeads * headDim + g * headDim + d])
                }
                scores.append(dot / Double(headDim).squareRoot())
            }
            let weights = naiveSoftmax(scores)
            for d in 0..<headDim {
                var sum = 0.0
                for s in 0..<visible {
                    sum += weights[s] * Double(v[s * kvHeads * headDim + g * headDim + d])
                }
                out[t * heads * headDim + h * headDim + d] = Float(sum)
            }
        }
    }
    return out
}
