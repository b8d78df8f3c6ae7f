import Yams

/// A YAML node together with the field path that leads to it.
///
/// The config is read by hand rather than through `Decodable` so that every error can name the
/// exact field path, unknown keys are refused, and integers are not silently truncated.
struct ConfigNode {
    let node: Node
    let path: String

    init(_ node: Node, path: String) {
        self.node = node
        self.path = path
    }

    /// The root of a YAML document, with syntax errors as one-line ``ConfigError``s.
    static func document(yaml: String) throws -> ConfigNode {
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(.syntax, path: "", expected: "a YAML mapping", found: "an empty document")
            }
            return ConfigNode(node, path: "")
        } catch let error as YamlError {
            throw ConfigError(.syntax, path: "", expected: "valid YAML", found: ConfigParser.oneLine(error))
        }
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var kindName: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar): return "'\(scalar.string)'"
        }
    }

    func error(_ code: ConfigError.Code, expected: String, found: String? = nil) -> ConfigError {
        ConfigError(code, path: path, expected: expected, found: found ?? kindName)
    }

    var isNull: Bool { node.null != nil }

    /// The entries of a mapping, refusing keys outside `allowed`.
    func mapping(allowed: Set<String>) throws -> ConfigMapping {
        guard case .mapping(let mapping) = node else { throw error(.wrongType, expected: "a mapping") }
        var entries: [String: ConfigNode] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                throw ConfigError(.wrongType, path: path, expected: "string keys", found: "\(keyNode)")
            }
            guard allowed.contains(key) else {
                throw ConfigError(.unknownKey, path: child(key),
                                  expected: "one of \(allowed.sorted().joined(separator: ", "))",
                                  found: "'\(key)'")
            }
            entries[key] = ConfigNode(value, path: child(key))
        }
        return ConfigMapping(path: path, entries: entries)
    }

    func list() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error(.wrongType, expected: "a list") }
        return sequence.enumerated().map { ConfigNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    func int(in range: ClosedRange<Int>? = nil) throws -> Int {
        guard case .scalar = node, let value = node.int else { throw error(.wrongType, expected: "an integer") }
        if let range, !range.contains(value) {
            throw error(.outOfRange, expected: Self.describe(range), found: "\(value)")
        }
        return value
    }

    func double(in range: ClosedRange<Double>? = nil, openLower: Bool = false) throws -> Double {
        guard case .scalar = node, let value = node.float ?? node.int.map(Double.init), value.isFinite else {
            throw error(.wrongType, expected: "a number")
        }
        if let range, !range.contains(value) || (openLower && value == range.lowerBound) {
            let lower = openLower ? "> \(range.lowerBound)" : ">= \(range.lowerBound)"
            let text = range.upperBound == .greatestFiniteMagnitude ? "a number \(lower)"
                : "a number \(lower) and <= \(range.upperBound)"
            throw error(.outOfRange, expected: text, found: "\(value)")
        }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar(let scalar) = node, let value = node.bool, scalar.style == .plain else {
            throw error(.wrongType, expected: "true or false")
        }
        return value
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error(.wrongType, expected: "a string") }
        return scalar.string
    }

    func choice<T: RawRepresentable>(_: T.Type, among all: [T]) throws -> T where T.RawValue == String {
        let text = try string()
        guard let value = T(rawValue: text) else {
            throw error(.outOfRange, expected: "one of \(all.map(\.rawValue).joined(separator: ", "))",
                        found: "'\(text)'")
        }
        return value
    }

    func intList(in range: ClosedRange<Int>? = nil) throws -> [Int] {
        try list().map { try $0.int(in: range) }
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "an integer >= \(range.lowerBound)" }
        return "an integer in \(range.lowerBound)...\(range.upperBound)"
    }
}

/// The checked entries of one mapping.
struct ConfigMapping {
    let path: String
    let entries: [String: ConfigNode]

    subscript(key: String) -> ConfigNode? {
        guard let entry = entries[key], !entry.isNull else { return nil }
        return entry
    }

    func required(_ key: String) throws -> ConfigNode {
        guard let value = self[key] else {
            throw ConfigError(.missingKey, path: path.isEmpty ? key : "\(path).\(key)",
                              expected: "a value", found: "nothing")
        }
        return value
    }
}
