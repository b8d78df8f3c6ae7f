/// One rank's traffic in one MoE layer, in rank space: how many tokens it sends to and receives
/// from every rank, and the byte regions of both exchanges (dispatch, then combine).
///
/// Both directions follow from the token counts: a worker returns one combine record for every
/// dispatch record it received, to the rank that sent it. So the expected size of every message
/// of the layer is known before any row arrives.
public struct LayerTraffic: Sendable, Equatable {
    /// `tokensSent[r]`: dispatch records this rank sends to rank `r`.
    public let tokensSent: [Int]
    /// `tokensReceived[r]`: dispatch records rank `r` sends here.
    public let tokensReceived: [Int]
    /// The dispatch exchange: what this rank sends (records) and receives (records).
    public let dispatchSend: ByteRegions
    public let dispatchReceive: ByteRegions
    /// The combine exchange: one combine record back for every dispatch record.
    public let combineSend: ByteRegions
    public let combineReceive: ByteRegions

    public init(tokensSent: [Int], tokensReceived: [Int], codec: RecordCodec) {
        precondition(tokensSent.count == tokensReceived.count, "one count per rank each way")
        self.tokensSent = tokensSent
        self.tokensReceived = tokensReceived
        let dispatchBytes = codec.dispatch.recordBytes, combineBytes = codec.combine.recordBytes
        dispatchSend = ByteRegions(counts: tokensSent.map { $0 * dispatchBytes })
        dispatchReceive = ByteRegions(counts: tokensReceived.map { $0 * dispatchBytes })
        combineSend = ByteRegions(counts: tokensReceived.map { $0 * combineBytes })
        combineReceive = ByteRegions(counts: tokensSent.map { $0 * combineBytes })
    }
}
