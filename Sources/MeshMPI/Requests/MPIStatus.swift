internal import CMPI

/// What a completed receive got: who sent it, with which tag, and how many elements.
public struct MPIStatus: Hashable, Sendable, CustomStringConvertible {
    /// The sender's rank on the communicator.
    public let source: Int
    /// The message tag.
    public let tag: Int
    /// Elements received; at most the receive buffer's length.
    public let count: Int

    /// Reads `MPI_SOURCE`, `MPI_TAG` and `MPI_Get_count` from a completed receive's status.
    init(_ status: MPI_Status, datatype: MPIDatatype, operation: @autoclosure () -> String) throws {
        var status = status
        var count: Int32 = 0
        try mpiCall("MPI_Get_count") { MPI_Get_count(&status, datatype.handle, &count) }
        guard count != MPI_UNDEFINED else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: operation(),
                message: "received a byte count that is not a whole number of \(datatype) elements")
        }
        self.source = Int(status.MPI_SOURCE)
        self.tag = Int(status.MPI_TAG)
        self.count = Int(count)
    }

    public var description: String { "\(count) elements from rank \(source), tag \(tag)" }
}
