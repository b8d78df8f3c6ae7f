import ArgumentParser
import Foundation
import MeshIO

/// The `expertmesh` command: parse, validate, call the library.
@main
struct ExpertMesh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expertmesh",
        abstract: "Run Mixture-of-Experts models with experts spread over MPI ranks, and measure them.",
        subcommands: [Validate.self, Reference.self, Run.self, BenchCommand.self, Predict.self, SaveWeights.self, Compare.self, MPICheck.self, Calibrate.self])

    /// Bad input of any kind exits with status 2 and one line on standard error.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as any InputError {
            fail(error.description)
        } catch let error as CommandError {
            fail(error.message)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // Wrong arguments are bad input too.
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("expertmesh: error: \(message)\n".utf8))
        Foundation.exit(2)
    }
}

/// An error the CLI itself raises about its arguments (exit status 2).
struct CommandError: Error {
    var message: String
}
