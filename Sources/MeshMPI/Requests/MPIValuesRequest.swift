/// A reduction or gather in flight (`MPI_Iallreduce`, `MPI_Iallgather`, `MPI_Ialltoall`) whose
/// result is a small array.
///
/// The request owns a copy of this rank's contribution and the result buffer until it completes:
/// MPI reads the one and writes the other until then. `~Copyable` and finished by the consuming
/// `wait(timeoutSeconds:)`, so it cannot be waited on twice; like every collective it cannot be
/// cancelled (see `MPITimeoutError.Cleanup.abandoned`).
public struct MPIValuesRequest<Element: MPIElement>: ~Copyable {
    private var core: RequestCore
    private let result: UnsafeMutableBufferPointer<Element>

    init(core: consuming RequestCore, result: UnsafeMutableBufferPointer<Element>) {
        self.core = core
        self.result = result
    }

    /// The operation, such as `MPI_Iallreduce(max)`.
    public var operation: String { core.operation }

    /// Waits for the collective and returns its result.
    ///
    /// - Parameter timeoutSeconds: The longest wait, in seconds.
    /// - Returns: The combined or gathered values.
    /// - Throws: `MPITimeoutError` after `timeoutSeconds`, `MPIError` if the operation failed.
    public consuming func wait(timeoutSeconds: Double) throws -> [Element] {
        try core.wait(timeoutSeconds: timeoutSeconds)
        // The core frees both buffers when it goes: the result is copied out first.
        return Array(result)
    }
}
