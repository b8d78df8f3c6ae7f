import Foundation
import MeshCore
import MeshIO

/// How much work each routed expert of each MoE layer received: the input of the placement planner.
///
/// Read it from the CSV that `expertmesh run --load-stats FILE.csv` writes with
/// ``read(path:model:column:)``. The unit is whatever the chosen column counts (tokens over the
/// run, tokens per step, or their moving average); the planner only compares loads, so any unit
/// works as long as every expert's load is in the same one.
public struct ExpertLoad: Sendable, Equatable {
    /// The model's layer index of each MoE layer, in order (`model.moeLayers`).
    public var layers: [Int]
    /// `tokens[m][e]`: the load of global expert `e` in the `m`-th MoE layer; finite and ≥ 0.
    public var tokens: [[Double]]

    public init(layers: [Int], tokens: [[Double]]) {
        precondition(layers.count == tokens.count, "one row of loads per MoE layer")
        self.layers = layers
        self.tokens = tokens
    }

    /// The number of experts per layer (0 when there is no layer).
    public var experts: Int { tokens.first?.count ?? 0 }

    /// The columns of the load CSV, in the order `expertmesh run --load-stats` writes them.
    public static let header = LoadColumn.header

    /// The columns that hold a load and can be planned from.
    public static let loadColumns = LoadColumn.allCases.map(\.rawValue)
}

extension ExpertLoad {
    /// Reads the load CSV at `path` for `model`, taking each expert's load from `column`.
    ///
    /// The file: lines starting with `#` are comments and blank lines are skipped; the first other
    /// line is the header, naming the columns of ``header`` in any order; then one row per MoE
    /// layer and expert: the model's layer index, the global expert id and three numbers ≥ 0.
    /// Every MoE layer of `model` and every expert of each must have exactly one row.
    ///
    /// - Parameters:
    ///   - path: The CSV file.
    ///   - model: The model the statistics were gathered on; its MoE layers and expert count
    ///     are what the rows must cover.
    ///   - column: One of ``loadColumns``.
    /// - Throws: ``TextLineError`` naming the file and, for a bad row or header, its line.
    public static func read(path: String, model: ModelConfig, column: String = "tokens") throws -> ExpertLoad {
        try parse(csv: TextFile.read(path, what: "load statistics (CSV, from run --load-stats)"), file: path, model: model, column: column)
    }

    /// Parses load CSV text (the format of ``read(path:model:column:)``); `file` names it in errors.
    public static func parse(csv text: String, file: String, model: ModelConfig,
                             column: String = "tokens") throws -> ExpertLoad {
        // "\r\n" is one Character, a newline like "\n".
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let moeLayers = model.moeLayers
        let moeIndex = Dictionary(uniqueKeysWithValues: moeLayers.enumerated().map { ($0.element, $0.offset) })
        var tokens = Array(repeating: [Double?](repeating: nil, count: model.experts), count: moeLayers.count)
        var columnIndex: [String: Int]?
        var rowLine = Array(repeating: [Int](repeating: 0, count: model.experts), count: moeLayers.count)

        for (offset, raw) in lines.enumerated() {
            let line = offset + 1
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            func fail(_ detail: String) -> TextLineError { TextLineError(file: file, line: line, detail: detail) }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }

            guard let columns = columnIndex else {
                columnIndex = try headerColumns(fields, column: column, fail: fail)
                continue
            }
            guard fields.count == columns.count else {
                throw fail("expected \(columns.count) fields (\(header.joined(separator: ","))), found \(fields.count): '\(trimmed)'")
            }
            let layerText = fields[columns["layer"]!], expertText = fields[columns["expert"]!]
            guard let layer = Int(layerText) else {
                throw fail("layer: expected a layer index, found '\(layerText)'")
            }
            guard let m = moeIndex[layer] else {
                let kind = (0..<model.layers).contains(layer) ? "a dense layer" : "no layer of the model"
                throw fail("layer: expected a MoE layer of the model (\(describe(moeLayers))), found \(layer), \(kind)")
            }
            guard let expert = Int(expertText) else {
                throw fail("expert: expected an expert id, found '\(expertText)'")
            }
            guard (0..<model.experts).contains(expert) else {
                throw fail("expert: expected an expert id in 0...\(model.experts - 1), found \(expert)")
            }
            var values: [String: Double] = [:]
            for name in loadColumns {
                let field = fields[columns[name]!]
                guard field.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
                      let value = Double(field), value.isFinite else {
                    throw fail("\(name): expected a number, found '\(field)'")
                }
                guard value >= 0 else {
                    throw fail("\(name): expected a count ≥ 0, found \(field)")
                }
                values[name] = value
            }
            guard tokens[m][expert] == nil else {
                throw fail("layer \(layer), expert \(expert): a second row (the first is line \(rowLine[m][expert]))")
            }
            tokens[m][expert] = values[column]!
            rowLine[m][expert] = line
        }

        guard columnIndex != nil else {
            throw TextLineError(file: file, line: nil, detail: "expected the header '\(header.joined(separator: ","))', found no line")
        }
        var loads: [[Double]] = []
        for (m, layer) in moeLayers.enumerated() {
            if tokens[m].allSatisfy({ $0 == nil }) {
                throw TextLineError(file: file, line: nil,
                                    detail: "layer \(layer): no row (expected one per expert, \(model.experts), for every MoE layer)")
            }
            if let expert = tokens[m].firstIndex(where: { $0 == nil }) {
                throw TextLineError(file: file, line: nil, detail: "layer \(layer), expert \(expert): no row")
            }
            loads.append(tokens[m].map { $0! })
        }
        return ExpertLoad(layers: moeLayers, tokens: loads)
    }

    /// The column positions a header line gives, checked against ``header``.
    private static func headerColumns(_ fields: [String], column: String,
                                      fail: (String) -> TextLineError) throws -> [String: Int] {
        var positions: [String: Int] = [:]
        for (index, name) in fields.enumerated() {
            guard header.contains(name) else {
                throw fail("header: unknown column '\(name)' (expected \(header.joined(separator: ",")))")
            }
            guard positions.updateValue(index, forKey: name) == nil else {
                throw fail("header: column '\(name)' twice")
            }
        }
        if let missing = header.first(where: { positions[$0] == nil }) {
            throw fail("header: no column '\(missing)' (expected \(header.joined(separator: ",")))")
        }
        guard loadColumns.contains(column) else {
            throw fail("header: cannot plan from column '\(column)' (expected one of \(loadColumns.joined(separator: ", ")))")
        }
        return positions
    }

    /// "1...3" for a run of layers, else the list.
    private static func describe(_ layers: [Int]) -> String {
        guard let first = layers.first, let last = layers.last else { return "none" }
        return layers == Array(first...last) ? (first == last ? "\(first)" : "\(first)...\(last)") : "\(layers)"
    }

    /// The loads as a load CSV: `comments` as `#` lines, the header, one row per layer and expert.
    ///
    /// A load holds one measure, so it is written in each of the three load columns: reading the
    /// text back with any column gives the same loads. Whole numbers are written without a
    /// fraction, others in Swift's shortest form that reads back exactly.
    public func csv(comments: [String] = []) -> String {
        var text = comments.map { "# \($0)\n" }.joined()
        text += Self.header.joined(separator: ",") + "\n"
        for (m, layer) in layers.enumerated() {
            for (expert, value) in tokens[m].enumerated() {
                let number = Self.exactText(value)
                text += "\(layer),\(expert),\(number),\(number),\(number)\n"
            }
        }
        return text
    }

    /// `value` as text that reads back exactly: without ".0" when whole.
    static func exactText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
