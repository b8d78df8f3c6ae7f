/// The validated header of a safetensors file.
///
/// A file is an 8-byte little-endian header length `N`, `N` bytes of JSON, then the data
/// section. Validation follows the reference implementation (huggingface/safetensors
/// `SafeTensors::read_metadata`): `N` at most 100,000,000; the JSON an object whose
/// `__metadata__` (optional) maps strings to strings and whose other members each have a known
/// `dtype`, a `shape` of non-negative integers and two `data_offsets`; each tensor's byte count
/// equal to its element count × element size; the tensors, sorted by offset, tiling the data
/// section with no gap or overlap and ending exactly at the end of the file.
struct SafeTensorsHeader {
    /// The largest header the reference implementation accepts (`MAX_HEADER_SIZE`).
    static let maximumHeaderLength = 100_000_000

    var tensors: [String: SafeTensorsTensorInfo]
    var metadata: [String: String]
    /// Where the data section starts in the file: 8 + N.
    var dataStart: Int

    /// Parses and validates the header of a whole file held in `bytes`.
    ///
    /// Reads only the first `8 + N` bytes and does not touch the data section, so a mapped
    /// file's tensors are not paged in.
    ///
    /// - Throws: ``FormatError`` naming `path`.
    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> SafeTensorsHeader {
        func fail(_ code: FormatError.Code, _ detail: String) -> FormatError {
            FormatError(code, path: path, detail: detail)
        }
        guard bytes.count >= 8 else {
            throw fail(.truncatedData, "the file is \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(maximumHeaderLength) else {
            throw fail(.malformedHeader, "header length \(declared) exceeds the \(maximumHeaderLength)-byte limit (not a safetensors file?)")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= bytes.count else {
            throw fail(.truncatedData, "header length \(headerLength) goes past the end of the file (\(bytes.count) bytes)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw fail(.malformedHeader, "the header does not start with '{' (not a safetensors file?)")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(headerBytes)
        } catch {
            throw fail(.malformedHeader, "the header is not valid JSON: \(error)")
        }
        guard case .object(let members) = json else {
            throw fail(.malformedHeader, "the header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var tensors: [String: SafeTensorsTensorInfo] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let entries) = value else {
                    throw fail(.malformedHeader, "__metadata__ is \(value.kindName), expected an object of strings")
                }
                for (key, entry) in entries {
                    guard case .string(let text) = entry else {
                        throw fail(.malformedHeader, "__metadata__ entry '\(key)' is \(entry.kindName), expected a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try parseTensor(name, value, fail: fail)
        }

        // The tensors must tile the data section exactly, in offset order.
        let ordered = tensors.sorted {
            ($0.value.dataOffsets.lowerBound, $0.value.dataOffsets.upperBound, $0.key)
                < ($1.value.dataOffsets.lowerBound, $1.value.dataOffsets.upperBound, $1.key)
        }
        var end = 0
        for (name, info) in ordered {
            let offsets = info.dataOffsets
            guard offsets.lowerBound == end else {
                let problem = offsets.lowerBound < end ? "overlaps the previous tensor" : "leaves a gap after the previous tensor"
                throw fail(.invalidOffsets, "tensor '\(name)' data_offsets [\(offsets.lowerBound), \(offsets.upperBound)] \(problem), which ends at \(end)")
            }
            end = offsets.upperBound
        }
        let available = bytes.count - 8 - headerLength
        if end > available {
            let last = ordered.first { $0.value.dataOffsets.upperBound > available }?.key ?? ""
            throw fail(.truncatedData, "the tensors need \(end) bytes of data but the file has \(available): it ends inside tensor '\(last)'")
        }
        if end < available {
            throw fail(.trailingData, "the tensors need \(end) bytes of data but the file has \(available)")
        }
        return SafeTensorsHeader(tensors: tensors, metadata: metadata, dataStart: 8 + headerLength)
    }

    private static func parseTensor(
        _ name: String, _ value: JSONValue, fail: (FormatError.Code, String) -> FormatError
    ) throws -> SafeTensorsTensorInfo {
        guard case .object(let fields) = value else {
            throw fail(.malformedHeader, "entry '\(name)' is \(value.kindName), expected an object")
        }
        guard case .string(let dtypeName)? = fields["dtype"] else {
            throw fail(.malformedHeader, "tensor '\(name)' has no string 'dtype'")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw fail(.unsupportedDType, "tensor '\(name)' has dtype '\(dtypeName)', which this reader does not know")
        }
        guard case .array(let shapeValues)? = fields["shape"],
              case let shape = shapeValues.compactMap(\.integer), shape.count == shapeValues.count,
              shape.allSatisfy({ $0 >= 0 })
        else {
            throw fail(.malformedHeader, "tensor '\(name)' has no 'shape' array of non-negative integers")
        }
        guard case .array(let offsetValues)? = fields["data_offsets"], offsetValues.count == 2,
              let begin = offsetValues[0].integer, let end = offsetValues[1].integer, begin >= 0, end >= 0
        else {
            throw fail(.malformedHeader, "tensor '\(name)' has no 'data_offsets' pair of non-negative integers")
        }
        guard begin <= end else {
            throw fail(.invalidOffsets, "tensor '\(name)' data_offsets [\(begin), \(end)] end before they begin")
        }
        let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        guard let count = NPYArray.elementCount(shape), let byteCount = NPYArray.elementCount([count, dtype.bytesPerElement])
        else {
            throw fail(.malformedHeader, "tensor '\(name)' shape \(shapeText) has more elements than can be addressed")
        }
        guard end - begin == byteCount else {
            throw fail(.invalidOffsets, "tensor '\(name)' data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but shape \(shapeText) of \(dtype.rawValue) needs \(byteCount)")
        }
        return SafeTensorsTensorInfo(dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }
}
