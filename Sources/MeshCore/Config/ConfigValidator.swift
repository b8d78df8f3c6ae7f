/// Checks that span several fields, after each field has been read on its own.
enum ConfigValidator {
    static func validate(model: ModelConfig) throws {
        func fail(_ field: String, _ expected: String, _ found: String) -> ConfigError {
            ConfigError(.inconsistent, path: "model.\(field)", expected: expected, found: found)
        }
        guard model.heads % model.kvHeads == 0 else {
            throw fail("kv_heads", "a divisor of heads (\(model.heads))", "\(model.kvHeads)")
        }
        guard model.headDim % 2 == 0 else {
            throw fail("head_dim", "an even head size (rotary embedding rotates halves)", "\(model.headDim)")
        }
        guard model.denseLayers <= model.layers else {
            throw fail("dense_layers", "at most layers (\(model.layers))", "\(model.denseLayers)")
        }
        guard model.topK <= model.experts else {
            throw fail("top_k", "at most the number of experts (\(model.experts))", "\(model.topK)")
        }
        let router = model.router
        var hot = Set<Int>()
        for (i, expert) in router.hotExperts.enumerated() {
            guard expert < model.experts else {
                throw fail("router.hot_experts[\(i)]", "expert ids in 0...\(model.experts - 1)", "\(expert)")
            }
            // A repeated id would apply hot_factor twice.
            guard hot.insert(expert).inserted else {
                throw fail("router.hot_experts[\(i)]", "each expert listed once (hot_factor applies once per listing)",
                           "expert \(expert) again")
            }
        }
        guard model.experts % router.groups == 0 else {
            throw fail("router.groups", "a divisor of experts (\(model.experts))", "\(router.groups)")
        }
        guard router.topGroups <= router.groups else {
            throw fail("router.top_groups", "at most groups (\(router.groups))", "\(router.topGroups)")
        }
        let reachable = router.topGroups * (model.experts / router.groups)
        guard model.topK <= reachable else {
            throw fail("top_k", "at most the experts in the kept groups (\(reachable))", "\(model.topK)")
        }
        if router.groupScore == .top2Sum, router.groups > 1, model.experts / router.groups < 2 {
            throw fail("router.group_score", "groups of at least 2 experts for top2_sum (or group_score: max)",
                       "\(model.experts / router.groups) expert per group")
        }
        if model.sharedExperts > 0, model.sharedFFN == 0 {
            throw fail("shared_ffn", "a width above 0 when shared_experts > 0", "0")
        }
        if model.sharedExpertGate, model.sharedExperts == 0 {
            throw fail("shared_expert_gate", "shared_experts > 0", "no shared expert")
        }
        if model.tieEmbeddings, model.vocab == 0 {
            throw fail("tie_embeddings", "vocab > 0", "no vocabulary")
        }
    }

    /// The placement of every MoE layer, checked so that every expert has a holder.
    ///
    /// An expert without a holder is reported in the placement file when the lists come from one
    /// (``ClusterConfig/placementFile``, field `placement`), else at `cluster.placement`.
    static func resolvePlacement(_ cluster: ClusterConfig, model: ModelConfig) throws -> Placement {
        let moeLayers = model.moeLayers.count
        let placement: Placement
        switch cluster.placement {
        case .strategy(.nodeAware):
            let nodeOfWorker = (0..<cluster.workers).map { cluster.node(ofRank: cluster.rank(ofWorker: $0)) }
            let nodes = Set(nodeOfWorker).count
            let groups = model.router.groups
            guard groups % nodes == 0 else {
                throw ConfigError(.inconsistent, path: "cluster.placement",
                                  expected: "node_aware with model.router.groups (\(groups)) a multiple of the workers' nodes (\(nodes))",
                                  found: "\(groups) groups over \(nodes) nodes")
            }
            placement = Placement(nodeAware: model.experts, groups: groups, nodeOfWorker: nodeOfWorker, moeLayers: moeLayers)
        case .strategy(let strategy):
            placement = Placement(strategy: strategy, experts: model.experts, workers: cluster.workers,
                                  moeLayers: moeLayers)
        case .explicit(let entries):
            let experts = (0..<moeLayers).map { m in
                entries.map { ($0.perLayer?[m] ?? $0.experts ?? []).sorted() }
            }
            placement = Placement(experts: experts)
        }
        for (m, layer) in model.moeLayers.enumerated() {
            let held = Set(placement.experts[m].joined())
            if let orphan = (0..<model.experts).first(where: { !held.contains($0) }) {
                let error = ConfigError(.inconsistent, path: "cluster.placement",
                                        expected: "every expert of layer \(layer) held by at least one worker",
                                        found: "expert \(orphan) held by none")
                guard case .explicit = cluster.placement, let file = cluster.placementFile else { throw error }
                var inFile = error
                inFile.path = "placement"
                throw inFile.inFile(file)
            }
        }
        return placement
    }
}
