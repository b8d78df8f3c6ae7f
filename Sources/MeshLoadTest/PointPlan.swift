import Foundation
import MeshCore
import MeshPlanning

/// What every point of a sweep shares: the base config, profiles and launch settings.
public struct SweepBase: Sendable {
    public var configPath: String
    /// The base config, as loaded without overrides.
    public var config: ExpertMeshConfig
    /// The profile predictions use: `--hardware`, else the config's `hardware`.
    public var hardware: HardwareProfile?
    public var hardwarePath: String?
    /// Links (and, with `flops` swept, the device) to emulate in measured runs.
    public var emulate: HardwareProfile?
    public var emulatePath: String?
    /// Steps per point (the config's when nil).
    public var steps: Int?
    /// Serving points: requests per point, output tokens per request, batch cap.
    public var requests = 32
    public var outputTokens = 16
    public var maxBatchTokens = 512
    public var modelOnly = false
    /// `--set` overrides of every point, before the axes' own.
    public var overrides: [ConfigOverride] = []
    /// Ranks run on the hosts of a hostfile, not all on this machine.
    public var remoteHosts = false
    /// The hosts of the hostfile and their slots, in order (a `linkrate` sweep's nodes).
    public var hosts: [(name: String, slots: Int)] = []
    /// Whether mpirun deals ranks to hosts in turn (`--map-by node`) rather than filling each.
    public var mapByNode = false
    /// What sets the test cluster's link rate before a `linkrate` point (given the rate in bit/s).
    public var rateCommand: String?
    /// A load file (`run --load-stats`) per point, `{AXIS}` naming the point's values: the
    /// predictions take their workers' loads from it.
    public var expertLoadPattern: String?
    /// This machine's profile, the config's `hardware:` (what `run --emulate-device` compares with).
    public var localHardware: HardwareProfile?

    public init(configPath: String, config: ExpertMeshConfig) {
        self.configPath = configPath
        self.config = config
    }
}

/// One point made concrete: its config overrides, its profiles, its prediction, and the
/// arguments of the `expertmesh` command that measures it.
public struct PointPlan: Sendable {
    public let point: SweepPoint
    public let label: String
    public let overrides: [ConfigOverride]
    /// The base config with the overrides, validated.
    public let config: ExpertMeshConfig
    /// The links and device to emulate, when the point has any.
    public let emulate: HardwareProfile?
    /// Whether compute is slowed to the emulated device (a `flops` point).
    public let emulateDevice: Bool
    /// The profile the prediction uses.
    public let predictionProfile: HardwareProfile?
    /// Tokens per expert per MoE layer the prediction assumes (`--expert-load`), if given.
    public let expertLoad: [[Double]]?
    /// Offered requests per second of a serving point.
    public let rate: Double?
    /// The real link rate of a `linkrate` point, bits per second.
    public let linkRate: Double?
    public let base: SweepBase

    public var ranks: Int { config.cluster.ranks }

    /// Builds and checks the plan of `point`; every problem is a ``SweepError`` naming the point.
    public init(point: SweepPoint, spec: SweepSpec, base: SweepBase) throws {
        self.point = point
        self.base = base
        label = point.label(spec)
        var overrides: [ConfigOverride] = base.overrides
        func set(_ path: String, _ value: String) { overrides.append(ConfigOverride(path: path.split(separator: ".").map(String.init), value: value)) }
        let v = point.values
        // Config fields take the value as written: the config parses its own overrides.
        let fields: [(SweepAxis, String)] = [(.workers, "cluster.workers"), (.coordinators, "cluster.coordinators"),
                                             (.tokens, "workload.tokens"), (.sequences, "workload.sequences"),
                                             (.mode, "workload.mode"), (.topk, "model.top_k"), (.experts, "model.experts"),
                                             (.hidden, "model.hidden"), (.skew, "model.router.skew"),
                                             (.threads, "runtime.blas_threads")]
        for (axis, field) in fields { if let x = v[axis] { set(field, x.text) } }
        if case .placement(let x)? = v[.placement]?.parsed {
            if PlacementStrategy(rawValue: x) != nil {
                set("cluster.placement", x)
            } else {
                let path = URL(fileURLWithPath: try point.expand(x, place: "--sweep placement")).standardizedFileURL.path
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw SweepError(.point, "point \(point.index) (\(point.label(spec))): placement: no placement file \(path) (a strategy is one of \(PlacementStrategy.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                set("cluster.placement", "{file: \"\(path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\"}")
            }
        }
        if case .wire(let wire)? = v[.wire]?.parsed {
            set("runtime.dispatch_dtype", wire.rawValue)
            set("runtime.combine_dtype", (wire == .fp8 ? WireDType.bf16 : wire).rawValue)
        }
        if let steps = base.steps { set("workload.steps", String(steps)) }
        if spec.scaling == .weak, let workers = v[.workers]?.count,
           let first = spec.axes.first(where: { $0.axis == .workers })?.values.first?.count {
            let scaled = base.config.workload.sequences * workers
            guard scaled % first == 0 else {
                throw SweepError(.point, "point \(point.index) (\(label)): --scaling weak: \(base.config.workload.sequences) sequences × \(workers) / \(first) workers is not whole; pick worker counts that are multiples of the first")
            }
            set("workload.sequences", String(scaled / first))
        }
        self.overrides = overrides
        do {
            config = try ExpertMeshConfig.load(path: base.configPath, overrides: overrides)
        } catch let error as ConfigError {
            var error = error
            error.file = nil
            throw SweepError(.point, "point \(point.index) (\(label)): \(base.configPath): \(error)")
        }
        rate = v[.rate]?.quantity
        linkRate = v[.linkrate]?.quantity
        if linkRate != nil, !base.modelOnly {
            guard !base.hosts.isEmpty else {
                throw SweepError(.point, "--sweep linkrate: sets the real links of a test cluster: give its --hostfile (Scripts/cluster-up.sh writes Cluster/hosts/netns-N)")
            }
            guard let command = base.rateCommand, FileManager.default.isExecutableFile(atPath: command) else {
                throw SweepError(.point, "--sweep linkrate: --rate-command \(base.rateCommand ?? "") is not an executable (Scripts/cluster-rate.sh sets the test cluster's rate)")
            }
            let slots = base.hosts.reduce(0) { $0 + $1.slots }
            if config.cluster.ranks > slots {
                throw SweepError(.point, "point \(point.index) (\(label)): \(config.cluster.ranks) ranks, but the hostfile has \(slots) slots")
            }
        }
        if let pattern = base.expertLoadPattern {
            let path = try point.expand(pattern, place: "--expert-load")
            expertLoad = try ExpertLoad.read(path: path, model: config.model).tokens
        } else {
            expertLoad = nil
        }

        // Hardware: the emulated links and device of measured runs; the profile predictions use.
        let hardwareAxes = spec.axes.map(\.axis).filter(\.isHardware)
        if base.modelOnly {
            guard var profile = base.hardware else {
                throw SweepError(.point, "--model-only: needs a hardware profile (--hardware, or `hardware:` in \(base.configPath))")
            }
            Self.apply(v, to: &profile)
            emulate = nil
            emulateDevice = false
            predictionProfile = profile
        } else {
            if !hardwareAxes.isEmpty, base.emulate == nil {
                throw SweepError(.point, "--sweep \(hardwareAxes[0].rawValue): measured runs emulate it: give --emulate PROFILE (the links and device it changes), or use --model-only")
            }
            if var profile = base.emulate {
                Self.apply(v, to: &profile)
                emulate = profile
                if let devices = profile.devices, config.cluster.ranks > devices {
                    throw SweepError(.point, "point \(point.index) (\(label)): \(config.cluster.ranks) ranks, but \(base.emulatePath ?? "the emulated profile") has \(devices) devices")
                }
            } else {
                emulate = nil
            }
            emulateDevice = v[.flops] != nil
            let emulated = emulate, device = v[.flops] != nil
            var profile = base.hardware.map { Self.measuredProfile(local: $0, emulate: emulated, device: device) }
            if let bits = linkRate, profile != nil {
                // The test hosts' links at that rate; inside a host, its ranks share memory.
                profile!.name += " with links of \(String(format: "%.3g", bits / 1e9)) Gbit/s"
                profile!.interNode.bytesPerSecond = bits / 8
                profile!.allToAllEfficiency = .constant(1)
            }
            predictionProfile = profile
        }
        if !base.modelOnly, config.cluster.layout == .colocated || config.model.latentCacheWidth > 0 {
            throw SweepError(.point, "point \(point.index) (\(label)): \(base.configPath): "
                             + (config.cluster.layout == .colocated ? "cluster.layout: colocated" : "model.latent_cache_width")
                             + " is for the cost model only: add --model-only")
        }
        if let emulate, v[.bandwidth] != nil || v[.latency] != nil {
            // The axis changes the link between nodes: some exchange must cross it.
            let nodes = Set((0..<config.cluster.ranks).map {
                config.cluster.nodeOfRank.count == config.cluster.ranks ? config.cluster.nodeOfRank[$0] : $0 / emulate.devicesPerNode
            })
            if nodes.count < 2 {
                throw SweepError(.point, "point \(point.index) (\(label)): every rank is on one node of \(base.emulatePath ?? "the emulated profile") (devices_per_node \(emulate.devicesPerNode)): the bandwidth and latency axes change the link between nodes, which no exchange would cross")
            }
        }
        if emulateDevice, let flops = v[.flops]?.quantity {
            guard let local = base.localHardware else {
                throw SweepError(.point, "--sweep flops: measured runs slow compute relative to this machine's profile: \(base.configPath) needs `hardware:` (from expertmesh calibrate)")
            }
            if flops > local.peakFlopsPerSecond * 1.0001 {
                throw SweepError(.point, "point \(point.index) (\(label)): flops: this machine does \(String(format: "%.3g", local.peakFlopsPerSecond / 1e9)) GFLOP/s (\(base.config.hardware ?? "")): a faster device cannot be emulated")
            }
        }
        if rate != nil, config.workload.mode == .decode, v[.mode] != nil {
            throw SweepError(.point, "point \(point.index) (\(label)): a rate point serves requests (prefill then decode); do not sweep mode with rate")
        }
        if let rate, rate > 0, base.maxBatchTokens < config.workload.tokens {
            throw SweepError(.point, "point \(point.index) (\(label)): prompts of \(config.workload.tokens) tokens do not fit --max-batch-tokens \(base.maxBatchTokens)")
        }
    }

    /// `profile` with the point's hardware axes applied: the inter-node link's bandwidth and
    /// latency, the device's FLOP/s in the compute dtype.
    static func apply(_ values: [SweepAxis: SweepValue], to profile: inout HardwareProfile) {
        if let bits = values[.bandwidth]?.quantity {
            profile.interNode.bytesPerSecond = bits / 8
            // With one device per node the intra-node link carries nothing; with more it keeps its own rate.
        }
        if let seconds = values[.latency]?.quantity { profile.interNode.latencySeconds = seconds }
        if let flops = values[.flops]?.quantity {
            let dtype = profile.computeDType
            profile.device.flopsPerSecond[dtype] = flops
        }
    }

    /// The profile that describes a measured run on this machine: its device (and fixed costs),
    /// with the emulated links in place of its own, and the emulated device's FLOP/s when slower.
    static func measuredProfile(local: HardwareProfile, emulate: HardwareProfile?, device: Bool) -> HardwareProfile {
        guard let emulate else { return local }
        var profile = local
        profile.name = "\(local.name) with the links of \(emulate.name)"
        profile.interNode = emulate.interNode
        profile.intraNode = emulate.intraNode
        profile.devicesPerNode = emulate.devicesPerNode
        profile.allToAllEfficiency = emulate.allToAllEfficiency
        if device {
            let slower = min(local.peakFlopsPerSecond, emulate.peakFlopsPerSecond)
            profile.device.flopsPerSecond[profile.computeDType] = slower
        }
        return profile
    }

    /// The cost model's prediction for this point, or nil without a profile.
    public func predict() -> PointRecord.Predicted? {
        guard let profile = predictionProfile else { return nil }
        var config = config
        if linkRate != nil, !base.hosts.isEmpty {
            // Ranks on the hostfile's hosts as mpirun places them: in turn, or filling each host.
            var nodes: [Int] = []
            if base.mapByNode {
                nodes = (0..<config.cluster.ranks).map { $0 % base.hosts.count }
            } else {
                for (h, host) in base.hosts.enumerated() { nodes += Array(repeating: h, count: host.slots) }
                nodes = Array(nodes.prefix(config.cluster.ranks))
            }
            config.cluster.nodeOfRank = nodes
        }
        var request = PredictionRequest(config: config, hardware: profile)
        request.expertLoad = expertLoad
        // Measured on this machine: its ranks share its cores, whatever nodes the emulated links
        // describe, unless an emulated device slow enough that every rank's share of the cores
        // still outruns it (each rank then waits out a device of its own: run --emulate-device).
        if !base.modelOnly, !base.remoteHosts, let local = base.hardware, let cores = local.coresPerNode {
            let ownDevices = emulateDevice && local.peakFlopsPerSecond * Double(cores) / Double(config.cluster.ranks)
                >= (predictionProfile?.peakFlopsPerSecond ?? .infinity)
            if !ownDevices { request.machineCores = cores }
        }
        guard let prediction = try? CostModel(request).predict() else { return nil }
        func component(_ prefix: String) -> Double {
            prediction.components.filter { $0.name.hasPrefix(prefix) }.reduce(0) { $0 + $1.seconds }
        }
        return PointRecord.Predicted(stepSeconds: prediction.stepSeconds, tokensPerSecond: prediction.tokensPerSecond,
                                     attentionSeconds: component("attention") + component("router") + component("LM head"),
                                     sharedSeconds: component("shared"), expertsSeconds: component("routed"),
                                     dispatchSeconds: component("dispatch"), combineSeconds: component("combine"),
                                     bottleneck: prediction.bottleneck, imbalance: request.effectiveImbalance)
    }

    /// The record of this point before it runs: its settings.
    public func record(status: PointRecord.Status) -> PointRecord {
        let c = config
        var record = PointRecord(index: point.index, axes: point.axesByName, repetition: point.repetition, status: status,
                                 coordinators: c.cluster.coordinators, workers: c.cluster.workers,
                                 sequences: c.workload.sequences, tokens: c.workload.tokens,
                                 mode: rate != nil ? "serve" : c.workload.mode.rawValue, topK: c.model.topK,
                                 experts: c.model.experts, hidden: c.model.hidden,
                                 dispatchDType: c.runtime.dispatchDType.rawValue, combineDType: c.runtime.combineDType.rawValue,
                                 skew: c.model.router.skew)
        let links = emulate ?? (base.modelOnly ? predictionProfile : nil)
        record.linkBitsPerSecond = linkRate ?? links.map { $0.interNode.bytesPerSecond * 8 }
        record.linkLatencySeconds = links.map(\.interNode.latencySeconds)
        record.deviceFlopsPerSecond = predictionProfile?.peakFlopsPerSecond ?? (emulateDevice ? emulate : nil)?.peakFlopsPerSecond
        record.offeredRequestsPerSecond = rate
        record.blasThreads = c.runtime.blasThreads
        return record
    }

    /// Arguments of `expertmesh` (after the executable) that measure this point.
    ///
    /// - Parameters:
    ///   - folder: the point's own folder, for its summary and emulated profile.
    public func arguments(folder: String, stepTimeout: Double?) -> [String] {
        var args = [rate == nil ? "run" : "serve", "--config", base.configPath]
        for override in overrides { args += ["--set", override.description] }
        if let emulate = emulatePath(folder: folder) {
            args += ["--emulate", emulate]
            if emulateDevice { args.append("--emulate-device") }
        }
        if let stepTimeout { args += ["--step-timeout", String(stepTimeout)] }
        if let rate {
            // A new Poisson sample per repetition; the same one (scaled by 1/rate) across rates.
            args += ["--rate", String(rate), "--requests", String(base.requests), "--output-tokens", String(base.outputTokens),
                     "--max-batch-tokens", String(base.maxBatchTokens),
                     "--arrival-seed", String(config.workload.seed &+ UInt64(point.repetition))]
        }
        // Run points keep every step's metrics too (one JSON object per step).
        if rate == nil { args += ["--metrics", (folder as NSString).appendingPathComponent("metrics.jsonl")] }
        args += ["--summary", (folder as NSString).appendingPathComponent("summary.json"), "--quiet"]
        return args
    }

    /// Where the point's emulated profile is written, when it has one.
    public func emulatePath(folder: String) -> String? {
        emulate == nil ? nil : (folder as NSString).appendingPathComponent("emulate.yaml")
    }
}
