import MeshIO

/// How expert inputs and outputs are encoded on the wire.
public enum WireDType: String, Sendable, CaseIterable, Codable {
    case fp32
    case bf16
    /// FP8 E4M3 with one Float32 scale per token row (amax / 448), dispatch only.
    case fp8
}

extension WireDType {
    /// The reduced format rows travel in (nil: fp32, the rows' own bytes), and the magnitude a
    /// row's largest value is scaled to before encoding (nil: rows are not scaled).
    ///
    /// The one place that says what each dtype is; every encoder and decoder follows from it.
    var encoding: (format: ReducedFloatFormat?, scaledTo: Float?) {
        switch self {
        case .fp32: (nil, nil)
        case .bf16: (.bfloat16, nil)
        // 448: the largest finite E4M3 value (OCP FP8 formats specification).
        case .fp8: (.float8E4M3, Float8E4M3.greatestFiniteMagnitude)
        }
    }

    public var bytesPerElement: Int { encoding.format?.bytesPerElement ?? 4 }

    /// Whether rows arrive exactly as they were sent (fp32).
    public var isLossless: Bool { encoding.format == nil }

    /// Whether a Float32 scale travels with every row.
    public var hasRowScale: Bool { encoding.scaledTo != nil }
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
    public var rowOffset: Int { 8 * k + (dtype.hasRowScale ? 4 : 0) }
    public var rowBytes: Int { hidden * dtype.bytesPerElement }
    public var recordBytes: Int { (rowOffset + rowBytes + 3) / 4 * 4 }
}

/// The byte layout of one combined row: the worker's weighted sum for one token.
public struct CombineRecordLayout: Sendable, Equatable {
    public let hidden: Int
    public let dtype: WireDType

    public init(hidden: Int, dtype: WireDType) {
        precondition(!dtype.hasRowScale, "combine is fp32 or bf16")
        self.hidden = hidden
        self.dtype = dtype
    }

    public var rowBytes: Int { hidden * dtype.bytesPerElement }
    public var recordBytes: Int { (rowBytes + 3) / 4 * 4 }
}
