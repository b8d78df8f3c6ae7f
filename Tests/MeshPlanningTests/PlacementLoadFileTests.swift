import Foundation
import MeshCore
import MeshIO
import Testing
@testable import MeshPlanning

@Suite struct PlacementLoadFileTests {
    /// 4 layers, the first dense: MoE layers 1, 2, 3 of 4 experts.
    static let model: ModelConfig = {
        var model = ModelConfig()
        model.layers = 4
        model.denseLayers = 1
        model.experts = 4
        return model
    }()

    static let header = "layer,expert,tokens,mean_per_step,moving_average"

    /// A valid file: comments, the header, rows for layers 1...3 (`tokens` = 10·layer + expert).
    static func rows(skipping skipped: (Int, Int)? = nil) -> [String] {
        var lines = ["# written by expertmesh run --load-stats", "# steps: 4", header]
        for layer in 1...3 {
            for expert in 0..<4 where !(skipped.map { $0 == (layer, expert) } ?? false) {
                let tokens = 10 * layer + expert
                lines.append("\(layer),\(expert),\(tokens),\(Double(tokens) / 4),\(Double(tokens) / 5)")
            }
        }
        return lines
    }

    @Test func readsEveryColumnByItsHeaderName() throws {
        let text = Self.rows().joined(separator: "\n") + "\n"
        let load = try ExpertLoad.parse(csv: text, file: "load.csv", model: Self.model)
        #expect(load.layers == [1, 2, 3])
        #expect(load.tokens[0] == [10, 11, 12, 13])
        #expect(load.tokens[2] == [30, 31, 32, 33])
        let perStep = try ExpertLoad.parse(csv: text, file: "load.csv", model: Self.model, column: "mean_per_step")
        #expect(perStep.tokens[1] == [5, 5.25, 5.5, 5.75])
        let average = try ExpertLoad.parse(csv: text, file: "load.csv", model: Self.model, column: "moving_average")
        #expect(average.tokens[1][0] == 4)
    }

    @Test func columnsMayComeInAnyOrderWithSpacesAndCRLF() throws {
        let text = "moving_average, tokens ,layer,expert,mean_per_step\r\n"
            + (1...3).flatMap { layer in (0..<4).map { "0.5, 7e2 ,\(layer),\($0),1\r\n" } }.joined()
        let load = try ExpertLoad.parse(csv: text, file: "load.csv", model: Self.model)
        #expect(load.tokens.allSatisfy { $0 == [700, 700, 700, 700] })
    }

    @Test func writesWhatItReads() throws {
        let load = ExpertLoad(layers: [1, 2, 3], tokens: [[1, 2.5, 0, 1e-7], [812, 406, 0.1, 3], [0, 0, 0, 1e20]])
        let text = load.csv(comments: ["a round trip"])
        #expect(text.hasPrefix("# a round trip\n\(Self.header)\n1,0,1,1,1\n1,1,2.5,2.5,2.5\n"))
        for column in ExpertLoad.loadColumns {
            #expect(try ExpertLoad.parse(csv: text, file: "x.csv", model: Self.model, column: column) == load)
        }
    }

    @Test func readsAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("placement-load-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.rows().joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try ExpertLoad.read(path: path, model: Self.model).tokens[0] == [10, 11, 12, 13])
        #expect(throws: InputFileError(.notFound, path: path + ".missing", what: "load statistics (CSV, from run --load-stats)")) {
            try ExpertLoad.read(path: path + ".missing", model: Self.model)
        }
    }

    /// A file with line `line` (1-based) replaced, or removed when `replacement` is nil.
    static func text(replacing line: Int, with replacement: String?) -> String {
        var lines = rows()
        if let replacement { lines[line - 1] = replacement } else { lines.remove(at: line - 1) }
        return lines.joined(separator: "\n")
    }

    @Test(arguments: [
        (3, "layer,expert,tokens,mean_per_step", "load.csv: line 3: header: no column 'moving_average' (expected layer,expert,tokens,mean_per_step,moving_average)"),
        (3, "layer,expert,tokens,mean_per_step,moving_average,extra", "load.csv: line 3: header: unknown column 'extra' (expected layer,expert,tokens,mean_per_step,moving_average)"),
        (3, "layer,expert,tokens,tokens,moving_average", "load.csv: line 3: header: column 'tokens' twice"),
        (5, "1,1,12,abc,3", "load.csv: line 5: mean_per_step: expected a number, found 'abc'"),
        (5, "1,1,nan,1,1", "load.csv: line 5: tokens: expected a number, found 'nan'"),
        (5, "1,1,0x10,1,1", "load.csv: line 5: tokens: expected a number, found '0x10'"),
        (6, "1,2,-3,1,1", "load.csv: line 6: tokens: expected a count ≥ 0, found -3"),
        (6, "1,9,3,1,1", "load.csv: line 6: expert: expected an expert id in 0...3, found 9"),
        (6, "1,x,3,1,1", "load.csv: line 6: expert: expected an expert id, found 'x'"),
        (6, "0,2,3,1,1", "load.csv: line 6: layer: expected a MoE layer of the model (1...3), found 0, a dense layer"),
        (6, "7,2,3,1,1", "load.csv: line 6: layer: expected a MoE layer of the model (1...3), found 7, no layer of the model"),
        (6, "1,0,3,1,1", "load.csv: line 6: layer 1, expert 0: a second row (the first is line 4)"),
        (6, "1,2,3,1", "load.csv: line 6: expected 5 fields (layer,expert,tokens,mean_per_step,moving_average), found 4: '1,2,3,1'"),
    ])
    func badLinesAreNamed(line: Int, replacement: String, message: String) {
        let text = Self.text(replacing: line, with: replacement)
        do {
            _ = try ExpertLoad.parse(csv: text, file: "load.csv", model: Self.model)
            Issue.record("expected: \(message)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func missingLayersAndExpertsAreNamed() throws {
        #expect(throws: TextLineError(file: "load.csv", line: nil, detail: "layer 2, expert 3: no row")) {
            try ExpertLoad.parse(csv: Self.rows(skipping: (2, 3)).joined(separator: "\n"), file: "load.csv", model: Self.model)
        }
        let noLayer3 = Self.rows().filter { !$0.hasPrefix("3,") }.joined(separator: "\n")
        #expect(throws: TextLineError(file: "load.csv", line: nil,
                                      detail: "layer 3: no row (expected one per expert, 4, for every MoE layer)")) {
            try ExpertLoad.parse(csv: noLayer3, file: "load.csv", model: Self.model)
        }
        #expect(throws: TextLineError.self) {
            try ExpertLoad.parse(csv: "# only a comment\n", file: "load.csv", model: Self.model)
        }
    }

    @Test func aColumnThatHoldsNoLoadIsRefused() {
        #expect(throws: TextLineError(file: "load.csv", line: 3,
                                      detail: "header: cannot plan from column 'expert' (expected one of tokens, mean_per_step, moving_average)")) {
            try ExpertLoad.parse(csv: Self.rows().joined(separator: "\n"), file: "load.csv", model: Self.model, column: "expert")
        }
    }
}
