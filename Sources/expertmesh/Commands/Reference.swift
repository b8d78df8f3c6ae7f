import ArgumentParser
import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshTensor

/// `expertmesh reference`: the whole model in one process, the oracle of every distributed run.
struct Reference: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole model in one process (the single-process reference).")

    @Option(help: "The config file (YAML).")
    var config: String

    @Option(help: "Weights: a .safetensors file, a sharded index JSON or a model folder (default: the config's, else seeded).")
    var weights: String?

    @Option(help: "Input .npy: float [tokens, hidden] or [sequences, tokens, hidden], or int token ids [sequences, tokens] (default: the workload's seeded input).")
    var input: String?

    @Option(help: "Output .npy (written atomically).")
    var output: String?

    @Option(help: "What to write: hidden, logits or next-ids.")
    var outputKind: String = OutputKind.hidden.rawValue

    @Option(help: "prefill or decode (default: the config's workload mode).")
    var mode: String?

    @Option(help: "Decode steps (default: the config's workload steps; prefill runs once).")
    var steps: Int?

    @Option(help: "OpenBLAS threads (default: the cores of this machine).")
    var blasThreads: Int?

    func run() throws {
        guard let kind = OutputKind(rawValue: outputKind) else {
            throw CommandError(message: "--output-kind: expected one of \(OutputKind.allCases.map(\.rawValue).joined(separator: ", ")), found '\(outputKind)'")
        }
        let config = try ExpertMeshConfig.load(path: config)
        if kind != .hidden, !config.model.hasEmbedding {
            throw CommandError(message: "--output-kind \(kind.rawValue) needs a model with a vocabulary (model.vocab > 0)")
        }
        BLASThreads.set(BLASThreads.recommended(ranksOnNode: 1, cores: ProcessInfo.processInfo.activeProcessorCount,
                                                override: blasThreads))
        let (input, batched) = try input.map { try Activations.read($0, model: config.model) }
            ?? (Activations.generated(config.workload, model: config.model), true)
        let source = try WeightFiles.source(path: weights ?? config.weights.path, seed: config.weights.seed)
        let model = try ReferenceModel(weights: ModelWeights(model: config.model, source: source,
                                                             ownership: .everything(config.model)))
        let runMode = try mode.map { try parseMode($0) } ?? config.workload.mode
        let clock = ContinuousClock()
        let start = clock.now
        var stepper = ReferenceStepper(model: model)
        let hidden = try Generation.run(&stepper, prompts: model.head.initialStates(input), mode: runMode,
                                        steps: runMode == .prefill ? 1 : (steps ?? config.workload.steps),
                                        head: model.head)
        let result = model.head.finish(hidden, as: kind)
        let seconds = (clock.now - start).seconds
        if let output { try result.array(batched: batched).write(to: output) }
        let tokens = input.tokensPerSequence.reduce(0, +)
        print(String(format: "reference: %d sequence(s), %d tokens, %d layers in %.3f s (%.0f tokens/s)%@",
                     input.sequences, tokens, config.model.layers, seconds, Double(tokens) / seconds,
                     output.map { ", wrote \($0)" } ?? ""))
    }
}

/// A `--mode` value.
func parseMode(_ text: String) throws -> RunMode {
    guard let mode = RunMode(rawValue: text) else {
        throw CommandError(message: "--mode: expected prefill or decode, found '\(text)'")
    }
    return mode
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
