import MeshTensor
import Testing

@Suite struct SwiGLUTests {
    /// `down(silu(gate(x)) ⊙ up(x))`, elementwise from the definition.
    static func naiveSwiGLU(_ x: Tensor, gate: Tensor, up: Tensor, down: Tensor) -> [Float] {
        let (rows, hidden, ffn) = (x.rows, x.columns, gate.rows)
        let g = naiveLinear(x.scalars, rows: rows, inFeatures: hidden, weight: gate.scalars, outFeatures: ffn)
        let u = naiveLinear(x.scalars, rows: rows, inFeatures: hidden, weight: up.scalars, outFeatures: ffn)
        let activated = zip(g, u).map { g, u in Float(Double(g) * naiveSigmoid(Double(g)) * Double(u)) }
        return naiveLinear(activated, rows: rows, inFeatures: ffn, weight: down.scalars, outFeatures: hidden)
    }

    @Test(arguments: [(1, 4, 6), (3, 5, 2), (7, 16, 24)])
    func swigluMatchesNaiveLoop(rows: Int, hidden: Int, ffn: Int) {
        var generator = SeededGenerator(seed: UInt64(rows * 10_000 + hidden * 100 + ffn))
        let x = randomTensor([rows, hidden], using: &generator)
        let gate = randomTensor([ffn, hidden], using: &generator)
        let up = randomTensor([ffn, hidden], using: &generator)
        let down = randomTensor([hidden, ffn], using: &generator)
        let y = swiglu(x, gate: gate, up: up, down: down)
        #expect(y.shape == [rows, hidden])
        expectClose(y.scalars, Self.naiveSwiGLU(x, gate: gate, up: up, down: down))
    }

    @Test func pointerSwigluScalesRowsAndAccumulates() {
        let (rows, hidden, ffn) = (3, 4, 5)
        var generator = SeededGenerator(seed: 77)
        let x = randomTensor([rows, hidden], using: &generator)
        let gate = randomTensor([ffn, hidden], using: &generator)
        let up = randomTensor([ffn, hidden], using: &generator)
        let down = randomTensor([hidden, ffn], using: &generator)
        let previous = randomTensor([rows, hidden], using: &generator).scalars
        let scales: [Float] = [0.5, -2, 0.25]

        var out = previous
        var scratch = [Float](repeating: .nan, count: 2 * rows * ffn)  // NaN: stale scratch must not leak in
        x.scalars.withUnsafeBufferPointer { x in
            gate.scalars.withUnsafeBufferPointer { gate in
                up.scalars.withUnsafeBufferPointer { up in
                    down.scalars.withUnsafeBufferPointer { down in
                        scales.withUnsafeBufferPointer { scales in
                            scratch.withUnsafeMutableBufferPointer { scratch in
                                out.withUnsafeMutableBufferPointer { out in
                                    swiglu(x, rows: rows, hidden: hidden, gate: gate, up: up, down: down, ffn: ffn,
                                           rowScales: scales, scratch: scratch, into: out, accumulate: true)
                                }
                            }
                        }
                    }
                }
            }
        }
        let plain = Self.naiveSwiGLU(x, gate: gate, up: up, down: down)
        let expected = (0..<(rows * hidden)).map { previous[$0] + scales[$0 / hidden] * plain[$0] }
        expectClose(out, expected)
    }
}
