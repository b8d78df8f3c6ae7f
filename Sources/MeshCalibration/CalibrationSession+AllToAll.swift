import MeshMPI
import MeshRuntime

extension CalibrationSession {
    /// All-to-all latency and bandwidth by message size, as `osu_alltoallv` measures them.
    ///
    /// For each size, every rank sends a block of that many bytes to every rank (itself included)
    /// with `MPI_Alltoallv` over `MPI_BYTE`; each call is timed alone, with a barrier between
    /// calls so that no rank starts the next one early, and the warm-up calls are discarded. Each
    /// rank's mean time per call is reduced to the min, mean and max over ranks (allreduce). The
    /// blocks carry their sender's number, checked once per size.
    ///
    /// The timed call stays the blocking `MPI_Alltoallv`, as `osu_alltoallv` times it: a timed
    /// wait around it would change what is measured. Every call is preceded by a barrier bounded
    /// by the step timeout, so a rank that stopped between calls is caught there, and runs under
    /// the job's watchdog (``MeshRuntime/JobContext/blocking(_:_:)``), armed outside the timed
    /// window, which ends the job when a call outlasts the step timeout.
    ///
    /// - Returns: One point per size of ``CalibrationPlan/allToAllSizes(maxBytes:)``, on every rank.
    func measureAllToAll() throws -> [AllToAllPoint] {
        let sizes = CalibrationPlan.allToAllSizes(maxBytes: request.maxBytesPerPeer)
        let largest = sizes.last ?? 1
        say(CalibrationReport.allToAllHeader(ranks: ranks, maxBytes: largest, iterations: request.iterations))
        // Block i of the send buffer goes to rank i; every block holds this rank's mark.
        let mark = { (rank: Int) in UInt8(truncatingIfNeeded: rank + 1) }
        let send = [UInt8](repeating: mark(rank), count: largest * ranks)
        var receive = [UInt8](repeating: 0, count: largest * ranks)
        var points: [AllToAllPoint] = []
        try job.agree("the all-to-all measurement")
        try send.withUnsafeBytes { send in
            try receive.withUnsafeMutableBytes { receive in
                for size in sizes {
                    let (warmup, timed) = CalibrationPlan.allToAllIterations(bytesPerPeer: size, iterations: request.iterations)
                    let counts = [Int32](repeating: Int32(size), count: ranks)
                    let offsets = (0..<ranks).map { Int32($0 * size) }
                    _ = receive.initializeMemory(as: UInt8.self, repeating: 0)
                    try barrier()
                    var seconds = 0.0
                    for iteration in 0..<(warmup + timed) {
                        let (start, end) = try job.blocking("the all-to-all measurement (MPI_Alltoallv of \(size) B per peer)") {
                            let start = monotonicSeconds()
                            try world.alltoallv(sending: send, sendCounts: counts, sendDisplacements: offsets,
                                                receivingInto: receive, recvCounts: counts, recvDisplacements: offsets)
                            return (start, monotonicSeconds())
                        }
                        if iteration >= warmup { seconds += end - start }
                        try barrier()
                    }
                    for source in 0..<ranks where receive[source * size] != mark(source) || receive[source * size + size - 1] != mark(source) {
                        throw CalibrationFailure("all-to-all of \(size) B per peer: the block from rank \(source) arrived wrong on rank \(rank)")
                    }
                    let mean = seconds / Double(timed)
                    let point = AllToAllPoint(
                        bytesPerPeer: size, ranks: ranks, iterations: timed,
                        minSeconds: try allreduce(mean, op: .min),
                        averageSeconds: try allreduce(mean, op: .sum) / Double(ranks),
                        maxSeconds: try allreduce(mean, op: .max))
                    points.append(point)
                    say(CalibrationReport.row(point))
                }
            }
        }
        return points
    }
}

/// A measurement that went wrong (data that arrived corrupted, a figure that cannot be), as
/// opposed to bad input.
struct CalibrationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
