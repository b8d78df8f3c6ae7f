import ArgumentParser
import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshRuntime
import MeshTensor

/// `expertmesh reference`: the whole model in one process, the oracle of every distributed run.
struct Reference: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole model in one process (the single-process reference).")

    @OptionGroup var io: ModelIOOptions

    @Option(help: "OpenBLAS threads (default: the cores of this machine).")
    var blasThreads: Int?

    func run() throws {
        let (config, kind, runMode) = try io.load()
        BLASThreads.set(BLASThreads.recommended(ranksOnNode: 1, cores: ProcessInfo.processInfo.activeProcessorCount,
                                                override: blasThreads))
        let (input, batched) = try io.input.map { try Activations.read($0, model: config.model) }
            ?? (Activations.generated(config.workload, model: config.model), true)
        let source = try WeightFiles.source(path: io.weights ?? config.weights.path, seed: config.weights.seed)
        let model = try ReferenceModel(weights: ModelWeights(model: config.model, source: source,
                                                             ownership: .everything(config.model)))
        let clock = ContinuousClock()
        let start = clock.now
        var stepper = ReferenceStepper(model: model)
        let hidden = try Generation.run(&stepper, prompts: model.head.initialStates(input), mode: runMode,
                                        steps: runMode == .prefill ? 1 : (io.steps ?? config.workload.steps),
                                        head: model.head)
        let result = model.head.finish(hidden, as: kind)
        let seconds = (clock.now - start).secondsValue
        if let output = io.output { try result.array(batched: batched).write(to: output) }
        let tokens = input.tokensPerSequence.reduce(0, +)
        print(String(format: "reference: %d sequence(s), %d tokens, %d layers in %.3f s (%.0f tokens/s)%@",
                     input.sequences, tokens, config.model.layers, seconds, Double(tokens) / seconds,
                     io.output.map { ", wrote \($0)" } ?? ""))
    }
}
