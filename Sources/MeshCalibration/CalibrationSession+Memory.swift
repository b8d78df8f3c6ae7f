import Foundation
import MeshMPI
import MeshRuntime

extension CalibrationSession {
    /// Memory bandwidth as STREAM measures it, copy and triad over three arrays far beyond the
    /// caches: first every rank at once, then rank 0 alone while the others wait.
    ///
    /// - Parameter arrayBytes: Bytes of each array (``CalibrationPlan/streamArrayBytes(largestCacheBytes:availableBytes:ranks:)``).
    /// - Returns: The figures on rank 0 (the alone rates exist only there); nil elsewhere.
    func measureMemory(arrayBytes: Int) throws -> MemoryFigures? {
        let arrays = StreamArrays(bytes: arrayBytes)
        try job.agree("the memory measurement")
        _ = arrays.measure(seconds: 0, atLeast: 1)
        try barrier()
        let together = arrays.measure(seconds: CalibrationPlan.memoryWindowSeconds, atLeast: 2)
        let copies = try allgather([together.copy])
        let triads = try allgather([together.triad])
        let solo = try alone { () -> (copy: Double, triad: Double) in
            // One pass first: the others' first 20 ms of waiting yield the core instead of sleeping.
            _ = arrays.measure(seconds: 0.03, atLeast: 1)
            return arrays.measure(seconds: CalibrationPlan.memoryWindowSeconds, atLeast: 2)
        }
        guard let solo else { return nil }
        let figures = MemoryFigures(arrayBytes: arrayBytes, concurrentCopy: copies, concurrentTriad: triads,
                                    aloneCopy: solo.copy, aloneTriad: solo.triad)
        say(CalibrationReport.memoryLines(figures))
        return figures
    }
}

/// STREAM's three arrays `a`, `b`, `c` of one rank, and its copy and triad kernels.
final class StreamArrays {
    let count: Int
    private let a: UnsafeMutablePointer<Float>
    private let b: UnsafeMutablePointer<Float>
    private let c: UnsafeMutablePointer<Float>

    /// Allocates the arrays and touches every page, so that page faults stay out of the timing.
    init(bytes: Int) {
        count = bytes / MemoryLayout<Float>.stride
        a = .allocate(capacity: count)
        b = .allocate(capacity: count)
        c = .allocate(capacity: count)
        // 0x3f bytes: every float is 0.747, far from subnormals; memset is fast in debug builds too.
        for array in [a, b, c] { memset(array, 0x3f, count * MemoryLayout<Float>.stride) }
    }

    deinit {
        a.deallocate()
        b.deallocate()
        c.deallocate()
    }

    /// STREAM copy, `c = a`, through `memcpy`. Moves 2 × array bytes (a read, c written).
    func copy() {
        memcpy(c, a, count * MemoryLayout<Float>.stride)
    }

    /// STREAM triad, `a = b + s·c`. Moves 3 × array bytes.
    func triad() {
        let (a, b, c, scalar) = (self.a, self.b, self.c, Float(3))
        for i in 0..<count { a[i] = b[i] + scalar * c[i] }
    }

    /// Alternates copy and triad passes until `seconds` have passed and each ran `atLeast` times.
    ///
    /// - Returns: Bytes per second of each kernel over all its passes, counted as STREAM does.
    func measure(seconds: Double, atLeast: Int) -> (copy: Double, triad: Double) {
        let bytes = Double(count * MemoryLayout<Float>.stride)
        let start = monotonicSeconds()
        var passes = 0, copySeconds = 0.0, triadSeconds = 0.0, now = start
        while passes < atLeast || now - start < seconds {
            let before = now
            copy()
            let copied = monotonicSeconds()
            triad()
            now = monotonicSeconds()
            copySeconds += copied - before
            triadSeconds += now - copied
            passes += 1
        }
        return (2 * bytes * Double(passes) / copySeconds, 3 * bytes * Double(passes) / triadSeconds)
    }
}
