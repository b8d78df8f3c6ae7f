/// One all-to-all message size, `osu_alltoallv` style: each rank's mean time per call, then the
/// minimum, mean and maximum of those over the ranks.
public struct AllToAllPoint: Sendable, Equatable {
    /// Bytes each rank sends to each rank, itself included.
    public var bytesPerPeer: Int
    public var ranks: Int
    /// Timed iterations, after the warm-up.
    public var iterations: Int
    public var minSeconds: Double
    public var averageSeconds: Double
    public var maxSeconds: Double

    public init(bytesPerPeer: Int, ranks: Int, iterations: Int, minSeconds: Double, averageSeconds: Double, maxSeconds: Double) {
        self.bytesPerPeer = bytesPerPeer
        self.ranks = ranks
        self.iterations = iterations
        self.minSeconds = minSeconds
        self.averageSeconds = averageSeconds
        self.maxSeconds = maxSeconds
    }

    /// nccl-tests' algorithm bandwidth, `algbw = S / t`: the bytes one rank sends (a block to every
    /// rank, itself included) over the mean time across ranks (nccl-tests' default `-a 1`), in
    /// bytes/s. Defined in nccl-tests `doc/PERFORMANCE.md`.
    public var algorithmBytesPerSecond: Double {
        Double(bytesPerPeer * ranks) / averageSeconds
    }

    /// nccl-tests' bus bandwidth for AlltoAll, `busbw = algbw × (n − 1) / n`: the block a rank
    /// sends to itself never crosses a link, so this is what each rank's link carried, in bytes/s;
    /// comparable to a link's peak whatever the rank count (nccl-tests `doc/PERFORMANCE.md`).
    public var busBytesPerSecond: Double {
        algorithmBytesPerSecond * Double(ranks - 1) / Double(ranks)
    }
}
