import MeshCore
import MeshMPI

/// The check every command whose config fixes the rank count makes first.
enum RankCount {
    /// The message for a job whose size is not the config's, with the command that launches it
    /// right; nil when the sizes agree.
    static func problem(worldSize: Int, config: ExpertMeshConfig, configPath: String, command: String) -> String? {
        let cluster = config.cluster
        guard worldSize != cluster.ranks else { return nil }
        return "\(configPath) describes \(cluster.ranks) ranks (\(cluster.coordinators) coordinator(s) + \(cluster.workers) worker(s)), "
            + "but mpirun started \(worldSize); launch with: mpirun -np \(cluster.ranks) expertmesh \(command) --config \(configPath)"
    }
}
