import Foundation

/// `points.csv`: one row per point, with every setting, measurement and prediction.
///
/// Times are in milliseconds, rates per second, sizes in bytes, bandwidths in GB/s or Gbit/s as
/// the column names say; an empty cell is a value that does not apply (Docs/LoadTesting.md).
public enum PointsCSV {
    /// A column: its name and its cell of a record.
    struct Column: Sendable {
        let name: String
        let cell: @Sendable (PointRecord) -> String
    }

    static func number(_ value: Double?, _ scale: Double = 1) -> String {
        guard let value, value.isFinite else { return "" }
        return String(format: "%.6g", value * scale)
    }

    static func integer(_ value: Int?) -> String { value.map(String.init) ?? "" }

    /// Quotes a cell when it holds a comma, a quote or a line break (RFC 4180).
    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static let columns: [Column] = {
        let ms = 1000.0
        func m(_ name: String, _ scale: Double = 1, _ value: @escaping @Sendable (PointRecord.Measured) -> Double) -> Column {
            Column(name: name) { number($0.measured.map(value), scale) }
        }
        func p(_ name: String, _ scale: Double = 1, _ value: @escaping @Sendable (PointRecord.Predicted) -> Double) -> Column {
            Column(name: name) { number($0.predicted.map(value), scale) }
        }
        func s(_ name: String, _ scale: Double = 1, _ value: @escaping @Sendable (PointRecord.Serving) -> Double) -> Column {
            Column(name: name) { number($0.serving.map(value), scale) }
        }
        return [
            Column(name: "point") { String($0.index) },
            Column(name: "repetition") { String($0.repetition) },
            Column(name: "status") { $0.status.rawValue },
            Column(name: "coordinators") { String($0.coordinators) },
            Column(name: "workers") { String($0.workers) },
            Column(name: "sequences") { String($0.sequences) },
            Column(name: "tokens") { String($0.tokens) },
            Column(name: "mode") { $0.mode },
            Column(name: "top_k") { String($0.topK) },
            Column(name: "experts") { String($0.experts) },
            Column(name: "hidden") { String($0.hidden) },
            Column(name: "dispatch_dtype") { $0.dispatchDType },
            Column(name: "combine_dtype") { $0.combineDType },
            Column(name: "link_gbit_s") { number($0.linkBitsPerSecond, 1e-9) },
            Column(name: "link_latency_us") { number($0.linkLatencySeconds, 1e6) },
            Column(name: "device_gflop_s") { number($0.deviceFlopsPerSecond, 1e-9) },
            Column(name: "skew") { number($0.skew) },
            Column(name: "blas_threads") { integer($0.blasThreads) },
            Column(name: "placement") { quoted($0.axes["placement"] ?? "") },
            Column(name: "offered_req_s") { number($0.offeredRequestsPerSecond) },
            m("tokens_per_s") { $0.tokensPerSecond },
            m("step_ms", ms) { $0.stepSeconds },
            m("attention_ms", ms) { $0.attentionSeconds },
            m("router_ms", ms) { $0.routerSeconds },
            m("dispatch_ms", ms) { $0.dispatchSeconds },
            m("experts_ms", ms) { $0.expertsSeconds },
            m("combine_ms", ms) { $0.combineSeconds },
            m("shared_ms", ms) { $0.sharedSeconds },
            m("worker_wait_ms", ms) { $0.waitSeconds },
            m("emulated_wait_ms", ms) { $0.emulatedSeconds },
            m("dispatch_bytes") { $0.dispatchBytes },
            m("combine_bytes") { $0.combineBytes },
            m("exchange_gb_s", 1e-9) { $0.exchangeBytesPerSecond },
            m("imbalance") { $0.imbalance },
            p("predicted_step_ms", ms) { $0.stepSeconds },
            p("predicted_tokens_per_s") { $0.tokensPerSecond },
            p("predicted_attention_ms", ms) { $0.attentionSeconds },
            p("predicted_experts_ms", ms) { $0.expertsSeconds },
            p("predicted_dispatch_ms", ms) { $0.dispatchSeconds },
            p("predicted_combine_ms", ms) { $0.combineSeconds },
            p("predicted_shared_ms", ms) { $0.sharedSeconds },
            p("predicted_imbalance") { $0.imbalance },
            Column(name: "predicted_bottleneck") { quoted($0.predicted?.bottleneck ?? "") },
            Column(name: "relative_error") { number($0.relativeError) },
            Column(name: "completed_requests") { integer($0.serving?.completedRequests) },
            Column(name: "arrival_req_s") { number($0.serving?.arrivalRequestsPerSecond) },
            s("achieved_req_s") { $0.achievedRequestsPerSecond },
            s("output_tokens_per_s") { $0.outputTokensPerSecond },
            s("ttft_p50_ms", ms) { $0.ttftP50 },
            s("ttft_p90_ms", ms) { $0.ttftP90 },
            s("ttft_p99_ms", ms) { $0.ttftP99 },
            s("tpot_p50_ms", ms) { $0.tpotP50 },
            s("tpot_p90_ms", ms) { $0.tpotP90 },
            s("tpot_p99_ms", ms) { $0.tpotP99 },
            Column(name: "elapsed_s") { number($0.elapsedSeconds) },
            Column(name: "error") { quoted($0.error ?? "") },
        ]
    }()

    /// The header line's column names.
    public static var header: [String] { columns.map(\.name) }

    /// The whole file: a header and one row per record, in point order.
    public static func text(_ records: [PointRecord]) -> String {
        var lines = [header.joined(separator: ",")]
        for record in records.sorted(by: { $0.index < $1.index }) {
            lines.append(columns.map { $0.cell(record) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
