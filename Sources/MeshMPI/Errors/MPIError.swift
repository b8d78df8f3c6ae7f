internal import CMPI

/// An error code returned by an MPI call, with the text MPI gives for it.
///
/// MeshMPI sets `MPI_ERRORS_RETURN` on the world communicator (communicators split from it inherit
/// the handler), so a failing call returns its code instead of aborting the job. Every wrapper checks
/// that code and throws it as an `MPIError`, the way swift-system's `Errno` carries `errno`.
/// Equality and hashing look at the code only, so `catch let error as MPIError where error == .rank`
/// works whatever operation failed.
public struct MPIError: Error, RawRepresentable, Hashable, CustomStringConvertible, Sendable {
    /// The MPI error code: an `MPI_ERR_*` class or an Open MPI specific code.
    public let rawValue: Int32

    /// The MPI call that failed, with its peer where there is one, such as `MPI_Send(to: 5, tag: 0)`.
    ///
    /// Empty for an error built from a bare code with `init(rawValue:)`.
    public let operation: String

    /// The text `MPI_Error_string` gives for `rawValue`, such as `MPI_ERR_RANK: invalid rank`.
    public let message: String

    /// Creates the error for an MPI error code, looking its text up with `MPI_Error_string`.
    public init(rawValue: Int32) {
        self.init(code: rawValue, operation: "")
    }

    init(code: Int32, operation: String) {
        self.rawValue = code
        self.operation = operation
        self.message = MPIError.text(for: code)
    }

    public var description: String {
        let what = operation.isEmpty ? "MPI call" : operation
        return "\(what) failed: \(message) (MPI error \(rawValue))"
    }

    public static func == (lhs: MPIError, rhs: MPIError) -> Bool { lhs.rawValue == rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// Asks MPI for the text of an error code.
    ///
    /// Open MPI fills its error-string table in `MPI_Init`, so before initialisation or after
    /// finalisation the text is a placeholder naming the code instead.
    private static func text(for code: Int32) -> String {
        guard MPILifecycle.isActive else {
            return "MPI error code \(code) (no text: MPI is not initialised)"
        }
        // MPI_MAX_ERROR_STRING is 256 in Open MPI 4.1 (OPAL_MAX_ERROR_STRING); one more for the NUL.
        var bytes = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        let rc = bytes.withUnsafeMutableBufferPointer { MPI_Error_string(code, $0.baseAddress, &length) }
        guard rc == MPI_SUCCESS, length > 0 else {
            return "MPI error code \(code) (MPI_Error_string failed with \(rc))"
        }
        let end = min(Int(length), bytes.count - 1)
        return String(decoding: bytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension MPIError {
    /// `MPI_ERR_BUFFER`: an invalid buffer pointer.
    public static var buffer: MPIError { MPIError(rawValue: MPI_ERR_BUFFER) }
    /// `MPI_ERR_COUNT`: an invalid count argument.
    public static var count: MPIError { MPIError(rawValue: MPI_ERR_COUNT) }
    /// `MPI_ERR_TYPE`: an invalid datatype.
    public static var type: MPIError { MPIError(rawValue: MPI_ERR_TYPE) }
    /// `MPI_ERR_TAG`: an invalid tag.
    public static var tag: MPIError { MPIError(rawValue: MPI_ERR_TAG) }
    /// `MPI_ERR_COMM`: an invalid communicator.
    public static var communicator: MPIError { MPIError(rawValue: MPI_ERR_COMM) }
    /// `MPI_ERR_RANK`: a rank outside the communicator.
    public static var rank: MPIError { MPIError(rawValue: MPI_ERR_RANK) }
    /// `MPI_ERR_REQUEST`: an invalid request.
    public static var request: MPIError { MPIError(rawValue: MPI_ERR_REQUEST) }
    /// `MPI_ERR_TRUNCATE`: a message longer than the receive buffer.
    public static var truncate: MPIError { MPIError(rawValue: MPI_ERR_TRUNCATE) }
    /// `MPI_ERR_ARG`: an invalid argument of another kind.
    public static var argument: MPIError { MPIError(rawValue: MPI_ERR_ARG) }
    /// `MPI_ERR_OTHER`: a known error not in this list.
    public static var other: MPIError { MPIError(rawValue: MPI_ERR_OTHER) }
    /// `MPI_ERR_INTERN`: an internal MPI error.
    public static var `internal`: MPIError { MPIError(rawValue: MPI_ERR_INTERN) }
}

/// Runs one MPI call and throws its return code as an `MPIError` unless it is `MPI_SUCCESS`.
///
/// Refuses to call MPI at all when it is not initialised or already finalised: Open MPI aborts the
/// process for such calls, whatever the error handler, so the check turns that into a thrown error.
///
/// - Parameters:
///   - operation: The name shown in the error, such as `MPI_Send(to: 5, tag: 0)`; only built on failure.
///   - body: The call; returns the MPI return code.
@inline(__always)
func mpiCall(_ operation: @autoclosure () -> String, _ body: () -> Int32) throws {
    try MPILifecycle.requireActive(operation())
    let rc = body()
    if rc != MPI_SUCCESS {
        throw MPIError(code: rc, operation: operation())
    }
}
