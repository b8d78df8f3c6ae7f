import MeshCore
import MeshMPI

/// How the roles move one MoE layer's bytes: the token counts every rank announces, then the
/// dispatch and combine records.
///
/// The roles write records into ``dispatch`` and ``combine`` (``Channel/fill(_:_:)``) and read
/// what arrived; a transport moves them. ``MPITransport`` is the real one; ``FaultInjectingTransport``
/// wraps it to act out a test's fault, so that no role carries test code.
protocol Transport: AnyObject {
    var dispatch: Channel { get }
    var combine: Channel { get }
    /// Sends every rank `counts[r]`, this rank's token count for it in MoE layer `layer`, and
    /// returns what every rank announced here.
    func announce(_ counts: [Int32], layer: Int) throws -> [Int32]
    /// Moves the dispatch records written to ``dispatch`` as `traffic` says.
    func exchangeDispatch(_ traffic: LayerTraffic, layer: Int) throws
    /// Moves the combine records written to ``combine`` as `traffic` says, running `overlap`
    /// while they are in flight.
    func exchangeCombine(_ traffic: LayerTraffic, layer: Int, overlap: () throws -> Void) throws
}

/// The transport of a run: counts point to point, records through `MPI_Ialltoallv`, every wait
/// bounded by the step timeout.
final class MPITransport: Transport {
    let counts: CountsExchange
    let dispatch: Channel
    let combine: Channel
    let timeoutSeconds: Double

    init(communicator: Communicator, timeoutSeconds: Double) {
        counts = CountsExchange(communicator: communicator)
        dispatch = Channel(communicator: communicator, name: "dispatch")
        combine = Channel(communicator: communicator, name: "combine")
        self.timeoutSeconds = timeoutSeconds
    }

    func announce(_ values: [Int32], layer: Int) throws -> [Int32] {
        try counts.exchange(values, timeoutSeconds: timeoutSeconds, phase: "the dispatch counts of layer \(layer)")
    }

    func exchangeDispatch(_ traffic: LayerTraffic, layer: Int) throws {
        try dispatch.exchange(send: traffic.dispatchSend, receive: traffic.dispatchReceive, timeoutSeconds: timeoutSeconds,
                              phase: "the dispatch of layer \(layer)")
    }

    func exchangeCombine(_ traffic: LayerTraffic, layer: Int, overlap: () throws -> Void) throws {
        try combine.exchange(send: traffic.combineSend, receive: traffic.combineReceive, timeoutSeconds: timeoutSeconds,
                             phase: "the combine of layer \(layer)", overlap: overlap)
    }
}
