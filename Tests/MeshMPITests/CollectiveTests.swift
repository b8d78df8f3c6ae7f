import MeshMPI
import Testing

extension WorldOfOne {
    @Suite("Collectives")
    @MainActor
    struct CollectiveTests {
        @Test("alltoallv to self moves a Float region between displacements")
        func alltoallvFloatWithDisplacements() throws {
            let world = try WorldOfOne.world()
            let send: [Float] = [10, 20, 30.5, 40.25, 50]
            var receive = [Float](repeating: -1, count: 6)
            try send.withUnsafeBufferPointer { sendBuffer in
                try receive.withUnsafeMutableBufferPointer { receiveBuffer in
                    try world.alltoallv(
                        sending: sendBuffer, sendCounts: [3], sendDisplacements: [2],
                        receivingInto: receiveBuffer, recvCounts: [3], recvDisplacements: [1])
                }
            }
            let expected: [Float] = [-1, 30.5, 40.25, 50, -1, -1]
            #expect(zip(receive, expected).allSatisfy { isClose($0, $1) }, "got \(receive)")
        }

        @Test("alltoallv to self moves raw bytes, counts and displacements in bytes")
        func alltoallvRawBytes() throws {
            let world = try WorldOfOne.world()
            let send = (0..<10).map { UInt8($0) }
            var receive = [UInt8](repeating: 0xAA, count: 8)
            try send.withUnsafeBytes { sendBytes in
                try receive.withUnsafeMutableBytes { receiveBytes in
                    try world.alltoallv(
                        sending: sendBytes, sendCounts: [4], sendDisplacements: [3],
                        receivingInto: receiveBytes, recvCounts: [4], recvDisplacements: [2])
                }
            }
            #expect(receive == [0xAA, 0xAA, 3, 4, 5, 6, 0xAA, 0xAA])
        }

        @Test("alltoallv to self works for every element type")
        func alltoallvEveryElementType() throws {
            let world = try WorldOfOne.world()
            func roundTrip<Element: MPIElement & Equatable>(_ values: [Element]) throws -> Bool {
                let received = try world.alltoallv(
                    values, sendCounts: [Int32(values.count - 1)], sendDisplacements: [1],
                    recvCounts: [Int32(values.count - 1)], recvDisplacements: [0])
                return received == Array(values.dropFirst())
            }
            #expect(try roundTrip([UInt8(1), 2, 255]))
            #expect(try roundTrip([UInt16(1), 0xBEEF, 7]))
            #expect(try roundTrip([Int32(-1), .max, .min]))
            #expect(try roundTrip([Int64(-1), .max, .min]))
            #expect(try roundTrip([Float(0.5), -2.25, 1e30]))
        }

        @Test("alltoallv with a zero count sends nothing and leaves the buffer alone")
        func alltoallvZeroCount() throws {
            let world = try WorldOfOne.world()
            let received = try world.alltoallv(
                [Int32(7)], sendCounts: [0], sendDisplacements: [0], recvCounts: [0], recvDisplacements: [0])
            #expect(received.isEmpty)
        }

        @Test("alltoallv refuses a region past the end of its buffer before calling MPI")
        func alltoallvRejectsOutOfBounds() throws {
            let world = try WorldOfOne.world()
            do {
                _ = try world.alltoallv(
                    [Int32(1), 2], sendCounts: [2], sendDisplacements: [1], recvCounts: [2], recvDisplacements: [0])
                Issue.record("an out-of-bounds send region was accepted")
            } catch let error as MPIRuntimeError {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("sendDisplacements[0]"))
            }
            #expect(throws: MPIRuntimeError.self) {
                _ = try world.alltoallv(
                    [Int32(1)], sendCounts: [1, 0], sendDisplacements: [0, 0], recvCounts: [1], recvDisplacements: [0])
            }
        }

        @Test("allreduce sums, maxes and mins, from arrays, scalars and in place")
        func allreduce() throws {
            let world = try WorldOfOne.world()
            #expect(try world.allreduce([Float(1.5), -2, 3], op: .sum) == [1.5, -2, 3])
            #expect(try world.allreduce([Double(4), 5], op: .max) == [4, 5])
            #expect(try world.allreduce(Int32(-7), op: .min) == -7)
            #expect(try world.allreduce(Int64.max, op: .sum) == .max)
            var inPlace: [Int64] = [3, 1, 4, 1, 5]
            try world.allreduce(inPlace: &inPlace, op: .sum)
            #expect(inPlace == [3, 1, 4, 1, 5])
            let sum = try world.allreduce(Float(0.25), op: .sum)
            #expect(isClose(sum, 0.25))
        }

        @Test("the non-blocking reductions and gathers give what the blocking ones give, within their deadline")
        func boundedCollectives() throws {
            let world = try WorldOfOne.world()
            #expect(try world.iallreduce([Int64(3), -4], op: .max).wait(timeoutSeconds: 5) == [3, -4])
            #expect(try world.allreduce([Float(1.5), -2], op: .sum, timeoutSeconds: 5) == [1.5, -2])
            #expect(try world.allreduce(Int32(7), op: .min, timeoutSeconds: 5) == 7)
            #expect(try world.allgather([Int32(3), 4], timeoutSeconds: 5) == [3, 4])
            #expect(try world.alltoall([Int32(9)], timeoutSeconds: 5) == [9])
            #expect(try world.allgather([Double](), timeoutSeconds: 5).isEmpty)
            #expect(throws: MPIRuntimeError.self) { _ = try world.iallreduce([Int32(1)], op: .sum).wait(timeoutSeconds: .infinity) }
        }

        @Test("allgather and alltoall of counts in a world of one")
        func allgatherAndAlltoall() throws {
            let world = try WorldOfOne.world()
            #expect(try world.allgather([Int32(3), 4]) == [3, 4])
            #expect(try world.alltoall([Int32(9)]) == [9])
        }

        @Test("split makes a new communicator that also returns errors")
        func split() throws {
            let world = try WorldOfOne.world()
            let sub = try world.split(color: 3, key: 0)
            #expect(sub.rank == 0)
            #expect(sub.size == 1)
            #expect(!sub.isWorld)
            #expect(try sub.allreduce(Int32(11), op: .sum) == 11)
            // The split communicator inherited MPI_ERRORS_RETURN: this throws instead of aborting.
            #expect(throws: MPIError.rank) { try sub.send([Int32(1)], to: 5) }
            try sub.free()
            #expect(throws: MPIRuntimeError.self) { try world.free() }
            #expect(throws: MPIRuntimeError.self) { _ = try world.split(color: -1, key: 0) }
        }

        @Test("barrier and ibarrier complete in a world of one")
        func barriers() throws {
            let world = try WorldOfOne.world()
            try world.barrier()
            var request = try world.ibarrier()
            var completed = false
            for _ in 0..<1_000_000 where !completed { completed = try request.test() }
            #expect(completed)
            try request.wait(timeoutSeconds: 0)
        }

        @Test("ialltoallv to self hands both buffers back, the received one filled")
        func ialltoallv() throws {
            let world = try WorldOfOne.world()
            let request = try world.ialltoallv(
                sending: MPIBuffer<Float>([1, 2, 3, 4]), sendCounts: [2], sendDisplacements: [1],
                receivingInto: MPIBuffer<Float>(repeating: -1, count: 3), recvCounts: [2], recvDisplacements: [1])
            #expect(request.operation.contains("MPI_Ialltoallv"))
            let exchange = try request.wait(timeoutSeconds: 5)
            #expect(Array(exchange.sent) == [1, 2, 3, 4])
            #expect(Array(exchange.received) == [-1, 2, 3])

            var bytes = MPIBuffer<UInt8>(count: 6)
            bytes.withUnsafeMutableBytes { raw in
                for index in raw.indices { raw[index] = UInt8(index * 3) }
            }
            let byteExchange = try world.ialltoallv(
                sending: bytes, sendCounts: [4], sendDisplacements: [2],
                receivingInto: MPIBuffer<UInt8>(count: 4), recvCounts: [4], recvDisplacements: [0]
            ).wait(timeoutSeconds: 5)
            #expect(Array(byteExchange.received) == [6, 9, 12, 15])
        }
    }
}
