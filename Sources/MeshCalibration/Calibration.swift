import Foundation
import Logging
import MeshCore
import MeshIO
import MeshMPI
import MeshRuntime
import MeshTensor

/// `expertmesh calibrate`: measures this machine and writes a hardware profile of it.
///
/// Every rank of an `mpirun` job calls ``main(_:)``. In order, the ranks measure:
///
/// 1. point-to-point latency between ranks 0 and 1 (`osu_latency` style);
/// 2. all-to-all latency and bandwidth by message size (`osu_alltoallv` style, with nccl-tests'
///    algbw and busbw);
/// 3. sgemm FLOP/s on the config's expert shapes by token count, all ranks at once and rank 0 alone;
/// 4. STREAM-like memory bandwidth, all ranks at once and rank 0 alone.
///
/// Rank 0 prints a report as it goes and writes the profile atomically, after checking that
/// ``MeshCore/HardwareProfile/parse(yaml:)`` reads back the figures it holds. Each rank is one
/// profile "device"; see ``CalibrationResults/profile()``.
public enum Calibration {
    /// Runs the calibration on this rank and returns the process exit status: 0 on success; 2
    /// for a job that cannot be measured (one rank, ranks on several hosts, messages too large)
    /// or an output file that cannot be written; 1 for a failure. A failure during measurement
    /// (a timeout, corrupted data) ends the whole job through `MPI_Abort` after naming the rank
    /// and phase.
    public static func main(_ request: CalibrationRequest) -> Int32 {
        RankJob(command: "calibrate", timeoutSeconds: request.timeoutSeconds, fault: request.fault).run(check: {
            try unsuitability(of: $0, request: request)
        }, setup: { CalibrationRank(job: $0, request: request) })
    }

    /// Reports bad input once, from rank 0 of the job, and returns exit status 2.
    ///
    /// For arguments the CLI rejects before measuring: under `mpirun` every rank parses the same
    /// arguments and fails alike, and this keeps the job to one line of error instead of one per rank.
    public static func refuse(_ message: String) -> Int32 {
        guard let environment = try? MPIEnvironment(threadLevel: .funneled) else {
            Logger.job.error("\(message)")
            return 2
        }
        if environment.world.rank == 0 { Logger.job.error("\(message)") }
        try? environment.finalize()
        return 2
    }

    /// Why this job cannot be calibrated, or nil. Collective: every rank calls it, and every rank
    /// sees the same gathered facts, so every rank takes the same branch.
    private static func unsuitability(of job: JobContext, request: CalibrationRequest) throws -> String? {
        let hosts = try job.allgather([hostHash(job.processorName)], phase: "comparing the ranks' hosts")
        if job.ranks < 2 {
            return "calibrate needs at least 2 ranks to measure the links; launch with: mpirun -np 4 expertmesh calibrate --out \(request.outputPath)"
        }
        if Set(hosts).count > 1 {
            return "calibrate measures one machine, but the \(job.ranks) ranks run on \(Set(hosts).count) hosts; run every rank on one host"
        }
        let largest = CalibrationPlan.allToAllSizes(maxBytes: request.maxBytesPerPeer).last ?? 1
        if largest * job.ranks > Int(Int32.max) {
            return "--max-bytes \(request.maxBytesPerPeer) with \(job.ranks) ranks needs \(largest * job.ranks) B per all-to-all, "
                + "beyond MPI's C int counts (\(Int32.max)); use at most \(Int(Int32.max) / job.ranks / (1 << 20)) MiB"
        }
        return nil
    }

    /// Whether this is an optimised build (`swift build -c release`): Swift loops such as the
    /// triad run several times slower in a debug build.
    static var optimizedBuild: Bool {
        #if DEBUG
        return false
        #else
        return true
        #endif
    }

    /// FNV-1a of a host name, for comparing hosts with one `allgather` of fixed size.
    static func hostHash(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// Runs every measurement; returns the results on rank 0, nil elsewhere.
    static func measure(_ session: CalibrationSession, machine: MachineInfo, blasThreads: Int) throws -> CalibrationResults? {
        let request = session.request
        let model = request.config.model
        let optimized = optimizedBuild
        let memoryBytes = machine.memoryBytes ?? 0
        let cache = machine.largestCache.map { ", largest cache \($0.bytes >> 20) MiB (L\($0.level))" } ?? ""
        session.say("expertmesh calibrate: \(session.ranks) ranks on one machine: \(machine.cpuModel), \(machine.cores) cores, "
                    + String(format: "%.1f GB", Double(memoryBytes) / 1e9) + cache)
        session.say("OpenBLAS \(blasThreads) thread(s) per rank; \(optimized ? "release" : "debug") build"
                    + (optimized ? "" : " (Swift loops such as the triad run far below speed: use swift build -c release)"))
        let pingPong = try session.measurePingPong()
        let allToAll = try session.measureAllToAll()
        let gemm = try session.measureGEMM()
        let arrayBytes = CalibrationPlan.streamArrayBytes(largestCacheBytes: machine.largestCache?.bytes,
                                                          availableBytes: machine.availableMemoryBytes, ranks: session.ranks)
        let memory = try session.measureMemory(arrayBytes: arrayBytes)
        // The layers' share of the GEMM rate, against a profile of what was just measured.
        var draft: HardwareProfile?
        if session.rank == 0, let memory {
            draft = try CalibrationResults(
                ranks: session.ranks, cpuModel: machine.cpuModel, cores: machine.cores, memoryBytes: max(memoryBytes, 1),
                blasThreads: blasThreads, optimized: optimized, configPath: request.configPath, hidden: model.hidden,
                expertFFN: model.expertFFN, tokensPerExpert: CalibrationPlan.tokensPerExpert(request.config), date: "",
                pingPong: pingPong, allToAll: allToAll, gemm: gemm, memory: memory).profile()
        }
        let layers = try session.measureLayers(profile: draft ?? HardwareProfile(
            name: "", device: .init(name: "", flopsPerSecond: ["fp32": 1], memoryBytesPerSecond: 1, memoryBytes: 1),
            devicesPerNode: 1, intraNode: .init(bytesPerSecond: 1, latencySeconds: 0),
            interNode: .init(bytesPerSecond: 1, latencySeconds: 0), allToAllEfficiency: .constant(1), computeDType: "fp32"))
        if let layers {
            session.say("", String(format: "# The model's prefill on rank 0 alone (the reference's kernels): %.2f ms at the config's batch, %.2f ms at 4 tokens; the cost model's GEMM roofline: %.2f and %.2f ms; kernel_efficiency %.3f, layer_overhead %.0f us",
                                   layers.large.measured * 1e3, layers.small.measured * 1e3, layers.large.predicted * 1e3,
                                   layers.small.predicted * 1e3, layers.kernelEfficiency, layers.layerOverheadSeconds * 1e6))
        }
        guard session.rank == 0, let memory else { return nil }
        guard memoryBytes > 0 else { throw CalibrationFailure("MemTotal not found in /proc/meminfo") }
        return CalibrationResults(
            ranks: session.ranks, cpuModel: machine.cpuModel, cores: machine.cores, memoryBytes: memoryBytes,
            blasThreads: blasThreads, optimized: optimized, configPath: request.configPath,
            hidden: model.hidden, expertFFN: model.expertFFN, tokensPerExpert: CalibrationPlan.tokensPerExpert(request.config),
            date: ISO8601DateFormatter().string(from: Date()),
            pingPong: pingPong, allToAll: allToAll, gemm: gemm, memory: memory,
            layerSeconds: layers)
    }

    /// Writes the profile atomically on rank 0, reads the file back and reports; returns the exit
    /// status: 0, 2 when the file cannot be written, 1 when the profile cannot be made or does not
    /// read back as written (a bug, not bad input).
    static func write(_ results: CalibrationResults, session: CalibrationSession) -> Int32 {
        let path = session.request.outputPath
        do {
            let (profile, yaml) = try results.profileYAML(outputPath: path)
            try AtomicFile.write(Data(yaml.utf8), to: path)
            try ProfileRoundTripError.check(try HardwareProfile.load(path: path), against: profile)
            session.say("", "# Profile", yaml.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n"),
                        "wrote \(path) (read back with HardwareProfile.load: same figures)")
            return 0
        } catch let error as FormatError {
            // The folder was checked before measuring; it can still vanish or fill up.
            session.job.logger.error("\(error)")
            return 2
        } catch {
            session.job.logger.error("\(error)")
            return 1
        }
    }
}

/// One rank's part of `calibrate`, as the ``MeshRuntime/RankJob`` runs it.
final class CalibrationRank: RankSession {
    let session: CalibrationSession
    let machine: MachineInfo
    let blasThreads: Int
    private var results: CalibrationResults?

    init(job: JobContext, request: CalibrationRequest) {
        session = CalibrationSession(job: job, request: request)
        machine = MachineInfo.current()
        // Ranks share this machine's cores: OpenBLAS threads × ranks must not exceed them.
        blasThreads = BLASThreads.recommended(ranksOnNode: job.ranks, cores: machine.cores,
                                              override: request.config.runtime.blasThreads)
        BLASThreads.set(blasThreads)
    }

    func run() throws {
        results = try Calibration.measure(session, machine: machine, blasThreads: blasThreads)
    }

    /// Writes the profile on rank 0; every rank exits with rank 0's status.
    func end() throws -> Int32 {
        let status = results.map { Calibration.write($0, session: session) } ?? 0
        return try session.job.allreduce(status, op: .max, phase: "agreeing on the exit status")
    }
}
