import MeshCore
import MeshTensor

/// What one serving step runs on one stepper: a state and a slot per running request.
public struct ServingBatch {
    /// New tokens per running request: its whole prompt in the step that admits it, then one.
    public var states: [Tensor]
    public var slots: [Int]
    /// Rows of `states` in all.
    public var tokens: Int
    /// Requests admitted by this step (their prompts are in it).
    public var admitted: Int

    public var isEmpty: Bool { states.isEmpty }
}

/// Continuous batching of one stepper's requests, as a state machine without I/O or clock.
///
/// Each step holds one decode token of every running request, then the prompts of arrived
/// requests admitted first come, first served while the step's tokens stay within
/// ``ServingLimits/maxBatchTokens`` and the running requests within
/// ``ServingLimits/maxSequences``. Admission stops at the first request that does not fit, so a
/// long prompt is never overtaken. A prompt step produces a request's first output token, every
/// later step one more; a request that has all its tokens leaves, freeing its KV cache slot.
///
/// Running requests stay in admission order, which is also the order of a batch's states.
public struct ServingScheduler {
    public let limits: ServingLimits
    let head: ModelHead
    let coordinator: Int
    let prompt: (ServingWorkload.Request) -> Tensor
    /// This stepper's requests in arrival order; `next` is the first not yet admitted.
    let requests: [ServingWorkload.Request]
    private var next = 0
    private var running: [Running] = []
    /// Free KV cache slots, the highest first (so that `popLast` takes the lowest).
    private var freeSlots: [Int]
    /// Completed requests, in completion order.
    public private(set) var records: [RequestRecord] = []
    /// Steps taken (including steps this stepper joined without a token) and tokens they ran.
    public private(set) var steps = 0
    public private(set) var batchTokens = 0
    /// When set, the last row each request produced at each step, by request id (for tests).
    public private(set) var producedRows: [Int: [Float]]?

    struct Running {
        var request: ServingWorkload.Request
        var slot: Int
        var produced = 0
        var firstTokenSeconds = 0.0
        /// The last output row (`[1, hidden]`), from which the next input is derived.
        var last: Tensor?
    }

    /// - Parameters:
    ///   - requests: this stepper's requests, in arrival order.
    ///   - coordinator: recorded with each request.
    ///   - prompt: the first layer's input of a request's prompt, `[promptTokens, hidden]`.
    ///   - keepOutputs: keep every produced row in ``producedRows``.
    public init(requests: [ServingWorkload.Request], limits: ServingLimits, head: ModelHead, coordinator: Int = 0,
                keepOutputs: Bool = false, prompt: @escaping (ServingWorkload.Request) -> Tensor) {
        precondition(limits.maxBatchTokens >= 1 && limits.maxSequences >= 1)
        precondition(zip(requests, requests.dropFirst()).allSatisfy { $0.arrivalSeconds <= $1.arrivalSeconds })
        self.requests = requests
        self.limits = limits
        self.head = head
        self.coordinator = coordinator
        self.prompt = prompt
        freeSlots = Array((0..<limits.maxSequences).reversed())
        producedRows = keepOutputs ? [:] : nil
    }

    /// Every request has completed.
    public var isFinished: Bool { next == requests.count && running.isEmpty }
    /// When the first request not yet admitted arrives.
    public var nextArrivalSeconds: Double? { next < requests.count ? requests[next].arrivalSeconds : nil }
    /// Requests running now.
    public var runningCount: Int { running.count }

    /// The next step at time `now`: a decode token of every running request, then the prompts
    /// of the requests it admits. Empty when nothing runs and nothing can be admitted.
    public mutating func plan(now: Double) -> ServingBatch {
        var states = running.map { head.nextInput(after: $0.last!) }
        var tokens = states.count, admitted = 0
        while next < requests.count, requests[next].arrivalSeconds <= now, running.count < limits.maxSequences,
              tokens + requests[next].promptTokens <= limits.maxBatchTokens {
            let request = requests[next]
            let state = prompt(request)
            precondition(state.rows == request.promptTokens, "a prompt of \(state.rows) rows for \(request.promptTokens) tokens")
            running.append(Running(request: request, slot: freeSlots.removeLast()))
            states.append(state)
            tokens += request.promptTokens
            admitted += 1
            next += 1
        }
        return ServingBatch(states: states, slots: running.map(\.slot), tokens: tokens, admitted: admitted)
    }

    /// Takes the outputs of a step planned by ``plan(now:)`` that ended at `seconds`.
    ///
    /// - Returns: the slots of the requests that completed, to release in the stepper.
    public mutating func complete(_ batch: ServingBatch, outputs: [Tensor], at seconds: Double) -> [Int] {
        precondition(outputs.count == running.count && batch.slots == running.map(\.slot), "outputs of another batch")
        steps += 1
        batchTokens += batch.tokens
        var released: [Int] = []
        for i in running.indices {
            let last = Generation.lastRow(of: outputs[i])
            running[i].last = last
            running[i].produced += 1
            if running[i].produced == 1 { running[i].firstTokenSeconds = seconds }
            producedRows?[running[i].request.id, default: []] += last.scalars
            let r = running[i]
            if r.produced == r.request.outputTokens {
                records.append(RequestRecord(id: r.request.id, coordinator: coordinator,
                                             arrivalSeconds: r.request.arrivalSeconds, firstTokenSeconds: r.firstTokenSeconds,
                                             finishSeconds: seconds, promptTokens: r.request.promptTokens,
                                             outputTokens: r.request.outputTokens))
                released.append(r.slot)
            }
        }
        running.removeAll { $0.produced == $0.request.outputTokens }
        freeSlots = (freeSlots + released).sorted(by: >)
        return released
    }

    /// The first layer's input for a request's prompt: seeded per request, so that every run of
    /// the same workload feeds the same prompts whichever coordinator serves it.
    ///
    /// Token ids in `0 ..< vocab` through the embedding for a model with a vocabulary, else
    /// hidden states uniform in ±1 (as ``SeededInput`` draws them), from the stream named
    /// `serve.prompt.<id>` of `seed`.
    public static func prompt(for request: ServingWorkload.Request, head: ModelHead, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed, name: "serve.prompt.\(request.id)")
        let model = head.model
        if model.hasEmbedding {
            return head.embed((0..<request.promptTokens).map { _ in Int32(rng.next() % UInt64(model.vocab)) })
        }
        let values = (0..<(request.promptTokens * model.hidden)).map { _ in rng.nextFloat(bound: 1) }
        return Tensor(shape: [request.promptTokens, model.hidden], scalars: values)
    }
}
