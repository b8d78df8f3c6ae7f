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
