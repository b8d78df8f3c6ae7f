import Foundation

/// What happened to one served request, in seconds after the run's common start.
public struct RequestRecord: Sendable, Equatable, Codable {
    public var id: Int
    /// The coordinator that served it.
    public var coordinator: Int
    public var arrivalSeconds: Double
    /// The end of the step that ran its prompt, which produced its first output token.
    public var firstTokenSeconds: Double
    /// The end of the step that produced its last output token.
    public var finishSeconds: Double
    public var promptTokens: Int
    public var outputTokens: Int

    public init(id: Int, coordinator: Int, arrivalSeconds: Double, firstTokenSeconds: Double, finishSeconds: Double,
                promptTokens: Int, outputTokens: Int) {
        self.id = id
        self.coordinator = coordinator
        self.arrivalSeconds = arrivalSeconds
        self.firstTokenSeconds = firstTokenSeconds
        self.finishSeconds = finishSeconds
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
    }

    /// Time to first token: arrival to the end of the prefill step.
    public var ttftSeconds: Double { firstTokenSeconds - arrivalSeconds }
    /// Time per output token after the first; nil with a single output token.
    public var tpotSeconds: Double? {
        outputTokens > 1 ? (finishSeconds - firstTokenSeconds) / Double(outputTokens - 1) : nil
    }
    /// Arrival to the last output token.
    public var endToEndSeconds: Double { finishSeconds - arrivalSeconds }

    /// The header of ``csvLine``.
    public static let csvHeader = "id,coordinator,arrival_seconds,first_token_seconds,finish_seconds,prompt_tokens,output_tokens,ttft_seconds,tpot_seconds"

    /// One CSV line (no newline); an empty TPOT with a single output token.
    public var csvLine: String {
        let tpot = tpotSeconds.map { format($0) } ?? ""
        return "\(id),\(coordinator),\(format(arrivalSeconds)),\(format(firstTokenSeconds)),\(format(finishSeconds)),"
            + "\(promptTokens),\(outputTokens),\(format(ttftSeconds)),\(tpot)"
    }

    /// Microsecond resolution, which is what the clock and the histograms give.
    private func format(_ seconds: Double) -> String { String(format: "%.6f", seconds) }
}

/// Reduces a sample of latencies (seconds) to its percentiles.
public typealias LatencyEstimator = @Sendable ([Double]) -> LatencyPercentiles

extension LatencyPercentiles {
    /// All zeros: the percentiles of no sample.
    public static let zero = LatencyPercentiles(p50: 0, p90: 0, p99: 0, mean: 0, max: 0)
}

extension ServingSummary {
    /// The summary of a serving run from its completed requests.
    ///
    /// - Parameters:
    ///   - records: every completed request, from every coordinator.
    ///   - requests: the requests the workload held.
    ///   - steps: steps that ran layers (lockstep, so the same on every coordinator).
    ///   - batchTokens: tokens run over all steps, summed over coordinators.
    ///   - maxBatchTokens: the cap on one coordinator's tokens per step.
    ///   - estimator: how percentiles are taken (HdrHistogram in the runtime).
    public init(records: [RequestRecord], requests: Int, offeredRequestsPerSecond: Double, steps: Int, batchTokens: Int,
                maxBatchTokens: Int, estimator: LatencyEstimator) {
        let start = records.map(\.arrivalSeconds).min() ?? 0
        let end = records.map(\.finishSeconds).max() ?? 0
        let duration = max(end - start, 0)
        func perSecond(_ x: Double) -> Double { duration > 0 ? x / duration : 0 }
        /// (n − 1) over the span of `times`: the rate of the events between the first and the last.
        func rate(_ times: [Double]) -> Double {
            guard times.count > 1, let first = times.min(), let last = times.max(), last > first else { return 0 }
            return Double(times.count - 1) / (last - first)
        }
        let outputs = records.reduce(0) { $0 + $1.outputTokens }, prompts = records.reduce(0) { $0 + $1.promptTokens }
        self.init(offeredRequestsPerSecond: offeredRequestsPerSecond, arrivalRequestsPerSecond: rate(records.map(\.arrivalSeconds)),
                  requests: requests, completedRequests: records.count,
                  durationSeconds: duration, achievedRequestsPerSecond: perSecond(Double(records.count)),
                  outputTokensPerSecond: perSecond(Double(outputs)), totalTokensPerSecond: perSecond(Double(outputs + prompts)),
                  timeToFirstToken: estimator(records.map(\.ttftSeconds)),
                  timePerOutputToken: estimator(records.compactMap(\.tpotSeconds)),
                  endToEnd: estimator(records.map(\.endToEndSeconds)),
                  steps: steps, meanBatchTokens: steps > 0 ? Double(batchTokens) / Double(steps) : 0,
                  maxBatchTokens: maxBatchTokens)
    }

    /// The table `expertmesh serve` prints: rates, then each latency's percentiles in ms.
    public func table() -> String {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        func ms(_ x: Double) -> String { String(format: "%10.1f", x * 1000) }
        var lines = [
            "serving: \(completedRequests)/\(requests) requests in \(f(durationSeconds, 2)) s, \(steps) steps, "
                + "\(f(meanBatchTokens)) tokens per step on average (cap \(maxBatchTokens) per coordinator)",
            "  offered \(f(offeredRequestsPerSecond, 2)) req/s, arrived \(f(arrivalRequestsPerSecond, 2)) req/s, achieved \(f(achievedRequestsPerSecond, 2)) req/s, "
                + "\(f(outputTokensPerSecond)) output tokens/s, \(f(totalTokensPerSecond)) tokens/s in all",
            "  latency (ms)              p50       p90       p99      mean       max",
        ]
        for (name, p) in [("time to first token", timeToFirstToken), ("time per output tok", timePerOutputToken),
                          ("end to end         ", endToEnd)] {
            lines.append("  \(name)\(ms(p.p50))\(ms(p.p90))\(ms(p.p99))\(ms(p.mean))\(ms(p.max))")
        }
        return lines.joined(separator: "\n")
    }
}
