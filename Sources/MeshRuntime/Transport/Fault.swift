import Foundation

/// A failure injected on purpose, to test that the job ends cleanly and says why.
///
/// Each acts once, at the first MoE layer of the first step, on the rank it names.
public enum Fault: Sendable, Equatable {
    /// The rank stops answering (sleeps): its peers must time out and name it.
    case stall(rank: Int)
    /// The coordinator sends the worker at this rank a record naming an expert it does not hold.
    case corrupt(rank: Int)
    /// The rank dies at once (SIGKILL): mpirun must end the job.
    case kill(rank: Int)

    /// Parses `stall:R`, `corrupt:R` or `kill:R`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let rank = Int(parts[1]), rank >= 0 else { return nil }
        switch parts[0] {
        case "stall": self = .stall(rank: rank)
        case "corrupt": self = .corrupt(rank: rank)
        case "kill": self = .kill(rank: rank)
        default: return nil
        }
    }

    /// Acts out a stall or a kill if it targets `rank`.
    func strike(rank: Int) {
        switch self {
        case .stall(let target) where target == rank:
            Thread.sleep(forTimeInterval: 3600)
        case .kill(let target) where target == rank:
            raise(SIGKILL)
        default:
            break
        }
    }
}
