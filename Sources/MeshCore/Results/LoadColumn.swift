/// A load column of the load-statistics CSV that `expertmesh run --load-stats` writes and
/// `expertmesh plan` reads.
///
/// The format belongs to neither side: the runtime writes it, the planner reads it, and both
/// name its columns from here.
public enum LoadColumn: String, Sendable, CaseIterable {
    /// Tokens routed to the expert over the counted steps.
    case tokens
    /// Those tokens divided by the counted steps.
    case meanPerStep = "mean_per_step"
    /// The exponential moving average of the tokens per step.
    case movingAverage = "moving_average"

    /// Every column of the CSV, in the order the runtime writes them.
    public static let header = ["layer", "expert"] + allCases.map(\.rawValue)

    /// The unit of the column's numbers, for reports.
    public var unit: String {
        switch self {
        case .tokens: "tokens"
        case .meanPerStep: "tokens per step"
        case .movingAverage: "tokens per step (moving average)"
        }
    }
}
