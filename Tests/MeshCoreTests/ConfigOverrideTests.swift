import Foundation
import Testing
@testable import MeshCore

@Suite struct ConfigOverrideTests {
    let yaml = """
    model:
      hidden: 64
      layers: 2
      heads: 4
      kv_heads: 4
      experts: 8
      top_k: 2
      expert_ffn: 128
    cluster:
      coordinators: 1
      workers: 2
    runtime:
    """

    @Test func replacesAndCreatesFieldsBeforeValidation() throws {
        let overrides = try ["cluster.workers=4", "runtime.dispatch_dtype=bf16", "workload.tokens=7", "model.router.skew=1.2"]
            .map(ConfigOverride.init(parsing:))
        let config = try ExpertMeshConfig.parse(yaml: yaml, overrides: overrides)
        #expect(config.cluster.workers == 4)
        #expect(config.runtime.dispatchDType == .bf16)
        #expect(config.workload.tokens == 7)
        #expect(config.model.router.skew == 1.2)
        #expect(config.placement.experts[0].count == 4)
    }

    @Test func badOverridesNameTheirField() throws {
        #expect(throws: ConfigError.self) { try ConfigOverride(parsing: "cluster.workers") }
        #expect(throws: ConfigError.self) { try ConfigOverride(parsing: "cluster..workers=2") }
        #expect { try ExpertMeshConfig.parse(yaml: yaml, overrides: [ConfigOverride(parsing: "cluster.workers=zero")]) } throws: {
            String(describing: $0).contains("cluster.workers")
        }
        #expect { try ExpertMeshConfig.parse(yaml: yaml, overrides: [ConfigOverride(parsing: "cluster.gpus=2")]) } throws: {
            String(describing: $0).contains("cluster.gpus")
        }
        #expect { try ExpertMeshConfig.parse(yaml: yaml, overrides: [ConfigOverride(parsing: "model.hidden.x=2")]) } throws: {
            String(describing: $0).contains("model.hidden")
        }
    }

    @Test func skewMakesSomeExpertsPopular() throws {
        var router = RouterConfig()
        router.skew = 1.5
        let factors = router.skewFactors(experts: 16)
        #expect(factors.max() == 1)
        #expect(Set(factors).count == 16)
        #expect(router.skewFactors(experts: 16) == factors)        // fixed seed, fixed choice
        router.skewSeed = 7
        #expect(router.skewFactors(experts: 16) != factors)
        router.skew = 0
        #expect(router.skewFactors(experts: 16).allSatisfy { $0 == 1 })
    }
}
