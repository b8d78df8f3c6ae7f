import MeshMPI
import Testing

extension WorldOfOne {
    @Suite("Timeouts and dropped requests")
    @MainActor
    struct TimeoutTests {
        @Test("A receive nobody sends to times out on time and is cancelled")
        func receiveTimesOut() throws {
            let world = try WorldOfOne.world()
            let abandonedBefore = MPIDiagnostics.abandonedRequestCount
            let receive = try world.irecv(Int32.self, count: 4, from: 0, tag: 99)
            let clock = ContinuousClock()
            let start = clock.now
            do {
                _ = try receive.wait(timeoutSeconds: 0.2)
                Issue.record("a receive with no matching send completed")
            } catch let error as MPITimeoutError {
                #expect(error.operation.contains("MPI_Irecv"))
                #expect(error.peer == 0)
                #expect(error.timeoutSeconds == 0.2)
                #expect(error.elapsedSeconds >= 0.2)
                #expect(error.cleanup == .cancelled)
                #expect(error.description.contains("did not complete within 0.200 s"))
            }
            let elapsed = clock.now - start
            #expect(elapsed >= .milliseconds(200))
            // Generous: the machine is shared with other builds.
            #expect(elapsed < .seconds(5))
            #expect(MPIDiagnostics.abandonedRequestCount == abandonedBefore)

            // The cancelled receive must not take the next message with its tag.
            try world.send([Int32(5)], to: 0, tag: 99)
            let received = try world.irecv(Int32.self, count: 4, from: 0, tag: 99).wait(timeoutSeconds: 5)
            #expect(received.elements == [5])
        }

        @Test("A receive dropped without wait is cancelled, not leaked")
        func droppedReceiveIsCancelled() throws {
            let world = try WorldOfOne.world()
            let abandonedBefore = MPIDiagnostics.abandonedRequestCount
            do {
                let pending = try world.irecv(Float.self, count: 1, from: 0, tag: 123)
                _ = consume pending
            }
            #expect(MPIDiagnostics.abandonedRequestCount == abandonedBefore)
            try world.send([Float(2)], to: 0, tag: 123)
            let received = try world.irecv(Float.self, count: 1, from: 0, tag: 123).wait(timeoutSeconds: 5)
            #expect(received.elements == [2])
        }

        @Test("A send MPI cannot cancel is abandoned: its buffer is leaked, not freed")
        func uncancellableSendIsAbandoned() throws {
            let world = try WorldOfOne.world()
            let requestsBefore = MPIDiagnostics.abandonedRequestCount
            let bytesBefore = MPIDiagnostics.abandonedByteCount
            // 1 MiB to self goes by rendezvous: it waits for a receive, and Open MPI cannot cancel sends.
            let byteCount = 1 << 20
            let send = try world.isend(MPIBuffer<UInt8>(repeating: 0x5A, count: byteCount), to: 0, tag: 500)
            do {
                try send.wait(timeoutSeconds: 0.05)
                Issue.record("a rendezvous send with no receive completed")
            } catch let error as MPITimeoutError {
                #expect(error.cleanup == .abandoned)
                #expect(error.peer == 0)
            }
            #expect(MPIDiagnostics.abandonedRequestCount == requestsBefore + 1)
            #expect(MPIDiagnostics.abandonedByteCount == bytesBefore + byteCount)
            // The leaked buffer is still valid, so the send can still be matched and delivered.
            let received = try world.irecv(UInt8.self, count: byteCount, from: 0, tag: 500).wait(timeoutSeconds: 10)
            #expect(received.status.count == byteCount)
            #expect(received.buffer[0] == 0x5A && received.buffer[byteCount - 1] == 0x5A)
        }

        @Test("A wait refuses a timeout that is negative or not finite")
        func invalidTimeout() throws {
            let world = try WorldOfOne.world()
            let receive = try world.irecv(Int32.self, count: 1, from: 0, tag: 77)
            do {
                _ = try receive.wait(timeoutSeconds: .nan)
                Issue.record("a NaN timeout was accepted")
            } catch let error as MPIRuntimeError {
                #expect(error.code == .invalidArgument)
            }
        }
    }
}
