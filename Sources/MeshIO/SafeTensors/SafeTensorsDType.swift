/// The element type of a tensor in a safetensors file, named as in its header.
///
/// These are the dtypes of the reference implementation (huggingface/safetensors
/// `tensor.rs`) that have a whole number of bytes per element. A header naming any other dtype
/// (the sub-byte `F4`, `F6_*`, or a future one) is reported as `.unsupportedDType`.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    /// One byte per boolean, 0 or 1.
    case bool = "BOOL"
    /// Unsigned 8-bit integer.
    case uint8 = "U8"
    /// Signed 8-bit integer.
    case int8 = "I8"
    /// OCP FP8 E5M2 (`torch.float8_e5m2`): the top byte of a binary16.
    case float8E5M2 = "F8_E5M2"
    /// OCP FP8 E4M3FN (`torch.float8_e4m3fn`), see ``Float8E4M3``.
    case float8E4M3 = "F8_E4M3"
    /// Signed 16-bit integer.
    case int16 = "I16"
    /// Unsigned 16-bit integer.
    case uint16 = "U16"
    /// IEEE binary16 (`torch.float16`).
    case float16 = "F16"
    /// bfloat16 (`torch.bfloat16`), see ``BFloat16``.
    case bfloat16 = "BF16"
    /// Signed 32-bit integer.
    case int32 = "I32"
    /// Unsigned 32-bit integer.
    case uint32 = "U32"
    /// IEEE binary32 (`Float`).
    case float32 = "F32"
    /// IEEE binary64 (`Double`).
    case float64 = "F64"
    /// Signed 64-bit integer.
    case int64 = "I64"
    /// Unsigned 64-bit integer.
    case uint64 = "U64"

    /// The size of one element in bytes.
    public var bytesPerElement: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// Whether ``SafeTensorsFile/floats(_:)`` can convert this dtype to `Float`.
    ///
    /// True for every floating-point dtype. F64 loses precision in the conversion; the others
    /// convert exactly.
    public var isFloatingPoint: Bool {
        switch self {
        case .float8E5M2, .float8E4M3, .float16, .bfloat16, .float32, .float64: true
        default: false
        }
    }

    /// Converts raw little-endian elements of this dtype to `Float`s.
    ///
    /// - Precondition: `isFloatingPoint`, and `source.count == destination.count × bytesPerElement`.
    func decodeFloats(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count == destination.count * bytesPerElement)
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        switch self {
        case .float32:
            UnsafeMutableRawPointer(output).copyMemory(from: input, byteCount: source.count)
        case .bfloat16:
            ReducedFloatFormat.bfloat16.decode(source, into: destination)
        case .float16:
            ReducedFloatFormat.float16.decode(source, into: destination)
        case .float8E4M3:
            ReducedFloatFormat.float8E4M3.decode(source, into: destination)
        case .float8E5M2:
            for index in 0..<destination.count {
                let code = input.load(fromByteOffset: index, as: UInt8.self)
                output[index] = Float(Float16(bitPattern: UInt16(code) << 8))
            }
        case .float64:
            for index in 0..<destination.count {
                output[index] = Float(Double(bitPattern: UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))))
            }
        default:
            preconditionFailure("\(rawValue) is not a floating-point dtype")
        }
    }

    /// Encodes `Float`s as raw little-endian elements of this dtype, rounding to nearest even.
    ///
    /// - Precondition: `self` is F32, F64, F16, BF16 or F8_E4M3.
    func encodeFloats(_ values: [Float]) -> [UInt8] {
        let byteCount = values.count * bytesPerElement
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            values.withUnsafeBufferPointer { input in
                switch self {
                case .float32:
                    output.copyMemory(from: UnsafeRawBufferPointer(input))
                case .float64:
                    for (index, value) in input.enumerated() {
                        output.storeBytes(of: Double(value).bitPattern.littleEndian, toByteOffset: 8 * index, as: UInt64.self)
                    }
                case .bfloat16:
                    ReducedFloatFormat.bfloat16.encode(input, into: output)
                case .float16:
                    ReducedFloatFormat.float16.encode(input, into: output)
                case .float8E4M3:
                    ReducedFloatFormat.float8E4M3.encode(input, into: output)
                default:
                    preconditionFailure("SafeTensorsWriter cannot store Float values as \(rawValue)")
                }
            }
            initialized = byteCount
        }
    }
}

/// Where a tensor is in a safetensors file and how to read it.
public struct SafeTensorsTensorInfo: Sendable, Hashable {
    /// The element type.
    public var dtype: SafeTensorsDType
    /// The size of each dimension, outermost first (row-major); `[]` for a scalar.
    public var shape: [Int]
    /// The tensor's bytes, as offsets from the start of the data section (`data_offsets`).
    public var dataOffsets: Range<Int>

    /// Creates the description of a tensor.
    public init(dtype: SafeTensorsDType, shape: [Int], dataOffsets: Range<Int>) {
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }

    /// The number of elements: the product of `shape`.
    public var count: Int {
        shape.reduce(1, *)
    }
}
