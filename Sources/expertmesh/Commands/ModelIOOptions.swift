import ArgumentParser
import MeshCore
import MeshModel

/// The options `reference` and `run` share: the config, the weights, the files in and out, the mode.
struct ModelIOOptions: ParsableArguments {
    @Option(help: "The config file (YAML).")
    var config: String

    @Option(help: "Weights: a .safetensors file, a sharded index JSON or a model folder (default: the config's, else seeded).")
    var weights: String?

    @Option(help: "Input .npy: float [tokens, hidden] or [sequences, tokens, hidden], or int token ids [sequences, tokens] (default: the workload's seeded input).")
    var input: String?

    @Option(help: "Output .npy (written atomically).")
    var output: String?

    @Option(help: "What to write.")
    var outputKind: OutputKind = .hidden

    @Option(help: "The mode (default: the config's workload mode).")
    var mode: RunMode?

    @Option(help: "Steps: decode tokens per sequence (and prefill repetitions for run) (default: the config's).")
    var steps: Int?

    @Option(name: .customLong("set"), help: ArgumentHelp("Replace a config field before it is checked, e.g. --set cluster.workers=2 (repeatable).", valueName: "FIELD.PATH=VALUE"))
    var overrides: [String] = []

    func validate() throws {
        if let steps { try Limits.check(count: steps, flag: "--steps") }
    }

    /// The config, checked against these options.
    func load() throws -> (ExpertMeshConfig, OutputKind, RunMode) {
        let kind = outputKind
        let loaded = try ExpertMeshConfig.load(path: config, overrides: try overrides.map(ConfigOverride.init(parsing:)))
        if kind != .hidden, !loaded.model.hasEmbedding {
            throw CommandError(message: "--output-kind \(kind.rawValue) needs a model with a vocabulary (model.vocab > 0)")
        }
        if loaded.model.latentCacheWidth > 0 {
            throw CommandError(message: "\(config): model.latent_cache_width: multi-head latent attention is not implemented by the runtime (use predict)")
        }
        return (loaded, kind, mode ?? loaded.workload.mode)
    }
}
