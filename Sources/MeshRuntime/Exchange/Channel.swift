import MeshMPI

/// One direction of token traffic (dispatch or combine): a pair of byte buffers that are reused
/// from layer to layer and grow when a layer needs more.
///
/// Every exchange is an `MPI_Ialltoallv` over bytes waited on with a deadline, so that a peer that
/// never arrives is reported instead of hanging the job.
final class Channel {
    let communicator: Communicator
    let name: String
    private var send: MPIBuffer<UInt8>?
    private var receive: MPIBuffer<UInt8>?
    /// Bytes currently valid in the receive buffer, per source rank: (offset, count).
    private(set) var lastReceived: [(offset: Int, count: Int)] = []
    /// Links to emulate, if any.
    var emulator: LinkEmulator?
    /// Seconds the last exchange waited out for the emulated links.
    private(set) var lastEmulatedWait = 0.0

    init(communicator: Communicator, name: String) {
        self.communicator = communicator
        self.name = name
        send = MPIBuffer(count: 4096)
        receive = MPIBuffer(count: 4096)
    }

    /// Sends `sendCounts[r]` bytes to each rank `r` and receives `recvCounts[r]` from each.
    ///
    /// - Parameters:
    ///   - pack: fills the send buffer; it is given the buffer and each rank's byte offset.
    ///   - overlap: work to do while the exchange is in flight.
    /// - Throws: `MPITimeoutError` when the exchange has not completed within `timeoutSeconds`.
    func exchange(sendCounts: [Int], recvCounts: [Int], timeoutSeconds: Double, phase: String,
                  pack: (UnsafeMutableRawBufferPointer, [Int]) throws -> Void,
                  overlap: () throws -> Void = {}) throws {
        let sendOffsets = Self.offsets(sendCounts), recvOffsets = Self.offsets(recvCounts)
        let sendTotal = sendCounts.reduce(0, +), recvTotal = recvCounts.reduce(0, +)
        var sendBuffer = Self.ensure(send.take()!, capacity: sendTotal)
        var receiveBuffer = Self.ensure(receive.take()!, capacity: recvTotal)
        do {
            try sendBuffer.withUnsafeMutableBytes { try pack($0, sendOffsets) }
        } catch {
            send = consume sendBuffer
            receive = consume receiveBuffer
            throw error
        }
        // Emulated links: the sends leave once they would have crossed the link.
        let started = monotonicSeconds()
        var emulatedWait = 0.0
        if let emulator {
            emulatedWait += emulator.wait(until: started + emulator.seconds(rank: communicator.rank, bytes: sendCounts))
        }
        let request = try communicator.ialltoallv(
            sending: sendBuffer, sendCounts: sendCounts.map(Int32.init), sendDisplacements: sendOffsets.map(Int32.init),
            receivingInto: receiveBuffer, recvCounts: recvCounts.map(Int32.init),
            recvDisplacements: recvOffsets.map(Int32.init))
        try overlap()
        let exchanged: MPIExchange<UInt8>
        do {
            exchanged = try request.wait(timeoutSeconds: timeoutSeconds)
        } catch is MPITimeoutError {
            // A collective cannot say which rank is missing; the ranks this one exchanges data with
            // are the suspects (the counts that came first proved they were alive until then).
            let me = communicator.rank
            let suspects = (0..<communicator.size).filter { $0 != me && (sendCounts[$0] > 0 || recvCounts[$0] > 0) }
            throw PeerTimeout(rank: me, peer: nil, phase: "\(phase) (MPI_Ialltoallv of the \(name) rows)",
                              timeoutSeconds: timeoutSeconds, suspects: suspects)
        }
        send = .some(exchanged.sent)
        receive = .some(exchanged.received)
        lastReceived = zip(recvOffsets, recvCounts).map { ($0, $1) }
        if let emulator {
            emulatedWait += emulator.wait(until: started + emulator.seconds(rank: communicator.rank, bytes: recvCounts))
        }
        lastEmulatedWait = emulatedWait
    }

    /// Reads what the last exchange received.
    func withReceived<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try receive!.withUnsafeBytes { try body($0) }
    }

    static func offsets(_ counts: [Int]) -> [Int] {
        var running = 0
        return counts.map { count in
            defer { running += count }
            return running
        }
    }

    /// `buffer` if it holds `capacity` bytes, else a new one 1.5× as large as needed.
    private static func ensure(_ buffer: consuming MPIBuffer<UInt8>, capacity: Int) -> MPIBuffer<UInt8> {
        if buffer.count >= capacity { return buffer }
        return MPIBuffer(count: capacity + capacity / 2)
    }
}

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

/// Holds one ~Copyable request so that several can be kept in an array.
final class Pending<Request: ~Copyable> {
    private var request: Request?

    init(_ request: consuming Request) { self.request = .some(request) }

    func take() -> Request { request.take()! }
}

/// An exchange that did not complete within the step timeout.
public struct PeerTimeout: Error, CustomStringConvertible {
    public var rank: Int
    /// The peer whose data never came, when known.
    public var peer: Int?
    public var phase: String
    public var timeoutSeconds: Double
    /// The ranks one of which must be missing, when the exact one cannot be known.
    public var suspects: [Int] = []

    public var description: String {
        let from = peer.map { "rank \($0)" }
            ?? (suspects.isEmpty ? "its peers" : "one of ranks \(suspects.map(String.init).joined(separator: ", "))")
        return "rank \(rank): timed out after \(timeoutSeconds) s waiting for \(from) in \(phase)"
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var secondsValue: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
