import MeshIO

/// How far rows moved through a reduced wire format are from their fp32 values.
///
/// Measured on the first step only (a decode of every encoded row), so later steps pay nothing:
/// the coordinator meters what it dispatches, each worker what it combines.
struct WireErrorMeter {
    var maxAbsoluteError: Double = 0
    var maxMagnitude: Double = 0
    var active = true

    /// Compares `original` with what `encoded` (in `format`, times `scale`) decodes to.
    mutating func record(original: UnsafeBufferPointer<Float>, encoded: UnsafeRawBufferPointer,
                         format: ReducedFloatFormat, scale: Float = 1, scratch: inout [Float]) {
        guard active else { return }
        grow(&scratch, original.count)
        scratch.withUnsafeMutableBufferPointer { decoded in
            let target = UnsafeMutableBufferPointer(rebasing: decoded[0..<original.count])
            format.decode(encoded, into: target)
            for i in 0..<original.count {
                maxAbsoluteError = max(maxAbsoluteError, Double(abs(target[i] * scale - original[i])))
                maxMagnitude = max(maxMagnitude, Double(abs(original[i])))
            }
        }
    }

    var relativeError: Double { maxMagnitude > 0 ? maxAbsoluteError / maxMagnitude : 0 }
}
