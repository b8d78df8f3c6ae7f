import MeshCore
import MeshTensor

/// A coordinator's side of the records: writing dispatched tokens and adding combined rows back.
final class DispatchPacker {
    let codec: RecordCodec
    /// Round-trip error of the dispatch wire format, while active (reduced formats only).
    var dispatchError = WireErrorMeter()
    private var scratch: [Float] = []
    private var decoded: [Float] = []

    init(codec: RecordCodec) {
        self.codec = codec
        grow(&scratch, codec.hidden)
        grow(&decoded, codec.hidden)
    }

    /// Writes one record per (token, worker) of `plan`: expert ids, weights, (scale,) the row.
    ///
    /// - Parameter offsets: where each worker's records start in `send`, by worker index.
    func pack(_ plan: DispatchPlan, rows: UnsafeBufferPointer<Float>, into send: UnsafeMutableRawBufferPointer,
              workerOffsets offsets: (Int) -> Int) {
        let hidden = codec.hidden, k = codec.dispatch.k, recordBytes = codec.dispatch.recordBytes
        let meter = dispatchError.active && !codec.dispatch.dtype.isLossless
        scratch.withUnsafeMutableBufferPointer { scratch in
            decoded.withUnsafeMutableBufferPointer { decoded in
                for (w, tokens) in plan.tokens.enumerated() {
                    plan.localExperts[w].withUnsafeBufferPointer { ids in
                        plan.weights[w].withUnsafeBufferPointer { weights in
                            for (i, token) in tokens.enumerated() {
                                let offset = offsets(w) + i * recordBytes
                                let row = UnsafeBufferPointer(rebasing: rows[(Int(token) * hidden)..<((Int(token) + 1) * hidden)])
                                codec.writeDispatch(experts: UnsafeBufferPointer(rebasing: ids[(i * k)..<((i + 1) * k)]),
                                                    weights: UnsafeBufferPointer(rebasing: weights[(i * k)..<((i + 1) * k)]),
                                                    row: row, into: send, at: offset, scratch: scratch)
                                if meter {
                                    codec.readDispatchRow(UnsafeRawBufferPointer(send), at: offset, into: decoded)
                                    dispatchError.record(original: row, decoded: UnsafeBufferPointer(decoded))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the combined rows to `out` (`[tokens, hidden]`), worker by worker in index order, token
    /// by token: a fixed order, so a run is bitwise repeatable.
    ///
    /// - Parameter offsets: where each worker's records start in `received`, by worker index.
    func accumulate(_ plan: DispatchPlan, received: UnsafeRawBufferPointer, workerOffsets offsets: (Int) -> Int,
                    into out: UnsafeMutableBufferPointer<Float>) {
        let hidden = codec.hidden, recordBytes = codec.combine.recordBytes
        scratch.withUnsafeMutableBufferPointer { scratch in
            for (w, tokens) in plan.tokens.enumerated() {
                for (i, token) in tokens.enumerated() {
                    codec.addCombine(received, at: offsets(w) + i * recordBytes, into: out.baseAddress! + Int(token) * hidden,
                                     scratch: scratch)
                }
            }
        }
    }
}
