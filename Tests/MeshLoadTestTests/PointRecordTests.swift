import Testing
@testable import MeshLoadTest

@Suite struct PointRecordTests {
    func record() -> PointRecord {
        PointRecord(index: 0, axes: ["workers": "2"], repetition: 0, status: .ok, coordinators: 1, workers: 2, sequences: 4,
                    tokens: 64, mode: "prefill", topK: 2, experts: 16, hidden: 256, dispatchDType: "fp32",
                    combineDType: "fp32", skew: 0)
    }

    @Test func relativeErrorNeedsBothSides() {
        var r = record()
        #expect(r.relativeError == nil)
        r.predicted = .init(stepSeconds: 0.12, tokensPerSecond: 2133, attentionSeconds: 0.01, sharedSeconds: 0.01,
                            expertsSeconds: 0.05, dispatchSeconds: 0.02, combineSeconds: 0.03, bottleneck: "experts", imbalance: 1)
        #expect(r.relativeError == nil)
        r.measured = .init(tokensPerSecond: 2560, stepSeconds: 0.1, attentionSeconds: 0, routerSeconds: 0, dispatchSeconds: 0,
                           combineSeconds: 0, sharedSeconds: 0, expertsSeconds: 0, waitSeconds: 0, emulatedSeconds: 0,
                           dispatchBytes: 0, combineBytes: 0, exchangeBytesPerSecond: 0, imbalance: 1)
        #expect(abs(r.relativeError! - 0.2) < 1e-12)
    }
}
