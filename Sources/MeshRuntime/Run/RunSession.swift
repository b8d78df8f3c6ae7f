import Foundation
import Logging
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// The state of one rank during a run.
final class RunSession: RankSession {
    let request: RunRequest
    let job: JobContext
    let setup: RankSetup
    /// The coordinator's hidden outputs for its sequences, after the run.
    private var outputs: [Tensor] = []
    private var prompts: [Tensor] = []
    private var batched = true
    private var clockOffset = 0.0
    private var runSeconds = 0.0

    init(request: RunRequest, job: JobContext) throws {
        self.request = request
        self.job = job
        let config = request.config
        setup = try RankSetup(job: job, config: config,
                              source: try WeightFiles.source(path: request.weightsPath ?? config.weights.path, seed: config.weights.seed),
                              fault: request.fault, emulate: request.emulate, computeSlowdown: request.computeSlowdown,
                              recordSpans: request.tracePath != nil)
        if case .coordinator(let coordinator) = setup.part, case .coordinator(let c) = setup.role {
            let (input, batched) = try request.inputPath.map { try Activations.read($0, model: config.model) }
                ?? (Activations.generated(config.workload, model: config.model), true)
            self.batched = batched
            let all = coordinator.head.initialStates(input)
            prompts = Array(all[config.cluster.sequences(ofCoordinator: c, total: all.count)])
        }
    }

    var context: RunContext { setup.context }

    func end() throws -> Int32 {
        try finish()
        return 0
    }

    /// Runs the workload: coordinators drive the steps, workers serve them.
    func run() throws {
        try job.barrier("the start barrier")
        let start = monotonicSeconds()
        clockOffset = start
        switch setup.part {
        case .coordinator(let coordinator):
            var stepper = coordinator
            outputs = try Generation.run(&stepper, prompts: prompts, mode: request.mode, steps: request.steps,
                                         head: coordinator.head)
            try coordinator.stop()
        case .worker(let worker):
            try worker.run()
        }
        runSeconds = monotonicSeconds() - start
    }

    /// Gathers outputs and measurements on rank 0, writes the files and prints the summary.
    ///
    /// - Returns: the report, on rank 0.
    @discardableResult
    func finish() throws -> RunReport? {
        // Outputs: every coordinator's sequences, in sequence order (coordinator order).
        let gatheredOutputs = try job.gather(doubles: outputs.flatMap(\.scalars).map(Double.init), phase: "gathering outputs")
        let meter = setup.wireError
        let mine = RankResult(weightBytes: setup.weightBytes, residentBytes: Self.residentBytes(), clockOffsetSeconds: clockOffset,
                              runSeconds: runSeconds, wireMaxAbsoluteError: meter.maxAbsoluteError, wireMaxMagnitude: meter.maxMagnitude)
        let results = try job.gather(mine, phase: "gathering memory")
        let metrics = setup.metrics
        let records = try job.gather(metrics.steps, phase: "gathering metrics")
        let spans = try job.gather(metrics.spans, phase: "gathering the trace")
        guard job.rank == 0, let gatheredOutputs, let results, let records, let spans else { return nil }
        let config = request.config
        let report = RunReport(config: config, request: request, ranks: job.ranks,
                               results: results, steps: records, spans: spans)
        if let path = request.outputPath, case .coordinator(let coordinator) = setup.part {
            var hidden: [Tensor] = []
            let rows = request.mode == .prefill ? nil : request.steps
            for c in 0..<config.cluster.coordinators {
                let values = gatheredOutputs[c].map { Float($0) }
                let count = config.cluster.sequences(ofCoordinator: c, total: totalSequences).count
                guard count > 0 else { continue }
                let perSequence = values.count / count
                for s in 0..<count {
                    let slice = Array(values[(s * perSequence)..<((s + 1) * perSequence)])
                    hidden.append(Tensor(shape: [rows ?? perSequence / config.model.hidden, config.model.hidden], scalars: slice))
                }
            }
            try coordinator.head.finish(hidden, as: request.outputKind).array(batched: batched).write(to: path)
        }
        if let path = request.metricsPath { try report.writeMetrics(to: path) }
        if let path = request.tracePath { try report.writeTrace(to: path) }
        if let path = request.summaryPath { try report.writeSummary(to: path) }
        if let path = request.loadStatsPath { try report.writeLoadStats(to: path) }
        request.summary?(report.summary())
        return report
    }

    private var totalSequences: Int {
        if let path = request.inputPath, let (input, _) = try? Activations.read(path, model: request.config.model) {
            return input.sequences
        }
        return request.config.workload.sequences
    }

    /// This process's resident set size, from /proc/self/status (0 where unavailable).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
