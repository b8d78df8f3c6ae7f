import Foundation
import MeshIO

/// A model description read from a Hugging Face `config.json`.
///
/// Reads the keys of the Mixtral, Qwen2-MoE and DeepSeek-V3 families (listed in
/// `../shared/MODELS.md`, as published in each model's `config.json`).
public struct HuggingFaceConfig: Sendable, Equatable {
    public var model: ModelConfig
    /// DeepSeek's multi-head latent attention (`kv_lora_rank` set): describable, not runnable here.
    public var usesLatentAttention: Bool
    /// The `model_type` the file declared.
    public var modelType: String

    /// Parses the contents of a `config.json`.
    ///
    /// - Parameter file: the file's path, for error messages.
    public static func parse(_ data: Data, file: String) throws -> HuggingFaceConfig {
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw ConfigError(.syntax, file: file, path: "", expected: "a JSON object", found: "malformed JSON")
        }
        let keys = JSONKeys(json: json, file: file)
        let type = try keys.string("model_type")
        guard ["mixtral", "qwen2_moe", "deepseek_v3"].contains(type) else {
            throw ConfigError(.unsupported, file: file, path: "model_type",
                              expected: "mixtral, qwen2_moe or deepseek_v3", found: "'\(type)'")
        }
        var model = ModelConfig()
        model.hidden = try keys.int("hidden_size")
        model.layers = try keys.int("num_hidden_layers")
        model.heads = try keys.int("num_attention_heads")
        model.kvHeads = try keys.optionalInt("num_key_value_heads") ?? model.heads
        model.headDim = try keys.optionalInt("head_dim") ?? model.hidden / model.heads
        model.rmsNormEpsilon = try keys.optionalDouble("rms_norm_eps") ?? 1e-6
        model.ropeTheta = try keys.optionalDouble("rope_theta") ?? 10_000
        model.vocab = try keys.optionalInt("vocab_size") ?? 0
        model.tieEmbeddings = try keys.optionalBool("tie_word_embeddings") ?? false
        var latent = false
        switch type {
        case "mixtral":
            model.family = .mixtral
            model.experts = try keys.int("num_local_experts")
            model.topK = try keys.int("num_experts_per_tok")
            model.expertFFN = try keys.int("intermediate_size")
            model.router.scoring = .softmax
            model.router.normalize = true
        case "qwen2_moe":
            model.family = .qwen2MoE
            model.attentionBias = true // Qwen2 has q/k/v biases (o_proj has none).
            model.experts = try keys.int("num_experts")
            model.topK = try keys.int("num_experts_per_tok")
            model.expertFFN = try keys.int("moe_intermediate_size")
            let shared = try keys.optionalInt("shared_expert_intermediate_size") ?? 0
            model.sharedExperts = shared > 0 ? 1 : 0
            model.sharedFFN = shared
            model.sharedExpertGate = shared > 0
            model.denseFFN = try keys.optionalInt("intermediate_size") ?? 0
            model.router.scoring = .softmax
            model.router.normalize = try keys.optionalBool("norm_topk_prob") ?? false
            let step = try keys.optionalInt("decoder_sparse_step") ?? 1
            let dense = (json["mlp_only_layers"] as? [Int]) ?? []
            if step != 1 || !dense.isEmpty {
                throw ConfigError(.unsupported, file: file, path: step != 1 ? "decoder_sparse_step" : "mlp_only_layers",
                                  expected: "every layer sparse (dense layers are supported only as the first ones)",
                                  found: step != 1 ? "\(step)" : "\(dense)")
            }
        case "deepseek_v3":
            model.family = .deepseekV3
            model.experts = try keys.int("n_routed_experts")
            model.topK = try keys.int("num_experts_per_tok")
            model.expertFFN = try keys.int("moe_intermediate_size")
            model.sharedExperts = try keys.optionalInt("n_shared_experts") ?? 0
            model.sharedFFN = model.sharedExperts * model.expertFFN
            model.denseLayers = try keys.optionalInt("first_k_dense_replace") ?? 0
            model.denseFFN = try keys.optionalInt("intermediate_size") ?? 0
            let scoring = try keys.optionalString("scoring_func") ?? "sigmoid"
            guard let function = ScoringFunction(rawValue: scoring) else {
                throw ConfigError(.unsupported, file: file, path: "scoring_func", expected: "softmax or sigmoid",
                                  found: "'\(scoring)'")
            }
            model.router.scoring = function
            model.router.normalize = try keys.optionalBool("norm_topk_prob") ?? true
            model.router.scale = try keys.optionalDouble("routed_scaling_factor") ?? 1
            model.router.groups = try keys.optionalInt("n_group") ?? 1
            model.router.topGroups = try keys.optionalInt("topk_group") ?? model.router.groups
            model.router.groupScore = .top2Sum
            model.router.bias = (try keys.optionalString("topk_method")) == "noaux_tc"
            if let rank = try keys.optionalInt("kv_lora_rank") {
                latent = true
                model.latentCacheWidth = rank + (try keys.optionalInt("qk_rope_head_dim") ?? 0)
            }
            if let qkRope = try keys.optionalInt("qk_rope_head_dim"), let qkNope = try keys.optionalInt("qk_nope_head_dim") {
                model.headDim = qkRope + qkNope
            }
        default:
            preconditionFailure("model_type \(type) was checked above")
        }
        return HuggingFaceConfig(model: model, usesLatentAttention: latent, modelType: type)
    }

    /// Reads `folder/config.json` for a model this runtime can run.
    ///
    /// - Throws: ``ConfigError`` for a missing or malformed file, and for multi-head latent
    ///   attention, which the runtime does not implement.
    public static func load(folder: String, fieldPath: String) throws -> ModelConfig {
        let file = (folder as NSString).appendingPathComponent("config.json")
        let parsed = try parse(Data(TextFile.read(file, what: "the config.json of a Hugging Face model folder (\(fieldPath))").utf8), file: file)
        if parsed.usesLatentAttention {
            throw ConfigError(.unsupported, file: file, path: "kv_lora_rank",
                              expected: "standard multi-head attention (ExpertMesh does not run DeepSeek's multi-head latent attention)",
                              found: "multi-head latent attention")
        }
        return parsed.model
    }
}

/// Typed access to the keys of a JSON object, with errors naming the key.
private struct JSONKeys {
    let json: [String: Any]
    let file: String

    func fail(_ key: String, _ expected: String) -> ConfigError {
        ConfigError(.wrongType, file: file, path: key, expected: expected, found: json[key].map { "\($0)" } ?? "nothing")
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue), int >= 0 else {
            throw fail(key, "a non-negative integer")
        }
        return int
    }

    func int(_ key: String) throws -> Int {
        guard let value = try optionalInt(key) else {
            throw ConfigError(.missingKey, file: file, path: key, expected: "a positive integer", found: "nothing")
        }
        guard value > 0 else { throw fail(key, "a positive integer") }
        return value
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber else { throw fail(key, "a number") }
        return number.doubleValue
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        guard let bool = value as? Bool else { throw fail(key, "true or false") }
        return bool
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw fail(key, "a string") }
        return string
    }

    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else {
            throw ConfigError(.missingKey, file: file, path: key, expected: "a string", found: "nothing")
        }
        return value
    }
}
