import Foundation
import Testing
@testable import MeshLoadTest

@Suite struct ReportKneeTests {
    /// The cost model's shape: exchange = latency part + bits / bandwidth, compute fixed.
    static func samples(_ gbps: [Double], fixedSeconds: Double = 0.0005, bits: Double = 2.4e7,
                        computeSeconds: Double = 0.03) -> [ExchangeKnee.Sample] {
        gbps.map { ExchangeKnee.Sample(bitsPerSecond: $0 * 1e9, exchangeSeconds: fixedSeconds + bits / ($0 * 1e9),
                                       computeSeconds: computeSeconds) }
    }

    /// bits / (compute − fixed): where the law's exchange equals the compute time.
    static let trueKnee = 2.4e7 / (0.03 - 0.0005)

    @Test func interpolatesBetweenTheBracketingPoints() {
        let knee = ExchangeKnee.find(Self.samples([0.1, 0.3, 1, 3, 10]))
        #expect(knee.method == .interpolated)
        #expect(knee.fromBitsPerSecond == [0.3e9, 1e9])
        let b = try! #require(knee.bitsPerSecond)
        // Linear in log-log between 0.3 and 1 Gbit/s: close to the law's crossing, not exact.
        #expect(abs(b / Self.trueKnee - 1) < 0.05, "knee \(b) against \(Self.trueKnee)")
    }

    @Test func aPointOnTheKneeIsTheKnee() {
        let knee = ExchangeKnee.find([
            .init(bitsPerSecond: 1e8, exchangeSeconds: 0.2, computeSeconds: 0.05),
            .init(bitsPerSecond: 1e9, exchangeSeconds: 0.05, computeSeconds: 0.05),
            .init(bitsPerSecond: 1e10, exchangeSeconds: 0.01, computeSeconds: 0.05),
        ])
        #expect(knee.bitsPerSecond == 1e9)
        #expect(knee.method == .interpolated)
    }

    @Test func extrapolatesBelowWhenEveryPointIsComputeBound() throws {
        let knee = ExchangeKnee.find(Self.samples([3, 10, 30]))
        #expect(knee.method == .extrapolated)
        // Fitted on the two lowest bandwidths, the law is recovered exactly.
        #expect(knee.fromBitsPerSecond == [3e9, 10e9])
        let b = try #require(knee.bitsPerSecond)
        #expect(abs(b / Self.trueKnee - 1) < 1e-9)
        #expect(knee.note.contains("compute-bound"))
    }

    @Test func extrapolatesAboveWhenEveryPointIsExchangeBound() throws {
        let knee = ExchangeKnee.find(Self.samples([0.05, 0.1, 0.2]))
        #expect(knee.method == .extrapolated)
        #expect(knee.fromBitsPerSecond == [0.2e9, 0.1e9])
        let b = try #require(knee.bitsPerSecond)
        #expect(abs(b / Self.trueKnee - 1) < 1e-9)
        #expect(knee.note.contains("exchange-bound"))
    }

    @Test func oneSampleAssumesAPureInverseLaw() throws {
        let knee = ExchangeKnee.find(Self.samples([10], fixedSeconds: 0))
        #expect(knee.method == .extrapolated)
        let b = try #require(knee.bitsPerSecond)
        #expect(abs(b / (2.4e7 / 0.03) - 1) < 1e-9)
    }

    @Test func noKneeWhenTheFixedPartAloneExceedsTheComputation() {
        // 40 ms of latency per step against 30 ms of compute: no bandwidth helps.
        let knee = ExchangeKnee.find(Self.samples([1, 10, 100], fixedSeconds: 0.04))
        #expect(knee.bitsPerSecond == nil)
        #expect(knee.method == .none)
        #expect(knee.note.contains("fixed part"))
    }

    @Test func theReportGivesPredictedAndMeasuredKnees() throws {
        let report = SweepReport(records: ReportFixtures.bandwidth(), axes: ["bandwidth"], title: "t", configPath: "c",
                                 date: "d", folder: "/nonexistent")
        let analysis = report.analysis(plots: false)
        let predicted = try #require(analysis.knees.first { $0.source == "predicted" })
        let measured = try #require(analysis.knees.first { $0.source == "measured" })
        #expect(predicted.method == .interpolated && measured.method == .interpolated)
        // The fixture's exchange is 2 × 16.8 Mbit / b plus 40 µs; its compute is 30.7 ms at 2 workers.
        let b = try #require(predicted.linkBitsPerSecond)
        #expect(b > 0.3e9 && b < 1e9)
        // The measured combine includes waiting for the experts: the crossing sits higher.
        #expect(try #require(measured.linkBitsPerSecond) > b)
        let text = report.markdown(plots: false)
        #expect(text.contains("The predicted knee is at \(ReportNumber.bandwidth(b))"))
    }
}

@Suite struct ReportSaturationTests {
    static func samples(_ rows: [(Double, Double, Double)]) -> [ServingSaturation.Sample] {
        rows.map { .init(offeredRequestsPerSecond: $0.0, achievedRequestsPerSecond: $0.1, ttftP99Seconds: $0.2) }
    }

    @Test func achievedIsComparedWithTheRateRequestsReallyArrivedAt() throws {
        // Offered 10 and 20 req/s, but a small Poisson sample arrived 35 % faster: 19 achieved of
        // 27 arrived is a queue building, though it is 95 % of the offered 20.
        var rows = Self.samples([(10, 13.4, 0.05), (20, 19, 0.06)])
        rows[0].arrivalRequestsPerSecond = 13.5
        rows[1].arrivalRequestsPerSecond = 27
        let found = try #require(ServingSaturation.find(rows))
        #expect(found.index == 0)
        // Without the arrival rate, offered is the yardstick.
        #expect(try #require(ServingSaturation.find(Self.samples([(10, 13.4, 0.05), (20, 19, 0.06)]))).index == 1)
    }

    @Test func theHighestRateMeetingBothConditions() throws {
        let found = try #require(ServingSaturation.find(Self.samples([
            (2, 2, 0.10), (8, 7.9, 0.15), (16, 15, 0.6), (24, 18, 3.0), (32, 18, 9.0),
        ])))
        #expect(found.baselineTTFTP99Seconds == 0.10)
        #expect(found.index == 2)  // 16: 94 % achieved, 6x the lowest TTFT p99
    }

    @Test func latencyAloneCanEndIt() throws {
        // 24 requests/s are all served, but TTFT p99 is 10x the lowest rate's: not sustained.
        let found = try #require(ServingSaturation.find(Self.samples([(2, 2, 0.1), (16, 16, 0.99), (24, 24, 1.0)])))
        #expect(found.index == 1)
    }

    @Test func throughputAloneCanEndIt() throws {
        // 89 % of offered at 24 requests/s: below the 90 % bar.
        let found = try #require(ServingSaturation.find(Self.samples([(2, 2, 0.1), (16, 14.5, 0.2), (24, 21.36, 0.2)])))
        #expect(found.index == 1)
    }

    @Test func takesTheHighestEvenAfterANoisyMiss() throws {
        let found = try #require(ServingSaturation.find(Self.samples([(2, 2, 0.1), (8, 7, 0.2), (12, 11.5, 0.3)])))
        #expect(found.index == 2)
    }

    @Test func orderDoesNotMatter() throws {
        let found = try #require(ServingSaturation.find(Self.samples([(16, 15, 0.6), (2, 2, 0.1), (24, 18, 3)])))
        #expect(found.baselineTTFTP99Seconds == 0.1)
        #expect(found.index == 0)
    }

    @Test func noneWhenEvenTheLowestRateIsNotServed() throws {
        let found = try #require(ServingSaturation.find(Self.samples([(2, 1, 0.1), (4, 1.1, 0.2)])))
        #expect(found.index == nil)
        #expect(ServingSaturation.find([]) == nil)
    }

    @Test func theReportStatesTheRuleAndThePoint() throws {
        let report = SweepReport(records: ReportFixtures.serving(), axes: ["rate"], title: "t", configPath: "c",
                                 date: "d", folder: "/nonexistent")
        let analysis = report.analysis(plots: false)
        let saturation = try #require(analysis.saturation.first)
        #expect(saturation.offeredRequestsPerSecond == 12)
        #expect(saturation.rule == ServingSaturation.rule)
        let text = report.markdown(plots: false)
        #expect(text.contains("Saturation is the highest offered rate whose achieved rate (completed requests over the run) is at least 90 % of the rate its requests actually arrived at"))
        #expect(text.contains("The curve saturates at 12 requests/s"))
    }
}

@Suite struct ReportAggregationTests {
    static func run(_ tokensPerSecond: Double, repetition: Int, status: PointRecord.Status = .ok) -> PointRecord {
        var r = ReportFixtures.record(.init(workers: 2), axes: ["workers": "2"], index: repetition * 3,
                                      repetition: repetition, status: status)
        if status == .ok {
            r.measured!.tokensPerSecond = tokensPerSecond
            r.measured!.stepSeconds = 256 / tokensPerSecond
        }
        return r
    }

    @Test func repetitionsReduceToTheirMedianAndSpread() throws {
        let records = [Self.run(100, repetition: 0), Self.run(300, repetition: 1), Self.run(0, repetition: 2, status: .failed),
                       Self.run(200, repetition: 3)]
        let points = ReportPoint.group(records)
        #expect(points.count == 1)
        let point = points[0]
        let measured = try #require(point.measured)
        #expect(measured.tokensPerSecond == 200)
        #expect(abs(measured.stepSeconds - 256.0 / 200) < 1e-12)
        #expect(point.measuredTokensPerSecondRange == 100...300)
        #expect(point.failures.count == 1)
        #expect(point.status == "ok (1 of 4 failed)")
    }

    @Test func anEvenCountTakesTheMeanOfTheMiddleTwo() throws {
        let point = ReportPoint.group([Self.run(100, repetition: 0), Self.run(400, repetition: 1),
                                       Self.run(200, repetition: 2), Self.run(1000, repetition: 3)])[0]
        #expect(try #require(point.measured).tokensPerSecond == 300)
        #expect(ReportStatistics.median([]) == nil)
    }

    @Test func pointsAreGroupedByAxesInSweepOrder() {
        let records = ReportFixtures.workers()
        let points = ReportPoint.group(records)
        #expect(points.map { $0.settings.workers } == [1, 2, 3, 4])
        #expect(points.allSatisfy { $0.records.count == 3 })
        #expect(points[3].status == "failed")
        #expect(points[3].measured == nil && points[3].predicted == nil)
    }

    @Test func theTableShowsTheMedians() {
        let records = [Self.run(100, repetition: 0), Self.run(300, repetition: 1), Self.run(200, repetition: 2)]
        let text = SweepReport(records: records, axes: ["workers"], title: "t", configPath: "c", date: "d", folder: "/x")
            .markdown(plots: false)
        #expect(text.contains("| 2 | 3 | 200 (100–300) |"))
    }
}

@Suite struct ReportTextTests {
    @Test func failedPointsAreNamedWithTheirErrors() {
        let report = SweepReport(records: ReportFixtures.workers(), axes: ["workers"], title: "Workers on 2 cores",
                                 configPath: "Cluster/default.yaml", date: "2026-11-29", folder: "/x")
        let text = report.markdown(plots: false)
        #expect(text.hasPrefix("# Workers on 2 cores\n"))
        #expect(text.contains("`Cluster/default.yaml` on 2026-11-29"))
        #expect(text.contains("12 runs, 4 failed"))
        #expect(text.contains("## Failed runs"))
        #expect(text.contains("- `w=4` repetition 0 (index 3): mpirun: rank 2 exited with status 134"))
        #expect(text.contains("- `w=2` repetition 1 (index 5): "))
        #expect(text.contains("1 point failed at every repetition and appears in no plot: `w=4`."))
        #expect(text.contains("| 4 | 3 | – | – | – | – | – | failed |"))
        let analysis = report.analysis(plots: false)
        #expect(analysis.points == 4 && analysis.runs == 12 && analysis.failedRuns == 4)
    }

    @Test func theWorkersCurveIsRead() {
        let text = SweepReport(records: ReportFixtures.workers(), axes: ["workers"], title: "t", configPath: "c",
                               date: "d", folder: "/x").markdown(plots: false)
        #expect(text.contains("From 1 to 3 workers measured throughput rises "))
        #expect(text.contains("(ideal 3x, "))
    }

    @Test func medianAbsoluteErrorOverPointsWithBoth() throws {
        let records = ReportFixtures.bandwidth()
        let analysis = SweepReport(records: records, axes: ["bandwidth"], title: "t", configPath: "c", date: "d", folder: "/x")
            .analysis(plots: false)
        let errors = ReportPoint.group(records).compactMap(\.relativeError).map(abs)
        #expect(analysis.comparedPoints == 5)
        #expect(analysis.medianAbsoluteRelativeError == ReportStatistics.median(errors))
        // A model-only sweep has nothing to compare.
        let modelOnly = SweepReport(records: ReportFixtures.modelOnly(records), axes: ["bandwidth"], title: "t",
                                    configPath: "c", date: "d", folder: "/x").analysis(plots: false)
        #expect(modelOnly.medianAbsoluteRelativeError == nil && modelOnly.comparedPoints == 0)
    }

    @Test func theFlopsCurveSaysWhatBinds() {
        let text = SweepReport(records: ReportFixtures.flops(), axes: ["bandwidth", "flops"], title: "t", configPath: "c",
                               date: "d", folder: "/x").markdown(plots: false)
        #expect(text.contains("At bw=0.1Gb/s, multiplying device FLOP/s by 8 (50 to 400 GFLOP/s) changes measured throughput by"))
        #expect(text.contains(": the links bind."))
        #expect(text.contains(": compute binds."))
    }

    @Test func theAnalysisRoundTripsThroughJSON() throws {
        let analysis = SweepReport(records: ReportFixtures.bandwidth() , axes: ["bandwidth"], title: "t", configPath: "c",
                                   date: "d", folder: "/x").analysis()
        let data = try JSONEncoder().encode(analysis)
        #expect(try JSONDecoder().decode(SweepAnalysis.self, from: data) == analysis)
        #expect(analysis.plots.map(\.png).contains("plots/throughput-vs-bandwidth.png"))
    }

    @Test(arguments: [
        (1234.5, "1230"), (0.012345, "0.0123"), (2.0, "2"), (9.996, "10"), (99.96, "100"), (-0.5, "-0.5"),
        (123456, "123000"), (0, "0"), (1.05, "1.05"),
    ])
    func threeSignificantFigures(_ value: Double, _ text: String) {
        #expect(ReportNumber.text(value) == text)
    }

    @Test func percentagesAndDurations() {
        #expect(ReportNumber.percent(0.123) == "12 %")
        #expect(ReportNumber.percent(0.042, signed: true) == "+4.2 %")
        #expect(ReportNumber.percent(-0.071, signed: true) == "-7.1 %")
        #expect(ReportNumber.duration(0.0123) == "12.3 ms")
        #expect(ReportNumber.duration(1.234) == "1.23 s")
        #expect(ReportNumber.bandwidth(1.6e9) == "1.6 Gbit/s")
    }

    @Test func integerAxesPrintWhole() {
        let record = ReportFixtures.record(.init(hidden: 1024), axes: [:], index: 0)
        #expect(ReportAxis(name: "hidden").label(record) == "h=1024")
        #expect(ReportAxis(name: "wire").text(record) == "fp32")
        #expect(ReportAxis(name: "bandwidth").number(record) == nil)
    }
}
