internal import CMPI
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state every non-blocking request shares: the `MPI_Request`, the memory MPI may still use,
/// and the timed wait.
///
/// ## Dropping a pending request
///
/// MPI may read or write a request's buffers until it completes, so freeing them earlier would
/// let MPI write freed memory. A request that is dropped (or times out) before completing is
/// therefore *abandoned*, as far as MPI allows:
///
/// 1. A point-to-point request is cancelled (`MPI_Cancel`). Open MPI cancels an unmatched receive
///    at once; it does not cancel sends, which complete once delivered.
/// 2. MPI is polled for a short grace period (`abandonGraceSeconds`). If the operation completes or
///    is cancelled in that time, the buffers are freed.
/// 3. Otherwise the buffers are leaked on purpose, and counted in `MPIDiagnostics`: a leak is safe,
///    a dangling buffer is not. A point-to-point request is released with `MPI_Request_free` (MPI
///    finishes it in the background); a collective request is kept, since MPI 3.1 section 5.12
///    makes `MPI_Request_free` and `MPI_Cancel` on one erroneous.
///
/// After `MPI_Finalize`, MPI no longer touches any buffer, so they are simply freed.
struct RequestCore: ~Copyable {
    enum Kind {
        /// `isend`, `irecv`: cancellable receives, freeable requests.
        case pointToPoint
        /// `ialltoallv`, `ibarrier`: neither cancellable nor freeable before completion.
        case collective
    }

    private enum State {
        /// MPI still owns the buffers.
        case pending
        /// The operation finished; the buffers are this core's to free or hand back.
        case complete
        /// Nothing left to do: the buffers were handed back, freed or deliberately leaked.
        case released
    }

    /// Time given, in seconds, to a dropped or timed-out request to finish or cancel before its
    /// buffers are leaked. 0.25 s: a cancelled receive completes on the next test; a send or
    /// collective whose peers are all running finishes within that on one node.
    static let abandonGraceSeconds = 0.25

    private var handle: MPI_Request?
    private var state = State.pending
    private var completionError: MPIError?
    private(set) var status = MPI_Status()
    let kind: Kind
    let operation: String
    let peer: Int?
    /// The buffers handed back by a successful `wait`: the payload.
    private var payload: [UnsafeMutableRawBufferPointer]
    /// Memory only MPI needs, such as the count arrays of a non-blocking collective.
    private let scratch: [UnsafeMutableRawBufferPointer]

    init(
        handle: MPI_Request?, kind: Kind, operation: String, peer: Int?,
        payload: [UnsafeMutableRawBufferPointer], scratch: [UnsafeMutableRawBufferPointer] = []
    ) {
        self.handle = handle
        self.kind = kind
        self.operation = operation
        self.peer = peer
        self.payload = payload
        self.scratch = scratch
    }

    /// Whether the operation has finished, polling MPI once (`MPI_Test`) if not known yet.
    ///
    /// - Throws: `MPIError` if the operation failed; the request then counts as complete.
    mutating func test() throws -> Bool {
        switch state {
        case .complete, .released:
            if let completionError { throw completionError }
            return true
        case .pending:
            break
        }
        try MPILifecycle.requireActive(operation)
        var flag: Int32 = 0
        let rc = MPI_Test(&handle, &flag, &status)
        if rc != MPI_SUCCESS {
            // A request that finished with an error is released by MPI; its buffers are ours again.
            if handle == nil || handle == cmpi_request_null() {
                state = .complete
                completionError = MPIError(code: rc, operation: operation)
                throw completionError!
            }
            throw MPIError(code: rc, operation: operation)
        }
        if flag != 0 {
            state = .complete
            return true
        }
        return false
    }

    /// Polls until the operation finishes or `timeoutSeconds` pass.
    ///
    /// Spins on `MPI_Test` at first (a message in flight usually lands within microseconds), then
    /// yields the core, then sleeps between polls; see `PollBackoff`.
    ///
    /// - Throws: `MPITimeoutError` when the deadline passes, after abandoning the request (see the
    ///   type's discussion); `MPIError` if the operation failed.
    mutating func wait(timeoutSeconds: Double) throws {
        guard timeoutSeconds.isFinite, timeoutSeconds >= 0 else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: operation,
                message: "timeoutSeconds must be finite and not negative, got \(timeoutSeconds)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: .seconds(timeoutSeconds))
        var polls = 0
        while true {
            if try test() { return }
            let now = clock.now
            if now >= deadline {
                let cleanup = abandonNow()
                throw MPITimeoutError(
                    operation: operation, peer: peer, timeoutSeconds: timeoutSeconds,
                    elapsedSeconds: (now - start).seconds, cleanup: cleanup)
            }
            PollBackoff.pause(afterPolls: polls, elapsed: now - start)
            polls += 1
        }
    }

    /// Hands the payload to the caller after a successful wait: this core no longer frees it.
    mutating func releasePayload() {
        precondition(state == .complete, "releasePayload before completion")
        payload = []
    }

    private mutating func abandonNow() -> MPITimeoutError.Cleanup {
        let cleanup = RequestCore.abandon(
            handle: &handle, kind: kind, memory: payload + scratch)
        state = .released
        return cleanup
    }

    deinit {
        switch state {
        case .pending:
            var handle = self.handle
            _ = RequestCore.abandon(handle: &handle, kind: kind, memory: payload + scratch)
        case .complete:
            for block in payload + scratch { block.deallocate() }
        case .released:
            break
        }
    }

    /// Cancels where MPI allows, waits a grace period, then frees or leaks `memory`.
    private static func abandon(
        handle: inout MPI_Request?, kind: Kind, memory: [UnsafeMutableRawBufferPointer]
    ) -> MPITimeoutError.Cleanup {
        func freeMemory() { for block in memory { block.deallocate() } }
        guard MPILifecycle.isActive else {
            // MPI_Finalize has run: MPI will never touch these buffers again.
            freeMemory()
            return .completed
        }
        if kind == .pointToPoint {
            _ = MPI_Cancel(&handle)
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(abandonGraceSeconds))
        var status = MPI_Status()
        var polls = 0
        while true {
            var flag: Int32 = 0
            let rc = MPI_Test(&handle, &flag, &status)
            let released = handle == nil || handle == cmpi_request_null()
            if rc != MPI_SUCCESS {
                if released {
                    freeMemory()
                    return .completed
                }
                break
            }
            if flag != 0 {
                var cancelled: Int32 = 0
                _ = MPI_Test_cancelled(&status, &cancelled)
                freeMemory()
                return cancelled != 0 ? .cancelled : .completed
            }
            if clock.now >= deadline { break }
            PollBackoff.pause(afterPolls: polls, elapsed: .zero)
            polls += 1
        }
        if kind == .pointToPoint {
            _ = MPI_Request_free(&handle)
        }
        MPIDiagnostics.recordAbandoned(bytes: memory.reduce(0) { $0 + $1.count })
        return .abandoned
    }
}

/// How long to pause between two polls of a pending request.
enum PollBackoff {
    /// Spins for the first 100 polls, then yields the core between polls for the first 20 ms of
    /// the wait, then sleeps 50 µs per poll.
    ///
    /// Open MPI moves data only inside MPI calls, so polls must keep coming, but a rank that spins
    /// takes a core from the others when there are more ranks than cores (`--oversubscribe`):
    /// yielding hands the core over at once and gets it back as soon as the others yield, which
    /// keeps exchanges of a few hundred microseconds at their speed (sleeping 50 µs per poll after
    /// a fixed number of polls made them several times slower, measured with `expertmesh bench`).
    /// Past 20 ms the wait is a long one (a peer still computing), and sleeping saves the core.
    static func pause(afterPolls polls: Int, elapsed: Duration) {
        if polls < 100 { return }
        if polls < 1_100 || elapsed < .milliseconds(20) {
            sched_yield()
            return
        }
        var interval = timespec(tv_sec: 0, tv_nsec: 50_000)
        nanosleep(&interval, nil)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// Counters of memory deliberately leaked by abandoned MPI requests.
///
/// See `MPITimeoutError.Cleanup.abandoned`: a request that could be neither completed nor
/// cancelled keeps its buffers forever, so MPI never writes freed memory. Non-zero counts in a
/// healthy run point at requests dropped without `wait`.
public enum MPIDiagnostics {
    private static let requests = Atomic<Int>(0)
    private static let bytes = Atomic<Int>(0)

    /// Requests abandoned so far in this process.
    public static var abandonedRequestCount: Int { requests.load(ordering: .relaxed) }

    /// Bytes of buffers leaked by abandoned requests so far in this process.
    public static var abandonedByteCount: Int { bytes.load(ordering: .relaxed) }

    static func recordAbandoned(bytes count: Int) {
        requests.add(1, ordering: .relaxed)
        bytes.add(count, ordering: .relaxed)
    }
}
