import Logging

/// The one line a log message becomes on standard error, its prefix made from the metadata.
public enum LogLine {
    /// `expertmesh: error: rank 3: timed out after …` for an error of rank 3 (the `rank`
    /// metadata); `expertmesh: error: …` for a line of the whole job (no `rank`). Below error
    /// level the role and phase follow the rank: `expertmesh: debug: rank 2 (worker 1, run): …`.
    /// A message that already starts with its rank (``PeerTimeout``'s text does) does not get it
    /// twice. `critical` prints as `error`, which is what scripts look for.
    ///
    /// - Parameters:
    ///   - level: The message's level.
    ///   - message: What happened.
    ///   - metadata: The logger's and the message's metadata (see ``LogKey``).
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var prefix = "expertmesh: \(level == .critical ? "error" : level.rawValue): "
        if let rank = metadata[LogKey.rank].map({ "\($0)" }) {
            var who = "rank \(rank)"
            if level < .error {
                let context = [metadata[LogKey.role], metadata[LogKey.phase]].compactMap { $0.map { "\($0)" } }
                if !context.isEmpty { who += " (\(context.joined(separator: ", ")))" }
                prefix += who + ": "
            } else if !message.hasPrefix(who + ":") {
                prefix += who + ": "
            }
        }
        return prefix + message
    }
}
