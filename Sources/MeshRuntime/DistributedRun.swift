import Foundation
import Logging
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// What `expertmesh run` was asked to do.
public struct RunRequest: Sendable {
    public var config: ExpertMeshConfig
    public var configPath: String
    public var weightsPath: String?
    public var inputPath: String?
    public var outputPath: String?
    public var outputKind: OutputKind = .hidden
    public var metricsPath: String?
    public var tracePath: String?
    /// Where rank 0 writes the run's ``RunSummary`` as JSON.
    public var summaryPath: String?
    /// Where rank 0 writes the tokens per expert per MoE layer as CSV (`--load-stats`).
    public var loadStatsPath: String?
    public var mode: RunMode
    public var steps: Int
    /// Where rank 0 writes the summary table (standard output from the CLI); nil: no summary.
    public var summary: (@Sendable (String) -> Void)?
    /// A failure to inject, for tests.
    public var fault: Fault?
    /// Links to emulate: every exchange takes at least what this profile's links would.
    public var emulate: HardwareProfile?
    /// Compute phases take this many times their real time (≥ 1): a slower device, emulated.
    public var computeSlowdown: Double = 1

    public init(config: ExpertMeshConfig, configPath: String) {
        self.config = config
        self.configPath = configPath
        mode = config.workload.mode
        steps = config.workload.steps
    }
}

/// One MoE run across the ranks of an mpirun job: every rank calls ``main(_:)``.
public enum DistributedRun {
    static let logger = Logger(label: "expertmesh.run")

    /// Runs `request` on this rank and returns the process exit status.
    ///
    /// 0 on success; 2 for bad input (a rank count other than the config's, a missing tensor, a bad
    /// input file), after every rank agreed to stop. Failures during the run (a timeout, a bad
    /// message) abort the whole job through `MPI_Abort` after naming the rank, peer and phase.
    public static func main(_ request: RunRequest) -> Int32 {
        drive(command: "run", config: request.config, configPath: request.configPath, emulate: request.emulate) { world in
            try RunSession(request: request, world: world)
        }
    }

    /// The life of one rank of any job (`run`, `serve`): checks that need no session, the
    /// session's setup agreed by every rank, the hosts exchanged, the work, and the end.
    ///
    /// Bad input is one line from one rank and status 2 on every rank; a failure during the work
    /// aborts the job after naming the rank, peer, phase and, on several hosts, the host.
    static func drive<Session: RankSession>(command: String, config: ExpertMeshConfig, configPath: String,
                                            emulate: HardwareProfile?,
                                            makeSession: (Communicator) throws -> Session) -> Int32 {
        guard let environment = MPIJob.start() else { return 1 }
        let world = environment.world
        var problem: String?
        if config.cluster.layout == .colocated {
            problem = "\(configPath): cluster.layout: \(command) executes the disaggregated layout; colocated is for predict"
        } else if config.model.latentCacheWidth > 0 {
            problem = "\(configPath): model.latent_cache_width: \(command) does not implement multi-head latent attention; it is for predict"
        } else if let profile = emulate, let devices = profile.devices, config.cluster.ranks > devices {
            problem = "\(configPath): cluster.workers: out of range: expected at most \(devices) ranks "
                + "(the devices of \(profile.name)), found \(config.cluster.ranks) ranks"
        } else {
            problem = MPIJob.rankCountProblem(worldSize: world.size, config: config, configPath: configPath, command: command)
        }
        if let problem {
            if world.rank == 0 { report("expertmesh: error: \(problem)") }
            try? environment.finalize()
            return 2
        }
        let session: Session
        do {
            session = try makeSession(world)
        } catch {
            // Setup failed on this rank: tell the others to stop. Several ranks often fail alike (a
            // missing weights file): only the lowest failing rank says why, so the job prints one line.
            let others = try? CountsExchange(communicator: world).exchange(Array(repeating: 1, count: world.size),
                                                                           timeoutSeconds: config.runtime.stepTimeoutSeconds,
                                                                           phase: "agreeing that setup failed")
            let lowerFailed = (0..<world.rank).contains { (others?[$0] ?? 0) != 0 }
            if lowerFailed {
                // mpirun ends the job at the first non-zero exit: give the reporting rank the time to say why.
                Thread.sleep(forTimeInterval: 1)
            } else {
                report("expertmesh: error: rank \(world.rank): \(error)")
            }
            try? environment.finalize()
            return error is any InputError ? 2 : 1
        }
        var hosts: RankHosts?
        do {
            // Every rank says whether its setup worked (point to point, so that a rank that never
            // gets here is named when the wait runs out).
            let failures = try session.context.counts.exchange(Array(repeating: 0, count: world.size),
                                                               timeoutSeconds: config.runtime.stepTimeoutSeconds,
                                                               phase: "agreeing that setup worked")
            if failures.contains(where: { $0 != 0 }) {
                Thread.sleep(forTimeInterval: 1)
                try? environment.finalize()
                return 2
            }
            hosts = try RankHosts.exchange(session.context)
            try session.run()
            try session.end()
        } catch {
            report("expertmesh: error: \(hosts?.describe(error, rank: world.rank) ?? "\(error)")")
            environment.abort(code: error is ProtocolError ? 2 : 1)
        }
        do {
            try environment.finalize()
        } catch {
            report("expertmesh: error: \(error)")
            return 1
        }
        return 0
    }

    /// Reports one line of error through swift-log (the CLI prints it on standard error).
    static func report(_ line: String) {
        FailureRecord.note(line)
        logger.error("\(line)")
    }
}

/// One rank's part of a job, as ``DistributedRun/drive(command:config:configPath:emulate:makeSession:)`` runs it.
protocol RankSession {
    var context: RunContext { get }
    /// The work, after every rank's setup worked.
    func run() throws
    /// Gathers the results on rank 0 and writes them.
    func end() throws
}

/// The state of one rank during a run.
final class RunSession: RankSession {
    let request: RunRequest
    let context: RunContext
    let role: RankRole
    let metrics: RankMetrics
    let weightBytes: Int
    private var coordinator: Coordinator?
    private var worker: Worker?
    /// The coordinator's hidden outputs for its sequences, after the run.
    private var outputs: [Tensor] = []
    private var prompts: [Tensor] = []
    private var batched = true
    private var clockOffset = 0.0
    private var runSeconds = 0.0

    init(request: RunRequest, world: Communicator) throws {
        self.request = request
        let config = request.config
        context = RunContext(config: config, communicator: world, fault: request.fault, emulate: request.emulate)
        role = config.cluster.role(ofRank: world.rank)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        BLASThreads.set(BLASThreads.recommended(ranksOnNode: config.cluster.ranksOnNode(of: world.rank), cores: cores,
                                                override: config.runtime.blasThreads))
        metrics = RankMetrics(layers: config.model.layers, ranks: world.size, moeLayers: config.model.moeLayers.count,
                              experts: config.model.experts, recordSpans: request.tracePath != nil)
        metrics.computeSlowdown = request.computeSlowdown
        let source = try WeightFiles.source(path: request.weightsPath ?? config.weights.path, seed: config.weights.seed)
        switch role {
        case .coordinator(let c):
            let ownership = WeightOwnership(coordinatorTensors: true, experts: Array(repeating: [], count: config.model.layers))
            let weights = try ModelWeights(model: config.model, source: source, ownership: ownership)
            weightBytes = weights.residentBytes
            let (input, batched) = try request.inputPath.map { try Activations.read($0, model: config.model) }
                ?? (Activations.generated(config.workload, model: config.model), true)
            self.batched = batched
            let head = ModelHead(weights: weights)
            let all = head.initialStates(input)
            prompts = Array(all[config.cluster.sequences(ofCoordinator: c, total: all.count)])
            coordinator = Coordinator(context: context, index: c, weights: weights, metrics: metrics)
        case .worker(let w):
            let weights = try ModelWeights(model: config.model, source: source,
                                           ownership: .worker(w, placement: config.placement, model: config.model))
            weightBytes = weights.residentBytes
            worker = Worker(context: context, index: w, weights: weights, metrics: metrics)
        }
    }

    func end() throws { try finish() }

    /// Runs the workload: coordinators drive the steps, workers serve them.
    func run() throws {
        try context.communicator.ibarrier().wait(timeoutSeconds: context.timeoutSeconds)
        let start = monotonicSeconds()
        clockOffset = start
        if let coordinator {
            var stepper = coordinator
            outputs = try Generation.run(&stepper, prompts: prompts, mode: request.mode, steps: request.steps,
                                         head: coordinator.head)
            try coordinator.stop()
        } else if let worker {
            try worker.run()
        }
        runSeconds = monotonicSeconds() - start
    }

    /// Gathers outputs and measurements on rank 0, writes the files and prints the summary.
    ///
    /// - Returns: the report, on rank 0.
    @discardableResult
    func finish() throws -> RunReport? {
        // Gathering the results is not part of the emulated workload.
        context.dispatch.emulator = nil
        context.combine.emulator = nil
        let gather = RootGather(context: context)
        // Outputs: every coordinator's sequences, in sequence order (coordinator order).
        let flatOutputs = outputs.flatMap(\.scalars)
        let gatheredOutputs = try gather.floats(flatOutputs.map(Double.init), phase: "gathering outputs")
        let rss = Self.residentBytes()
        let meter = coordinator?.packer.dispatchError ?? worker?.compute.combineError ?? WireErrorMeter()
        let memory = try gather.floats([Double(weightBytes), Double(rss), clockOffset, runSeconds,
                                        meter.maxAbsoluteError, meter.maxMagnitude], phase: "gathering memory")
        let records = try gather.floats(metrics.steps.flatMap(\.flattened), phase: "gathering metrics")
        let spans = try gather.floats(metrics.spans.flatMap { [$0.start, $0.end, Double($0.phase.rawValue), Double($0.layer)] },
                                      phase: "gathering the trace")
        guard context.rank == 0, let gatheredOutputs, let memory, let records, let spans else { return nil }
        let config = request.config
        let report = RunReport(config: config, request: request, ranks: context.ranks,
                               memory: memory, records: records, spans: spans,
                               recordSize: metrics.recordSize)
        if let path = request.outputPath, let coordinator {
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

/// Collects a variable number of Doubles from every rank on rank 0.
struct RootGather {
    let context: RunContext

    /// Every rank's `values`, on rank 0 (index = rank); nil on other ranks.
    func floats(_ values: [Double], phase: String) throws -> [[Double]]? {
        let me = context.rank
        var counts = Array(repeating: Int32(0), count: context.ranks)
        counts[0] = Int32(values.count)
        let announced = try context.counts.exchange(counts, timeoutSeconds: context.timeoutSeconds, phase: phase)
        let receive = ByteRegions(counts: me == 0 ? announced.map { Int($0) * 8 } : Array(repeating: 0, count: context.ranks))
        var sendCounts = Array(repeating: 0, count: context.ranks)
        sendCounts[0] = values.count * 8
        let send = ByteRegions(counts: sendCounts)
        context.dispatch.fill(send.total) { buffer in
            guard !values.isEmpty else { return }
            values.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        try context.dispatch.exchange(send: send, receive: receive, timeoutSeconds: context.timeoutSeconds, phase: phase)
        guard me == 0 else { return nil }
        return context.dispatch.withReceived { received in
            (0..<context.ranks).map { rank in
                (0..<(receive.counts[rank] / 8)).map { received.loadUnaligned(fromByteOffset: receive.offsets[rank] + 8 * $0, as: Double.self) }
            }
        }
    }
}
