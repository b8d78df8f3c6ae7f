import Yams

/// One `--set FIELD.PATH=VALUE` given on the command line: a field of the config replaced before
/// it is parsed and validated, so that a bad value is reported with its field path like any other.
///
/// The load-test driver launches every point of a sweep as the base config plus overrides
/// (`cluster.workers=2`, `workload.tokens=256`), which keeps the config's relative paths valid.
public struct ConfigOverride: Sendable, Equatable, CustomStringConvertible {
    /// Keys from the document's root, for example `["cluster", "workers"]`.
    public var path: [String]
    /// The value as YAML text: a scalar, or a flow list or mapping (`[0, 1, 2]`).
    public var value: String

    public init(path: [String], value: String) {
        self.path = path
        self.value = value
    }

    /// Parses `FIELD.PATH=VALUE`.
    ///
    /// - Throws: ``ConfigError`` when there is no `=`, or a key of the path is empty.
    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw ConfigError(.syntax, path: "", expected: "--set FIELD.PATH=VALUE, for example cluster.workers=2", found: "'\(text)'")
        }
        let keys = text[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keys.isEmpty, keys.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw ConfigError(.syntax, path: "", expected: "--set FIELD.PATH=VALUE with a dotted field path", found: "'\(text)'")
        }
        path = keys
        value = String(text[text.index(after: equals)...])
    }

    public var description: String { "\(path.joined(separator: "."))=\(value)" }

    /// `root` with every override applied in order; missing mappings on the way are created.
    static func apply(_ overrides: [ConfigOverride], to root: Node) throws -> Node {
        var root = root
        for override in overrides {
            let value: Node
            do {
                value = try Yams.compose(yaml: override.value) ?? Node("")
            } catch let error as YamlError {
                throw ConfigError(.syntax, path: override.path.joined(separator: "."), expected: "a YAML value",
                                  found: ConfigParser.oneLine(error))
            }
            root = try set(value, at: override.path[...], in: root, walked: [])
        }
        return root
    }

    private static func set(_ value: Node, at keys: ArraySlice<String>, in node: Node?, walked: [String]) throws -> Node {
        guard let key = keys.first else { return value }
        var mapping: Node.Mapping
        switch node {
        case .mapping(let existing)?: mapping = existing
        case nil: mapping = Node.Mapping([])
        case let other?:
            throw ConfigError(.wrongType, path: walked.joined(separator: "."), expected: "a mapping to set \(key) in",
                              found: "\(other.scalar.map { "'\($0.string)'" } ?? "a list")")
        }
        // A key written with no value (`runtime:`) is null: it becomes a mapping like a missing one.
        let child = mapping[key].flatMap { $0.null != nil ? nil : $0 }
        mapping[key] = try set(value, at: keys.dropFirst(), in: child, walked: walked + [key])
        return .mapping(mapping)
    }
}
