import Foundation

/// A text input file that cannot be read: missing, unreadable or not UTF-8 text.
///
/// Every loader of a text file (config, placement file, hardware profile, Hugging Face
/// `config.json`, serving trace, load statistics, EPLB plan, sweep file, hostfile) reads it with
/// ``TextFile/read(_:what:)`` and throws this one error when the file itself is the problem; what
/// is wrong inside a file stays each loader's own error. Its ``description`` is one line,
/// `path: problem (expected WHAT)`.
public struct InputFileError: InputError, Hashable {
    /// What kind of problem was found.
    public typealias Code = ErrorCode<InputFileError>

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

extension ErrorCode where Domain == InputFileError {
    /// Nothing at the path.
    public static var notFound: Self { Self("no such file") }
    /// A folder where a file was expected.
    public static var isFolder: Self { Self("a folder, not a file") }
    /// The file exists but cannot be read (permissions, an I/O error).
    public static var unreadable: Self { Self("cannot be read") }
    /// The bytes are not UTF-8 text.
    public static var notText: Self { Self("binary data, not UTF-8 text") }
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
