import MeshCore
import MeshMPI

/// One direction of token traffic (dispatch or combine): a send and a receive buffer of bytes
/// that are reused from layer to layer and grow when a layer needs more.
///
/// A layer uses it in the order it runs: ``fill(_:_:)`` writes the send buffer, ``exchange(send:receive:timeoutSeconds:phase:overlap:)``
/// moves it with one `MPI_Ialltoallv` waited on with a deadline (so that a peer that never
/// arrives is reported instead of hanging the job), and ``withReceived(_:)`` reads what came.
final class Channel {
    let communicator: Communicator
    let name: String
    private var send: MPIBuffer<UInt8>?
    private var receive: MPIBuffer<UInt8>?
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

    /// Makes the send buffer hold `bytes` and lets `body` write it.
    func fill<R>(_ bytes: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        var buffer = Self.ensure(send.take()!, capacity: bytes)
        do {
            let result = try buffer.withUnsafeMutableBytes { try body($0) }
            send = consume buffer
            return result
        } catch {
            send = consume buffer
            throw error
        }
    }

    /// Sends the `send` regions of the send buffer to every rank and receives the `receive`
    /// regions from every rank.
    ///
    /// - Parameter overlap: work to do while the exchange is in flight.
    /// - Throws: ``PeerTimeout`` when the exchange has not completed within `timeoutSeconds`.
    func exchange(send sendRegions: ByteRegions, receive receiveRegions: ByteRegions, timeoutSeconds: Double,
                  phase: String, overlap: () throws -> Void = {}) throws {
        let counts = (send: try Communicator.counts32(sendRegions.counts), sendOffsets: try Communicator.counts32(sendRegions.offsets),
                      receive: try Communicator.counts32(receiveRegions.counts),
                      receiveOffsets: try Communicator.counts32(receiveRegions.offsets))
        let sendBuffer = Self.ensure(send.take()!, capacity: sendRegions.total)
        let receiveBuffer = Self.ensure(receive.take()!, capacity: receiveRegions.total)
        // Emulated links: the sends leave once they would have crossed the link.
        let started = monotonicSeconds()
        var emulatedWait = 0.0
        if let emulator {
            emulatedWait += emulator.wait(until: started + emulator.seconds(rank: communicator.rank, bytes: sendRegions.counts))
        }
        let request: MPIAlltoallvRequest<UInt8>
        do {
            request = try communicator.ialltoallv(
                sending: sendBuffer, sendCounts: counts.send, sendDisplacements: counts.sendOffsets,
                receivingInto: receiveBuffer, recvCounts: counts.receive, recvDisplacements: counts.receiveOffsets)
        } catch {
            send = MPIBuffer(count: 4096)
            receive = MPIBuffer(count: 4096)
            throw error
        }
        try overlap()
        let exchanged: MPIExchange<UInt8>
        do {
            exchanged = try request.wait(timeoutSeconds: timeoutSeconds)
        } catch is MPITimeoutError {
            // A collective cannot say which rank is missing; the ranks this one exchanges data with
            // are the suspects (the counts that came first proved they were alive until then).
            let me = communicator.rank
            let suspects = (0..<communicator.size).filter {
                $0 != me && (sendRegions.counts[$0] > 0 || receiveRegions.counts[$0] > 0)
            }
            throw PeerTimeout(rank: me, peer: nil, phase: "\(phase) (MPI_Ialltoallv of the \(name) rows)",
                              timeoutSeconds: timeoutSeconds, suspects: suspects)
        }
        send = .some(exchanged.sent)
        receive = .some(exchanged.received)
        if let emulator {
            emulatedWait += emulator.wait(until: started + emulator.seconds(rank: communicator.rank, bytes: receiveRegions.counts))
        }
        lastEmulatedWait = emulatedWait
    }

    /// Reads what the last exchange received (each rank's bytes at its receive region).
    func withReceived<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try receive!.withUnsafeBytes { try body($0) }
    }

    /// `buffer` if it holds `capacity` bytes, else a new one 1.5× as large as needed.
    private static func ensure(_ buffer: consuming MPIBuffer<UInt8>, capacity: Int) -> MPIBuffer<UInt8> {
        if buffer.count >= capacity { return buffer }
        return MPIBuffer(count: capacity + capacity / 2)
    }
}
