/// An all-to-all exchange in flight (`MPI_Ialltoallv`) that owns both buffers until it completes.
///
/// `~Copyable` and finished by the consuming `wait(timeoutSeconds:)`, so it cannot be waited on
/// twice. MPI cannot cancel a collective: dropping one before completion waits a grace period and
/// then leaks its buffers (see `MPITimeoutError.Cleanup`), so always wait.
public struct MPIAlltoallvRequest<Element: MPIElement>: ~Copyable {
    private var core: RequestCore
    private let sent: UnsafeMutableBufferPointer<Element>
    private let received: UnsafeMutableBufferPointer<Element>

    init(
        core: consuming RequestCore,
        sent: UnsafeMutableBufferPointer<Element>, received: UnsafeMutableBufferPointer<Element>
    ) {
        self.core = core
        self.sent = sent
        self.received = received
    }

    /// The operation, such as `MPI_Ialltoallv(MPI_FLOAT)`.
    public var operation: String { core.operation }

    /// Whether the exchange has completed on this rank, polling MPI once (`MPI_Test`).
    ///
    /// Polling also moves the exchange forward: Open MPI progresses non-blocking collectives only
    /// inside MPI calls, so call this now and then while overlapping compute.
    public mutating func test() throws -> Bool {
        try core.test()
    }

    /// Waits for the exchange and hands both buffers back.
    ///
    /// - Parameter timeoutSeconds: The longest wait, in seconds.
    /// - Returns: The send buffer, unchanged, and the receive buffer, filled.
    /// - Throws: `MPITimeoutError` after `timeoutSeconds`, `MPIError` if the exchange failed.
    public consuming func wait(timeoutSeconds: Double) throws -> MPIExchange<Element> {
        try core.wait(timeoutSeconds: timeoutSeconds)
        core.releasePayload()
        return MPIExchange(sent: MPIBuffer(adopting: sent), received: MPIBuffer(adopting: received))
    }
}

/// The buffers of a completed `ialltoallv`.
@frozen
public struct MPIExchange<Element: MPIElement>: ~Copyable {
    /// The send buffer, unchanged, for reuse.
    public var sent: MPIBuffer<Element>
    /// The receive buffer with every rank's region filled in.
    public var received: MPIBuffer<Element>
}
