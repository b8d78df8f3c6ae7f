/// STREAM-like copy and triad rates.
public struct MemoryFigures: Sendable, Equatable {
    /// Bytes of each of the three arrays of a rank.
    public var arrayBytes: Int
    /// Copy (`memcpy`, 2 × array bytes moved per pass) of each rank while all ran at once, bytes/s.
    public var concurrentCopy: [Double]
    /// Triad (`a = b + s·c`, 3 × array bytes per pass) of each rank while all ran at once, bytes/s.
    public var concurrentTriad: [Double]
    /// Rank 0's copy rate while the others waited, bytes/s.
    public var aloneCopy: Double
    /// Rank 0's triad rate while the others waited, bytes/s.
    public var aloneTriad: Double

    public init(arrayBytes: Int, concurrentCopy: [Double], concurrentTriad: [Double], aloneCopy: Double, aloneTriad: Double) {
        self.arrayBytes = arrayBytes
        self.concurrentCopy = concurrentCopy
        self.concurrentTriad = concurrentTriad
        self.aloneCopy = aloneCopy
        self.aloneTriad = aloneTriad
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }
}
