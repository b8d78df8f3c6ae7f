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
