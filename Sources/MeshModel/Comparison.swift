/// How far one result is from another, element by element.
///
/// The relative error is normwise, `max|a − b| / max|b|`, so that elements near zero do not blow
/// it up; it is the figure the distributed runtime is held to (1e-4 against the reference).
public struct Comparison: Sendable, Equatable {
    public var count: Int
    public var maxAbsoluteError: Double
    public var maxReference: Double
    public var mismatchedIndex: Int?

    public var relativeError: Double {
        maxReference > 0 ? maxAbsoluteError / maxReference : maxAbsoluteError
    }

    /// Compares `actual` with `reference`; NaN anywhere counts as infinite error.
    public init(_ actual: [Float], _ reference: [Float]) {
        precondition(actual.count == reference.count)
        count = actual.count
        maxAbsoluteError = 0
        maxReference = 0
        for i in 0..<actual.count {
            let difference = abs(Double(actual[i]) - Double(reference[i]))
            let error = difference.isNaN ? Double.infinity : difference
            if error > maxAbsoluteError {
                maxAbsoluteError = error
                mismatchedIndex = i
            }
            maxReference = max(maxReference, abs(Double(reference[i])))
        }
    }
}
