import Foundation
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// `expertmesh bench`: the runtime against raw baselines measured in the same run.
///
/// 1. The exchange: the runtime's dispatch + combine of every MoE layer (counts, packing, the
///    two all-to-alls, the workers' grouping and decoding, the coordinator's additions; the expert
///    GEMMs replaced by the identity) against a raw `MPI_Alltoallv` moving the same byte matrix
///    between the same ranks.
/// 2. The expert computation of one worker against raw `cblas_sgemm` calls on the same shapes.
/// 3. Tokens per second of the config in prefill and in decode.
public enum Bench {
    /// Runs the benchmark on this rank and returns the process exit status: 0; 2 for a rank
    /// count other than the config's. A failure (a timeout) aborts the job after one line.
    public static func main(_ request: BenchRequest) -> Int32 {
        RankJob(command: "bench", timeoutSeconds: request.config.runtime.stepTimeoutSeconds, fault: request.fault).run(check: {
            RankCount.problem(worldSize: $0.ranks, config: request.config, configPath: request.configPath, command: "bench")
        }, setup: { try BenchSession(request: request, job: $0) })
    }
}
