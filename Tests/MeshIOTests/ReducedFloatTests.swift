import MeshIO
import Testing

/// A conversion whose result was worked out by hand from the bit layouts.
struct RoundingCase: Sendable, CustomTestStringConvertible {
    var inputBits: UInt32
    var expectedBits: UInt16
    var why: String

    var testDescription: String { why }
}

@Suite("bfloat16")
struct BFloat16Tests {
    static let cases: [RoundingCase] = [
        RoundingCase(inputBits: 0x3F80_0000, expectedBits: 0x3F80, why: "1.0 is exact"),
        RoundingCase(inputBits: 0x3F80_8000, expectedBits: 0x3F80, why: "1 + 2^-8 is a tie, kept 0x3F80 is even: down"),
        RoundingCase(inputBits: 0x3F81_8000, expectedBits: 0x3F82, why: "1 + 3·2^-8 is a tie, kept 0x3F81 is odd: up"),
        RoundingCase(inputBits: 0x3F80_8001, expectedBits: 0x3F81, why: "just above the tie: up"),
        RoundingCase(inputBits: 0x3F80_7FFF, expectedBits: 0x3F80, why: "just below the tie: down"),
        RoundingCase(inputBits: 0xBF81_8000, expectedBits: 0xBF82, why: "ties to even apply to the magnitude of negatives"),
        RoundingCase(inputBits: 0x4049_0FDB, expectedBits: 0x4049, why: "pi rounds down to 3.140625"),
        RoundingCase(inputBits: 0x3FFF_FFFF, expectedBits: 0x4000, why: "a mantissa carry bumps the exponent (to 2.0)"),
        RoundingCase(inputBits: 0x7F7F_7FFF, expectedBits: 0x7F7F, why: "below the tie under the largest float: largest bfloat16"),
        RoundingCase(inputBits: 0x7F7F_FFFF, expectedBits: 0x7F80, why: "Float.greatestFiniteMagnitude rounds to infinity"),
        RoundingCase(inputBits: 0x7F80_0000, expectedBits: 0x7F80, why: "infinity stays infinity"),
        RoundingCase(inputBits: 0x8000_0000, expectedBits: 0x8000, why: "-0 keeps its sign"),
        RoundingCase(inputBits: 0x0000_8000, expectedBits: 0x0000, why: "subnormal tie rounds to even zero"),
        RoundingCase(inputBits: 0x0001_8000, expectedBits: 0x0002, why: "subnormal tie rounds up to even 2"),
        RoundingCase(inputBits: 0x7F80_0001, expectedBits: 0x7FC0, why: "signalling NaN with a low payload stays NaN (quiet), not infinity"),
        RoundingCase(inputBits: 0xFFC0_0000, expectedBits: 0xFFC0, why: "negative quiet NaN keeps sign and payload"),
    ]

    @Test("Float → bfloat16 rounds to nearest even", arguments: cases)
    func encode(_ example: RoundingCase) {
        #expect(BFloat16(Float(bitPattern: example.inputBits)).bitPattern == example.expectedBits)
    }

    @Test("bfloat16 → Float is exact: every non-NaN code round-trips")
    func decodeExhaustive() {
        for code in UInt16.min...UInt16.max {
            let value = Float(BFloat16(bitPattern: code))
            #expect(value.bitPattern == UInt32(code) << 16)
            if value.isNaN {
                #expect(BFloat16(value).bitPattern | 0x0040 == code | 0x0040)
            } else {
                #expect(BFloat16(value).bitPattern == code)
            }
        }
    }

    @Test("the buffer converter (ReducedFloatFormat.bfloat16) agrees with the scalar one")
    func bulk() {
        let inputs = Self.cases.map { Float(bitPattern: $0.inputBits) }
        var bytes = [UInt8](repeating: 0, count: 2 * inputs.count)
        inputs.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBytes { ReducedFloatFormat.bfloat16.encode(source, into: $0) }
        }
        let encoded = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        #expect(encoded == Self.cases.map(\.expectedBits))
        var decoded = [Float](repeating: 0, count: inputs.count)
        bytes.withUnsafeBytes { source in
            decoded.withUnsafeMutableBufferPointer { ReducedFloatFormat.bfloat16.decode(source, into: $0) }
        }
        #expect(decoded.map(\.bitPattern) == encoded.map { UInt32($0) << 16 })
    }
}

@Suite("float16")
struct Float16Tests {
    static let cases: [RoundingCase] = [
        RoundingCase(inputBits: 0x3F80_1000, expectedBits: 0x3C00, why: "1 + 2^-11 is a tie, kept mantissa 0 is even: down"),
        RoundingCase(inputBits: 0x3F80_3000, expectedBits: 0x3C02, why: "1 + 3·2^-11 is a tie, kept mantissa 1 is odd: up"),
        RoundingCase(inputBits: 0x3F80_1001, expectedBits: 0x3C01, why: "just above the tie: up"),
        RoundingCase(inputBits: 0x477F_E000, expectedBits: 0x7BFF, why: "65504 is the largest finite float16"),
        RoundingCase(inputBits: 0x477F_EFFF, expectedBits: 0x7BFF, why: "just below 65520 rounds down to 65504"),
        RoundingCase(inputBits: 0x477F_F000, expectedBits: 0x7C00, why: "65520 is a tie, 65504 is odd: up to infinity (IEEE, no saturation)"),
        RoundingCase(inputBits: 0x3380_0000, expectedBits: 0x0001, why: "2^-24 is the smallest subnormal"),
        RoundingCase(inputBits: 0x3300_0000, expectedBits: 0x0000, why: "2^-25 is a tie between 0 and 2^-24: even zero"),
        RoundingCase(inputBits: 0x33C0_0000, expectedBits: 0x0002, why: "3·2^-25 is a tie between 1 and 2 units: even 2"),
        RoundingCase(inputBits: 0xC000_0000, expectedBits: 0xC000, why: "-2 is exact"),
    ]

    @Test("Float → float16 rounds to nearest even", arguments: cases)
    func encode(_ example: RoundingCase) {
        #expect(Float16(Float(bitPattern: example.inputBits)).bitPattern == example.expectedBits)
        var output: [UInt8] = [0, 0]
        [Float(bitPattern: example.inputBits)].withUnsafeBufferPointer { source in
            output.withUnsafeMutableBytes { ReducedFloatFormat.float16.encode(source, into: $0) }
        }
        #expect(UInt16(output[0]) | UInt16(output[1]) << 8 == example.expectedBits)
    }

    @Test("NaN stays NaN both ways")
    func nan() {
        #expect(Float16(Float.nan).isNaN)
        #expect(Float(Float16(bitPattern: 0x7C01)).isNaN)
        #expect(Float(Float16(bitPattern: 0xFE00)).isNaN)
    }
}

@Suite("float8 e4m3fn")
struct Float8E4M3Tests {
    @Test("all 256 codes decode and re-encode to themselves (NaN codes to NaN)")
    func exhaustiveRoundTrip() {
        for code in UInt8.min...UInt8.max {
            let value = Float(Float8E4M3(bitPattern: code))
            if code & 0x7F == 0x7F {
                #expect(value.isNaN, "code \(code)")
                #expect(Float8E4M3(value).bitPattern == code, "NaN keeps its sign")
            } else {
                #expect(value.isFinite, "code \(code)")
                #expect(Float8E4M3(value).bitPattern == code, "code \(code) decoded to \(value)")
            }
        }
    }

    @Test("positive codes decode in strictly increasing order up to 448")
    func monotonic() {
        let values = (0...0x7E).map { Float(Float8E4M3(bitPattern: UInt8($0))) }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 < $1 })
        #expect(values.last == 448)
        #expect(values[1] == 0x1p-9)
    }

    @Test("hand-worked code values", arguments: [
        (UInt8(0x00), Float(0)), (0x01, 0x1p-9), (0x07, 7 * 0x1p-9), (0x08, 0x1p-6),
        (0x38, 1), (0x3C, 1.5), (0x40, 2), (0x7D, 416), (0x7E, 448), (0xBC, -1.5), (0xFE, -448),
    ] as [(UInt8, Float)])
    func decode(code: UInt8, value: Float) {
        #expect(Float(Float8E4M3(bitPattern: code)) == value)
    }

    @Test("Float → e4m3 rounds to nearest even and saturates", arguments: [
        (Float(1 + 1.0 / 16), UInt8(0x38)),  // tie between 1.0 (0x38, even) and 1.125
        (1 + 3.0 / 16, 0x3A),  // tie between 1.125 (0x39, odd) and 1.25
        (1 + 1.0 / 16 + 0x1p-20, 0x39),  // just above the tie
        (0x1p-10, 0x00),  // half the smallest subnormal: tie to even zero
        (3 * 0x1p-10, 0x02),  // 1.5 units: tie to even 2
        (7.5 * 0x1p-9, 0x08),  // tie between subnormal 7 and the smallest normal 8
        (432, 0x7E),  // tie between 416 (0x7D, odd) and 448
        (449, 0x7E), (464, 0x7E), (1e9, 0x7E), (.infinity, 0x7E), (-.infinity, 0xFE),
        (-0.0, 0x80), (.nan, 0x7F),
    ] as [(Float, UInt8)])
    func encode(value: Float, code: UInt8) {
        #expect(Float8E4M3(value).bitPattern == code)
    }
}

@Suite("raw-buffer conversion")
struct ReducedFloatFormatTests {
    static let values: [Float] = [0, 1, -2, 0.5, 3.25, 448, -0.015625, 1 + 3.0 / 256]

    @Test("encode then decode at an unaligned offset", arguments: ReducedFloatFormat.allCases)
    func roundTripUnaligned(format: ReducedFloatFormat) {
        let count = Self.values.count
        var storage = [UInt8](repeating: 0xAA, count: count * format.bytesPerElement + 2)
        storage.withUnsafeMutableBytes { raw in
            let window = UnsafeMutableRawBufferPointer(rebasing: raw[1..<(1 + count * format.bytesPerElement)])
            Self.values.withUnsafeBufferPointer { format.encode($0, into: window) }
        }
        #expect(storage.first == 0xAA && storage.last == 0xAA, "nothing written outside the window")
        var decoded = [Float](repeating: .nan, count: count)
        storage.withUnsafeBytes { raw in
            let window = UnsafeRawBufferPointer(rebasing: raw[1..<(1 + count * format.bytesPerElement)])
            decoded.withUnsafeMutableBufferPointer { format.decode(window, into: $0) }
        }
        let expected: [Float] = Self.values.map {
            switch format {
            case .bfloat16: Float(BFloat16($0))
            case .float16: Float(Float16($0))
            case .float8E4M3: Float(Float8E4M3($0))
            }
        }
        #expect(decoded == expected)
        // All but the last value are exact in every format; the last is 1 + 3·2^-8, a bfloat16 tie.
        #expect(Array(decoded.prefix(count - 1)) == Array(Self.values.prefix(count - 1)))
        if format == .bfloat16 { #expect(decoded.last == 1 + 1.0 / 64) }
    }
}
