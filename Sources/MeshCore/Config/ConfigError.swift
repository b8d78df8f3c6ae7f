import MeshIO

/// A config file that cannot be used, with the field it is about.
///
/// The description is one line: the file, the field path (for example
/// `cluster.placement[2].experts[5]`), what was expected and what was found.
public struct ConfigError: InputError, Equatable {
    /// What kind of problem this is; new codes do not break callers that switch with `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public static let syntax = Code(name: "syntax")
        public static let unknownKey = Code(name: "unknown key")
        public static let missingKey = Code(name: "missing key")
        public static let wrongType = Code(name: "wrong type")
        public static let outOfRange = Code(name: "out of range")
        public static let inconsistent = Code(name: "inconsistent")
        public static let unsupported = Code(name: "unsupported")
        public var description: String { name }
    }

    public var code: Code
    /// The file the problem is in, when known.
    public var file: String?
    /// Dotted field path, for example `model.router.top_groups`; empty for the whole document.
    public var path: String
    public var expected: String
    public var found: String

    public init(_ code: Code, file: String? = nil, path: String, expected: String, found: String) {
        self.code = code
        self.file = file
        self.path = path
        self.expected = expected
        self.found = found
    }

    public var description: String {
        let place = [file, path.isEmpty ? nil : path].compactMap { $0 }.joined(separator: ": ")
        return "\(place.isEmpty ? "config" : place): \(code): expected \(expected), found \(found)"
    }

    /// The same error, attributed to `file`.
    public func inFile(_ file: String) -> ConfigError {
        var copy = self
        copy.file = copy.file ?? file
        return copy
    }
}
