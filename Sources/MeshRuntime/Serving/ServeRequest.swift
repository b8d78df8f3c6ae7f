import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// What `expertmesh serve` was asked to do.
public struct ServeRequest: Sendable {
    public var config: ExpertMeshConfig
    public var configPath: String
    public var weightsPath: String?
    /// Every request of the run; coordinator `c` serves those with `id % coordinators == c`.
    public var workload: ServingWorkload
    /// Per coordinator.
    public var limits: ServingLimits
    /// Where rank 0 writes the ``ServingSummary`` as JSON.
    public var summaryPath: String?
    /// Where rank 0 writes one CSV line per request.
    public var requestsCSVPath: String?
    /// Where rank 0 writes the summary table (standard output from the CLI); nil: no table.
    public var table: (@Sendable (String) -> Void)?
    /// How latencies are reduced to percentiles.
    public var estimator: LatencyEstimator
    /// A failure to inject, for tests.
    public var fault: Fault?
    /// Links to emulate: every exchange takes at least what this profile's links would.
    public var emulate: HardwareProfile?
    /// Compute phases take this many times their real time (≥ 1): a slower device, emulated.
    public var computeSlowdown: Double = 1

    public init(config: ExpertMeshConfig, configPath: String, workload: ServingWorkload, limits: ServingLimits,
                estimator: @escaping LatencyEstimator) {
        self.config = config
        self.configPath = configPath
        self.workload = workload
        self.limits = limits
        self.estimator = estimator
    }
}
