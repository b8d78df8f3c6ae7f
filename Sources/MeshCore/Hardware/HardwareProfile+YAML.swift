import Foundation
import MeshIO
import Yams

extension HardwareProfile {
    static let rootKeys: Set = ["name", "device", "devices_per_node", "devices", "intra_node", "inter_node",
                                "all_to_all_efficiency", "compute_dtype", "cores_per_node", "gemm_efficiency", "kernel_efficiency", "layer_overhead"]
    static let deviceKeys: Set = ["name", "flops", "memory_bandwidth", "memory"]
    static let linkKeys: Set = ["bandwidth", "latency"]

    /// Reads and checks the profile at `path`.
    ///
    /// - Throws: ``ConfigError`` naming the file and the field path (for example
    ///   `inter_node.bandwidth`) of a missing field, a unit that does not parse, or a bandwidth
    ///   that is zero or negative.
    public static func load(path: String) throws -> HardwareProfile {
        let text = try TextFile.read(path, what: "a hardware profile (YAML)")
        do {
            return try parse(yaml: text)
        } catch let error as ConfigError {
            throw error.inFile(path)
        }
    }

    /// Parses profile YAML text.
    public static func parse(yaml: String) throws -> HardwareProfile {
        let top = try ConfigNode.document(yaml: yaml).mapping(allowed: rootKeys)
        let deviceMap = try top.required("device").mapping(allowed: deviceKeys)
        let flopsNode = try deviceMap.required("flops")
        guard case .mapping(let flopsMapping) = flopsNode.node, !flopsMapping.isEmpty else {
            throw flopsNode.error(.wrongType, expected: "a mapping of dtype to FLOP/s, such as bf16: 989 TFLOP/s")
        }
        var flops: [String: Double] = [:]
        for (key, value) in flopsMapping {
            guard let dtype = key.string else { throw flopsNode.error(.wrongType, expected: "dtype names as keys") }
            flops[dtype] = try quantity(ConfigNode(value, path: flopsNode.child(dtype)), .flops, positive: true)
        }
        let device = Device(
            name: try deviceMap["name"]?.string() ?? "device",
            flopsPerSecond: flops,
            memoryBytesPerSecond: try quantity(deviceMap.required("memory_bandwidth"), .bandwidth, positive: true),
            memoryBytes: try quantity(deviceMap.required("memory"), .bytes, positive: true))
        func link(_ key: String) throws -> Link {
            let map = try top.required(key).mapping(allowed: linkKeys)
            return Link(bytesPerSecond: try quantity(map.required("bandwidth"), .bandwidth, positive: true),
                        latencySeconds: try quantity(map.required("latency"), .time, positive: false))
        }
        let efficiency: Efficiency
        if let node = top["all_to_all_efficiency"] {
            if case .sequence = node.node {
                let points = try node.list().map { item -> (bytes: Double, efficiency: Double) in
                    let map = try item.mapping(allowed: ["bytes", "efficiency"])
                    return (try quantity(map.required("bytes"), .bytes, positive: true),
                            try map.required("efficiency").double(in: 0...1, openLower: true))
                }
                guard !points.isEmpty, zip(points, points.dropFirst()).allSatisfy({ $0.bytes < $1.bytes }) else {
                    throw node.error(.inconsistent, expected: "points in increasing order of bytes", found: "\(points.count) points out of order")
                }
                efficiency = .curve(points)
            } else {
                efficiency = .constant(try node.double(in: 0...1, openLower: true))
            }
        } else {
            efficiency = .constant(1)
        }
        let computeDType = try top["compute_dtype"]?.string() ?? (flops["bf16"] != nil ? "bf16" : flops.keys.sorted()[0])
        guard flops[computeDType] != nil else {
            throw ConfigError(.inconsistent, path: "compute_dtype", expected: "one of the dtypes under device.flops (\(flops.keys.sorted().joined(separator: ", ")))",
                              found: "'\(computeDType)'")
        }
        var gemmEfficiency: Efficiency?
        if let node = top["gemm_efficiency"] {
            let points = try node.list().map { item -> (bytes: Double, efficiency: Double) in
                let map = try item.mapping(allowed: ["rows", "efficiency"])
                return (Double(try map.required("rows").int(in: 1...100_000_000)),
                        try map.required("efficiency").double(in: 0...1, openLower: true))
            }
            guard !points.isEmpty, zip(points, points.dropFirst()).allSatisfy({ $0.bytes < $1.bytes }) else {
                throw node.error(.inconsistent, expected: "points in increasing order of rows", found: "\(points.count) points out of order")
            }
            gemmEfficiency = .curve(points)
        }
        var profile = HardwareProfile(
            name: try top["name"]?.string() ?? "hardware",
            device: device,
            devicesPerNode: try top.required("devices_per_node").int(in: 1...1_000_000),
            devices: try top["devices"]?.int(in: 1...100_000_000),
            intraNode: try link("intra_node"),
            interNode: try link("inter_node"),
            allToAllEfficiency: efficiency,
            computeDType: computeDType)
        profile.coresPerNode = try top["cores_per_node"]?.int(in: 1...1_000_000)
        profile.gemmEfficiency = gemmEfficiency
        profile.kernelEfficiency = try top["kernel_efficiency"]?.double(in: 0...1, openLower: true)
        if let node = top["layer_overhead"] { profile.layerOverheadSeconds = try quantity(node, .time, positive: false) }
        return profile
    }

    /// A number with its unit, in base units.
    private static func quantity(_ node: ConfigNode, _ kind: Units.Kind, positive: Bool) throws -> Double {
        guard case .scalar(let scalar) = node.node, let value = Units.parse(scalar.string, as: kind) else {
            throw node.error(.wrongType, expected: kind.rawValue)
        }
        if positive ? value <= 0 : value < 0 {
            throw node.error(.outOfRange, expected: positive ? "a value above zero" : "a value not below zero", found: "'\(scalar.string)'")
        }
        return value
    }

    /// The profile as YAML that ``parse(yaml:)`` reads back, with `comments` at the top.
    public func yaml(comments: [String] = []) -> String {
        // Integers exactly (a curve's 1 MiB must not come back as 1048580), others to 10 digits.
        func g(_ v: Double) -> String {
            v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.10g", v)
        }
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = comments.map { "# " + $0 }
        lines.append("name: \(quoted(name))")
        lines.append("device:")
        lines.append("  name: \(quoted(device.name))")
        lines.append("  flops:")
        for (dtype, value) in device.flopsPerSecond.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(dtype): \(g(value / 1e9)) GFLOP/s")
        }
        lines.append("  memory_bandwidth: \(g(device.memoryBytesPerSecond / 1e9)) GB/s")
        lines.append("  memory: \(g(device.memoryBytes / 1e9)) GB")
        lines.append("devices_per_node: \(devicesPerNode)")
        if let devices { lines.append("devices: \(devices)") }
        lines.append("intra_node:")
        lines.append("  bandwidth: \(g(intraNode.bytesPerSecond / 1e9)) GB/s")
        lines.append("  latency: \(g(intraNode.latencySeconds * 1e6)) us")
        lines.append("inter_node:")
        lines.append("  bandwidth: \(g(interNode.bytesPerSecond / 1e9)) GB/s")
        lines.append("  latency: \(g(interNode.latencySeconds * 1e6)) us")
        switch allToAllEfficiency {
        case .constant(let value):
            lines.append("all_to_all_efficiency: \(g(value))")
        case .curve(let points):
            lines.append("all_to_all_efficiency:")
            for point in points { lines.append("  - {bytes: \(g(point.bytes)) B, efficiency: \(g(point.efficiency))}") }
        }
        lines.append("compute_dtype: \(computeDType)")
        if let coresPerNode { lines.append("cores_per_node: \(coresPerNode)") }
        if let kernelEfficiency { lines.append("kernel_efficiency: \(g(kernelEfficiency))") }
        if let layerOverheadSeconds { lines.append("layer_overhead: \(g(layerOverheadSeconds * 1e6)) us") }
        if case .curve(let points) = gemmEfficiency {
            lines.append("gemm_efficiency:")
            for point in points { lines.append("  - {rows: \(g(point.bytes)), efficiency: \(g(point.efficiency))}") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
