import ArgumentParser
import MeshRuntime

/// The options of the MPI jobs without a model run's runtime options (`bench`, `calibrate`,
/// `mpi-check`): the step timeout, and a fault to inject for tests.
struct JobOptions: ParsableArguments {
    @Option(help: "Seconds any wait for another rank may last before the job is aborted naming the rank and phase.")
    var stepTimeout: Double?

    @Option(help: ArgumentHelp("Inject a failure for tests: stall:RANK or kill:RANK, at the first agreement of the work.", visibility: .hidden),
            transform: { text in
                guard let fault = Fault(text), !text.hasPrefix("corrupt") else { throw ValidationError("expected stall:RANK or kill:RANK") }
                return fault
            })
    var injectFault: Fault?

    func validate() throws {
        if let stepTimeout { try Limits.check(seconds: stepTimeout, flag: "--step-timeout") }
    }

    /// `--step-timeout`, or `defaultSeconds` without it.
    func timeoutSeconds(default defaultSeconds: Double) -> Double { stepTimeout ?? defaultSeconds }

    /// The fault to inject, if any.
    func fault() -> Fault? { injectFault }
}
