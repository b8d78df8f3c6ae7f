/// How expert inputs and outputs are encoded on the wire.
public enum WireDType: String, Sendable, CaseIterable, Codable {
    case fp32
    case bf16
    /// FP8 E4M3 with one Float32 scale per token row (amax / 448), dispatch only.
    case fp8
}

/// The byte layout of one dispatched token record.
///
/// ```
/// offset 0        k × Int32   local expert ids (-1: unused slot)
/// offset 4k       k × Float32 router weights
/// offset 8k       Float32     row scale (fp8 only)
/// then            hidden × element  the token's row (fp32, bf16 or fp8)
/// padding to a multiple of 4 bytes
/// ```
/// Metadata comes first so that every 4-byte field is aligned when records are packed back to back.
public struct DispatchRecordLayout: Sendable, Equatable {
    public let hidden: Int
    public let k: Int
    public let dtype: WireDType

    public init(hidden: Int, k: Int, dtype: WireDType) {
        self.hidden = hidden
        self.k = k
        self.dtype = dtype
    }

    public var expertsOffset: Int { 0 }
    public var weightsOffset: Int { 4 * k }
    public var scaleOffset: Int { 8 * k }
    public var rowOffset: Int { 8 * k + (dtype == .fp8 ? 4 : 0) }
    public var rowBytes: Int { hidden * dtype.bytesPerElement }
    public var recordBytes: Int { (rowOffset + rowBytes + 3) / 4 * 4 }
}

/// The byte layout of one combined row: the worker's weighted sum for one token.
public struct CombineRecordLayout: Sendable, Equatable {
    public let hidden: Int
    public let dtype: WireDType

    public init(hidden: Int, dtype: WireDType) {
        precondition(dtype != .fp8, "combine is fp32 or bf16")
        self.hidden = hidden
        self.dtype = dtype
    }

    public var recordBytes: Int { (hidden * dtype.bytesPerElement + 3) / 4 * 4 }
}

extension WireDType {
    public var bytesPerElement: Int {
        switch self {
        case .fp32: 4
        case .bf16: 2
        case .fp8: 1
        }
    }
}
