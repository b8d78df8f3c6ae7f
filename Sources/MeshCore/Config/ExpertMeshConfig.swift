import Foundation
import MeshIO

/// Everything one run needs: the model, the ranks and their experts, the workload, the weights.
///
/// Read it with ``load(path:)``; a value that exists has passed validation.
public struct ExpertMeshConfig: Sendable, Equatable, Codable {
    public var model = ModelConfig()
    public var cluster = ClusterConfig()
    public var workload = WorkloadConfig()
    public var weights = WeightsConfig()
    public var runtime = RuntimeConfig()
    /// Path of a hardware profile (resolved against the config's folder), if any.
    public var hardware: String?
    /// Hugging Face model folder the model was taken from, if any (resolved path).
    public var huggingFaceFolder: String?
    /// The placement resolved for every MoE layer.
    public var placement = Placement(experts: [])

    public init() {}

    /// Reads, parses and validates the config file at `path`.
    ///
    /// - Throws: ``ConfigError`` naming the file and the field.
    ///
    /// - Parameter overrides: fields replaced before parsing (`--set`), checked like the file's own.
    public static func load(path: String, overrides: [ConfigOverride] = []) throws -> ExpertMeshConfig {
        let text = try TextFile.read(path, what: "a config file (YAML)")
        let folder = (path as NSString).deletingLastPathComponent
        do {
            return try parse(yaml: text, baseDirectory: folder.isEmpty ? "." : folder, overrides: overrides)
        } catch let error as ConfigError {
            throw error.inFile(path)
        }
    }

    /// Parses and validates YAML text; relative paths inside are resolved against `baseDirectory`.
    public static func parse(yaml: String, baseDirectory: String = ".",
                             overrides: [ConfigOverride] = []) throws -> ExpertMeshConfig {
        var parser = ConfigParser(baseDirectory: baseDirectory)
        return try parser.parse(yaml: yaml, overrides: overrides)
    }

    /// The same cluster and workload with another model, placement re-derived and re-checked.
    ///
    /// Used by `predict --hf-config`; an explicit placement must still fit the new model.
    public func replacingModel(_ model: ModelConfig) throws -> ExpertMeshConfig {
        var copy = self
        copy.model = model
        try ConfigValidator.validate(model: model)
        if case .explicit = cluster.placement {
            throw ConfigError(.inconsistent, path: "cluster.placement", expected: "a strategy when the model comes from --hf-config",
                              found: "an explicit list")
        }
        copy.placement = try ConfigValidator.resolvePlacement(cluster, model: model)
        return copy
    }

    /// Resolves a path written in a config against its folder.
    static func resolve(_ path: String, against base: String) -> String {
        path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
    }
}
