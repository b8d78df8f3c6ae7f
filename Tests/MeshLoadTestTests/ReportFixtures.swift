import Foundation
@testable import MeshLoadTest

/// Synthetic but plausible sweeps for the report's tests: a small model on a CPU-like device,
/// whose phases follow the cost model's structure (step = attention + router + dispatch +
/// max(experts + combine, shared)), with a few per cent of noise on the measurements.
enum ReportFixtures {
    /// One setting of the synthetic machine.
    struct Setting {
        var workers = 2
        var sequences = 4
        var tokens = 64
        var hidden = 1024
        var topK = 2
        var experts = 16
        var wire = "fp32"
        /// Emulated link, bits per second; nil: shared memory (about 40 Gbit/s here).
        var linkBitsPerSecond: Double? = nil
        var flopsPerSecond = 100e9
        var skew = 0.0
    }

    static func record(_ s: Setting, axes: [String: String], index: Int, repetition: Int = 0,
                       status: PointRecord.Status = .ok, noise: Double = 0) -> PointRecord {
        var r = PointRecord(index: index, axes: axes, repetition: repetition, status: status, coordinators: 1,
                            workers: s.workers, sequences: s.sequences, tokens: s.tokens, mode: "prefill", topK: s.topK,
                            experts: s.experts, hidden: s.hidden, dispatchDType: s.wire,
                            combineDType: s.wire == "fp8" ? "bf16" : s.wire, skew: s.skew)
        r.linkBitsPerSecond = s.linkBitsPerSecond
        r.linkLatencySeconds = s.linkBitsPerSecond == nil ? nil : 20e-6
        r.deviceFlopsPerSecond = s.flopsPerSecond
        if status == .failed {
            r.error = "mpirun: rank 2 exited with status 134 (SIGABRT) during dispatch"
            return r
        }
        let t = Double(s.sequences * s.tokens)
        let slow = 100e9 / s.flopsPerSecond
        let imbalance = s.workers > 1 ? 1.1 + 0.1 * s.skew : 1
        let attention = t * 40e-6 * slow, router = t * 2e-6, shared = t * 20e-6 * slow
        let experts = t * 120e-6 * slow * Double(s.topK) / 2 / Double(s.workers) * imbalance
        let bytesPerElement = s.wire == "fp32" ? 4.0 : s.wire == "bf16" ? 2 : 1
        let bits = t * Double(s.hidden) * bytesPerElement * 8 * Double(s.topK) / 2
        let link = s.linkBitsPerSecond ?? 40e9
        let dispatch = 20e-6 + bits / link, combine = 20e-6 + bits / link
        let step = attention + dispatch + max(experts + combine, shared)
        r.predicted = .init(stepSeconds: step, tokensPerSecond: t / step, attentionSeconds: attention + router,
                            sharedSeconds: shared, expertsSeconds: experts, dispatchSeconds: dispatch,
                            combineSeconds: combine, bottleneck: dispatch + combine > experts ? "inter-node link" : "experts (compute)",
                            imbalance: imbalance)
        guard status == .ok else { return r }
        // Measured: a little slower than predicted at small batches, with noise; the coordinator's
        // combine waits for the slowest worker's experts.
        let f = 1 + noise
        let mAttention = attention * 1.08 * f, mRouter = router * f, mDispatch = dispatch * 1.05 * f
        let mExperts = experts * 1.1 * f, mShared = shared * f
        let mCombine = max(0, mExperts + combine * f - mShared)
        let mStep = mAttention + mRouter + mDispatch + mShared + mCombine
        r.measured = .init(tokensPerSecond: t / mStep, stepSeconds: mStep, attentionSeconds: mAttention, routerSeconds: mRouter,
                           dispatchSeconds: mDispatch, combineSeconds: mCombine, sharedSeconds: mShared,
                           expertsSeconds: mExperts, waitSeconds: mAttention, emulatedSeconds: 0, dispatchBytes: bits / 8,
                           combineBytes: bits / 8, exchangeBytesPerSecond: 2 * bits / 8 / (mDispatch + mCombine),
                           imbalance: imbalance)
        return r
    }

    /// Deterministic noise in ±`amplitude`.
    static func noise(_ i: Int, amplitude: Double = 0.06) -> Double {
        let x = sin(Double(i) * 12.9898 + 78.233) * 43758.5453
        return (x - x.rounded(.down) - 0.5) * 2 * amplitude
    }

    /// Workers 1, 2, 3 and 4, three repetitions; 4 workers fail every time, one run of 2 fails.
    static func workers() -> [PointRecord] {
        var records: [PointRecord] = []
        for repetition in 0..<3 {
            for w in 1...4 {
                let status: PointRecord.Status = w == 4 || (w == 2 && repetition == 1) ? .failed : .ok
                records.append(record(Setting(workers: w), axes: ["workers": "\(w)"], index: records.count,
                                      repetition: repetition, status: status, noise: noise(records.count)))
            }
        }
        return records
    }

    /// Emulated link 0.1 to 10 Gbit/s, two repetitions.
    static func bandwidth(status: PointRecord.Status = .ok) -> [PointRecord] {
        var records: [PointRecord] = []
        for repetition in 0..<(status == .ok ? 2 : 1) {
            for gbps in ["0.1", "0.3", "1", "3", "10"] {
                records.append(record(Setting(linkBitsPerSecond: Double(gbps)! * 1e9), axes: ["bandwidth": gbps],
                                      index: records.count, repetition: repetition, status: status, noise: noise(records.count)))
            }
        }
        return records
    }

    /// Device 50 to 400 GFLOP/s at 0.1 and 10 Gbit/s.
    static func flops() -> [PointRecord] {
        var records: [PointRecord] = []
        for gbps in ["0.1", "10"] {
            for gflops in ["50", "100", "200", "400"] {
                records.append(record(Setting(linkBitsPerSecond: Double(gbps)! * 1e9, flopsPerSecond: Double(gflops)! * 1e9),
                                      axes: ["bandwidth": gbps, "flops": gflops], index: records.count, noise: noise(records.count)))
            }
        }
        return records
    }

    /// Top-k 1, 2, 4, 8 against wire format fp32, bf16, fp8: two generic axes.
    static func topKAndWire() -> [PointRecord] {
        var records: [PointRecord] = []
        for k in [1, 2, 4, 8] {
            for wire in ["fp32", "bf16", "fp8"] {
                records.append(record(Setting(topK: k, wire: wire, linkBitsPerSecond: 2e9), axes: ["topk": "\(k)", "wire": wire],
                                      index: records.count, noise: noise(records.count)))
            }
        }
        return records
    }

    /// Workers 1 to 3 against 32 and 128 tokens per sequence: one curve per token count.
    static func workersByTokens() -> [PointRecord] {
        var records: [PointRecord] = []
        for tokens in [32, 128] {
            for w in 1...3 {
                records.append(record(Setting(workers: w, tokens: tokens), axes: ["workers": "\(w)", "tokens": "\(tokens)"],
                                      index: records.count, noise: noise(records.count)))
            }
        }
        return records
    }

    /// Serving at 1 and 2 workers: two curves, saturating at about 9 and 17 requests/s.
    static func servingByWorkers() -> [PointRecord] {
        serving(workers: 1, capacity: 9) + serving(workers: 2, capacity: 17.5).map {
            var r = $0
            r.index += 9
            return r
        }
    }

    /// An open-loop serving sweep, 2 to 40 requests/s, saturating at about 17 requests/s.
    static func serving(workers: Int? = nil, capacity: Double = 17.5) -> [PointRecord] {
        return [2.0, 4, 8, 12, 16, 20, 24, 32, 40].enumerated().map { i, rate in
            var axes = ["rate": ReportNumber.text(rate)]
            if let workers { axes["workers"] = "\(workers)" }
            var r = record(Setting(workers: workers ?? 2), axes: axes, index: i, status: .ok)
            r.mode = "serve"
            r.offeredRequestsPerSecond = rate
            r.measured = nil
            r.predicted = nil
            let load = rate / capacity
            // Queueing: latency grows like 1/(1 − load) below capacity, then with the backlog.
            let queue = load < 0.95 ? 1 / (1 - load) : 20 * (1 + 4 * (load - 0.95))
            let ttft = 0.045 * queue * (1 + noise(i, amplitude: 0.05))
            let achieved = min(rate * (1 + noise(i + 50, amplitude: 0.02)), capacity * (1 + noise(i + 90, amplitude: 0.02)))
            r.serving = .init(completedRequests: Int(achieved * 30), achievedRequestsPerSecond: achieved,
                              outputTokensPerSecond: achieved * 64, ttftP50: ttft, ttftP90: ttft * 1.8, ttftP99: ttft * 2.6,
                              tpotP50: 0.008 * (1 + 0.5 * min(load, 1.2)), tpotP90: 0.011 * (1 + 0.5 * min(load, 1.2)),
                              tpotP99: 0.015 * (1 + 0.8 * min(load, 1.2)))
            return r
        }
    }

    /// The same as `records` as a `--model-only` sweep would record them: predictions only.
    static func modelOnly(_ records: [PointRecord]) -> [PointRecord] {
        records.filter { $0.repetition == 0 }.map {
            var r = $0
            r.status = .predicted
            r.measured = nil
            r.error = nil
            if r.predicted == nil {
                r.predicted = record(Setting(workers: r.workers), axes: r.axes, index: r.index).predicted
            }
            return r
        }
    }
}
