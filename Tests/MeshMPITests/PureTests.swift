import MeshMPI
import Testing

/// Tests of MeshMPI code that never calls MPI.
@Suite("MeshMPI without MPI")
struct PureTests {
    @Test("Packed displacements are the exclusive prefix sum of counts")
    func packedDisplacements() throws {
        #expect(try Communicator.packedDisplacements(for: [2, 0, 3]) == [0, 2, 2])
        #expect(try Communicator.packedDisplacements(for: []) == [])
        #expect(throws: MPIRuntimeError.self) { _ = try Communicator.packedDisplacements(for: [1, -1]) }
        #expect(throws: MPIRuntimeError.self) { _ = try Communicator.packedDisplacements(for: [.max, 1]) }
    }

    @Test("MPIBuffer starts zeroed, indexes, and copies to an array")
    func buffer() {
        var buffer = MPIBuffer<Int32>(count: 3)
        #expect(Array(buffer) == [0, 0, 0])
        buffer[1] = 9
        #expect(buffer[1] == 9)
        #expect(buffer.count == 3)
        #expect(buffer.byteCount == 12)
        #expect(Array(MPIBuffer<UInt16>([1, 2, 3]), prefix: 2) == [1, 2])
        #expect(Array(MPIBuffer<Float>(repeating: 0.5, count: 2)) == [0.5, 0.5])
        #expect(MPIBuffer<Int64>(count: 0).count == 0)
    }
}
