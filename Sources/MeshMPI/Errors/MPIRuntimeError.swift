/// A failure MeshMPI detects itself, before or around an MPI call.
///
/// Bad arguments are caught here before MPI sees them wherever MPI would otherwise read or write
/// out of bounds (counts, displacements and buffer sizes). Shaped like swift-subprocess's error: a
/// `Code` to switch on, the operation and a message, so new codes do not break callers.
public struct MPIRuntimeError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a value callers can compare against.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidArgument
            case alreadyInitialized
            case alreadyFinalized
            case notInitialized
            case threadLevelUnavailable
            case selfCheckMismatch
        }

        private let value: Value

        private init(_ value: Value) { self.value = value }

        /// An argument MPI would misuse: a count that does not fit a C `int`, a displacement past
        /// the end of a buffer, a counts array of the wrong length.
        public static let invalidArgument = Code(.invalidArgument)
        /// MPI is already initialised in this process, so it cannot be initialised again.
        public static let alreadyInitialized = Code(.alreadyInitialized)
        /// MPI was finalised in this process; MPI cannot be initialised a second time.
        public static let alreadyFinalized = Code(.alreadyFinalized)
        /// An MPI call was attempted while MPI is not initialised (or after it was finalised).
        public static let notInitialized = Code(.notInitialized)
        /// MPI provides a lower thread level than the one requested.
        public static let threadLevelUnavailable = Code(.threadLevelUnavailable)
        /// `MPISelfCheck` received a value other than the one it expected.
        public static let selfCheckMismatch = Code(.selfCheckMismatch)

        public var description: String {
            switch value {
            case .invalidArgument: "invalid argument"
            case .alreadyInitialized: "already initialised"
            case .alreadyFinalized: "already finalised"
            case .notInitialized: "not initialised"
            case .threadLevelUnavailable: "thread level unavailable"
            case .selfCheckMismatch: "self-check mismatch"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// The operation that failed, such as `alltoallv`.
    public var operation: String
    /// What was expected and what was found.
    public var message: String

    public init(code: Code, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(code): \(message)" }
}
