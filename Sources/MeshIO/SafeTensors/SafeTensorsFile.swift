/// One safetensors file, memory-mapped, whose tensors are read on demand.
///
/// Opening maps the file and validates its header (see the format notes on
/// ``SafeTensorsCheckpoint``); no tensor data is read. Each accessor then touches only the pages
/// of the tensor asked for, so a rank that owns a few experts reads only their weights. The
/// mapping is released when the last reference goes away.
///
/// A class, not a `~Copyable` struct, because a checkpoint shares its open shards between
/// callers; the owned resource itself (the mapping) is a `~Copyable` value with a `deinit`.
/// Instances are immutable and safe to use from several threads.
public final class SafeTensorsFile: Sendable {
    /// The path the file was opened with.
    public let path: String
    /// The `__metadata__` string map of the header (empty if absent).
    public let metadata: [String: String]
    private let tensors: [String: SafeTensorsTensorInfo]
    private let dataStart: Int
    private let mapping: MappedFile

    /// Maps the file at `path` and validates its header.
    ///
    /// - Throws: ``FormatError`` naming `path`: `.missingFile`, `.unreadableFile`,
    ///   `.malformedHeader` (length over 100 MB, not JSON, a field missing or of the wrong
    ///   type), `.unsupportedDType`, `.invalidOffsets` (byte count not matching shape and dtype,
    ///   overlapping tensors, gaps), `.truncatedData` (the file ends before the data the header
    ///   announces) or `.trailingData`.
    public init(contentsOf path: String) throws {
        let mapping = try MappedFile(path: path)
        let header = try SafeTensorsHeader.parse(mapping.bytes, path: path)
        self.path = path
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.dataStart = header.dataStart
        self.mapping = mapping
    }

    /// The names of all tensors, sorted.
    public var tensorNames: [String] {
        tensors.keys.sorted()
    }

    /// The dtype, shape and offsets of the tensor called `name`, or `nil` if there is none.
    public func info(_ name: String) -> SafeTensorsTensorInfo? {
        tensors[name]
    }

    /// Whether the file has a tensor called `name`.
    public func contains(_ name: String) -> Bool {
        tensors[name] != nil
    }

    /// Calls `body` with the tensor's raw little-endian bytes, without copying them.
    ///
    /// The buffer points into the mapping and may be unaligned; it is valid only during `body`.
    ///
    /// - Throws: ``FormatError`` with `.missingTensor`, or what `body` throws.
    public func withUnsafeBytes<Result>(
        of name: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        let info = try requireInfo(name)
        return try body(UnsafeRawBufferPointer(rebasing: mapping.bytes[(dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)]))
    }

    /// A copy of the tensor's raw little-endian bytes.
    ///
    /// - Throws: ``FormatError`` with `.missingTensor`.
    public func bytes(of name: String) throws -> [UInt8] {
        try withUnsafeBytes(of: name) { Array($0) }
    }

    /// The tensor's elements converted to `Float`, in row-major order.
    ///
    /// F32, F16, BF16 and both FP8 formats convert exactly; F64 is rounded to nearest.
    ///
    /// - Throws: ``FormatError`` with `.missingTensor`, or `.unsupportedDType` for an integer
    ///   or boolean tensor.
    public func floats(_ name: String) throws -> [Float] {
        let info = try requireInfo(name)
        return try [Float](unsafeUninitializedCapacity: info.count) { buffer, initialized in
            try readFloats(name, into: buffer)
            initialized = info.count
        }
    }

    /// The tensor's elements converted to `Float`, after checking its shape.
    ///
    /// - Parameters:
    ///   - name: The tensor.
    ///   - expectedShape: The shape the caller needs, outermost first.
    /// - Throws: ``FormatError`` with `.shapeMismatch` naming the tensor, the shape expected and
    ///   the shape found, or as ``floats(_:)``.
    public func floats(_ name: String, expectedShape: [Int]) throws -> [Float] {
        let info = try requireInfo(name)
        guard info.shape == expectedShape else {
            throw FormatError(
                .shapeMismatch, path: path,
                detail: "tensor '\(name)' has shape \(info.shape), expected \(expectedShape)")
        }
        return try floats(name)
    }

    /// Converts the tensor's elements to `Float` into caller-owned storage, without an
    /// intermediate array.
    ///
    /// Use this to fill a weight buffer directly from the mapping.
    ///
    /// - Parameters:
    ///   - name: The tensor.
    ///   - destination: Exactly as many elements as the tensor has.
    /// - Throws: ``FormatError`` with `.missingTensor`, `.unsupportedDType`, or `.shapeMismatch`
    ///   when `destination` is not the tensor's size.
    public func readFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try requireInfo(name)
        guard info.dtype.isFloatingPoint else {
            throw FormatError(
                .unsupportedDType, path: path,
                detail: "tensor '\(name)' has dtype \(info.dtype.rawValue); only floating-point tensors convert to Float")
        }
        guard destination.count == info.count else {
            throw FormatError(
                .shapeMismatch, path: path,
                detail: "tensor '\(name)' of shape \(info.shape) has \(info.count) elements, the destination holds \(destination.count)")
        }
        try withUnsafeBytes(of: name) { info.dtype.decodeFloats($0, into: destination) }
    }

    private func requireInfo(_ name: String) throws -> SafeTensorsTensorInfo {
        guard let info = tensors[name] else {
            throw FormatError(.missingTensor, path: path, detail: "no tensor '\(name)' in this file (\(tensors.count) tensors)")
        }
        return info
    }
}
