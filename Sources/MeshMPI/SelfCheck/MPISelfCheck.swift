/// A check of every MeshMPI operation across all ranks, run under `mpirun` by the test script.
///
/// Exercises `iallreduce` (four element types, sum, max and min), `iallgather`, `ialltoall` of
/// counts, `ialltoallv` (packed `Int32`, `Float` into regions with gaps, packed bytes) with
/// rank-dependent counts that include zeros, `split`, an `isend`/`irecv` ring and `ibarrier`, and
/// checks every value received against the value the sender must have sent. (The blocking forms
/// are covered in a world of one by MeshMPITests.)
///
/// Every wait has a deadline, so that a rank that stops ends the check instead of hanging it:
/// collectives are the non-blocking forms waited on with `timeoutSeconds`. `MPI_Comm_split` has
/// no non-blocking form; the stage hook before it (see ``run(on:timeoutSeconds:beforeStage:)``)
/// is where a missing rank is caught.
///
/// Mismatches do not stop a rank halfway, which would leave the others waiting in the next
/// collective: each rank records what it saw, then all ranks add up their counts and throw
/// together.
public enum MPISelfCheck {
    /// The longest any wait of the check takes by default, in seconds.
    public static let defaultTimeoutSeconds = 30.0

    /// The check's stages, in the order they run; each is one call of the stage hook.
    public static let stages = ["allreduce", "allgather", "alltoall counts", "alltoallv Int32", "alltoallv Float with gaps",
                                "alltoallv bytes", "ialltoallv Int64", "split", "ring", "barrier", "outcome"]

    /// Runs the check collectively; every rank of `world` must call it.
    ///
    /// - Parameters:
    ///   - world: The communicator to check, normally `MPIEnvironment.world`.
    ///   - timeoutSeconds: The longest wait for any operation, in seconds.
    ///   - beforeStage: Called on every rank before each stage with its name (one of ``stages``):
    ///     where a caller agrees with every peer point to point, so that a rank that stopped is
    ///     named, and logs progress.
    /// - Returns: A one-line summary, such as
    ///   `MPI self-check passed: 4 ranks, 10 operations, 412 values checked in 0.031 s`.
    /// - Throws: `MPIRuntimeError` with `.selfCheckMismatch` on every rank when any rank received a
    ///   wrong value; `MPIError` or `MPITimeoutError` when an operation fails; what `beforeStage` throws.
    public static func run(on world: Communicator, timeoutSeconds: Double = defaultTimeoutSeconds,
                           beforeStage: (String) throws -> Void = { _ in }) throws -> String {
        let clock = ContinuousClock()
        let start = clock.now
        var findings = Findings(rank: world.rank, timeoutSeconds: timeoutSeconds)
        var stage = stages.makeIterator()
        func next() throws { try beforeStage(stage.next()!) }

        try next(); try checkAllreduce(world, &findings)
        try next(); try checkAllgather(world, &findings)
        try next(); let counts = try checkAlltoallCounts(world, &findings)
        try next(); try checkAlltoallvInt32(world, counts: counts, &findings)
        try next(); try checkAlltoallvFloatWithGaps(world, counts: counts, &findings)
        try next(); try checkAlltoallvBytes(world, counts: counts, &findings)
        try next(); try checkIalltoallv(world, &findings)
        try next(); try checkSplit(world, &findings)
        try next(); try checkRing(world, &findings)
        try next(); try world.ibarrier().wait(timeoutSeconds: timeoutSeconds)
        let operations = 10

        // Agree on the outcome before anyone throws, so no rank is left waiting in a collective.
        try next()
        let totals = try world.allreduce([Int64(findings.mismatchCount), Int64(findings.checked)], op: .sum,
                                         timeoutSeconds: timeoutSeconds)
        let elapsed = (clock.now - start).seconds
        guard totals[0] == 0 else {
            let local = findings.mismatchCount == 0
                ? "rank \(world.rank) saw none"
                : "rank \(world.rank) saw \(findings.mismatchCount), first: "
                    + findings.examples.joined(separator: "; ")
            throw MPIRuntimeError(
                code: .selfCheckMismatch, operation: "MPISelfCheck",
                message: "\(totals[0]) of \(totals[1]) values wrong across \(world.size) ranks; \(local)")
        }
        return "MPI self-check passed: \(world.size) ranks, \(operations) operations, "
            + "\(totals[1]) values checked in \(elapsed.formatted(decimals: 3)) s"
    }

    /// Exchanges `send` by `ialltoallv`, packed regions on both sides, within the check's deadline.
    private static func exchange<Element: MPIElement>(
        _ world: Communicator, _ send: consuming MPIBuffer<Element>, counts: (send: [Int32], recv: [Int32]),
        into receive: consuming MPIBuffer<Element>, recvDisplacements: [Int32], _ findings: Findings
    ) throws -> MPIBuffer<Element> {
        let request = try world.ialltoallv(
            sending: send, sendCounts: counts.send, sendDisplacements: try Communicator.packedDisplacements(for: counts.send),
            receivingInto: receive, recvCounts: counts.recv, recvDisplacements: recvDisplacements)
        let exchanged = try request.wait(timeoutSeconds: findings.timeoutSeconds)
        return exchanged.received
    }

    // MARK: Expected values

    /// Elements rank `source` sends to rank `destination`: 0 to 3, zero for some pairs when there
    /// are two ranks or more, never zero for a world of one.
    static func count(from source: Int, to destination: Int) -> Int32 {
        Int32((source + 2 * destination + 1) % 4)
    }

    /// The `index`-th `Int32` rank `source` sends to rank `destination`.
    static func int32Value(from source: Int, to destination: Int, index: Int) -> Int32 {
        Int32(source * 1_000_000 + destination * 1_000 + index)
    }

    // MARK: Stages

    private static func checkAllreduce(_ world: Communicator, _ findings: inout Findings) throws {
        let n = world.size
        let rank = world.rank
        let sumOfRanksPlusOne = n * (n + 1) / 2

        func check<Element: MPIReducible & BinaryFloatingPoint>(_ type: Element.Type) throws {
            let mine = Element(rank + 1)
            findings.expectClose(Double(try world.allreduce(mine, op: .sum, timeoutSeconds: findings.timeoutSeconds)), Double(sumOfRanksPlusOne), "allreduce sum \(type)")
            findings.expectClose(Double(try world.allreduce(mine, op: .max, timeoutSeconds: findings.timeoutSeconds)), Double(n), "allreduce max \(type)")
            findings.expectClose(Double(try world.allreduce(mine, op: .min, timeoutSeconds: findings.timeoutSeconds)), 1, "allreduce min \(type)")
        }
        func check<Element: MPIReducible & FixedWidthInteger>(_ type: Element.Type) throws {
            let mine = Element(rank + 1)
            findings.expect(try world.allreduce(mine, op: .sum, timeoutSeconds: findings.timeoutSeconds), Element(sumOfRanksPlusOne), "allreduce sum \(type)")
            findings.expect(try world.allreduce(mine, op: .max, timeoutSeconds: findings.timeoutSeconds), Element(n), "allreduce max \(type)")
            findings.expect(try world.allreduce(mine, op: .min, timeoutSeconds: findings.timeoutSeconds), 1, "allreduce min \(type)")
        }
        try check(Float.self)
        try check(Double.self)
        try check(Int32.self)
        try check(Int64.self)

        let several = try world.allreduce([Int64(rank), Int64(2 * rank), 7], op: .sum, timeoutSeconds: findings.timeoutSeconds)
        let sumOfRanks = Int64(n * (n - 1) / 2)
        findings.expect(several, [sumOfRanks, 2 * sumOfRanks, Int64(7 * n)], "allreduce of several values")
    }

    private static func checkAllgather(_ world: Communicator, _ findings: inout Findings) throws {
        let gathered = try world.allgather([Int32(world.rank), Int32(world.rank * 10)], timeoutSeconds: findings.timeoutSeconds)
        let expected = (0..<world.size).flatMap { [Int32($0), Int32($0 * 10)] }
        findings.expect(gathered, expected, "allgather")
    }

    /// Exchanges the element counts every later `alltoallv` uses, as the runtime does.
    ///
    /// - Returns: The counts this rank sends to and receives from each rank.
    private static func checkAlltoallCounts(
        _ world: Communicator, _ findings: inout Findings
    ) throws -> (send: [Int32], recv: [Int32]) {
        let send = (0..<world.size).map { count(from: world.rank, to: $0) }
        let recv = try world.alltoall(send, timeoutSeconds: findings.timeoutSeconds)
        let expected = (0..<world.size).map { count(from: $0, to: world.rank) }
        findings.expect(recv, expected, "alltoall counts")
        return (send, expected)
    }

    private static func checkAlltoallvInt32(
        _ world: Communicator, counts: (send: [Int32], recv: [Int32]), _ findings: inout Findings
    ) throws {
        let recvDisplacements = try Communicator.packedDisplacements(for: counts.recv)
        var send = [Int32]()
        for peer in 0..<world.size {
            for index in 0..<Int(counts.send[peer]) {
                send.append(int32Value(from: world.rank, to: peer, index: index))
            }
        }
        let received = try exchange(world, MPIBuffer(send), counts: counts, into: MPIBuffer(count: Int(counts.recv.reduce(0, +))),
                                    recvDisplacements: recvDisplacements, findings)
        for peer in 0..<world.size {
            for index in 0..<Int(counts.recv[peer]) {
                findings.expect(
                    received[Int(recvDisplacements[peer]) + index],
                    int32Value(from: peer, to: world.rank, index: index),
                    "alltoallv Int32 from rank \(peer) index \(index)")
            }
        }
    }

    /// Receives into regions separated by one-element gaps, which must stay zero.
    private static func checkAlltoallvFloatWithGaps(
        _ world: Communicator, counts: (send: [Int32], recv: [Int32]), _ findings: inout Findings
    ) throws {
        func value(from source: Int, to destination: Int, index: Int) -> Float {
            Float(source * 100 + destination * 10 + index) + 0.5
        }
        var recvDisplacements = [Int32]()
        var offset: Int32 = 1
        for peer in 0..<world.size {
            recvDisplacements.append(offset)
            offset += counts.recv[peer] + 1
        }
        var send = [Float]()
        for peer in 0..<world.size {
            for index in 0..<Int(counts.send[peer]) {
                send.append(value(from: world.rank, to: peer, index: index))
            }
        }
        let received = try exchange(world, MPIBuffer(send), counts: counts, into: MPIBuffer(repeating: -1, count: Int(offset)),
                                    recvDisplacements: recvDisplacements, findings)
        var covered = [Bool](repeating: false, count: received.count)
        for peer in 0..<world.size {
            for index in 0..<Int(counts.recv[peer]) {
                let position = Int(recvDisplacements[peer]) + index
                covered[position] = true
                findings.expectClose(
                    Double(received[position]), Double(value(from: peer, to: world.rank, index: index)),
                    "alltoallv Float from rank \(peer) index \(index)")
            }
        }
        for position in 0..<received.count where !covered[position] {
            findings.expectClose(Double(received[position]), -1, "alltoallv Float gap at \(position) untouched")
        }
    }

    /// Sends packed 3-byte records as bytes, counts in bytes.
    private static func checkAlltoallvBytes(
        _ world: Communicator, counts: (send: [Int32], recv: [Int32]), _ findings: inout Findings
    ) throws {
        let recordBytes: Int32 = 3
        func byte(from source: Int, to destination: Int, offset: Int) -> UInt8 {
            UInt8(truncatingIfNeeded: source * 31 + destination * 7 + offset)
        }
        let sendCounts = counts.send.map { $0 * recordBytes }
        let recvCounts = counts.recv.map { $0 * recordBytes }
        let sendDisplacements = try Communicator.packedDisplacements(for: sendCounts)
        let recvDisplacements = try Communicator.packedDisplacements(for: recvCounts)
        var send = MPIBuffer<UInt8>(count: Int(sendCounts.reduce(0, +)))
        send.withUnsafeMutableBytes { bytes in
            for peer in 0..<world.size {
                for offset in 0..<Int(sendCounts[peer]) {
                    bytes[Int(sendDisplacements[peer]) + offset] = byte(from: world.rank, to: peer, offset: offset)
                }
            }
        }
        let receive = try exchange(world, send, counts: (sendCounts, recvCounts),
                                   into: MPIBuffer<UInt8>(count: Int(recvCounts.reduce(0, +))),
                                   recvDisplacements: recvDisplacements, findings)
        for peer in 0..<world.size {
            for offset in 0..<Int(recvCounts[peer]) {
                findings.expect(
                    receive[Int(recvDisplacements[peer]) + offset], byte(from: peer, to: world.rank, offset: offset),
                    "alltoallv bytes from rank \(peer) offset \(offset)")
            }
        }
    }

    private static func checkIalltoallv(_ world: Communicator, _ findings: inout Findings) throws {
        func count(from source: Int, to destination: Int) -> Int32 { Int32((2 * source + destination) % 3) }
        func value(from source: Int, to destination: Int, index: Int) -> Int64 {
            Int64(source) << 32 | Int64(destination) << 16 | Int64(index)
        }
        let sendCounts = (0..<world.size).map { count(from: world.rank, to: $0) }
        let recvCounts = (0..<world.size).map { count(from: $0, to: world.rank) }
        let sendDisplacements = try Communicator.packedDisplacements(for: sendCounts)
        let recvDisplacements = try Communicator.packedDisplacements(for: recvCounts)
        var send = MPIBuffer<Int64>(count: Int(sendCounts.reduce(0, +)))
        for peer in 0..<world.size {
            for index in 0..<Int(sendCounts[peer]) {
                send[Int(sendDisplacements[peer]) + index] = value(from: world.rank, to: peer, index: index)
            }
        }
        let request = try world.ialltoallv(
            sending: send, sendCounts: sendCounts, sendDisplacements: sendDisplacements,
            receivingInto: MPIBuffer<Int64>(count: Int(recvCounts.reduce(0, +))),
            recvCounts: recvCounts, recvDisplacements: recvDisplacements)
        let exchange = try request.wait(timeoutSeconds: findings.timeoutSeconds)
        for peer in 0..<world.size {
            for index in 0..<Int(recvCounts[peer]) {
                findings.expect(
                    exchange.received[Int(recvDisplacements[peer]) + index],
                    value(from: peer, to: world.rank, index: index),
                    "ialltoallv Int64 from rank \(peer) index \(index)")
            }
        }
    }

    /// Splits by parity with reversed keys: new ranks must run backwards through each group.
    private static func checkSplit(_ world: Communicator, _ findings: inout Findings) throws {
        let color = world.rank % 2
        let group = (0..<world.size).filter { $0 % 2 == color }
        let sub = try world.split(color: color, key: world.size - world.rank)
        findings.expect(sub.size, group.count, "split size")
        findings.expect(sub.rank, group.count - 1 - group.firstIndex(of: world.rank)!, "split rank")
        findings.expect(try sub.allreduce(Int64(world.rank), op: .sum, timeoutSeconds: findings.timeoutSeconds), Int64(group.reduce(0, +)), "split allreduce")
        try sub.free()
    }

    /// Each rank sends to the next and receives from the previous one.
    private static func checkRing(_ world: Communicator, _ findings: inout Findings) throws {
        let next = (world.rank + 1) % world.size
        let previous = (world.rank + world.size - 1) % world.size
        let tag = 42
        let receive = try world.irecv(Int64.self, count: 2, from: previous, tag: tag)
        let send = try world.isend([Int64(world.rank), Int64(world.rank * world.rank)], to: next, tag: tag)
        let received = try receive.wait(timeoutSeconds: findings.timeoutSeconds)
        try send.wait(timeoutSeconds: findings.timeoutSeconds)
        findings.expect(received.status.source, previous, "ring source")
        findings.expect(received.elements, [Int64(previous), Int64(previous * previous)], "ring values")
    }
}

/// What one rank saw during the self-check.
private struct Findings {
    let rank: Int
    /// The longest wait of any operation, in seconds.
    let timeoutSeconds: Double
    var checked = 0
    var mismatchCount = 0
    /// The first few mismatches, for the error message.
    var examples: [String] = []

    init(rank: Int, timeoutSeconds: Double) {
        self.rank = rank
        self.timeoutSeconds = timeoutSeconds
    }

    mutating func expect<Value: Equatable>(_ actual: Value, _ expected: Value, _ what: @autoclosure () -> String) {
        record(actual == expected, "\(what()): expected \(expected), got \(actual)")
    }

    /// Compares with a relative tolerance of 1e-6, well above Float rounding of these small values.
    mutating func expectClose(_ actual: Double, _ expected: Double, _ what: @autoclosure () -> String) {
        let tolerance = 1e-6 * max(1, abs(expected))
        record(abs(actual - expected) <= tolerance, "\(what()): expected \(expected), got \(actual)")
    }

    private mutating func record(_ passed: Bool, _ message: @autoclosure () -> String) {
        checked += 1
        guard !passed else { return }
        mismatchCount += 1
        if examples.count < 3 { examples.append(message()) }
    }
}
