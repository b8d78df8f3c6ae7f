import Foundation
import MeshCore
import MeshModel
import MeshMPI
import MeshTensor

/// The same bytes as the runtime's exchange with nothing but blocking `MPI_Alltoallv`, from
/// preallocated buffers: per MoE layer, the dispatch matrix, then the combine matrix.
///
/// The baseline's calls stay blocking on purpose: they are what the runtime's non-blocking,
/// deadline-bounded exchange is compared against, and a timed wait around them would change what
/// is measured. Each step starts with a barrier bounded by the step timeout, so that a rank that
/// stopped before the step (in the runtime's exchange, or between steps) is caught there, and
/// runs under the job's watchdog (``JobContext/blocking(_:_:)``), armed outside the timed window,
/// which ends the job when the step's calls outlast the step timeout.
final class RawExchange {
    let job: JobContext
    let world: Communicator
    let layers: [[(send: [Int32], sendOffsets: [Int32], recv: [Int32], recvOffsets: [Int32])]]
    var sendBuffer: [UInt8]
    var recvBuffer: [UInt8]

    /// - Throws: `MPIRuntimeError` when a step's bytes to one rank exceed MPI's C `int` counts.
    init(bench: ExchangeBench) throws {
        let config = bench.config, context = bench.context, cluster = config.cluster
        job = bench.job
        world = bench.job.world
        let moeLayers = config.model.moeLayers.count, rules = context.rules, plans = bench.routing.plans
        // The same traffic as the runtime's, from the same rules: what this rank sends and receives.
        func traffic(_ m: Int) throws -> LayerTraffic {
            switch cluster.role(ofRank: context.rank) {
            case .coordinator(let c):
                return rules.coordinator(sending: plans[c][m].counts).traffic
            case .worker(let w):
                return try rules.worker(announced: (0..<context.ranks).map { $0 < cluster.coordinators ? Int32(plans[$0][m].counts[w]) : 0 })
            }
        }
        func plan(_ send: ByteRegions, _ recv: ByteRegions) throws -> (send: [Int32], sendOffsets: [Int32], recv: [Int32], recvOffsets: [Int32]) {
            let (send32, recv32) = (try Communicator.counts32(send.counts), try Communicator.counts32(recv.counts))
            return (send32, try Communicator.packedDisplacements(for: send32), recv32, try Communicator.packedDisplacements(for: recv32))
        }
        layers = try (0..<moeLayers).map { m in
            let t = try traffic(m)
            return [try plan(t.dispatchSend, t.dispatchReceive), try plan(t.combineSend, t.combineReceive)]
        }
        let capacity = layers.flatMap { $0 }.flatMap { [$0.send, $0.recv] }.map { Int($0.reduce(0, +)) }.max() ?? 0
        sendBuffer = [UInt8](repeating: 1, count: max(capacity, 1))
        recvBuffer = [UInt8](repeating: 0, count: max(capacity, 1))
    }

    /// One step: every layer's dispatch and combine. Returns its seconds on this rank.
    func step() throws -> Double {
        try job.barrier("the barrier before a raw MPI_Alltoallv step")
        return try job.blocking("a raw MPI_Alltoallv step of the exchange bench") {
            let start = monotonicSeconds()
            for layer in layers {
                for p in layer {
                    try sendBuffer.withUnsafeBytes { send in
                        try recvBuffer.withUnsafeMutableBytes { recv in
                            try world.alltoallv(sending: send, sendCounts: p.send, sendDisplacements: p.sendOffsets,
                                                receivingInto: recv, recvCounts: p.recv, recvDisplacements: p.recvOffsets)
                        }
                    }
                }
            }
            return monotonicSeconds() - start
        }
    }
}
