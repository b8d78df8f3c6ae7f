import Testing
@testable import MeshCore
@testable import MeshModel
import MeshTensor

/// A clock for the serving loop that advances 1 ms each time it is read, and jumps when slept.
final class VirtualClock {
    var seconds = 0.0
    var clock: ServingClock {
        ServingClock(now: { [self] in seconds += 0.001; return seconds }, sleep: { [self] in seconds += $0 })
    }
}

@Suite struct ServingSchedulerTests {
    typealias Request = ServingWorkload.Request

    @Test func admitsFirstComeFirstServedWithinTheCaps() throws {
        let model = smallModel()
        let head = try reference(model).head
        let requests = [
            Request(id: 0, arrivalSeconds: 0, promptTokens: 4, outputTokens: 1),
            Request(id: 1, arrivalSeconds: 0, promptTokens: 4, outputTokens: 3),
            Request(id: 2, arrivalSeconds: 0, promptTokens: 4, outputTokens: 2),
            Request(id: 3, arrivalSeconds: 0, promptTokens: 1, outputTokens: 2),
            Request(id: 4, arrivalSeconds: 0, promptTokens: 1, outputTokens: 1),
            Request(id: 5, arrivalSeconds: 5, promptTokens: 1, outputTokens: 1),
        ]
        var s = ServingScheduler(requests: requests, limits: ServingLimits(maxBatchTokens: 10, maxSequences: 3), head: head) {
            Tensor(zeros: [$0.promptTokens, model.hidden])
        }
        // Two prompts of 4 fit in 10 tokens; the third would make 12: admission stops there (FCFS).
        var batch = s.plan(now: 0)
        #expect(batch.tokens == 8 && batch.admitted == 2 && batch.slots == [0, 1])
        // Request 0 wants a single token: its prefill step completes it and frees slot 0.
        #expect(s.complete(batch, outputs: batch.states, at: 0.1) == [0])
        #expect(s.records.map(\.id) == [0] && s.records[0].firstTokenSeconds == 0.1 && s.records[0].finishSeconds == 0.1)
        // One decode (request 1) + 4 + 1 = 6 tokens; request 4 waits: three requests run already.
        batch = s.plan(now: 0.2)
        #expect(batch.tokens == 6 && batch.admitted == 2 && batch.slots == [1, 0, 2])
        #expect(batch.states.map(\.rows) == [1, 4, 1])
        #expect(s.complete(batch, outputs: batch.states, at: 0.3).isEmpty)
        batch = s.plan(now: 0.4)
        #expect(batch.tokens == 3 && batch.admitted == 0)
        #expect(s.complete(batch, outputs: batch.states, at: 0.5) == [1, 0, 2])
        #expect(s.records.map(\.id) == [0, 1, 2, 3])
        let r1 = s.records[1]
        #expect(r1.firstTokenSeconds == 0.1 && r1.finishSeconds == 0.5 && r1.tpotSeconds == 0.2)
        // Request 5 has not arrived: only request 4 is admitted, into the lowest free slot.
        batch = s.plan(now: 0.6)
        #expect(batch.admitted == 1 && batch.slots == [0])
        #expect(s.nextArrivalSeconds == 5 && !s.isFinished && s.steps == 3 && s.batchTokens == 17)
        _ = s.complete(batch, outputs: batch.states, at: 0.7)
        #expect(s.plan(now: 1).isEmpty)
    }

    @Test func anIdleStepperSleepsUntilTheNextArrival() throws {
        let model = smallModel()
        let ref = try reference(model)
        let requests = [Request(id: 0, arrivalSeconds: 2, promptTokens: 2, outputTokens: 2)]
        var s = ServingScheduler(requests: requests, limits: ServingLimits(maxBatchTokens: 8, maxSequences: 2), head: ref.head) {
            ServingScheduler.prompt(for: $0, head: ref.head, seed: 1)
        }
        var stepper = ReferenceStepper(model: ref)
        let clock = VirtualClock()
        try ServingLoop.run(&stepper, scheduler: &s, clock: clock.clock, maxIdleSeconds: .infinity)
        #expect(s.records.count == 1 && s.steps == 2)
        // Woken at the arrival (2 s), read once to plan: the prefill ends 2 ms later.
        #expect(abs(s.records[0].ttftSeconds - 0.002) < 1e-9)
    }

    /// Continuous batching with requests joining and leaving, and slots reused, gives each request
    /// the outputs it gets alone: the slots and their caches are right.
    @Test(arguments: [0, 50])
    func continuousBatchingEqualsEachRequestAlone(vocab: Int) throws {
        let model = smallModel(vocab: vocab)
        let ref = try reference(model)
        let head = ref.head
        let lengths = [(5, 4), (3, 1), (7, 3), (2, 5), (4, 2), (6, 4), (1, 3), (3, 2)]
        let arrivals = [0, 0, 0.0015, 0.002, 0.004, 0.0041, 0.02, 0.021]
        let requests = lengths.indices.map {
            Request(id: $0, arrivalSeconds: arrivals[$0], promptTokens: lengths[$0].0, outputTokens: lengths[$0].1)
        }
        let seed: UInt64 = 11
        var scheduler = ServingScheduler(requests: requests, limits: ServingLimits(maxBatchTokens: 12, maxSequences: 3),
                                         head: head, keepOutputs: true) {
            ServingScheduler.prompt(for: $0, head: head, seed: seed)
        }
        var stepper = ReferenceStepper(model: ref)
        try ServingLoop.run(&stepper, scheduler: &scheduler, clock: VirtualClock().clock, maxIdleSeconds: 0.01)
        #expect(scheduler.isFinished && scheduler.records.count == requests.count)
        // The batches held several requests at once: fewer steps than output tokens.
        #expect(scheduler.steps < lengths.reduce(0) { $0 + $1.1 })
        for request in requests {
            let prompt = ServingScheduler.prompt(for: request, head: head, seed: seed)
            var alone = ReferenceStepper(model: ref)
            let prefill = try Generation.run(&alone, prompts: [prompt], mode: .prefill, steps: 1, head: head)[0]
            let decode = try Generation.run(&alone, prompts: [prompt], mode: .decode, steps: request.outputTokens - 1, head: head)[0]
            let expected = Array(prefill[row: prefill.rows - 1]) + decode.scalars
            let served = scheduler.producedRows?[request.id] ?? []
            #expect(served.count == expected.count)
            expectClose(served, expected, tolerance: 1e-4)
        }
    }

    @Test func promptsAreSeededPerRequest() throws {
        let ref = try reference(smallModel(vocab: 50))
        let r = Request(id: 3, arrivalSeconds: 0, promptTokens: 5, outputTokens: 1)
        let a = ServingScheduler.prompt(for: r, head: ref.head, seed: 1)
        #expect(a.shape == [5, 32])
        #expect(a == ServingScheduler.prompt(for: r, head: ref.head, seed: 1))
        #expect(a != ServingScheduler.prompt(for: Request(id: 4, arrivalSeconds: 0, promptTokens: 5, outputTokens: 1),
                                             head: ref.head, seed: 1))
    }

    @Test func aStepWithoutSequencesRunsNothing() throws {
        let ref = try reference(smallModel())
        var stepper = ReferenceStepper(model: ref)
        stepper.reset(sequences: 2)
        #expect(stepper.step([], slots: [], phase: .serving).isEmpty)
    }
}
