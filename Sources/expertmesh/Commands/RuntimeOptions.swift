import ArgumentParser
import Foundation
import MeshCore
import MeshRuntime

/// The options `run` and `serve` share: wire formats, the step timeout, emulated hardware, and
/// faults to inject for tests.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Dispatch wire format (default: the config's).")
    var dispatchDtype: WireDType?

    @Option(help: ArgumentHelp("Combine wire format (default: the config's).", valueName: "fp32|bf16"))
    var combineDtype: WireDType?

    @Option(help: "Seconds an exchange may wait before the job is aborted naming the peer and phase.")
    var stepTimeout: Double?

    @Option(help: "Emulate a hardware profile's links: each exchange takes at least what they would for the bytes sent.")
    var emulate: String?

    @Flag(help: "With --emulate: also stretch every compute phase to the profile's device, when it is slower than this machine's (the config's hardware profile).")
    var emulateDevice = false

    @Option(help: ArgumentHelp("Inject a failure for tests: stall:RANK, corrupt:RANK or kill:RANK.", visibility: .hidden),
            transform: { text in
                guard let fault = Fault(text) else { throw ValidationError("expected stall:RANK, corrupt:RANK or kill:RANK") }
                return fault
            })
    var injectFault: Fault?

    func validate() throws {
        if combineDtype == .fp8 { throw ValidationError("--combine-dtype: expected fp32 or bf16, found 'fp8'") }
        if let stepTimeout { try Limits.check(seconds: stepTimeout, flag: "--step-timeout") }
    }

    /// `config` with the wire formats and step timeout given here.
    func apply(to config: inout ExpertMeshConfig) throws {
        if let dispatchDtype { config.runtime.dispatchDType = dispatchDtype }
        if let combineDtype { config.runtime.combineDType = combineDtype }
        if let stepTimeout { config.runtime.stepTimeoutSeconds = stepTimeout }
    }

    /// The emulated profile and the compute slowdown of its device (1 without --emulate-device).
    func emulation(config: ExpertMeshConfig, configPath: String) throws -> (profile: HardwareProfile, slowdown: Double)? {
        guard let emulate else {
            if emulateDevice { throw CommandError(message: "--emulate-device: needs --emulate PROFILE") }
            return nil
        }
        let profile = try HardwareProfile.load(path: emulate)
        let slowdown = emulateDevice ? try Self.slowdown(emulating: profile, path: emulate, config: config, configPath: configPath) : 1
        return (profile, slowdown)
    }

    /// The fault to inject, if any.
    func fault() throws -> Fault? { injectFault }

    /// Refuses output paths whose folder does not exist: rank 0 writes them only after the run.
    static func checkFolders(_ outputs: [(flag: String, path: String?)]) throws {
        for (flag, path) in outputs {
            guard let path else { continue }
            let folder = (path as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) || !isFolder.boolValue {
                throw CommandError(message: "\(flag) \(path): no folder \(folder)")
            }
        }
    }

    /// How many times slower than this machine the emulated profile's device is (at least 1).
    ///
    /// This machine's speed is the config's hardware profile (`expertmesh calibrate` writes it).
    static func slowdown(emulating profile: HardwareProfile, path: String, config: ExpertMeshConfig, configPath: String) throws -> Double {
        guard let localPath = config.hardware else {
            throw CommandError(message: "--emulate-device: \(configPath) has no `hardware:` profile of this machine to compare \(path) with")
        }
        let local = try HardwareProfile.load(path: localPath)
        guard profile.peakFlopsPerSecond > 0 else {
            throw CommandError(message: "--emulate-device: \(path): device.flops has no \(profile.computeDType) rate")
        }
        return max(1, local.peakFlopsPerSecond / profile.peakFlopsPerSecond)
    }
}
