import Foundation
import Logging
import MeshMPI

/// What every command's session shares during a ``RankJob``: the world, this rank, the step
/// timeout, the rank's logger, and the bounded waits every rank takes part in.
///
/// Every wait here has the step timeout as its deadline. A point-to-point agreement
/// (``agree(_:)``) names the exact rank that did not arrive; a collective that runs out of time
/// names its phase and the operation, since a collective cannot say which rank is missing. Either
/// way the error is a ``PeerTimeout``, and the job ends through `MPI_Abort` after one line.
/// MPI stays on the calling thread (`MPI_THREAD_FUNNELED`).
public final class JobContext {
    public let world: Communicator
    public let rank: Int
    public let ranks: Int
    /// `run`, `serve`, `bench`, `calibrate`, `mpi-check`.
    public let command: String
    /// The longest wait for a peer, in seconds.
    public let timeoutSeconds: Double
    /// The longest wait for the other ranks' setup: the step timeout, at least
    /// ``minimumSetupTimeoutSeconds``.
    public var setupTimeoutSeconds: Double { max(timeoutSeconds, Self.minimumSetupTimeoutSeconds) }
    /// The shortest wait for the other ranks' setup, in seconds: loading weights takes seconds
    /// and, on a machine whose cores the ranks share, ends seconds apart from rank to rank, so a
    /// step timeout of a few seconds is too short for it. Setup is not a step.
    public static let minimumSetupTimeoutSeconds = 30.0
    /// The node this rank runs on, as MPI names it (`MPI_Get_processor_name`: the host name).
    public let processorName: String
    /// This rank's logger: `rank` and `role` metadata, and `phase` as the rank moves on.
    public private(set) var logger: Logger
    /// What this rank does now (see ``enter(_:)``).
    public private(set) var phase = "start"
    /// A stall or kill to act out at the first agreement (for tests), consumed by it.
    private var fault: Fault?
    /// The deadline of blocking calls, made on first use.
    private lazy var watchdog: BlockingWatchdog = {
        let logger = logger, timeoutSeconds = timeoutSeconds
        return BlockingWatchdog { what in
            logger.error("timed out after \(timeoutSeconds) s in \(what); ending the job")
            _exit(1)
        }
    }()

    init(world: Communicator, command: String, timeoutSeconds: Double, fault: Fault?, processorName: String) {
        self.world = world
        self.processorName = processorName
        rank = world.rank
        ranks = world.size
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.fault = fault
        logger = .rank(world.rank, role: command)
    }

    /// Names this rank's role in its log lines (`coordinator 0`, `worker 2`).
    public func setRole(_ role: String) {
        logger[metadataKey: LogKey.role] = "\(role)"
    }

    /// Records what this rank does now, in its log lines' metadata, and logs it at info level
    /// (`EXPERTMESH_LOG=info` shows each rank's way through the job; `debug` adds every layer).
    public func enter(_ phase: String) {
        self.phase = phase
        logger[metadataKey: LogKey.phase] = "\(phase)"
        logger.info("entering \(phase)")
    }

    /// Waits until every rank has reached `phase`, at most the step timeout.
    ///
    /// Point to point with every peer (see `CountsExchange`), so that a rank that never arrives
    /// is named. An injected stall or kill (`--inject-fault`) acts here, at the first agreement.
    ///
    /// - Throws: ``PeerTimeout`` naming the first peer that did not arrive in time.
    public func agree(_ phase: String) throws {
        enter(phase)
        if let fault = fault.take() { fault.strike(rank: rank) }
        _ = try exchange(Array(repeating: 0, count: ranks), phase: phase)
    }

    /// Sends `values[r]` to every other rank `r` point to point and returns what each sent here.
    ///
    /// - Parameter timeoutSeconds: The deadline; the step timeout when nil.
    /// - Throws: ``PeerTimeout`` naming the first peer whose value did not arrive in time.
    func exchange(_ values: [Int32], phase: String, timeoutSeconds: Double? = nil) throws -> [Int32] {
        try CountsExchange(communicator: world).exchange(values, timeoutSeconds: timeoutSeconds ?? self.timeoutSeconds, phase: phase)
    }

    /// Runs waits of `phase` with the step timeout as their deadline.
    ///
    /// - Parameters:
    ///   - timeoutSeconds: The deadline, when it is not the step timeout (a wait for one rank's
    ///     long solo work).
    ///   - body: Given the world and the timeout in seconds; uses the bounded forms
    ///     (`allreduce(_:op:timeoutSeconds:)`, `ibarrier().wait(timeoutSeconds:)`,
    ///     `irecv(…).wait(timeoutSeconds:)`, …).
    /// - Throws: ``PeerTimeout`` naming the phase, the operation and the peer (for a message) or
    ///   the suspects (every other rank, for a collective) when a deadline passes.
    public func bounded<Result>(_ phase: String, timeoutSeconds: Double? = nil,
                                _ body: (Communicator, Double) throws -> Result) throws -> Result {
        let limit = timeoutSeconds ?? self.timeoutSeconds
        do {
            return try body(world, limit)
        } catch let error as MPITimeoutError {
            var timeout = timeout(in: "\(phase) (\(error.operation))", suspects: (0..<ranks).filter { $0 != rank })
            timeout.timeoutSeconds = limit
            if let peer = error.peer { (timeout.peer, timeout.suspects) = (peer, []) }
            throw timeout
        }
    }

    /// Runs a blocking MPI call of `phase` that must stay blocking (a measured baseline) under
    /// the step timeout: past it, this rank says so in one line and exits with status 1, upon
    /// which mpirun ends the job (see ``BlockingWatchdog``). Arm it around the call, outside the
    /// measured window.
    public func blocking<Result>(_ phase: String, _ body: () throws -> Result) rethrows -> Result {
        try watchdog.guarding(phase, timeoutSeconds: timeoutSeconds, body)
    }

    /// `values` combined over every rank, within the step timeout.
    public func allreduce<Element: MPIReducible>(_ values: [Element], op: MPIOp, phase: String) throws -> [Element] {
        try bounded(phase) { try $0.allreduce(values, op: op, timeoutSeconds: $1) }
    }

    /// One value combined over every rank, within the step timeout.
    public func allreduce<Element: MPIReducible>(_ value: Element, op: MPIOp, phase: String) throws -> Element {
        try bounded(phase) { try $0.allreduce(value, op: op, timeoutSeconds: $1) }
    }

    /// Every rank's `values`, in rank order, within the step timeout.
    public func allgather<Element: MPIElement>(_ values: [Element], phase: String) throws -> [Element] {
        try bounded(phase) { try $0.allgather(values, timeoutSeconds: $1) }
    }

    /// A barrier of `phase` (`MPI_Ibarrier`) within the step timeout, or `timeoutSeconds`.
    public func barrier(_ phase: String, timeoutSeconds: Double? = nil) throws {
        try bounded(phase, timeoutSeconds: timeoutSeconds) { try $0.ibarrier().wait(timeoutSeconds: $1) }
    }

    /// The timeout of a wait in `phase` in which one of `suspects` must be missing.
    func timeout(in phase: String, suspects: [Int]) -> PeerTimeout {
        PeerTimeout(rank: rank, peer: nil, phase: phase, timeoutSeconds: timeoutSeconds, suspects: suspects)
    }
}
