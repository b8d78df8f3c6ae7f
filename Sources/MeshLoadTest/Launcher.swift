import Foundation
import MeshIO
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Starts one point as an mpirun job, with a deadline, its output in files of the point's folder.
///
/// A timeout or an interrupted sweep ends the job and every rank it started (`SIGTERM` to
/// mpirun, then `SIGKILL` to what is left of its process tree), so nothing is left behind. Arguments are passed as an array: no shell ever sees them.
public struct Launcher: Sendable {
    /// The mpirun to use (found on the PATH).
    public let mpirun: String
    /// The `expertmesh` executable the ranks run.
    public let executable: String
    /// `--hostfile` for a real (or namespaced) cluster; nil: every rank on this machine.
    public var hostfile: String?
    /// More mpirun arguments, given as they are (`--mpirun-arg`).
    public var extraArguments: [String] = []
    /// Seconds a point may take before its job is ended.
    public var timeoutSeconds: Double = 600

    /// Finds mpirun on the PATH and this process's own executable.
    ///
    /// - Throws: ``SweepError`` saying how to install Open MPI when mpirun is missing.
    public init(executable: String? = nil) throws {
        guard let found = Self.which("mpirun") else {
            throw SweepError("mpirun not found on the PATH: install Open MPI with `apt-get install -y openmpi-bin libopenmpi-dev` (Scripts/run.sh does)")
        }
        mpirun = found
        self.executable = executable ?? Self.ownExecutable()
    }

    /// The absolute path of a command on the PATH, if any.
    public static func which(_ command: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// This process's executable, from /proc/self/exe (else argv[0]).
    static func ownExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The whole command line of a job of `ranks` ranks running `arguments`.
    public func commandLine(ranks: Int, blasThreads: Int?, arguments: [String]) -> [String] {
        var line = [mpirun]
        if geteuid() == 0 { line.append("--allow-run-as-root") }
        if let hostfile {
            line += ["--hostfile", hostfile]
        } else {
            // One machine: more ranks than cores is the point of a 2-core sweep.
            line += ["--oversubscribe", "--bind-to", "none"]
        }
        // OpenBLAS threads per rank: the config's, else one (ranks share the cores).
        line += ["-x", "OPENBLAS_NUM_THREADS=\(blasThreads ?? 1)"]
        line += extraArguments
        line += ["-np", String(ranks), executable] + arguments
        return line
    }

    /// How a job ended.
    public struct Outcome: Sendable {
        public var status: Int32
        public var timedOut: Bool
        public var seconds: Double
        /// The job's error: its first line that says `error`, else its last line of standard error.
        public var errorLine: String?
    }

    /// Runs `commandLine` with standard output and error in `stdout.txt` and `stderr.txt` of `folder`.
    public func run(_ commandLine: [String], folder: String) async throws -> Outcome {
        let outPath = (folder as NSString).appendingPathComponent("stdout.txt")
        let errPath = (folder as NSString).appendingPathComponent("stderr.txt")
        let out = try FileDescriptor.open(FilePath(outPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        let err = try FileDescriptor.open(FilePath(errPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(3))]
        let configuration = Configuration(executable: .path(FilePath(commandLine[0])), arguments: Arguments(Array(commandLine.dropFirst())),
                                          environment: .inherit, platformOptions: options)
        let start = Date()
        let timeout = timeoutSeconds
        let status: Int32?
        status = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask {
                RunningJob.spawning.withLock { $0 = true }
                defer {
                    RunningJob.current.withLock { $0 = nil }
                    RunningJob.spawning.withLock { $0 = false }
                }
                let result = try await Subprocess.run(configuration, input: .none,
                                                      output: .fileDescriptor(out, closeAfterSpawningProcess: true),
                                                      error: .fileDescriptor(err, closeAfterSpawningProcess: true)) { execution in
                    let pid = execution.processIdentifier.value
                    RunningJob.current.withLock { $0 = pid }
                    // Interrupted while it was being spawned: end it now.
                    if RunningJob.wasInterrupted { RunningJob.end(pid) }
                }
                switch result.terminationStatus {
                case .exited(let code): return code
                case .signaled(let signal): return 128 + signal
                }
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                return nil
            }
            group.addTask {
                // A rank reported an error: mpirun should end the job now, but cannot when a host
                // became unreachable (its ranks cannot be told). Give it a grace period.
                while true {
                    try await Task.sleep(nanoseconds: 250_000_000)
                    if let text = try? String(contentsOfFile: errPath, encoding: .utf8), text.contains("expertmesh: error:") { break }
                }
                try await Task.sleep(nanoseconds: UInt64(Self.errorGraceSeconds * 1e9))
                return Self.endedAfterError
            }
            let first = try await group.next()!
            if first == nil || first == Self.endedAfterError, let pid = RunningJob.current.withLock({ $0 }) {
                // Timed out, or hung after an error: end the job and its ranks before the launch task is cancelled.
                RunningJob.end(pid)
            }
            group.cancelAll()
            return first
        }
        let seconds = Date().timeIntervalSince(start)
        let text = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        if status == Self.endedAfterError {
            return Outcome(status: 1, timedOut: false, seconds: seconds, errorLine: Self.errorLine(text))
        }
        guard let status else {
            return Outcome(status: -1, timedOut: true, seconds: seconds,
                           errorLine: String(format: "timed out after %.0f s (--point-timeout); the job was ended", timeout))
        }
        return Outcome(status: status, timedOut: false, seconds: seconds, errorLine: status == 0 ? nil : Self.errorLine(text))
    }

    /// Runs a short command (such as the link-rate setter) with a 60 s deadline; its output goes
    /// to `setup.txt` in `folder`.
    ///
    /// - Returns: nil when it succeeded, else its error line.
    public func runCommand(_ line: [String], folder: String) async -> String? {
        do {
            let result = try await Subprocess.run(.path(FilePath(line[0])), arguments: Arguments(Array(line.dropFirst())),
                                                  output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
            let text = result.standardOutput + result.standardError
            try? AtomicFile.write(Data(text.utf8), to: (folder as NSString).appendingPathComponent("setup.txt"))
            guard result.terminationStatus.isSuccess else {
                return Self.errorLine(result.standardError) ?? "\(result.terminationStatus)"
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Seconds mpirun gets to end a job after a rank reported an error, before the job's process
    /// tree is ended here.
    static let errorGraceSeconds = 10.0
    /// The launch's result when the job was ended after an error.
    static let endedAfterError: Int32 = -2

    /// The line of a job's standard error that says what went wrong.
    static func errorLine(_ text: String) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return (lines.first { $0.contains("error:") } ?? lines.first { $0.lowercased().contains("error") } ?? lines.last)
    }
}

/// The job running now, so that an interrupted sweep can end it.
public enum RunningJob {
    static let current = Mutex<Int32?>(nil)
    /// A job is being started (its pid is not known yet).
    static let spawning = Mutex(false)
    static let interrupted = Mutex(false)

    /// Whether ``terminate()`` was called: a job that ends after it was ended, not failed.
    public static var wasInterrupted: Bool { interrupted.withLock { $0 } }

    /// Ends the running job and every rank it started, if a job is running; no later job starts
    /// and no point is recorded after it.
    public static func terminate() {
        interrupted.withLock { $0 = true }
        // A job being spawned has no pid yet: wait (briefly) for it, so that it is not orphaned.
        let deadline = Date().addingTimeInterval(3)
        while current.withLock({ $0 }) == nil, spawning.withLock({ $0 }), Date() < deadline { usleep(10_000) }
        if let pid = current.withLock({ $0 }) { end(pid) }
    }

    /// Ends mpirun `pid` and its ranks: `SIGTERM` to mpirun, which ends its ranks in turn (Open MPI
    /// starts each in a process group of its own, so a group signal would miss them); whatever
    /// of the tree is still alive after `grace` seconds gets `SIGKILL`.
    static func end(_ pid: Int32, grace: Double = 5) {
        let tree = descendants(of: pid)
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, ([pid] + tree).contains(where: isRunning) { usleep(50_000) }
        for process in [pid] + tree where isRunning(process) { kill(process, SIGKILL) }
    }

    /// Whether `pid` is alive and not a zombie.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Every process below `pid`, from /proc.
    static func descendants(of pid: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let process = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(process) }
        }
        var found: [Int32] = [], queue = [pid]
        while let next = queue.popLast() {
            for child in children[next] ?? [] { found.append(child); queue.append(child) }
        }
        return found
    }
}
