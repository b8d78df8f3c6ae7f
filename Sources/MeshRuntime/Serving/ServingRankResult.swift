import MeshCore

/// What one coordinator of a serving run hands rank 0 at the end, as a typed record.
struct ServingRankResult: Codable, Equatable {
    /// Steps the coordinator ran (every coordinator runs the same steps, in lockstep).
    var steps: Int
    /// Tokens of its steps, summed over the steps.
    var batchTokens: Int
    /// Every request it served.
    var records: [RequestRecord]
}
