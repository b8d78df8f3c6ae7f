import Foundation

/// The lines rank 0 prints while calibrating, in the manner of the OSU micro-benchmarks: a `#`
/// header naming the test, then one row per size as soon as it is measured.
enum CalibrationReport {
    static func pingPongHeader(warmup: Int, timed: Int) -> [String] {
        ["",
         "# Point-to-point latency, rank 0 <-> rank 1 (osu_latency style: half the round trip; \(timed) round trips after \(warmup) warm-up)",
         "# " + pad("Size (B)", 14, left: true) + pad("Latency (us)", 14)]
    }

    static func row(_ point: PingPongPoint) -> String {
        pad("\(point.bytes)", 16, left: true) + pad(fixed(point.halfRoundTripSeconds * 1e6, 2), 14)
    }

    static func allToAllHeader(ranks: Int, maxBytes: Int, iterations: Int) -> [String] {
        let small = CalibrationPlan.allToAllIterations(bytesPerPeer: 1, iterations: iterations)
        let large = CalibrationPlan.allToAllIterations(bytesPerPeer: CalibrationPlan.largeMessageBytes + 1, iterations: iterations)
        return [
            "",
            "# All-to-all (osu_alltoallv style): \(ranks) ranks, MPI_Alltoallv over MPI_BYTE, 1 B to \(maxBytes) B per peer,",
            "# a barrier between iterations; \(small.timed) timed after \(small.warmup) warm-up up to \(CalibrationPlan.largeMessageBytes) B, "
                + "\(large.timed) after \(large.warmup) above.",
            "# Latency: each rank's mean per call, then min/avg/max over ranks. algbw = size x ranks / avg,",
            "# busbw = algbw x (n-1)/n (nccl-tests doc/PERFORMANCE.md).",
            "# " + pad("Size (B/peer)", 14, left: true) + pad("Min (us)", 12) + pad("Avg (us)", 12) + pad("Max (us)", 12)
                + pad("Iters", 7) + pad("algbw (GB/s)", 14) + pad("busbw (GB/s)", 14),
        ]
    }

    static func row(_ point: AllToAllPoint) -> String {
        pad("\(point.bytesPerPeer)", 16, left: true)
            + pad(fixed(point.minSeconds * 1e6, 2), 12) + pad(fixed(point.averageSeconds * 1e6, 2), 12)
            + pad(fixed(point.maxSeconds * 1e6, 2), 12) + pad("\(point.iterations)", 7)
            + pad(fixed(point.algorithmBytesPerSecond / 1e9, 3), 14) + pad(fixed(point.busBytesPerSecond / 1e9, 3), 14)
    }

    static func gemmHeader(hidden: Int, ffn: Int, tokensPerExpert: Int, configPath: String) -> [String] {
        ["",
         "# sgemm on the expert shapes of \(configPath): gate and up [n,\(hidden)]x[\(ffn),\(hidden)]^T, down [n,\(ffn)]x[\(hidden),\(ffn)]^T",
         "# (\(tokensPerExpert) tokens per expert per step at the config's workload); warm-up discarded.",
         "# All at once: every rank computing, GFLOP/s per rank (mean, min, max) and summed; alone: rank 0 while the others wait.",
         "# " + pad("Tokens n", 10, left: true) + pad("Mean", 10) + pad("Min", 10) + pad("Max", 10) + pad("Sum", 10) + pad("Alone", 10)]
    }

    static func row(_ point: GEMMPoint) -> String {
        let rates = point.concurrentFlopsPerSecond
        return pad("\(point.tokens)", 12, left: true)
            + [point.concurrentPerRank, rates.min() ?? 0, rates.max() ?? 0, rates.reduce(0, +), point.aloneFlopsPerSecond]
                .map { pad(fixed($0 / 1e9, 2), 10) }.joined()
    }

    static func memoryLines(_ memory: MemoryFigures) -> [String] {
        func line(_ name: String, _ rates: [Double], _ alone: Double) -> String {
            pad(name, 20, left: true) + [MemoryFigures.mean(rates), rates.min() ?? 0, rates.max() ?? 0, rates.reduce(0, +), alone]
                .map { pad(fixed($0 / 1e9, 2), 10) }.joined()
        }
        return ["",
                "# Memory bandwidth (STREAM-like), 3 arrays of \(memory.arrayBytes >> 20) MiB per rank; GB/s, bytes counted as STREAM does.",
                "# All at once: every rank, per rank (mean, min, max) and summed; alone: rank 0 while the others wait.",
                "# " + pad("Kernel", 18, left: true) + pad("Mean", 10) + pad("Min", 10) + pad("Max", 10) + pad("Sum", 10) + pad("Alone", 10),
                line("copy (memcpy)", memory.concurrentCopy, memory.aloneCopy),
                line("triad a=b+s*c", memory.concurrentTriad, memory.aloneTriad)]
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}
