import ArgumentParser
import MeshCore
import MeshIO
import MeshCalibration

/// `expertmesh calibrate`: measure this machine under mpirun and write a hardware profile of it.
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure this machine (sgemm, memory, all-to-all, latency) and write a hardware profile (under mpirun).",
        discussion: "Every rank of the job is one profile device. Example: mpirun -np 4 expertmesh calibrate --out local.yaml")

    @Option(help: "The hardware profile to write (YAML); its folder must exist.")
    var out: String

    @Option(help: "The config whose expert shapes and batch the GEMMs are timed at.")
    var config: String = "Cluster/default.yaml"

    // Numbers are taken as text and parsed here, so that a bad one is one line of error.
    @Option(help: "Timed all-to-all iterations per size up to 8 KiB (a fifth of it above; ten times it for the ping-pong).")
    var iterations: String = "50"

    @Option(name: .customLong("max-bytes"), help: "The largest all-to-all message per peer: bytes, or with K, M, G (binary).")
    var maxBytes: String = "4MiB"

    @OptionGroup var job: JobOptions

    func run() throws {
        let request: CalibrationRequest
        do {
            let iterations = try CalibrationRequest.count(self.iterations, option: "--iterations", in: CalibrationRequest.iterationRange)
            let maxBytes = try CalibrationRequest.byteCount(self.maxBytes, option: "--max-bytes", in: CalibrationRequest.maxBytesRange)
            try CalibrationRequest.checkOutputPath(out)
            var parsed = CalibrationRequest(outputPath: out, config: try ExpertMeshConfig.load(path: config), configPath: config,
                                            output: { print($0) })
            parsed.iterations = iterations
            parsed.maxBytesPerPeer = maxBytes
            parsed.timeoutSeconds = job.timeoutSeconds(default: parsed.timeoutSeconds)
            parsed.fault = job.fault()
            request = parsed
        } catch let error as any InputError {
            // Every rank fails alike; one of them says so.
            throw ExitCode(Calibration.refuse(error.description))
        }
        let status = Calibration.main(request)
        if status != 0 { throw ExitCode(status) }
    }
}
