/// A receive in flight (`MPI_Irecv`) that owns its buffer until it completes.
///
/// `~Copyable` and finished by the consuming `wait(timeoutSeconds:)`, so it cannot be waited on
/// twice. Dropping it before completion cancels it (see `MPITimeoutError.Cleanup`).
public struct MPIReceiveRequest<Element: MPIElement>: ~Copyable {
    private var core: RequestCore
    private let storage: UnsafeMutableBufferPointer<Element>

    init(core: consuming RequestCore, storage: UnsafeMutableBufferPointer<Element>) {
        self.core = core
        self.storage = storage
    }

    /// The operation, such as `MPI_Irecv(from: 0, tag: 7)`.
    public var operation: String { core.operation }

    /// Whether the message has arrived, polling MPI once (`MPI_Test`); never blocks.
    ///
    /// - Throws: `MPIError` if the receive failed, such as `.truncate` for a message longer than
    ///   the buffer.
    public mutating func test() throws -> Bool {
        try core.test()
    }

    /// Waits for the message and returns the buffer with what arrived.
    ///
    /// - Parameter timeoutSeconds: The longest wait, in seconds.
    /// - Returns: The buffer and the status; `status.count` elements at the front are the message.
    /// - Throws: `MPITimeoutError` after `timeoutSeconds` (the receive is then cancelled),
    ///   `MPIError` if the receive failed.
    public consuming func wait(timeoutSeconds: Double) throws -> MPIReceived<Element> {
        try core.wait(timeoutSeconds: timeoutSeconds)
        let status = try MPIStatus(core.status, datatype: Element.mpiDatatype, operation: core.operation)
        core.releasePayload()
        return MPIReceived(buffer: MPIBuffer(adopting: storage), status: status)
    }
}

/// A completed receive: the buffer and what landed in it.
public struct MPIReceived<Element: MPIElement>: ~Copyable {
    /// The receive buffer; its first `status.count` elements are the message.
    public var buffer: MPIBuffer<Element>
    /// Sender, tag and element count.
    public let status: MPIStatus

    /// A copy of the elements received.
    public var elements: [Element] { Array(buffer, prefix: status.count) }
}
