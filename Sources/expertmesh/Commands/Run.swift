import ArgumentParser
import Foundation
import MeshCore
import MeshModel
import MeshRuntime

/// `expertmesh run`: the model of a config across the ranks of an mpirun job.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model distributed: coordinators run attention and routing, workers their experts (under mpirun).")

    @Option(help: "The config file (YAML).")
    var config: String

    @Option(help: "Weights: a .safetensors file, a sharded index JSON or a model folder (default: the config's, else seeded).")
    var weights: String?

    @Option(help: "Input .npy, with the conventions of `expertmesh reference` (default: the workload's seeded input).")
    var input: String?

    @Option(help: "Output .npy, written atomically by rank 0.")
    var output: String?

    @Option(help: "What to write: hidden, logits or next-ids.")
    var outputKind: String = OutputKind.hidden.rawValue

    @Option(help: "prefill or decode (default: the config's workload mode).")
    var mode: String?

    @Option(help: "Steps: prefill repetitions or decode tokens per sequence (default: the config's).")
    var steps: Int?

    @Option(help: "Dispatch wire format: fp32, bf16 or fp8 (default: the config's).")
    var dispatchDtype: String?

    @Option(help: "Combine wire format: fp32 or bf16 (default: the config's).")
    var combineDtype: String?

    @Option(help: "Seconds an exchange may wait before the job is aborted naming the peer and phase.")
    var stepTimeout: Double?

    @Option(help: "Write one JSON record per step to this file.")
    var metrics: String?

    @Option(help: "Write a Chrome trace-event file (open it in Perfetto) with one track per rank.")
    var trace: String?

    @Option(help: "Emulate a hardware profile's links: each exchange takes at least what they would for the bytes sent.")
    var emulate: String?

    @Flag(help: "Do not print the summary table.")
    var quiet = false

    @Option(help: ArgumentHelp("Inject a failure for tests: stall:RANK, corrupt:RANK or kill:RANK.", visibility: .hidden))
    var injectFault: String?

    func run() throws {
        var loaded = try ExpertMeshConfig.load(path: config)
        guard let kind = OutputKind(rawValue: outputKind) else {
            throw CommandError(message: "--output-kind: expected one of \(OutputKind.allCases.map(\.rawValue).joined(separator: ", ")), found '\(outputKind)'")
        }
        if kind != .hidden, !loaded.model.hasEmbedding {
            throw CommandError(message: "--output-kind \(kind.rawValue) needs a model with a vocabulary (model.vocab > 0)")
        }
        if let dispatchDtype {
            guard let value = WireDType(rawValue: dispatchDtype) else {
                throw CommandError(message: "--dispatch-dtype: expected fp32, bf16 or fp8, found '\(dispatchDtype)'")
            }
            loaded.runtime.dispatchDType = value
        }
        if let combineDtype {
            guard let value = WireDType(rawValue: combineDtype), value != .fp8 else {
                throw CommandError(message: "--combine-dtype: expected fp32 or bf16, found '\(combineDtype)'")
            }
            loaded.runtime.combineDType = value
        }
        if let stepTimeout {
            guard stepTimeout > 0 else { throw CommandError(message: "--step-timeout: expected seconds > 0, found \(stepTimeout)") }
            loaded.runtime.stepTimeoutSeconds = stepTimeout
        }
        if let steps, steps < 1 { throw CommandError(message: "--steps: expected at least 1, found \(steps)") }
        var request = RunRequest(config: loaded, configPath: config)
        request.weightsPath = weights
        request.inputPath = input
        request.outputPath = output
        request.outputKind = kind
        request.metricsPath = metrics
        request.tracePath = trace
        if let mode { request.mode = try parseMode(mode) }
        if let steps { request.steps = steps }
        request.printSummary = !quiet
        if let emulate { request.emulate = try HardwareProfile.load(path: emulate) }
        if let injectFault {
            guard let fault = Fault(injectFault) else {
                throw CommandError(message: "--inject-fault: expected stall:RANK, corrupt:RANK or kill:RANK, found '\(injectFault)'")
            }
            request.fault = fault
        }
        let status = DistributedRun.main(request)
        if status != 0 { throw ExitCode(status) }
    }
}
