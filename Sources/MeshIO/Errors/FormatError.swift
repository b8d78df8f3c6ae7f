/// A file that cannot be read or written as the format it claims to be.
///
/// Every failure of the readers and writers in this module is a `FormatError`: it carries a
/// ``Code`` that a caller can match, the path of the file concerned and a detail that says what
/// was expected and what was found. Its ``description`` is one line, `path: problem: detail`,
/// which is what the CLI prints before exiting with status 2.
///
/// `Code` is a struct rather than an enum (as swift-nio's `FileSystemError.Code`), so that new
/// codes can be added without breaking callers that switch over the existing ones.
public struct FormatError: InputError, Hashable {
    /// What kind of problem was found.
    ///
    /// Compare with the static members (`error.code == .truncatedData`); the set of codes may
    /// grow.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case missingFile
            case unreadableFile
            case writeFailed
            case badMagic
            case unsupportedVersion
            case malformedHeader
            case unsupportedDType
            case unsupportedLayout
            case truncatedData
            case trailingData
            case invalidOffsets
            case missingTensor
            case duplicateTensor
            case shapeMismatch
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The file (or a shard named by an index) does not exist.
        public static let missingFile = Code(.missingFile)
        /// The file exists but cannot be opened, mapped or read (a directory, no permission...).
        public static let unreadableFile = Code(.unreadableFile)
        /// An output file could not be created, written or moved into place.
        public static let writeFailed = Code(.writeFailed)
        /// The file does not start with the magic bytes of its format.
        public static let badMagic = Code(.badMagic)
        /// The file declares a format version this reader does not know.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The header is not the structure the format prescribes (bad JSON, missing keys,
        /// wrong types, an impossible header length).
        public static let malformedHeader = Code(.malformedHeader)
        /// The element type is well-formed but not one this module reads.
        public static let unsupportedDType = Code(.unsupportedDType)
        /// The memory layout is not supported (a Fortran-ordered `.npy`).
        public static let unsupportedLayout = Code(.unsupportedLayout)
        /// The file ends before the data its header announces.
        public static let truncatedData = Code(.truncatedData)
        /// The file goes on after the data its header announces.
        public static let trailingData = Code(.trailingData)
        /// A tensor's byte offsets are outside the data section, overlap another tensor's, leave
        /// a gap, or do not match its shape and dtype.
        public static let invalidOffsets = Code(.invalidOffsets)
        /// A tensor that was asked for is not in the file or checkpoint.
        public static let missingTensor = Code(.missingTensor)
        /// A tensor name occurs twice (in one header, or in two shards).
        public static let duplicateTensor = Code(.duplicateTensor)
        /// A tensor exists but its shape is not the one the caller expected.
        public static let shapeMismatch = Code(.shapeMismatch)

        /// The code in a few words, as it appears in ``FormatError/description``.
        public var description: String {
            switch wrapped {
            case .missingFile: "missing file"
            case .unreadableFile: "unreadable file"
            case .writeFailed: "write failed"
            case .badMagic: "bad magic"
            case .unsupportedVersion: "unsupported version"
            case .malformedHeader: "malformed header"
            case .unsupportedDType: "unsupported dtype"
            case .unsupportedLayout: "unsupported layout"
            case .truncatedData: "truncated data"
            case .trailingData: "trailing data"
            case .invalidOffsets: "invalid offsets"
            case .missingTensor: "missing tensor"
            case .duplicateTensor: "duplicate tensor"
            case .shapeMismatch: "shape mismatch"
            }
        }
    }

    /// What kind of problem this is.
    public var code: Code
    /// The file the problem is in (for a checkpoint, its folder or index when no single file is
    /// to blame).
    public var path: String
    /// What was expected and what was found, in words.
    public var detail: String

    /// Creates an error about the file at `path`.
    ///
    /// - Parameters:
    ///   - code: What kind of problem this is.
    ///   - path: The file concerned.
    ///   - detail: What was expected and what was found; newlines are escaped when printed.
    public init(_ code: Code, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    /// One line, `path: problem: detail`.
    ///
    /// Control characters in the path or detail (which may quote file contents) are escaped, so
    /// the line never breaks.
    public var description: String {
        Self.oneLine("\(path): \(code): \(detail)")
    }

    static func oneLine(_ text: String) -> String {
        var line = ""
        line.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                line += "\\u{\(String(scalar.value, radix: 16))}"
            default: line.unicodeScalars.append(scalar)
            }
        }
        return line
    }
}
