extension Tensor {
    /// The scalars of one row, `columns` long.
    ///
    /// Setting a row requires exactly `columns` values.
    public subscript(row index: Int) -> ArraySlice<Float> {
        get {
            precondition(index >= 0 && index < rows, "Row \(index) is out of range 0..<\(rows)")
            return scalars[rowRange(index)]
        }
        set {
            precondition(index >= 0 && index < rows, "Row \(index) is out of range 0..<\(rows)")
            precondition(newValue.count == columns, "Row needs \(columns) scalars, got \(newValue.count)")
            scalars.replaceSubrange(rowRange(index), with: newValue)
        }
    }

    /// Calls `body` with a read-only view of one row, without copying it.
    public func withRow<Result>(
        _ index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        precondition(index >= 0 && index < rows, "Row \(index) is out of range 0..<\(rows)")
        return try scalars.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[rowRange(index)]))
        }
    }

    /// Calls `body` with a mutable view of one row, without copying it.
    public mutating func withMutableRow<Result>(
        _ index: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        precondition(index >= 0 && index < rows, "Row \(index) is out of range 0..<\(rows)")
        let range = rowRange(index)
        return try scalars.withUnsafeMutableBufferPointer { all in
            try body(UnsafeMutableBufferPointer(rebasing: all[range]))
        }
    }

    /// Returns a `[indices.count, columns]` tensor whose row `i` is a copy of row `indices[i]`.
    ///
    /// Used to gather the tokens routed to one expert into a contiguous batch so
    /// that the expert runs one GEMM over all of them. Indices may repeat.
    ///
    /// - Complexity: O(`indices.count` × `columns`).
    public func gatherRows(_ indices: [Int]) -> Tensor {
        let width = columns
        var gathered = [Float](repeating: 0, count: indices.count * width)
        scalars.withUnsafeBufferPointer { source in
            gathered.withUnsafeMutableBufferPointer { target in
                for (slot, index) in indices.enumerated() {
                    precondition(index >= 0 && index < rows, "Row \(index) is out of range 0..<\(rows)")
                    for column in 0..<width {
                        target[slot * width + column] = source[index * width + column]
                    }
                }
            }
        }
        return Tensor(shape: [indices.count, width], scalars: gathered)
    }

    /// Adds row `i` of `source`, times `scales[i]` when given, into row `indices[i]` of this tensor.
    ///
    /// The inverse of ``gatherRows(_:)``: combines expert outputs back into token
    /// order, weighted by the router's gate values. Repeated indices accumulate.
    ///
    /// - Parameters:
    ///   - source: `[indices.count, columns]` rows to add.
    ///   - indices: The destination row for each source row.
    ///   - scales: One factor per source row, or `nil` for 1.
    /// - Complexity: O(`indices.count` × `columns`).
    public mutating func addRows(_ source: Tensor, at indices: [Int], scaledBy scales: [Float]? = nil) {
        let width = columns
        precondition(source.rows == indices.count, "Got \(source.rows) rows for \(indices.count) indices")
        precondition(source.columns == width, "Rows are \(source.columns) wide, expected \(width)")
        precondition(scales == nil || scales!.count == indices.count, "Need one scale per row")
        let rowCount = rows
        source.scalars.withUnsafeBufferPointer { from in
            scalars.withUnsafeMutableBufferPointer { to in
                for (slot, index) in indices.enumerated() {
                    precondition(index >= 0 && index < rowCount, "Row \(index) is out of range 0..<\(rowCount)")
                    let scale = scales?[slot] ?? 1
                    for column in 0..<width {
                        to[index * width + column] += scale * from[slot * width + column]
                    }
                }
            }
        }
    }

    private func rowRange(_ index: Int) -> Range<Int> {
        (index * columns)..<((index + 1) * columns)
    }
}
