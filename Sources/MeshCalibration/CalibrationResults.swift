/// Half the round trip of one message size between ranks 0 and 1, `osu_latency` style.
public struct PingPongPoint: Sendable, Equatable {
    public var bytes: Int
    /// Timed round trips, after the warm-up.
    public var iterations: Int
    /// Elapsed time over `2 × iterations`, in seconds: the one-way latency.
    public var halfRoundTripSeconds: Double

    public init(bytes: Int, iterations: Int, halfRoundTripSeconds: Double) {
        self.bytes = bytes
        self.iterations = iterations
        self.halfRoundTripSeconds = halfRoundTripSeconds
    }
}

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

/// Everything one calibration measured, on rank 0: the input of the profile and of the report.
public struct CalibrationResults: Sendable {
    public var ranks: Int
    public var cpuModel: String
    public var cores: Int
    /// `MemTotal`, in bytes.
    public var memoryBytes: Int
    /// OpenBLAS threads of each rank.
    public var blasThreads: Int
    /// Whether the build was optimised (`-c release`).
    public var optimized: Bool
    public var configPath: String
    public var hidden: Int
    public var expertFFN: Int
    public var tokensPerExpert: Int
    /// When the measurement ended, ISO 8601.
    public var date: String
    public var pingPong: [PingPongPoint]
    public var allToAll: [AllToAllPoint]
    public var gemm: [GEMMPoint]
    public var memory: MemoryFigures
    /// The reference forward pass on rank 0 alone at two batches, and the cost model's predictions.
    public var layerSeconds: LayerTiming?

    public init(ranks: Int, cpuModel: String, cores: Int, memoryBytes: Int, blasThreads: Int, optimized: Bool,
                configPath: String, hidden: Int, expertFFN: Int, tokensPerExpert: Int, date: String,
                pingPong: [PingPongPoint], allToAll: [AllToAllPoint], gemm: [GEMMPoint], memory: MemoryFigures,
                layerSeconds: LayerTiming? = nil) {
        self.layerSeconds = layerSeconds
        self.ranks = ranks
        self.cpuModel = cpuModel
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.blasThreads = blasThreads
        self.optimized = optimized
        self.configPath = configPath
        self.hidden = hidden
        self.expertFFN = expertFFN
        self.tokensPerExpert = tokensPerExpert
        self.date = date
        self.pingPong = pingPong
        self.allToAll = allToAll
        self.gemm = gemm
        self.memory = memory
    }

    /// The all-to-all size with the highest bus bandwidth: the link's peak.
    public var peakAllToAll: AllToAllPoint? {
        allToAll.max { $0.busBytesPerSecond < $1.busBytesPerSecond }
    }

    /// The ping-pong point the links' latency comes from (``CalibrationPlan/latencyBytes``, or the
    /// smallest size measured).
    public var latencyPoint: PingPongPoint? {
        pingPong.first { $0.bytes == CalibrationPlan.latencyBytes } ?? pingPong.first
    }
}
