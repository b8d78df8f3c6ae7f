import MeshTensor

/// The rows of one step: every sequence's new tokens stacked in one `[tokens, hidden]` tensor,
/// with each sequence's row range.
///
/// Attention works on each sequence's range in place and the MLP on all rows at once, so a
/// step copies its inputs in and its outputs out once, not once per layer.
public struct StepRows {
    /// `[tokens, hidden]`: sequence `s`'s tokens at rows `ranges[s]`.
    public var rows: Tensor
    public let ranges: [Range<Int>]

    /// Stacks `states` (`[T_s, hidden]` each).
    public init(_ states: [Tensor], hidden: Int) {
        var ranges: [Range<Int>] = [], scalars: [Float] = [], start = 0
        scalars.reserveCapacity(states.reduce(0) { $0 + $1.count })
        for state in states {
            precondition(state.columns == hidden || state.rows == 0, "a sequence's rows are \(hidden) wide")
            ranges.append(start..<(start + state.rows))
            start += state.rows
            scalars.append(contentsOf: state.scalars)
        }
        self.ranges = ranges
        rows = Tensor(shape: [start, hidden], scalars: scalars)
    }

    /// Each sequence's rows as a tensor of its own.
    public func sequences() -> [Tensor] {
        let hidden = rows.columns
        return ranges.map { range in
            Tensor(shape: [range.count, hidden], scalars: Array(rows.scalars[(range.lowerBound * hidden)..<(range.upperBound * hidden)]))
        }
    }
}
