import MeshTensor
import Testing

@Suite struct BLASThreadsTests {
    /// `(ranksOnNode, cores, override, expected)`.
    @Test(arguments: [
        (1, 2, nil, 2),     // one rank takes every core
        (2, 2, nil, 1),     // two ranks share two cores
        (3, 8, nil, 2),     // 8 / 3 rounds down: 3 × 2 = 6 ≤ 8
        (4, 64, nil, 16),
        (4, 2, nil, 1),     // more ranks than cores: still at least 1
        (2, 2, 4, 4),       // an explicit override wins, even oversubscribed
        (1, 16, 1, 1),
    ] as [(Int, Int, Int?, Int)])
    func recommendedThreads(ranksOnNode: Int, cores: Int, override: Int?, expected: Int) {
        let threads = BLASThreads.recommended(ranksOnNode: ranksOnNode, cores: cores, override: override)
        #expect(threads == expected)
        if override == nil {
            #expect(ranksOnNode * threads <= max(cores, ranksOnNode))
        }
    }

    @Test func setIsReadBackByCurrent() {
        let before = BLASThreads.current
        #expect(before >= 1)
        BLASThreads.set(1)
        #expect(BLASThreads.current == 1)
        BLASThreads.set(before)
        #expect(BLASThreads.current == before)
    }
}
