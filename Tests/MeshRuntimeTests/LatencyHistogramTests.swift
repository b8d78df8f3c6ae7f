import MeshCore
import Testing
@testable import MeshRuntime

@Suite struct LatencyHistogramTests {
    @Test func percentilesOfAKnownSpreadWithinThreeDigits() {
        // 1 ms, 2 ms, ..., 1000 ms: the p-th percentile is p × 10 ms.
        let samples = (1...1000).map { Double($0) * 1e-3 }.shuffled()
        let p = LatencyHistogram.percentiles(samples)
        #expect(abs(p.p50 - 0.500) <= 0.500 * 1e-3 + 1e-6)
        #expect(abs(p.p90 - 0.900) <= 0.900 * 1e-3 + 1e-6)
        #expect(abs(p.p99 - 0.990) <= 0.990 * 1e-3 + 1e-6)
        #expect(abs(p.mean - 0.5005) <= 0.5005 * 1e-3)
        #expect(abs(p.max - 1.0) <= 1e-3)
    }

    @Test func aLongTailMovesOnlyTheHighPercentiles() {
        let samples = Array(repeating: 0.010, count: 98) + [5.0, 5.0]
        let p = LatencyHistogram.percentiles(samples)
        #expect(abs(p.p50 - 0.010) < 1e-4)
        #expect(abs(p.p90 - 0.010) < 1e-4)
        #expect(p.p99 > 4.9)
    }

    @Test func noSampleGivesZeros() {
        #expect(LatencyHistogram.percentiles([]).p99 == 0)
    }
}
