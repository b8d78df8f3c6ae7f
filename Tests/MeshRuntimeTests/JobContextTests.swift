import Foundation
import MeshMPI
import Synchronization
import Testing
@testable import MeshRuntime

/// The job's bounded waits and typed gather, in a world of one (the test process is its own
/// MPI singleton; mpirun runs the multi-rank forms from the test script).
///
/// On the main actor, as MeshMPITests are: every MPI call comes from the thread that started MPI.
@Suite("JobContext in a world of one", .serialized)
@MainActor
struct JobContextTests {
    func job(timeoutSeconds: Double = 5) throws -> JobContext {
        JobContext(world: try MPIEnvironment.shared(threadLevel: .funneled).world, command: "test",
                   timeoutSeconds: timeoutSeconds, fault: nil, processorName: "here")
    }

    @Test("doubles come back exactly, bit for bit")
    func gatherDoubles() throws {
        let values: [Double] = [.pi, -0.0, .leastNonzeroMagnitude, 1e300, -7]
        let gathered = try #require(try job().gather(doubles: values, phase: "a test"))
        #expect(gathered.count == 1)
        #expect(gathered[0].map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try job().gather(doubles: [], phase: "a test") == [[]])
    }

    @Test("a rank's typed record comes back with every field, infinities included")
    func gatherRecord() throws {
        let result = RankResult(weightBytes: 9_510_000, residentBytes: 62_080_000, clockOffsetSeconds: 1234.5678901234,
                                runSeconds: 0.25, wireMaxAbsoluteError: .infinity, wireMaxMagnitude: 3)
        #expect(try job().gather(result, phase: "a test") == [result])
    }

    @Test("agreement, reductions, gathers and barriers complete within the deadline")
    func boundedWaits() throws {
        let job = try job()
        try job.agree("the first phase")
        #expect(job.phase == "the first phase")
        #expect(try job.allreduce(Int32(4), op: .max, phase: "a test") == 4)
        #expect(try job.allreduce([1.5, 2], op: .sum, phase: "a test") == [1.5, 2])
        #expect(try job.allgather([UInt8(7), 8], phase: "a test") == [7, 8])
        try job.barrier("a test")
    }

    @Test("a wait that runs out names the rank, the peer, the phase and the operation")
    func timeoutNamesThePeer() throws {
        let job = try job(timeoutSeconds: 0.05)
        #expect {
            try job.bounded("waiting for a message nobody sends") { world, timeout in
                _ = try world.irecv(Int32.self, count: 1, from: 0, tag: 4242).wait(timeoutSeconds: timeout)
            }
        } throws: { error in
            guard let timeout = error as? PeerTimeout else { return false }
            return timeout.peer == 0 && timeout.rank == 0
                && "\(timeout)".hasPrefix("rank 0: timed out after 0.05 s waiting for rank 0 in waiting for a message nobody sends (MPI_Irecv")
        }
    }
}

/// The watchdog of blocking calls fires once for a call that outlasts its deadline, never for one
/// that returns in time.
@Suite struct BlockingWatchdogTests {
    final class Fired: Sendable {
        let names = Mutex<[String]>([])
    }

    @Test func firesOnlyPastTheDeadline() throws {
        let fired = Fired()
        let watchdog = BlockingWatchdog { what in fired.names.withLock { $0.append(what) } }
        watchdog.guarding("quick", timeoutSeconds: 5) { Thread.sleep(forTimeInterval: 0.05) }
        watchdog.guarding("stuck", timeoutSeconds: 0.05) { Thread.sleep(forTimeInterval: 0.3) }
        Thread.sleep(forTimeInterval: 0.1)
        #expect(fired.names.withLock { $0 } == ["stuck"])
    }
}
