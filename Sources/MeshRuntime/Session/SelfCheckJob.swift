import MeshMPI

/// `expertmesh mpi-check` as a ``RankJob``: MeshMPI's self-check across every rank of the job,
/// with a point-to-point agreement before each of its stages, so that a rank that stops is named.
public enum SelfCheckJob {
    /// Runs the check on this rank and returns the process exit status: 0 when it passed.
    ///
    /// - Parameters:
    ///   - timeoutSeconds: The longest wait for a peer, in seconds.
    ///   - fault: A stall or kill to act out before the first stage, for tests.
    ///   - output: Where rank 0 writes the summary line (standard output from the CLI).
    public static func main(timeoutSeconds: Double, fault: Fault? = nil, output: @escaping (String) -> Void) -> Int32 {
        RankJob(command: "mpi-check", timeoutSeconds: timeoutSeconds, fault: fault).run { job in
            SelfCheckSession(job: job, output: output)
        }
    }
}

/// One rank's part of the self-check.
final class SelfCheckSession: RankSession {
    let job: JobContext
    let output: (String) -> Void
    private var summary = ""

    init(job: JobContext, output: @escaping (String) -> Void) {
        self.job = job
        self.output = output
    }

    func run() throws {
        // A wait that runs out inside a stage (after its agreement) is named as the check's too.
        summary = try job.bounded("an mpi-check stage") { world, limit in
            try MPISelfCheck.run(on: world, timeoutSeconds: limit) { stage in
                try job.agree("the mpi-check stage \(stage)")
            }
        }
    }

    func end() throws -> Int32 {
        if job.rank == 0 { output("mpi-check: \(summary)") }
        return 0
    }
}
