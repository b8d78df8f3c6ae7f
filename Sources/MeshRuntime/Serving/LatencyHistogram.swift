import Histogram
import MeshCore

/// Latency percentiles through HdrHistogram: microseconds, three significant digits.
///
/// The serving run takes it as its ``LatencyEstimator``.
public enum LatencyHistogram {
    /// One hour in microseconds: a larger latency is recorded as one hour.
    static let highestMicroseconds: UInt64 = 3_600_000_000

    /// The percentiles of `samples` (seconds); zeros for no sample.
    @Sendable public static func percentiles(_ samples: [Double]) -> LatencyPercentiles {
        guard !samples.isEmpty else { return .zero }
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestMicroseconds,
                                          numberOfSignificantValueDigits: .three)
        for seconds in samples {
            let micro = (max(seconds, 0) * 1e6).rounded()
            histogram.record(min(UInt64(min(micro, Double(highestMicroseconds))), highestMicroseconds))
        }
        func seconds(_ micro: UInt64) -> Double { Double(micro) / 1e6 }
        return LatencyPercentiles(p50: seconds(histogram.valueAtPercentile(50)), p90: seconds(histogram.valueAtPercentile(90)),
                                  p99: seconds(histogram.valueAtPercentile(99)), mean: histogram.mean / 1e6,
                                  max: seconds(histogram.maxRecorded))
    }
}
