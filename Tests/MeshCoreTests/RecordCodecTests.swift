import Testing
@testable import MeshCore

/// The wire records, without MPI: what one side writes, the other reads back, for every format.
@Suite struct RecordCodecTests {
    let hidden = 12, k = 3

    func row(_ seed: Float) -> [Float] { (0..<hidden).map { Float($0 - 5) * 0.37 * seed + 0.01 } }

    /// Writes one dispatch record and returns its bytes.
    func dispatchRecord(_ codec: RecordCodec, experts: [Int32], weights: [Float], row: [Float]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xAB, count: codec.dispatch.recordBytes)
        var scratch = [Float](repeating: 0, count: hidden)
        experts.withUnsafeBufferPointer { e in
            weights.withUnsafeBufferPointer { w in
                row.withUnsafeBufferPointer { r in
                    bytes.withUnsafeMutableBytes { buffer in
                        scratch.withUnsafeMutableBufferPointer { s in
                            codec.writeDispatch(experts: e, weights: w, row: r, into: buffer, at: 0, scratch: s)
                        }
                    }
                }
            }
        }
        return bytes
    }

    func readRow(_ codec: RecordCodec, _ bytes: [UInt8]) -> [Float] {
        var out = [Float](repeating: .nan, count: hidden)
        bytes.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { codec.readDispatchRow(b, at: 0, into: $0) } }
        return out
    }

    func slots(_ codec: RecordCodec, _ bytes: [UInt8], held: Int) throws -> [(Int, Float)] {
        var found: [(Int, Float)] = []
        try bytes.withUnsafeBytes { b in
            try codec.readSlots(b, at: 0, heldExperts: held, record: 4, layer: 2) { found.append(($0, $1)) }
        }
        return found
    }

    @Test(arguments: [(WireDType.fp32, 0.0), (.bf16, 4e-3), (.fp8, 7e-2)])
    func aDispatchRecordReadsBackItsSlotsAndRow(dtype: WireDType, tolerance: Double) throws {
        let codec = RecordCodec(hidden: hidden, k: k, dispatch: dtype, combine: .fp32)
        let original = row(1.5)
        let bytes = dispatchRecord(codec, experts: [2, -1, 0], weights: [0.75, 0, 0.25], row: original)
        let found = try slots(codec, bytes, held: 3)
        #expect(found.map(\.0) == [2, 0])
        #expect(found.map(\.1) == [0.75, 0.25])
        let decoded = readRow(codec, bytes)
        let amax = original.map(abs).max()!
        let worst = zip(decoded, original).map { Double(abs($0 - $1)) }.max()!
        #expect(worst <= tolerance * Double(amax), "\(dtype): error \(worst)")
        if dtype != .fp32 { #expect(worst > 0, "a reduced format is not exact on these values") }
    }

    @Test func recordSizesFollowTheLayout() {
        // fp32: 3 ids + 3 weights + 12 floats; bf16 rows are half; fp8 adds a scale and pads to 4.
        #expect(RecordCodec(hidden: 12, k: 3, dispatch: .fp32, combine: .fp32).dispatch.recordBytes == 24 + 48)
        #expect(RecordCodec(hidden: 12, k: 3, dispatch: .bf16, combine: .bf16).dispatch.recordBytes == 24 + 24)
        #expect(RecordCodec(hidden: 13, k: 3, dispatch: .fp8, combine: .bf16).dispatch.recordBytes == 24 + 4 + 16)
        #expect(RecordCodec(hidden: 13, k: 3, dispatch: .fp8, combine: .bf16).combine.recordBytes == 28)
    }

    @Test func anFP8RowKeepsItsLargestValueThroughTheScale() {
        let codec = RecordCodec(hidden: hidden, k: k, dispatch: .fp8, combine: .fp32)
        var original = row(0.001)
        original[3] = 1000  // far beyond E4M3's 448: only the scale can carry it
        let decoded = readRow(codec, dispatchRecord(codec, experts: [0, -1, -1], weights: [1, 0, 0], row: original))
        #expect(decoded[3] == 1000)
    }

    @Test(arguments: [
        ([Int32(3), -1, -1], [Float(1), 0, 0], "record 4 slot 0 expert", "local expert 3 is not held here (this worker holds 3 in layer 2)"),
        ([-1, -7, -1], [0, 1, 0], "record 4 slot 1 expert", "local expert -7 is not held here (this worker holds 3 in layer 2)"),
        ([0, 1, -1], [0.5, .nan, 0], "record 4 slot 1 weight", "not finite: nan"),
        ([-1, -1, -1], [0, 0, 0], "record 4", "names no expert"),
    ])
    func aBadRecordIsNamedByField(experts: [Int32], weights: [Float], field: String, detail: String) {
        let codec = RecordCodec(hidden: hidden, k: k, dispatch: .bf16, combine: .fp32)
        let bytes = dispatchRecord(codec, experts: experts, weights: weights, row: row(1))
        #expect(throws: RecordError(field: field, detail: detail)) { _ = try slots(codec, bytes, held: 3) }
    }

    @Test(arguments: [(WireDType.fp32, 0.0), (.bf16, 4e-3)])
    func aCombineRecordAddsBackWhatWasWritten(dtype: WireDType, tolerance: Double) {
        let codec = RecordCodec(hidden: hidden, k: k, dispatch: .fp32, combine: dtype)
        let original = row(-2)
        var bytes = [UInt8](repeating: 0, count: 2 * codec.combine.recordBytes)
        bytes.withUnsafeMutableBytes { b in
            original.withUnsafeBufferPointer { codec.writeCombine($0, into: b, at: codec.combine.recordBytes) }
        }
        var sum = [Float](repeating: 1, count: hidden), scratch = [Float](repeating: 0, count: hidden)
        bytes.withUnsafeBytes { b in
            sum.withUnsafeMutableBufferPointer { s in
                scratch.withUnsafeMutableBufferPointer { codec.addCombine(b, at: codec.combine.recordBytes, into: s.baseAddress!, scratch: $0) }
            }
        }
        for c in 0..<hidden {
            #expect(Double(abs(sum[c] - (1 + original[c]))) <= tolerance * 5 + 1e-6, "column \(c)")
        }
    }
}
