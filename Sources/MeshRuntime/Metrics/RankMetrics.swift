import Foundation
import MeshCore

/// The phases of a layer whose time is measured, on coordinators and workers.
public enum LayerPhase: Int, CaseIterable, Sendable, Codable {
    /// Coordinator: norm, q/k/v/o, RoPE, attention over the KV cache, residual.
    case attention
    /// Coordinator: gate GEMM, scores, top-k, dispatch plan.
    case router
    /// Coordinator: token counts, packing, the dispatch all-to-all.
    case dispatch
    /// Worker: grouping rows by expert and the expert GEMMs.
    case experts
    /// Coordinator: waiting for the combine all-to-all and adding the rows; worker: sending them.
    case combine
    /// Coordinator: the shared experts (overlapped with combine) or the dense MLP.
    case mlp
    /// Worker: waiting for the counts and the rows of the next dispatch.
    case wait
    /// Any rank: time spent waiting out an emulated link after the real exchange (`--emulate`);
    /// it is also inside the dispatch, combine or wait time of the same layer.
    case emulated

    /// Whether the phase is computation a slower device would stretch.
    var isCompute: Bool { self == .attention || self == .router || self == .experts || self == .mlp }

    /// The name as a JSON key.
    public var key: String { name.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: " ", with: "_") }

    public var name: String {
        switch self {
        case .attention: "attention"
        case .router: "router"
        case .dispatch: "dispatch"
        case .experts: "experts"
        case .combine: "combine"
        case .mlp: "shared/dense"
        case .wait: "wait"
        case .emulated: "emulated link"
        }
    }
}

/// One span of time on one rank, for the trace.
struct Span: Codable, Equatable {
    var start: Double
    var end: Double
    var phase: LayerPhase
    var layer: Int
}

/// What one rank measured in one step, gathered on rank 0 as a typed record at the end of the run.
struct StepRecord: Codable, Equatable {
    var phaseCode: Double = 0
    /// The control word that started the step (`phaseCode`, as gathered).
    var word: ControlWord? { ControlWord(rawValue: Int32(phaseCode)) }
    var tokens: Double = 0
    var seconds: Double = 0
    /// `times[layer][phase]`, seconds.
    var times: [[Double]]
    /// Bytes this rank sent to each rank (dispatch and combine, all layers).
    var bytesTo: [Double]
    /// `expertRows[m][e]`: rows this rank ran through expert e in MoE layer m.
    var expertRows: [[Double]]
    /// Bytes sent in dispatch and in combine.
    var dispatchBytes: Double = 0
    var combineBytes: Double = 0

    init(layers: Int, ranks: Int, moeLayers: Int, experts: Int) {
        times = Array(repeating: Array(repeating: 0, count: LayerPhase.allCases.count), count: layers)
        bytesTo = Array(repeating: 0, count: ranks)
        expertRows = Array(repeating: Array(repeating: 0, count: experts), count: moeLayers)
    }
}

/// Everything one rank measures during a run.
final class RankMetrics {
    let layers: Int, ranks: Int, moeLayers: Int, experts: Int
    private(set) var steps: [StepRecord] = []
    private(set) var spans: [Span] = []
    let recordSpans: Bool
    private var stepStart = 0.0
    /// Compute phases last this many times the CPU time they took (an emulated slower device,
    /// `run --emulate-device`); 1 = off. CPU time, not wall time: ranks that share cores here
    /// would otherwise stretch each other's waits, while emulated devices are each their own.
    var computeSlowdown = 1.0

    init(layers: Int, ranks: Int, moeLayers: Int, experts: Int, recordSpans: Bool) {
        self.layers = layers
        self.ranks = ranks
        self.moeLayers = moeLayers
        self.experts = experts
        self.recordSpans = recordSpans
    }

    /// Starts the record of a step that `word` started.
    func beginStep(_ word: ControlWord, tokens: Int) {
        var record = StepRecord(layers: layers, ranks: ranks, moeLayers: moeLayers, experts: experts)
        record.phaseCode = Double(word.rawValue)
        record.tokens = Double(tokens)
        steps.append(record)
        stepStart = monotonicSeconds()
    }

    func endStep() {
        steps[steps.count - 1].seconds = monotonicSeconds() - stepStart
    }

    /// Times `body` as `phase` of `layer`.
    @inline(__always)
    func measure<R>(_ phase: LayerPhase, layer: Int, _ body: () throws -> R) rethrows -> R {
        let start = monotonicSeconds()
        let paced = computeSlowdown > 1 && phase.isCompute
        let cpuStart = paced ? threadCPUSeconds() : 0
        defer {
            var end = monotonicSeconds()
            if paced {
                end = max(end, start + (threadCPUSeconds() - cpuStart) * computeSlowdown)
                _ = waitUntil(end)
            }
            steps[steps.count - 1].times[layer][phase.rawValue] += end - start
            if recordSpans { spans.append(Span(start: start, end: end, phase: phase, layer: layer)) }
        }
        return try body()
    }

    /// Times `body` as `phase` of `layer`, less the time it spent in `nested` (measured inside).
    func measure<R>(_ phase: LayerPhase, layer: Int, excluding nested: LayerPhase, _ body: () throws -> R) rethrows -> R {
        let before = steps[steps.count - 1].times[layer][nested.rawValue]
        let start = monotonicSeconds()
        defer {
            let end = monotonicSeconds()
            let inner = steps[steps.count - 1].times[layer][nested.rawValue] - before
            steps[steps.count - 1].times[layer][phase.rawValue] += end - start - inner
            if recordSpans { spans.append(Span(start: start, end: end, phase: phase, layer: layer)) }
        }
        return try body()
    }

    /// Adds `seconds` that just ended to `phase` of `layer` (a span of the trace too).
    func add(_ seconds: Double, to phase: LayerPhase, layer: Int) {
        guard seconds > 0 else { return }
        steps[steps.count - 1].times[layer][phase.rawValue] += seconds
        if recordSpans {
            let end = monotonicSeconds()
            spans.append(Span(start: end - seconds, end: end, phase: phase, layer: layer))
        }
    }

    func addBytes(_ bytes: Int, to rank: Int, dispatch: Bool) {
        steps[steps.count - 1].bytesTo[rank] += Double(bytes)
        if dispatch { steps[steps.count - 1].dispatchBytes += Double(bytes) }
        else { steps[steps.count - 1].combineBytes += Double(bytes) }
    }

    func addExpertRows(_ rows: Int, expert: Int, moeLayer: Int) {
        steps[steps.count - 1].expertRows[moeLayer][expert] += Double(rows)
    }
}
