/// One swept axis as the report reads it: where its value sits in a record, in which unit it is
/// plotted, and how a point is labelled along it.
///
/// The value comes from the settings actually run (`workers`, `linkBitsPerSecond`, ...) rather
/// than from the text the sweep was given, so `2GB/s` and `16` both plot at 16 Gbit/s. Axes with
/// no number (`mode`, `wire`, or an unknown name whose values do not parse) are categorical.
struct ReportAxis: Hashable, Sendable {
    let name: String

    /// Whether the axis is plotted by category (one x tic per value) rather than by number.
    var isCategorical: Bool { name == "mode" || name == "wire" || name == "placement" }

    /// The axis title on a plot, with its unit.
    var title: String {
        switch name {
        case "workers": "workers (expert ranks)"
        case "coordinators": "coordinators (attention ranks)"
        case "tokens": "tokens per sequence"
        case "sequences": "sequences per step"
        case "mode": "mode"
        case "topk": "experts per token (top-k)"
        case "experts": "routed experts"
        case "hidden": "hidden size"
        case "wire": "wire format (dispatch/combine)"
        case "bandwidth": "emulated link bandwidth (Gbit/s)"
        case "linkrate": "real link rate between test hosts (Gbit/s)"
        case "latency": "emulated link latency (µs)"
        case "flops": "device FLOP/s (GFLOP/s)"
        case "skew": "routing skew (model.router.skew)"
        case "placement": "expert placement"
        case "rate": "offered load (requests/s)"
        case "threads": "OpenBLAS threads per rank"
        default: name
        }
    }

    /// The value at `record` in plotting units (Gbit/s, µs, GFLOP/s), or nil when the axis is
    /// categorical or the record has no such setting (no emulated link).
    func number(_ record: PointRecord) -> Double? {
        switch name {
        case "workers": Double(record.workers)
        case "coordinators": Double(record.coordinators)
        case "tokens": Double(record.tokens)
        case "sequences": Double(record.sequences)
        case "topk": Double(record.topK)
        case "experts": Double(record.experts)
        case "hidden": Double(record.hidden)
        case "bandwidth", "linkrate": record.linkBitsPerSecond.map { $0 / 1e9 }
        case "latency": record.linkLatencySeconds.map { $0 * 1e6 }
        case "flops": record.deviceFlopsPerSecond.map { $0 / 1e9 }
        case "skew": record.skew
        case "rate": record.offeredRequestsPerSecond
        case "mode", "wire", "placement": nil
        default: record.axes[name].flatMap(Double.init)
        }
    }

    /// The value's text for a category or a label: "fp8/bf16", "prefill", "2".
    func text(_ record: PointRecord) -> String {
        switch name {
        case "mode": return record.mode
        case "wire":
            return record.dispatchDType == record.combineDType
                ? record.dispatchDType : "\(record.dispatchDType)/\(record.combineDType)"
        default:
            guard let x = number(record) else { return record.axes[name] ?? "–" }
            // Counts print whole (hidden 1024, not 1020); measures to three figures.
            return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : ReportNumber.text(x)
        }
    }

    /// A short label of the point along this axis: "w=2", "bw=0.5Gb/s", "fp8/bf16".
    func label(_ record: PointRecord) -> String {
        let value = text(record)
        switch name {
        case "workers": return "w=\(value)"
        case "coordinators": return "c=\(value)"
        case "tokens": return "t=\(value)"
        case "sequences": return "s=\(value)"
        case "topk": return "k=\(value)"
        case "experts": return "E=\(value)"
        case "hidden": return "h=\(value)"
        case "bandwidth": return "bw=\(value)Gb/s"
        case "linkrate": return "link=\(value)Gb/s"
        case "latency": return "lat=\(value)µs"
        case "flops": return "F=\(value)GF/s"
        case "skew": return "skew=\(value)"
        case "rate": return "rate=\(value)/s"
        case "threads": return "thr=\(value)"
        case "mode", "wire", "placement": return value
        default: return "\(name)=\(value)"
        }
    }
}
