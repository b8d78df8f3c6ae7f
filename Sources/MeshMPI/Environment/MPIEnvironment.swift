internal import CMPI

/// The process's MPI session: initialised once, finalised once, with the world communicator.
///
/// MPI can be initialised once per process and never again after `MPI_Finalize`, so there are two
/// ways in:
///
/// - `init(threadLevel:)` for an executable: this value owns MPI. It finalises MPI when it goes out
///   of scope (`deinit`) or on `finalize()`; an `atexit` hook finalises on `exit()` paths, where no
///   `deinit` runs. Creating a second one in the same process throws `.alreadyInitialized`.
/// - `shared(threadLevel:)` for code that cannot own the session, such as a test suite in which many
///   tests want MPI: the first call initialises MPI, every call returns a handle to the same
///   session, and MPI is finalised at process exit by the `atexit` hook.
///
/// Both set `MPI_ERRORS_RETURN` on `MPI_COMM_WORLD`, so failures are thrown as `MPIError`.
///
/// ## Threads
///
/// MPI handles are not `Sendable`: keep every MPI call on the thread that created the environment
/// (`MPI_THREAD_FUNNELED`). `Communicator` and the request types are not `Sendable`, so Swift 6
/// refuses to share them between concurrent contexts; it does not stop one being handed over to
/// another thread, so run all MPI code in one place (the main actor, as the tests do, or one
/// dedicated thread) and check with `isMainThread()` where in doubt.
///
/// ## Singleton runs
///
/// A process not started by `mpirun` becomes a world of one (Open MPI "singleton" init, which
/// starts an `orted` helper found through `PATH`, from the `openmpi-bin` package). With Open MPI
/// 4.1.4 that works as root with no environment variables; only `mpirun` itself refuses root
/// without `--allow-run-as-root`.
public struct MPIEnvironment: ~Copyable {
    /// Every process of the job: `MPI_COMM_WORLD`.
    public let world: Communicator

    /// The thread level MPI provides; at least the one requested.
    public let threadLevel: MPIThreadLevel

    /// True for the value that finalises MPI; false for handles to the shared session.
    private let ownsSession: Bool

    /// Initialises MPI for this process; this value owns the session and finalises it.
    ///
    /// Calls `MPI_Init_thread` and sets `MPI_ERRORS_RETURN` on `MPI_COMM_WORLD`.
    ///
    /// - Parameter threadLevel: The thread level required; `.funneled` unless MPI is called from
    ///   several threads.
    /// - Throws: `MPIRuntimeError` with `.alreadyInitialized` or `.alreadyFinalized` when MPI was
    ///   initialised before in this process, `.threadLevelUnavailable` when MPI provides less than
    ///   `threadLevel` (MPI then stays initialised until exit), or an `MPIError`.
    public init(threadLevel: MPIThreadLevel = .funneled) throws {
        let provided = try MPILifecycle.initialize(requested: threadLevel, owner: .scoped)
        // If this throws, no value owns MPI; the atexit hook finalises it.
        let world = try Communicator(world: ())
        self.threadLevel = provided
        self.ownsSession = true
        self.world = world
    }

    private init(sharedWith provided: MPIThreadLevel) throws {
        let world = try Communicator(world: ())
        self.threadLevel = provided
        self.ownsSession = false
        self.world = world
    }

    /// Returns a handle to the process-wide MPI session, initialising MPI on the first call.
    ///
    /// The session is finalised at process exit by an `atexit` hook, never by these handles, so any
    /// number of them may come and go: this is what tests use, since `swift test` runs every test in
    /// one process and MPI cannot be initialised again after it is finalised.
    ///
    /// - Parameter threadLevel: The thread level required. The first call fixes the level; a later
    ///   call asking for more than MPI provides throws.
    /// - Throws: `MPIRuntimeError` with `.alreadyInitialized` when a scoped environment owns MPI,
    ///   `.alreadyFinalized`, or `.threadLevelUnavailable`; or an `MPIError`.
    public static func shared(threadLevel: MPIThreadLevel = .funneled) throws -> MPIEnvironment {
        let provided = try MPILifecycle.initialize(requested: threadLevel, owner: .shared)
        return try MPIEnvironment(sharedWith: provided)
    }

    /// Finalises MPI now and reports failure, instead of leaving it to `deinit`.
    ///
    /// For a handle to the shared session this only ends the handle: the session stays up until
    /// process exit. MPI is finalised at most once whichever path gets there first.
    ///
    /// - Throws: `MPIError` if `MPI_Finalize` fails.
    public consuming func finalize() throws {
        let owns = ownsSession
        discard self
        guard owns else { return }
        let rc = MPILifecycle.finalize()
        if rc != MPI_SUCCESS {
            throw MPIError(code: rc, operation: "MPI_Finalize")
        }
    }

    deinit {
        if ownsSession {
            // A deinit cannot throw; use `finalize()` to see a failing MPI_Finalize.
            MPILifecycle.finalize()
        }
    }

    /// Ends every process of the job (`MPI_Abort` on `MPI_COMM_WORLD`).
    ///
    /// Use when one rank hits an error the others cannot learn about, so they would otherwise wait
    /// in a collective forever.
    ///
    /// - Parameter code: The exit status `mpirun` reports.
    public consuming func abort(code: Int32 = 1) -> Never {
        MPILifecycle.markAborting()
        _ = MPI_Abort(cmpi_comm_world(), code)
        // MPI_Abort does not return; if an implementation did, end this process at least.
        fatalError("MPI_Abort(\(code)) returned")
    }

    /// Seconds since an arbitrary point in the past, from `MPI_Wtime`.
    ///
    /// Differences of two readings on the same rank measure elapsed time.
    public func wallTime() -> Double {
        MPI_Wtime()
    }

    /// The name of the node this rank runs on (`MPI_Get_processor_name`), usually its host name.
    public func processorName() throws -> String {
        // MPI_MAX_PROCESSOR_NAME is 256 in Open MPI 4.1; one more for the NUL.
        var bytes = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
        var length: Int32 = 0
        try mpiCall("MPI_Get_processor_name") {
            bytes.withUnsafeMutableBufferPointer { MPI_Get_processor_name($0.baseAddress, &length) }
        }
        let end = min(max(Int(length), 0), bytes.count - 1)
        return String(decoding: bytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the calling thread is the one that initialised MPI (`MPI_Is_thread_main`).
    ///
    /// Under `.funneled` every MPI call must come from that thread.
    public func isMainThread() throws -> Bool {
        var flag: Int32 = 0
        try mpiCall("MPI_Is_thread_main") { MPI_Is_thread_main(&flag) }
        return flag != 0
    }
}
