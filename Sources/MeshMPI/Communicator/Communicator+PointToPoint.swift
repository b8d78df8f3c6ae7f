internal import CMPI

extension Communicator {
    // MARK: Blocking

    /// Sends elements to one rank and returns once the buffer may be reused (`MPI_Send`).
    ///
    /// Blocks with no timeout: a large message can wait for the matching receive. Use `isend` with
    /// `wait(timeoutSeconds:)` where that must not hang.
    ///
    /// - Parameters:
    ///   - values: The elements to send.
    ///   - destination: The receiver's rank on this communicator.
    ///   - tag: A label the receiver matches on; zero or more.
    public func send<Element: MPIElement>(
        _ values: UnsafeBufferPointer<Element>, to destination: Int, tag: Int = 0
    ) throws {
        let operation = "MPI_Send(to: \(destination), tag: \(tag))"
        let count = try cInt(values.count, "count", in: operation)
        let cDestination = try cInt(destination, "destination", in: operation)
        let cTag = try cInt(tag, "tag", in: operation)
        try mpiCall(operation) {
            MPI_Send(values.baseAddress, count, Element.mpiDatatype.handle, cDestination, cTag, handle)
        }
    }

    /// Sends an array to one rank (`MPI_Send`); see `send(_:to:tag:)` for buffers.
    public func send<Element: MPIElement>(_ values: [Element], to destination: Int, tag: Int = 0) throws {
        try values.withUnsafeBufferPointer { try send($0, to: destination, tag: tag) }
    }

    /// Receives one message into `buffer`, blocking until it arrives (`MPI_Recv`).
    ///
    /// Blocks with no timeout; use `irecv` with `wait(timeoutSeconds:)` where that must not hang.
    ///
    /// - Parameters:
    ///   - buffer: Where to receive; a longer message throws `MPIError.truncate`.
    ///   - source: The sender's rank, or `Communicator.anySource`.
    ///   - tag: The tag to match, or `Communicator.anyTag`.
    /// - Returns: The sender, tag and number of elements received.
    public func recv<Element: MPIElement>(
        into buffer: UnsafeMutableBufferPointer<Element>, from source: Int, tag: Int = 0
    ) throws -> MPIStatus {
        let operation = "MPI_Recv(from: \(source), tag: \(tag))"
        let count = try cInt(buffer.count, "count", in: operation)
        let cSource = try cInt(source, "source", in: operation)
        let cTag = try cInt(tag, "tag", in: operation)
        var status = MPI_Status()
        try mpiCall(operation) {
            MPI_Recv(buffer.baseAddress, count, Element.mpiDatatype.handle, cSource, cTag, handle, &status)
        }
        return try MPIStatus(status, datatype: Element.mpiDatatype, operation: operation)
    }

    /// Receives one message of at most `maxCount` elements, blocking until it arrives (`MPI_Recv`).
    ///
    /// - Returns: The elements received, as many as were sent.
    public func recv<Element: MPIElement>(
        _ type: Element.Type = Element.self, maxCount: Int, from source: Int, tag: Int = 0
    ) throws -> [Element] {
        guard maxCount >= 0 else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: "MPI_Recv(from: \(source), tag: \(tag))",
                message: "maxCount must not be negative, got \(maxCount)")
        }
        var buffer = MPIBuffer<Element>(count: maxCount)
        let status = try buffer.withUnsafeMutableBufferPointer { try recv(into: $0, from: source, tag: tag) }
        return Array(buffer, prefix: status.count)
    }

    // MARK: Non-blocking

    /// Starts sending a buffer to one rank (`MPI_Isend`); the request owns the buffer until `wait`.
    ///
    /// - Parameters:
    ///   - buffer: The elements to send; handed back by `wait`.
    ///   - destination: The receiver's rank on this communicator.
    ///   - tag: A label the receiver matches on; zero or more.
    /// - Returns: The request; finish it with `wait(timeoutSeconds:)`.
    public func isend<Element: MPIElement>(
        _ buffer: consuming MPIBuffer<Element>, to destination: Int, tag: Int = 0
    ) throws -> MPISendRequest<Element> {
        let operation = "MPI_Isend(to: \(destination), tag: \(tag))"
        let count = try cInt(buffer.count, "count", in: operation)
        let cDestination = try cInt(destination, "destination", in: operation)
        let cTag = try cInt(tag, "tag", in: operation)
        let storage = buffer.releaseStorage()
        var request: MPI_Request? = nil
        do {
            try mpiCall(operation) {
                MPI_Isend(storage.baseAddress, count, Element.mpiDatatype.handle, cDestination, cTag, handle, &request)
            }
        } catch {
            storage.deallocate()
            throw error
        }
        let core = RequestCore(
            handle: request, kind: .pointToPoint, operation: operation, peer: destination,
            payload: [UnsafeMutableRawBufferPointer(storage)])
        return MPISendRequest(core: core, storage: storage)
    }

    /// Starts sending a copy of an array to one rank (`MPI_Isend`).
    public func isend<Element: MPIElement>(
        _ values: [Element], to destination: Int, tag: Int = 0
    ) throws -> MPISendRequest<Element> {
        try isend(MPIBuffer(values), to: destination, tag: tag)
    }

    /// Starts receiving into a buffer (`MPI_Irecv`); the request owns the buffer until `wait`.
    ///
    /// - Parameters:
    ///   - buffer: Where to receive; a longer message fails with `MPIError.truncate`.
    ///   - source: The sender's rank, or `Communicator.anySource`.
    ///   - tag: The tag to match, or `Communicator.anyTag`.
    /// - Returns: The request; finish it with `wait(timeoutSeconds:)`.
    public func irecv<Element: MPIElement>(
        into buffer: consuming MPIBuffer<Element>, from source: Int, tag: Int = 0
    ) throws -> MPIReceiveRequest<Element> {
        let operation = "MPI_Irecv(from: \(source), tag: \(tag))"
        let count = try cInt(buffer.count, "count", in: operation)
        let cSource = try cInt(source, "source", in: operation)
        let cTag = try cInt(tag, "tag", in: operation)
        let storage = buffer.releaseStorage()
        var request: MPI_Request? = nil
        do {
            try mpiCall(operation) {
                MPI_Irecv(storage.baseAddress, count, Element.mpiDatatype.handle, cSource, cTag, handle, &request)
            }
        } catch {
            storage.deallocate()
            throw error
        }
        let core = RequestCore(
            handle: request, kind: .pointToPoint, operation: operation,
            peer: source == Communicator.anySource ? nil : source,
            payload: [UnsafeMutableRawBufferPointer(storage)])
        return MPIReceiveRequest(core: core, storage: storage)
    }

    /// Starts receiving at most `count` elements into a new buffer (`MPI_Irecv`).
    public func irecv<Element: MPIElement>(
        _ type: Element.Type = Element.self, count: Int, from source: Int, tag: Int = 0
    ) throws -> MPIReceiveRequest<Element> {
        guard count >= 0 else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: "MPI_Irecv(from: \(source), tag: \(tag))",
                message: "count must not be negative, got \(count)")
        }
        return try irecv(into: MPIBuffer<Element>(count: count), from: source, tag: tag)
    }
}
