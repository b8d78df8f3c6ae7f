import MeshMPI
import MeshRuntime
import MeshTensor

extension CalibrationSession {
    /// sgemm FLOP/s on the config's expert shapes, by token count: first with every rank computing
    /// at once, then rank 0 alone while the others wait.
    ///
    /// Each token count is timed over a window of repetitions (``CalibrationPlan`` gives the
    /// lengths) after an untimed warm-up; a window long against the scheduler's time slice gives
    /// the rate a rank gets while ranks share cores, where one short repetition could land on a
    /// core alone. The sweep stops after a size whose repetition took longer than
    /// ``CalibrationPlan/gemmRepetitionBudgetSeconds`` on some rank.
    ///
    /// - Returns: One point per token count measured, on rank 0 (the alone rates exist only
    ///   there); empty elsewhere.
    func measureGEMM() throws -> [GEMMPoint] {
        let model = request.config.model
        let tokensPerExpert = CalibrationPlan.tokensPerExpert(request.config)
        let weights = ExpertWeights(hidden: model.hidden, ffn: model.expertFFN)
        try job.agree("the sgemm measurement")
        var concurrent: [(tokens: Int, rates: [Double])] = []
        for tokens in CalibrationPlan.gemmTokenCounts(tokensPerExpert: tokensPerExpert) {
            let expert = ExpertGEMMs(tokens: tokens, weights: weights)
            try barrier()
            _ = expert.repeatFor(seconds: 0.01, atLeast: 2)
            try barrier()
            let timed = expert.repeatFor(seconds: CalibrationPlan.concurrentWindowSeconds, atLeast: 3)
            let rates = try allgather([timed.flopsPerSecond])
            let slowest = try allreduce(timed.slowestSeconds, op: .max)
            concurrent.append((tokens, rates))
            if slowest > CalibrationPlan.gemmRepetitionBudgetSeconds { break }
        }
        let aloneRates = try alone { () -> [Double] in
            // The first 20 ms of the others' wait yield the core instead of sleeping: let it pass.
            _ = ExpertGEMMs(tokens: concurrent[0].tokens, weights: weights).repeatFor(seconds: 0.03, atLeast: 2)
            return concurrent.map { entry in
                let expert = ExpertGEMMs(tokens: entry.tokens, weights: weights)
                _ = expert.repeatFor(seconds: 0.005, atLeast: 2)
                return expert.repeatFor(seconds: CalibrationPlan.aloneWindowSeconds, atLeast: 3).flopsPerSecond
            }
        }
        guard let aloneRates else { return [] }
        let points = zip(concurrent, aloneRates).map {
            GEMMPoint(tokens: $0.tokens, concurrentFlopsPerSecond: $0.rates, aloneFlopsPerSecond: $1)
        }
        say(CalibrationReport.gemmHeader(hidden: model.hidden, ffn: model.expertFFN, tokensPerExpert: tokensPerExpert,
                                         configPath: request.configPath))
        say(points.map(CalibrationReport.row))
        if let last = points.last, last.tokens < tokensPerExpert {
            say("# The sweep stopped at n = \(last.tokens), short of the config's \(tokensPerExpert) tokens per expert: "
                + "a repetition took over \(CalibrationPlan.gemmRepetitionBudgetSeconds) s.")
        }
        return points
    }
}

/// One expert's weights in PyTorch `[out, in]` layout: gate and up `[ffn, hidden]`, down
/// `[hidden, ffn]`. The values are small and fixed; sgemm's speed does not depend on them
/// (they stay clear of subnormals).
final class ExpertWeights {
    let hidden: Int
    let ffn: Int
    let gate: [Float]
    let up: [Float]
    let down: [Float]

    init(hidden: Int, ffn: Int) {
        self.hidden = hidden
        self.ffn = ffn
        gate = [Float](repeating: 0.01, count: ffn * hidden)
        up = [Float](repeating: 0.02, count: ffn * hidden)
        down = [Float](repeating: 0.01, count: hidden * ffn)
    }
}

/// The three GEMMs of one expert on `tokens` rows, with their activations: gate and up
/// `[n, hidden] × [ffn, hidden]ᵀ`, then down `[n, ffn] × [hidden, ffn]ᵀ`, one `cblas_sgemm` each
/// through ``linear(_:rows:inFeatures:weight:outFeatures:into:accumulate:)``. The elementwise
/// SiLU and product between them are left out: this times the GEMMs.
final class ExpertGEMMs {
    let tokens: Int
    let weights: ExpertWeights
    private var input: [Float]
    private var gateOutput: [Float]
    private var upOutput: [Float]
    private var output: [Float]

    init(tokens: Int, weights: ExpertWeights) {
        self.tokens = tokens
        self.weights = weights
        input = [Float](repeating: 0.5, count: tokens * weights.hidden)
        gateOutput = [Float](repeating: 0, count: tokens * weights.ffn)
        upOutput = [Float](repeating: 0, count: tokens * weights.ffn)
        output = [Float](repeating: 0, count: tokens * weights.hidden)
    }

    /// Floating-point operations of one repetition: 2·n·hidden·ffn for each of the three GEMMs.
    var flops: Double { 6 * Double(tokens) * Double(weights.hidden) * Double(weights.ffn) }

    /// Runs the three GEMMs once.
    func run() {
        let (n, hidden, ffn) = (tokens, weights.hidden, weights.ffn)
        input.withUnsafeBufferPointer { x in
            weights.gate.withUnsafeBufferPointer { w in
                gateOutput.withUnsafeMutableBufferPointer { linear(x, rows: n, inFeatures: hidden, weight: w, outFeatures: ffn, into: $0) }
            }
            weights.up.withUnsafeBufferPointer { w in
                upOutput.withUnsafeMutableBufferPointer { linear(x, rows: n, inFeatures: hidden, weight: w, outFeatures: ffn, into: $0) }
            }
        }
        gateOutput.withUnsafeBufferPointer { h in
            weights.down.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { linear(h, rows: n, inFeatures: ffn, weight: w, outFeatures: hidden, into: $0) }
            }
        }
    }

    /// Repeats ``run()`` until `seconds` have passed and at least `atLeast` times.
    ///
    /// - Returns: FLOP/s over the whole window, and the slowest single repetition in seconds.
    func repeatFor(seconds: Double, atLeast: Int) -> (flopsPerSecond: Double, slowestSeconds: Double) {
        let start = monotonicSeconds()
        var repetitions = 0, slowest = 0.0, now = start
        while repetitions < atLeast || now - start < seconds {
            let before = now
            run()
            now = monotonicSeconds()
            slowest = max(slowest, now - before)
            repetitions += 1
        }
        return (flops * Double(repetitions) / (now - start), slowest)
    }
}
