/// The median of `values`: the middle one, or the mean of the two middle ones; 0 for none.
///
/// - Complexity: O(n log n), for the sort.
public func median(of values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
