/// A bfloat16 number: the top 16 bits of an IEEE 754 binary32.
///
/// bfloat16 keeps `Float`'s 8-bit exponent (so its range) and 7 of its 23 mantissa bits. It is
/// the storage type of most current checkpoints and a cheap wire format for activations.
/// This type only stores and converts; do arithmetic in `Float`.
///
/// Conversion from `Float` rounds to nearest, ties to even, like PyTorch's
/// `tensor.to(torch.bfloat16)`: finite values too large for bfloat16 become infinities, and a
/// NaN stays a NaN (its sign and top payload bits kept, made quiet), never an infinity.
/// Conversion to `Float` is exact.
public struct BFloat16: Sendable, CustomStringConvertible {
    /// The 16 bits as stored in a file or sent over the wire.
    public var bitPattern: UInt16

    /// Creates a value from its stored bits.
    public init(bitPattern: UInt16) {
        self.bitPattern = bitPattern
    }

    /// Rounds `value` to the nearest bfloat16, ties to even.
    @inlinable
    public init(_ value: Float) {
        bitPattern = Self.encode(value)
    }

    /// The value as a `Float` (exact).
    @inlinable
    public var floatValue: Float {
        Float(bitPattern: UInt32(bitPattern) << 16)
    }

    /// The value, printed as the `Float` it equals.
    public var description: String {
        floatValue.description
    }

    @inlinable
    static func encode(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            // Truncation alone could clear every payload bit left and turn a NaN into an
            // infinity; setting the quiet bit keeps it a NaN.
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        // Round to nearest even on the 16 bits dropped: add 0x7FFF, plus one more when the
        // kept part is odd. A carry out of the mantissa correctly bumps the exponent, up to
        // infinity for values past the largest finite bfloat16.
        let rounding = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}

extension Float {
    /// The exact `Float` value of a bfloat16.
    @inlinable
    public init(_ value: BFloat16) {
        self = value.floatValue
    }
}
