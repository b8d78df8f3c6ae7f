import MeshIO
import Testing
@testable import MeshCore

/// A valid base document; each test changes one thing and checks the message it gets.
private let base = """
model:
  hidden: 64
  layers: 2
  heads: 4
  kv_heads: 2
  experts: 8
  top_k: 2
  expert_ffn: 32
  shared_experts: 1
cluster:
  coordinators: 1
  workers: 2
workload:
  mode: prefill
  sequences: 2
  tokens: 4
"""

private func error(_ yaml: String) -> ConfigError? {
    do {
        _ = try ExpertMeshConfig.parse(yaml: yaml)
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite struct ConfigValidationTests {
    @Test func baseIsValidAndDerivesDefaults() throws {
        let config = try ExpertMeshConfig.parse(yaml: base)
        #expect(config.model.headDim == 16)
        #expect(config.model.kvHeads == 2)
        #expect(config.model.sharedFFN == 32)
        #expect(config.placement.experts.count == 2)
        #expect(config.placement.experts[0] == [[0, 1, 2, 3], [4, 5, 6, 7]])
        #expect(config.cluster.ranks == 3)
    }

    @Test func unknownKeyNamesThePathAndTheAllowedKeys() throws {
        let e = try #require(error(base.replacingOccurrences(of: "  top_k: 2", with: "  top_k: 2\n  topk: 3")))
        #expect(e.code == .unknownKey)
        #expect(e.path == "model.topk")
        #expect(e.description.contains("top_k"))
    }

    @Test func wrongTypeNamesTheFieldAndTheValue() throws {
        let e = try #require(error(base.replacingOccurrences(of: "hidden: 64", with: "hidden: wide")))
        #expect(e.code == .wrongType)
        #expect(e.path == "model.hidden")
        #expect(e.description == "model.hidden: wrong type: expected an integer, found 'wide'")
    }

    @Test func outOfRangeNumber() throws {
        let e = try #require(error(base.replacingOccurrences(of: "workers: 2", with: "workers: 0")))
        #expect(e.code == .outOfRange)
        #expect(e.path == "cluster.workers")
        #expect(e.found == "0")
    }

    @Test func topKAboveExperts() throws {
        let e = try #require(error(base.replacingOccurrences(of: "top_k: 2", with: "top_k: 9")))
        #expect(e.path == "model.top_k")
        #expect(e.expected.contains("at most the number of experts (8)"))
        #expect(e.found == "9")
    }

    @Test func headsThatDoNotDivideHidden() throws {
        let e = try #require(error(base.replacingOccurrences(of: "heads: 4\n  kv_heads: 2", with: "heads: 5\n  kv_heads: 5")))
        #expect(e.path == "model.heads")
        #expect(e.expected.contains("divides hidden (64)"))
        #expect(e.found == "5")
    }

    @Test func kvHeadsThatDoNotDivideHeads() throws {
        let e = try #require(error(base.replacingOccurrences(of: "kv_heads: 2", with: "kv_heads: 3")))
        #expect(e.path == "model.kv_heads")
    }

    @Test func expertThatNoWorkerHolds() throws {
        let e = try #require(error(clusterWith("""
            - experts: [0, 1, 2, 3]
            - experts: [4, 5, 6]
        """)))
        #expect(e.path == "cluster.placement")
        #expect(e.found == "expert 7 held by none")
    }

    @Test func expertListedTwiceOnOneWorker() throws {
        let e = try #require(error(clusterWith("""
            - experts: [0, 1, 2, 3]
            - experts: [4, 5, 6, 7, 5]
        """)))
        #expect(e.path == "cluster.placement[1].experts[4]")
        #expect(e.found == "expert 5 again")
    }

    @Test func placementNamingAnExpertThatDoesNotExist() throws {
        let e = try #require(error(clusterWith("""
            - experts: [0, 1, 2, 3]
            - experts: [4, 5, 6, 7, 8]
        """)))
        #expect(e.path == "cluster.placement[1].experts[4]")
        #expect(e.expected == "an expert id in 0...7")
    }

    @Test func placementNamingAWorkerThatDoesNotExist() throws {
        let e = try #require(error(clusterWith("""
            - worker: 0
              experts: [0, 1, 2, 3]
            - worker: 2
              experts: [4, 5, 6, 7]
        """)))
        #expect(e.path == "cluster.placement[1].worker")
        #expect(e.found == "2")
    }

    @Test func placementWithAnEntryCountOtherThanWorkers() throws {
        let e = try #require(error(clusterWith("""
            - experts: [0, 1, 2, 3, 4, 5, 6, 7]
        """)))
        #expect(e.path == "cluster.placement")
        #expect(e.found == "1 entries")
    }

    @Test func perLayerListOfTheWrongLength() throws {
        let e = try #require(error(clusterWith("""
            - per_layer: [[0, 1, 2, 3]]
            - experts: [4, 5, 6, 7]
        """)))
        #expect(e.path == "cluster.placement[0].per_layer")
        #expect(e.expected == "one list per MoE layer (2)")
    }

    @Test func perLayerPlacementResolvesPerLayer() throws {
        let config = try ExpertMeshConfig.parse(yaml: clusterYAML("""
            - per_layer: [[0, 1, 2, 3, 4, 5, 6], [7]]
            - per_layer: [[7], [0, 1, 2, 3, 4, 5, 6]]
        """))
        #expect(config.placement.experts[0] == [[0, 1, 2, 3, 4, 5, 6], [7]])
        #expect(config.placement.experts[1] == [[7], [0, 1, 2, 3, 4, 5, 6]])
    }

    @Test func missingModelSection() throws {
        let e = try #require(error("cluster:\n  workers: 2\n"))
        #expect(e.code == .missingKey)
        #expect(e.path == "model")
    }

    @Test func yamlSyntaxErrorGivesTheLine() throws {
        let e = try #require(error("model:\n  hidden: [64\n"))
        #expect(e.code == .syntax)
        #expect(e.found.contains("line"))
    }

    @Test func groupsMustDivideExperts() throws {
        let e = try #require(error(base.replacingOccurrences(of: "shared_experts: 1", with: "shared_experts: 1\n  router:\n    groups: 3")))
        #expect(e.path == "model.router.groups")
    }

    @Test func topGroupsAboveGroups() throws {
        let e = try #require(error(base.replacingOccurrences(of: "shared_experts: 1",
                                                             with: "shared_experts: 1\n  router:\n    groups: 4\n    top_groups: 5")))
        #expect(e.path == "model.router.top_groups")
    }

    @Test func wrongModeName() throws {
        let e = try #require(error(base.replacingOccurrences(of: "mode: prefill", with: "mode: fast")))
        #expect(e.path == "workload.mode")
        #expect(e.expected == "one of prefill, decode")
    }

    @Test func decodeNeedsAtLeastOneTokenOfContext() throws {
        let e = try #require(error(base.replacingOccurrences(of: "mode: prefill", with: "mode: decode")
            .replacingOccurrences(of: "tokens: 4", with: "tokens: 0")))
        #expect(e.path == "workload.tokens")
        #expect(e.expected == "an integer in 1...10000000")
    }

    @Test func nodesNeedOneEntryPerRank() throws {
        let e = try #require(error(base.replacingOccurrences(of: "workers: 2", with: "workers: 2\n  nodes: [0, 1]")))
        #expect(e.path == "cluster.nodes")
    }

    @Test func loadNamesTheMissingFile() throws {
        #expect {
            _ = try ExpertMeshConfig.load(path: "/nonexistent/config.yaml")
        } throws: { error in
            (error as? InputFileError)?.description == "/nonexistent/config.yaml: no such file (expected a config file (YAML))"
        }
    }

    private func clusterYAML(_ placement: String) -> String {
        base.replacingOccurrences(of: "  workers: 2\n", with: "  workers: 2\n  placement:\n" + placement + "\n")
    }

    private func clusterWith(_ placement: String) -> String { clusterYAML(placement) }
}
