import Foundation
import MeshMPI

extension JobContext {
    /// Every rank's `bytes` on rank 0, index = rank; nil on the other ranks.
    ///
    /// The sizes go first, point to point (so that a rank that never sends is named), then the
    /// bytes in one `MPI_Ialltoallv` towards rank 0, waited on with the step timeout.
    ///
    /// - Throws: ``PeerTimeout``; `MPIRuntimeError` for more than 2 GiB from one rank.
    public func gather(bytes: [UInt8], phase: String) throws -> [[UInt8]]? {
        guard bytes.count <= Int(Int32.max) else {
            throw MPIRuntimeError(code: .invalidArgument, operation: phase, message: "\(bytes.count) B from rank \(rank) exceed 2 GiB")
        }
        var sizes = Array(repeating: Int32(0), count: ranks)
        sizes[0] = Int32(bytes.count)
        let announced = try exchange(sizes, phase: phase)
        let recvCounts = rank == 0 ? announced : Array(repeating: 0, count: ranks)
        let recvOffsets = try Communicator.packedDisplacements(for: recvCounts)
        let request = try world.ialltoallv(
            sending: MPIBuffer(bytes), sendCounts: sizes, sendDisplacements: Array(repeating: 0, count: ranks),
            receivingInto: MPIBuffer(count: Int(recvCounts.reduce(0, +))), recvCounts: recvCounts, recvDisplacements: recvOffsets)
        let exchanged: MPIExchange<UInt8>
        do {
            exchanged = try request.wait(timeoutSeconds: timeoutSeconds)
        } catch is MPITimeoutError {
            throw timeout(in: "\(phase) (MPI_Ialltoallv to rank 0)", suspects: rank == 0 ? Array(1..<ranks) : [0])
        }
        logger.debug("\(phase): sent \(bytes.count) B to rank 0")
        guard rank == 0 else { return nil }
        return exchanged.received.withUnsafeBufferPointer { all in
            (0..<ranks).map { Array(all[Int(recvOffsets[$0])..<Int(recvOffsets[$0] + recvCounts[$0])]) }
        }
    }

    /// Every rank's `values` on rank 0, index = rank, exactly (raw bytes); nil on the other ranks.
    public func gather(doubles values: [Double], phase: String) throws -> [[Double]]? {
        try gather(bytes: values.withUnsafeBytes { Array($0) }, phase: phase)?.map { bytes in
            bytes.withUnsafeBytes { raw in (0..<(raw.count / 8)).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) } }
        }
    }

    /// Every rank's `value` on rank 0, index = rank, as JSON on the wire; nil on the other ranks.
    ///
    /// For typed records (a rank's result, its step records and trace spans); bulk values (the
    /// outputs) go through ``gather(doubles:phase:)``.
    public func gather<Record: Codable>(_ value: Record, phase: String) throws -> [Record]? {
        // Infinities and NaN too, as text: a measurement may be one.
        let encoder = JSONEncoder(), decoder = JSONDecoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try gather(bytes: Array(try encoder.encode(value)), phase: phase)?.map {
            try decoder.decode(Record.self, from: Data($0))
        }
    }
}
