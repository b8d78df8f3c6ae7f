extension Float16 {
    /// Converts `Float`s to IEEE 754 binary16 bit patterns, rounding to nearest even.
    ///
    /// Uses Swift's own `Float16(_: Float)` conversion, which is IEEE: values whose magnitude
    /// reaches 65520 become infinities (no saturation), values below half the smallest
    /// subnormal (2^-25) become zeros, and NaN stays NaN. The bit patterns are what a `.npy`
    /// `<f2`, a safetensors `F16` or `torch.float16` store.
    ///
    /// - Parameters:
    ///   - source: The values to convert.
    ///   - destination: Receives one bit pattern per source value; must have the same count.
    /// - Complexity: O(n).
    public static func encode(
        _ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>
    ) {
        precondition(source.count == destination.count, "Float16.encode: counts differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        for index in 0..<source.count {
            output[index] = Float16(input[index]).bitPattern
        }
    }

    /// Converts binary16 bit patterns to `Float`s (exact).
    ///
    /// - Parameters:
    ///   - source: The bit patterns to convert.
    ///   - destination: Receives one value per bit pattern; must have the same count.
    /// - Complexity: O(n).
    public static func decode(
        _ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(source.count == destination.count, "Float16.decode: counts differ")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        for index in 0..<source.count {
            output[index] = Float(Float16(bitPattern: input[index]))
        }
    }
}
