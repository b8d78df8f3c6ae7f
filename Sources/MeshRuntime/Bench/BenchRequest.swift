import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// What `expertmesh bench` measures, and how often.
public struct BenchRequest: Sendable {
    public var config: ExpertMeshConfig
    public var configPath: String
    /// Timed repetitions of each measurement (the median is reported).
    public var iterations = 20
    /// Untimed repetitions first.
    public var warmup = 3
    /// Decode steps for the decode throughput.
    public var decodeSteps = 16
    /// A stall or kill to act out at the start of the exchange bench, for tests.
    public var fault: Fault?
    /// Where rank 0 writes the report (standard output from the CLI).
    public var output: @Sendable (String) -> Void

    public init(config: ExpertMeshConfig, configPath: String, output: @escaping @Sendable (String) -> Void) {
        self.config = config
        self.configPath = configPath
        self.output = output
    }
}
