import MeshIO

/// Encodes, decodes and checks the records of one MoE layer's exchange, for every wire format.
///
/// A dispatch record carries one token to one worker: its (local expert, router weight) slots
/// and its row (``DispatchRecordLayout``); a combine record carries the worker's weighted sum
/// for that token back (``CombineRecordLayout``). Both sides of the wire use this one codec, and
/// what each dtype means is said once, in ``WireDType``'s encoding.
///
/// Records sit back to back in a byte buffer at `offset`s that the ``LayerTraffic`` gives; the
/// codec never allocates: callers pass a scratch row of `hidden` floats where one is needed.
public struct RecordCodec: Sendable, Equatable {
    public let dispatch: DispatchRecordLayout
    public let combine: CombineRecordLayout

    public init(hidden: Int, k: Int, dispatch: WireDType, combine: WireDType) {
        self.dispatch = DispatchRecordLayout(hidden: hidden, k: k, dtype: dispatch)
        self.combine = CombineRecordLayout(hidden: hidden, dtype: combine)
    }

    public var hidden: Int { dispatch.hidden }

    // MARK: Dispatch records

    /// Writes one dispatch record at `offset`: `experts[j]` and `weights[j]` for the k slots
    /// (local expert -1 and weight 0 in unused ones), then `row` in the dispatch dtype.
    ///
    /// - Parameter scratch: at least `hidden` floats (used by scaled formats).
    public func writeDispatch(experts: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>,
                              row: UnsafeBufferPointer<Float>, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                              scratch: UnsafeMutableBufferPointer<Float>) {
        let layout = dispatch
        precondition(experts.count == layout.k && weights.count == layout.k && row.count == layout.hidden)
        for j in 0..<layout.k {
            buffer.storeBytes(of: experts[j], toByteOffset: offset + layout.expertsOffset + 4 * j, as: Int32.self)
            buffer.storeBytes(of: weights[j], toByteOffset: offset + layout.weightsOffset + 4 * j, as: Float.self)
        }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[(offset + layout.rowOffset)..<(offset + layout.rowOffset + layout.rowBytes)])
        let scale = Self.encode(row, as: layout.dtype, into: bytes, scratch: scratch)
        if layout.dtype.hasRowScale { buffer.storeBytes(of: scale, toByteOffset: offset + layout.scaleOffset, as: Float.self) }
    }

    /// Checks the slots of the dispatch record at `offset` and hands each used one to `body`
    /// as (local expert, router weight), in slot order.
    ///
    /// - Parameters:
    ///   - heldExperts: how many experts the receiving worker holds in this layer.
    ///   - record: the record's index among those received, and `layer`, for the error.
    /// - Throws: ``RecordError`` for a slot naming an expert not held, a non-finite weight, or a
    ///   record that names no expert at all.
    public func readSlots(_ buffer: UnsafeRawBufferPointer, at offset: Int, heldExperts: Int, record: Int, layer: Int,
                          _ body: (_ local: Int, _ weight: Float) -> Void) throws(RecordError) {
        let layout = dispatch
        var used = 0
        for j in 0..<layout.k {
            let local = buffer.loadUnaligned(fromByteOffset: offset + layout.expertsOffset + 4 * j, as: Int32.self)
            if local == -1 { continue }
            let weight = buffer.loadUnaligned(fromByteOffset: offset + layout.weightsOffset + 4 * j, as: Float.self)
            guard local >= 0, Int(local) < heldExperts else {
                throw RecordError(field: "record \(record) slot \(j) expert",
                                  detail: "local expert \(local) is not held here (this worker holds \(heldExperts) in layer \(layer))")
            }
            guard weight.isFinite else {
                throw RecordError(field: "record \(record) slot \(j) weight", detail: "not finite: \(weight)")
            }
            body(Int(local), weight)
            used += 1
        }
        guard used > 0 else { throw RecordError(field: "record \(record)", detail: "names no expert") }
    }

    /// Decodes the row of the dispatch record at `offset` into `row` (`hidden` floats).
    public func readDispatchRow(_ buffer: UnsafeRawBufferPointer, at offset: Int, into row: UnsafeMutableBufferPointer<Float>) {
        let layout = dispatch
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[(offset + layout.rowOffset)..<(offset + layout.rowOffset + layout.rowBytes)])
        let scale = layout.dtype.hasRowScale ? buffer.loadUnaligned(fromByteOffset: offset + layout.scaleOffset, as: Float.self) : 1
        Self.decode(bytes, as: layout.dtype, scale: scale, into: row)
    }

    // MARK: Combine records

    /// Writes `row` as the combine record at `offset`.
    public func writeCombine(_ row: UnsafeBufferPointer<Float>, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + combine.rowBytes)])
        _ = Self.encode(row, as: combine.dtype, into: bytes, scratch: UnsafeMutableBufferPointer(start: nil, count: 0))
    }

    /// Decodes the combine record at `offset` into `row` (`hidden` floats).
    public func readCombine(_ buffer: UnsafeRawBufferPointer, at offset: Int, into row: UnsafeMutableBufferPointer<Float>) {
        Self.decode(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + combine.rowBytes)]), as: combine.dtype,
                    scale: 1, into: row)
    }

    /// Adds the combine record at `offset` into `row` (`hidden` floats).
    ///
    /// - Parameter scratch: at least `hidden` floats, for reduced formats; fp32 rows are added
    ///   straight from the buffer (records are 4-byte aligned, their layout pads them).
    public func addCombine(_ buffer: UnsafeRawBufferPointer, at offset: Int, into row: UnsafeMutablePointer<Float>,
                           scratch: UnsafeMutableBufferPointer<Float>) {
        let hidden = combine.hidden
        if combine.dtype.encoding.format == nil {
            (buffer.baseAddress! + offset).withMemoryRebound(to: Float.self, capacity: hidden) { source in
                for c in 0..<hidden { row[c] += source[c] }
            }
        } else {
            let decoded = UnsafeMutableBufferPointer(rebasing: scratch[0..<hidden])
            readCombine(buffer, at: offset, into: decoded)
            for c in 0..<hidden { row[c] += decoded[c] }
        }
    }

    // MARK: Rows

    /// Encodes `row` into `bytes` as `dtype` and returns the scale that goes with it (1 unless
    /// the dtype scales rows: then its largest magnitude maps to the format's largest).
    static func encode(_ row: UnsafeBufferPointer<Float>, as dtype: WireDType, into bytes: UnsafeMutableRawBufferPointer,
                       scratch: UnsafeMutableBufferPointer<Float>) -> Float {
        let (format, scaledTo) = dtype.encoding
        guard let format else {
            bytes.copyMemory(from: UnsafeRawBufferPointer(row))
            return 1
        }
        guard let scaledTo else {
            format.encode(row, into: bytes)
            return 1
        }
        let amax = row.reduce(0) { max($0, abs($1)) }
        let scale = amax > 0 ? amax / scaledTo : 1
        for c in 0..<row.count { scratch[c] = row[c] / scale }
        format.encode(UnsafeBufferPointer(rebasing: scratch[0..<row.count]), into: bytes)
        return scale
    }

    /// Decodes `bytes` (`dtype`, times `scale`) into `row`.
    static func decode(_ bytes: UnsafeRawBufferPointer, as dtype: WireDType, scale: Float,
                       into row: UnsafeMutableBufferPointer<Float>) {
        guard let format = dtype.encoding.format else {
            UnsafeMutableRawBufferPointer(row).copyMemory(from: bytes)
            return
        }
        format.decode(bytes, into: row)
        if dtype.hasRowScale { for c in 0..<row.count { row[c] *= scale } }
    }
}

/// A record that breaks the exchange protocol: which field of which record, and what is wrong.
///
/// The shell adds who sent it and who received it (the runtime's `ProtocolError`).
public struct RecordError: Error, Sendable, Equatable {
    public var field: String
    public var detail: String

    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }
}
