internal import CMPI
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide MPI state: initialised at most once, finalised at most once.
///
/// MPI allows one `MPI_Init` and one `MPI_Finalize` per process, and nothing after the finalize.
/// Every path that can reach either goes through here, under one lock: an owning `MPIEnvironment`
/// (finalised in its `deinit`), the shared environment (finalised at exit), and the `atexit` hook
/// that catches `exit()` paths on which no `deinit` runs.
enum MPILifecycle {
    /// Who finalises MPI.
    enum Owner: Sendable {
        /// An `MPIEnvironment` created with `init(threadLevel:)`: its `deinit` or `finalize()`.
        case scoped
        /// `MPIEnvironment.shared(threadLevel:)`: the `atexit` hook.
        case shared
    }

    enum Phase: Sendable {
        case uninitialized
        case initialized(provided: MPIThreadLevel, owner: Owner)
        case finalized
    }

    private struct State: Sendable {
        var phase: Phase = .uninitialized
        var exitHookRegistered = false
    }

    private static let state = Mutex(State())

    /// True between a successful `MPI_Init_thread` and `MPI_Finalize`; read before every MPI call.
    private static let active = Atomic<Bool>(false)

    static var isActive: Bool { active.load(ordering: .acquiring) }

    /// Throws unless MPI may be called now.
    @inline(__always)
    static func requireActive(_ operation: @autoclosure () -> String) throws {
        if !isActive {
            throw inactiveError(operation())
        }
    }

    private static func inactiveError(_ operation: String) -> MPIRuntimeError {
        let finalized = state.withLock { if case .finalized = $0.phase { true } else { false } }
        if finalized {
            return MPIRuntimeError(
                code: .alreadyFinalized, operation: operation,
                message: "MPI was already finalised in this process; no MPI call is allowed after MPI_Finalize")
        }
        return MPIRuntimeError(
            code: .notInitialized, operation: operation,
            message: "MPI is not initialised: create an MPIEnvironment first")
    }

    /// Initialises MPI, or for a shared owner joins the shared initialisation already done.
    ///
    /// - Returns: The thread level MPI provides.
    static func initialize(requested: MPIThreadLevel, owner: Owner) throws -> MPIThreadLevel {
        try state.withLock { state throws -> MPIThreadLevel in
            switch state.phase {
            case .finalized:
                throw MPIRuntimeError(
                    code: .alreadyFinalized, operation: "MPI_Init_thread",
                    message: "MPI was already finalised in this process and cannot be initialised again")
            case .initialized(let provided, let existing):
                guard case .shared = owner, case .shared = existing else {
                    throw MPIRuntimeError(
                        code: .alreadyInitialized, operation: "MPI_Init_thread",
                        message: existing == .scoped
                            ? "MPI is already initialised by a scoped MPIEnvironment; use that one"
                            : "MPI is already initialised by the shared environment; use MPIEnvironment.shared()")
                }
                try requireLevel(requested, provided: provided)
                return provided
            case .uninitialized:
                var already: Int32 = 0
                _ = MPI_Initialized(&already)
                if already != 0 {
                    throw MPIRuntimeError(
                        code: .alreadyInitialized, operation: "MPI_Init_thread",
                        message: "MPI was initialised outside MeshMPI")
                }
                var providedValue: Int32 = 0
                // Before MPI_Init completes, errors abort the process whatever the handler;
                // a non-success return is still checked in case an implementation returns one.
                let rc = MPI_Init_thread(nil, nil, requested.mpiValue, &providedValue)
                guard rc == MPI_SUCCESS else {
                    throw MPIError(code: rc, operation: "MPI_Init_thread")
                }
                let provided = MPIThreadLevel(mpiValue: providedValue)
                state.phase = .initialized(provided: provided, owner: owner)
                active.store(true, ordering: .releasing)
                if !state.exitHookRegistered {
                    // Runs on `exit()` and on return from `main`, where no deinit runs. It finalises only
                    // if nothing else did; `finalize()` is idempotent, so MPI is never finalised twice.
                    // A capture-free closure converts to the C function pointer `atexit` needs.
                    _ = atexit { MPILifecycle.finalize() }
                    state.exitHookRegistered = true
                }
                // From here on a failing call returns its code instead of aborting the job.
                // Communicators split from world inherit this handler (MPI 3.1, section 8.3).
                let handlerRC = MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return())
                guard handlerRC == MPI_SUCCESS else {
                    throw MPIError(code: handlerRC, operation: "MPI_Comm_set_errhandler(MPI_COMM_WORLD)")
                }
                try requireLevel(requested, provided: provided)
                return provided
            }
        }
    }

    private static func requireLevel(_ requested: MPIThreadLevel, provided: MPIThreadLevel) throws {
        guard provided >= requested else {
            throw MPIRuntimeError(
                code: .threadLevelUnavailable, operation: "MPI_Init_thread",
                message: "requested \(requested), MPI provides \(provided)")
        }
    }

    /// Marks MPI as finished without finalising it, just before `MPI_Abort`.
    ///
    /// `MPI_Abort` may end the process through `exit()`; the `atexit` hook must then not call
    /// `MPI_Finalize` on a job that is being torn down.
    static func markAborting() {
        state.withLock { state in
            active.store(false, ordering: .releasing)
            state.phase = .finalized
        }
    }

    /// Finalises MPI if it is initialised; does nothing otherwise, so every exit path may call it.
    ///
    /// - Returns: The return code of `MPI_Finalize`, or `MPI_SUCCESS` when there was nothing to do.
    @discardableResult
    static func finalize() -> Int32 {
        state.withLock { state in
            guard case .initialized = state.phase else { return MPI_SUCCESS }
            active.store(false, ordering: .releasing)
            state.phase = .finalized
            return MPI_Finalize()
        }
    }
}

extension MPILifecycle.Owner: Equatable {}
