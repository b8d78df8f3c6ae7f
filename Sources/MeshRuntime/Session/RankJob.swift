import Foundation
import Logging
import MeshCore
import MeshIO
import MeshMPI

/// The life of one rank of any mpirun job (`run`, `serve`, `bench`, `calibrate`, `mpi-check`),
/// written once: MPI's start, the checks every rank sees alike (the rank count, say), the
/// command's setup agreed by every rank, the hosts exchanged, the work, the gather, and MPI's
/// finalize or abort.
///
/// Each command supplies only what differs: its checks and its ``RankSession``.
///
/// - Bad input (a problem every rank sees alike, or a setup that fails: a missing tensor, a bad
///   file) is one line from one rank and exit status 2 on every rank.
/// - A failure during the work (a timeout, a bad message) aborts the job through `MPI_Abort`
///   after one line naming the rank, the peer or suspects, the phase and, on several hosts, the
///   host: status 2 for a ``ProtocolError``, 1 otherwise.
public struct RankJob {
    /// The command, for messages and the log's role before a rank has one.
    public var command: String
    /// The longest wait for a peer, in seconds.
    public var timeoutSeconds: Double
    /// A stall or kill to act out at the session's first ``JobContext/agree(_:)``, for tests.
    public var fault: Fault?

    public init(command: String, timeoutSeconds: Double, fault: Fault? = nil) {
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.fault = fault
    }

    /// Runs the job on this rank and returns the process exit status.
    ///
    /// - Parameters:
    ///   - check: What is wrong with the job as a whole, or nil; every rank must find the same (it
    ///     may use bounded collectives of the context). Reported once, by rank 0; status 2.
    ///   - setup: Makes this rank's session; throwing is a setup failure (status 2 for an
    ///     ``MeshIO/InputError``, 1 otherwise), agreed on by every rank.
    public func run<Session: RankSession>(check: (JobContext) throws -> String? = { _ in nil },
                                          setup: (JobContext) throws -> Session) -> Int32 {
        let environment: MPIEnvironment
        do {
            environment = try MPIEnvironment(threadLevel: .funneled)
        } catch {
            Logger.job.error("cannot start MPI: \(error)")
            return 1
        }
        let job = JobContext(world: environment.world, command: command, timeoutSeconds: timeoutSeconds, fault: fault,
                             processorName: (try? environment.processorName()) ?? "")
        job.enter("checks")
        let problem: String?
        do {
            problem = try check(job)
        } catch {
            job.logger.error("\(error)")
            environment.abort(code: 1)
        }
        if let problem {
            if job.rank == 0 { Logger.job.error("\(problem)") }
            try? environment.finalize()
            return 2
        }
        job.enter("setup")
        let session: Session
        do {
            session = try setup(job)
        } catch {
            // Setup failed on this rank: tell the others to stop. Several ranks often fail alike (a
            // missing weights file): only the lowest failing rank says why, so the job prints one line.
            let others = try? job.exchange(Array(repeating: 1, count: job.ranks), phase: "agreeing that setup failed",
                                      timeoutSeconds: job.setupTimeoutSeconds)
            if (0..<job.rank).contains(where: { (others?[$0] ?? 0) != 0 }) {
                // mpirun ends the job at the first non-zero exit: give the reporting rank the time to say why.
                Thread.sleep(forTimeInterval: 1)
            } else {
                job.logger.error("\(error)")
            }
            try? environment.finalize()
            return error is any InputError ? 2 : 1
        }
        var hosts: RankHosts?
        let status: Int32
        do {
            // Every rank says whether its setup worked (point to point, so that a rank that never
            // gets here is named when the wait runs out).
            let failures = try job.exchange(Array(repeating: 0, count: job.ranks), phase: "agreeing that setup worked",
                                            timeoutSeconds: job.setupTimeoutSeconds)
            if failures.contains(where: { $0 != 0 }) {
                Thread.sleep(forTimeInterval: 1)
                try? environment.finalize()
                return 2
            }
            hosts = try RankHosts.exchange(job)
            job.enter("run")
            try session.run()
            job.enter("end")
            status = try session.end()
        } catch {
            job.logger.error("\(hosts?.describe(error, rank: job.rank) ?? "\(error)")")
            environment.abort(code: error is ProtocolError ? 2 : 1)
        }
        do {
            try environment.finalize()
        } catch {
            job.logger.error("\(error)")
            return 1
        }
        return status
    }
}
