/// A barrier in flight (`MPI_Ibarrier`).
///
/// `wait(timeoutSeconds:)` is a barrier with a deadline: it throws instead of hanging when a rank
/// never arrives.
public struct MPIBarrierRequest: ~Copyable {
    private var core: RequestCore

    init(core: consuming RequestCore) {
        self.core = core
    }

    /// Whether every rank has reached the barrier, polling MPI once (`MPI_Test`).
    public mutating func test() throws -> Bool {
        try core.test()
    }

    /// Waits until every rank has reached the barrier.
    ///
    /// - Parameter timeoutSeconds: The longest wait, in seconds.
    /// - Throws: `MPITimeoutError` after `timeoutSeconds`, `MPIError` if the barrier failed.
    public consuming func wait(timeoutSeconds: Double) throws {
        try core.wait(timeoutSeconds: timeoutSeconds)
    }
}
