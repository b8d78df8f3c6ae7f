import Foundation
import MeshCore
import MeshIO

/// The measurements of every rank, gathered on rank 0: the summary table, the metrics file and
/// the trace.
struct RunReport {
    let config: ExpertMeshConfig
    let request: RunRequest
    let ranks: Int
    /// `steps[rank][step]`.
    let steps: [[StepRecord]]
    /// Per rank: weights, memory, clock origin, run time, wire error.
    let results: [RankResult]
    /// `spans[rank]`: the rank's trace spans.
    let spans: [[Span]]

    init(config: ExpertMeshConfig, request: RunRequest, ranks: Int, results: [RankResult], steps: [[StepRecord]],
         spans: [[Span]]) {
        self.config = config
        self.request = request
        self.ranks = ranks
        self.results = results
        self.spans = spans
        self.steps = steps
    }

    var cluster: ClusterConfig { config.cluster }
    var stepCount: Int { steps[0].count }
    var workerRanks: [Int] { (0..<cluster.workers).map { cluster.rank(ofWorker: $0) } }
    var coordinatorRanks: [Int] { Array(0..<cluster.coordinators) }

    /// Tokens of step `s` over all coordinators.
    func tokens(_ s: Int) -> Double { coordinatorRanks.reduce(0) { $0 + steps[$1][s].tokens } }

    /// Step wall time: the slowest coordinator's.
    func seconds(_ s: Int) -> Double { coordinatorRanks.map { steps[$0][s].seconds }.max() ?? 0 }

    func time(_ rank: Int, _ s: Int, layer: Int, _ phase: LayerPhase) -> Double { steps[rank][s].times[layer][phase.rawValue] }

    /// Tokens (rows received) by each worker in step `s`, from the coordinators' dispatch bytes.
    func tokensPerWorker(_ s: Int) -> [Double] {
        let recordBytes = Double(DispatchRecordLayout(hidden: config.model.hidden, k: config.model.topK,
                                                      dtype: config.runtime.dispatchDType).recordBytes)
        return workerRanks.map { w in coordinatorRanks.reduce(0) { $0 + steps[$1][s].bytesTo[w] } / recordBytes / Double(config.model.moeLayers.count) }
    }

    /// Rows per expert, summed over workers and MoE layers, in step `s`.
    func rowsPerExpert(_ s: Int) -> [Double] {
        var rows = Array(repeating: 0.0, count: config.model.experts)
        for w in workerRanks { for layer in steps[w][s].expertRows { for (e, n) in layer.enumerated() { rows[e] += n } } }
        return rows
    }

    static func imbalance(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        return mean > 0 ? (values.max() ?? 0) / mean : 1
    }

    static func median(_ values: [Double]) -> Double {
        MeshRuntime.median(of: values)
    }

    /// The steps that count for throughput: decode steps in decode mode, every step in prefill.
    var measuredSteps: [Int] {
        (0..<stepCount).filter { request.mode == .prefill || steps[0][$0].word == .decode }
    }

    /// Median tokens per second over ``measuredSteps``.
    var medianTokensPerSecond: Double {
        Self.median(measuredSteps.map { tokens($0) / max(seconds($0), 1e-12) })
    }

    // MARK: summary

    func summary() -> String {
        let m = config.model
        var lines: [String] = []
        func ms(_ seconds: Double) -> String { String(format: "%8.2f", seconds * 1000) }
        lines.append("expertmesh run: \(request.configPath): \(cluster.coordinators) coordinator(s) + \(cluster.workers) worker(s), "
                     + "\(request.mode.rawValue), dispatch \(config.runtime.dispatchDType.rawValue), combine \(config.runtime.combineDType.rawValue)")
        lines.append("step  phase     tokens   time ms    tokens/s   dispatch MB  combine MB  worker imbalance")
        for s in 0..<stepCount {
            let phase = steps[0][s].word == .prefill ? "prefill" : "decode"
            let dispatch = coordinatorRanks.reduce(0) { $0 + steps[$1][s].dispatchBytes }
            let combine = workerRanks.reduce(0) { $0 + steps[$1][s].combineBytes }
            lines.append(String(format: "%4d  %-8@ %7.0f  %@  %10.0f   %11.3f  %10.3f  %16.2f", s, phase as NSString, tokens(s),
                                ms(seconds(s)), tokens(s) / max(seconds(s), 1e-12), dispatch / 1e6, combine / 1e6,
                                Self.imbalance(tokensPerWorker(s))))
        }
        // Decode steps are what a serving system repeats; prefill steps otherwise.
        let measured = measuredSteps
        let medianSeconds = Self.median(measured.map(seconds))
        let medianTokens = Self.median(measured.map(tokens))
        lines.append(String(format: "median %@ step: %.2f ms, %.0f tokens/s", request.mode.rawValue as NSString,
                            medianSeconds * 1000, medianTokens / max(medianSeconds, 1e-12)))
        if let profile = request.emulate {
            let waits = measured.map { s in (0..<m.layers).reduce(0) { $0 + time(0, s, layer: $1, .emulated) } }
            let medianWait = Self.median(waits)
            lines.append(String(format: "emulated links (%@): of the %.2f ms step, the coordinator waited %.2f ms for them beyond the real exchange (which moves the same bytes over shared memory)",
                                profile.name as NSString, medianSeconds * 1000, medianWait * 1000))
        }
        lines.append("")
        lines.append("per layer, median over those steps (ms): coordinator attention, router, dispatch, combine, shared/dense; slowest worker experts and wait; coordinator's emulated-link waits (inside dispatch and combine)")
        lines.append("layer  attention   router  dispatch   combine    shared   experts      wait  emulated")
        let c0 = 0
        for layer in 0..<m.layers {
            func med(_ rank: Int, _ p: LayerPhase) -> Double { Self.median(measured.map { time(rank, $0, layer: layer, p) }) }
            let experts = workerRanks.map { med($0, .experts) }.max() ?? 0
            let wait = workerRanks.map { med($0, .wait) }.max() ?? 0
            lines.append(String(format: "%5d  %@ %@ %@ %@ %@ %@ %@ %@", layer, ms(med(c0, .attention)), ms(med(c0, .router)),
                                ms(med(c0, .dispatch)), ms(med(c0, .combine)), ms(med(c0, .mlp)), ms(experts), ms(wait),
                                ms(med(c0, .emulated))))
        }
        // Exchange bandwidth as the coordinator saw it.
        let exchangeBytes = measured.map { s in
            coordinatorRanks.reduce(0) { $0 + steps[$1][s].dispatchBytes } + workerRanks.reduce(0) { $0 + steps[$1][s].combineBytes }
        }
        let exchangeSeconds = measured.map { s in
            (0..<m.layers).reduce(0) { $0 + time(c0, s, layer: $1, .dispatch) + time(c0, s, layer: $1, .combine) }
        }
        let perStepBytes = Self.median(exchangeBytes), perStepSeconds = Self.median(exchangeSeconds)
        // The coordinator's combine time includes waiting for the workers' experts, so this rate is
        // a lower bound of the link's; `expertmesh bench` measures the exchange alone.
        lines.append(String(format: "exchange: %.3f MB per step; coordinator in dispatch + combine (incl. waiting for experts) %.2f ms: %.3f GB/s effective",
                            perStepBytes / 1e6, perStepSeconds * 1000, perStepBytes / max(perStepSeconds, 1e-12) / 1e9))
        lines.append("wire formats: dispatch \(config.runtime.dispatchDType.rawValue) " + wireError(coordinatorRanks, config.runtime.dispatchDType)
                     + ", combine \(config.runtime.combineDType.rawValue) " + wireError(workerRanks, config.runtime.combineDType))
        if let s = measured.last {
            let rows = rowsPerExpert(s)
            lines.append(String(format: "load (last step): tokens per expert max/mean %.2f, tokens per worker max/mean %.2f",
                                Self.imbalance(rows), Self.imbalance(tokensPerWorker(s))))
        }
        lines.append("")
        lines.append("rank  role           weights MB   resident MB  busy ms (experts or attention+router+mlp, median step)")
        for rank in 0..<ranks {
            let role: String
            let busy: Double
            switch cluster.role(ofRank: rank) {
            case .coordinator(let c):
                role = "coordinator \(c)"
                busy = Self.median(measured.map { s in (0..<m.layers).reduce(0) {
                    $0 + time(rank, s, layer: $1, .attention) + time(rank, s, layer: $1, .router) + time(rank, s, layer: $1, .mlp) } })
            case .worker(let w):
                role = "worker \(w)"
                busy = Self.median(measured.map { s in (0..<m.layers).reduce(0) { $0 + time(rank, s, layer: $1, .experts) } })
            }
            lines.append(String(format: "%4d  %-14@ %10.2f  %12.2f  %8.2f", rank, role as NSString, Double(results[rank].weightBytes) / 1e6,
                                Double(results[rank].residentBytes) / 1e6, busy * 1000))
        }
        if let s = measured.last {
            lines.append("")
            lines.append("bytes sent per step (last step), row = source rank, column = destination rank:")
            lines.append("      " + (0..<ranks).map { String(format: "%12d", $0) }.joined())
            for source in 0..<ranks {
                lines.append(String(format: "%4d  ", source) + steps[source][s].bytesTo.map { String(format: "%12.0f", $0) }.joined())
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The relative round-trip error of `dtype` over `ranks`, against fp32.
    func wireError(_ ranks: [Int], _ dtype: WireDType) -> String {
        guard dtype != .fp32 else { return "(exact)" }
        let error = ranks.map { results[$0].wireMaxAbsoluteError }.max() ?? 0, magnitude = ranks.map { results[$0].wireMaxMagnitude }.max() ?? 0
        return String(format: "(relative error against fp32 %.2e)", magnitude > 0 ? error / magnitude : 0)
    }

    // MARK: files

    /// The run reduced to the figures a sweep plots (`run --summary`).
    func runSummary() -> RunSummary {
        let m = config.model
        let measured = measuredSteps
        func coordinator(_ phase: LayerPhase) -> Double {
            Self.median(measured.map { s in (0..<m.layers).reduce(0) { $0 + time(0, s, layer: $1, phase) } })
        }
        func slowestWorker(_ phase: LayerPhase) -> Double {
            workerRanks.map { w in Self.median(measured.map { s in (0..<m.layers).reduce(0) { $0 + time(w, s, layer: $1, phase) } }) }.max() ?? 0
        }
        let dispatch = Self.median(measured.map { s in coordinatorRanks.reduce(0) { $0 + steps[$1][s].dispatchBytes } })
        let combine = Self.median(measured.map { s in workerRanks.reduce(0) { $0 + steps[$1][s].combineBytes } })
        let exchangeSeconds = coordinator(.dispatch) + coordinator(.combine)
        var perExpert = Array(repeating: 0.0, count: m.experts)
        for s in measured { for (e, n) in rowsPerExpert(s).enumerated() { perExpert[e] += n } }
        let stepSeconds = Self.median(measured.map(seconds))
        let tokensPerStep = Self.median(measured.map(tokens))
        return RunSummary(mode: request.mode.rawValue, steps: measured.count, tokensPerStep: tokensPerStep,
                          stepSeconds: stepSeconds, tokensPerSecond: medianTokensPerSecond,
                          attentionSeconds: coordinator(.attention), routerSeconds: coordinator(.router),
                          dispatchSeconds: coordinator(.dispatch), combineSeconds: coordinator(.combine),
                          sharedSeconds: coordinator(.mlp), emulatedSeconds: coordinator(.emulated),
                          expertsSeconds: slowestWorker(.experts), waitSeconds: slowestWorker(.wait),
                          dispatchBytes: dispatch, combineBytes: combine,
                          exchangeBytesPerSecond: exchangeSeconds > 0 ? (dispatch + combine) / exchangeSeconds : 0,
                          imbalance: Self.median(measured.map(expertRowImbalance)),
                          tokensPerExpert: perExpert)
    }

    /// The weight of the newest step in the load statistics' exponential moving average.
    static let loadAverageWeight = 0.25

    /// Tokens routed to each expert of each MoE layer (`run --load-stats`): the total over the
    /// run's steps, the mean per step, and an exponential moving average over the steps (weight
    /// ``loadAverageWeight`` on the newest), one CSV row per (layer, expert). `expertmesh plan`
    /// reads it.
    func writeLoadStats(to path: String) throws {
        let m = config.model
        // The steps that count: decode steps in decode mode (the prompt's prefill routes otherwise).
        let counted = measuredSteps
        var lines = [
            "# expertmesh load statistics: tokens routed to each expert of each MoE layer, counted by the workers",
            "# config: \(request.configPath), \(request.mode.rawValue), \(counted.count) steps\(request.mode == .decode ? " (decode steps only)" : ""); moving_average: exponential, weight \(Self.loadAverageWeight) on the newest step",
            LoadColumn.header.joined(separator: ","),
        ]
        for (moe, layer) in m.moeLayers.enumerated() {
            var total = Array(repeating: 0.0, count: m.experts), average = total
            for (i, s) in counted.enumerated() {
                var step = Array(repeating: 0.0, count: m.experts)
                for w in workerRanks { for (e, n) in steps[w][s].expertRows[moe].enumerated() { step[e] += n } }
                for e in 0..<m.experts {
                    total[e] += step[e]
                    average[e] = i == 0 ? step[e] : Self.loadAverageWeight * step[e] + (1 - Self.loadAverageWeight) * average[e]
                }
            }
            for e in 0..<m.experts {
                lines.append("\(layer),\(e),\(Int(total[e])),\(String(format: "%.6g", total[e] / Double(max(counted.count, 1)))),\(String(format: "%.6g", average[e]))")
            }
        }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path)
    }

    /// The busiest worker's expert rows over the mean in step `s`, averaged over the MoE layers
    /// (what the cost model's `effectiveImbalance` predicts).
    func expertRowImbalance(_ s: Int) -> Double {
        let layers = config.model.moeLayers.indices.map { m in
            Self.imbalance(workerRanks.map { w in steps[w][s].expertRows[m].reduce(0, +) })
        }
        return layers.isEmpty ? 1 : layers.reduce(0, +) / Double(layers.count)
    }

    func writeSummary(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(runSummary()), to: path)
    }

    /// One JSON object per step.
    func writeMetrics(to path: String) throws {
        var text = ""
        let m = config.model
        for s in 0..<stepCount {
            var layers: [[String: Any]] = []
            for layer in 0..<m.layers {
                var entry: [String: Any] = ["layer": layer, "moe": m.isMoE(layer)]
                for p in [LayerPhase.attention, .router, .dispatch, .combine, .mlp, .emulated] {
                    entry[p.key + "_ms"] =
                        coordinatorRanks.map { time($0, s, layer: layer, p) * 1000 }.max() ?? 0
                }
                entry["experts_ms_per_worker"] = workerRanks.map { time($0, s, layer: layer, .experts) * 1000 }
                entry["wait_ms_per_worker"] = workerRanks.map { time($0, s, layer: layer, .wait) * 1000 }
                if let moe = m.moeLayers.firstIndex(of: layer) {
                    var rows = Array(repeating: 0.0, count: m.experts)
                    for w in workerRanks { for (e, n) in steps[w][s].expertRows[moe].enumerated() { rows[e] += n } }
                    entry["tokens_per_expert"] = rows.map { Int($0) }
                    entry["expert_imbalance"] = Self.imbalance(rows)
                }
                layers.append(entry)
            }
            let exchangeBytes = coordinatorRanks.reduce(0) { $0 + steps[$1][s].dispatchBytes }
                + workerRanks.reduce(0) { $0 + steps[$1][s].combineBytes }
            // Coordinator 0's time in dispatch and combine, which includes waiting for the experts:
            // the rate is a lower bound of the links' (bench measures the exchange alone).
            let exchangeSeconds = (0..<m.layers).reduce(0) { $0 + time(0, s, layer: $1, .dispatch) + time(0, s, layer: $1, .combine) }
            let record: [String: Any] = [
                "step": s,
                "exchange_bytes": exchangeBytes,
                "exchange_seconds": exchangeSeconds,
                "exchange_effective_gbps": exchangeSeconds > 0 ? exchangeBytes / exchangeSeconds / 1e9 : 0,
                "phase": steps[0][s].word == .prefill ? "prefill" : "decode",
                "tokens": Int(tokens(s)),
                "seconds": seconds(s),
                "tokens_per_second": tokens(s) / max(seconds(s), 1e-12),
                "dispatch_bytes": coordinatorRanks.reduce(0) { $0 + steps[$1][s].dispatchBytes },
                "combine_bytes": workerRanks.reduce(0) { $0 + steps[$1][s].combineBytes },
                "bytes_sent": (0..<ranks).map { steps[$0][s].bytesTo.map { Int($0) } },
                "tokens_per_worker": tokensPerWorker(s),
                "worker_imbalance": Self.imbalance(tokensPerWorker(s)),
                "layers": layers,
            ]
            let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            text += String(decoding: data, as: UTF8.self) + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    /// Chrome trace-event JSON: one track per rank, clocks aligned at the start barrier.
    func writeTrace(to path: String) throws {
        var events: [[String: Any]] = []
        for rank in 0..<ranks {
            let name: String
            switch cluster.role(ofRank: rank) {
            case .coordinator(let c): name = "rank \(rank): coordinator \(c)"
            case .worker(let w): name = "rank \(rank): worker \(w)"
            }
            events.append(["name": "thread_name", "ph": "M", "pid": 0, "tid": rank, "args": ["name": name]])
            // Each rank's clock starts at its own start barrier; ranks leave a barrier together,
            // so aligning those instants aligns the tracks (to the barrier's exit skew).
            let origin = results[rank].clockOffsetSeconds
            for span in spans[rank] {
                events.append([
                    "name": "\(span.phase.name) L\(span.layer)", "cat": span.phase.name, "ph": "X", "pid": 0, "tid": rank,
                    "ts": (span.start - origin) * 1e6, "dur": (span.end - span.start) * 1e6,
                    "args": ["layer": span.layer],
                ])
            }
        }
        let data = try JSONSerialization.data(withJSONObject: ["traceEvents": events, "displayTimeUnit": "ms"])
        try AtomicFile.write(data, to: path)
    }
}
