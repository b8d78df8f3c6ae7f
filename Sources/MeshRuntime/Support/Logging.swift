import Logging
import MeshCore

/// The metadata keys every ExpertMesh logger carries, which the CLI's one-line handler turns into
/// the line's prefix: the library writes the message, never the rank.
public enum LogKey {
    /// The world rank, as a number (`"3"`).
    public static let rank = "rank"
    /// The rank's role: `coordinator 0`, `worker 2`, or the command's name for jobs without roles.
    public static let role = "role"
    /// What the rank is doing: `setup`, `run`, `gather`, a calibration stage, …
    public static let phase = "phase"
}

extension Logger {
    /// The logger of the whole job, for lines that speak for every rank (a wrong rank count):
    /// no rank metadata.
    public static let job = Logger(label: "expertmesh")

    /// A logger for one rank: `rank` and `role` metadata set, `phase` set as the rank moves on.
    ///
    /// The coordinator and worker log per-layer events at `.debug` through a logger made here
    /// (``JobContext/logger`` holds one per rank); `EXPERTMESH_LOG=debug` prints them.
    public static func rank(_ rank: Int, role: String) -> Logger {
        var logger = Logger(label: "expertmesh.rank")
        logger[metadataKey: LogKey.rank] = "\(rank)"
        logger[metadataKey: LogKey.role] = "\(role)"
        return logger
    }
}

extension RankRole {
    /// The role in words: `coordinator 0`, `worker 2`.
    public var name: String {
        switch self {
        case .coordinator(let c): "coordinator \(c)"
        case .worker(let w): "worker \(w)"
        }
    }
}
