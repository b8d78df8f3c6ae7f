import Foundation
import MeshCore
import MeshIO
import Yams

/// A problem with a sweep as asked for: an axis, a value, a sweep file, a point, the result
/// folder or the launcher.
///
/// Reported before anything is launched, as one line with exit status 2.
public typealias SweepError = CodedInputError<SweepProblem>

/// The domain of ``SweepError``'s codes.
public enum SweepProblem {}

extension ErrorCode where Domain == SweepProblem {
    /// An axis: unknown, given twice, without values, or named in a path but not swept.
    public static var axis: Self { Self("axis") }
    /// A value that is not one of its axis.
    public static var value: Self { Self("value") }
    /// The sweep file's structure.
    public static var sweepFile: Self { Self("sweep file") }
    /// The sweep's options: repetitions, scaling.
    public static var options: Self { Self("options") }
    /// A point that the config, the profiles or the launch options cannot run.
    public static var point: Self { Self("point") }
    /// The result folder: another sweep's, or not writable.
    public static var resultFolder: Self { Self("result folder") }
    /// mpirun, which measured points need.
    public static var launcher: Self { Self("launcher") }
}

/// What a sweep can vary. Each axis becomes config overrides, a hardware profile change or a
/// launch option of every point (Docs/LoadTesting.md lists them with their units).
public enum SweepAxis: String, CaseIterable, Sendable, Codable {
    /// Worker ranks (`cluster.workers`); with `--scaling weak` the sequences grow with them.
    case workers
    /// Coordinator ranks (`cluster.coordinators`).
    case coordinators
    /// Tokens per sequence (`workload.tokens`): the prompt in prefill, the context in decode.
    case tokens
    /// Sequences per step (`workload.sequences`).
    case sequences
    /// prefill or decode (`workload.mode`).
    case mode
    /// Experts per token (`model.top_k`).
    case topk
    /// Routed experts (`model.experts`).
    case experts
    /// Hidden size (`model.hidden`).
    case hidden
    /// Wire format: fp32, bf16 or fp8 dispatch (fp8 dispatch combines in bf16, as DeepSeek-V3 does).
    case wire
    /// Emulated link bandwidth between nodes (a number is Gbit/s; units like `10Gbit/s` or `2GB/s`).
    case bandwidth
    /// Emulated link latency between nodes (a number is µs; units like `50us`).
    case latency
    /// Emulated device FLOP/s (a number is GFLOP/s; units like `10GFLOP/s`).
    case flops
    /// Routing skew exponent (`model.router.skew`; 0 = the router's own choices).
    case skew
    /// Offered load of an open-loop serving point, requests per second (runs `serve`).
    case rate
    /// OpenBLAS threads per rank (`runtime.blas_threads`).
    case threads
    /// Expert placement (`cluster.placement`): a strategy (contiguous, round_robin, node_aware)
    /// or a placement file, whose path may name other axes' values: `plans/skew-{skew}-r1.yaml`.
    case placement
    /// The real rate of every test host's link (`Scripts/cluster-rate.sh`, run before the
    /// point): a number is Gbit/s. Needs `--hostfile` of a test cluster (`Scripts/cluster-up.sh`).
    case linkrate

    /// Whether the axis changes the emulated hardware rather than the config.
    public var isHardware: Bool { self == .bandwidth || self == .latency || self == .flops }
}

/// How the `workers` axis scales the work.
public enum Scaling: String, Sendable, Codable, CaseIterable {
    /// The same tokens per step at every worker count.
    case strong
    /// Tokens per step in proportion to workers: sequences × workers / the first worker count.
    case weak
}

/// The axes of a sweep with their values, in the order given, and its repetitions.
public struct SweepSpec: Sendable, Equatable, Codable {
    public struct Axis: Sendable, Equatable, Codable {
        public var axis: SweepAxis
        /// The values, in the order given.
        public var values: [SweepValue]

        public init(axis: SweepAxis, values: [SweepValue]) {
            self.axis = axis
            self.values = values
        }

        enum CodingKeys: String, CodingKey { case axis, values }

        /// Encoded with the values as written (`sweep.json`, which `--resume` compares).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(axis, forKey: .axis)
            try container.encode(values.map(\.text), forKey: .values)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            axis = try container.decode(SweepAxis.self, forKey: .axis)
            let axis = axis
            values = try container.decode([String].self, forKey: .values).map { try SweepValue($0, axis: axis) }
        }
    }

    public var axes: [Axis]
    public var repeats: Int
    public var scaling: Scaling

    public init(axes: [Axis], repeats: Int = 1, scaling: Scaling = .strong) throws {
        self.axes = axes
        self.repeats = repeats
        self.scaling = scaling
        try check()
    }

    /// Parses `--sweep AXIS=V1,V2,...` arguments.
    public static func parse(sweeps: [String], repeats: Int, scaling: Scaling) throws -> SweepSpec {
        var axes: [Axis] = []
        for text in sweeps {
            guard let equals = text.firstIndex(of: "=") else {
                throw SweepError(.axis, "--sweep \(text): expected AXIS=VALUE,VALUE,... (axes: \(Self.axisNames))")
            }
            let name = text[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let values = text[text.index(after: equals)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            axes.append(try axis(named: name, values: values, place: "--sweep \(text)"))
        }
        return try SweepSpec(axes: axes, repeats: repeats, scaling: scaling)
    }

    /// Reads a sweep file: a YAML mapping `axes: {AXIS: [values]}`, optional `repeat: N` and
    /// `scaling: strong|weak`. Axes keep the file's order.
    public static func load(path: String) throws -> SweepSpec {
        let text = try TextFile.read(path, what: "a sweep file (YAML)")
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw SweepError(.sweepFile, "\(path): not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let mapping = root?.mapping else { throw SweepError(.sweepFile, "\(path): expected a mapping with 'axes'") }
        var axes: [Axis] = [], repeats = 1, scaling = Scaling.strong
        for (keyNode, value) in mapping {
            switch keyNode.string ?? "" {
            case "axes":
                guard let entries = value.mapping else { throw SweepError(.sweepFile, "\(path): axes: expected a mapping of AXIS: [values]") }
                for (axisNode, list) in entries {
                    let name = axisNode.string ?? ""
                    let values: [String]
                    if let sequence = list.sequence { values = sequence.map { $0.string ?? "" } }
                    else if let single = list.string { values = [single] }
                    else { throw SweepError(.sweepFile, "\(path): axes.\(name): expected a list of values") }
                    axes.append(try axis(named: name, values: values, place: "\(path): axes.\(name)"))
                }
            case "repeat":
                guard let n = value.int else { throw SweepError(.sweepFile, "\(path): repeat: expected an integer >= 1") }
                repeats = n
            case "scaling":
                guard let s = value.string.flatMap(Scaling.init(rawValue:)) else {
                    throw SweepError(.sweepFile, "\(path): scaling: expected strong or weak")
                }
                scaling = s
            case let other:
                throw SweepError(.sweepFile, "\(path): \(other): unknown key (expected axes, repeat, scaling)")
            }
        }
        do { return try SweepSpec(axes: axes, repeats: repeats, scaling: scaling) } catch let error as SweepError {
            throw SweepError(error.code, "\(path): \(error.message)")
        }
    }

    static var axisNames: String { SweepAxis.allCases.map(\.rawValue).joined(separator: ", ") }

    static func axis(named name: String, values: [String], place: String) throws -> Axis {
        guard let axis = SweepAxis(rawValue: name) else {
            throw SweepError(.axis, "\(place): unknown axis '\(name)' (axes: \(axisNames))")
        }
        guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) else {
            throw SweepError(.axis, "\(place): expected at least one value, and no empty one")
        }
        return Axis(axis: axis, values: try values.map { value in
            do { return try SweepValue(value, axis: axis) } catch let error as SweepError {
                throw SweepError(error.code, "\(place): '\(value)': \(error.message)")
            }
        })
    }

    private func check() throws {
        guard repeats >= 1, repeats <= 1000 else { throw SweepError(.options, "--repeat: expected 1...1000, found \(repeats)") }
        var seen = Set<SweepAxis>()
        for axis in axes where !seen.insert(axis.axis).inserted {
            throw SweepError(.options, "--sweep \(axis.axis.rawValue): given twice")
        }
        if scaling == .weak, !axes.contains(where: { $0.axis == .workers }) {
            throw SweepError(.options, "--scaling weak: needs a workers axis")
        }
        if scaling == .weak, axes.contains(where: { $0.axis == .sequences }) {
            throw SweepError(.options, "--scaling weak: sets the sequences from the workers; do not sweep sequences too")
        }
    }

    /// A bandwidth value in bits per second: a bare number is Gbit/s.
    public static func bitsPerSecond(_ value: String) -> Double? {
        if let x = Double(value) { return x * 1e9 }
        return Units.parse(value, as: .bandwidth).map { $0 * 8 }
    }

    /// A latency value in seconds: a bare number is µs.
    public static func seconds(_ value: String) -> Double? {
        if let x = Double(value) { return x * 1e-6 }
        return Units.parse(value, as: .time)
    }

    /// A FLOP/s value: a bare number is GFLOP/s.
    public static func flopsPerSecond(_ value: String) -> Double? {
        if let x = Double(value) { return x * 1e9 }
        return Units.parse(value, as: .flops)
    }

    /// Points in the order they run: every combination of the axes (the first axis outermost),
    /// once per repetition, repetition by repetition (so slow drift of a shared machine spreads
    /// over all points rather than one).
    public var points: [SweepPoint] {
        var combinations: [[SweepAxis: SweepValue]] = [[:]]
        for axis in axes {
            combinations = combinations.flatMap { partial in axis.values.map { partial.merging([axis.axis: $0]) { $1 } } }
        }
        var points: [SweepPoint] = []
        for r in 0..<repeats {
            for values in combinations {
                points.append(SweepPoint(index: points.count, repetition: r, values: values))
            }
        }
        return points
    }

    /// The swept axes' names, in order.
    public var axisNames: [String] { axes.map(\.axis.rawValue) }
}

/// One combination of axis values, one repetition.
public struct SweepPoint: Sendable, Equatable {
    public var index: Int
    public var repetition: Int
    public var values: [SweepAxis: SweepValue]

    /// `workers=2 tokens=64`, in the sweep's axis order.
    public func label(_ spec: SweepSpec) -> String {
        spec.axes.compactMap { axis in values[axis.axis].map { "\(axis.axis.rawValue)=\($0.text)" } }.joined(separator: " ")
    }

    /// `template` with every `{AXIS}` replaced by this point's value of that axis
    /// (`plans/skew-{skew}.yaml` → `plans/skew-0.8.yaml`).
    ///
    /// - Throws: ``SweepError`` naming an axis the point does not have.
    public func expand(_ template: String, place: String) throws -> String {
        // One pass over the template: a value that itself holds braces is not expanded again.
        var text = "", rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = String(rest[rest.index(after: open)..<close])
            guard let axis = SweepAxis(rawValue: name), axis != .placement, let value = values[axis] else {
                throw SweepError(.axis, "\(place): '\(template)': {\(name)} is not another axis of this sweep")
            }
            text += rest[..<open] + value.text
            rest = rest[rest.index(after: close)...]
        }
        return text + rest
    }

    /// The values keyed by axis name, as records and plots show them: a placement file by its
    /// name without folder and extension (`plans/skew-{skew}/planned-r1.yaml` → `planned-r1`).
    public var axesByName: [String: String] {
        Dictionary(uniqueKeysWithValues: values.map { axis, value in
            let text = value.text
            guard axis == .placement, text.contains("/") || text.hasSuffix(".yaml") else { return (axis.rawValue, text) }
            return (axis.rawValue, ((text as NSString).lastPathComponent as NSString).deletingPathExtension)
        })
    }
}
