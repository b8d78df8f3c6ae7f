internal import CMPI

extension Communicator {
    /// Starts an all-to-all exchange with varying counts (`MPI_Ialltoallv`); the request owns both
    /// buffers until `wait`.
    ///
    /// The non-blocking form of `alltoallv`, to overlap the exchange with compute: fill `send`
    /// (through `withUnsafeMutableBytes` for packed data), start the exchange, compute, call `test()`
    /// now and then to let MPI progress, and `wait`. Counts and displacements are in elements and
    /// are copied, since MPI reads them until the exchange completes. For packed bytes use
    /// `MPIBuffer<UInt8>` with byte counts.
    ///
    /// - Parameters:
    ///   - send: The elements to send; handed back by `wait`.
    ///   - sendCounts: Elements for each rank; `size` entries.
    ///   - sendDisplacements: Offset in `send`, in elements, of each rank's region.
    ///   - receive: Where to receive; handed back, filled, by `wait`.
    ///   - recvCounts: Elements from each rank; `size` entries.
    ///   - recvDisplacements: Offset in `receive`, in elements, of each rank's region.
    /// - Returns: The request; finish it with `wait(timeoutSeconds:)`.
    /// - Throws: `MPIRuntimeError` with `.invalidArgument`, before calling MPI, when a region does
    ///   not fit its buffer; `MPIError` when MPI fails.
    public func ialltoallv<Element: MPIElement>(
        sending send: consuming MPIBuffer<Element>, sendCounts: [Int32], sendDisplacements: [Int32],
        receivingInto receive: consuming MPIBuffer<Element>, recvCounts: [Int32], recvDisplacements: [Int32]
    ) throws -> MPIAlltoallvRequest<Element> {
        let datatype = Element.mpiDatatype
        let operation = "MPI_Ialltoallv(\(datatype))"
        try ExchangeLayout.validate(
            counts: sendCounts, displacements: sendDisplacements, bufferCount: send.count,
            ranks: size, side: "send", operation: operation)
        try ExchangeLayout.validate(
            counts: recvCounts, displacements: recvDisplacements, bufferCount: receive.count,
            ranks: size, side: "recv", operation: operation)

        // One block for the four arrays MPI reads until completion: counts and displacements.
        let layout = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 4 * size)
        for (index, array) in [sendCounts, sendDisplacements, recvCounts, recvDisplacements].enumerated() {
            _ = layout[(index * size)..<((index + 1) * size)].initialize(from: array)
        }
        let arrays = UnsafePointer(layout.baseAddress!)
        let sent = send.releaseStorage()
        let received = receive.releaseStorage()
        var request: MPI_Request? = nil
        do {
            try mpiCall(operation) {
                MPI_Ialltoallv(
                    sent.baseAddress, arrays, arrays + size, datatype.handle,
                    received.baseAddress, arrays + 2 * size, arrays + 3 * size, datatype.handle,
                    handle, &request)
            }
        } catch {
            sent.deallocate()
            received.deallocate()
            layout.deallocate()
            throw error
        }
        let core = RequestCore(
            handle: request, kind: .collective, operation: operation, peer: nil,
            payload: [UnsafeMutableRawBufferPointer(sent), UnsafeMutableRawBufferPointer(received)],
            scratch: [UnsafeMutableRawBufferPointer(layout)])
        return MPIAlltoallvRequest(core: core, sent: sent, received: received)
    }

    /// Starts a barrier (`MPI_Ibarrier`): a barrier whose wait has a deadline.
    ///
    /// - Returns: The request; finish it with `wait(timeoutSeconds:)`.
    public func ibarrier() throws -> MPIBarrierRequest {
        var request: MPI_Request? = nil
        try mpiCall("MPI_Ibarrier") { MPI_Ibarrier(handle, &request) }
        return MPIBarrierRequest(core: RequestCore(
            handle: request, kind: .collective, operation: "MPI_Ibarrier", peer: nil, payload: []))
    }
}
