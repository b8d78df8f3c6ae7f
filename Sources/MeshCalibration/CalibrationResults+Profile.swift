import Foundation
import MeshCore

extension CalibrationResults {
    /// The hardware profile these measurements describe.
    ///
    /// Each device is one MPI rank, a process with its share of the cores. Its FLOP/s and memory
    /// bandwidth are the rates a rank got while every rank worked at once; the links are the
    /// all-to-all bus bandwidth and the ping-pong latency. Both links are this machine's own
    /// transport (shared memory or loopback): there is no network between its ranks.
    ///
    /// - Throws: ``CalibrationError`` when a figure the profile needs is missing or not positive.
    public func profile() throws -> HardwareProfile {
        guard let largest = gemm.last, largest.concurrentPerRank > 0 else {
            throw CalibrationError(.unsuitableJob, "no sgemm rate was measured")
        }
        let triad = MemoryFigures.mean(memory.concurrentTriad)
        guard triad > 0 else { throw CalibrationError(.unsuitableJob, "no memory bandwidth was measured") }
        guard let peak = peakAllToAll, peak.busBytesPerSecond > 0, let latency = latencyPoint else {
            throw CalibrationError(.unsuitableJob, "no all-to-all or ping-pong was measured (at least 2 ranks are needed)")
        }
        let link = HardwareProfile.Link(bytesPerSecond: peak.busBytesPerSecond, latencySeconds: latency.halfRoundTripSeconds)
        let curve = allToAll.map { point in
            (bytes: Double(point.bytesPerPeer), efficiency: min(1, point.busBytesPerSecond / peak.busBytesPerSecond))
        }
        // A device is one rank with a core to itself (the rates of rank 0 alone); with more ranks
        // than cores, the cost model gives each rank cores / ranks of it (cores_per_node).
        let best = gemm.map(\.aloneFlopsPerSecond).max() ?? largest.aloneFlopsPerSecond
        let aloneTriad = memory.aloneTriad > 0 ? memory.aloneTriad : triad
        var profile = HardwareProfile(
            name: "this machine (calibrated): \(cpuModel), \(cores) cores, \(ranks) ranks",
            device: .init(name: "one MPI rank with a core of its own",
                          flopsPerSecond: ["fp32": best],
                          memoryBytesPerSecond: aloneTriad,
                          memoryBytes: Double(memoryBytes) / Double(ranks)),
            devicesPerNode: ranks,
            intraNode: link,
            interNode: link,
            allToAllEfficiency: .curve(curve),
            computeDType: "fp32")
        profile.coresPerNode = cores
        // Small GEMMs run below peak: the curve of rank 0's rate by rows over its best.
        profile.gemmEfficiency = .curve(gemm.filter { $0.aloneFlopsPerSecond > 0 }.map {
            (bytes: Double($0.tokens), efficiency: min(1, $0.aloneFlopsPerSecond / best))
        })
        if let layers = layerSeconds, layers.large.measured > 0 {
            profile.kernelEfficiency = layers.kernelEfficiency
            profile.layerOverheadSeconds = layers.layerOverheadSeconds
        }
        return profile
    }

    /// The comment block at the top of the profile: where every figure comes from, and the curves
    /// behind the single numbers.
    public func profileComments(outputPath: String) -> [String] {
        func g(_ value: Double, _ scale: Double) -> String { String(format: "%.3g", value / scale) }
        var lines = [
            "Hardware profile of this machine, measured by `expertmesh calibrate --out \(outputPath)` on \(date)",
            "with \(ranks) MPI ranks on \(cores) cores, OpenBLAS \(blasThreads) thread(s) per rank, "
                + (optimized ? "release build." : "DEBUG build: the triad (a Swift loop) runs far below speed."),
            "Each device is one MPI rank with a core of its own: rates are rank 0's while the others wait.",
            "With more busy ranks than cores_per_node, the cost model gives each cores / busy ranks of it;",
            "the rates of all \(ranks) ranks computing at once are listed too, as a check of that share.",
            "",
        ]
        if let largest = gemm.last {
            lines += [
                "device.flops.fp32: the best sgemm rate of rank 0 alone (a core of its own) over the token counts below;",
                "  gemm_efficiency: rank 0's rate at each n over that best; cores_per_node: the cores of this machine,",
                "  so that the cost model gives each of R ranks cores / R of the device when R > cores.",
                "  Measured at n = 1 ... \(largest.tokens) tokens,",
                "  on the expert GEMMs of \(configPath): gate and up [n,\(hidden)]x[\(expertFFN),\(hidden)]^T, down [n,\(expertFFN)]x[\(hidden),\(expertFFN)]^T",
                "  (\(tokensPerExpert) tokens per expert per step at the config's workload"
                    + (largest.tokens < tokensPerExpert ? "; not reached: the sweep stops once a repetition takes over "
                       + "\(CalibrationPlan.gemmRepetitionBudgetSeconds) s)." : ")."),
                "  GFLOP/s by n: per rank with all at once (mean [min-max]) | rank 0 alone:",
            ]
            for point in gemm {
                let rates = point.concurrentFlopsPerSecond
                lines.append("    n=\(point.tokens): \(g(point.concurrentPerRank, 1e9)) [\(g(rates.min() ?? 0, 1e9))-\(g(rates.max() ?? 0, 1e9))]"
                             + " | \(g(point.aloneFlopsPerSecond, 1e9))")
            }
        }
        lines += [
            "device.memory_bandwidth: STREAM-like triad a = b + s*c of rank 0 alone, 3 arrays of \(memory.arrayBytes >> 20) MiB per rank",
            "  (bytes counted as STREAM does: 3 per element of triad, 2 of copy). GB/s per rank (mean, sum over ranks) | rank 0 alone:",
            "    triad: \(g(MemoryFigures.mean(memory.concurrentTriad), 1e9)), \(g(memory.concurrentTriad.reduce(0, +), 1e9)) | \(g(memory.aloneTriad, 1e9))",
            "    copy (memcpy): \(g(MemoryFigures.mean(memory.concurrentCopy), 1e9)), \(g(memory.concurrentCopy.reduce(0, +), 1e9)) | \(g(memory.aloneCopy, 1e9))",
            "kernel_efficiency, layer_overhead: the single-process reference's prefill on rank 0 alone, at the config's batch",
            "  and at 4 tokens, against the cost model's GEMM roofline for one rank that does everything: the two points fit",
            "  measured = roofline / kernel_efficiency + layers x layer_overhead"
                + (layerSeconds.map { String(format: " (measured %.2f and %.2f ms, roofline %.2f and %.2f ms)",
                                             $0.large.measured * 1e3, $0.small.measured * 1e3, $0.large.predicted * 1e3, $0.small.predicted * 1e3) }
                   ?? " (not measured: model too large)") + ".",
            "device.memory: MemTotal of /proc/meminfo (\(g(Double(memoryBytes), 1e9)) GB) divided by \(ranks) ranks.",
            "",
        ]
        if let peak = peakAllToAll {
            lines += [
                "intra_node.bandwidth: the best all-to-all bus bandwidth per rank, at \(peak.bytesPerPeer) B per peer:",
                "  busbw = algbw x (n-1)/n, algbw = bytes a rank sends (n blocks, its own included) / mean time",
                "  (nccl-tests doc/PERFORMANCE.md); MPI_Alltoallv over MPI_BYTE timed as osu_alltoallv does",
                "  (warm-up discarded, a barrier between iterations, per-rank mean then min/mean/max over ranks).",
            ]
        }
        if let latency = latencyPoint {
            lines.append("intra_node.latency: half the round trip of a message of \(latency.bytes) B between ranks 0 and 1 "
                         + "(osu_latency style, \(latency.iterations) round trips after a warm-up).")
        }
        lines += [
            "inter_node: the same as intra_node: this machine has no NIC between its ranks; both are its own",
            "  shared-memory/loopback transport, so a multi-node plan costed with this profile assumes a network this fast.",
            "all_to_all_efficiency: busbw at each size / the peak busbw above. Note that small sizes include the",
            "  per-call overhead, which the links' latency counts again.",
            "  bytes per peer: mean us, busbw GB/s:",
        ]
        for point in allToAll {
            lines.append("    \(point.bytesPerPeer): \(g(point.averageSeconds, 1e-6)) us, \(g(point.busBytesPerSecond, 1e9)) GB/s")
        }
        lines.append("ping-pong, bytes: half round trip us: "
                     + pingPong.map { "\($0.bytes): \(g($0.halfRoundTripSeconds, 1e-6))" }.joined(separator: ", "))
        return lines
    }

    /// The profile's YAML with its comments, checked to read back as the same profile.
    ///
    /// - Throws: ``CalibrationError`` if a figure is missing, or `ProfileRoundTripError` if
    ///   ``HardwareProfile/parse(yaml:)`` rejects the text or reads other figures back.
    public func profileYAML(outputPath: String) throws -> (profile: HardwareProfile, yaml: String) {
        let profile = try profile()
        let yaml = profile.yaml(comments: profileComments(outputPath: outputPath))
        let parsed: HardwareProfile
        do {
            parsed = try HardwareProfile.parse(yaml: yaml)
        } catch {
            throw ProfileRoundTripError(detail: "HardwareProfile.parse rejects the profile written: \(error)")
        }
        try ProfileRoundTripError.check(parsed, against: profile)
        return (profile, yaml)
    }
}

/// A written profile that does not read back as the profile measured: a bug in the writer or the
/// reader, never bad input.
public struct ProfileRoundTripError: Error, CustomStringConvertible {
    public var detail: String
    public var description: String { "hardware profile round trip: \(detail)" }

    /// Relative tolerance: the YAML holds 10 significant digits of each figure in its unit.
    static let tolerance = 1e-5

    /// Throws unless `read` matches `written`, numbers within ``tolerance``.
    static func check(_ read: HardwareProfile, against written: HardwareProfile) throws {
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= tolerance * max(abs(a), abs(b)) }
        var problems: [String] = []
        func expect(_ ok: Bool, _ field: String) { if !ok { problems.append(field) } }
        expect(read.name == written.name, "name")
        expect(read.device.name == written.device.name, "device.name")
        expect(read.device.flopsPerSecond.keys.sorted() == written.device.flopsPerSecond.keys.sorted()
               && written.device.flopsPerSecond.allSatisfy { close(read.device.flopsPerSecond[$0.key] ?? .nan, $0.value) },
               "device.flops")
        expect(close(read.device.memoryBytesPerSecond, written.device.memoryBytesPerSecond), "device.memory_bandwidth")
        expect(close(read.device.memoryBytes, written.device.memoryBytes), "device.memory")
        expect(read.devicesPerNode == written.devicesPerNode && read.devices == written.devices, "devices_per_node")
        for (key, r, w) in [("intra_node", read.intraNode, written.intraNode), ("inter_node", read.interNode, written.interNode)] {
            expect(close(r.bytesPerSecond, w.bytesPerSecond) && close(r.latencySeconds, w.latencySeconds), key)
        }
        switch (read.allToAllEfficiency, written.allToAllEfficiency) {
        case (.constant(let r), .constant(let w)):
            expect(close(r, w), "all_to_all_efficiency")
        case (.curve(let r), .curve(let w)):
            expect(r.count == w.count && zip(r, w).allSatisfy { close($0.bytes, $1.bytes) && close($0.efficiency, $1.efficiency) },
                   "all_to_all_efficiency")
        default:
            expect(false, "all_to_all_efficiency")
        }
        expect(read.computeDType == written.computeDType, "compute_dtype")
        expect(read.coresPerNode == written.coresPerNode, "cores_per_node")
        switch (read.layerOverheadSeconds, written.layerOverheadSeconds) {
        case (nil, nil): break
        case (let r?, let w?): expect(close(r, w) || abs(r - w) < 1e-9, "layer_overhead")
        default: expect(false, "layer_overhead")
        }
        switch (read.kernelEfficiency, written.kernelEfficiency) {
        case (nil, nil): break
        case (let r?, let w?): expect(close(r, w), "kernel_efficiency")
        default: expect(false, "kernel_efficiency")
        }
        switch (read.gemmEfficiency, written.gemmEfficiency) {
        case (nil, nil): break
        case (.curve(let r)?, .curve(let w)?):
            expect(r.count == w.count && zip(r, w).allSatisfy { close($0.bytes, $1.bytes) && close($0.efficiency, $1.efficiency) },
                   "gemm_efficiency")
        default: expect(false, "gemm_efficiency")
        }
        if !problems.isEmpty {
            throw ProfileRoundTripError(detail: "read back with other values for \(problems.joined(separator: ", "))")
        }
    }
}
