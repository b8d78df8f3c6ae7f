import Foundation

/// Finds the link bandwidth at which a step's exchange (dispatch + combine) takes as long as its
/// computation: below it the links bind, above it the devices do.
///
/// The cost model's exchange time is `latency + bytes / (bandwidth · efficiency)` per exchange
/// (Docs/CostModel.md), so exchange/compute falls as bandwidth rises. Between two swept
/// bandwidths that bracket the crossing, `log(exchange / compute)` is interpolated linearly in
/// `log bandwidth` (exact for a pure 1/b law). When every point lies on one side, the law
/// `exchange = a + c / b` is fitted on the two points nearest the crossing and solved for
/// `exchange = compute` (compute does not depend on the link): with one point, `a = 0`.
enum ExchangeKnee {
    struct Sample: Sendable {
        var bitsPerSecond: Double
        var exchangeSeconds: Double
        var computeSeconds: Double
    }

    struct Estimate: Sendable, Equatable {
        var bitsPerSecond: Double?
        var method: SweepAnalysis.Knee.Method
        var fromBitsPerSecond: [Double]
        var note: String
    }

    static func find(_ samples: [Sample]) -> Estimate {
        let usable = samples.filter {
            $0.bitsPerSecond > 0 && $0.exchangeSeconds > 0 && $0.computeSeconds > 0
                && $0.bitsPerSecond.isFinite && $0.exchangeSeconds.isFinite && $0.computeSeconds.isFinite
        }.sorted { $0.bitsPerSecond < $1.bitsPerSecond }
        guard !usable.isEmpty else {
            return Estimate(bitsPerSecond: nil, method: .none, fromBitsPerSecond: [],
                            note: "no point has both an exchange and a compute time")
        }
        let logRatio = usable.map { log($0.exchangeSeconds / $0.computeSeconds) }
        if let exact = logRatio.firstIndex(of: 0) {
            let b = usable[exact].bitsPerSecond
            return Estimate(bitsPerSecond: b, method: .interpolated, fromBitsPerSecond: [b],
                            note: "the exchange takes exactly as long as the computation at \(ReportNumber.bandwidth(b))")
        }
        // Crossings between neighbours; prefer one from exchange-bound to compute-bound (the
        // expected direction), the first from the low end.
        let crossings = (0..<(usable.count - 1)).filter { (logRatio[$0] > 0) != (logRatio[$0 + 1] > 0) }
        if let i = crossings.first(where: { logRatio[$0] > 0 }) ?? crossings.first {
            let (low, high) = (usable[i], usable[i + 1])
            let t = logRatio[i] / (logRatio[i] - logRatio[i + 1])
            let b = exp(log(low.bitsPerSecond) + t * (log(high.bitsPerSecond) - log(low.bitsPerSecond)))
            var note = "interpolated on log bandwidth between \(ReportNumber.text(low.bitsPerSecond / 1e9)) and "
                + "\(ReportNumber.bandwidth(high.bitsPerSecond)), where exchange/compute goes from "
                + "\(ReportNumber.text(low.exchangeSeconds / low.computeSeconds)) to \(ReportNumber.text(high.exchangeSeconds / high.computeSeconds))"
            if crossings.count > 1 { note += "; the curves cross \(crossings.count) times, this is the first" }
            return Estimate(bitsPerSecond: b, method: .interpolated,
                            fromBitsPerSecond: [low.bitsPerSecond, high.bitsPerSecond], note: note)
        }
        return extrapolate(usable, exchangeBound: logRatio[0] > 0)
    }

    /// Every point on one side: fit `exchange = a + c / b` on the two nearest the crossing.
    private static func extrapolate(_ sorted: [Sample], exchangeBound: Bool) -> Estimate {
        let side = exchangeBound
            ? "every point is exchange-bound, so the knee lies above \(ReportNumber.bandwidth(sorted.last!.bitsPerSecond))"
            : "every point is compute-bound, so the knee lies below \(ReportNumber.bandwidth(sorted[0].bitsPerSecond))"
        // Nearest the crossing: the highest bandwidths when exchange-bound, the lowest otherwise.
        let near = exchangeBound ? Array(sorted.suffix(2).reversed()) : Array(sorted.prefix(2))
        let nearest = near[0]
        var a = 0.0, c = nearest.exchangeSeconds * nearest.bitsPerSecond
        var law = "exchange ∝ 1/bandwidth through \(ReportNumber.bandwidth(nearest.bitsPerSecond)) (one point)"
        if near.count == 2 {
            let other = near[1]
            let fittedC = (nearest.exchangeSeconds - other.exchangeSeconds)
                / (1 / nearest.bitsPerSecond - 1 / other.bitsPerSecond)
            guard fittedC > 0 else {
                return Estimate(bitsPerSecond: nil, method: .none,
                                fromBitsPerSecond: near.map(\.bitsPerSecond),
                                note: "\(side), but the exchange time does not fall as bandwidth rises between "
                                    + "\(ReportNumber.bandwidth(near.map(\.bitsPerSecond).min()!)) and "
                                    + "\(ReportNumber.bandwidth(near.map(\.bitsPerSecond).max()!)): no 1/bandwidth law to extrapolate")
            }
            let fittedA = nearest.exchangeSeconds - fittedC / nearest.bitsPerSecond
            if fittedA >= 0 { (a, c) = (fittedA, fittedC) }
            law = "exchange = \(ReportNumber.duration(a)) + bytes/bandwidth fitted on "
                + "\(ReportNumber.bandwidth(near.map(\.bitsPerSecond).min()!)) and "
                + "\(ReportNumber.bandwidth(near.map(\.bitsPerSecond).max()!))"
        }
        let compute = nearest.computeSeconds
        guard a < compute else {
            return Estimate(bitsPerSecond: nil, method: .none, fromBitsPerSecond: near.map(\.bitsPerSecond),
                            note: "\(side), and the fixed part of the exchange (\(ReportNumber.duration(a))) alone "
                                + "exceeds the computation (\(ReportNumber.duration(compute))): no bandwidth brings them level")
        }
        let b = c / (compute - a)
        return Estimate(bitsPerSecond: b, method: .extrapolated, fromBitsPerSecond: near.map(\.bitsPerSecond),
                        note: "\(side): extrapolated with \(law)")
    }
}
