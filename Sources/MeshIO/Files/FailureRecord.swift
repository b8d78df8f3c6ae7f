import Foundation

/// What a rank that failed says about it, as a small JSON file that whoever launched the job
/// reads, rather than the job's error text.
///
/// The launcher names a folder in the environment variable ``folderVariable`` (mpirun passes it
/// to every rank with `-x`); a rank that reports an error writes `failure-rank-N.json` there,
/// atomically, N being its `OMPI_COMM_WORLD_RANK` (`failure.json` outside mpirun). Without the
/// variable nothing is written. The folder must be on a file system the failing rank and the
/// launcher share (this machine, or the namespaced test hosts of `Scripts/cluster-up.sh`).
public struct FailureRecord: Codable, Sendable, Equatable {
    /// The rank that failed; nil outside mpirun.
    public var rank: Int?
    /// The error as the rank reported it, one line.
    public var message: String

    public init(rank: Int?, message: String) {
        self.rank = rank
        self.message = message
    }

    /// The environment variable that names the folder records are written to.
    public static let folderVariable = "EXPERTMESH_FAILURE_FOLDER"

    /// Records `message` as this rank's failure, when the environment names a folder; the first
    /// error a rank reports is kept, later ones (consequences of it) are not written.
    ///
    /// Never throws: a failure that cannot be recorded is still reported on standard error, and
    /// the job's exit status still says it failed.
    public static func note(_ message: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let folder = environment[folderVariable], !folder.isEmpty else { return }
        let rank = environment["OMPI_COMM_WORLD_RANK"].flatMap { Int($0) }
        let path = (folder as NSString).appendingPathComponent(rank.map { "failure-rank-\($0).json" } ?? "failure.json")
        guard !FileManager.default.fileExists(atPath: path),
              let data = try? JSONEncoder().encode(FailureRecord(rank: rank, message: message)) else { return }
        try? AtomicFile.write(data, to: path)
    }

    /// The records in `folder`, lowest rank first (a record without a rank first of all).
    public static func read(folder: String) -> [FailureRecord] {
        files(in: folder).compactMap { name in
            FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(name))
                .flatMap { try? JSONDecoder().decode(FailureRecord.self, from: $0) }
        }.sorted { ($0.rank ?? -1) < ($1.rank ?? -1) }
    }

    /// Removes the records in `folder`, before the folder's job is launched again.
    public static func clear(folder: String) {
        for name in files(in: folder) {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }

    /// The names of the record files in `folder`.
    static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0 == "failure.json" || ($0.hasPrefix("failure-rank-") && $0.hasSuffix(".json")) }
    }
}
