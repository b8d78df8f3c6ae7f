/// A text input file whose content is wrong: the file, the line (1-based) and what is wrong.
///
/// The one error of the line-oriented loaders (the load statistics CSV, the serving trace CSV).
/// The description is one line, `FILE: line N: detail`, or `FILE: detail` for a problem of the
/// whole file (a layer or expert without a row, no request at all). A file that cannot be read
/// at all is an ``InputFileError``.
public struct TextLineError: InputError, Equatable {
    public var file: String
    /// The line the problem is on, 1-based; nil when no single line is to blame.
    public var line: Int?
    /// What was expected and what was found.
    public var detail: String

    public init(file: String, line: Int?, detail: String) {
        self.file = file
        self.line = line
        self.detail = detail
    }

    public var description: String { "\(file): \(line.map { "line \($0): " } ?? "")\(detail)" }
}
