internal import CMPI

/// How many threads of the process may call MPI, from `MPI_THREAD_SINGLE` to `MPI_THREAD_MULTIPLE`.
///
/// ExpertMesh asks for `.funneled`: the process may have many threads (BLAS, Swift concurrency), but
/// only the thread that initialised MPI calls it. MeshMPI's handles are not `Sendable`, which keeps
/// them on one thread in Swift 6 code; `MPIEnvironment.isMainThread()` checks it at run time.
public enum MPIThreadLevel: Int, Comparable, Sendable, CustomStringConvertible {
    /// `MPI_THREAD_SINGLE`: the process has one thread.
    case single = 0
    /// `MPI_THREAD_FUNNELED`: only the thread that initialised MPI calls it.
    case funneled = 1
    /// `MPI_THREAD_SERIALIZED`: any thread may call MPI, never two at once.
    case serialized = 2
    /// `MPI_THREAD_MULTIPLE`: any thread may call MPI at any time.
    case multiple = 3

    var mpiValue: Int32 {
        switch self {
        case .single: Int32(MPI_THREAD_SINGLE)
        case .funneled: Int32(MPI_THREAD_FUNNELED)
        case .serialized: Int32(MPI_THREAD_SERIALIZED)
        case .multiple: Int32(MPI_THREAD_MULTIPLE)
        }
    }

    init(mpiValue: Int32) {
        switch Int(mpiValue) {
        case Int(MPI_THREAD_MULTIPLE): self = .multiple
        case Int(MPI_THREAD_SERIALIZED): self = .serialized
        case Int(MPI_THREAD_FUNNELED): self = .funneled
        default: self = .single
        }
    }

    public static func < (lhs: MPIThreadLevel, rhs: MPIThreadLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .single: "MPI_THREAD_SINGLE"
        case .funneled: "MPI_THREAD_FUNNELED"
        case .serialized: "MPI_THREAD_SERIALIZED"
        case .multiple: "MPI_THREAD_MULTIPLE"
        }
    }
}
