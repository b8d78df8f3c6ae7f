/// A send in flight (`MPI_Isend`) that owns its buffer until it completes.
///
/// `~Copyable` and finished by the consuming `wait(timeoutSeconds:)`, so it cannot be waited on
/// twice. Dropping it before completion abandons it; see `MPITimeoutError.Cleanup`.
public struct MPISendRequest<Element: MPIElement>: ~Copyable {
    private var core: RequestCore
    private let storage: UnsafeMutableBufferPointer<Element>

    init(core: consuming RequestCore, storage: UnsafeMutableBufferPointer<Element>) {
        self.core = core
        self.storage = storage
    }

    /// The operation, such as `MPI_Isend(to: 1, tag: 0)`.
    public var operation: String { core.operation }

    /// Whether the send has completed, polling MPI once (`MPI_Test`); never blocks.
    ///
    /// - Throws: `MPIError` if the send failed.
    public mutating func test() throws -> Bool {
        try core.test()
    }

    /// Waits for the send to complete and hands the buffer back for reuse.
    ///
    /// - Parameter timeoutSeconds: The longest wait, in seconds.
    /// - Returns: The buffer that was sent.
    /// - Throws: `MPITimeoutError` after `timeoutSeconds`, `MPIError` if the send failed.
    @discardableResult
    public consuming func wait(timeoutSeconds: Double) throws -> MPIBuffer<Element> {
        try core.wait(timeoutSeconds: timeoutSeconds)
        core.releasePayload()
        return MPIBuffer(adopting: storage)
    }
}
