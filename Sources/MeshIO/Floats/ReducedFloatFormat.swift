/// A reduced-precision float encoding, for converting whole buffers to and from raw bytes.
///
/// The runtime uses these on its hot path: activations are encoded into a byte buffer before
/// they are sent and decoded after they arrive. The raw-buffer forms accept any alignment, so
/// they work directly on MPI buffers, mapped files and `Data`. Bytes are little-endian, like
/// every file format in this module.
public enum ReducedFloatFormat: String, Sendable, CaseIterable {
    /// bfloat16 (see ``BFloat16``): 2 bytes, `Float`'s range, 8 significant bits.
    case bfloat16
    /// IEEE 754 binary16 (Swift's `Float16`): 2 bytes, range ±65504, 11 significant bits.
    case float16
    /// OCP E4M3FN (see ``Float8E4M3``): 1 byte, range ±448, 4 significant bits.
    case float8E4M3

    /// The size of one encoded element, in bytes.
    public var bytesPerElement: Int {
        switch self {
        case .bfloat16, .float16: 2
        case .float8E4M3: 1
        }
    }

    /// Encodes `Float`s into raw little-endian bytes, rounding to nearest even.
    ///
    /// - Parameters:
    ///   - source: The values to encode.
    ///   - destination: Receives `source.count × bytesPerElement` bytes; must be exactly that
    ///     size. Any alignment.
    /// - Complexity: O(n).
    public func encode(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        precondition(
            destination.count == source.count * bytesPerElement,
            "ReducedFloatFormat.encode: destination has \(destination.count) bytes, needs \(source.count * bytesPerElement)")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        switch self {
        case .bfloat16:
            for index in 0..<source.count {
                output.storeBytes(of: BFloat16.encode(input[index]).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
            }
        case .float16:
            for index in 0..<source.count {
                output.storeBytes(of: Float16(input[index]).bitPattern.littleEndian, toByteOffset: 2 * index, as: UInt16.self)
            }
        case .float8E4M3:
            for index in 0..<source.count {
                output.storeBytes(of: Float8E4M3.encode(input[index]), toByteOffset: index, as: UInt8.self)
            }
        }
    }

    /// Decodes raw little-endian bytes into `Float`s (exact).
    ///
    /// - Parameters:
    ///   - source: `destination.count × bytesPerElement` bytes; must be exactly that size.
    ///     Any alignment.
    ///   - destination: Receives the values.
    /// - Complexity: O(n).
    public func decode(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(
            source.count == destination.count * bytesPerElement,
            "ReducedFloatFormat.decode: source has \(source.count) bytes, needs \(destination.count * bytesPerElement)")
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        switch self {
        case .bfloat16:
            for index in 0..<destination.count {
                let bits = UInt16(littleEndian: input.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                output[index] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .float16:
            for index in 0..<destination.count {
                let bits = UInt16(littleEndian: input.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                output[index] = Float(Float16(bitPattern: bits))
            }
        case .float8E4M3:
            Float8E4M3.decodeTable.withUnsafeBufferPointer { table in
                for index in 0..<destination.count {
                    output[index] = table[Int(input.load(fromByteOffset: index, as: UInt8.self))]
                }
            }
        }
    }
}
