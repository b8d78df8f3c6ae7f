import ArgumentParser
import MeshCore
import MeshIO
import MeshModel

/// `expertmesh save-weights`: write the seeded weights of a config as safetensors.
struct SaveWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save-weights",
        abstract: "Write the config's seeded weights as a safetensors checkpoint (Hugging Face names).")

    @Option(help: "The config file (YAML).")
    var config: String

    @Option(help: "Output: a .safetensors file, or a folder for a sharded checkpoint (see --shard-bytes).")
    var out: String

    @Option(help: "Stored dtype: F32, F16 or BF16.")
    var dtype: String = "F32"

    @Option(help: "Split into shards of at most this many bytes, with model.safetensors.index.json.")
    var shardBytes: Int?

    func validate() throws {
        if let shardBytes { try Limits.check(count: shardBytes, flag: "--shard-bytes", in: 1...Int.max) }
    }

    func run() throws {
        let config = try ExpertMeshConfig.load(path: config)
        let written = try WeightFiles.save(model: config.model, seed: config.weights.seed, to: out,
                                           dtype: dtype, shardBytes: shardBytes)
        print("save-weights: \(written.tensors) tensors, \(written.bytes) bytes as \(dtype) in \(out)")
    }
}
