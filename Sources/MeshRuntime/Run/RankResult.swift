/// One rank's figures at the end of a run, gathered on rank 0 as a typed record.
struct RankResult: Codable, Equatable {
    /// Bytes of the weights the rank holds.
    var weightBytes: Int
    /// The process's resident set size at the end, in bytes (0 where unknown).
    var residentBytes: Int
    /// The rank's monotonic clock when it left the start barrier, in seconds: the origin of its
    /// trace track.
    var clockOffsetSeconds: Double
    /// Seconds from the start barrier to the end of the work.
    var runSeconds: Double
    /// The largest absolute error of the wire format's round trip (dispatch on coordinators,
    /// combine on workers), and the largest magnitude it was measured against.
    var wireMaxAbsoluteError: Double
    var wireMaxMagnitude: Double
}
