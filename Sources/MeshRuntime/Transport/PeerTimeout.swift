/// An exchange that did not complete within the step timeout.
public struct PeerTimeout: Error, CustomStringConvertible {
    public var rank: Int
    /// The peer whose data never came, when known.
    public var peer: Int?
    public var phase: String
    public var timeoutSeconds: Double
    /// The ranks one of which must be missing, when the exact one cannot be known.
    public var suspects: [Int] = []

    public var description: String {
        let from = peer.map { "rank \($0)" }
            ?? (suspects.isEmpty ? "its peers" : "one of ranks \(suspects.map(String.init).joined(separator: ", "))")
        return "rank \(rank): timed out after \(timeoutSeconds) s waiting for \(from) in \(phase)"
    }
}
