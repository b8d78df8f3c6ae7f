/// Returns the indices of the `k` largest values, largest first.
///
/// Equal values are ordered by index, lower first, so the result is deterministic
/// and matches a stable descending sort (PyTorch's `topk` leaves tie order
/// unspecified). NaN ranks below every number, including `-infinity`, so it is
/// chosen only when fewer than `k` values are numbers.
///
/// Small `k` (the router's case: 8 of 256 experts) keeps a sorted buffer of the
/// best `k` seen so far, which costs O(`count`) when most values do not enter
/// it; larger `k` sorts all indices.
///
/// - Parameters:
///   - values: The scores to rank.
///   - k: How many indices to return, in `0...values.count`.
/// - Returns: `k` distinct indices into `values`.
/// - Complexity: O(`count` × `k`) for `k` ≤ 32, else O(`count` log `count`).
public func topK(_ values: UnsafeBufferPointer<Float>, k: Int) -> [Int] {
    precondition(k >= 0 && k <= values.count, "topK: k \(k) is outside 0...\(values.count)")
    if k == 0 { return [] }
    if k > 32 {
        return Array(values.indices.sorted { ranksBefore($0, $1, in: values) }.prefix(k))
    }
    var best: [Int] = []
    best.reserveCapacity(k)
    for index in values.indices {
        if best.count == k {
            // Later indices lose ties, so a candidate must beat the current k-th strictly.
            guard ranksBefore(index, best[k - 1], in: values) else { continue }
            best.removeLast()
        }
        var slot = best.count
        while slot > 0 && ranksBefore(index, best[slot - 1], in: values) {
            slot -= 1
        }
        best.insert(index, at: slot)
    }
    return best
}

/// Returns the indices of the `k` largest values, largest first; see the buffer overload.
public func topK(_ values: [Float], k: Int) -> [Int] {
    values.withUnsafeBufferPointer { topK($0, k: k) }
}

/// The order topK reports: larger value first, NaN last, lower index first among equals.
private func ranksBefore(_ first: Int, _ second: Int, in values: UnsafeBufferPointer<Float>) -> Bool {
    let (a, b) = (values[first], values[second])
    if a.isNaN != b.isNaN { return b.isNaN }
    if a != b && !a.isNaN { return a > b }
    return first < second
}
