import ArgumentParser
import Foundation
import MeshCore
import MeshIO
import MeshPlanning

/// `expertmesh predict`: the cost model's step time for a config on a hardware profile.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict step time and tokens/s of a config on a hardware profile, and name the bottleneck.")

    @Option(help: "The config file (YAML).")
    var config: String

    @Option(help: "A hardware profile (default: the config's `hardware`).")
    var hardware: String?

    @Option(help: "Take the model from a Hugging Face config.json (multi-head latent attention is approximated as MHA).")
    var hfConfig: String?

    @Option(help: "The layout (default: the config's).")
    var layout: DeploymentLayout?

    @Option(help: "Micro-batches: 1 = no overlap, 2 = dual micro-batch, m = m-micro-batch ping-pong.")
    var microBatches: Int = 1

    @Option(help: "Node-limited routing: at most this many nodes per token.")
    var nodeLimit: Int?

    @Option(help: "Busiest worker's tokens over the mean, for uniform routing (see --expert-load).")
    var imbalance: Double = 1

    @Option(help: "Tokens per expert per MoE layer (a `run --load-stats` file): workers' loads follow from it and the placement.")
    var expertLoad: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Replace a config field, e.g. --set cluster.placement=round_robin (repeatable).", valueName: "FIELD.PATH=VALUE"))
    var overrides: [String] = []

    @Option(help: "Override the workload's mode.")
    var mode: RunMode?

    @Option(help: "Override the workload's sequences.")
    var sequences: Int?

    @Option(help: "Override the workload's tokens (prompt length, or context in decode).")
    var tokens: Int?

    @Flag(inversion: .prefixedNo, help: "Count each record's (expert, weight) header; --no-record-headers models bare rows.")
    var recordHeaders = true

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if let sequences { try Limits.check(count: sequences, flag: "--sequences", in: ConfigLimits.sequences) }
        if let tokens { try Limits.check(count: tokens, flag: "--tokens", in: ConfigLimits.tokens) }
        // A micro-batch holds at least one token.
        try Limits.check(count: microBatches, flag: "--micro-batches", in: ConfigLimits.tokens)
        if let nodeLimit { try Limits.check(count: nodeLimit, flag: "--node-limit", in: ConfigLimits.workers) }
        guard imbalance >= 1, imbalance.isFinite else { throw ValidationError("--imbalance: expected at least 1, found \(imbalance)") }
    }

    func run() throws {
        var loaded = try ExpertMeshConfig.load(path: config, overrides: try overrides.map(ConfigOverride.init(parsing:)))
        if let hfConfig {
            let hf = try HuggingFaceConfig.parse(Data(TextFile.read(hfConfig, what: "a Hugging Face config.json (--hf-config)").utf8), file: hfConfig)
            loaded = try loaded.replacingModel(hf.model)
        }
        if let mode { loaded.workload.mode = mode }
        if let sequences { loaded.workload.sequences = sequences }
        if let tokens { loaded.workload.tokens = tokens }
        guard let path = hardware ?? loaded.hardware else {
            throw CommandError(message: "--hardware: no profile given and \(config) names none (hardware: PATH)")
        }
        let profile = try HardwareProfile.load(path: path)
        var request = PredictionRequest(config: loaded, hardware: profile)
        if let layout { request.layout = layout }
        request.overlap = microBatches == 1 ? .none : .pingPong(microBatches: microBatches)
        if let nodeLimit { request.nodeLimit = nodeLimit }
        request.imbalance = imbalance
        if let expertLoad {
            request.expertLoad = try ExpertLoad.read(path: expertLoad, model: request.config.model).tokens
        }
        request.recordHeaders = recordHeaders
        let prediction: StepPrediction
        do {
            prediction = try CostModel(request).predict()
        } catch let error as ConfigError {
            throw error.inFile(config)
        }
        if json {
            print(String(decoding: try prediction.json(), as: UTF8.self))
        } else {
            let c = loaded.cluster
            let ranks = request.layout == .colocated ? "\(c.workers) ranks (colocated)" : "\(c.coordinators) coordinator(s) + \(c.workers) worker(s)"
            print(prediction.text(title: "predict: \(config) on \(profile.name): \(ranks) on \(prediction.nodes) node(s), "
                                  + "\(loaded.workload.mode.rawValue) \(prediction.tokens) tokens per step"))
        }
    }
}
