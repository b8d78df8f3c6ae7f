import Foundation
import MeshIO
import Testing
@testable import MeshCore

@Suite struct ServingWorkloadTests {
    @Test func poissonGapsAverageOneOverTheRate() {
        let rate = 40.0, count = 20_000
        let w = ServingWorkload.poisson(ratePerSecond: rate, count: count, promptTokens: 8...8, outputTokens: 4...4, seed: 7)
        let arrivals = w.requests.map(\.arrivalSeconds)
        let gaps = zip([0] + arrivals, arrivals).map { $1 - $0 }
        let mean = gaps.reduce(0, +) / Double(count)
        // The standard error of the mean of 20 000 exponential gaps is 1/(λ√n) ≈ 0.7 %.
        #expect(abs(mean * rate - 1) < 0.03, "mean gap \(mean) s for rate \(rate)/s")
        // Exponential: the standard deviation equals the mean, and about e⁻¹ of gaps exceed it.
        let variance = gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
        #expect(abs(variance.squareRoot() / mean - 1) < 0.05)
        let above = Double(gaps.filter { $0 > mean }.count) / Double(count)
        #expect(abs(above - exp(-1)) < 0.02)
        #expect(gaps.allSatisfy { $0 >= 0 })
        #expect(w.requests.map(\.id) == Array(0..<count))
        #expect(w.offeredRequestsPerSecond == rate)
    }

    @Test func poissonIsDeterministicPerSeed() {
        let a = ServingWorkload.poisson(ratePerSecond: 5, count: 50, promptTokens: 4...32, outputTokens: 1...8, seed: 3)
        let b = ServingWorkload.poisson(ratePerSecond: 5, count: 50, promptTokens: 4...32, outputTokens: 1...8, seed: 3)
        let c = ServingWorkload.poisson(ratePerSecond: 5, count: 50, promptTokens: 4...32, outputTokens: 1...8, seed: 4)
        #expect(a == b)
        #expect(a.requests.map(\.arrivalSeconds) != c.requests.map(\.arrivalSeconds))
        #expect(a.requests.allSatisfy { (4...32).contains($0.promptTokens) && (1...8).contains($0.outputTokens) })
        #expect(Set(a.requests.map(\.promptTokens)).count > 5, "lengths are drawn across the range")
        // Lengths come from a stream of their own: changing them does not move the arrivals.
        let d = ServingWorkload.poisson(ratePerSecond: 5, count: 50, promptTokens: 16...16, outputTokens: 2...2, seed: 3)
        #expect(a.requests.map(\.arrivalSeconds) == d.requests.map(\.arrivalSeconds))
    }

    @Test func aTraceIsReadWithItsRate() throws {
        let text = "arrival_seconds,prompt_tokens,output_tokens\n0.0,16,4\n0.5, 8 ,2\r\n\n1.0,32,1\n"
        let w = try ServingWorkload.trace(text: text, file: "t.csv")
        #expect(w.requests == [
            .init(id: 0, arrivalSeconds: 0, promptTokens: 16, outputTokens: 4, line: 2),
            .init(id: 1, arrivalSeconds: 0.5, promptTokens: 8, outputTokens: 2, line: 3),
            .init(id: 2, arrivalSeconds: 1.0, promptTokens: 32, outputTokens: 1, line: 5),
        ])
        #expect(w.offeredRequestsPerSecond == 2)
        #expect(w.source == "--trace-file t.csv")
        let burst = try ServingWorkload.trace(text: "arrival_seconds,prompt_tokens,output_tokens\n0,1,1\n0,1,1\n", file: "b.csv")
        #expect(burst.offeredRequestsPerSecond == 0)
    }

    @Test(arguments: [
        ("arrival_seconds,prompt_tokens\n0,1,1\n", "t.csv: line 1: expected the header"),
        ("arrival_seconds,prompt_tokens,output_tokens\n0,1,1\n0.5,x,2\n", "t.csv: line 3: prompt_tokens: expected a whole number ≥ 1, found 'x'"),
        ("arrival_seconds,prompt_tokens,output_tokens\n0,1,1\n\n0.5,4\n", "t.csv: line 4: expected 3 fields"),
        ("arrival_seconds,prompt_tokens,output_tokens\n1,1,1\n0.5,4,4\n", "t.csv: line 3: arrival_seconds: expected arrivals in order"),
        ("arrival_seconds,prompt_tokens,output_tokens\n-1,1,1\n", "t.csv: line 2: arrival_seconds: expected seconds ≥ 0, found '-1'"),
        ("arrival_seconds,prompt_tokens,output_tokens\nnan,1,1\n", "t.csv: line 2: arrival_seconds"),
        ("arrival_seconds,prompt_tokens,output_tokens\n0,1,0\n", "t.csv: line 2: output_tokens: expected a whole number ≥ 1, found '0'"),
        ("arrival_seconds,prompt_tokens,output_tokens\n", "t.csv: expected at least one request"),
    ])
    func aBadTraceLineIsNamed(text: String, message: String) {
        #expect {
            _ = try ServingWorkload.trace(text: text, file: "t.csv")
        } throws: { error in
            guard let error = error as? TextLineError else { return false }
            return error.description.hasPrefix(message) && (error as any Error) is any InputError
        }
    }

    @Test func aMissingTraceFileIsNamed() {
        #expect(throws: InputFileError(.notFound, path: "/nonexistent/t.csv", what: "a serving trace (CSV)")) {
            try ServingWorkload.trace(path: "/nonexistent/t.csv")
        }
    }

    @Test func aPromptAboveTheCapIsRefusedWithItsLine() throws {
        let limits = ServingLimits(maxBatchTokens: 64, maxSequences: 4)
        let trace = try ServingWorkload.trace(text: "arrival_seconds,prompt_tokens,output_tokens\n0,64,1\n0,65,1\n", file: "t.csv")
        #expect {
            try limits.check(trace)
        } throws: { ($0 as? ServingInputError)?.message.hasPrefix("--trace-file t.csv: line 3: prompt_tokens: 65 tokens do not fit --max-batch-tokens 64") == true }
        let poisson = ServingWorkload.poisson(ratePerSecond: 1, count: 3, promptTokens: 64...64, outputTokens: 1...1, seed: 1)
        #expect(throws: Never.self) { try limits.check(poisson) }
    }

    /// Nearest-rank percentiles, exact: the oracle for the summary's arithmetic.
    static let exact: LatencyEstimator = { samples in
        guard !samples.isEmpty else { return .zero }
        let sorted = samples.sorted()
        func at(_ p: Double) -> Double { sorted[max(1, Int((p / 100 * Double(sorted.count)).rounded(.up))) - 1] }
        return LatencyPercentiles(p50: at(50), p90: at(90), p99: at(99), mean: samples.reduce(0, +) / Double(samples.count),
                                  max: sorted.last!)
    }

    @Test func theSummaryTakesLatenciesFromTheRecords() throws {
        // 10 requests: arrivals every 0.1 s, TTFT (i+1) × 10 ms, 5 outputs 20 ms apart (the last has 1).
        let records = (0..<10).map { i in
            let arrival = Double(i) / 10, first = arrival + Double(i + 1) / 100
            let outputs = i == 9 ? 1 : 5
            return RequestRecord(id: i, coordinator: i % 2, arrivalSeconds: arrival, firstTokenSeconds: first,
                                 finishSeconds: first + 0.02 * Double(outputs - 1), promptTokens: 8, outputTokens: outputs)
        }
        let s = ServingSummary(records: records, requests: 12, offeredRequestsPerSecond: 10, steps: 20, batchTokens: 130,
                               maxBatchTokens: 512, estimator: Self.exact)
        #expect(s.completedRequests == 10 && s.requests == 12)
        #expect(abs(s.durationSeconds - 1.0) < 1e-12)   // 0 → 0.9 + 0.1
        // Arrivals 0 … 0.9 s: 9 gaps in 0.9 s; 10 completed from the first arrival to the last completion (1 s).
        #expect(abs(s.arrivalRequestsPerSecond - 10) < 1e-9)
        #expect(abs(s.achievedRequestsPerSecond - 10) < 1e-9)
        #expect(abs(s.outputTokensPerSecond - 46) < 1e-9)
        #expect(abs(s.totalTokensPerSecond - 126) < 1e-9)
        #expect(abs(s.timeToFirstToken.p50 - 0.05) < 1e-12)
        #expect(abs(s.timeToFirstToken.p90 - 0.09) < 1e-12)
        #expect(abs(s.timeToFirstToken.p99 - 0.10) < 1e-12)
        #expect(abs(s.timeToFirstToken.mean - 0.055) < 1e-12)
        #expect(abs(s.timePerOutputToken.p99 - 0.02) < 1e-12)   // the single-output request has no TPOT
        #expect(abs(s.endToEnd.max - 0.17) < 1e-12)   // request 8: TTFT 90 ms + 4 × 20 ms
        #expect(s.meanBatchTokens == 6.5 && s.steps == 20 && s.maxBatchTokens == 512)
        #expect(records[9].tpotSeconds == nil && records[0].csvLine == "0,0,0.000000,0.010000,0.090000,8,5,0.010000,0.020000")
        // Round trip through the JSON gathered between ranks, to the last bit.
        #expect(try JSONDecoder().decode([RequestRecord].self, from: JSONEncoder().encode(records)) == records)
        let table = s.table()
        #expect(table.contains("time to first token") && table.contains("10/12 requests"))
    }

    @Test func theSummaryKeepsTheFieldNamesTheLoadTestReads() throws {
        let s = ServingSummary(records: [], requests: 0, offeredRequestsPerSecond: 1, steps: 0, batchTokens: 0,
                               maxBatchTokens: 8, estimator: Self.exact)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as! [String: Any]
        #expect(Set(object.keys).isSuperset(of: ["completedRequests", "achievedRequestsPerSecond", "outputTokensPerSecond",
                                                 "timeToFirstToken", "timePerOutputToken", "endToEnd"]))
        #expect(try JSONDecoder().decode(ServingSummary.self, from: JSONEncoder().encode(s)) == s)
    }
}
