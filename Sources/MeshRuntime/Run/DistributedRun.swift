import Foundation
import Logging
import MeshCore
import MeshIO
import MeshModel
import MeshMPI
import MeshTensor

/// One MoE run across the ranks of an mpirun job: every rank calls ``main(_:)``.
public enum DistributedRun {
    /// Runs `request` on this rank and returns the process exit status.
    ///
    /// 0 on success; 2 for bad input (a rank count other than the config's, a missing tensor, a bad
    /// input file), after every rank agreed to stop. Failures during the run (a timeout, a bad
    /// message) abort the whole job through `MPI_Abort` after naming the rank, peer and phase.
    public static func main(_ request: RunRequest) -> Int32 {
        RankJob(command: "run", timeoutSeconds: request.config.runtime.stepTimeoutSeconds).run(check: {
            problem(command: "run", config: request.config, configPath: request.configPath, emulate: request.emulate, job: $0)
        }, setup: { try RunSession(request: request, job: $0) })
    }

    /// What keeps a config from running as a job of `job`'s size (`run`, `serve`), or nil.
    static func problem(command: String, config: ExpertMeshConfig, configPath: String, emulate: HardwareProfile?,
                        job: JobContext) -> String? {
        if config.cluster.layout == .colocated {
            return "\(configPath): cluster.layout: \(command) executes the disaggregated layout; colocated is for predict"
        } else if config.model.latentCacheWidth > 0 {
            return "\(configPath): model.latent_cache_width: \(command) does not implement multi-head latent attention; it is for predict"
        } else if let profile = emulate, let devices = profile.devices, config.cluster.ranks > devices {
            return "\(configPath): cluster.workers: out of range: expected at most \(devices) ranks "
                + "(the devices of \(profile.name)), found \(config.cluster.ranks) ranks"
        }
        return RankCount.problem(worldSize: job.ranks, config: config, configPath: configPath, command: command)
    }
}
