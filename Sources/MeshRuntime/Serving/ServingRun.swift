import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// Open-loop serving across the ranks of an mpirun job: every rank calls ``main(_:)``.
///
/// Coordinators run a ``ServingLoop`` each over their share of the requests, with continuous
/// batching; workers serve the steps the coordinators agree on. Time is each rank's monotonic
/// clock from the barrier every rank leaves at the start. At the end rank 0 gathers every
/// request's record and writes the summary.
public enum ServingRun {
    /// The longest an idle coordinator waits before the next control exchange: short, so that a
    /// request arriving meanwhile waits little, and far below the step timeout the workers'
    /// waits run under.
    static let maxIdleSeconds = 0.010

    /// Runs `request` on this rank and returns the process exit status: 0, or 2 for bad input.
    public static func main(_ request: ServeRequest) -> Int32 {
        RankJob(command: "serve", timeoutSeconds: request.config.runtime.stepTimeoutSeconds).run(check: {
            DistributedRun.problem(command: "serve", config: request.config, configPath: request.configPath,
                                   emulate: request.emulate, job: $0)
        }, setup: { try ServingSession(request: request, job: $0) })
    }
}
