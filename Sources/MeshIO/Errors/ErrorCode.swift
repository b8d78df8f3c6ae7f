/// The code of a domain error, which callers compare with the domain's static members
/// (`error.code == .notFound`).
///
/// A struct rather than an enum, as swift-subprocess's `SubprocessError.Code` and swift-nio's
/// `FileSystemError.Code`, so that codes can be added without breaking callers; `Domain` (the
/// error type) keeps each error's codes apart. A domain declares its codes in an extension
/// `where Domain == ItsError`.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    /// The code's name, as error messages and logs show it.
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}
