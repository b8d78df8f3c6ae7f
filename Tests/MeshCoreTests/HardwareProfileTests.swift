import Foundation
import MeshIO
import Testing
@testable import MeshCore

/// The package root, three levels above this file (`Tests/MeshCoreTests/HardwareProfileTests.swift`).
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

private func shippedProfile(_ name: String) throws -> HardwareProfile {
    try HardwareProfile.load(path: packageRoot.appendingPathComponent("Cluster/hardware/\(name).yaml").path)
}

/// Relative closeness; the YAML writer prints six significant digits, so a round trip is not exact.
private func isClose(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
    a == b || abs(a - b) <= relative * max(abs(a), abs(b))
}

/// A valid profile; each error test changes one thing in it.
private let base = """
name: "test cluster"
device:
  name: "test device"
  flops:
    fp32: 20 TFLOP/s
    bf16: 312 TFLOP/s
  memory_bandwidth: 2 TB/s
  memory: 80 GB
devices_per_node: 8
intra_node:
  bandwidth: 300 GB/s
  latency: 2 us
inter_node:
  bandwidth: 200 Gbit/s
  latency: 5 us
all_to_all_efficiency: 0.8
compute_dtype: bf16
"""

/// `base` with `old` replaced by `new`; fails the test if `old` is not in it.
private func edited(_ old: String, _ new: String) throws -> String {
    try #require(base.contains(old), "base does not contain '\(old)'")
    return base.replacingOccurrences(of: old, with: new)
}

private func parseError(_ yaml: String) -> ConfigError? {
    do {
        _ = try HardwareProfile.parse(yaml: yaml)
        Issue.record("parsed without an error")
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

private func constantEfficiency(_ profile: HardwareProfile) -> Double? {
    if case .constant(let value) = profile.allToAllEfficiency { return value }
    return nil
}

@Suite struct HardwareProfileTests {
    // MARK: Shipped profiles

    @Test(arguments: ["h800", "h100", "a100"])
    func shippedProfileLoadsAndIsPlausible(_ name: String) throws {
        let profile = try shippedProfile(name)
        #expect(profile.devicesPerNode == 8)
        #expect(profile.computeDType == "bf16")
        #expect(profile.peakFlopsPerSecond == profile.device.flopsPerSecond["bf16"])
        #expect(profile.device.memoryBytes == 80e9)
        // The scale-up link is faster than the scale-out one, and slower than HBM.
        #expect(profile.intraNode.bytesPerSecond > profile.interNode.bytesPerSecond)
        #expect(profile.device.memoryBytesPerSecond > profile.intraNode.bytesPerSecond)
        #expect(profile.interNode.latencySeconds >= profile.intraNode.latencySeconds)
        let efficiency = try #require(constantEfficiency(profile))
        #expect(efficiency > 0.5 && efficiency <= 1)
        // fp32 is present everywhere and far below the tensor-core bf16 rate.
        let fp32 = try #require(profile.device.flopsPerSecond["fp32"])
        #expect(fp32 * 10 < profile.peakFlopsPerSecond)
    }

    @Test func h800HasTheDeepSeekLinkFigures() throws {
        let h800 = try shippedProfile("h800")
        #expect(h800.intraNode.bytesPerSecond == 160e9)
        #expect(h800.interNode.bytesPerSecond == 50e9)
        #expect(isClose(h800.intraNode.latencySeconds, 2e-6))
        #expect(isClose(h800.interNode.latencySeconds, 5e-6))
        #expect(isClose(h800.device.flopsPerSecond["bf16"] ?? 0, 989.4e12))
        #expect(isClose(h800.device.flopsPerSecond["fp8"] ?? 0, 1979e12))
        #expect(isClose(h800.device.memoryBytesPerSecond, 3.35e12))
        #expect(constantEfficiency(h800) == 0.86)
    }

    @Test func h100HasDatasheetLinks() throws {
        let h100 = try shippedProfile("h100")
        #expect(h100.intraNode.bytesPerSecond == 450e9)
        #expect(h100.interNode.bytesPerSecond == 50e9)  // written as 400 Gbit/s
        #expect(isClose(h100.device.flopsPerSecond["bf16"] ?? 0, 989.4e12))
        #expect(isClose(h100.device.flopsPerSecond["fp8"] ?? 0, 1979e12))
        // Same compute and memory as H800; only the links differ.
        let h800 = try shippedProfile("h800")
        #expect(h100.device.flopsPerSecond == h800.device.flopsPerSecond)
        #expect(h100.device.memoryBytesPerSecond == h800.device.memoryBytesPerSecond)
    }

    @Test func a100HasAmpereFigures() throws {
        let a100 = try shippedProfile("a100")
        #expect(a100.device.flopsPerSecond["bf16"] == 312e12)
        #expect(a100.device.flopsPerSecond["fp32"] == 19.5e12)
        #expect(a100.device.flopsPerSecond["tf32"] == 156e12)
        #expect(a100.device.flopsPerSecond["fp8"] == nil)
        #expect(isClose(a100.device.memoryBytesPerSecond, 2.039e12))
        #expect(a100.intraNode.bytesPerSecond == 300e9)
        #expect(a100.interNode.bytesPerSecond == 25e9)  // written as 200 Gbit/s
    }

    // MARK: Units

    @Test(arguments: [
        ("400 Gbit/s", Units.Kind.bandwidth, 50e9),
        ("160 GB/s", .bandwidth, 160e9),
        ("3.35 TB/s", .bandwidth, 3.35e12),
        ("1 GiB/s", .bandwidth, 1_073_741_824),
        ("100 Mbps", .bandwidth, 12.5e6),
        ("3 us", .time, 3e-6),
        ("1.5 ms", .time, 1.5e-3),
        ("250 ns", .time, 250e-9),
        ("2s", .time, 2),
        ("64 KiB", .bytes, 65_536),
        ("80 GB", .bytes, 80e9),
        ("989 TFLOP/s", .flops, 989e12),
        ("19.5 TFLOPS", .flops, 19.5e12),
        ("1e-6 s", .time, 1e-6),
        ("1.5e3 GB/s", .bandwidth, 1.5e12),
        // A bare number is in base units.
        ("42", .bandwidth, 42),
        ("0.000002", .time, 2e-6),
        ("4096", .bytes, 4096),
        ("7e14", .flops, 7e14),
    ])
    func unitsParse(_ text: String, _ kind: Units.Kind, _ expected: Double) throws {
        let value = try #require(Units.parse(text, as: kind))
        #expect(isClose(value, expected), "\(text) -> \(value), expected \(expected)")
    }

    @Test(arguments: [
        ("160 parsecs", Units.Kind.bandwidth),
        ("3 GB/s", .time),        // a bandwidth where a time is wanted
        ("2 us", .bandwidth),
        ("64 KiB/s", .bytes),
        ("989 TFLOP", .flops),
        ("fast", .bandwidth),
        ("", .time),
        ("5e us", .time),         // an exponent letter with no exponent
        ("1e400 GB/s", .bandwidth),
    ])
    func unitsRefuse(_ text: String, _ kind: Units.Kind) {
        #expect(Units.parse(text, as: kind) == nil, "'\(text)' parsed as \(kind)")
    }

    // MARK: Bad input

    @Test func baseIsValid() throws {
        let profile = try HardwareProfile.parse(yaml: base)
        #expect(profile.interNode.bytesPerSecond == 25e9)
        #expect(profile.peakFlopsPerSecond == 312e12)
        #expect(constantEfficiency(profile) == 0.8)
    }

    @Test func zeroBandwidthIsOutOfRange() throws {
        let e = try #require(parseError(try edited("bandwidth: 200 Gbit/s", "bandwidth: 0 GB/s")))
        #expect(e.path == "inter_node.bandwidth")
        #expect(e.code == .outOfRange)
        #expect(e.found == "'0 GB/s'")
    }

    @Test func negativeLatencyIsOutOfRange() throws {
        let e = try #require(parseError(try edited("latency: 2 us", "latency: -1 us")))
        #expect(e.path == "intra_node.latency")
        #expect(e.code == .outOfRange)
    }

    @Test func zeroLatencyIsAllowed() throws {
        let profile = try HardwareProfile.parse(yaml: try edited("latency: 2 us", "latency: 0 us"))
        #expect(profile.intraNode.latencySeconds == 0)
    }

    @Test func missingMemoryBandwidth() throws {
        let e = try #require(parseError(try edited("  memory_bandwidth: 2 TB/s\n", "")))
        #expect(e.path == "device.memory_bandwidth")
        #expect(e.code == .missingKey)
    }

    @Test func unitThatDoesNotParse() throws {
        let e = try #require(parseError(try edited("bandwidth: 300 GB/s", "bandwidth: 160 parsecs")))
        #expect(e.path == "intra_node.bandwidth")
        #expect(e.code == .wrongType)
        #expect(e.found == "'160 parsecs'")
    }

    @Test func unknownKey() throws {
        let e = try #require(parseError(try edited("  latency: 5 us", "  latency: 5 us\n  jitter: 1 us")))
        #expect(e.path == "inter_node.jitter")
        #expect(e.code == .unknownKey)
    }

    @Test func computeDTypeNotAmongTheFlops() throws {
        let e = try #require(parseError(try edited("compute_dtype: bf16", "compute_dtype: fp8")))
        #expect(e.path == "compute_dtype")
        #expect(e.code == .inconsistent)
        #expect(e.expected.contains("bf16, fp32"))
    }

    @Test func loadNamesTheFile() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hardware-\(UUID().uuidString).yaml")
        try edited("bandwidth: 200 Gbit/s", "bandwidth: 0 GB/s").write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try HardwareProfile.load(path: url.path)
            Issue.record("loaded without an error")
        } catch let e as ConfigError {
            #expect(e.file == url.path)
            #expect(e.path == "inter_node.bandwidth")
        }
        let missing = #expect(throws: InputFileError.self) {
            try HardwareProfile.load(path: url.path + ".absent")
        }
        #expect(missing?.code == .notFound)
        #expect(missing?.path == url.path + ".absent")
    }

    // MARK: Efficiency curve

    private static let curveYAML = """
    all_to_all_efficiency:
      - {bytes: 1 KiB, efficiency: 0.2}
      - {bytes: 1 MiB, efficiency: 0.8}
      - {bytes: 1 GiB, efficiency: 0.9}
    """

    @Test func curveInterpolatesInLogBytesAndClamps() throws {
        let yaml = try edited("all_to_all_efficiency: 0.8", Self.curveYAML)
        let curve = try HardwareProfile.parse(yaml: yaml).allToAllEfficiency
        // 2^10 -> 0.2, 2^20 -> 0.8, 2^30 -> 0.9; log-linear between.
        #expect(isClose(curve.at(bytesPerPeer: 1024), 0.2))
        #expect(isClose(curve.at(bytesPerPeer: 32768), 0.5))           // 2^15, halfway in log
        #expect(isClose(curve.at(bytesPerPeer: 4096), 0.2 + 0.2 * 0.6))  // 2^12, a fifth of the way
        #expect(isClose(curve.at(bytesPerPeer: 1_048_576), 0.8))
        #expect(isClose(curve.at(bytesPerPeer: 33_554_432), 0.85))     // 2^25, second segment
        // Clamped outside the points.
        #expect(curve.at(bytesPerPeer: 10) == 0.2)
        #expect(curve.at(bytesPerPeer: 0) == 0.2)
        #expect(curve.at(bytesPerPeer: 1e12) == 0.9)
        // Not linear in bytes: halfway in bytes (1 KiB..1 MiB) is 90% of the way in log, 0.74, not 0.5.
        #expect(curve.at(bytesPerPeer: 524_800) > 0.7)
    }

    @Test func curveOutOfOrderIsInconsistent() throws {
        let yaml = try edited("all_to_all_efficiency: 0.8", """
        all_to_all_efficiency:
          - {bytes: 1 MiB, efficiency: 0.8}
          - {bytes: 1 KiB, efficiency: 0.2}
        """)
        let e = try #require(parseError(yaml))
        #expect(e.path == "all_to_all_efficiency")
        #expect(e.code == .inconsistent)
    }

    @Test func zeroEfficiencyIsOutOfRange() throws {
        let e = try #require(parseError(try edited("all_to_all_efficiency: 0.8", "all_to_all_efficiency: 0")))
        #expect(e.path == "all_to_all_efficiency")
        #expect(e.code == .outOfRange)
    }

    // MARK: Round trip

    @Test func yamlRoundTripsExactlyWhenValuesPrintExactly() throws {
        // Sizes below 10^6 bytes print exactly with six significant digits.
        let yaml = try edited("all_to_all_efficiency: 0.8", """
        all_to_all_efficiency:
          - {bytes: 1 KiB, efficiency: 0.25}
          - {bytes: 64 KiB, efficiency: 0.5}
          - {bytes: 512 KiB, efficiency: 0.75}
        """).replacingOccurrences(of: "devices_per_node: 8", with: "devices_per_node: 8\ndevices: 64")
        let profile = try HardwareProfile.parse(yaml: yaml)
        let again = try HardwareProfile.parse(yaml: profile.yaml(comments: ["written by a test"]))
        #expect(again == profile)
        #expect(again.devices == 64)
    }

    @Test func curveSizesOfAMebibyteAndAboveSurviveTheRoundTrip() throws {
        let yaml = try edited("all_to_all_efficiency: 0.8", Self.curveYAML)
        let profile = try HardwareProfile.parse(yaml: yaml)
        let again = try HardwareProfile.parse(yaml: profile.yaml())
        #expect(again.allToAllEfficiency == profile.allToAllEfficiency)
        // Points closer than six significant digits stay apart (they once collapsed into one).
        let close = try edited("all_to_all_efficiency: 0.8", """
        all_to_all_efficiency:
          - {bytes: 1048576, efficiency: 0.5}
          - {bytes: 1048577, efficiency: 0.6}
        """)
        let closeProfile = try HardwareProfile.parse(yaml: close)
        #expect(try HardwareProfile.parse(yaml: closeProfile.yaml()).allToAllEfficiency == closeProfile.allToAllEfficiency)
    }

    @Test(arguments: ["h800", "h100", "a100"])
    func shippedProfileRoundTrips(_ name: String) throws {
        let profile = try shippedProfile(name)
        let text = profile.yaml(comments: ["round trip of \(name).yaml"])
        #expect(text.hasPrefix("# round trip of \(name).yaml\n"))
        let again = try HardwareProfile.parse(yaml: text)
        let tolerance = 1e-5  // %.6g keeps six significant digits
        #expect(again.name == profile.name)
        #expect(again.device.name == profile.device.name)
        #expect(again.devicesPerNode == profile.devicesPerNode)
        #expect(again.devices == profile.devices)
        #expect(again.computeDType == profile.computeDType)
        #expect(again.device.flopsPerSecond.keys.sorted() == profile.device.flopsPerSecond.keys.sorted())
        for (dtype, flops) in profile.device.flopsPerSecond {
            #expect(isClose(again.device.flopsPerSecond[dtype] ?? 0, flops, relative: tolerance), "\(dtype)")
        }
        #expect(isClose(again.device.memoryBytesPerSecond, profile.device.memoryBytesPerSecond, relative: tolerance))
        #expect(isClose(again.device.memoryBytes, profile.device.memoryBytes, relative: tolerance))
        for (a, b) in [(again.intraNode, profile.intraNode), (again.interNode, profile.interNode)] {
            #expect(isClose(a.bytesPerSecond, b.bytesPerSecond, relative: tolerance))
            #expect(isClose(a.latencySeconds, b.latencySeconds, relative: tolerance))
        }
        let before = try #require(constantEfficiency(profile))
        let after = try #require(constantEfficiency(again))
        #expect(isClose(after, before, relative: tolerance))
    }

    @Test func namesWithQuotesAndOverflowingUnitsAndGreekMu() throws {
        var profile = try HardwareProfile.parse(yaml: try edited("all_to_all_efficiency: 0.8", "all_to_all_efficiency: 0.8"))
        profile.name = #"H800 "SXM" \ test"#
        #expect(try HardwareProfile.parse(yaml: profile.yaml()).name == profile.name)
        #expect(Units.parse("1e300 PB/s", as: .bandwidth) == nil)
        #expect(Units.parse("3 \u{3BC}s", as: .time) == 3e-6)
    }
}
