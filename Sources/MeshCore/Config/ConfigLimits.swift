/// The ranges the config accepts for its counts and durations, shared by the config parser and
/// the command line, so that a flag is refused where the same value in the file would be.
public enum ConfigLimits {
    /// `cluster.coordinators`.
    public static let coordinators = 1...4096
    /// `cluster.workers` (and the nodes they can spread over).
    public static let workers = 1...65_536
    /// `model.experts` (and the experts a worker can hold in one layer).
    public static let experts = 1...65_536
    /// `workload.sequences`.
    public static let sequences = 1...1_000_000
    /// `workload.tokens`: at least one token, a prompt to prefill or one token of context.
    public static let tokens = 1...10_000_000
    /// `workload.steps`.
    public static let steps = 1...10_000_000
    /// `runtime.step_timeout` in seconds: above 0 (open lower end), at most a day.
    public static let stepTimeoutSeconds = 0.0...86_400
    /// Requests of one serving run (`serve --requests`): as many as a run's steps, since every
    /// request takes at least one.
    public static let requests = steps
    /// `runtime.blas_threads`.
    public static let blasThreads = 1...1024
}
