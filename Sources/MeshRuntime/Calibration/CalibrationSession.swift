import MeshMPI

/// One rank's side of a calibration: the communicator, the request, and the waits they share.
///
/// Every rank runs the same measurements in the same order, so the collectives match. Waits for
/// other ranks go through `ibarrier().wait(timeoutSeconds:)` and timed non-blocking messages, so
/// a missing rank ends the job with a timeout instead of a hang. MPI stays on the calling thread
/// (`MPI_THREAD_FUNNELED`).
final class CalibrationSession {
    let world: Communicator
    let request: CalibrationRequest

    init(world: Communicator, request: CalibrationRequest) {
        self.world = world
        self.request = request
    }

    var rank: Int { world.rank }
    var ranks: Int { world.size }

    /// Waits until every rank gets here, at most the request's timeout.
    func barrier() throws {
        try world.ibarrier().wait(timeoutSeconds: request.timeoutSeconds)
    }

    /// Runs `body` on rank 0 only while the other ranks wait in a barrier, which sleeps once the
    /// wait passes 20 ms (see MeshMPI's `PollBackoff`), leaving rank 0 the machine.
    func alone<Result>(_ body: () throws -> Result) throws -> Result? {
        var result: Result?
        if rank == 0 { result = try body() }
        try barrier()
        return result
    }

    /// Writes report lines, on rank 0 only.
    func say(_ lines: String...) { say(lines) }

    func say(_ lines: [String]) {
        guard rank == 0 else { return }
        for line in lines { request.output(line) }
    }
}
