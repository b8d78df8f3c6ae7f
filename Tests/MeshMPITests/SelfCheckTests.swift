import MeshMPI
import Testing

extension WorldOfOne {
    @Suite("Self-check")
    @MainActor
    struct SelfCheckTests {
        @Test("MPISelfCheck passes in a world of one and leaks nothing")
        func selfCheck() throws {
            let world = try WorldOfOne.world()
            let abandonedBefore = MPIDiagnostics.abandonedRequestCount
            let summary = try MPISelfCheck.run(on: world)
            #expect(summary.hasPrefix("MPI self-check passed: 1 ranks"))
            #expect(MPIDiagnostics.abandonedRequestCount == abandonedBefore)
        }
    }
}
