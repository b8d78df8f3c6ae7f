import MeshCore

/// What a calibration measures, decided before measuring: message sizes, iteration counts,
/// token counts, array sizes. Pure functions of the request and the machine, the same on every
/// rank, so that every rank runs the same collectives in the same order.
public enum CalibrationPlan {
    /// Messages above this many bytes count as large: fewer warm-up and timed iterations.
    /// 8192 B: `LARGE_MESSAGE_SIZE` of the OSU micro-benchmarks (`osu_util.h`).
    public static let largeMessageBytes = 8192

    /// All-to-all message sizes, in bytes per peer: 1, 2, 4, … up to the largest power of two
    /// not above `maxBytes` (as `osu_alltoallv -m 1:max` steps).
    public static func allToAllSizes(maxBytes: Int) -> [Int] {
        precondition(maxBytes >= 1, "maxBytes \(maxBytes) must be at least 1")
        return Array(sequence(first: 1) { $0 <= maxBytes / 2 ? $0 * 2 : nil })
    }

    /// Warm-up and timed all-to-all iterations for one message size.
    ///
    /// OSU times 1000 iterations after 200 warm-up below 8 KiB and 100 after 10 above; this keeps
    /// their shape at a scale that fits a 2-core machine: `iterations` after 5 warm-up for small
    /// messages, a fifth of `iterations` (at least 1) after 2 warm-up for large ones.
    public static func allToAllIterations(bytesPerPeer: Int, iterations: Int) -> (warmup: Int, timed: Int) {
        bytesPerPeer > largeMessageBytes ? (2, max(1, iterations / 5)) : (5, iterations)
    }

    /// Ping-pong message sizes, in bytes: 1 to 4 KiB, doubling (the small end of `osu_latency`).
    public static let pingPongSizes = Array(sequence(first: 1) { $0 < 4096 ? $0 * 2 : nil })

    /// The ping-pong size whose half round trip becomes the links' `latency`: 8 bytes, one
    /// machine word, the size of the control messages of a step.
    public static let latencyBytes = 8

    /// Ping-pong iterations: ten times the all-to-all ones, as `osu_latency` times 10 000 round
    /// trips where `osu_alltoallv` times 1 000; warm-up as many as the all-to-all's timed ones.
    public static func pingPongIterations(iterations: Int) -> (warmup: Int, timed: Int) {
        (iterations, 10 * iterations)
    }

    /// Rows routed to one expert in one step of the config's workload: the whole prefill batch
    /// (sequences × tokens) or one decode token per sequence, times top-k, spread over the experts;
    /// at least 1.
    public static func tokensPerExpert(_ config: ExpertMeshConfig) -> Int {
        let rows = config.workload.mode == .prefill ? config.workload.sequences * config.workload.tokens
            : config.workload.sequences
        return max(1, rows * config.model.topK / max(1, config.model.experts))
    }

    /// Token counts for the GEMM sweep: 1, 2, 4, … up to 512 or four times the config's tokens per
    /// expert (rounded up to a power of two), whichever is larger, capped at 16 384 rows. The sweep
    /// stops earlier when one repetition gets too slow (``gemmRepetitionBudgetSeconds``).
    public static func gemmTokenCounts(tokensPerExpert: Int) -> [Int] {
        var power = 1
        while power < tokensPerExpert { power *= 2 }
        let top = min(16_384, max(512, 4 * power))
        return Array(sequence(first: 1) { $0 < top ? $0 * 2 : nil })
    }

    /// A GEMM repetition slower than this (seconds, on any rank) ends the sweep after its size:
    /// the next size would take twice as long, and the rate has long stopped changing.
    public static let gemmRepetitionBudgetSeconds = 0.25

    /// Seconds each rank keeps repeating a GEMM size when all ranks compute at once: long against
    /// the scheduler's time slice (a few ms), so that the rate is what a rank gets while sharing
    /// cores, not a slice it happened to run alone.
    public static let concurrentWindowSeconds = 0.1
    /// Seconds rank 0 repeats a GEMM size when it computes alone.
    public static let aloneWindowSeconds = 0.05
    /// Seconds of copy and triad passes per measurement of the memory bandwidth.
    public static let memoryWindowSeconds = 0.3

    /// Bytes of each of the three STREAM arrays of one rank.
    ///
    /// STREAM asks for arrays well beyond the last-level cache. 64 MiB, or the largest cache the
    /// kernel reports if that is larger (rounded up to a power of two), capped at 256 MiB so that
    /// first touching them stays quick, and at a quarter of the available memory over all ranks.
    ///
    /// - Parameters:
    ///   - largestCacheBytes: The largest cache `/sys` lists (a VM's host L3 can be far larger than
    ///     what the VM gets of it), or nil.
    ///   - availableBytes: `MemAvailable`, or nil.
    ///   - ranks: Ranks on the machine, each with three arrays.
    public static func streamArrayBytes(largestCacheBytes: Int?, availableBytes: Int?, ranks: Int) -> Int {
        var bytes = 64 << 20
        while let cache = largestCacheBytes, bytes < cache, bytes < 256 << 20 { bytes *= 2 }
        if let available = availableBytes {
            let share = available / 4 / (3 * max(1, ranks))
            while bytes > share, bytes > 1 << 20 { bytes /= 2 }
        }
        return bytes
    }
}
