import ArgumentParser
import MeshMPI

/// `expertmesh mpi-check`: exercise the MPI layer across the ranks of an mpirun job.
struct MPICheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-check",
        abstract: "Check MPI across all ranks (alltoallv, allreduce, split, non-blocking); run under mpirun.")

    func run() throws {
        let environment = try MPIEnvironment()
        let summary = try MPISelfCheck.run(on: environment.world)
        if environment.world.rank == 0 { print("mpi-check: \(summary)") }
        try environment.finalize()
    }
}
