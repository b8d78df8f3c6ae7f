import MeshCore

/// Time of one piece of work on one device: the larger of its compute time and its memory time.
///
/// `max(FLOPs / peak FLOP/s, bytes / memory bandwidth)`, the roofline model (Williams, Waterman and
/// Patterson, CACM 2009). A GEMM whose weights are read once for `n` tokens has an arithmetic
/// intensity proportional to `n`, so small batches come out bound by reading the weights.
public struct Roofline: Sendable, Equatable {
    public var flops: Double
    public var bytes: Double
    public var seconds: Double
    public var computeBound: Bool

    public init(flops: Double, bytes: Double, peakFlopsPerSecond: Double, memoryBytesPerSecond: Double) {
        self.flops = flops
        self.bytes = bytes
        let compute = flops / peakFlopsPerSecond, memory = bytes / memoryBytesPerSecond
        seconds = max(compute, memory)
        computeBound = compute >= memory
    }

    /// `count` times this work, one after another.
    public func scaled(by count: Double) -> Roofline {
        var copy = self
        copy.flops *= count
        copy.bytes *= count
        copy.seconds *= count
        return copy
    }

    public static let zero = Roofline(flops: 0, bytes: 0, peakFlopsPerSecond: 1, memoryBytesPerSecond: 1)

    /// The fraction of peak FLOP/s this work reaches.
    public func utilization(peakFlopsPerSecond: Double) -> Double {
        seconds > 0 ? flops / peakFlopsPerSecond / seconds : 0
    }

    public static func + (a: Roofline, b: Roofline) -> Roofline {
        var sum = a
        sum.flops += b.flops
        sum.bytes += b.bytes
        sum.seconds += b.seconds
        sum.computeBound = a.seconds >= b.seconds ? a.computeBound : b.computeBound
        return sum
    }
}
