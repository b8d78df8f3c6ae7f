/// The per-step control word a coordinator sends to every rank before a step's layers.
///
/// `run` sends the same word from every coordinator: prefill or decode, then stop. `serve` lets
/// each coordinator say whether it has tokens (serve), has none now (idle) or has finished
/// (stop): the step runs its layers when any coordinator serves, is skipped when none does, and
/// the run ends when every coordinator has finished.
public enum ControlWord: Int32, Sendable, CaseIterable {
    case stop = 0
    case prefill = 1
    case decode = 2
    case serve = 3
    case idle = 4

    /// The word that starts a step of `phase`.
    public init(phase: StepPhase) {
        switch phase {
        case .prefill: self = .prefill
        case .decode: self = .decode
        case .serving: self = .serve
        }
    }

    /// The word a serving coordinator sends for `intent`.
    public init(intent: ServingIntent) {
        switch intent {
        case .step: self = .serve
        case .idle: self = .idle
        case .finished: self = .stop
        }
    }

    /// What the coordinators' words of one step make every rank do.
    public enum Agreement: Sendable, Equatable {
        /// Run every layer; the phase code for the metrics.
        case run(ControlWord)
        /// Run nothing this step.
        case skip
        case stop

        /// The same, as a serving coordinator's decision.
        public var decision: ServingDecision {
            switch self {
            case .run: .step
            case .skip: .skip
            case .stop: .stop
            }
        }
    }

    /// The agreement of `words` (one per coordinator), or nil when they break the protocol:
    /// prefill and decode must come from every coordinator alike and never mix with serving words.
    public static func agreement(_ words: [Int32]) -> Agreement? {
        let parsed = words.compactMap(ControlWord.init(rawValue:))
        guard parsed.count == words.count, let first = parsed.first else { return nil }
        if parsed.allSatisfy({ $0 == .stop }) { return .stop }
        if first == .prefill || first == .decode { return parsed.allSatisfy { $0 == first } ? .run(first) : nil }
        guard parsed.allSatisfy({ $0 == .serve || $0 == .idle || $0 == .stop }) else { return nil }
        return parsed.contains(.serve) ? .run(.serve) : .skip
    }

    /// The agreement of `words`, or the error naming the first coordinator whose word breaks
    /// the protocol (the first that is no word at all or differs from the first word).
    public static func agree(_ words: [Int32]) throws(ControlError) -> Agreement {
        if let agreement = agreement(words) { return agreement }
        let first = words.firstIndex { $0 != words[0] || ControlWord(rawValue: $0) == nil } ?? 0
        throw ControlError(coordinator: first, words: words)
    }
}

/// Coordinators' control words that break the step protocol.
public struct ControlError: Error, Sendable, Equatable {
    /// The first coordinator whose word is wrong (0 when they are wrong only together).
    public var coordinator: Int
    public var words: [Int32]

    public var detail: String {
        "expected the same 0, 1 or 2 from every coordinator, or each 0, 3 or 4, found \(words)"
    }
}
