import Foundation
import Testing
@testable import MeshCore

/// `config.json` excerpts with the published values of each family (see ../shared/MODELS.md).
@Suite struct HuggingFaceConfigTests {
    func parse(_ json: String) throws -> HuggingFaceConfig {
        try HuggingFaceConfig.parse(Data(json.utf8), file: "config.json")
    }

    @Test func mixtral8x7B() throws {
        let hf = try parse("""
        {"model_type": "mixtral", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
         "num_attention_heads": 32, "num_key_value_heads": 8, "num_local_experts": 8, "num_experts_per_tok": 2,
         "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "vocab_size": 32000, "tie_word_embeddings": false}
        """)
        let m = hf.model
        #expect(m.family == .mixtral)
        #expect((m.hidden, m.layers, m.heads, m.kvHeads, m.headDim) == (4096, 32, 32, 8, 128))
        #expect((m.experts, m.topK, m.expertFFN, m.sharedExperts) == (8, 2, 14336, 0))
        #expect(m.ropeTheta == 1e6 && m.vocab == 32000)
        #expect(m.router.scoring == .softmax && m.router.normalize)
        #expect(TensorNames(model: m).expert(3, 5, "up") == "model.layers.3.block_sparse_moe.experts.5.w3.weight")
    }

    @Test func qwen15MoE() throws {
        let hf = try parse("""
        {"model_type": "qwen2_moe", "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 24,
         "num_attention_heads": 16, "num_key_value_heads": 16, "num_experts": 60, "num_experts_per_tok": 4,
         "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632, "norm_topk_prob": false,
         "decoder_sparse_step": 1, "mlp_only_layers": [], "rope_theta": 1000000.0, "vocab_size": 151936}
        """)
        let m = hf.model
        #expect(m.family == .qwen2MoE)
        #expect((m.experts, m.topK, m.expertFFN) == (60, 4, 1408))
        #expect((m.sharedExperts, m.sharedFFN, m.sharedExpertGate) == (1, 5632, true))
        #expect(m.attentionBias)
        #expect(!m.router.normalize)
        #expect(TensorNames(model: m).shared(0, "down") == "model.layers.0.mlp.shared_expert.down_proj.weight")
    }

    @Test func qwenWithInterleavedDenseLayersIsRefused() throws {
        #expect {
            _ = try parse("""
            {"model_type": "qwen2_moe", "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
             "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32, "decoder_sparse_step": 2}
            """)
        } throws: { ($0 as? ConfigError)?.path == "decoder_sparse_step" }
    }

    @Test func deepSeekV3() throws {
        let hf = try parse("""
        {"model_type": "deepseek_v3", "hidden_size": 7168, "intermediate_size": 18432, "num_hidden_layers": 61,
         "num_attention_heads": 128, "num_key_value_heads": 128, "n_routed_experts": 256, "n_shared_experts": 1,
         "num_experts_per_tok": 8, "moe_intermediate_size": 2048, "first_k_dense_replace": 3, "n_group": 8,
         "topk_group": 4, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "norm_topk_prob": true,
         "topk_method": "noaux_tc", "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_rope_head_dim": 64,
         "qk_nope_head_dim": 128, "v_head_dim": 128, "vocab_size": 129280}
        """)
        let m = hf.model
        #expect(hf.usesLatentAttention)
        #expect((m.experts, m.topK, m.expertFFN, m.sharedExperts, m.sharedFFN) == (256, 8, 2048, 1, 2048))
        #expect((m.denseLayers, m.denseFFN, m.layers) == (3, 18432, 61))
        #expect(m.router.scoring == .sigmoid && m.router.bias && m.router.normalize)
        #expect((m.router.groups, m.router.topGroups, m.router.scale) == (8, 4, 2.5))
        #expect(m.moeLayers.count == 58)
    }

    @Test func latentAttentionIsRefusedForRunning() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("""
        {"model_type": "deepseek_v3", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
         "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32, "kv_lora_rank": 16}
        """.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect {
            _ = try HuggingFaceConfig.load(folder: folder, fieldPath: "model.huggingface")
        } throws: { error in
            (error as? ConfigError)?.description.contains("multi-head latent attention") == true
        }
    }

    @Test func unknownModelTypeAndMissingKeys() throws {
        #expect { _ = try parse(#"{"model_type": "llama", "hidden_size": 64}"#) } throws: {
            ($0 as? ConfigError)?.path == "model_type"
        }
        #expect { _ = try parse(#"{"model_type": "mixtral", "hidden_size": 64}"#) } throws: {
            ($0 as? ConfigError).map { $0.path == "num_hidden_layers" && $0.code == .missingKey } == true
        }
        #expect { _ = try parse("not json") } throws: { ($0 as? ConfigError)?.code == .syntax }
    }

    @Test func configFileCanTakeTheModelFromAFolderAndOverrideLayers() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("""
        {"model_type": "mixtral", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 8,
         "num_attention_heads": 4, "num_key_value_heads": 2, "num_local_experts": 4, "num_experts_per_tok": 2}
        """.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        let config = try ExpertMeshConfig.parse(yaml: "model:\n  huggingface: \(folder)\n  layers: 2\ncluster:\n  workers: 2\n")
        #expect(config.model.layers == 2)
        #expect(config.model.expertFFN == 96)
        #expect(config.model.headDim == 16)
        #expect(config.weights.path == folder)
    }
}
