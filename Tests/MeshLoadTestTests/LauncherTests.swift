import Foundation
import MeshIO
import Testing
@testable import MeshLoadTest

/// The launcher's deadlines and how it tells a failed job: by exit status and the ranks'
/// failure records, never by the job's text.
@Suite(.serialized) struct LauncherTests {
    /// A fresh folder for one launch.
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("LauncherTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Whether a process whose command line holds `word` is alive (zombies aside).
    func running(_ word: String) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.contains { entry in
            guard let pid = Int32(entry), RunningJob.isRunning(pid),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").contains(word)
        }
    }

    @Test func aHelperCommandPastItsDeadlineIsEndedWithItsChildren() async throws {
        let launcher = try Launcher(executable: "/bin/true")
        let folder = try folder()
        let start = Date()
        let problem = await launcher.runCommand(["/bin/sh", "-c", "sleep 61.25 & sleep 61.25"], folder: folder, timeoutSeconds: 1)
        #expect(problem == "no answer within 1 s; it was ended with its processes")
        #expect(Date().timeIntervalSince(start) < 45, "well before the command would have ended by itself")
        #expect(!running("sleep 61.25"))
    }

    @Test func aFailedHelperCommandGivesItsErrorLine() async throws {
        let launcher = try Launcher(executable: "/bin/true")
        let folder = try folder()
        let problem = await launcher.runCommand(["/bin/sh", "-c", "echo setting; echo 'error: no such host' >&2; exit 3"], folder: folder)
        #expect(problem == "error: no such host")
        #expect(await launcher.runCommand(["/bin/sh", "-c", "echo fine"], folder: folder) == nil)
        #expect(try String(contentsOfFile: folder + "/setup.txt", encoding: .utf8) == "fine\n")
    }

    @Test func aJobStillRunningAfterARankRecordedItsFailureIsEnded() async throws {
        var launcher = try Launcher(executable: "/bin/true")
        launcher.errorGraceSeconds = 0.5
        let folder = try folder()
        // The record is what a rank's DistributedRun.report writes; the text says nothing.
        let script = #"printf '{"rank":1,"message":"rank 1: boom"}' > "$EXPERTMESH_FAILURE_FOLDER/failure-rank-1.json"; sleep 62.5"#
        let start = Date()
        let outcome = try await launcher.run(["/bin/sh", "-c", script], folder: folder)
        #expect(outcome.status == 1 && !outcome.timedOut)
        #expect(outcome.errorLine == "rank 1: boom")
        #expect(Date().timeIntervalSince(start) < 45, "well before the command would have ended by itself")
        #expect(!running("sleep 62.5"))
    }

    @Test func theExitStatusDecidesAndTheLowestRankRecordNamesTheError() async throws {
        let launcher = try Launcher(executable: "/bin/true")
        let folder = try folder()
        // Error text on standard error does not make a job fail.
        let ok = try await launcher.run(["/bin/sh", "-c", "echo 'expertmesh: error: not really' >&2"], folder: folder)
        #expect(ok.status == 0 && ok.errorLine == nil)
        let script = #"cd "$EXPERTMESH_FAILURE_FOLDER"; printf '{"rank":3,"message":"later"}' > failure-rank-3.json; printf '{"rank":0,"message":"first"}' > failure-rank-0.json; echo noise >&2; exit 2"#
        let failed = try await launcher.run(["/bin/sh", "-c", script], folder: folder)
        #expect(failed.status == 2 && failed.errorLine == "first")
        // No record (mpirun's own failure): the error line of standard error.
        let bare = try await launcher.run(["/bin/sh", "-c", "echo 'mpirun: error: no slots' >&2; exit 1"], folder: folder)
        #expect(bare.status == 1 && bare.errorLine == "mpirun: error: no slots")
        #expect(FailureRecord.read(folder: folder).isEmpty, "a launch clears the previous launch's records")
    }
}
