import MeshCore
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

extension ProtocolError {
    /// A token count that broke the traffic rules, received by `rank` in `layer`.
    init(rank: Int, layer: Int, _ error: CountError) {
        self.init(rank: rank, sender: error.sender, layer: layer, field: "token count", detail: error.detail)
    }

    /// A dispatch record from `sender` that broke the record layout's rules.
    init(rank: Int, sender: Int, layer: Int, _ error: RecordError) {
        self.init(rank: rank, sender: sender, layer: layer, field: error.field, detail: error.detail)
    }

    /// Coordinators' control words that broke the step protocol.
    init(rank: Int, _ error: ControlError) {
        self.init(rank: rank, sender: error.coordinator, layer: nil, field: "control word", detail: error.detail)
    }
}
