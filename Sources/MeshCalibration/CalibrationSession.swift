import MeshMPI
import MeshRuntime

/// One rank's side of a calibration: the job, the request, and the waits they share.
///
/// Every rank runs the same measurements in the same order, so the collectives match. Each
/// measurement starts with a point-to-point agreement (``MeshRuntime/JobContext/agree(_:)``), which
/// names a rank that stopped; every other wait is bounded by the step timeout (`--step-timeout`),
/// so a missing rank ends the job with a timeout naming the phase instead of a hang. MPI stays on
/// the calling thread (`MPI_THREAD_FUNNELED`).
final class CalibrationSession {
    let job: JobContext
    let request: CalibrationRequest

    init(job: JobContext, request: CalibrationRequest) {
        self.job = job
        self.request = request
    }

    var world: Communicator { job.world }
    var rank: Int { job.rank }
    var ranks: Int { job.ranks }

    /// Waits until every rank gets here, at most the step timeout.
    func barrier() throws {
        try job.barrier("a barrier of \(job.phase)")
    }

    /// Every rank's `values`, in rank order, within the step timeout.
    func allgather(_ values: [Double]) throws -> [Double] {
        try job.allgather(values, phase: job.phase)
    }

    /// One value combined over every rank, within the step timeout.
    func allreduce(_ value: Double, op: MPIOp) throws -> Double {
        try job.allreduce(value, op: op, phase: job.phase)
    }

    /// The longest wait for rank 0's solo measurements, in seconds, unless the step timeout is
    /// longer: that wait is rank 0 working (the model's prefill takes tens of seconds in a debug
    /// build), not a rank gone missing.
    static let aloneTimeoutSeconds = 600.0

    /// Runs `body` on rank 0 only while the other ranks wait in a barrier, which sleeps once the
    /// wait passes 20 ms (see MeshMPI's `PollBackoff`), leaving rank 0 the machine.
    func alone<Result>(_ body: () throws -> Result) throws -> Result? {
        var result: Result?
        if rank == 0 { result = try body() }
        try job.barrier("waiting for rank 0 alone in \(job.phase)", timeoutSeconds: max(job.timeoutSeconds, Self.aloneTimeoutSeconds))
        return result
    }

    /// Writes report lines, on rank 0 only.
    func say(_ lines: String...) { say(lines) }

    func say(_ lines: [String]) {
        guard rank == 0 else { return }
        for line in lines { request.output(line) }
    }
}
