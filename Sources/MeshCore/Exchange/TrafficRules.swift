/// The rules of one MoE layer's traffic between the ranks of a run: who may send tokens to whom,
/// how many, and the traffic that follows from the counts announced.
///
/// Coordinators are ranks `0 ..< coordinators` and send tokens only to workers; workers are
/// the ranks after them and receive tokens only from coordinators, at most
/// ``maxTokensPerMessage`` from one. Pure: the runtime's roles ask it for the counts to announce
/// and check what was announced to them before any row moves.
public struct TrafficRules: Sendable, Equatable {
    public let codec: RecordCodec
    public let coordinators: Int
    public let workers: Int
    /// The most tokens one message may announce: Int32 byte counts bound one message to 2 GiB.
    public let maxTokensPerMessage: Int

    public init(codec: RecordCodec, coordinators: Int, workers: Int) {
        self.codec = codec
        self.coordinators = coordinators
        self.workers = workers
        maxTokensPerMessage = Int(Int32.max) / max(codec.dispatch.recordBytes, codec.combine.recordBytes)
    }

    public init(codec: RecordCodec, cluster: ClusterConfig) {
        self.init(codec: codec, coordinators: cluster.coordinators, workers: cluster.workers)
    }

    public var ranks: Int { coordinators + workers }

    /// The world rank of worker `w`.
    public func rank(ofWorker w: Int) -> Int { coordinators + w }

    /// What a coordinator announces and exchanges when it sends `tokensPerWorker[w]` tokens to
    /// each worker `w` (a ``DispatchPlan``'s counts).
    ///
    /// - Returns: the counts to announce to every rank (0 to coordinators), and the traffic.
    public func coordinator(sending tokensPerWorker: [Int]) -> (announce: [Int32], traffic: LayerTraffic) {
        precondition(tokensPerWorker.count == workers, "one count per worker")
        var sent = Array(repeating: 0, count: ranks)
        for (w, count) in tokensPerWorker.enumerated() { sent[rank(ofWorker: w)] = count }
        return (sent.map { Int32($0) }, LayerTraffic(tokensSent: sent, tokensReceived: Array(repeating: 0, count: ranks), codec: codec))
    }

    /// Checks the counts every rank announced to a coordinator: a coordinator receives no tokens.
    ///
    /// - Parameter me: the coordinator's rank (its own entry is not a message).
    public func checkCoordinator(announced: [Int32], me: Int) throws(CountError) {
        precondition(announced.count == ranks, "one count per rank")
        for (source, count) in announced.enumerated() where source != me && count != 0 {
            throw CountError(sender: source, detail: "a coordinator receives no tokens, found \(count)")
        }
    }

    /// Checks the counts every rank announced to a worker and returns its traffic.
    ///
    /// - Throws: ``CountError`` naming the first rank that announced a count outside
    ///   `0 ... maxTokensPerMessage` (coordinators) or other than 0 (workers).
    public func worker(announced: [Int32]) throws(CountError) -> LayerTraffic {
        precondition(announced.count == ranks, "one count per rank")
        var received = Array(repeating: 0, count: ranks)
        for (source, count) in announced.enumerated() {
            let limit = source < coordinators ? maxTokensPerMessage : 0
            guard count >= 0, Int(count) <= limit else {
                throw CountError(sender: source, detail: "expected 0...\(limit), found \(count)")
            }
            received[source] = Int(count)
        }
        return LayerTraffic(tokensSent: Array(repeating: 0, count: ranks), tokensReceived: received, codec: codec)
    }
}

/// A token count that breaks the rules: who announced it and what was wrong.
public struct CountError: Error, Sendable, Equatable {
    public var sender: Int
    public var detail: String

    public init(sender: Int, detail: String) {
        self.sender = sender
        self.detail = detail
    }
}
