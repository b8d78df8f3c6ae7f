/// Bad input of one domain: a code callers can compare, and the one-line message the user sees.
///
/// Domains whose errors are nothing but a code and a message share this type, each through a
/// caseless tag (`typealias SweepError = CodedInputError<SweepProblem>`) whose codes are declared
/// in an `extension ErrorCode where Domain == Tag`.
public struct CodedInputError<Domain>: InputError, Equatable {
    public typealias Code = ErrorCode<Domain>

    public var code: Code
    /// The one-line message: where (flag, file, point) and what was expected.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
