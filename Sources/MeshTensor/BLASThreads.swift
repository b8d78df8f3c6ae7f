internal import CBLAS

/// The number of threads OpenBLAS uses for each GEMM.
///
/// OpenBLAS keeps one process-wide pool. Every MPI rank on a node has its own
/// pool, so `ranks × threads` above the node's cores oversubscribes it, and
/// GEMM throughput collapses as threads are descheduled mid-kernel.
public enum BLASThreads {
    /// The current size of OpenBLAS's thread pool (`openblas_get_num_threads`).
    public static var current: Int {
        Int(openblas_get_num_threads())
    }

    /// Sets the size of OpenBLAS's thread pool (`openblas_set_num_threads`).
    ///
    /// Call it before the first GEMM, from one thread: OpenBLAS resizes its
    /// pool without locking against GEMMs already running.
    ///
    /// - Parameter count: Threads, at least 1.
    public static func set(_ count: Int) {
        precondition(count >= 1, "BLASThreads: thread count \(count) must be at least 1")
        openblas_set_num_threads(Int32(count))
    }

    /// Threads per rank such that `ranksOnNode × threads ≤ cores`, and at least 1.
    ///
    /// An explicit override (from configuration or the command line) wins, even
    /// if it oversubscribes: the operator may know better. With more ranks than
    /// cores the result is 1 and the node is oversubscribed by the ranks alone.
    ///
    /// - Parameters:
    ///   - ranksOnNode: MPI ranks sharing this node, at least 1.
    ///   - cores: Cores on the node, at least 1.
    ///   - override: A requested thread count (at least 1), or `nil`.
    /// - Returns: The thread count to pass to ``set(_:)``.
    public static func recommended(ranksOnNode: Int, cores: Int, override: Int?) -> Int {
        precondition(ranksOnNode >= 1, "BLASThreads: ranksOnNode \(ranksOnNode) must be at least 1")
        precondition(cores >= 1, "BLASThreads: cores \(cores) must be at least 1")
        if let override {
            precondition(override >= 1, "BLASThreads: override \(override) must be at least 1")
            return override
        }
        return max(1, cores / ranksOnNode)
    }
}
