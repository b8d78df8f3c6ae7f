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
    /// Seconds mpirun gets to end a job after a rank reported an error, before the job's process
    /// tree is ended here.
    public var errorGraceSeconds = 10.0

    /// Finds mpirun on the PATH and this process's own executable.
    ///
    /// - Throws: ``SweepError`` saying how to install Open MPI when mpirun is missing.
    public init(executable: String? = nil) throws {
        guard let found = Self.which("mpirun") else {
            throw SweepError(.launcher, "mpirun not found on the PATH: install Open MPI with `apt-get install -y openmpi-bin libopenmpi-dev` (Scripts/run.sh does)")
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
        // Every rank's failure record goes to the folder that `run` names in mpirun's environment.
        line += ["-x", FailureRecord.folderVariable]
        line += extraArguments
        line += ["-np", String(ranks), executable] + arguments
        return line
    }

    /// How a job ended.
    public struct Outcome: Sendable {
        public var status: Int32
        public var timedOut: Bool
        public var seconds: Double
        /// The job's error: the lowest failing rank's ``FailureRecord``, else (mpirun's own
        /// failures) its first line of standard error that says `error`, else its last.
        public var errorLine: String?
    }

    /// Runs `commandLine` with standard output and error in `stdout.txt` and `stderr.txt` of `folder`.
    ///
    /// The job fails by its exit status. Its ranks write a ``FailureRecord`` into `folder` when
    /// they report an error: mpirun should then end the job, but cannot when a host became
    /// unreachable (its ranks cannot be told), so a job still running ``errorGraceSeconds``
    /// after the first record is ended here.
    public func run(_ commandLine: [String], folder: String) async throws -> Outcome {
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        FailureRecord.clear(folder: folder)
        let errPath = (folder as NSString).appendingPathComponent("stderr.txt")
        let start = Date()
        let ending = try await Self.launch(commandLine, output: (folder as NSString).appendingPathComponent("stdout.txt"),
                                           error: errPath, timeoutSeconds: timeoutSeconds,
                                           failure: (folder, errorGraceSeconds))
        let seconds = Date().timeIntervalSince(start)
        let status: Int32
        switch ending {
        case .timedOut:
            return Outcome(status: -1, timedOut: true, seconds: seconds,
                           errorLine: String(format: "timed out after %.0f s (--point-timeout); the job was ended", timeoutSeconds))
        case .endedAfterError: status = 1
        case .exited(let code): status = code
        }
        guard status != 0 else { return Outcome(status: 0, timedOut: false, seconds: seconds, errorLine: nil) }
        let errorLine = FailureRecord.read(folder: folder).first?.message
            ?? Self.errorLine((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        return Outcome(status: status, timedOut: false, seconds: seconds, errorLine: errorLine)
    }

    /// Runs a short command (such as the link-rate setter) with a deadline of
    /// ``commandTimeoutSeconds``, after which its process tree is ended; its standard output and
    /// error go to `setup.txt` in `folder`.
    ///
    /// - Returns: nil when it succeeded, else its error line.
    public func runCommand(_ line: [String], folder: String, timeoutSeconds: Double = commandTimeoutSeconds) async -> String? {
        let path = (folder as NSString).appendingPathComponent("setup.txt")
        do {
            let ending = try await Self.launch(line, output: path, error: nil, timeoutSeconds: timeoutSeconds, failure: nil)
            if ending == .exited(0) { return nil }
            if ending == .timedOut { return String(format: "no answer within %.0f s; it was ended with its processes", timeoutSeconds) }
            return Self.errorLine((try? String(contentsOfFile: path, encoding: .utf8)) ?? "") ?? "\(ending)"
        } catch {
            return "\(error)"
        }
    }

    /// How a launched process ended.
    enum Ending: Equatable {
        case exited(Int32)
        case timedOut
        /// Ended here after a ``FailureRecord`` appeared and the job went on running.
        case endedAfterError
    }

    /// Starts `commandLine` in a process group of its own, standard output to `output` and
    /// standard error to `error` (the same file when nil), and waits for it at most
    /// `timeoutSeconds`, ending its process tree then; with `failure`, also at most its grace
    /// seconds after a ``FailureRecord`` appears in its folder.
    static func launch(_ commandLine: [String], output: String, error: String?, timeoutSeconds: Double,
                       failure: (folder: String, graceSeconds: Double)?) async throws -> Ending {
        let permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
        let out = try FileDescriptor.open(FilePath(output), .writeOnly, options: [.create, .truncate, .append], permissions: permissions)
        let err = try error.map { try FileDescriptor.open(FilePath($0), .writeOnly, options: [.create, .truncate], permissions: permissions) }
            ?? out.duplicate()
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(3))]
        var environment = Environment.inherit
        if let failure { environment = environment.updating([Environment.Key(stringLiteral: FailureRecord.folderVariable): failure.folder]) }
        let configuration = Configuration(executable: .path(FilePath(commandLine[0])), arguments: Arguments(Array(commandLine.dropFirst())),
                                          environment: environment, platformOptions: options)
        return try await withThrowingTaskGroup(of: Ending.self) { group in
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
                case .exited(let code): return .exited(code)
                case .signaled(let signal): return .exited(128 + signal)
                }
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeoutSeconds * 1e9))
                return .timedOut
            }
            if let failure {
                group.addTask {
                    while FailureRecord.read(folder: failure.folder).isEmpty {
                        try await Task.sleep(nanoseconds: 250_000_000)
                    }
                    try await Task.sleep(nanoseconds: UInt64(failure.graceSeconds * 1e9))
                    return .endedAfterError
                }
            }
            let first = try await group.next()!
            if first == .timedOut || first == .endedAfterError, let pid = RunningJob.current.withLock({ $0 }) {
                // Timed out, or hung after an error: end it and its children before the launch task is cancelled.
                RunningJob.end(pid)
            }
            group.cancelAll()
            return first
        }
    }

    /// Seconds a helper command (`--rate-command`) may take before it is ended.
    public static let commandTimeoutSeconds = 60.0

    /// The line of a job's standard error that says what went wrong, when no rank recorded it
    /// (mpirun's own errors, a helper command's output).
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
