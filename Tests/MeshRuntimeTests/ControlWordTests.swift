import Testing
@testable import MeshRuntime

/// The per-step control words: what every rank does for each combination of coordinators' words.
@Suite struct ControlWordTests {
    @Test(arguments: [
        ([0], ControlWord.Agreement.stop),
        ([0, 0, 0], .stop),
        ([1, 1], .run(.prefill)),
        ([2], .run(.decode)),
        ([3], .run(.serve)),
        ([4, 3], .run(.serve)),
        ([0, 3], .run(.serve)),
        ([4, 4], .skip),
        ([0, 4], .skip),
        ([4], .skip),
    ])
    func theCoordinatorsWordsAgree(words: [Int32], expected: ControlWord.Agreement) {
        #expect(ControlWord.agreement(words) == expected)
    }

    @Test(arguments: [[1, 2], [1, 0], [2, 3], [1, 4], [5], [-1, 0], [], [3, 7]] as [[Int32]])
    func wordsThatBreakTheProtocolAreRefused(words: [Int32]) {
        #expect(ControlWord.agreement(words) == nil)
    }
}
