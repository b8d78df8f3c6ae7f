/// One rank's part of a command, as a ``RankJob`` runs it: what differs from command to command.
///
/// The job makes the session (its setup), has every rank agree that setup worked, then calls
/// ``run()`` and ``end()``; it reports, aborts and finalizes.
public protocol RankSession: AnyObject {
    /// The work, after every rank's setup worked.
    func run() throws
    /// Gathers the results on rank 0 and writes them.
    ///
    /// - Returns: The exit status of this rank (0; or, say, 2 when rank 0 could not write an
    ///   output file and the ranks agreed on it).
    func end() throws -> Int32
}
