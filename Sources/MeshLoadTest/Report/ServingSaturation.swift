/// The saturation point of a serving curve: the highest offered load it still sustains.
///
/// A load is sustained when the achieved request rate is at least ``achievedFraction`` of the
/// offered one (the queue does not grow without bound) and TTFT p99 stays under
/// ``latencyFactor`` times its value at the lowest offered rate (requests do not wait in line for
/// long). The rule takes the highest offered rate that meets both, even when a lower one misses
/// by noise.
enum ServingSaturation {
    static let achievedFraction = 0.9
    static let latencyFactor = 10.0
    static let rule = "the highest offered rate whose achieved rate (completed requests over the run) is at least 90 % of the rate its requests "
        + "actually arrived at and whose "
        + "TTFT p99 is under 10 × the TTFT p99 at the lowest offered rate"

    struct Sample: Sendable {
        var offeredRequestsPerSecond: Double
        var achievedRequestsPerSecond: Double
        var ttftP99Seconds: Double
        /// The rate requests actually arrived at (the offered rate when not known).
        var arrivalRequestsPerSecond: Double? = nil
        var demand: Double { arrivalRequestsPerSecond ?? offeredRequestsPerSecond }
    }

    /// The position of the saturation point in `samples` (nil when no rate meets the rule) and the
    /// TTFT p99 at the lowest offered rate; nil for no samples.
    static func find(_ samples: [Sample]) -> (index: Int?, baselineTTFTP99Seconds: Double)? {
        guard let lowest = samples.indices.min(by: {
            samples[$0].offeredRequestsPerSecond < samples[$1].offeredRequestsPerSecond
        }) else { return nil }
        let baseline = samples[lowest].ttftP99Seconds
        let sustained = samples.indices.filter {
            samples[$0].achievedRequestsPerSecond >= achievedFraction * samples[$0].demand
                && samples[$0].ttftP99Seconds < latencyFactor * baseline
        }
        let index = sustained.max { samples[$0].offeredRequestsPerSecond < samples[$1].offeredRequestsPerSecond }
        return (index, baseline)
    }
}
