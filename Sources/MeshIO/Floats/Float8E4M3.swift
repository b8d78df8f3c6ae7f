/// An 8-bit float in the OCP "E4M3FN" format (`torch.float8_e4m3fn`, safetensors `F8_E4M3`).
///
/// One sign bit, four exponent bits with bias 7 and three mantissa bits (OCP 8-bit Floating
/// Point Specification, 2023). There are no infinities: exponent 1111 with mantissa 111 is NaN
/// (`0x7F` and `0xFF`) and every other code is finite, so the largest finite magnitude is
/// 1.75 × 2^8 = 448 and the smallest subnormal 2^-9. DeepSeek-V3 ships its expert weights in
/// this format.
///
/// Conversion from `Float` rounds to nearest, ties to even, and saturates: any magnitude above
/// 448, infinities included, becomes ±448 (the "satfinite" behaviour of NVIDIA's
/// `cvt.rn.satfinite.e4m3x2.f32`). NaN becomes `0x7F` with the sign kept. Conversion to `Float`
/// is exact.
public struct Float8E4M3: Sendable, CustomStringConvertible {
    /// The 8 bits as stored.
    public var bitPattern: UInt8

    /// The largest finite magnitude, 448 = 1.75 × 2^8 (code `0x7E`).
    public static let greatestFiniteMagnitude: Float = 448

    /// Creates a value from its stored bits.
    public init(bitPattern: UInt8) {
        self.bitPattern = bitPattern
    }

    /// Rounds `value` to the nearest E4M3 value, ties to even, saturating to ±448.
    @inlinable
    public init(_ value: Float) {
        bitPattern = Self.encode(value)
    }

    /// The value as a `Float` (exact; NaN for the two NaN codes).
    @inlinable
    public var floatValue: Float {
        Self.decode(bitPattern)
    }

    /// The value, printed as the `Float` it equals.
    public var description: String {
        floatValue.description
    }

    @inlinable
    static func encode(_ value: Float) -> UInt8 {
        let bits = value.bitPattern
        let sign = UInt8(truncatingIfNeeded: bits >> 24) & 0x80
        let magnitude = Float(bitPattern: bits & 0x7FFF_FFFF)
        if magnitude.isNaN {
            return sign | 0x7F
        }
        if magnitude >= 448 {
            return sign | 0x7E
        }
        if magnitude < 0x1p-6 {
            // Subnormal range: the value in units of the smallest subnormal 2^-9. Scaling by a
            // power of two is exact, so the only rounding is this one. A result of 8 is the
            // code 0x08, the smallest normal 2^-6, which is right.
            let units = (magnitude * 512).rounded(.toNearestOrEven)
            return sign | UInt8(units)
        }
        // Normal range: rebias the exponent from 127 to 7 and round the mantissa from 23 to 3
        // bits, nearest even. A mantissa carry bumps the exponent; below 448 it cannot reach the
        // NaN code (values in [416, 448) round to at most 448 = 0x7E).
        let rebiased = magnitude.bitPattern &- (120 << 23)
        let rounding = 0x7FFFF &+ ((rebiased >> 20) & 1)
        return sign | UInt8(truncatingIfNeeded: (rebiased &+ rounding) >> 20)
    }

    @inlinable
    static func decode(_ code: UInt8) -> Float {
        let exponent = UInt32(code >> 3) & 0xF
        let mantissa = UInt32(code) & 0x7
        let magnitude: Float
        if exponent == 0xF && mantissa == 0x7 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = Float(mantissa) * 0x1p-9
        } else {
            magnitude = Float(bitPattern: ((exponent + 120) << 23) | (mantissa << 20))
        }
        return code & 0x80 == 0 ? magnitude : -magnitude
    }

    /// The `Float` value of each of the 256 codes, for table-driven bulk decoding.
    static let decodeTable: [Float] = (0...255).map { decode(UInt8($0)) }
}

extension Float {
    /// The exact `Float` value of an E4M3 number (NaN for its NaN codes).
    @inlinable
    public init(_ value: Float8E4M3) {
        self = value.floatValue
    }
}
