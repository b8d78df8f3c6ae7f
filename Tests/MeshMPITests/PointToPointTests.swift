import MeshMPI
import Testing

extension WorldOfOne {
    @Suite("Point to point")
    @MainActor
    struct PointToPointTests {
        @Test("isend and irecv to self deliver the values with source, tag and count")
        func isendIrecvToSelf() throws {
            let world = try WorldOfOne.world()
            let receive = try world.irecv(Float.self, count: 8, from: 0, tag: 7)
            let send = try world.isend([Float(1.5), 2.5, -3], to: 0, tag: 7)
            let received = try receive.wait(timeoutSeconds: 5)
            let sent = try send.wait(timeoutSeconds: 5)
            #expect(received.status.source == 0)
            #expect(received.status.tag == 7)
            #expect(received.status.count == 3)
            #expect(received.elements == [1.5, 2.5, -3])
            #expect(Array(sent) == [1.5, 2.5, -3])
        }

        @Test("test() reports completion before wait")
        func testBeforeWait() throws {
            let world = try WorldOfOne.world()
            var receive = try world.irecv(into: MPIBuffer<Int64>(count: 1), from: Communicator.anySource, tag: 3)
            #expect(try !receive.test())
            try world.isend([Int64(42)], to: 0, tag: 3).wait(timeoutSeconds: 5)
            var completed = false
            for _ in 0..<100_000 where !completed { completed = try receive.test() }
            #expect(completed)
            let received = try receive.wait(timeoutSeconds: 0)
            #expect(received.elements == [42])
        }

        @Test("A message longer than the receive buffer fails with MPI_ERR_TRUNCATE")
        func truncation() throws {
            let world = try WorldOfOne.world()
            // Send first: Open MPI 4.1.4 does not flag truncation of a message from self that
            // lands in a receive posted before it (self BTL); between ranks, and for a message
            // that is already waiting, MPI_Test returns MPI_ERR_TRUNCATE.
            let send = try world.isend([Int32(1), 2, 3], to: 0, tag: 11)
            let receive = try world.irecv(Int32.self, count: 2, from: 0, tag: 11)
            do {
                _ = try receive.wait(timeoutSeconds: 5)
                Issue.record("a 3-element message fit a 2-element buffer")
            } catch let error as MPIError {
                #expect(error == .truncate)
                #expect(error.operation == "MPI_Irecv(from: 0, tag: 11)")
            }
            try send.wait(timeoutSeconds: 5)
        }

        @Test("Blocking send and recv to self, small enough to be buffered")
        func blockingSendRecv() throws {
            let world = try WorldOfOne.world()
            try world.send([UInt16(0xBEEF), 1], to: 0, tag: 5)
            let received = try world.recv(UInt16.self, maxCount: 4, from: 0, tag: 5)
            #expect(received == [0xBEEF, 1])
        }

        @Test("isend to an invalid rank throws and frees the buffer it was given")
        func isendInvalidRank() throws {
            let world = try WorldOfOne.world()
            let abandonedBefore = MPIDiagnostics.abandonedRequestCount
            #expect(throws: MPIError.rank) { _ = try world.isend([Float(1)], to: 5) }
            #expect(MPIDiagnostics.abandonedRequestCount == abandonedBefore)
        }
    }
}
