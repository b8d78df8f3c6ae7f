internal import CMPI

extension Communicator {
    // MARK: Non-blocking reductions and gathers

    /// Starts combining `values` elementwise over every rank (`MPI_Iallreduce`).
    ///
    /// Every rank passes the same number of values.
    ///
    /// - Parameters:
    ///   - values: This rank's contribution; copied, since MPI reads it until completion.
    ///   - op: `.sum`, `.max` or `.min`.
    /// - Returns: The request; `wait(timeoutSeconds:)` gives the combined values.
    public func iallreduce<Element: MPIReducible>(_ values: [Element], op: MPIOp) throws -> MPIValuesRequest<Element> {
        let operation = "MPI_Iallreduce(\(op))"
        let count = try cInt(values.count, "count", in: operation)
        return try start(operation, contribution: values, resultCount: values.count) { send, result, request in
            MPI_Iallreduce(send, result, count, Element.mpiDatatype.handle, op.handle, handle, request)
        }
    }

    /// Starts gathering `values` from every rank into one array, in rank order (`MPI_Iallgather`).
    ///
    /// Every rank passes the same number of values.
    ///
    /// - Returns: The request; `wait(timeoutSeconds:)` gives `size * values.count` elements, rank
    ///   0's first.
    public func iallgather<Element: MPIElement>(_ values: [Element]) throws -> MPIValuesRequest<Element> {
        let operation = "MPI_Iallgather"
        let count = try cInt(values.count, "count", in: operation)
        let (total, overflow) = values.count.multipliedReportingOverflow(by: size)
        guard !overflow else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: operation,
                message: "\(values.count) elements from \(size) ranks overflow")
        }
        let datatype = Element.mpiDatatype.handle
        return try start(operation, contribution: values, resultCount: total) { send, result, request in
            MPI_Iallgather(send, count, datatype, result, count, datatype, handle, request)
        }
    }

    /// Starts sending block `i` of `values` to rank `i` (`MPI_Ialltoall`).
    ///
    /// - Parameter values: `size` blocks of equal length, block `i` for rank `i`.
    /// - Returns: The request; `wait(timeoutSeconds:)` gives `size` blocks, block `i` from rank `i`.
    public func ialltoall<Element: MPIElement>(_ values: [Element]) throws -> MPIValuesRequest<Element> {
        let operation = "MPI_Ialltoall"
        guard size > 0, values.count % size == 0 else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: operation,
                message: "\(values.count) values do not split into \(size) equal blocks")
        }
        let block = try cInt(values.count / size, "block length", in: operation)
        let datatype = Element.mpiDatatype.handle
        return try start(operation, contribution: values, resultCount: values.count) { send, result, request in
            MPI_Ialltoall(send, block, datatype, result, block, datatype, handle, request)
        }
    }

    // MARK: Bounded forms

    /// `allreduce` whose wait has a deadline: ``iallreduce(_:op:)`` waited on for `timeoutSeconds`.
    ///
    /// - Throws: `MPITimeoutError` when a rank never joins within `timeoutSeconds`.
    public func allreduce<Element: MPIReducible>(_ values: [Element], op: MPIOp, timeoutSeconds: Double) throws -> [Element] {
        try iallreduce(values, op: op).wait(timeoutSeconds: timeoutSeconds)
    }

    /// One value combined over every rank, with a deadline.
    ///
    /// - Throws: `MPITimeoutError` when a rank never joins within `timeoutSeconds`.
    public func allreduce<Element: MPIReducible>(_ value: Element, op: MPIOp, timeoutSeconds: Double) throws -> Element {
        try allreduce([value], op: op, timeoutSeconds: timeoutSeconds)[0]
    }

    /// `allgather` whose wait has a deadline: ``iallgather(_:)`` waited on for `timeoutSeconds`.
    ///
    /// - Throws: `MPITimeoutError` when a rank never joins within `timeoutSeconds`.
    public func allgather<Element: MPIElement>(_ values: [Element], timeoutSeconds: Double) throws -> [Element] {
        try iallgather(values).wait(timeoutSeconds: timeoutSeconds)
    }

    /// `alltoall` whose wait has a deadline: ``ialltoall(_:)`` waited on for `timeoutSeconds`.
    ///
    /// - Throws: `MPITimeoutError` when a rank never joins within `timeoutSeconds`.
    public func alltoall<Element: MPIElement>(_ values: [Element], timeoutSeconds: Double) throws -> [Element] {
        try ialltoall(values).wait(timeoutSeconds: timeoutSeconds)
    }

    /// Copies `contribution` into memory the request owns, allocates the result, and starts `call`.
    ///
    /// - Parameter call: The MPI function, given the send and result buffers and the request to fill.
    private func start<Element: MPIElement>(
        _ operation: String, contribution: [Element], resultCount: Int,
        _ call: (UnsafeRawPointer, UnsafeMutableRawPointer, UnsafeMutablePointer<MPI_Request?>) -> Int32
    ) throws -> MPIValuesRequest<Element> {
        // At least one element each, so that MPI is never handed a null buffer.
        let send = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(contribution.count, 1))
        _ = send.initialize(from: contribution)
        let result = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(resultCount, 1))
        var request: MPI_Request? = nil
        do {
            try mpiCall(operation) { call(UnsafeRawPointer(send.baseAddress!), UnsafeMutableRawPointer(result.baseAddress!), &request) }
        } catch {
            send.deallocate()
            result.deallocate()
            throw error
        }
        let core = RequestCore(
            handle: request, kind: .collective, operation: operation, peer: nil,
            payload: [UnsafeMutableRawBufferPointer(result)], scratch: [UnsafeMutableRawBufferPointer(send)])
        return MPIValuesRequest(core: core, result: UnsafeMutableBufferPointer(rebasing: result[0..<resultCount]))
    }
}
