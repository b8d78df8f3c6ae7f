import MeshCore
import MeshMPI

/// What every command that runs under mpirun does first.
enum MPIJob {
    /// Initialises MPI (funneled); reports and returns nil when it cannot.
    static func start() -> MPIEnvironment? {
        do {
            return try MPIEnvironment(threadLevel: .funneled)
        } catch {
            DistributedRun.report("expertmesh: error: cannot start MPI: \(error)")
            return nil
        }
    }

    /// The message for a job whose size is not the config's, with the command that launches it
    /// right; nil when the sizes agree.
    static func rankCountProblem(worldSize: Int, config: ExpertMeshConfig, configPath: String, command: String) -> String? {
        let cluster = config.cluster
        guard worldSize != cluster.ranks else { return nil }
        return "\(configPath) describes \(cluster.ranks) ranks (\(cluster.coordinators) coordinator(s) + \(cluster.workers) worker(s)), "
            + "but mpirun started \(worldSize); launch with: mpirun -np \(cluster.ranks) expertmesh \(command) --config \(configPath)"
    }
}
