/// Byte counts to or from every rank of one exchange, and where each rank's bytes sit in the
/// buffer: the arguments of one `MPI_Alltoallv` direction, in Int.
public struct ByteRegions: Sendable, Equatable {
    /// `counts[r]`: bytes to or from rank `r`.
    public let counts: [Int]
    /// `offsets[r]`: where rank `r`'s bytes start; regions are packed back to back in rank order.
    public let offsets: [Int]

    public init(counts: [Int]) {
        precondition(counts.allSatisfy { $0 >= 0 }, "byte counts are never negative")
        self.counts = counts
        var running = 0
        offsets = counts.map { count in
            defer { running += count }
            return running
        }
    }

    /// Bytes in all.
    public var total: Int { (offsets.last ?? 0) + (counts.last ?? 0) }
}
