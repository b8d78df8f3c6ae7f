import ArgumentParser
import Foundation
import Logging
import MeshIO

/// The `expertmesh` command: parse, validate, call the library.
@main
struct ExpertMesh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expertmesh",
        abstract: "Run Mixture-of-Experts models with experts spread over MPI ranks, and measure them.",
        subcommands: [Validate.self, Reference.self, Run.self, BenchCommand.self, Predict.self, SaveWeights.self, Compare.self, MPICheck.self, Calibrate.self, LoadTestCommand.self, Serve.self, PlanCommand.self])

    /// Bad input of any kind exits with status 2 and one line on standard error.
    static func main() async {
        LoggingSystem.bootstrap { _ in OneLineLogHandler() }
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as any InputError {
            fail(error.description)
        } catch let error as CommandError {
            fail(error.message)
        } catch {
            if exitCode(for: error) == .validationFailure {
                // Wrong arguments (a value that is no case, a number out of range) are bad input
                // too: one line, without the usage text ArgumentParser would add.
                fail(message(for: error).split(separator: "\n").joined(separator: "; "))
            }
            exit(withError: error)
        }
    }

    /// Reports bad input and exits with status 2.
    ///
    /// Under mpirun every rank parses the same arguments and config and fails alike: only rank 0
    /// says so, so that the job prints one line.
    static func fail(_ message: String) -> Never {
        let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"]
        if rank == nil || rank == "0" {
            FailureRecord.note("expertmesh: error: \(message)")
            FileHandle.standardError.write(Data("expertmesh: error: \(message)\n".utf8))
        } else {
            // mpirun ends the job at the first non-zero exit: give rank 0 the time to say why.
            Thread.sleep(forTimeInterval: 1)
        }
        Foundation.exit(2)
    }
}

/// An error the CLI itself raises about its arguments (exit status 2).
struct CommandError: Error {
    var message: String
}
