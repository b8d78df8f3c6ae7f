import MeshCore
import MeshIO
import MeshTensor

/// A coordinator's side of the records: packing dispatched tokens and adding combined rows back.
final class DispatchPacker {
    let dispatchLayout: DispatchRecordLayout
    let combineLayout: CombineRecordLayout
    /// Round-trip error of the dispatch wire format, while active.
    var dispatchError = WireErrorMeter()
    private var scaled: [Float] = []
    private var decoded: [Float] = []
    private var meterScratch: [Float] = []

    init(dispatchLayout: DispatchRecordLayout, combineLayout: CombineRecordLayout) {
        self.dispatchLayout = dispatchLayout
        self.combineLayout = combineLayout
    }

    /// Writes one record per (token, worker) of `plan`: expert ids, weights, (scale,) the row.
    ///
    /// - Parameter offsets: the byte offset of each worker's region in `send`, by worker index.
    func pack(_ plan: DispatchPlan, rows: UnsafeBufferPointer<Float>, into send: UnsafeMutableRawBufferPointer,
              workerOffsets offsets: [Int]) {
        let layout = dispatchLayout, hidden = layout.hidden, k = layout.k
        grow(&scaled, hidden)
        for (w, tokens) in plan.tokens.enumerated() {
            var base = offsets[w]
            plan.localExperts[w].withUnsafeBufferPointer { ids in
                plan.weights[w].withUnsafeBufferPointer { weights in
                    for (i, token) in tokens.enumerated() {
                        for j in 0..<k {
                            send.storeBytes(of: ids[i * k + j], toByteOffset: base + layout.expertsOffset + 4 * j, as: Int32.self)
                            send.storeBytes(of: weights[i * k + j], toByteOffset: base + layout.weightsOffset + 4 * j, as: Float.self)
                        }
                        let row = UnsafeBufferPointer(rebasing: rows[(Int(token) * hidden)..<((Int(token) + 1) * hidden)])
                        let target = UnsafeMutableRawBufferPointer(
                            rebasing: send[(base + layout.rowOffset)..<(base + layout.rowOffset + layout.rowBytes)])
                        encode(row, into: target, scaleOffset: base + layout.scaleOffset, send: send)
                        base += layout.recordBytes
                    }
                }
            }
        }
    }

    private func encode(_ row: UnsafeBufferPointer<Float>, into target: UnsafeMutableRawBufferPointer, scaleOffset: Int,
                        send: UnsafeMutableRawBufferPointer) {
        switch dispatchLayout.dtype {
        case .fp32:
            target.copyMemory(from: UnsafeRawBufferPointer(row))
        case .bf16:
            ReducedFloatFormat.bfloat16.encode(row, into: target)
            dispatchError.record(original: row, encoded: UnsafeRawBufferPointer(target), format: .bfloat16,
                                 scratch: &meterScratch)
        case .fp8:
            // One scale per token row, so that its largest value maps to E4M3's largest (448).
            let amax = row.reduce(0) { max($0, abs($1)) }
            let scale = amax > 0 ? amax / Float8E4M3.greatestFiniteMagnitude : 1
            send.storeBytes(of: scale, toByteOffset: scaleOffset, as: Float.self)
            scaled.withUnsafeMutableBufferPointer { buffer in
                for c in 0..<row.count { buffer[c] = row[c] / scale }
                ReducedFloatFormat.float8E4M3.encode(UnsafeBufferPointer(rebasing: buffer[0..<row.count]), into: target)
            }
            dispatchError.record(original: row, encoded: UnsafeRawBufferPointer(target), format: .float8E4M3,
                                 scale: scale, scratch: &meterScratch)
        }
    }

    /// Adds the combined rows to `out` (`[tokens, hidden]`), worker by worker in index order, token
    /// by token: a fixed order, so a run is bitwise repeatable.
    ///
    /// - Parameter offsets: the byte offset of each worker's region in `received`, by worker index.
    func accumulate(_ plan: DispatchPlan, received: UnsafeRawBufferPointer, workerOffsets offsets: [Int],
                    into out: UnsafeMutableBufferPointer<Float>) {
        let hidden = dispatchLayout.hidden
        grow(&decoded, hidden)
        decoded.withUnsafeMutableBufferPointer { decoded in
            for (w, tokens) in plan.tokens.enumerated() {
                var base = offsets[w]
                for token in tokens {
                    let row = out.baseAddress! + Int(token) * hidden
                    switch combineLayout.dtype {
                    case .fp32:
                        // Records are 4-byte aligned (their layout pads them), so the row can be read as Floats.
                        (received.baseAddress! + base).withMemoryRebound(to: Float.self, capacity: hidden) { source in
                            for c in 0..<hidden { row[c] += source[c] }
                        }
                    default:
                        ReducedFloatFormat.bfloat16.decode(
                            UnsafeRawBufferPointer(rebasing: received[base..<(base + hidden * 2)]),
                            into: UnsafeMutableBufferPointer(rebasing: decoded[0..<hidden]))
                        for c in 0..<hidden { row[c] += decoded[c] }
                    }
                    base += combineLayout.recordBytes
                }
            }
        }
    }
}
