/// SplitMix64: a tiny, fast, well-mixed 64-bit generator (Steele, Lea and Flood, OOPSLA 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A Float uniformly drawn from [-bound, bound), from the top 24 bits.
    public mutating func nextFloat(bound: Float) -> Float {
        let unit = Float(next() >> 40) * (1.0 / Float(1 << 24))
        return (unit * 2 - 1) * bound
    }

    /// A stream of its own for `name` under `seed`: the FNV-1a hash of the name mixed with the seed.
    public init(seed: UInt64, name: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var mixer = SplitMix64(seed: seed ^ hash)
        self.init(seed: mixer.next())
    }
}

/// Deterministic weights: every value depends only on the seed and the tensor's name.
///
/// So every rank computes identical values for the tensors it owns, and materialises only those.
/// Linear weights are uniform in ±1/√fan_in (the bound PyTorch's `Linear` default initialisation
/// uses), norm weights are 1 ± 0.1 so that they matter, biases ±0.1.
public struct SeededWeights: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    public func values(for spec: TensorSpec) -> [Float] {
        var rng = SplitMix64(seed: seed, name: spec.name)
        let count = spec.shape.reduce(1, *)
        if spec.isNorm { return (0..<count).map { _ in 1 + rng.nextFloat(bound: 0.1) } }
        if spec.shape.count == 1 { return (0..<count).map { _ in rng.nextFloat(bound: 0.1) } }
        let bound = 1 / Float(spec.shape.last!).squareRoot()
        return (0..<count).map { _ in rng.nextFloat(bound: bound) }
    }
}

/// Deterministic inputs for a workload: hidden states or token ids from a seed.
public enum SeededInput {
    /// `[sequences, tokens, hidden]` values uniform in ±1.
    public static func hiddenStates(sequences: Int, tokens: Int, hidden: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed, name: "input.hidden")
        return (0..<(sequences * tokens * hidden)).map { _ in rng.nextFloat(bound: 1) }
    }

    /// `[sequences, tokens]` token ids in `0..<vocab`.
    public static func tokenIDs(sequences: Int, tokens: Int, vocab: Int, seed: UInt64) -> [Int32] {
        var rng = SplitMix64(seed: seed, name: "input.ids")
        return (0..<(sequences * tokens)).map { _ in Int32(rng.next() % UInt64(vocab)) }
    }
}
