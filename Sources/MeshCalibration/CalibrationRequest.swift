import Foundation
import MeshCore
import MeshIO
import MeshRuntime

/// What `expertmesh calibrate` was asked to do: where to write the profile, which expert shapes
/// to time, and how many all-to-all iterations to time.
public struct CalibrationRequest: Sendable {
    /// The hardware profile to write (YAML), atomically.
    public var outputPath: String
    /// The config whose expert shapes (hidden, expert FFN) and batch the GEMMs are timed at.
    public var config: ExpertMeshConfig
    public var configPath: String
    /// Timed all-to-all iterations per message size up to ``CalibrationPlan/largeMessageBytes``;
    /// larger sizes time a fifth of it, as the OSU micro-benchmarks time fewer large messages.
    public var iterations = 50
    /// The largest all-to-all message, in bytes per peer.
    public var maxBytesPerPeer = 4 << 20
    /// The longest wait for a peer at any barrier, collective or message, in seconds (`--step-timeout`).
    public var timeoutSeconds = 60.0
    /// A stall or kill to act out at the first measurement, for tests (`--inject-fault`).
    public var fault: Fault?
    /// Where rank 0 writes the report, one line at a time (standard output from the CLI).
    public var output: @Sendable (String) -> Void

    public init(outputPath: String, config: ExpertMeshConfig, configPath: String,
                output: @escaping @Sendable (String) -> Void) {
        self.outputPath = outputPath
        self.config = config
        self.configPath = configPath
        self.output = output
    }

    /// The range `--iterations` accepts.
    public static let iterationRange = 1...100_000
    /// The range `--max-bytes` accepts: 1 byte to 1 GiB per peer (MPI counts are C `int`s, and
    /// every rank holds `ranks × max` bytes twice).
    public static let maxBytesRange = 1...(1 << 30)

    /// Parses a whole number for `option` within `range`.
    ///
    /// - Throws: ``CalibrationError`` with code `.badArgument` naming the option, the range and
    ///   the text found.
    public static func count(_ text: String, option: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw CalibrationError(.badArgument, "\(option) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// Parses a size in bytes for `option`: a whole number, optionally followed by `K`/`KiB`,
    /// `M`/`MiB` or `G`/`GiB` (binary multiples, as the OSU benchmarks' `-m` sizes are).
    ///
    /// - Throws: ``CalibrationError`` with code `.badArgument`.
    public static func byteCount(_ text: String, option: String, in range: ClosedRange<Int>) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multiples: [String: Int] = ["": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
                                        "g": 1 << 30, "gib": 1 << 30]
        guard let number = Int(digits), let multiple = multiples[unit],
              case let (value, overflow) = number.multipliedReportingOverflow(by: multiple), !overflow,
              range.contains(value) else {
            throw CalibrationError(.badArgument, "\(option) must be a size from \(range.lowerBound) B to \(range.upperBound >> 20) MiB "
                                   + "(bytes, or with K, M, G: binary multiples), got '\(text)'")
        }
        return value
    }

    /// Checks that the profile can be written to `path`: its folder exists, is a folder and is
    /// writable, and `path` itself is not a folder. Done before measuring, so that a typo does
    /// not cost a whole calibration.
    ///
    /// - Throws: ``CalibrationError`` with code `.badOutputPath`.
    public static func checkOutputPath(_ path: String) throws {
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw CalibrationError(.badOutputPath, "--out must name a file, got '\(path)'")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let directory = folder.isEmpty ? "." : folder
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw CalibrationError(.badOutputPath, "--out \(path): the folder \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw CalibrationError(.badOutputPath, "--out \(path): the folder \(directory) is not writable")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw CalibrationError(.badOutputPath, "--out \(path) is a folder; name a file in it")
        }
    }
}

/// Input that `expertmesh calibrate` cannot use: an argument, the output path, or the job
/// `mpirun` started. The description is one line.
public typealias CalibrationError = CodedInputError<CalibrationProblem>

/// The domain of ``CalibrationError``'s codes.
public enum CalibrationProblem {}

extension ErrorCode where Domain == CalibrationProblem {
    /// A number or size on the command line that does not parse or is out of range.
    public static var badArgument: Self { Self("bad argument") }
    /// `--out` names a file that cannot be written.
    public static var badOutputPath: Self { Self("bad output path") }
    /// The job does not fit the measurement: one rank only, ranks on several hosts, messages
    /// too large for the ranks.
    public static var unsuitableJob: Self { Self("unsuitable job") }
}
