internal import CMPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Communicator {
    // MARK: Reductions

    /// Combines `values` elementwise over every rank; every rank gets the result (`MPI_Allreduce`).
    ///
    /// Every rank passes the same number of values.
    ///
    /// - Parameters:
    ///   - values: This rank's contribution.
    ///   - op: `.sum`, `.max` or `.min`.
    /// - Returns: The combined values, as many as `values`.
    public func allreduce<Element: MPIReducible>(_ values: [Element], op: MPIOp) throws -> [Element] {
        let count = try cInt(values.count, "count", in: "MPI_Allreduce")
        return try Array(unsafeUninitializedCapacity: values.count) { result, initialized in
            initialized = 0
            try mpiCall("MPI_Allreduce(\(op))") {
                MPI_Allreduce(values, result.baseAddress, count, Element.mpiDatatype.handle, op.handle, handle)
            }
            initialized = values.count
        }
    }

    /// Combines one value over every rank; every rank gets the result (`MPI_Allreduce`).
    ///
    /// - Parameters:
    ///   - value: This rank's contribution.
    ///   - op: `.sum`, `.max` or `.min`.
    /// - Returns: The combined value.
    public func allreduce<Element: MPIReducible>(_ value: Element, op: MPIOp) throws -> Element {
        var inOut = value
        try mpiCall("MPI_Allreduce(\(op))") {
            withUnsafeMutablePointer(to: &inOut) {
                MPI_Allreduce(cmpi_in_place(), $0, 1, Element.mpiDatatype.handle, op.handle, handle)
            }
        }
        return inOut
    }

    /// Combines `values` elementwise over every rank, in place (`MPI_Allreduce` with `MPI_IN_PLACE`).
    ///
    /// - Parameters:
    ///   - values: This rank's contribution on entry, the combined values on return.
    ///   - op: `.sum`, `.max` or `.min`.
    public func allreduce<Element: MPIReducible>(inPlace values: inout [Element], op: MPIOp) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            try allreduce(inPlace: buffer, op: op)
        }
    }

    /// Combines the elements of `buffer` over every rank, in place, with no copy.
    ///
    /// - Parameters:
    ///   - buffer: This rank's contribution on entry, the combined values on return.
    ///   - op: `.sum`, `.max` or `.min`.
    public func allreduce<Element: MPIReducible>(
        inPlace buffer: UnsafeMutableBufferPointer<Element>, op: MPIOp
    ) throws {
        let count = try cInt(buffer.count, "count", in: "MPI_Allreduce")
        try mpiCall("MPI_Allreduce(\(op), in place)") {
            MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, count, Element.mpiDatatype.handle, op.handle, handle)
        }
    }

    // MARK: Gathers

    /// Gathers `values` from every rank into one array, in rank order (`MPI_Allgather`).
    ///
    /// Every rank passes the same number of values.
    ///
    /// - Parameter values: This rank's contribution.
    /// - Returns: `size * values.count` elements: rank 0's values, then rank 1's, and so on.
    public func allgather<Element: MPIElement>(_ values: [Element]) throws -> [Element] {
        let count = try cInt(values.count, "count", in: "MPI_Allgather")
        let (total, overflow) = values.count.multipliedReportingOverflow(by: size)
        guard !overflow else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: "MPI_Allgather",
                message: "\(values.count) elements from \(size) ranks overflow")
        }
        let datatype = Element.mpiDatatype.handle
        return try Array(unsafeUninitializedCapacity: total) { result, initialized in
            initialized = 0
            try mpiCall("MPI_Allgather") {
                MPI_Allgather(values, count, datatype, result.baseAddress, count, datatype, handle)
            }
            initialized = total
        }
    }

    /// Sends block `i` of `values` to rank `i` and gathers the blocks sent here (`MPI_Alltoall`).
    ///
    /// Used to exchange counts before an `alltoallv`: each rank passes how many elements it will
    /// send to each peer and gets back how many each peer will send to it.
    ///
    /// - Parameter values: `size` blocks of equal length, block `i` for rank `i`.
    /// - Returns: `size` blocks of the same length, block `i` from rank `i`.
    public func alltoall<Element: MPIElement>(_ values: [Element]) throws -> [Element] {
        guard size > 0, values.count % size == 0 else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: "MPI_Alltoall",
                message: "\(values.count) values do not split into \(size) equal blocks")
        }
        let block = try cInt(values.count / size, "block length", in: "MPI_Alltoall")
        let datatype = Element.mpiDatatype.handle
        return try Array(unsafeUninitializedCapacity: values.count) { result, initialized in
            initialized = 0
            try mpiCall("MPI_Alltoall") {
                MPI_Alltoall(values, block, datatype, result.baseAddress, block, datatype, handle)
            }
            initialized = values.count
        }
    }

    // MARK: All-to-all with varying counts

    /// Sends a region of `send` to every rank and receives a region from every rank into `receive`
    /// (`MPI_Alltoallv`), with no copy.
    ///
    /// Rank `i` gets `sendCounts[i]` elements starting at `send[sendDisplacements[i]]`; the elements
    /// from rank `i` land at `receive[recvDisplacements[i]]`, `recvCounts[i]` of them. Counts must
    /// match across ranks (what rank a sends to b is what b expects from a): exchange them first with
    /// `alltoall`. Zero counts are fine. Receive regions must not overlap, and `send` and `receive`
    /// must not share memory.
    ///
    /// - Parameters:
    ///   - send: The elements to send.
    ///   - sendCounts: Elements for each rank; `size` entries.
    ///   - sendDisplacements: Offset in `send`, in elements, of each rank's region; `size` entries.
    ///   - receive: Where to receive.
    ///   - recvCounts: Elements from each rank; `size` entries.
    ///   - recvDisplacements: Offset in `receive`, in elements, of each rank's region.
    /// - Throws: `MPIRuntimeError` with `.invalidArgument`, before calling MPI, when a region does
    ///   not fit its buffer; `MPIError` when MPI fails.
    public func alltoallv<Element: MPIElement>(
        sending send: UnsafeBufferPointer<Element>, sendCounts: [Int32], sendDisplacements: [Int32],
        receivingInto receive: UnsafeMutableBufferPointer<Element>, recvCounts: [Int32], recvDisplacements: [Int32]
    ) throws {
        try alltoallv(
            send: UnsafeRawPointer(send.baseAddress), sendLength: send.count,
            sendCounts: sendCounts, sendDisplacements: sendDisplacements,
            receive: UnsafeMutableRawPointer(receive.baseAddress), receiveLength: receive.count,
            recvCounts: recvCounts, recvDisplacements: recvDisplacements,
            datatype: Element.mpiDatatype)
    }

    /// Sends packed bytes to every rank and receives packed bytes from every rank (`MPI_Alltoallv`
    /// over `MPI_BYTE`), with no copy.
    ///
    /// The byte-level form of the typed overload, for data already packed into one byte buffer
    /// (token activations with their metadata, say). Counts and displacements are in bytes, at
    /// most `Int32.max` (2 GiB) each, since MPI takes a C `int`.
    ///
    /// - Parameters:
    ///   - send: The bytes to send.
    ///   - sendCounts: Bytes for each rank; `size` entries.
    ///   - sendDisplacements: Offset in `send`, in bytes, of each rank's region.
    ///   - receive: Where to receive.
    ///   - recvCounts: Bytes from each rank; `size` entries.
    ///   - recvDisplacements: Offset in `receive`, in bytes, of each rank's region.
    public func alltoallv(
        sending send: UnsafeRawBufferPointer, sendCounts: [Int32], sendDisplacements: [Int32],
        receivingInto receive: UnsafeMutableRawBufferPointer, recvCounts: [Int32], recvDisplacements: [Int32]
    ) throws {
        try alltoallv(
            send: send.baseAddress, sendLength: send.count,
            sendCounts: sendCounts, sendDisplacements: sendDisplacements,
            receive: receive.baseAddress, receiveLength: receive.count,
            recvCounts: recvCounts, recvDisplacements: recvDisplacements,
            datatype: .byte)
    }

    /// Exchanges regions of an array with every rank (`MPI_Alltoallv`) and returns what arrived.
    ///
    /// The array form of `alltoallv(sending:sendCounts:sendDisplacements:receivingInto:recvCounts:recvDisplacements:)`.
    ///
    /// - Returns: An array just long enough for every receive region, zero outside them.
    public func alltoallv<Element: MPIElement>(
        _ values: [Element], sendCounts: [Int32], sendDisplacements: [Int32],
        recvCounts: [Int32], recvDisplacements: [Int32]
    ) throws -> [Element] {
        let length = ExchangeLayout.extent(counts: recvCounts, displacements: recvDisplacements)
        return try values.withUnsafeBufferPointer { send in
            try Array(unsafeUninitializedCapacity: length) { receive, initialized in
                // Zero first, so elements outside every region are defined; MPI writes the rest.
                if let base = receive.baseAddress {
                    memset(base, 0, length * MemoryLayout<Element>.stride)
                }
                initialized = length
                try alltoallv(
                    sending: send, sendCounts: sendCounts, sendDisplacements: sendDisplacements,
                    receivingInto: receive, recvCounts: recvCounts, recvDisplacements: recvDisplacements)
            }
        }
    }

    private func alltoallv(
        send: UnsafeRawPointer?, sendLength: Int, sendCounts: [Int32], sendDisplacements: [Int32],
        receive: UnsafeMutableRawPointer?, receiveLength: Int, recvCounts: [Int32], recvDisplacements: [Int32],
        datatype: MPIDatatype
    ) throws {
        try ExchangeLayout.validate(
            counts: sendCounts, displacements: sendDisplacements, bufferCount: sendLength,
            ranks: size, side: "send", operation: "MPI_Alltoallv")
        try ExchangeLayout.validate(
            counts: recvCounts, displacements: recvDisplacements, bufferCount: receiveLength,
            ranks: size, side: "recv", operation: "MPI_Alltoallv")
        try mpiCall("MPI_Alltoallv(\(datatype))") {
            MPI_Alltoallv(
                send, sendCounts, sendDisplacements, datatype.handle,
                receive, recvCounts, recvDisplacements, datatype.handle, handle)
        }
    }
}
