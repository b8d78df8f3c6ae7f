import Foundation

/// A text input file that cannot be read: missing, unreadable or not UTF-8 text.
///
/// Every loader of a text file (config, placement file, hardware profile, Hugging Face
/// `config.json`, serving trace, load statistics, EPLB plan, sweep file, hostfile) reads it with
/// ``TextFile/read(_:what:)`` and throws this one error when the file itself is the problem; what
/// is wrong inside a file stays each loader's own error. Its ``description`` is one line,
/// `path: problem (expected WHAT)`.
public struct InputFileError: InputError, Hashable {
    /// What kind of problem was found (a struct, as swift-subprocess's `SubprocessError.Code`,
    /// so that codes can be added without breaking callers).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// Nothing at the path.
        public static let notFound = Code("no such file")
        /// A folder where a file was expected.
        public static let isFolder = Code("a folder, not a file")
        /// The file exists but cannot be read (permissions, an I/O error).
        public static let unreadable = Code("cannot be read")
        /// The bytes are not UTF-8 text.
        public static let notText = Code("binary data, not UTF-8 text")

        public var description: String { rawValue }
    }

    public var code: Code
    /// The file, as the user gave it (or as resolved against the file that names it).
    public var path: String
    /// What the file should be, e.g. `a config file (YAML)`.
    public var what: String

    public init(_ code: Code, path: String, what: String) {
        self.code = code
        self.path = path
        self.what = what
    }

    public var description: String { "\(path): \(code) (expected \(what))" }
}

/// The one place text input files are read.
public enum TextFile {
    /// The contents of the text file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - what: What it should be, for the error: `a config file (YAML)`.
    /// - Throws: ``InputFileError`` when the file is missing, a folder, unreadable or not UTF-8.
    public static func read(_ path: String, what: String) throws(InputFileError) -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputFileError(.notFound, path: path, what: what)
        }
        if isFolder.boolValue { throw InputFileError(.isFolder, path: path, what: what) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputFileError(.unreadable, path: path, what: what)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputFileError(.notText, path: path, what: what)
        }
        return text
    }
}
