import MeshMPI
import Testing

extension WorldOfOne {
    @Suite("Environment")
    @MainActor
    struct EnvironmentTests {
        @Test("A singleton process is rank 0 of a world of 1")
        func singletonWorld() throws {
            let environment = try MPIEnvironment.shared()
            #expect(environment.world.rank == 0)
            #expect(environment.world.size == 1)
            #expect(environment.world.isWorld)
            #expect(environment.threadLevel >= .funneled)
        }

        @Test("MPI calls come from the thread that initialised MPI")
        func funneledThread() throws {
            let environment = try MPIEnvironment.shared()
            #expect(try environment.isMainThread())
        }

        @Test("Shared handles join one session; a second owner is refused")
        func initialisedOnce() throws {
            let first = try MPIEnvironment.shared()
            let second = try MPIEnvironment.shared()
            #expect(first.world.size == second.world.size)
            #expect(throws: MPIRuntimeError.self) { _ = try MPIEnvironment(threadLevel: .funneled) }
            do {
                _ = try MPIEnvironment(threadLevel: .funneled)
            } catch let error as MPIRuntimeError {
                #expect(error.code == .alreadyInitialized)
            }
            // Ending a shared handle must leave MPI up for the other tests.
            try second.finalize()
            try first.world.barrier()
        }

        @Test("Wall time advances and the processor has a name")
        func wallTimeAndName() throws {
            let environment = try MPIEnvironment.shared()
            let start = environment.wallTime()
            try environment.world.barrier()
            var later = environment.wallTime()
            while later <= start { later = environment.wallTime() }
            #expect(later > start)
            #expect(!(try environment.processorName()).isEmpty)
        }

        @Test("MPIError compares codes and carries MPI's text")
        func errorEquality() throws {
            _ = try MPIEnvironment.shared()
            let error = MPIError(rawValue: MPIError.truncate.rawValue)
            #expect(error == .truncate)
            #expect(error != .rank)
            #expect(error.message.contains("MPI_ERR_TRUNCATE"))
        }

        @Test("An invalid call throws MPIError with MPI's own text")
        func invalidRankThrows() throws {
            let world = try WorldOfOne.world()
            do {
                try world.send([Float(1)], to: 5, tag: 0)
                Issue.record("send to rank 5 in a world of 1 did not throw")
            } catch let error as MPIError {
                #expect(error == .rank)
                #expect(!error.message.isEmpty)
                // "MPI_ERR_RANK: invalid rank" is MPI_Error_string's text, not MeshMPI's.
                #expect(error.message.contains("MPI_ERR_RANK"))
                #expect(error.description.contains("MPI_Send(to: 5, tag: 0)"))
            }
        }
    }
}
