/// The records of one setting of a sweep (its repetitions), reduced to one point by medians.
///
/// Repetitions share their `axes` (the values asked for); that is what groups them. Each measured,
/// serving and predicted figure is the median of that figure over the repetitions that have it,
/// taken field by field, so a point's components need not sum to its step time exactly. Failed
/// repetitions take no part in the medians; a point all of whose repetitions failed has no figure.
struct ReportPoint: Sendable {
    /// The repetitions, in the order given.
    let records: [PointRecord]
    /// The first repetition: the settings, which every repetition shares.
    var settings: PointRecord { records[0] }
    /// The lowest index of the repetitions, which orders points as the sweep ran them.
    var index: Int { records.map(\.index).min() ?? 0 }

    let measured: PointRecord.Measured?
    /// Measured tokens per second: lowest and highest over the repetitions.
    let measuredTokensPerSecondRange: ClosedRange<Double>?
    let serving: PointRecord.Serving?
    let predicted: PointRecord.Predicted?

    init(records: [PointRecord]) {
        precondition(!records.isEmpty, "a point has at least one record")
        self.records = records
        let runs = records.filter { $0.status != .failed }
        let measuredRuns = runs.compactMap(\.measured)
        measured = Self.median(measuredRuns, \.tokensPerSecond, \.stepSeconds, \.attentionSeconds, \.routerSeconds,
                               \.dispatchSeconds, \.combineSeconds, \.sharedSeconds, \.expertsSeconds, \.waitSeconds,
                               \.emulatedSeconds, \.dispatchBytes, \.combineBytes, \.exchangeBytesPerSecond, \.imbalance)
        let rates = measuredRuns.map(\.tokensPerSecond)
        measuredTokensPerSecondRange = rates.isEmpty ? nil : rates.min()!...rates.max()!
        var serving = Self.median(runs.compactMap(\.serving), \.achievedRequestsPerSecond, \.outputTokensPerSecond,
                                  \.ttftP50, \.ttftP90, \.ttftP99, \.tpotP50, \.tpotP90, \.tpotP99)
        if serving != nil {
            let completed = runs.compactMap(\.serving).map { Double($0.completedRequests) }
            serving!.completedRequests = Int(ReportStatistics.median(completed)!.rounded())
            serving!.arrivalRequestsPerSecond = ReportStatistics.median(runs.compactMap(\.serving?.arrivalRequestsPerSecond))
        }
        self.serving = serving
        predicted = Self.median(runs.compactMap(\.predicted), \.stepSeconds, \.tokensPerSecond, \.attentionSeconds,
                                \.sharedSeconds, \.expertsSeconds, \.dispatchSeconds, \.combineSeconds, \.imbalance)
    }

    /// The failed repetitions.
    var failures: [PointRecord] { records.filter { $0.status == .failed } }

    /// Whether any repetition produced a figure (measured, serving or predicted).
    var hasFigures: Bool { measured != nil || serving != nil || predicted != nil }

    /// (predicted − measured) / measured step time, from the medians.
    var relativeError: Double? {
        guard let measured, let predicted, measured.stepSeconds > 0 else { return nil }
        return (predicted.stepSeconds - measured.stepSeconds) / measured.stepSeconds
    }

    /// The point's state in a word or a few: ok, predicted, failed, "ok (1 of 3 failed)".
    var status: String {
        let failed = failures.count
        if failed == records.count { return "failed" }
        let kind = records.contains { $0.status == .ok } ? "ok" : "predicted"
        return failed == 0 ? kind : "\(kind) (\(failed) of \(records.count) failed)"
    }

    /// Groups records into points by their axis values, in the order the sweep ran them.
    static func group(_ records: [PointRecord]) -> [ReportPoint] {
        var order: [[String: String]] = []
        var byAxes: [[String: String]: [PointRecord]] = [:]
        for record in records {
            if byAxes[record.axes] == nil { order.append(record.axes) }
            byAxes[record.axes, default: []].append(record)
        }
        return order.map { ReportPoint(records: byAxes[$0]!.sorted { $0.repetition < $1.repetition }) }
            .sorted { $0.index < $1.index }
    }

    /// The first item with each listed field replaced by the median of that field over all items.
    private static func median<T>(_ items: [T], _ fields: WritableKeyPath<T, Double>...) -> T? {
        guard var result = items.first else { return nil }
        for field in fields { result[keyPath: field] = ReportStatistics.median(items.map { $0[keyPath: field] })! }
        return result
    }
}

/// The few statistics the report takes.
enum ReportStatistics {
    /// The median (the mean of the middle two for an even count), nil for no values.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
