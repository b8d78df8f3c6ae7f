/// sgemm FLOP/s on the expert shapes at one token count.
public struct GEMMPoint: Sendable, Equatable {
    /// Rows `n` of the three GEMMs.
    public var tokens: Int
    /// FLOP/s of each rank while every rank computed at once, in rank order.
    public var concurrentFlopsPerSecond: [Double]
    /// FLOP/s of rank 0 while the others waited.
    public var aloneFlopsPerSecond: Double

    public init(tokens: Int, concurrentFlopsPerSecond: [Double], aloneFlopsPerSecond: Double) {
        self.tokens = tokens
        self.concurrentFlopsPerSecond = concurrentFlopsPerSecond
        self.aloneFlopsPerSecond = aloneFlopsPerSecond
    }

    /// The mean over ranks of the concurrent rates: what one rank gets while all compute.
    public var concurrentPerRank: Double {
        concurrentFlopsPerSecond.reduce(0, +) / Double(max(1, concurrentFlopsPerSecond.count))
    }
}
