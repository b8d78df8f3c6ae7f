/// Which workers hold each expert of one MoE layer, and at which local index: the placement's
/// index for planning a dispatch, built once per layer rather than once per step.
public struct ExpertHolders: Sendable, Equatable {
    /// One copy of an expert: the worker holding it and the expert's index among that worker's.
    public struct Copy: Sendable, Equatable {
        public var worker: Int
        public var local: Int32
    }

    /// `copies[e]`: every copy of expert `e`, in worker order (empty: not placed).
    public let copies: [[Copy]]
    /// Workers in the layer.
    public let workers: Int

    /// The index of `experts[w]`, the global expert ids worker `w` holds (ascending): an
    /// expert's local index is its position in its holder's list.
    public init(experts: [[Int]]) {
        workers = experts.count
        var copies = Array(repeating: [Copy](), count: (experts.flatMap { $0 }.max() ?? -1) + 1)
        for (w, list) in experts.enumerated() {
            for (local, e) in list.enumerated() { copies[e].append(Copy(worker: w, local: Int32(local))) }
        }
        self.copies = copies
    }

    /// The copies of expert `e` (empty when no worker holds it).
    public subscript(expert e: Int) -> [Copy] { e >= 0 && e < copies.count ? copies[e] : [] }
}
