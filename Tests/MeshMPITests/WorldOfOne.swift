import MeshMPI
import Testing

/// Every test that calls MPI, in a single-process world.
///
/// The test binary is not started by `mpirun`, so Open MPI initialises as a singleton: a world of
/// one rank. With Open MPI 4.1.4 that works as root with no environment variables (only `mpirun`
/// wants `--allow-run-as-root`), so nothing is set before `MPI_Init_thread`; singleton init starts
/// an `orted` helper found through `PATH`.
///
/// MPI is initialised once for the whole process through `MPIEnvironment.shared()` and finalised
/// at exit, never per test: MPI cannot be initialised again after `MPI_Finalize`. The suite is
/// serialised and on the main actor, so every MPI call comes from the thread that initialised MPI
/// (`MPI_THREAD_FUNNELED`); nested suites inherit both.
@Suite("MeshMPI in a world of one", .serialized)
@MainActor
enum WorldOfOne {
    /// The world communicator of the shared session, initialising MPI on first use.
    static func world() throws -> Communicator {
        try MPIEnvironment.shared(threadLevel: .funneled).world
    }
}

/// Whether two floats agree within a relative tolerance (MeshMPITests has no swift-numerics).
func isClose(_ a: Float, _ b: Float, tolerance: Float = 1e-6) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(b))
}
