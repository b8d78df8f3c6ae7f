import MeshCore

/// One value of a sweep axis, parsed once when the sweep is read: the points, their configs,
/// their emulated hardware and their launch options all take it from here.
public struct SweepValue: Sendable, Hashable, CustomStringConvertible {
    /// What the value is, in SI units for the hardware axes.
    public enum Parsed: Sendable, Hashable {
        /// workers, coordinators, tokens, sequences, topk, experts, hidden, threads: ≥ 1.
        case count(Int)
        case mode(RunMode)
        /// The dispatch format; fp8 dispatch combines in bf16.
        case wire(WireDType)
        /// bandwidth and linkrate: bits per second, finite and > 0.
        case bitsPerSecond(Double)
        /// latency: seconds, finite and ≥ 0.
        case seconds(Double)
        /// flops: FLOP/s, finite and > 0.
        case flopsPerSecond(Double)
        /// skew: the exponent, 0...10.
        case skew(Double)
        /// rate: offered requests per second, finite and > 0.
        case requestsPerSecond(Double)
        /// placement: a strategy, or a file path whose `{AXIS}` names other axes' values.
        case placement(String)
    }

    /// The value as written: labels, records, `{AXIS}` in paths and the config override.
    public let text: String
    public let parsed: Parsed

    /// Parses `text` as a value of `axis`.
    ///
    /// - Throws: ``SweepError`` saying what a value of the axis must be (the caller adds where).
    public init(_ text: String, axis: SweepAxis) throws {
        self.text = text
        func need(_ value: Double?, _ ok: (Double) -> Bool, _ problem: String) throws -> Double {
            guard let value, value.isFinite, ok(value) else { throw SweepError(.value, problem) }
            return value
        }
        switch axis {
        case .workers, .coordinators, .tokens, .sequences, .topk, .experts, .hidden, .threads:
            guard let n = Int(text), n >= 1 else { throw SweepError(.value, "expected an integer >= 1") }
            parsed = .count(n)
        case .mode:
            guard let mode = RunMode(rawValue: text) else { throw SweepError(.value, "expected prefill or decode") }
            parsed = .mode(mode)
        case .wire:
            guard let wire = WireDType(rawValue: text) else { throw SweepError(.value, "expected fp32, bf16 or fp8") }
            parsed = .wire(wire)
        case .bandwidth, .linkrate:
            guard let bits = SweepSpec.bitsPerSecond(text) else {
                throw SweepError(.value, "expected a bandwidth: Gbit/s, or a number with a unit such as 500Mbit/s or 2GB/s")
            }
            parsed = .bitsPerSecond(try need(bits, { $0 > 0 }, "expected a finite bandwidth above zero"))
        case .latency:
            guard let seconds = SweepSpec.seconds(text) else {
                throw SweepError(.value, "expected a latency: µs, or a number with a unit such as 50us or 1ms")
            }
            parsed = .seconds(try need(seconds, { $0 >= 0 }, "expected a finite latency not below zero"))
        case .flops:
            guard let flops = SweepSpec.flopsPerSecond(text) else {
                throw SweepError(.value, "expected FLOP/s: GFLOP/s, or a number with a unit such as 10GFLOP/s")
            }
            parsed = .flopsPerSecond(try need(flops, { $0 > 0 }, "expected finite FLOP/s above zero"))
        case .skew:
            parsed = .skew(try need(Double(text), { (0...10).contains($0) }, "expected a skew exponent in 0...10"))
        case .rate:
            parsed = .requestsPerSecond(try need(Double(text), { $0 > 0 }, "expected requests per second above zero"))
        case .placement:
            guard !text.contains("\n") else { throw SweepError(.value, "expected a strategy or a file path") }
            parsed = .placement(text)
        }
    }

    public var description: String { text }

    /// The count of a count axis.
    public var count: Int? {
        if case .count(let n) = parsed { n } else { nil }
    }

    /// The number of a hardware, skew or rate axis, in its SI unit.
    public var quantity: Double? {
        switch parsed {
        case .bitsPerSecond(let x), .seconds(let x), .flopsPerSecond(let x), .skew(let x), .requestsPerSecond(let x): x
        case .count, .mode, .wire, .placement: nil
        }
    }
}
