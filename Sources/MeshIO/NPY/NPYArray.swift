import Foundation

#if !_endian(little)
#error("MeshIO reads and writes little-endian files by copying memory: it needs a little-endian host")
#endif

/// An n-dimensional array as stored in a NumPy `.npy` file.
///
/// This is the exchange format with the Python reference: golden inputs and outputs, routing
/// tables, token ids. Elements are in C (row-major) order; `shape` may have any rank,
/// including 0 (a scalar, one element) and dimensions of 0 (no elements).
///
/// Reading accepts format versions 1.0, 2.0 and 3.0 and the dtypes `<f4`, `<f8` and `<f2`
/// (both converted to `Float`), `<i4` and `<i8`. Writing produces exactly the bytes
/// `numpy.save` produces for the same array: version 1.0 (2.0 only for a header over 64 KiB),
/// the header padded so the data starts at a multiple of 64 bytes.
public struct NPYArray: Sendable, Equatable {
    /// The elements, in C order, in the type they are written as.
    public enum Storage: Sendable, Equatable {
        /// `<f4` (also what `<f8` and `<f2` files are read into).
        case float32([Float])
        /// `<i4`.
        case int32([Int32])
        /// `<i8`.
        case int64([Int64])

        /// The number of elements.
        public var count: Int {
            switch self {
            case .float32(let values): values.count
            case .int32(let values): values.count
            case .int64(let values): values.count
            }
        }

        /// The NumPy dtype string this storage is written as.
        public var descr: String {
            switch self {
            case .float32: "<f4"
            case .int32: "<i4"
            case .int64: "<i8"
            }
        }
    }

    /// The size of each dimension, outermost first; `[]` for a scalar.
    public var shape: [Int]
    /// The elements in C order; `storage.count` must equal the product of `shape`.
    public var storage: Storage

    /// Creates an array from its shape and elements.
    ///
    /// - Precondition: every dimension is non-negative and their product equals
    ///   `storage.count` (1 for a scalar).
    public init(shape: [Int], storage: Storage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "NPYArray: negative dimension in \(shape)")
        precondition(
            Self.elementCount(shape) == storage.count,
            "NPYArray: shape \(shape) needs \(Self.elementCount(shape) ?? -1) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Creates a `Float` array.
    public init(shape: [Int], floats: [Float]) {
        self.init(shape: shape, storage: .float32(floats))
    }

    /// The number of elements: the product of `shape`.
    public var count: Int {
        storage.count
    }

    /// The elements if they are `Float`s, else `nil`.
    public var floats: [Float]? {
        if case .float32(let values) = storage { values } else { nil }
    }

    /// The product of `shape`, or `nil` if it overflows `Int`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }
}

// MARK: - Reading

extension NPYArray {
    /// The magic string every `.npy` file starts with.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads the `.npy` file at `path`.
    ///
    /// - Throws: ``FormatError`` naming `path`: `.missingFile`, `.unreadableFile`, `.badMagic`,
    ///   `.unsupportedVersion`, `.malformedHeader`, `.unsupportedDType`, `.unsupportedLayout`
    ///   (Fortran order), `.truncatedData` (less data than the shape needs) or `.trailingData`
    ///   (bytes after it, which would otherwise be silently ignored).
    public static func read(contentsOf path: String) throws -> NPYArray {
        let file = try MappedFile(path: path)
        return try decode(file.bytes, path: path)
    }

    /// Decodes the bytes of a whole `.npy` file.
    ///
    /// - Parameters:
    ///   - bytes: The complete file contents.
    ///   - path: The file's name, for error messages only.
    /// - Throws: ``FormatError`` as ``read(contentsOf:)``.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> NPYArray {
        func fail(_ code: FormatError.Code, _ detail: String) -> FormatError {
            FormatError(code, path: path, detail: detail)
        }
        guard bytes.count >= 10, bytes.prefix(6).elementsEqual(magic) else {
            throw fail(.badMagic, "not a .npy file: it does not start with \\x93NUMPY")
        }
        let major = bytes[6]
        let minor = bytes[7]
        let lengthFieldSize: Int
        switch (major, minor) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default: throw fail(.unsupportedVersion, "format version \(major).\(minor); this reader knows 1.0, 2.0 and 3.0")
        }
        let prefixSize = 8 + lengthFieldSize
        guard bytes.count >= prefixSize else {
            throw fail(.truncatedData, "the file ends inside the header length")
        }
        let headerLength = lengthFieldSize == 2
            ? Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let dataStart = prefixSize + headerLength
        guard dataStart <= bytes.count else {
            throw fail(.truncatedData, "the header is \(headerLength) bytes but the file ends \(bytes.count - prefixSize) bytes after its start")
        }
        let header: NPYHeader
        do {
            header = try NPYHeader.parse(Array(bytes[prefixSize..<dataStart]))
        } catch .structuredDType {
            throw fail(.unsupportedDType, "structured dtypes are not supported")
        } catch .malformed(let reason) {
            throw fail(.malformedHeader, reason)
        }
        guard !header.fortranOrder else {
            throw fail(.unsupportedLayout, "fortran_order is True; only C order is supported (save np.ascontiguousarray(a))")
        }
        let itemSize: Int
        switch header.descr {
        case "<f4", "<i4": itemSize = 4
        case "<f8", "<i8": itemSize = 8
        case "<f2": itemSize = 2
        default:
            throw fail(.unsupportedDType, "dtype '\(header.descr)'; this reader knows <f4, <f8, <f2, <i4 and <i8")
        }
        let shapeText = NPYHeader.tupleText(header.shape)
        guard let count = elementCount(header.shape), let byteCount = elementCount([count, itemSize]) else {
            throw fail(.malformedHeader, "shape \(shapeText) has more elements than can be addressed")
        }
        let available = bytes.count - dataStart
        guard available >= byteCount else {
            throw fail(.truncatedData, "shape \(shapeText) of \(header.descr) needs \(byteCount) bytes of data, the file has \(available)")
        }
        guard available == byteCount else {
            throw fail(.trailingData, "shape \(shapeText) of \(header.descr) needs \(byteCount) bytes of data, the file has \(available)")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
        let storage: Storage
        switch header.descr {
        case "<f4": storage = .float32(copyElements(data, count: count))
        case "<i4": storage = .int32(copyElements(data, count: count))
        case "<i8": storage = .int64(copyElements(data, count: count))
        case "<f8":
            storage = .float32((0..<count).map { Float(data.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) })
        default:  // "<f2"
            storage = .float32([Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                ReducedFloatFormat.float16.decode(data, into: buffer)
                initialized = count
            })
        }
        return NPYArray(shape: header.shape, storage: storage)
    }

    /// Copies `count` little-endian elements out of possibly unaligned bytes.
    static func copyElements<Element: BitwiseCopyable>(_ data: UnsafeRawBufferPointer, count: Int) -> [Element] {
        [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: data[..<(count * MemoryLayout<Element>.stride)]))
            }
            initialized = count
        }
    }
}

// MARK: - Writing

extension NPYArray {
    /// The complete bytes of the `.npy` file for this array, as `numpy.save` writes them.
    ///
    /// - Precondition: `storage.count` equals the product of `shape`.
    public func encoded() -> [UInt8] {
        precondition(
            shape.allSatisfy { $0 >= 0 } && Self.elementCount(shape) == storage.count,
            "NPYArray: shape \(shape) does not match \(storage.count) elements")
        var dict = Array(NPYHeader(descr: storage.descr, fortranOrder: false, shape: shape).dictText.utf8)
        // numpy.lib.format._write_array_header leaves room for the first dimension to grow to
        // 21 digits (GROWTH_AXIS_MAX_DIGITS), so that appending can rewrite the header in place.
        if let first = shape.first {
            dict += repeatElement(UInt8(ascii: " "), count: max(0, 21 - String(first).count))
        }
        // numpy.lib.format._wrap_header: pad with spaces, end with "\n", so that magic, version,
        // length and header together are a multiple of 64 bytes (ARRAY_ALIGN).
        var lengthFieldSize = 2
        var padding = 64 - (6 + 2 + lengthFieldSize + dict.count + 1) % 64
        if dict.count + padding + 1 > Int(UInt16.max) {
            lengthFieldSize = 4
            padding = 64 - (6 + 2 + lengthFieldSize + dict.count + 1) % 64
        }
        let headerLength = dict.count + padding + 1
        var bytes = Self.magic
        bytes += lengthFieldSize == 2 ? [1, 0] : [2, 0]
        if lengthFieldSize == 2 {
            withUnsafeBytes(of: UInt16(headerLength).littleEndian) { bytes += $0 }
        } else {
            withUnsafeBytes(of: UInt32(headerLength).littleEndian) { bytes += $0 }
        }
        bytes += dict
        bytes += repeatElement(UInt8(ascii: " "), count: padding)
        bytes.append(UInt8(ascii: "\n"))
        switch storage {
        case .float32(let values): values.withUnsafeBytes { bytes += $0 }
        case .int32(let values): values.withUnsafeBytes { bytes += $0 }
        case .int64(let values): values.withUnsafeBytes { bytes += $0 }
        }
        return bytes
    }

    /// Writes this array to `path` as a `.npy` file, atomically (see ``AtomicFile``).
    ///
    /// The result loads with `numpy.load` and is byte-identical to what `numpy.save` writes.
    ///
    /// - Throws: ``FormatError`` with code `.writeFailed`.
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }
}
