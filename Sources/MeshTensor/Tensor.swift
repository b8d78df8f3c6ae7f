/// A dense, row-major tensor of `Float` (IEEE 754 binary32) scalars.
///
/// The storage is one contiguous array, the layout BLAS expects, so kernels hand
/// `scalars` to OpenBLAS through `withUnsafeBufferPointer` without copying
/// (as tensorflow's `ShapedArray` does). Matrices are viewed as `rows × columns`,
/// where `rows` is the first dimension and `columns` the product of the others:
/// a `[T, heads, headDim]` tensor is a `T × (heads·headDim)` matrix.
///
/// Weights follow PyTorch `nn.Linear`: a projection from `in` to `out` features
/// is stored `[out, in]`.
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension, outermost first. Empty for a scalar.
    public var shape: [Int]

    /// The scalars in row-major order; `scalars.count` equals the product of `shape`.
    public var scalars: [Float]

    /// Creates a tensor from a shape and its row-major scalars.
    ///
    /// - Parameters:
    ///   - shape: The size of each dimension; every size must be non-negative.
    ///   - scalars: Row-major values; the count must equal the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        precondition(
            scalars.count == Tensor.elementCount(of: shape),
            "Tensor shape \(shape) needs \(Tensor.elementCount(of: shape)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: Tensor.elementCount(of: shape)))
    }

    /// Creates a tensor of the given shape filled with one value.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.elementCount(of: shape)))
    }

    /// The number of scalars: the product of `shape`.
    public var count: Int { scalars.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The first dimension, or 1 for a scalar (rank 0).
    public var rows: Int { shape.first ?? 1 }

    /// The length of one row: the product of every dimension after the first (1 for rank 0 and 1).
    public var columns: Int { Tensor.elementCount(of: shape.dropFirst()) }

    /// Returns the same scalars under a new shape with the same element count.
    public func reshaped(to newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    static func elementCount(of shape: some Collection<Int>) -> Int {
        shape.reduce(1, *)
    }
}
