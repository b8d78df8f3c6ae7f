import MeshCore
import MeshIO
import MeshModel
import MeshTensor

/// A worker's arithmetic for one MoE layer: received records in, one combined row per record out.
///
/// Groups the (record, weight) pairs by local expert, gathers each expert's rows into one batch
/// (decoding the wire format on the way), runs the expert as one SwiGLU of three GEMMs with the
/// router weights applied per row, and adds each expert's rows into the record's output in
/// local-expert order. Kept free of MPI so that `expertmesh bench` can time it against raw GEMMs.
final class ExpertCompute {
    let dispatchLayout: DispatchRecordLayout
    let combineLayout: CombineRecordLayout
    /// Check and group the records but compute nothing (the exchange benchmark, which measures
    /// moving the bytes; the grouping, decoding and GEMMs are measured against raw GEMMs apart).
    var skipExperts = false
    /// Round-trip error of the combine wire format, while active.
    var combineError = WireErrorMeter()

    private var gathered: [Float] = []
    private var expertOut: [Float] = []
    private var scratch: [Float] = []
    private var scales: [Float] = []
    private var accumulator: [Float] = []
    private var meterScratch: [Float] = []
    private var groups: [[(record: Int, weight: Float)]] = []

    init(dispatchLayout: DispatchRecordLayout, combineLayout: CombineRecordLayout) {
        self.dispatchLayout = dispatchLayout
        self.combineLayout = combineLayout
    }

    /// Where a record came from, for error messages.
    struct Origin {
        var rank: Int
        var layer: Int
        /// Records per source rank, in rank order.
        var recordsPerSource: [Int]
    }

    /// Runs `experts` (this worker's, in local order) over the records in `received`.
    ///
    /// - Returns: rows run through each local expert.
    /// - Throws: ``ProtocolError`` for a record naming an expert not held here, a non-finite weight,
    ///   or no expert at all.
    @discardableResult
    func run(experts: [MLPWeights], received: UnsafeRawBufferPointer, origin: Origin,
             into send: UnsafeMutableRawBufferPointer) throws -> [Int] {
        let hidden = dispatchLayout.hidden
        let records = origin.recordsPerSource.reduce(0, +)
        try group(received, experts: experts.count, origin: origin)
        if skipExperts { return groups.map(\.count) }
        // The weighted sum per record: straight into the send buffer for fp32.
        let direct = combineLayout.dtype == .fp32
        if !direct { grow(&accumulator, records * hidden) }
        func withAccumulator(_ body: (UnsafeMutablePointer<Float>) -> Void) {
            if direct {
                body(send.baseAddress!.bindMemory(to: Float.self, capacity: records * hidden))
            } else {
                accumulator.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
            }
        }
        withAccumulator { $0.update(repeating: 0, count: records * hidden) }
        var rows = Array(repeating: 0, count: experts.count)
        for (local, group) in groups.enumerated() where !group.isEmpty {
            let n = group.count
            rows[local] = n
            let expert = experts[local]
            grow(&gathered, n * hidden)
            grow(&expertOut, n * hidden)
            grow(&scratch, 2 * n * expert.width)
            grow(&scales, n)
            gathered.withUnsafeMutableBufferPointer { batch in
                for (i, entry) in group.enumerated() {
                    decodeRow(received, record: entry.record,
                              into: UnsafeMutableBufferPointer(rebasing: batch[(i * hidden)..<((i + 1) * hidden)]))
                    scales[i] = entry.weight
                }
            }
            runExpert(expert, rows: n)
            expertOut.withUnsafeBufferPointer { out in
                withAccumulator { acc in
                    for (i, entry) in group.enumerated() {
                        let target = acc + entry.record * hidden
                        for c in 0..<hidden { target[c] += out[i * hidden + c] }
                    }
                }
            }
        }
        if !direct { encodeCombine(records: records, into: send) }
        return rows
    }

    /// Sorts every valid slot of every record into `groups[local expert]`, in record order.
    private func group(_ received: UnsafeRawBufferPointer, experts: Int, origin: Origin) throws {
        let layout = dispatchLayout
        if groups.count != experts { groups = Array(repeating: [], count: experts) }
        for i in groups.indices { groups[i].removeAll(keepingCapacity: true) }
        var record = 0
        for (source, count) in origin.recordsPerSource.enumerated() {
            for _ in 0..<count {
                let base = record * layout.recordBytes
                var used = 0
                for j in 0..<layout.k {
                    let local = received.loadUnaligned(fromByteOffset: base + layout.expertsOffset + 4 * j, as: Int32.self)
                    if local == -1 { continue }
                    let weight = received.loadUnaligned(fromByteOffset: base + layout.weightsOffset + 4 * j, as: Float.self)
                    guard local >= 0, Int(local) < experts else {
                        throw ProtocolError(rank: origin.rank, sender: source, layer: origin.layer,
                                            field: "record \(record) slot \(j) expert",
                                            detail: "local expert \(local) is not held here (this worker holds \(experts) in layer \(origin.layer))")
                    }
                    guard weight.isFinite else {
                        throw ProtocolError(rank: origin.rank, sender: source, layer: origin.layer,
                                            field: "record \(record) slot \(j) weight", detail: "not finite: \(weight)")
                    }
                    groups[Int(local)].append((record, weight))
                    used += 1
                }
                guard used > 0 else {
                    throw ProtocolError(rank: origin.rank, sender: source, layer: origin.layer,
                                        field: "record \(record)", detail: "names no expert")
                }
                record += 1
            }
        }
    }

    /// `expertOut[0..<n] = scales ⊙ SwiGLU(gathered[0..<n])`: three GEMMs.
    private func runExpert(_ expert: MLPWeights, rows n: Int) {
        let hidden = dispatchLayout.hidden
        gathered.withUnsafeBufferPointer { x in
            scales.withUnsafeBufferPointer { s in
                scratch.withUnsafeMutableBufferPointer { tmp in
                    expertOut.withUnsafeMutableBufferPointer { out in
                        expert.gate.scalars.withUnsafeBufferPointer { g in
                            expert.up.scalars.withUnsafeBufferPointer { u in
                                expert.down.scalars.withUnsafeBufferPointer { d in
                                    swiglu(x, rows: n, hidden: hidden, gate: g, up: u, down: d, ffn: expert.width,
                                           rowScales: UnsafeBufferPointer(rebasing: s[0..<n]), scratch: tmp, into: out)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Decodes the row of `record` from the wire format into `row`.
    private func decodeRow(_ received: UnsafeRawBufferPointer, record: Int, into row: UnsafeMutableBufferPointer<Float>) {
        let layout = dispatchLayout
        let base = record * layout.recordBytes
        let bytes = UnsafeRawBufferPointer(rebasing: received[(base + layout.rowOffset)..<(base + layout.rowOffset + layout.rowBytes)])
        switch layout.dtype {
        case .fp32:
            UnsafeMutableRawBufferPointer(row).copyMemory(from: bytes)
        case .bf16:
            ReducedFloatFormat.bfloat16.decode(bytes, into: row)
        case .fp8:
            ReducedFloatFormat.float8E4M3.decode(bytes, into: row)
            let scale = received.loadUnaligned(fromByteOffset: base + layout.scaleOffset, as: Float.self)
            for c in 0..<row.count { row[c] *= scale }
        }
    }

    /// Encodes the fp32 accumulator into bf16 combine records.
    private func encodeCombine(records: Int, into send: UnsafeMutableRawBufferPointer) {
        let hidden = dispatchLayout.hidden, bytes = combineLayout.recordBytes
        accumulator.withUnsafeBufferPointer { acc in
            for r in 0..<records {
                let row = UnsafeBufferPointer(rebasing: acc[(r * hidden)..<((r + 1) * hidden)])
                let target = UnsafeMutableRawBufferPointer(rebasing: send[(r * bytes)..<(r * bytes + hidden * 2)])
                ReducedFloatFormat.bfloat16.encode(row, into: target)
                combineError.record(original: row, encoded: UnsafeRawBufferPointer(target), format: .bfloat16,
                                    scratch: &meterScratch)
            }
        }
    }
}

/// Makes `buffer` hold at least `count` elements.
@inline(__always)
func grow(_ buffer: inout [Float], _ count: Int) {
    if buffer.count < count { buffer = [Float](repeating: 0, count: max(count, buffer.count * 3 / 2)) }
}
