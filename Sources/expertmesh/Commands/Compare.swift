import ArgumentParser
import MeshIO
import MeshModel

/// `expertmesh compare A.npy B.npy`: is A within a relative tolerance of B?
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two .npy results; exit 1 when the relative error max|a-b|/max|b| is above the tolerance.")

    @Argument(help: "The result to check.")
    var actual: String

    @Argument(help: "The reference result.")
    var reference: String

    @Option(help: "Largest relative error accepted.")
    var tolerance: Double = 1e-4

    func run() throws {
        let a = try NPYArray.read(contentsOf: actual), b = try NPYArray.read(contentsOf: reference)
        guard a.shape == b.shape else {
            throw CommandError(message: "\(actual) has shape \(a.shape), \(reference) has shape \(b.shape)")
        }
        let result: Comparison
        switch (a.storage, b.storage) {
        case (.float32(let x), .float32(let y)): result = Comparison(x, y)
        case (.int32(let x), .int32(let y)): result = Comparison(x.map(Float.init), y.map(Float.init))
        case (.int64(let x), .int64(let y)): result = Comparison(x.map(Float.init), y.map(Float.init))
        default: throw CommandError(message: "\(actual) and \(reference) hold different dtypes")
        }
        let verdict = result.relativeError <= tolerance ? "within" : "ABOVE"
        print("compare: \(result.count) values, max abs error \(result.maxAbsoluteError), relative error "
              + "\(result.relativeError) (\(verdict) tolerance \(tolerance))")
        if result.relativeError > tolerance { throw ExitCode(1) }
    }
}
