internal import CMPI

/// A group of ranks that talk to each other (`MPI_Comm`): the world, or a part split from it.
///
/// A `Communicator` is a plain handle, copied freely, like swift-system's `FileDescriptor`; the
/// world communicator lives as long as MPI, and one made by `split(color:key:)` lives until
/// `free()`. Rank and size are read once when the handle is made.
///
/// Not `Sendable`: every MPI call stays on the thread that initialised MPI (`MPI_THREAD_FUNNELED`).
///
/// Collective operations (`barrier`, `allreduce`, `allgather`, `alltoall`, `alltoallv`) must be
/// called by every rank of the communicator in the same order with matching arguments; a rank that
/// skips one leaves the others blocked in it. The blocking forms have no timeout; where a hang must
/// be detected, use a non-blocking form (`ialltoallv`, `ibarrier`, `isend`, `irecv`), whose `wait`
/// always takes one.
public struct Communicator: CustomStringConvertible {
    let handle: MPI_Comm

    /// This process's rank in the communicator, from 0 to `size - 1`.
    public let rank: Int

    /// The number of ranks in the communicator.
    public let size: Int

    /// The world communicator, `MPI_COMM_WORLD`.
    init(world: ()) throws {
        try self.init(handle: cmpi_comm_world())
    }

    private init(handle: MPI_Comm) throws {
        var rank: Int32 = 0
        var size: Int32 = 0
        try mpiCall("MPI_Comm_rank") { MPI_Comm_rank(handle, &rank) }
        try mpiCall("MPI_Comm_size") { MPI_Comm_size(handle, &size) }
        self.handle = handle
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// A source rank that matches a message from any rank, for `recv` and `irecv`.
    public static var anySource: Int { Int(MPI_ANY_SOURCE) }

    /// A tag that matches a message with any tag, for `recv` and `irecv`.
    public static var anyTag: Int { Int(MPI_ANY_TAG) }

    /// Whether this is `MPI_COMM_WORLD`.
    public var isWorld: Bool { handle == cmpi_comm_world() }

    public var description: String {
        "Communicator(\(isWorld ? "world, " : "")rank \(rank) of \(size))"
    }

    /// Splits the ranks into groups by color, ordered inside each group by key (`MPI_Comm_split`).
    ///
    /// Collective: every rank calls it. Ranks with equal `color` land in the same new communicator;
    /// their new ranks follow `key`, ties broken by rank here. The new communicator inherits the
    /// error handler (`MPI_ERRORS_RETURN`) from this one. Free it with `free()` when done.
    ///
    /// - Parameters:
    ///   - color: The group to join; zero or more.
    ///   - key: The sort key for ranks inside the group.
    /// - Returns: The communicator of this rank's group.
    public func split(color: Int, key: Int) throws -> Communicator {
        guard color >= 0 else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: "MPI_Comm_split",
                message: "color must be zero or more, got \(color)")
        }
        let cColor = try cInt(color, "color", in: "MPI_Comm_split")
        let cKey = try cInt(key, "key", in: "MPI_Comm_split")
        var newHandle: MPI_Comm? = nil
        try mpiCall("MPI_Comm_split(color: \(color), key: \(key))") {
            MPI_Comm_split(handle, cColor, cKey, &newHandle)
        }
        guard let newHandle else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: "MPI_Comm_split",
                message: "MPI returned no communicator for color \(color)")
        }
        return try Communicator(handle: newHandle)
    }

    /// Frees a communicator made by `split(color:key:)` (`MPI_Comm_free`).
    ///
    /// Collective over the communicator's ranks. Copies of this handle must not be used afterwards.
    /// The world communicator cannot be freed.
    public consuming func free() throws {
        guard !isWorld else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: "MPI_Comm_free",
                message: "the world communicator is freed by MPI_Finalize, not by free()")
        }
        var freed: MPI_Comm? = handle
        try mpiCall("MPI_Comm_free") { MPI_Comm_free(&freed) }
    }

    /// Blocks until every rank of the communicator has called it (`MPI_Barrier`).
    public func barrier() throws {
        try mpiCall("MPI_Barrier") { MPI_Barrier(handle) }
    }
}

@available(*, unavailable, message: "MPI calls stay on the thread that initialised MPI (MPI_THREAD_FUNNELED)")
extension Communicator: Sendable {}

/// Converts a count, rank or tag to the C `int` MPI takes, or throws `.invalidArgument`.
func cInt(_ value: Int, _ name: String, in operation: @autoclosure () -> String) throws -> Int32 {
    guard let converted = Int32(exactly: value) else {
        throw MPIRuntimeError(
            code: .invalidArgument, operation: operation(),
            message: "\(name) \(value) does not fit the C int MPI takes (at most \(Int32.max))")
    }
    return converted
}
