import Testing
@testable import MeshCore

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

/// Intent and phase to word, and the error that names the coordinator that broke the protocol.
@Suite struct StepControlTests {
    @Test func phasesAndIntentsHaveTheirWords() {
        #expect([StepPhase.prefill, .decode, .serving].map { ControlWord(phase: $0) } == [.prefill, .decode, .serve])
        #expect([ServingIntent.step, .idle, .finished].map { ControlWord(intent: $0) } == [.serve, .idle, .stop])
        #expect([ControlWord.Agreement.run(.serve), .skip, .stop].map(\.decision) == [.step, .skip, .stop])
    }

    @Test(arguments: [([1, 2] as [Int32], 1), ([9, 1], 0), ([1, 1, 7], 2), ([3, 1], 1)])
    func theFirstCoordinatorOutOfStepIsNamed(words: [Int32], coordinator: Int) {
        #expect(throws: ControlError(coordinator: coordinator, words: words)) { _ = try ControlWord.agree(words) }
    }

    @Test func agreeingWordsAgree() throws {
        #expect(try ControlWord.agree([2, 2]) == .run(.decode))
        #expect(try ControlWord.agree([4, 0]) == .skip)
    }
}
