import ArgumentParser
import MeshRuntime

/// The options of the MPI jobs without a model run's runtime options (`bench`, `calibrate`,
/// `mpi-check`): the step timeout, and a fault to inject for tests.
struct JobOptions: ParsableArguments {
    @Option(help: "Seconds any wait for another rank may last before the job is aborted naming the rank and phase.")
    var stepTimeout: Double?

    @Option(help: ArgumentHelp("Inject a failure for tests: stall:RANK or kill:RANK, at the first agreement of the work.", visibility: .hidden))
    var injectFault: String?

    /// The longest step timeout accepted: a day. Longer is a typo, and `Duration` arithmetic on
    /// huge values would overflow.
    static let maxStepTimeoutSeconds = 86_400.0

    /// `--step-timeout`, or `defaultSeconds` without it.
    ///
    /// - Throws: ``CommandError`` (status 2, one line) for a value that is not finite, not
    ///   positive, or above ``maxStepTimeoutSeconds``.
    func timeoutSeconds(default defaultSeconds: Double) throws -> Double {
        guard let stepTimeout else { return defaultSeconds }
        guard stepTimeout.isFinite, stepTimeout > 0, stepTimeout <= Self.maxStepTimeoutSeconds else {
            throw CommandError(message: "--step-timeout: expected seconds above 0 and at most \(Int(Self.maxStepTimeoutSeconds)), found \(stepTimeout)")
        }
        return stepTimeout
    }

    /// The fault to inject, if any.
    func fault() throws -> Fault? {
        guard let injectFault else { return nil }
        guard let fault = Fault(injectFault), !injectFault.hasPrefix("corrupt") else {
            throw CommandError(message: "--inject-fault: expected stall:RANK or kill:RANK, found '\(injectFault)'")
        }
        return fault
    }
}
