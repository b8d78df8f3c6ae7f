import Foundation
import Synchronization

/// A deadline for blocking MPI calls that must stay blocking: a measured baseline
/// (`calibrate`'s and `bench`'s raw `MPI_Alltoallv`), where a timed wait would change what is
/// measured.
///
/// MPI cannot interrupt a blocking call, so the deadline is kept by a thread of its own that
/// checks every 20 ms whether the armed call has run past it, and then runs the expiry action:
/// by default one error line and `_exit(1)`, upon which mpirun ends the job. (`_exit`, not `exit`:
/// the atexit hook would finalize MPI from this thread while the main thread is inside MPI.) The
/// watchdog makes no MPI call. Arming and disarming take a lock, outside the measured window.
final class BlockingWatchdog: Sendable {
    private struct Armed {
        var deadline: ContinuousClock.Instant
        var what: String
    }

    private let armed = Mutex<Armed?>(nil)
    private let onExpiry: @Sendable (String) -> Void

    /// - Parameter onExpiry: Given what was armed; must not return to the blocked call (it may
    ///   end the process). Called at most once per arming.
    init(onExpiry: @escaping @Sendable (String) -> Void) {
        self.onExpiry = onExpiry
        Thread.detachNewThread { [weak self] in
            while let watchdog = self {
                watchdog.check()
                Thread.sleep(forTimeInterval: 0.020)
            }
        }
    }

    /// Runs `body` with a deadline of `timeoutSeconds`; `what` names it to the expiry action.
    func guarding<Result>(_ what: String, timeoutSeconds: Double, _ body: () throws -> Result) rethrows -> Result {
        armed.withLock { $0 = Armed(deadline: .now + .seconds(timeoutSeconds), what: what) }
        defer { armed.withLock { $0 = nil } }
        return try body()
    }

    private func check() {
        let expired = armed.withLock { armed -> String? in
            guard let current = armed, ContinuousClock.now >= current.deadline else { return nil }
            armed = nil
            return current.what
        }
        if let expired { onExpiry(expired) }
    }
}
