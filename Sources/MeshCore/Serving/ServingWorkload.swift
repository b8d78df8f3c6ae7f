import Foundation
import MeshIO

/// The requests of an open-loop serving run: when each arrives and how many tokens it has.
///
/// Open loop: a request arrives at its time whatever the system is doing, as users would, so a
/// server slower than the offered rate builds a queue and its latencies grow.
public struct ServingWorkload: Sendable, Equatable {
    /// One request: its arrival, after the run's common start, and its token counts.
    public struct Request: Sendable, Equatable {
        /// Position in arrival order, from 0.
        public var id: Int
        public var arrivalSeconds: Double
        public var promptTokens: Int
        public var outputTokens: Int
        /// The trace line it was read from (1-based), for error messages; nil when generated.
        public var line: Int?

        public init(id: Int, arrivalSeconds: Double, promptTokens: Int, outputTokens: Int, line: Int? = nil) {
            self.id = id
            self.arrivalSeconds = arrivalSeconds
            self.promptTokens = promptTokens
            self.outputTokens = outputTokens
            self.line = line
        }
    }

    /// In arrival order (ids ascending).
    public var requests: [Request]
    /// Requests per second offered: λ for Poisson arrivals; for a trace, its arrivals less one over
    /// the time from the first to the last (0 when they all arrive at once).
    public var offeredRequestsPerSecond: Double
    /// Where the requests come from, for messages: `--trace-file PATH` or `--rate`.
    public var source: String

    public init(requests: [Request], offeredRequestsPerSecond: Double, source: String) {
        self.requests = requests
        self.offeredRequestsPerSecond = offeredRequestsPerSecond
        self.source = source
    }

    /// `count` requests arriving as a Poisson process of `ratePerSecond`.
    ///
    /// Inter-arrival times are exponential with mean 1/λ, drawn by inversion (−ln(1 − U)/λ with U
    /// uniform in [0, 1) from the top 53 bits of ``SplitMix64``); the first request arrives one
    /// such gap after the start. Token counts are uniform in their ranges, from a stream of their
    /// own, so a range change does not move the arrivals.
    public static func poisson(ratePerSecond: Double, count: Int, promptTokens: ClosedRange<Int>,
                               outputTokens: ClosedRange<Int>, seed: UInt64) -> ServingWorkload {
        precondition(ratePerSecond > 0 && ratePerSecond.isFinite && count >= 0)
        var arrivals = SplitMix64(seed: seed, name: "serve.arrivals")
        var lengths = SplitMix64(seed: seed, name: "serve.lengths")
        func uniform(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(lengths.next() % UInt64(range.count))
        }
        var time = 0.0
        let requests = (0..<count).map { id in
            time += exponential(&arrivals, rate: ratePerSecond)
            return Request(id: id, arrivalSeconds: time, promptTokens: uniform(promptTokens), outputTokens: uniform(outputTokens))
        }
        return ServingWorkload(requests: requests, offeredRequestsPerSecond: ratePerSecond, source: "--rate \(ratePerSecond)")
    }

    /// A draw of the exponential distribution of rate `rate`.
    static func exponential(_ rng: inout SplitMix64, rate: Double) -> Double {
        let unit = Double(rng.next() >> 11) * 0x1p-53
        return -Foundation.log(1 - unit) / rate
    }

    /// The header a trace file starts with.
    public static let traceHeader = "arrival_seconds,prompt_tokens,output_tokens"

    /// Reads a trace CSV: the header line ``traceHeader``, then one request per line.
    ///
    /// - Throws: ``TextLineError`` naming the file and the line.
    public static func trace(path: String) throws -> ServingWorkload {
        try trace(text: TextFile.read(path, what: "a serving trace (CSV)"), file: path)
    }

    /// Parses trace CSV text; `file` names it in errors.
    ///
    /// Blank lines are skipped. Arrivals are seconds after the run's start, finite, ≥ 0 and in
    /// order (a line may not arrive before the one above it); token counts are whole numbers ≥ 1.
    public static func trace(text: String, file: String) throws -> ServingWorkload {
        // "\r\n" is one Character, a newline like "\n".
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let header = lines.first, header.trimmingCharacters(in: .whitespaces) == traceHeader else {
            throw TextLineError(file: file, line: 1, detail: "expected the header '\(traceHeader)', found '\(lines.first ?? "")'")
        }
        var requests: [Request] = []
        for (index, text) in lines.enumerated().dropFirst() {
            let line = index + 1
            guard !text.allSatisfy(\.isWhitespace) else { continue }
            func fail(_ detail: String) -> TextLineError { TextLineError(file: file, line: line, detail: detail) }
            let fields = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 3 else {
                throw fail("expected 3 fields (\(traceHeader)), found \(fields.count): '\(text)'")
            }
            guard let arrival = Double(fields[0]), arrival.isFinite, arrival >= 0 else {
                throw fail("arrival_seconds: expected seconds ≥ 0, found '\(fields[0])'")
            }
            if let previous = requests.last, arrival < previous.arrivalSeconds {
                throw fail("arrival_seconds: expected arrivals in order, found \(fields[0]) after \(previous.arrivalSeconds)")
            }
            guard let prompt = Int(fields[1]), prompt >= 1 else {
                throw fail("prompt_tokens: expected a whole number ≥ 1, found '\(fields[1])'")
            }
            guard let output = Int(fields[2]), output >= 1 else {
                throw fail("output_tokens: expected a whole number ≥ 1, found '\(fields[2])'")
            }
            requests.append(Request(id: requests.count, arrivalSeconds: arrival, promptTokens: prompt, outputTokens: output,
                                    line: line))
        }
        guard let first = requests.first, let last = requests.last else {
            throw TextLineError(file: file, line: nil, detail: "expected at least one request after the header, found none")
        }
        let span = last.arrivalSeconds - first.arrivalSeconds
        return ServingWorkload(requests: requests, offeredRequestsPerSecond: span > 0 ? Double(requests.count - 1) / span : 0,
                               source: "--trace-file \(file)")
    }
}

/// How much a serving step may hold.
public struct ServingLimits: Sendable, Equatable {
    /// Tokens per step on one coordinator: running decodes (one each) plus admitted prompts.
    public var maxBatchTokens: Int
    /// Requests running at once on one coordinator (each holds a KV cache slot).
    public var maxSequences: Int

    public init(maxBatchTokens: Int, maxSequences: Int) {
        self.maxBatchTokens = maxBatchTokens
        self.maxSequences = maxSequences
    }

    /// Checks that every request of `workload` can ever run: its prompt fits in one step.
    ///
    /// - Throws: ``ServingInputError`` naming the request (and its trace line).
    public func check(_ workload: ServingWorkload) throws {
        for request in workload.requests where request.promptTokens > maxBatchTokens {
            let place = request.line.map { "\(workload.source): line \($0)" } ?? "request \(request.id)"
            throw ServingInputError("\(place): prompt_tokens: \(request.promptTokens) tokens do not fit --max-batch-tokens \(maxBatchTokens); raise it or shorten the prompt")
        }
    }
}

/// Bad serving input that is not a trace line: one line, exit status 2.
public struct ServingInputError: InputError, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
