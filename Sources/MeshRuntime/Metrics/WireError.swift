/// How far rows moved through a reduced wire format are from their fp32 values.
///
/// Measured on the first step only (a decode of every encoded row), so later steps pay nothing:
/// the coordinator meters what it dispatches, each worker what it combines.
struct WireErrorMeter {
    var maxAbsoluteError: Double = 0
    var maxMagnitude: Double = 0
    var active = true

    /// Compares `original` with `decoded`, what its encoding decodes to.
    mutating func record(original: UnsafeBufferPointer<Float>, decoded: UnsafeBufferPointer<Float>) {
        for i in 0..<original.count {
            maxAbsoluteError = max(maxAbsoluteError, Double(abs(decoded[i] - original[i])))
            maxMagnitude = max(maxMagnitude, Double(abs(original[i])))
        }
    }

    var relativeError: Double { maxMagnitude > 0 ? maxAbsoluteError / maxMagnitude : 0 }
}
