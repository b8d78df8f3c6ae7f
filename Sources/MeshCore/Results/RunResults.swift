/// What `expertmesh run --summary FILE.json` writes: one run reduced to the figures a sweep plots.
///
/// Medians over the measured steps (decode steps in decode mode, every step in prefill); per-step
/// phase times are summed over layers. The load-test driver reads it for each point.
public struct RunSummary: Codable, Sendable, Equatable {
    public var mode: String
    public var steps: Int
    public var tokensPerStep: Double
    public var stepSeconds: Double
    public var tokensPerSecond: Double
    /// Coordinator 0's phases: attention, router, dispatch, combine, shared/dense MLP, and its
    /// waits on emulated links (inside dispatch and combine).
    public var attentionSeconds: Double
    public var routerSeconds: Double
    public var dispatchSeconds: Double
    public var combineSeconds: Double
    public var sharedSeconds: Double
    public var emulatedSeconds: Double
    /// The slowest worker's expert computation and its waiting for the next dispatch.
    public var expertsSeconds: Double
    public var waitSeconds: Double
    /// Bytes per step: every coordinator's dispatch, every worker's combine.
    public var dispatchBytes: Double
    public var combineBytes: Double
    /// Exchange bytes over the coordinator's dispatch + combine seconds.
    public var exchangeBytesPerSecond: Double
    /// Busiest worker's tokens over the mean (median over the steps).
    public var imbalance: Double
    /// Tokens per expert over the run, summed over MoE layers.
    public var tokensPerExpert: [Double]

    public init(mode: String, steps: Int, tokensPerStep: Double, stepSeconds: Double, tokensPerSecond: Double,
                attentionSeconds: Double, routerSeconds: Double, dispatchSeconds: Double, combineSeconds: Double,
                sharedSeconds: Double, emulatedSeconds: Double, expertsSeconds: Double, waitSeconds: Double,
                dispatchBytes: Double, combineBytes: Double, exchangeBytesPerSecond: Double, imbalance: Double,
                tokensPerExpert: [Double]) {
        self.mode = mode
        self.steps = steps
        self.tokensPerStep = tokensPerStep
        self.stepSeconds = stepSeconds
        self.tokensPerSecond = tokensPerSecond
        self.attentionSeconds = attentionSeconds
        self.routerSeconds = routerSeconds
        self.dispatchSeconds = dispatchSeconds
        self.combineSeconds = combineSeconds
        self.sharedSeconds = sharedSeconds
        self.emulatedSeconds = emulatedSeconds
        self.expertsSeconds = expertsSeconds
        self.waitSeconds = waitSeconds
        self.dispatchBytes = dispatchBytes
        self.combineBytes = combineBytes
        self.exchangeBytesPerSecond = exchangeBytesPerSecond
        self.imbalance = imbalance
        self.tokensPerExpert = tokensPerExpert
    }
}

/// Percentiles of one latency, in seconds.
public struct LatencyPercentiles: Codable, Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var mean: Double
    public var max: Double

    public init(p50: Double, p90: Double, p99: Double, mean: Double, max: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.mean = mean
        self.max = max
    }
}

/// What `expertmesh serve --summary FILE.json` writes: an open-loop serving run.
public struct ServingSummary: Codable, Sendable, Equatable {
    /// Requests per second offered (Poisson), or the trace's mean rate.
    public var offeredRequestsPerSecond: Double
    /// The rate requests actually arrived at: (n − 1) / (last arrival − first arrival). A finite
    /// Poisson sample's rate differs from λ (by about 1/√n).
    public var arrivalRequestsPerSecond: Double
    public var requests: Int
    public var completedRequests: Int
    /// From the first arrival to the last completion.
    public var durationSeconds: Double
    /// Completed requests over the duration, from the first arrival to the last completion (as
    /// vLLM's serving benchmark counts request throughput): close to the arrival rate while the
    /// system keeps up (less by the last request's latency over the duration), lower once a
    /// queue builds.
    public var achievedRequestsPerSecond: Double
    public var outputTokensPerSecond: Double
    /// Prompt and output tokens over the duration.
    public var totalTokensPerSecond: Double
    /// Arrival to the first output token (the end of the request's prefill step).
    public var timeToFirstToken: LatencyPercentiles
    /// (completion − first token) / (output tokens − 1), per request with at least two outputs.
    public var timePerOutputToken: LatencyPercentiles
    /// Arrival to completion.
    public var endToEnd: LatencyPercentiles
    public var steps: Int
    public var meanBatchTokens: Double
    public var maxBatchTokens: Int

    public init(offeredRequestsPerSecond: Double, arrivalRequestsPerSecond: Double, requests: Int, completedRequests: Int,
                durationSeconds: Double, achievedRequestsPerSecond: Double, outputTokensPerSecond: Double, totalTokensPerSecond: Double,
                timeToFirstToken: LatencyPercentiles, timePerOutputToken: LatencyPercentiles, endToEnd: LatencyPercentiles,
                steps: Int, meanBatchTokens: Double, maxBatchTokens: Int) {
        self.offeredRequestsPerSecond = offeredRequestsPerSecond
        self.arrivalRequestsPerSecond = arrivalRequestsPerSecond
        self.requests = requests
        self.completedRequests = completedRequests
        self.durationSeconds = durationSeconds
        self.achievedRequestsPerSecond = achievedRequestsPerSecond
        self.outputTokensPerSecond = outputTokensPerSecond
        self.totalTokensPerSecond = totalTokensPerSecond
        self.timeToFirstToken = timeToFirstToken
        self.timePerOutputToken = timePerOutputToken
        self.endToEnd = endToEnd
        self.steps = steps
        self.meanBatchTokens = meanBatchTokens
        self.maxBatchTokens = maxBatchTokens
    }
}
