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
