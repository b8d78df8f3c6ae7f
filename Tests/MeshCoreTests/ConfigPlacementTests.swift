import Foundation
import Testing
@testable import MeshCore

/// Placement as the config describes it: node-aware strategy, placement files, hot experts.
@Suite struct ConfigPlacementTests {
    let model = """
    model: {hidden: 64, layers: 2, heads: 4, experts: 8, top_k: 2, expert_ffn: 128, router: {groups: 4, top_groups: 2}}
    """

    @Test func nodeAwareKeepsEachRoutingGroupOnOneNode() throws {
        // 1 coordinator on node 0, 4 workers on nodes 0, 0, 1, 1; 4 groups of 2 experts.
        let config = try ExpertMeshConfig.parse(yaml: model + """

        cluster: {coordinators: 1, workers: 4, nodes: [0, 0, 0, 1, 1], placement: node_aware}
        """)
        let lists = config.placement.experts[0]
        #expect(lists == [[0, 1], [2, 3], [4, 5], [6, 7]])
        for g in 0..<4 {
            let holders = Set(config.placement.holders(of: 2 * g, moeLayer: 0) + config.placement.holders(of: 2 * g + 1, moeLayer: 0))
            let nodes = Set(holders.map { config.cluster.node(ofRank: config.cluster.rank(ofWorker: $0)) })
            #expect(nodes.count == 1, "group \(g) spans nodes \(nodes)")
        }
        #expect { try ExpertMeshConfig.parse(yaml: model + """

        cluster: {coordinators: 1, workers: 3, nodes: [0, 0, 1, 2], placement: node_aware}
        """) } throws: { String(describing: $0).contains("cluster.placement") && String(describing: $0).contains("multiple") }
    }

    @Test func aPlacementFileIsReadLikeAnExplicitList() throws {
        let folder = NSTemporaryDirectory() + "placement-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
        placement:
          - {worker: 0, per_layer: [[0, 1, 2, 3], [0, 1, 2, 3, 4]]}
          - {worker: 1, per_layer: [[4, 5, 6, 7, 0], [5, 6, 7]]}
        """.write(toFile: folder + "/plan.yaml", atomically: true, encoding: .utf8)
        let config = try ExpertMeshConfig.parse(yaml: model + """

        cluster: {coordinators: 1, workers: 2, placement: {file: plan.yaml}}
        """, baseDirectory: folder)
        #expect(config.placement.experts[0] == [[0, 1, 2, 3], [0, 4, 5, 6, 7]])
        #expect(config.placement.holders(of: 0, moeLayer: 0) == [0, 1])
        // Two copies on one worker, an unknown expert, a list per layer too short: named in the file.
        for (bad, field) in [("[[0, 0, 1, 2, 3], [0, 1, 2, 3, 4]]", "per_layer[0][1]"),
                             ("[[0, 1, 2, 3, 9], [0, 1, 2, 3, 4]]", "per_layer[0][4]"),
                             ("[[0, 1, 2, 3]]", "per_layer")] {
            try "placement:\n  - {worker: 0, per_layer: \(bad)}\n  - {worker: 1, per_layer: [[4, 5, 6, 7], [5, 6, 7]]}\n"
                .write(toFile: folder + "/bad.yaml", atomically: true, encoding: .utf8)
            #expect { try ExpertMeshConfig.parse(yaml: model + "\ncluster: {coordinators: 1, workers: 2, placement: {file: bad.yaml}}\n",
                                                 baseDirectory: folder) } throws: { error in
                let text = String(describing: error)
                return text.contains("bad.yaml") && text.contains(field)
            }
        }
        #expect { try ExpertMeshConfig.parse(yaml: model + "\ncluster: {coordinators: 1, workers: 2, placement: {file: none.yaml}}\n",
                                             baseDirectory: folder) } throws: { String(describing: $0).contains("none.yaml") }
    }

    @Test func anExpertAPlacementFileLeavesUnplacedIsReportedInThatFile() throws {
        let folder = NSTemporaryDirectory() + "placement-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "placement:\n  - {worker: 0, experts: [0, 1, 2, 3, 4]}\n  - {worker: 1, experts: [6, 7]}\n"
            .write(toFile: folder + "/plan.yaml", atomically: true, encoding: .utf8)
        try (model + "\ncluster: {coordinators: 1, workers: 2, placement: {file: plan.yaml}}\n")
            .write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
        let layer = try ExpertMeshConfig.parse(yaml: model).model.moeLayers[0]
        #expect(throws: ConfigError(.inconsistent, file: folder + "/plan.yaml", path: "placement",
                                    expected: "every expert of layer \(layer) held by at least one worker",
                                    found: "expert 5 held by none")) {
            try ExpertMeshConfig.load(path: folder + "/config.yaml")
        }
        // The same lists in the config itself: reported there.
        #expect(throws: ConfigError(.inconsistent, file: folder + "/inline.yaml", path: "cluster.placement",
                                    expected: "every expert of layer \(layer) held by at least one worker",
                                    found: "expert 5 held by none")) {
            try (model + "\ncluster: {coordinators: 1, workers: 2, placement: [{experts: [0, 1, 2, 3, 4]}, {experts: [6, 7]}]}\n")
                .write(toFile: folder + "/inline.yaml", atomically: true, encoding: .utf8)
            return try ExpertMeshConfig.load(path: folder + "/inline.yaml")
        }
        // A complete file: read, and remembered.
        try "placement:\n  - {worker: 0, experts: [0, 1, 2, 3, 4]}\n  - {worker: 1, experts: [5, 6, 7]}\n"
            .write(toFile: folder + "/plan.yaml", atomically: true, encoding: .utf8)
        #expect(try ExpertMeshConfig.load(path: folder + "/config.yaml").cluster.placementFile == folder + "/plan.yaml")
    }

    @Test func hotExpertsAreChosenMoreOften() throws {
        var router = RouterConfig()
        router.hotExperts = [3]
        router.hotFactor = 5
        let factors = router.skewFactors(experts: 8)
        #expect(factors[3] == 5 && factors.enumerated().allSatisfy { $0.offset == 3 || $0.element == 1 })
        // Equal scores: the hot expert wins every token.
        let routing = Router(config: router, experts: 8, topK: 1).route(logits: Array(repeating: 0, count: 8 * 10))
        #expect(routing.experts.allSatisfy { $0 == 3 })
        #expect { try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 64, layers: 2, heads: 4, experts: 8, top_k: 2, expert_ffn: 128, router: {hot_experts: [8]}}
        """) } throws: { String(describing: $0).contains("router.hot_experts") }
    }

    @Test func aHotExpertListedTwiceIsRefused() {
        // Listed twice, the factor would apply twice.
        #expect(throws: ConfigError(.inconsistent, path: "model.router.hot_experts[1]",
                                    expected: "each expert listed once (hot_factor applies once per listing)",
                                    found: "expert 3 again")) {
            try ExpertMeshConfig.parse(yaml: """
            model: {hidden: 64, layers: 2, heads: 4, experts: 8, top_k: 2, expert_ffn: 128, router: {hot_experts: [3, 3]}}
            """)
        }
        #expect {
            try ExpertMeshConfig.parse(yaml: self.model, overrides: [ConfigOverride(parsing: "model.router.hot_experts=[1, 2, 1]")])
        } throws: { ($0 as? ConfigError)?.path == "model.router.hot_experts[2]" }
    }
}
