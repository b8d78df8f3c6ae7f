import Foundation
import MeshCore
import MeshIO

/// A placement in the arrays DeepSeek's EPLB returns (https://github.com/deepseek-ai/EPLB).
///
/// EPLB numbers the physical experts (the copies) of a layer worker by worker: worker `w` holds
/// the physical slots `offset(w) ..< offset(w) + physicalPerWorker[w]`. EPLB itself gives every
/// worker the same number of slots; ours may differ by worker (E + W·R copies need not be a
/// multiple of W) and are then written as `physical_per_worker`. When a worker holds fewer experts
/// in some layer than its slots, the spare slots hold -1 in `phy2log`. A worker's slots list its
/// experts in ascending order.
///
/// Such a file (uneven `physical_per_worker`, or -1 in `phy2log`) keeps EPLB's arrays but is not
/// what EPLB itself produces: a consumer of plain EPLB output, which splits `phy2log` evenly over
/// the workers and expects every slot filled, cannot read it. ``compatibilityNote(file:)`` says so
/// in one line, for `expertmesh plan --eplb-out` to print.
public struct EPLBPlan: Sendable, Equatable {
    /// `phy2log[m][p]`: the logical expert in physical slot `p` of the `m`-th MoE layer; -1 for an
    /// empty slot.
    public var physicalToLogical: [[Int]]
    /// `log2phy[m][e]`: the physical slots of logical expert `e`, ascending, padded with -1 to the
    /// most copies of any expert in any layer.
    public var logicalToPhysical: [[[Int]]]
    /// `logcnt[m][e]`: the copies of logical expert `e`.
    public var logicalCount: [[Int]]
    /// The physical slots of each worker, the same in every layer.
    public var physicalPerWorker: [Int]

    /// The arrays of `placement`, for a model of `experts` experts.
    public init(placement: Placement, experts: Int) {
        let workers = placement.workers
        let perWorker = (0..<workers).map { w in placement.experts.map { $0[w].count }.max() ?? 0 }
        let rows = placement.experts.map { lists in
            (0..<workers).flatMap { w in
                lists[w].sorted() + Array(repeating: -1, count: perWorker[w] - lists[w].count)
            }
        }
        let counts = rows.map { row in
            var counts = [Int](repeating: 0, count: experts)
            for e in row where e >= 0 { counts[e] += 1 }
            return counts
        }
        let width = max(1, counts.joined().max() ?? 1)
        physicalPerWorker = perWorker
        physicalToLogical = rows
        logicalCount = counts
        logicalToPhysical = rows.map { row in
            var slots = [[Int]](repeating: [], count: experts)
            for (p, e) in row.enumerated() where e >= 0 { slots[e].append(p) }
            return slots.map { $0 + Array(repeating: -1, count: width - $0.count) }
        }
    }

    /// Empty slots (-1 in `phy2log`) over all layers.
    public var emptySlots: Int { physicalToLogical.joined().filter { $0 < 0 }.count }

    /// Why plain EPLB consumers cannot read these arrays, in one line, or nil when they can (the
    /// same slots on every worker, none empty).
    ///
    /// - Parameter file: The name of the JSON file, to begin the line with.
    public func compatibilityNote(file: String) -> String? {
        let empty = emptySlots, uneven = Set(physicalPerWorker).count > 1
        guard empty > 0 || uneven else { return nil }
        let padding = "pads \(empty) empty slot\(empty == 1 ? "" : "s") with -1"
        guard uneven else {
            return "\(file) \(padding) (workers hold up to \(physicalPerWorker.first ?? 0) experts, fewer in some layers): "
                + "EPLB itself fills every slot"
        }
        let counts = physicalPerWorker.map(String.init).joined(separator: ", ")
        return "\(file) \(empty > 0 ? padding : "gives the workers different numbers of slots") "
            + "(workers hold \(counts) experts): EPLB itself expects the same count per worker"
    }

    /// The placement these arrays describe.
    public var placement: Placement {
        let starts = physicalPerWorker.reduce(into: [0]) { $0.append($0.last! + $1) }
        return Placement(experts: physicalToLogical.map { row in
            physicalPerWorker.indices.map { w in row[starts[w]..<starts[w + 1]].filter { $0 >= 0 }.sorted() }
        })
    }

    /// The plan as JSON: `phy2log`, `log2phy`, `logcnt` and `physical_per_worker`, one layer per line.
    public func json() -> String {
        func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
        func block(_ rows: [String]) -> String { "[\n" + rows.map { "    " + $0 }.joined(separator: ",\n") + "\n  ]" }
        return """
            {
              "phy2log": \(block(physicalToLogical.map(list))),
              "log2phy": \(block(logicalToPhysical.map { "[" + $0.map(list).joined(separator: ", ") + "]" })),
              "logcnt": \(block(logicalCount.map(list))),
              "physical_per_worker": \(list(physicalPerWorker))
            }

            """
    }
}

extension EPLBPlan {
    /// Reads and checks an EPLB plan for `model`.
    ///
    /// - Parameters:
    ///   - workers: The number of workers; required when the file has no `physical_per_worker`
    ///     (a plain EPLB file), whose physical experts must then split evenly over them; when
    ///     given, `physical_per_worker` must have one count per worker.
    /// - Throws: ``EPLBPlanError`` naming the file and the JSON field.
    public static func read(path: String, model: ModelConfig, workers: Int?) throws -> EPLBPlan {
        try parse(json: Data(TextFile.read(path, what: "an EPLB plan (JSON)").utf8), file: path, model: model, workers: workers)
    }

    /// Parses and checks an EPLB plan (see ``read(path:model:workers:)``); `file` names it in errors.
    ///
    /// Checked: `phy2log` has one row per MoE layer of `model`, all of one length, of logical
    /// experts in range or -1; no worker holds an expert twice; every logical expert has a slot;
    /// `logcnt` and `log2phy`, when present, agree with `phy2log`.
    public static func parse(json data: Data, file: String, model: ModelConfig, workers: Int?) throws -> EPLBPlan {
        func fail(_ field: String, _ detail: String) -> EPLBPlanError { EPLBPlanError(file: file, field: field, detail: detail) }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch let error as DecodingError {
            throw Self.error(error, file: file)
        }
        let layers = model.moeLayers.count, experts = model.experts
        let rows = try Self.integers(document.phy2log, field: "phy2log", file: file)
        guard rows.count == layers else {
            throw fail("phy2log", "expected one row per MoE layer (\(layers)), found \(rows.count)")
        }
        let slots = rows.first?.count ?? 0
        for (m, row) in rows.enumerated() where row.count != slots {
            throw fail("phy2log[\(m)]", "expected \(slots) physical experts like phy2log[0], found \(row.count)")
        }

        let perWorker: [Int]
        if let given = try document.physical_per_worker.map({ try Self.integers([$0], field: "physical_per_worker", file: file)[0] }) {
            if let workers, given.count != workers {
                throw fail("physical_per_worker", "expected one count per worker (\(workers)), found \(given.count)")
            }
            guard !given.isEmpty else { throw fail("physical_per_worker", "expected at least one worker, found none") }
            if let w = given.firstIndex(where: { $0 < 0 }) {
                throw fail("physical_per_worker[\(w)]", "expected a count ≥ 0, found \(given[w])")
            }
            guard given.reduce(0, +) == slots else {
                throw fail("physical_per_worker", "expected counts summing to the \(slots) physical experts of phy2log, "
                           + "found \(given.reduce(0, +))")
            }
            perWorker = given
        } else {
            guard let workers, workers >= 1 else {
                throw fail("physical_per_worker", "expected it, or a worker count to split the \(slots) physical experts over")
            }
            guard slots % workers == 0 else {
                throw fail("phy2log", "expected physical experts that split evenly over \(workers) workers "
                           + "(or a physical_per_worker list), found \(slots)")
            }
            perWorker = Array(repeating: slots / workers, count: workers)
        }
        let workerOfSlot = perWorker.enumerated().flatMap { Array(repeating: $0.offset, count: $0.element) }

        var counts = [[Int]]()
        var slotsOf = [[[Int]]]()
        for (m, row) in rows.enumerated() {
            var firstSlot = [Int: Int]()   // (worker * experts + expert) -> slot
            var layerSlots = [[Int]](repeating: [], count: experts)
            for (p, e) in row.enumerated() {
                if e == -1 { continue }
                guard (0..<experts).contains(e) else {
                    throw fail("phy2log[\(m)][\(p)]", "expected a logical expert in 0...\(experts - 1) (or -1 for an empty slot), found \(e)")
                }
                let w = workerOfSlot[p]
                if let q = firstSlot.updateValue(p, forKey: w * experts + e) {
                    throw fail("phy2log[\(m)][\(p)]", "expert \(e) twice on worker \(w) (slots \(q) and \(p))")
                }
                layerSlots[e].append(p)
            }
            if let orphan = layerSlots.firstIndex(where: \.isEmpty) {
                throw fail("phy2log[\(m)]", "expert \(orphan) has no physical slot (every logical expert needs one)")
            }
            counts.append(layerSlots.map(\.count))
            slotsOf.append(layerSlots)
        }

        if let given = try document.logcnt.map({ try Self.integers($0, field: "logcnt", file: file) }) {
            guard given.count == layers else { throw fail("logcnt", "expected one row per MoE layer (\(layers)), found \(given.count)") }
            for (m, row) in given.enumerated() {
                guard row.count == experts else { throw fail("logcnt[\(m)]", "expected one count per expert (\(experts)), found \(row.count)") }
                if let e = row.indices.first(where: { row[$0] != counts[m][$0] }) {
                    throw fail("logcnt[\(m)][\(e)]", "expected \(counts[m][e]), the slots of expert \(e) in phy2log[\(m)], found \(row[e])")
                }
            }
        }
        if let given = try document.log2phy.map({ layers in
            try layers.enumerated().map { try Self.integers($0.element, field: "log2phy[\($0.offset)]", file: file) }
        }) {
            guard given.count == layers else { throw fail("log2phy", "expected one row per MoE layer (\(layers)), found \(given.count)") }
            for (m, row) in given.enumerated() {
                guard row.count == experts else { throw fail("log2phy[\(m)]", "expected one list per expert (\(experts)), found \(row.count)") }
                for (e, list) in row.enumerated() {
                    let listed = list.filter { $0 != -1 }
                    guard listed.sorted() == slotsOf[m][e] else {
                        throw fail("log2phy[\(m)][\(e)]", "expected the slots of expert \(e) in phy2log[\(m)], \(slotsOf[m][e]) "
                                   + "(padded with -1), found \(list)")
                    }
                }
            }
        }
        return EPLBPlan(placement: EPLBPlan(arrays: rows, perWorker: perWorker).placement, experts: experts)
    }

    /// Just the slot layout, to read a placement out of.
    private init(arrays: [[Int]], perWorker: [Int]) {
        physicalToLogical = arrays
        physicalPerWorker = perWorker
        logicalToPhysical = []
        logicalCount = []
    }

    /// The JSON document; unknown keys are ignored. Numbers are read as `Double` so that a
    /// fraction is reported with its field (`JSONDecoder` reports it without a path).
    private struct Document: Decodable {
        var phy2log: [[Double]]
        var log2phy: [[[Double]]]?
        var logcnt: [[Double]]?
        var physical_per_worker: [Double]?
    }

    /// `rows` as integers, or an error naming the first that is not one (`field[i][j]`).
    private static func integers(_ rows: [[Double]], field: String, file: String) throws -> [[Int]] {
        try rows.enumerated().map { i, row in
            try row.enumerated().map { j, value in
                guard let integer = Int(exactly: value) else {
                    let place = field == "physical_per_worker" ? "\(field)[\(j)]" : "\(field)[\(i)][\(j)]"
                    throw EPLBPlanError(file: file, field: place, detail: "expected an integer, found \(value)")
                }
                return integer
            }
        }
    }

    /// A decoding error as a field and a detail.
    private static func error(_ error: DecodingError, file: String) -> EPLBPlanError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let index = key.intValue { return text + "[\(index)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return EPLBPlanError(file: file, field: parent.isEmpty ? key.stringValue : parent + "." + key.stringValue,
                                 detail: "missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return EPLBPlanError(file: file, field: path(context.codingPath), detail: context.debugDescription)
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as? NSError).map { ": \($0.localizedDescription)" } ?? ""
            let field = path(context.codingPath)
            return EPLBPlanError(file: file, field: field,
                                 detail: field.isEmpty ? "expected JSON, found malformed text\(underlying)" : context.debugDescription)
        @unknown default:
            return EPLBPlanError(file: file, field: "", detail: "\(error)")
        }
    }
}

/// An EPLB plan that cannot be used: the file, the JSON field (`log2phy[1][3]`) and why.
public struct EPLBPlanError: InputError, Equatable {
    public var file: String
    /// The field path, for example `phy2log[0][7]`; empty for the whole file.
    public var field: String
    public var detail: String

    public init(file: String, field: String, detail: String) {
        self.file = file
        self.field = field
        self.detail = detail
    }

    public var description: String {
        let line = "\(file): \(field.isEmpty ? "" : field + ": ")\(detail)"
        return line.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
