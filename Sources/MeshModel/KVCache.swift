import MeshTensor

/// The keys and values one sequence has produced so far in one layer.
///
/// Rows are appended as tokens arrive; `length` is the next token's position.
public struct KVCache: Sendable {
    public private(set) var keys: Tensor
    public private(set) var values: Tensor

    public init(width: Int) {
        keys = Tensor(shape: [0, width], scalars: [])
        values = Tensor(shape: [0, width], scalars: [])
    }

    public var length: Int { keys.rows }

    /// Appends `k` and `v` (`[T, width]` each).
    public mutating func append(keys k: Tensor, values v: Tensor) {
        precondition(k.shape == v.shape && k.columns == keys.columns)
        keys.scalars.append(contentsOf: k.scalars)
        keys.shape[0] += k.rows
        values.scalars.append(contentsOf: v.scalars)
        values.shape[0] += v.rows
    }
}
