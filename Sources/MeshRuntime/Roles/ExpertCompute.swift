import MeshCore
import MeshModel
import MeshTensor

/// A worker's arithmetic for one MoE layer: received records in, one combined row per record out.
///
/// Groups the (record, weight) pairs by local expert, gathers each expert's rows into one batch
/// (decoding the wire format on the way), runs the expert as one SwiGLU of three GEMMs with the
/// router weights applied per row, and adds each expert's rows into the record's output in
/// local-expert order. Kept free of MPI so that `expertmesh bench` can time it against raw GEMMs.
final class ExpertCompute {
    let codec: RecordCodec
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
    private var decoded: [Float] = []
    private var groups: [[(record: Int, weight: Float)]] = []

    init(codec: RecordCodec) {
        self.codec = codec
        grow(&decoded, codec.hidden)
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
        let hidden = codec.hidden
        let records = origin.recordsPerSource.reduce(0, +)
        try group(received, experts: experts.count, origin: origin)
        if skipExperts { return groups.map(\.count) }
        // The weighted sum per record: straight into the send buffer for fp32.
        let direct = codec.combine.dtype.isLossless
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
                    codec.readDispatchRow(received, at: entry.record * codec.dispatch.recordBytes,
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
        if groups.count != experts { groups = Array(repeating: [], count: experts) }
        for i in groups.indices { groups[i].removeAll(keepingCapacity: true) }
        var record = 0
        for (source, count) in origin.recordsPerSource.enumerated() {
            for _ in 0..<count {
                do {
                    try codec.readSlots(received, at: record * codec.dispatch.recordBytes, heldExperts: experts,
                                        record: record, layer: origin.layer) { local, weight in
                        groups[local].append((record, weight))
                    }
                } catch {
                    throw ProtocolError(rank: origin.rank, sender: source, layer: origin.layer, error)
                }
                record += 1
            }
        }
    }

    /// `expertOut[0..<n] = scales ⊙ SwiGLU(gathered[0..<n])`: three GEMMs.
    private func runExpert(_ expert: MLPWeights, rows n: Int) {
        let hidden = codec.hidden
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

    /// Encodes the fp32 accumulator into combine records.
    private func encodeCombine(records: Int, into send: UnsafeMutableRawBufferPointer) {
        let hidden = codec.hidden, bytes = codec.combine.recordBytes
        accumulator.withUnsafeBufferPointer { acc in
            decoded.withUnsafeMutableBufferPointer { decoded in
                for r in 0..<records {
                    let row = UnsafeBufferPointer(rebasing: acc[(r * hidden)..<((r + 1) * hidden)])
                    codec.writeCombine(row, into: send, at: r * bytes)
                    if combineError.active {
                        codec.readCombine(UnsafeRawBufferPointer(send), at: r * bytes, into: decoded)
                        combineError.record(original: row, decoded: UnsafeBufferPointer(decoded))
                    }
                }
            }
        }
    }
}
