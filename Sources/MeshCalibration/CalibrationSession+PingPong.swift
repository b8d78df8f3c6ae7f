import MeshMPI
import MeshRuntime

extension CalibrationSession {
    /// Point-to-point latency between ranks 0 and 1, as `osu_latency` measures it: rank 0 sends,
    /// rank 1 sends the message back, and half the mean round trip is the one-way latency. Warm-up
    /// round trips are discarded. The other ranks wait in a barrier meanwhile (see ``aloneTimeoutSeconds``).
    ///
    /// Messages go through `isend`/`irecv` with a timed wait, which polls MPI and yields the core
    /// between polls, as the runtime's own waits do.
    ///
    /// - Returns: One point per size of ``CalibrationPlan/pingPongSizes``, on rank 0; empty elsewhere.
    func measurePingPong() throws -> [PingPongPoint] {
        let (warmup, timed) = CalibrationPlan.pingPongIterations(iterations: request.iterations)
        say(CalibrationReport.pingPongHeader(warmup: warmup, timed: timed))
        var points: [PingPongPoint] = []
        try job.agree("the ping-pong")
        if rank < 2 {
            let peer = 1 - rank
            try job.bounded("the ping-pong") { world, timeout in
                for (index, size) in CalibrationPlan.pingPongSizes.enumerated() {
                    var buffer = MPIBuffer<UInt8>(repeating: UInt8(truncatingIfNeeded: index), count: size)
                    var start = monotonicSeconds()
                    for iteration in 0..<(warmup + timed) {
                        if iteration == warmup { start = monotonicSeconds() }
                        if rank == 0 {
                            buffer = try world.isend(buffer, to: peer, tag: index).wait(timeoutSeconds: timeout)
                            try receive(size, from: peer, tag: index)
                        } else {
                            try receive(size, from: peer, tag: index)
                            buffer = try world.isend(buffer, to: peer, tag: index).wait(timeoutSeconds: timeout)
                        }
                    }
                    let point = PingPongPoint(bytes: size, iterations: timed,
                                              halfRoundTripSeconds: (monotonicSeconds() - start) / Double(2 * timed))
                    points.append(point)
                    say(CalibrationReport.row(point))
                }
            }
        }
        // Ranks 0 and 1 work meanwhile, as long as --iterations makes them: as for rank 0 alone.
        try job.barrier("waiting for ranks 0 and 1 in the ping-pong", timeoutSeconds: max(job.timeoutSeconds, Self.aloneTimeoutSeconds))
        return rank == 0 ? points : []
    }

    /// Receives one message of `size` bytes within the timeout.
    ///
    /// Into a new buffer each time: a received buffer cannot be taken back out of MeshMPI's
    /// `MPIReceived` outside that module. Allocating a few KiB costs well under a microsecond.
    private func receive(_ size: Int, from peer: Int, tag: Int) throws {
        let received = try world.irecv(UInt8.self, count: size, from: peer, tag: tag).wait(timeoutSeconds: job.timeoutSeconds)
        guard received.status.count == size else {
            throw CalibrationFailure("ping-pong: rank \(rank) received \(received.status.count) B from rank \(peer), expected \(size)")
        }
    }
}
