import MeshTensor
import Testing

@Suite struct AttentionTests {
    @Test func handWorkedOneHeadTwoTokens() {
        // 1 head, headDim 2, scale 1/√2. Keys k0 = [0, 0], k1 = [1, 1]; values v0 = [4, 0], v1 = [0, 8].
        // Token 0 sees only key 0: weight [1], output v0 = [4, 0].
        // Token 1 has q1 = [c, c] with c = ln 3 / √2 = 0.7768362, so its scores are
        //   q1·k0 / √2 = 0 and q1·k1 / √2 = 2c / √2 = ln 3,
        //   softmax([0, ln 3]) = [1, 3] / 4 = [0.25, 0.75],
        //   output 0.25·[4, 0] + 0.75·[0, 8] = [1, 6].
        let c = Float.log(3) / Float(2).squareRoot()
        let q = Tensor(shape: [2, 2], scalars: [5, -3, c, c])
        let k = Tensor(shape: [2, 2], scalars: [0, 0, 1, 1])
        let v = Tensor(shape: [2, 2], scalars: [4, 0, 0, 8])
        let out = causalAttention(q: q, k: k, v: v, heads: 1, kvHeads: 1, headDim: 2, queryOffset: 0)
        #expect(out.shape == [2, 2])
        expectClose(out.scalars, [4, 0, 1, 6], tolerance: 1e-6)
    }

    /// `(heads, kvHeads, headDim, tokens)`: multi-head, GQA 4→2, MQA 4→1, a single token.
    @Test(arguments: [(2, 2, 3, 4), (4, 2, 3, 5), (4, 1, 8, 6), (4, 2, 5, 1)])
    func prefillMatchesNaive(heads: Int, kvHeads: Int, headDim: Int, tokens: Int) {
        var generator = SeededGenerator(seed: UInt64(heads * 1000 + kvHeads * 100 + headDim * 10 + tokens))
        let q = randomTensor([tokens, heads * headDim], using: &generator)
        let k = randomTensor([tokens, kvHeads * headDim], using: &generator)
        let v = randomTensor([tokens, kvHeads * headDim], using: &generator)
        let out = causalAttention(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: headDim, queryOffset: 0)
        let expected = naiveAttention(q: q.scalars, k: k.scalars, v: v.scalars, queries: tokens, keys: tokens,
                                      heads: heads, kvHeads: kvHeads, headDim: headDim, queryOffset: 0)
        expectClose(out.scalars, expected)
    }

    /// Decode and chunked prefill over a cache: the last `queries` rows of a full 5-token pass (heads 4, kvHeads 2).
    @Test(arguments: [1, 2, 5])
    func laterQueriesMatchTheLastRowsOfAFullPass(queries: Int) {
        let (heads, kvHeads, headDim, keys) = (4, 2, 3, 5)
        var generator = SeededGenerator(seed: 2024)
        let q = randomTensor([keys, heads * headDim], using: &generator)
        let k = randomTensor([keys, kvHeads * headDim], using: &generator)
        let v = randomTensor([keys, kvHeads * headDim], using: &generator)
        let full = causalAttention(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: headDim, queryOffset: 0)

        let offset = keys - queries
        let later = q.gatherRows(Array(offset..<keys))
        let out = causalAttention(q: later, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                  queryOffset: offset)
        #expect(out.shape == [queries, heads * headDim])
        expectClose(out.scalars, full.gatherRows(Array(offset..<keys)).scalars)
        expectClose(out.scalars, naiveAttention(q: later.scalars, k: k.scalars, v: v.scalars, queries: queries,
                                                keys: keys, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                queryOffset: offset))
    }
}
