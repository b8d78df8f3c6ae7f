import MeshTensor
import Testing

@Suite struct TopKTests {
    @Test func topKReturnsLargestFirst() {
        #expect(topK([0.1, 0.9, 0.3, 0.7], k: 2) == [1, 3])
        #expect(topK([-5, -1, -3], k: 1) == [1])
    }

    @Test func tiesGoToTheLowerIndexFirst() {
        #expect(topK([1, 2, 2, 0, 2], k: 2) == [1, 2])
        #expect(topK([1, 2, 2, 0, 2], k: 4) == [1, 2, 4, 0])
        #expect(topK([5, 5, 5, 5], k: 3) == [0, 1, 2])
        // Signed zeros compare equal, so they are a tie too.
        #expect(topK([-0.0, 0.0], k: 2) == [0, 1])
    }

    @Test func kZeroAndKCount() {
        let values: [Float] = [3, 1, 2]
        #expect(topK(values, k: 0) == [])
        #expect(topK(values, k: 3) == [0, 2, 1])
        #expect(topK([Float](), k: 0) == [])
    }

    @Test func nanRanksBelowEveryNumber() {
        #expect(topK([.nan, -.infinity, 1], k: 2) == [2, 1])
        #expect(topK([.nan, -.infinity, 1], k: 3) == [2, 1, 0])
    }

    /// Both selection paths (k ≤ 32 keeps a buffer, larger k sorts) against a stable sort, with many ties.
    @Test(arguments: [(1, 1), (10, 3), (256, 8), (256, 32), (256, 33), (300, 300)])
    func matchesStableDescendingSort(count: Int, k: Int) {
        var generator = SeededGenerator(seed: UInt64(count * 1000 + k))
        // Values from a small set so that ties are common.
        let values = (0..<count).map { _ in Float(Int.random(in: -10...10, using: &generator)) / 4 }
        let expected = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        #expect(topK(values, k: k) == Array(expected.prefix(k)))
    }
}
