/// Checks of the counts and displacements of an all-to-all exchange before MPI reads them.
///
/// MPI trusts these arrays: a counts array shorter than the communicator, or a displacement past
/// the end of the buffer, makes it read or write outside the buffer. Checking them here turns
/// that into a thrown `MPIRuntimeError` with the offending peer.
enum ExchangeLayout {
    /// Throws unless `counts` and `displacements` describe `ranks` regions inside a buffer.
    ///
    /// - Parameters:
    ///   - counts: Elements for each peer; `ranks` entries, none negative.
    ///   - displacements: Offset in elements of each peer's region; `ranks` entries, none negative.
    ///   - bufferCount: The buffer's length in elements.
    ///   - ranks: The communicator's size.
    ///   - side: `send` or `recv`, for the message.
    ///   - operation: The operation, for the message.
    static func validate(
        counts: [Int32], displacements: [Int32], bufferCount: Int, ranks: Int,
        side: String, operation: String
    ) throws {
        guard counts.count == ranks, displacements.count == ranks else {
            throw MPIRuntimeError(
                code: .invalidArgument, operation: operation,
                message: "\(side)Counts has \(counts.count) entries and \(side)Displacements "
                    + "\(displacements.count); the communicator has \(ranks) ranks")
        }
        for peer in 0..<ranks {
            let count = Int(counts[peer])
            let displacement = Int(displacements[peer])
            guard count >= 0, displacement >= 0 else {
                throw MPIRuntimeError(
                    code: .invalidArgument, operation: operation,
                    message: "\(side)Counts[\(peer)] = \(count) and \(side)Displacements[\(peer)] = "
                        + "\(displacement) must not be negative")
            }
            guard count == 0 || displacement + count <= bufferCount else {
                throw MPIRuntimeError(
                    code: .invalidArgument, operation: operation,
                    message: "\(side)Displacements[\(peer)] + \(side)Counts[\(peer)] = "
                        + "\(displacement) + \(count) exceeds the \(side) buffer of \(bufferCount) elements")
            }
        }
    }

    /// The smallest buffer length that holds every region, in elements.
    static func extent(counts: [Int32], displacements: [Int32]) -> Int {
        var end = 0
        for (count, displacement) in zip(counts, displacements) where count > 0 {
            end = max(end, Int(displacement) + Int(count))
        }
        return end
    }
}

extension Communicator {
    /// The displacements that pack regions of `counts` elements back to back, starting at 0.
    ///
    /// The exclusive prefix sum of `counts`: `[2, 0, 3]` gives `[0, 2, 2]`.
    ///
    /// - Throws: `MPIRuntimeError` with `.invalidArgument` for a negative count, or when the total
    ///   does not fit the C `int` MPI takes for displacements.
    public static func packedDisplacements(for counts: [Int32]) throws -> [Int32] {
        var displacements = [Int32]()
        displacements.reserveCapacity(counts.count)
        var offset: Int32 = 0
        for (peer, count) in counts.enumerated() {
            guard count >= 0 else {
                throw MPIRuntimeError(
                    code: .invalidArgument, operation: "packedDisplacements",
                    message: "counts[\(peer)] = \(count) must not be negative")
            }
            displacements.append(offset)
            let (next, overflow) = offset.addingReportingOverflow(count)
            guard !overflow else {
                throw MPIRuntimeError(
                    code: .invalidArgument, operation: "packedDisplacements",
                    message: "the total of counts passes \(Int32.max) at peer \(peer)")
            }
            offset = next
        }
        return displacements
    }

    /// `counts` as the C `int`s MPI takes.
    ///
    /// - Throws: `MPIRuntimeError` with `.invalidArgument` for a count beyond `Int32` (2 GiB of
    ///   bytes in one message), rather than trapping.
    public static func counts32(_ counts: [Int]) throws -> [Int32] {
        try counts.enumerated().map { peer, count in
            guard let narrow = Int32(exactly: count) else {
                throw MPIRuntimeError(code: .invalidArgument, operation: "counts32",
                                      message: "counts[\(peer)] = \(count) does not fit MPI's C int")
            }
            return narrow
        }
    }
}
