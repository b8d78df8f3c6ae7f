/// Half the round trip of one message size between ranks 0 and 1, `osu_latency` style.
public struct PingPongPoint: Sendable, Equatable {
    public var bytes: Int
    /// Timed round trips, after the warm-up.
    public var iterations: Int
    /// Elapsed time over `2 × iterations`, in seconds: the one-way latency.
    public var halfRoundTripSeconds: Double

    public init(bytes: Int, iterations: Int, halfRoundTripSeconds: Double) {
        self.bytes = bytes
        self.iterations = iterations
        self.halfRoundTripSeconds = halfRoundTripSeconds
    }
}
