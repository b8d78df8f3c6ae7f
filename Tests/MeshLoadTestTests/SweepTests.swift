import Foundation
import MeshCore
import Testing
@testable import MeshLoadTest

/// The repository's default config, found from this file's path.
let defaultConfig: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Cluster/default.yaml").path
}()

@Suite struct SweepSpecTests {
    @Test func parsesAxesInOrderAndExpandsRepetitionByRepetition() throws {
        let spec = try SweepSpec.parse(sweeps: ["workers=1,2", "tokens=16,32,64"], repeats: 2, scaling: .strong)
        #expect(spec.axisNames == ["workers", "tokens"])
        let points = spec.points
        #expect(points.count == 12)
        #expect(points.map(\.index) == Array(0..<12))
        // The first axis is outermost; the whole grid once per repetition.
        #expect(points[0].values.mapValues(\.text) == [.workers: "1", .tokens: "16"])
        #expect(points[2].values.mapValues(\.text) == [.workers: "1", .tokens: "64"])
        #expect(points[3].values.mapValues(\.text) == [.workers: "2", .tokens: "16"])
        #expect(points[3].values[.workers]?.count == 2)
        #expect(points[6].repetition == 1 && points[6].values == points[0].values)
        #expect(points[4].label(spec) == "workers=2 tokens=32")
    }

    @Test(arguments: [
        ("nodes=1,2", "unknown axis 'nodes'"),
        ("workers=1,two", "'two': expected an integer >= 1"),
        ("workers=0", "'0': expected an integer >= 1"),
        ("wire=fp16", "expected fp32, bf16 or fp8"),
        ("bandwidth=fast", "expected a bandwidth"),
        ("bandwidth=-1", "above zero"),
        ("latency=3 parsecs", "expected a latency"),
        ("skew=11", "skew exponent"),
        ("rate=0", "above zero"),
        ("rate=inf", "above zero"),
        ("bandwidth=inf", "'inf': expected a finite bandwidth"),
        ("bandwidth=1e400Gbit/s", "expected a bandwidth"),
        ("latency=inf", "expected a finite latency"),
        ("flops=1e400", "expected finite FLOP/s"),
        ("skew=nan", "skew exponent"),
        ("workers", "expected AXIS=VALUE"),
        ("tokens=", "at least one value"),
    ])
    func refusesBadAxes(text: String, message: String) {
        #expect {
            _ = try SweepSpec.parse(sweeps: [text], repeats: 1, scaling: .strong)
        } throws: { error in
            String(describing: error).contains(message)
        }
    }

    @Test func valuesAreParsedOnceIntoTypes() throws {
        let spec = try SweepSpec.parse(sweeps: ["bandwidth=2GB/s,10", "wire=fp8", "mode=decode", "latency=1ms"],
                                       repeats: 1, scaling: .strong)
        #expect(spec.axes[0].values.map(\.parsed) == [.bitsPerSecond(16e9), .bitsPerSecond(10e9)])
        #expect(spec.axes[1].values.map(\.parsed) == [.wire(.fp8)])
        #expect(spec.axes[2].values.map(\.parsed) == [.mode(.decode)])
        #expect(spec.axes[3].values.first?.quantity == 1e-3)
        #expect(spec.points[0].label(spec) == "bandwidth=2GB/s wire=fp8 mode=decode latency=1ms")
        // sweep.json keeps the values as written, and reads them back parsed.
        let json = try JSONEncoder().encode(spec)
        #expect(String(decoding: json, as: UTF8.self).contains(#""values":["2GB\/s","10"]"#))
        #expect(try JSONDecoder().decode(SweepSpec.self, from: json) == spec)
    }

    @Test func errorsCarryWhatTheyAreAbout() {
        func code(_ sweeps: [String], repeats: Int = 1) -> SweepError.Code? {
            #expect(throws: SweepError.self) { try SweepSpec.parse(sweeps: sweeps, repeats: repeats, scaling: .strong) }?.code
        }
        #expect(code(["gpus=1"]) == .axis)
        #expect(code(["workers=two"]) == .value)
        #expect(code(["bandwidth=inf"]) == .value)
        #expect(code(["tokens=1"], repeats: 0) == .options)
    }

    @Test func refusesAnAxisTwiceAndWeakScalingWithoutWorkers() {
        #expect(throws: SweepError.self) { try SweepSpec.parse(sweeps: ["tokens=1", "tokens=2"], repeats: 1, scaling: .strong) }
        #expect(throws: SweepError.self) { try SweepSpec.parse(sweeps: ["tokens=1"], repeats: 1, scaling: .weak) }
        #expect(throws: SweepError.self) { try SweepSpec.parse(sweeps: ["tokens=1"], repeats: 0, scaling: .strong) }
    }

    @Test func unitsOfHardwareAxes() {
        #expect(SweepSpec.bitsPerSecond("10") == 10e9)
        #expect(SweepSpec.bitsPerSecond("500Mbit/s") == 500e6)
        #expect(SweepSpec.bitsPerSecond("2GB/s") == 16e9)
        #expect(abs(SweepSpec.seconds("50")! - 50e-6) < 1e-15)
        #expect(SweepSpec.seconds("1ms") == 1e-3)
        #expect(SweepSpec.flopsPerSecond("10") == 10e9)
        #expect(SweepSpec.flopsPerSecond("2TFLOP/s") == 2e12)
    }

    @Test func readsASweepFile() throws {
        let path = NSTemporaryDirectory() + "sweep-\(UInt32.random(in: 0...UInt32.max)).yaml"
        try "axes:\n  workers: [1, 2, 4]\n  wire: [fp32, fp8]\nrepeat: 3\nscaling: weak\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spec = try SweepSpec.load(path: path)
        #expect(spec.axisNames == ["workers", "wire"])
        #expect(spec.repeats == 3 && spec.scaling == .weak)
        #expect(spec.points.count == 18)
        try "axes:\n  gpus: [1]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try SweepSpec.load(path: path) } throws: { String(describing: $0).contains("axes.gpus: unknown axis") }
    }
}

@Suite struct PointPlanTests {
    func base() throws -> SweepBase {
        var base = SweepBase(configPath: defaultConfig, config: try ExpertMeshConfig.load(path: defaultConfig))
        base.hardwarePath = base.config.hardware
        base.hardware = try base.config.hardware.map { try HardwareProfile.load(path: $0) }
        return base
    }

    @Test func overridesAndArgumentsOfAPoint() throws {
        let spec = try SweepSpec.parse(sweeps: ["workers=2", "wire=fp8", "skew=1.5"], repeats: 1, scaling: .strong)
        let plan = try PointPlan(point: spec.points[0], spec: spec, base: base())
        #expect(plan.config.cluster.workers == 2)
        #expect(plan.ranks == 3)
        #expect(plan.config.runtime.dispatchDType == .fp8 && plan.config.runtime.combineDType == .bf16)
        #expect(plan.config.model.router.skew == 1.5)
        let args = plan.arguments(folder: "/tmp/p", stepTimeout: 5)
        #expect(args.starts(with: ["run", "--config", defaultConfig]))
        #expect(args.contains("cluster.workers=2") && args.contains("runtime.dispatch_dtype=fp8"))
        #expect(args.contains("--summary") && args.contains("/tmp/p/summary.json"))
        let record = plan.record(status: .ok)
        #expect(record.workers == 2 && record.dispatchDType == "fp8" && record.skew == 1.5)
        // Skew makes the prediction assume the busiest worker's share.
        let predicted = try #require(plan.predict())
        #expect(predicted.imbalance > 1)
        #expect(predicted.stepSeconds > 0)
    }

    @Test func weakScalingGrowsTheSequences() throws {
        let spec = try SweepSpec.parse(sweeps: ["workers=1,2,4"], repeats: 1, scaling: .weak)
        let b = try base()
        let plans = try spec.points.map { try PointPlan(point: $0, spec: spec, base: b) }
        #expect(plans.map(\.config.workload.sequences) == [4, 8, 16].map { $0 * b.config.workload.sequences / 4 })
    }

    @Test func aPointTheConfigCannotDescribeIsRefusedBeforeLaunch() throws {
        // An explicit placement lists 3 workers: a fourth is not described, and the config's own
        // validation names the field, before anything is launched.
        let path = defaultConfig.replacingOccurrences(of: "default.yaml", with: "tests/uneven.yaml")
        let b = SweepBase(configPath: path, config: try ExpertMeshConfig.load(path: path))
        let spec = try SweepSpec.parse(sweeps: ["workers=3,4"], repeats: 1, scaling: .strong)
        #expect(throws: Never.self) { try PointPlan(point: spec.points[0], spec: spec, base: b) }
        #expect { try LoadTest(spec: spec, base: b, folder: "/tmp/never") } throws: { error in
            let text = String(describing: error)
            return text.contains("point 1 (workers=4)") && text.contains("cluster.placement")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never"))
    }

    @Test func hardwareAxesNeedAnEmulatedProfileUnlessModelOnly() throws {
        let spec = try SweepSpec.parse(sweeps: ["bandwidth=1,10"], repeats: 1, scaling: .strong)
        var b = try base()
        #expect { try PointPlan(point: spec.points[0], spec: spec, base: b) } throws: {
            String(describing: $0).contains("--emulate")
        }
        // One rank per node: every exchange crosses the link the axis changes.
        b.hardware = try HardwareProfile.load(path: defaultConfig.replacingOccurrences(of: "default.yaml", with: "hardware/cpu-1gbe.yaml"))
        b.modelOnly = true
        let slow = try PointPlan(point: spec.points[0], spec: spec, base: b)
        let fast = try PointPlan(point: spec.points[1], spec: spec, base: b)
        #expect(slow.predictionProfile?.interNode.bytesPerSecond == 1e9 / 8)
        // On slower links the exchange takes longer: the model must see the axis.
        let slowExchange = try #require(slow.predict()).dispatchSeconds
        let fastExchange = try #require(fast.predict()).dispatchSeconds
        #expect(slowExchange > fastExchange)
    }

    @Test func hardwareAxesThatCouldNotActAreRefused() throws {
        var b = try base()
        b.localHardware = b.hardware
        let local = try #require(b.hardware)
        // Every rank on one node of the emulated profile: no exchange crosses the swept link.
        b.emulate = local
        b.emulatePath = "local.yaml"
        let bandwidth = try SweepSpec.parse(sweeps: ["bandwidth=1,10"], repeats: 1, scaling: .strong)
        #expect { try PointPlan(point: bandwidth.points[0], spec: bandwidth, base: b) } throws: {
            String(describing: $0).contains("every rank is on one node")
        }
        // A device faster than this machine cannot be emulated.
        b.emulate = try HardwareProfile.load(path: defaultConfig.replacingOccurrences(of: "default.yaml", with: "hardware/cpu-1gbe.yaml"))
        let peak = local.peakFlopsPerSecond / 1e9
        let flops = try SweepSpec.parse(sweeps: ["flops=\(peak / 2),\(peak * 2)"], repeats: 1, scaling: .strong)
        #expect(throws: Never.self) { try PointPlan(point: flops.points[0], spec: flops, base: b) }
        #expect { try PointPlan(point: flops.points[1], spec: flops, base: b) } throws: {
            String(describing: $0).contains("a faster device cannot be emulated")
        }
        // The slower device is what the prediction and the record use.
        let slow = try PointPlan(point: flops.points[0], spec: flops, base: b)
        #expect(abs(slow.record(status: .ok).deviceFlopsPerSecond! - local.peakFlopsPerSecond / 2) < 1)
    }

    @Test func configsOnlyTheCostModelRunsNeedModelOnly() throws {
        let path = defaultConfig.replacingOccurrences(of: "default.yaml", with: "deepseek-v3.yaml")
        var b = SweepBase(configPath: path, config: try ExpertMeshConfig.load(path: path))
        let spec = try SweepSpec.parse(sweeps: ["workers=8"], repeats: 1, scaling: .strong)
        #expect { try PointPlan(point: spec.points[0], spec: spec, base: b) } throws: {
            String(describing: $0).contains("add --model-only")
        }
        b.modelOnly = true
        b.hardware = try HardwareProfile.load(path: try #require(b.config.hardware))
        #expect(throws: Never.self) { try PointPlan(point: spec.points[0], spec: spec, base: b) }
    }

    @Test func emulatedRunsArePredictedWithThisMachinesDeviceAndTheEmulatedLinks() throws {
        var local = try #require(try base().hardware)
        var emulated = local
        emulated.interNode.bytesPerSecond = 1e8
        emulated.device.flopsPerSecond[emulated.computeDType] = local.peakFlopsPerSecond / 4
        let profile = PointPlan.measuredProfile(local: local, emulate: emulated, device: true)
        #expect(profile.interNode.bytesPerSecond == 1e8)
        #expect(profile.peakFlopsPerSecond == local.peakFlopsPerSecond / 4)
        // A faster emulated device cannot make this machine faster.
        emulated.device.flopsPerSecond[emulated.computeDType] = local.peakFlopsPerSecond * 4
        #expect(PointPlan.measuredProfile(local: local, emulate: emulated, device: true).peakFlopsPerSecond == local.peakFlopsPerSecond)
        local.name = "x"
    }
}

@Suite struct PointsCSVTests {
    @Test func headerHasEveryColumnOnceAndRowsMatchIt() {
        let header = PointsCSV.header
        #expect(Set(header).count == header.count)
        for name in ["workers", "tokens_per_s", "step_ms", "dispatch_ms", "experts_ms", "dispatch_bytes", "exchange_gb_s",
                     "imbalance", "predicted_step_ms", "relative_error", "ttft_p99_ms", "link_gbit_s", "error"] {
            #expect(header.contains(name), "\(name)")
        }
        var record = PointRecord(index: 3, axes: ["workers": "2"], repetition: 0, status: .failed, coordinators: 1, workers: 2,
                                 sequences: 4, tokens: 64, mode: "prefill", topK: 2, experts: 16, hidden: 256,
                                 dispatchDType: "fp32", combineDType: "fp32", skew: 0)
        record.error = "rank 2: timed out, \"badly\""
        let lines = PointsCSV.text([record]).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].hasSuffix("\"rank 2: timed out, \"\"badly\"\"\""))
        #expect(lines[1].hasPrefix("3,0,failed,1,2,4,64,prefill"))
    }
}
