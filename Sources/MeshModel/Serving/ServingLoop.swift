import MeshCore
import MeshTensor

/// A ``ModelStepper`` that can serve: before each step it tells the others (if any) its intent.
public protocol ServingStepper: ModelStepper {
    /// Says what this stepper would do and returns what the step does.
    ///
    /// A stepper alone steps when it has tokens, skips when idle and stops when finished; the
    /// distributed coordinators step when any of them has tokens and stop when all have finished.
    mutating func agree(_ intent: ServingIntent) throws -> ServingDecision
}

extension ReferenceStepper: ServingStepper {
    public func agree(_ intent: ServingIntent) -> ServingDecision {
        switch intent {
        case .step: .step
        case .idle: .skip
        case .finished: .stop
        }
    }
}

/// The clock of a serving run: seconds since its start, and a way to wait.
public struct ServingClock {
    public var now: () -> Double
    public var sleep: (Double) -> Void

    public init(now: @escaping () -> Double, sleep: @escaping (Double) -> Void) {
        self.now = now
        self.sleep = sleep
    }
}

/// Serves a ``ServingScheduler``'s requests on a ``ServingStepper`` until every stepper is done.
public enum ServingLoop {
    /// Plans a step, agrees on it with the other steppers, runs it (or waits for arrivals when
    /// nobody has a token), and hands the outputs to the scheduler, until all have finished.
    ///
    /// - Parameter maxIdleSeconds: the longest wait between two agreements when nobody has a
    ///   token; a distributed stepper keeps it short so that its peers' waits never run out.
    public static func run<S: ServingStepper>(_ stepper: inout S, scheduler: inout ServingScheduler, clock: ServingClock,
                                              maxIdleSeconds: Double) throws {
        try stepper.reset(sequences: scheduler.limits.maxSequences)
        while true {
            let batch = scheduler.plan(now: clock.now())
            let intent: ServingIntent = !batch.isEmpty ? .step : scheduler.isFinished ? .finished : .idle
            switch try stepper.agree(intent) {
            case .stop:
                precondition(intent == .finished, "stopped with requests left")
                return
            case .step:
                let outputs = try stepper.step(batch.states, slots: batch.slots, phase: .serving)
                for slot in scheduler.complete(batch, outputs: outputs, at: clock.now()) { stepper.release(slot: slot) }
            case .skip:
                precondition(batch.isEmpty, "skipped a step with tokens")
                let now = clock.now()
                let wake = min(scheduler.nextArrivalSeconds ?? .infinity, now + maxIdleSeconds)
                if wake > now, wake.isFinite { clock.sleep(wake - now) }
            }
        }
    }
}
