import MeshIO

/// A message from another rank that does not follow the exchange protocol.
///
/// Names the receiving rank, the sender, the layer and the field; the job ends with status 2.
public struct ProtocolError: InputError {
    public var rank: Int
    public var sender: Int
    public var layer: Int?
    public var field: String
    public var detail: String

    public var description: String {
        let place = layer.map { "layer \($0): " } ?? ""
        return "rank \(rank): \(place)bad message from rank \(sender): \(field): \(detail)"
    }
}

/// The per-step control word a coordinator sends to every rank.
///
/// `run` sends the same word from every coordinator: prefill or decode, then stop. `serve` lets
/// each coordinator say whether it has tokens (serve), has none now (idle) or has finished
/// (stop): the step runs its layers when any coordinator serves, is skipped when none does, and
/// the run ends when every coordinator has finished.
enum ControlWord: Int32 {
    case stop = 0
    case prefill = 1
    case decode = 2
    case serve = 3
    case idle = 4

    /// What the coordinators' words of one step make every rank do.
    enum Agreement: Equatable {
        /// Run every layer; the phase code for the metrics.
        case run(ControlWord)
        /// Run nothing this step.
        case skip
        case stop
    }

    /// The agreement of `words` (one per coordinator), or nil when they break the protocol:
    /// prefill and decode must come from every coordinator alike and never mix with serving words.
    static func agreement(_ words: [Int32]) -> Agreement? {
        let parsed = words.compactMap(ControlWord.init(rawValue:))
        guard parsed.count == words.count, let first = parsed.first else { return nil }
        if parsed.allSatisfy({ $0 == .stop }) { return .stop }
        if first == .prefill || first == .decode { return parsed.allSatisfy { $0 == first } ? .run(first) : nil }
        guard parsed.allSatisfy({ $0 == .serve || $0 == .idle || $0 == .stop }) else { return nil }
        return parsed.contains(.serve) ? .run(.serve) : .skip
    }
}
