import MeshCore

/// Where the values of a tensor come from.
public protocol WeightSource {
    /// The values of `spec`, row-major, `product(spec.shape)` of them.
    ///
    /// - Throws: an `InputError` naming the tensor when it is missing or of the wrong shape.
    func values(for spec: TensorSpec) throws -> [Float]
}

extension SeededWeights: WeightSource {}
