import ArgumentParser
import MeshMPI
import MeshRuntime

/// `expertmesh mpi-check`: exercise the MPI layer across the ranks of an mpirun job.
struct MPICheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-check",
        abstract: "Check MPI across all ranks (alltoallv, allreduce, split, non-blocking); run under mpirun.")

    @OptionGroup var job: JobOptions

    func run() throws {
        let timeout = job.timeoutSeconds(default: MPISelfCheck.defaultTimeoutSeconds)
        let status = SelfCheckJob.main(timeoutSeconds: timeout, fault: job.fault(), output: { print($0) })
        if status != 0 { throw ExitCode(status) }
    }
}
