import MeshCore

/// A transport that acts out one injected ``Fault`` at the first MoE layer of the first step,
/// then behaves like the transport it wraps.
///
/// A stall or a kill strikes its rank when that rank announces its first counts; a corruption
/// rewrites the first record the coordinator dispatches to the named worker rank so that it
/// names local expert 9999, which no worker holds.
final class FaultInjectingTransport: Transport {
    let inner: any Transport
    let rank: Int
    let codec: RecordCodec
    private var fault: Fault?

    init(wrapping inner: any Transport, fault: Fault, rank: Int, codec: RecordCodec) {
        self.inner = inner
        self.fault = fault
        self.rank = rank
        self.codec = codec
    }

    var dispatch: Channel { inner.dispatch }
    var combine: Channel { inner.combine }

    func announce(_ counts: [Int32], layer: Int) throws -> [Int32] {
        fault?.strike(rank: rank)
        return try inner.announce(counts, layer: layer)
    }

    func exchangeDispatch(_ traffic: LayerTraffic, layer: Int) throws {
        if case .corrupt(let target) = fault, target < traffic.dispatchSend.counts.count,
           traffic.dispatchSend.counts[target] > 0 {
            let offset = traffic.dispatchSend.offsets[target] + codec.dispatch.expertsOffset
            inner.dispatch.fill(traffic.dispatchSend.total) { $0.storeBytes(of: Int32(9999), toByteOffset: offset, as: Int32.self) }
        }
        fault = nil
        try inner.exchangeDispatch(traffic, layer: layer)
    }

    func exchangeCombine(_ traffic: LayerTraffic, layer: Int, overlap: () throws -> Void) throws {
        fault = nil
        try inner.exchangeCombine(traffic, layer: layer, overlap: overlap)
    }
}
