/// A wait on a non-blocking MPI request passed its deadline.
///
/// Thrown by the `wait(timeoutSeconds:)` of every request type. By the time it is thrown the request
/// has been cleaned up as far as MPI allows, and `cleanup` says how.
///
/// A timed-out point-to-point request leaves its communicator usable. A timed-out collective
/// (`ialltoallv`, `ibarrier`) does not: the ranks no longer agree on which collectives have
/// happened, and MPI matches collectives by order, so the next one would pair with the wrong
/// operation on some rank. Treat it as fatal for the job (`MPIEnvironment.abort(code:)`).
public struct MPITimeoutError: Error, CustomStringConvertible, Sendable {
    /// What happened to the request once its deadline had passed.
    public enum Cleanup: Hashable, Sendable, CustomStringConvertible {
        /// MPI confirmed the cancellation (`MPI_Test_cancelled`); the buffers were freed.
        case cancelled
        /// The operation completed just after the deadline; its buffers were freed, its result dropped.
        case completed
        /// MPI could not give the buffers back in time (a send that cannot be cancelled, or a
        /// collective, which MPI forbids cancelling), so they were leaked on purpose: MPI may still
        /// write into them, and freed memory must never be written. Counted in `MPIDiagnostics`.
        case abandoned

        public var description: String {
            switch self {
            case .cancelled: "request cancelled"
            case .completed: "request completed late; result dropped"
            case .abandoned: "request abandoned; its buffers are leaked so MPI never writes freed memory"
            }
        }
    }

    /// The operation waited on, such as `MPI_Irecv(from: 0, tag: 7)`.
    public let operation: String
    /// The rank of the peer on the request's communicator, or nil for a collective.
    public let peer: Int?
    /// The timeout the caller gave, in seconds.
    public let timeoutSeconds: Double
    /// How long the wait lasted until the deadline was seen, in seconds; the cleanup comes on top.
    public let elapsedSeconds: Double
    /// What happened to the request afterwards.
    public let cleanup: Cleanup

    public var description: String {
        let who = peer.map { " (peer rank \($0))" } ?? ""
        let limit = timeoutSeconds.formatted(decimals: 3)
        let waited = elapsedSeconds.formatted(decimals: 3)
        return "\(operation)\(who) did not complete within \(limit) s (waited \(waited) s); \(cleanup)"
    }
}

extension Double {
    /// The value with a fixed number of decimals, without Foundation.
    func formatted(decimals: Int) -> String {
        guard isFinite else { return String(self) }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(self) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let digits = String(fraction)
        let padded = String(repeating: "0", count: max(0, decimals - digits.count)) + digits
        let sign = self < 0 && scaled > 0 ? "-" : ""
        return decimals > 0 ? "\(sign)\(whole).\(padded)" : "\(sign)\(whole)"
    }
}
