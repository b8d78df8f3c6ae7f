import Foundation
import MeshIO
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

/// Draws plots with gnuplot: a data file and a script per plot, rendered to PNG and SVG.
///
/// For a plot named `NAME` it writes `NAME.dat` and `NAME.gp` into the folder (atomically, see
/// ``AtomicFile``), then runs `gnuplot` once (arguments as an array, no shell), which draws
/// `NAME.png` (pngcairo) and `NAME.svg` under temporary names that are renamed into place only
/// when gnuplot succeeded. Running `gnuplot NAME.gp` in the folder draws the plot again.
public struct Gnuplot: Sendable {
    /// The command, looked up on `PATH` unless it contains a slash.
    public var executable: String
    /// How long one plot may take before gnuplot is killed.
    public var timeoutSeconds: Double

    public init(executable: String = "gnuplot", timeoutSeconds: Double = 60) {
        self.executable = executable
        self.timeoutSeconds = timeoutSeconds
    }

    /// Writes `plot`'s data and script into `folder` and draws its PNG and SVG there.
    ///
    /// - Throws: ``GnuplotError`` (gnuplot missing, failed or too slow), or ``FormatError`` when a
    ///   file cannot be written.
    func draw(_ plot: GnuplotPlot, in folder: String) async throws {
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path   // gnuplot runs in it: no relative path may remain
        try AtomicFile.write(Data(plot.data.utf8), to: "\(folder)/\(plot.name).dat")
        try AtomicFile.write(Data(Self.script(plot).utf8), to: "\(folder)/\(plot.name).gp")
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let temporary = (png: ".\(plot.name).png.tmp-\(suffix)", svg: ".\(plot.name).svg.tmp-\(suffix)")
        defer {
            unlink("\(folder)/\(temporary.png)")
            unlink("\(folder)/\(temporary.svg)")
        }
        // gnuplot changes to the folder itself, so that the script's relative names hold.
        let setup = "cd \(Self.quoted(folder)); png = \(Self.quoted(temporary.png)); svg = \(Self.quoted(temporary.svg))"
        try await run(arguments: ["-e", setup, "\(plot.name).gp"], plot: plot.name)
        for (from, to) in [(temporary.png, "png"), (temporary.svg, "svg")] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(from)")[.size] as? Int) ?? 0
            guard size > 0 else {
                throw GnuplotError(.failed, plot: plot.name, detail: "gnuplot wrote no \(to) file")
            }
            guard rename("\(folder)/\(from)", "\(folder)/\(plot.name).\(to)") == 0 else {
                throw GnuplotError(.failed, plot: plot.name,
                                   detail: "cannot move \(plot.name).\(to) into place: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Runs gnuplot with `arguments`, killing it after ``timeoutSeconds``.
    private func run(arguments: [String], plot: String) async throws {
        let executable = executable.contains("/") ? Executable.path(.init(executable)) : Executable.name(executable)
        let timeout = timeoutSeconds
        enum Outcome: Sendable { case finished(TerminationStatus, String), timedOut }
        let outcome: Outcome
        do {
            outcome = try await withThrowingTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    let result = try await Subprocess.run(executable, arguments: Arguments(arguments),
                                                          output: .discarded, error: .string(limit: 1 << 20))
                    return .finished(result.terminationStatus, result.standardError)
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    return .timedOut
                }
                let first = try await group.next()!
                // Cancelling the run kills gnuplot (Subprocess's teardown ends with SIGKILL).
                group.cancelAll()
                return first
            }
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw GnuplotError(.notFound, plot: plot, detail: "")
        } catch let error as SubprocessError {
            throw GnuplotError(.failed, plot: plot, detail: "cannot run \(self.executable): \(error)")
        }
        switch outcome {
        case .timedOut:
            throw GnuplotError(.timedOut, plot: plot,
                               detail: "no result within \(ReportNumber.text(timeout)) s; gnuplot was killed")
        case .finished(let status, let standardError):
            guard status.isSuccess else {
                let lines = standardError.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("^") }
                throw GnuplotError(.failed, plot: plot,
                                   detail: "gnuplot \(status): \(lines.suffix(2).joined(separator: " / "))")
            }
        }
    }

    /// The script saved as `NAME.gp`: the plot's commands, drawn once as PNG and once as SVG.
    static func script(_ plot: GnuplotPlot) -> String {
        """
        # \(plot.name): \(plot.title)
        # Drawn by `expertmesh loadtest`; `gnuplot \(plot.name).gp` in this folder draws it again.
        if (!exists("png")) png = "\(plot.name).png"
        if (!exists("svg")) svg = "\(plot.name).svg"
        data = "\(plot.name).dat"
        set encoding utf8
        set terminal pngcairo size \(plot.widthPixels),\(plot.heightPixels) noenhanced font "sans,10"
        set output png
        \(plot.commands)
        set terminal svg size \(plot.widthPixels),\(plot.heightPixels) dynamic noenhanced font "sans,11" background "white"
        set output svg
        replot
        unset output

        """
    }

    /// `text` as a gnuplot single-quoted string (a quote inside is doubled).
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// A plot for ``Gnuplot``: what gnuplot reads and the commands that draw it.
struct GnuplotPlot: Sendable {
    /// The file name without extension: `throughput-vs-workers`.
    var name: String
    /// What the plot shows, for the report's image text.
    var title: String
    /// The contents of `NAME.dat`: blocks separated by two blank lines, read with `index N`.
    var data: String
    /// The gnuplot commands, ending with one `plot` command. They read the data file through the
    /// string variable `data` and must not set the variables `png`, `svg` or `data`.
    var commands: String
    var widthPixels = GnuplotPlot.widthPixels
    var heightPixels = 560

    /// The usual width of a plot, in pixels.
    static let widthPixels = 900
}

/// gnuplot could not draw a plot: missing, failed or too slow.
public struct GnuplotError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// No `gnuplot` on `PATH`.
        public static let notFound = Code("notFound")
        /// gnuplot exited with an error or wrote no file.
        public static let failed = Code("failed")
        /// gnuplot did not finish within the timeout.
        public static let timedOut = Code("timedOut")
    }

    public var code: Code
    /// The plot being drawn.
    public var plot: String
    public var detail: String

    public init(_ code: Code, plot: String, detail: String) {
        self.code = code
        self.plot = plot
        self.detail = detail
    }

    public var description: String {
        if code == .notFound { return "gnuplot not found: install it with `apt-get install -y gnuplot-nox`" }
        return "plot \(plot): \(detail)"
    }
}
