import Testing
@testable import MeshCore
@testable import MeshCalibration

/// The pure parts of `calibrate`: schedules, argument parsing, bandwidth definitions, and the
/// profile it writes from what it measured.
@Suite struct CalibrationTests {
    @Test func allToAllSizesDoubleUpToTheLargestPowerOfTwo() {
        #expect(CalibrationPlan.allToAllSizes(maxBytes: 8) == [1, 2, 4, 8])
        #expect(CalibrationPlan.allToAllSizes(maxBytes: 100) == [1, 2, 4, 8, 16, 32, 64])
        #expect(CalibrationPlan.allToAllSizes(maxBytes: 1) == [1])
    }

    @Test func busBandwidthFollowsNcclTests() {
        // 4 ranks, 1 MiB per peer in 1 ms: algbw = 4 MiB / 1 ms; busbw = algbw · 3/4.
        let point = AllToAllPoint(bytesPerPeer: 1 << 20, ranks: 4, iterations: 10, minSeconds: 0.9e-3,
                                  averageSeconds: 1e-3, maxSeconds: 1.1e-3)
        #expect(abs(point.algorithmBytesPerSecond - 4_194_304e3) < 1)
        #expect(abs(point.busBytesPerSecond - 4_194_304e3 * 0.75) < 1)
    }

    @Test func argumentsParseOrSayWhy() throws {
        #expect(try CalibrationRequest.byteCount("4MiB", option: "--max-bytes", in: 1...(1 << 30)) == 4 << 20)
        #expect(try CalibrationRequest.byteCount("64 K", option: "--max-bytes", in: 1...(1 << 30)) == 64 << 10)
        #expect(try CalibrationRequest.count("50", option: "--iterations", in: 1...10_000) == 50)
        #expect { try CalibrationRequest.count("many", option: "--iterations", in: 1...10_000) } throws: {
            ($0 as? CalibrationError)?.description.contains("--iterations") == true
        }
        #expect { try CalibrationRequest.byteCount("4 parsecs", option: "--max-bytes", in: 1...(1 << 30)) } throws: {
            ($0 as? CalibrationError)?.description.contains("--max-bytes") == true
        }
    }

    func results(layers: LayerTiming?) -> CalibrationResults {
        let gemm = [
            GEMMPoint(tokens: 1, concurrentFlopsPerSecond: [2e9, 2e9], aloneFlopsPerSecond: 5e9),
            GEMMPoint(tokens: 64, concurrentFlopsPerSecond: [12e9, 14e9], aloneFlopsPerSecond: 25e9),
            GEMMPoint(tokens: 512, concurrentFlopsPerSecond: [15e9, 15e9], aloneFlopsPerSecond: 20e9),
        ]
        let allToAll = [
            AllToAllPoint(bytesPerPeer: 1024, ranks: 4, iterations: 10, minSeconds: 1e-5, averageSeconds: 1e-5, maxSeconds: 1e-5),
            AllToAllPoint(bytesPerPeer: 65536, ranks: 4, iterations: 10, minSeconds: 4e-5, averageSeconds: 5e-5, maxSeconds: 6e-5),
        ]
        return CalibrationResults(
            ranks: 4, cpuModel: "test CPU", cores: 2, memoryBytes: 8 << 30, blasThreads: 1, optimized: true,
            configPath: "Cluster/default.yaml", hidden: 256, expertFFN: 512, tokensPerExpert: 32, date: "today",
            pingPong: [PingPongPoint(bytes: 8, iterations: 100, halfRoundTripSeconds: 2e-6)], allToAll: allToAll, gemm: gemm,
            memory: MemoryFigures(arrayBytes: 1 << 26, concurrentCopy: [5e9], concurrentTriad: [6e9], aloneCopy: 10e9, aloneTriad: 12e9),
            layerSeconds: layers)
    }

    @Test func theProfileTakesARankWithACoreOfItsOwnAndCurvesBelowIt() throws {
        // measured = roofline / 0.8 + 4 layers × 1 ms: 0.08 / 0.8 + 0.004 and 0.004 / 0.8 + 0.004.
        let timing = LayerTiming(large: (measured: 0.104, predicted: 0.08), small: (measured: 0.009, predicted: 0.004), layers: 4)
        let profile = try results(layers: timing).profile()
        // The best alone rate (25 GFLOP/s at 64 rows), not the largest n's, is the device's peak.
        #expect(profile.device.flopsPerSecond["fp32"] == 25e9)
        #expect(profile.device.memoryBytesPerSecond == 12e9)
        #expect(profile.coresPerNode == 2)
        #expect(profile.devicesPerNode == 4)
        #expect(abs((profile.gemmEfficiency?.at(1) ?? 0) - 0.2) < 1e-12)
        #expect(abs((profile.gemmEfficiency?.at(512) ?? 0) - 0.8) < 1e-12)
        #expect(abs((profile.kernelEfficiency ?? 0) - 0.8) < 1e-12)
        #expect(abs((profile.layerOverheadSeconds ?? 0) - 1e-3) < 1e-12)
        // The link: the best busbw (at 64 KiB per peer), latency from the 8-byte ping-pong.
        let best = AllToAllPoint(bytesPerPeer: 65536, ranks: 4, iterations: 10, minSeconds: 4e-5, averageSeconds: 5e-5,
                                 maxSeconds: 6e-5).busBytesPerSecond
        #expect(abs(profile.intraNode.bytesPerSecond - best) < 1)
        #expect(profile.intraNode.latencySeconds == 2e-6)
        // Written and read back (figures print to 10 digits, so within the check calibrate makes).
        try ProfileRoundTripError.check(try HardwareProfile.parse(yaml: profile.yaml()), against: profile)
    }

    @Test func withoutALayerMeasurementThereIsNoKernelEfficiency() throws {
        #expect(try results(layers: nil).profile().kernelEfficiency == nil)
        #expect(try results(layers: nil).profile().layerOverheadSeconds == nil)
    }
}
