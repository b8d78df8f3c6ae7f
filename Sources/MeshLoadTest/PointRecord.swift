/// One point of a sweep, as measured and predicted: one row of `points.csv`.
///
/// Every time is in seconds, every rate per second, every size in bytes; the CSV writes them in
/// the units its column names give. A field is nil where it does not apply (no measurement in a
/// `--model-only` sweep, no serving figures in a batch run, no emulated link without one).
public struct PointRecord: Codable, Sendable, Equatable {
    /// Position in the sweep (0-based), stable across `--resume`.
    public var index: Int
    /// The axis values this point was asked for, as given (`["workers": "2", "tokens": "64"]`).
    public var axes: [String: String]
    /// Which repetition of the same settings this is (0-based).
    public var repetition: Int
    public var status: Status
    /// Why the point failed: the run's error line.
    public var error: String?
    /// Wall seconds the point took to run, launch included.
    public var elapsedSeconds: Double?

    // MARK: the settings actually run

    public var coordinators: Int
    public var workers: Int
    public var sequences: Int
    /// Tokens per sequence (the prompt in prefill; the context before decoding in decode).
    public var tokens: Int
    /// prefill, decode or serve.
    public var mode: String
    public var topK: Int
    public var experts: Int
    public var hidden: Int
    public var dispatchDType: String
    public var combineDType: String
    /// The emulated link between nodes (bits per second), nil when no link is emulated.
    public var linkBitsPerSecond: Double?
    public var linkLatencySeconds: Double?
    /// The device FLOP/s of the profile used (emulated device or this machine's profile).
    public var deviceFlopsPerSecond: Double?
    /// Routing skew exponent (`model.router.skew`; 0: the router's own choice).
    public var skew: Double
    /// Offered load of a serving point, requests per second.
    public var offeredRequestsPerSecond: Double?
    /// OpenBLAS threads per rank (`runtime.blas_threads`; nil: one per rank's share of the cores).
    public var blasThreads: Int?

    // MARK: measured (median over steps, then over nothing else: one run per row)

    public var measured: Measured?
    public var serving: Serving?

    // MARK: predicted by the cost model for the same settings

    public var predicted: Predicted?

    public enum Status: String, Codable, Sendable {
        /// Ran and measured.
        case ok
        /// Launched and failed: `error` says why.
        case failed
        /// Cost model only (`--model-only`).
        case predicted
    }

    public struct Measured: Codable, Sendable, Equatable {
        public var tokensPerSecond: Double
        public var stepSeconds: Double
        /// Per-step seconds of each phase, summed over layers: coordinator attention, router,
        /// dispatch, combine, shared/dense MLP; slowest worker's experts and wait; the
        /// coordinator's emulated-link waits (already inside dispatch and combine).
        public var attentionSeconds: Double
        public var routerSeconds: Double
        public var dispatchSeconds: Double
        public var combineSeconds: Double
        public var sharedSeconds: Double
        public var expertsSeconds: Double
        public var waitSeconds: Double
        public var emulatedSeconds: Double
        /// Bytes per step over all ranks.
        public var dispatchBytes: Double
        public var combineBytes: Double
        /// Exchange bytes per step over the coordinator's dispatch + combine seconds.
        public var exchangeBytesPerSecond: Double
        /// Busiest worker's tokens over the mean.
        public var imbalance: Double

        public init(tokensPerSecond: Double, stepSeconds: Double, attentionSeconds: Double, routerSeconds: Double,
                    dispatchSeconds: Double, combineSeconds: Double, sharedSeconds: Double, expertsSeconds: Double,
                    waitSeconds: Double, emulatedSeconds: Double, dispatchBytes: Double, combineBytes: Double,
                    exchangeBytesPerSecond: Double, imbalance: Double) {
            self.tokensPerSecond = tokensPerSecond
            self.stepSeconds = stepSeconds
            self.attentionSeconds = attentionSeconds
            self.routerSeconds = routerSeconds
            self.dispatchSeconds = dispatchSeconds
            self.combineSeconds = combineSeconds
            self.sharedSeconds = sharedSeconds
            self.expertsSeconds = expertsSeconds
            self.waitSeconds = waitSeconds
            self.emulatedSeconds = emulatedSeconds
            self.dispatchBytes = dispatchBytes
            self.combineBytes = combineBytes
            self.exchangeBytesPerSecond = exchangeBytesPerSecond
            self.imbalance = imbalance
        }
    }

    /// An open-loop serving point: requests arrived at `offeredRequestsPerSecond`.
    public struct Serving: Codable, Sendable, Equatable {
        public var completedRequests: Int
        /// The rate requests actually arrived at, (n − 1) / their span: a finite Poisson sample
        /// differs from the offered λ. nil in records written before it was kept.
        public var arrivalRequestsPerSecond: Double?
        /// Completed requests over the time from the first arrival to the last completion.
        public var achievedRequestsPerSecond: Double
        /// Output tokens per second over the same time.
        public var outputTokensPerSecond: Double
        /// Time to first token and time per output token (after the first), p50/p90/p99, seconds.
        public var ttftP50: Double
        public var ttftP90: Double
        public var ttftP99: Double
        public var tpotP50: Double
        public var tpotP90: Double
        public var tpotP99: Double

        public init(completedRequests: Int, achievedRequestsPerSecond: Double, outputTokensPerSecond: Double,
                    ttftP50: Double, ttftP90: Double, ttftP99: Double, tpotP50: Double, tpotP90: Double, tpotP99: Double) {
            self.completedRequests = completedRequests
            self.achievedRequestsPerSecond = achievedRequestsPerSecond
            self.outputTokensPerSecond = outputTokensPerSecond
            self.ttftP50 = ttftP50
            self.ttftP90 = ttftP90
            self.ttftP99 = ttftP99
            self.tpotP50 = tpotP50
            self.tpotP90 = tpotP90
            self.tpotP99 = tpotP99
        }
    }

    public struct Predicted: Codable, Sendable, Equatable {
        public var stepSeconds: Double
        public var tokensPerSecond: Double
        /// The cost model's components (seconds per step): attention + router, shared/dense,
        /// routed experts on the busiest worker, dispatch, combine.
        public var attentionSeconds: Double
        public var sharedSeconds: Double
        public var expertsSeconds: Double
        public var dispatchSeconds: Double
        public var combineSeconds: Double
        public var bottleneck: String
        /// The imbalance the prediction assumed.
        public var imbalance: Double

        public init(stepSeconds: Double, tokensPerSecond: Double, attentionSeconds: Double, sharedSeconds: Double,
                    expertsSeconds: Double, dispatchSeconds: Double, combineSeconds: Double, bottleneck: String,
                    imbalance: Double) {
            self.stepSeconds = stepSeconds
            self.tokensPerSecond = tokensPerSecond
            self.attentionSeconds = attentionSeconds
            self.sharedSeconds = sharedSeconds
            self.expertsSeconds = expertsSeconds
            self.dispatchSeconds = dispatchSeconds
            self.combineSeconds = combineSeconds
            self.bottleneck = bottleneck
            self.imbalance = imbalance
        }
    }

    /// (predicted − measured) / measured step time, when both exist.
    public var relativeError: Double? {
        guard let measured, let predicted, measured.stepSeconds > 0 else { return nil }
        return (predicted.stepSeconds - measured.stepSeconds) / measured.stepSeconds
    }

    public init(index: Int, axes: [String: String], repetition: Int, status: Status, coordinators: Int, workers: Int,
                sequences: Int, tokens: Int, mode: String, topK: Int, experts: Int, hidden: Int, dispatchDType: String,
                combineDType: String, skew: Double) {
        self.index = index
        self.axes = axes
        self.repetition = repetition
        self.status = status
        self.coordinators = coordinators
        self.workers = workers
        self.sequences = sequences
        self.tokens = tokens
        self.mode = mode
        self.topK = topK
        self.experts = experts
        self.hidden = hidden
        self.dispatchDType = dispatchDType
        self.combineDType = combineDType
        self.skew = skew
    }
}
