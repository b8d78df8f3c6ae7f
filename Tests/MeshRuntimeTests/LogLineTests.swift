import Logging
import Testing
@testable import MeshRuntime

/// The log line's prefix comes from the metadata, once.
@Suite struct LogLineTests {
    let rank3: Logger.Metadata = [LogKey.rank: "3", LogKey.role: "worker 2", LogKey.phase: "run"]

    @Test func anErrorOfARankSaysTheRankOnce() {
        #expect(LogLine.format(level: .error, message: "no tensor 'x'", metadata: rank3) == "expertmesh: error: rank 3: no tensor 'x'")
        #expect(LogLine.format(level: .error, message: "rank 3: timed out after 3.0 s waiting for rank 2 in x", metadata: rank3)
                == "expertmesh: error: rank 3: timed out after 3.0 s waiting for rank 2 in x")
        // Another rank's name at the start is not this rank's.
        #expect(LogLine.format(level: .error, message: "rank 30: x", metadata: rank3) == "expertmesh: error: rank 3: rank 30: x")
    }

    @Test func aLineOfTheWholeJobHasNoRank() {
        #expect(LogLine.format(level: .error, message: "launch with: mpirun -np 4", metadata: [:])
                == "expertmesh: error: launch with: mpirun -np 4")
        #expect(LogLine.format(level: .critical, message: "x", metadata: [:]) == "expertmesh: error: x")
    }

    @Test func debugLinesNameTheRoleAndPhase() {
        #expect(LogLine.format(level: .debug, message: "layer 1 received 4 records", metadata: rank3)
                == "expertmesh: debug: rank 3 (worker 2, run): layer 1 received 4 records")
        #expect(LogLine.format(level: .info, message: "x", metadata: [LogKey.rank: "0"]) == "expertmesh: info: rank 0: x")
    }
}
