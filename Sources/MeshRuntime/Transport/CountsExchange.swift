import MeshMPI

/// Small integer messages between every pair of ranks, point to point, so that a wait that runs
/// out of time can name the exact peer it was waiting on.
///
/// Used for the per-layer token counts (which go first, before the rows) and for the per-step
/// control word.
struct CountsExchange {
    let communicator: Communicator
    static let tag = 7

    /// Sends `values[r]` to every other rank `r` and returns what each sent here (`values[self]`
    /// for this rank).
    ///
    /// - Throws: ``PeerTimeout`` naming the first peer whose value did not arrive in time.
    func exchange(_ values: [Int32], timeoutSeconds: Double, phase: String) throws -> [Int32] {
        let me = communicator.rank, size = communicator.size
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        func remaining() -> Double { max(0.001, (deadline - ContinuousClock.now).secondsValue) }
        var received = values
        // Requests are ~Copyable, so each lives in a box of its own.
        var receives: [(peer: Int, box: Pending<MPIReceiveRequest<Int32>>)] = []
        for peer in 0..<size where peer != me {
            receives.append((peer, Pending(try communicator.irecv(into: MPIBuffer<Int32>(count: 1), from: peer, tag: Self.tag))))
        }
        var sends: [Pending<MPISendRequest<Int32>>] = []
        for peer in 0..<size where peer != me {
            sends.append(Pending(try communicator.isend(MPIBuffer<Int32>([values[peer]]), to: peer, tag: Self.tag)))
        }
        for (peer, box) in receives {
            do {
                let result = try box.take().wait(timeoutSeconds: remaining())
                received[peer] = result.buffer[0]
            } catch is MPITimeoutError {
                throw PeerTimeout(rank: me, peer: peer, phase: phase, timeoutSeconds: timeoutSeconds)
            }
        }
        for box in sends {
            do {
                _ = try box.take().wait(timeoutSeconds: remaining())
            } catch is MPITimeoutError {
                throw PeerTimeout(rank: me, peer: nil, phase: phase + " (sending counts)", timeoutSeconds: timeoutSeconds)
            }
        }
        return received
    }
}
