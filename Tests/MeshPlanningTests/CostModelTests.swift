import Foundation
import Testing
import MeshCore
@testable import MeshPlanning

/// The cost model against published figures, and its pieces against cases worked by hand.
@Suite struct CostModelTests {
    static func profile(flops: Double, memory: Double, link: Double, intraLink: Double? = nil, latency: Double = 0,
                        perNode: Int) -> HardwareProfile {
        HardwareProfile(name: "test", device: .init(name: "test", flopsPerSecond: ["bf16": flops], memoryBytesPerSecond: memory,
                                                     memoryBytes: 80e9),
                        devicesPerNode: perNode, intraNode: .init(bytesPerSecond: intraLink ?? link, latencySeconds: latency),
                        interNode: .init(bytesPerSecond: link, latencySeconds: latency),
                        allToAllEfficiency: .constant(1), computeDType: "bf16")
    }

    /// StepMesh's Step-3 figures: 2 attention + 2 FFN GPUs, 128 tokens from each attention GPU to
    /// each FFN GPU, hidden 7168, attention→FFN in FP8, FFN→attention in BF16, 161.3 Gbit/s per FFN
    /// GPU: 1,835,008 bytes in 91 µs and 3,670,016 bytes in 182 µs, 273 µs per micro-batch, which
    /// is 50 ms / 61 layers / 3 micro-batches.
    @Test func stepMeshStep3Transfers() throws {
        var config = ExpertMeshConfig()
        config.model.hidden = 7168; config.model.layers = 1; config.model.heads = 56; config.model.kvHeads = 8
        config.model.headDim = 128; config.model.experts = 2; config.model.topK = 2; config.model.expertFFN = 4096
        config.cluster.coordinators = 2; config.cluster.workers = 2
        config.placement = Placement(strategy: .contiguous, experts: 2, workers: 2, moeLayers: 1)
        config.workload.mode = .decode; config.workload.sequences = 256; config.workload.tokens = 1
        config.runtime.dispatchDType = .fp8; config.runtime.combineDType = .bf16
        var request = PredictionRequest(config: config, hardware: Self.profile(flops: 1e15, memory: 3e12, link: 161.3e9 / 8, perNode: 1))
        request.recordHeaders = false
        let layer = try CostModel(request).predict().layers[0]
        #expect(layer.dispatch.bytes == 1_835_008)
        #expect(layer.combine.bytes == 3_670_016)
        #expect(abs(layer.dispatch.seconds - 91e-6) < 0.5e-6)
        #expect(abs(layer.combine.seconds - 182e-6) < 0.5e-6)
        let microBatch = layer.dispatch.seconds + layer.combine.seconds
        #expect(abs(microBatch - 273e-6) < 1e-6)
        #expect(abs(microBatch - 50e-3 / 61 / 3) / microBatch < 0.01)
        #expect(layer.dispatch.interNodeBound)
    }

    /// MegaScale-Infer §2.3: on an A100 (312 TFLOP/s bf16, 2 TB/s), an expert GEMM is compute-bound
    /// only from about 156 tokens per expert; Mixtral (8 experts, top-2) at a batch of 156 gives
    /// 39 tokens per expert and about 25 % FFN utilisation.
    @Test func megaScaleInferExpertUtilisation() throws {
        var config = ExpertMeshConfig()
        config.model.family = .mixtral
        config.model.hidden = 4096; config.model.layers = 1; config.model.heads = 32; config.model.kvHeads = 8
        config.model.headDim = 128; config.model.experts = 8; config.model.topK = 2; config.model.expertFFN = 14336
        config.cluster.coordinators = 1; config.cluster.workers = 8
        config.placement = Placement(strategy: .contiguous, experts: 8, workers: 8, moeLayers: 1)
        config.workload.mode = .decode; config.workload.tokens = 1
        let a100 = Self.profile(flops: 312e12, memory: 2e12, link: 300e9, perNode: 16)
        func expert(batch: Int) throws -> (LayerPrediction, Double) {
            var c = config
            c.workload.sequences = batch
            let layer = try CostModel(PredictionRequest(config: c, hardware: a100)).predict().layers[0]
            return (layer, layer.experts.utilization(peakFlopsPerSecond: 312e12))
        }
        let (at156, utilisation) = try expert(batch: 156)
        #expect(at156.tokensPerExpert == 39)
        #expect(abs(utilisation - 0.25) < 0.02, "utilisation \(utilisation)")
        #expect(!at156.experts.computeBound)
        // The crossover: 312e12 / 2e12 = 156 tokens per expert (plus a few for the activations).
        #expect(try !expert(batch: 4 * 150).0.experts.computeBound)
        #expect(try expert(batch: 4 * 170).0.experts.computeBound)
    }

    @Test func hitProbabilityMatchesCountingByHand() {
        // 4 experts, top-2, a worker holding 1: 1 − C(3,2)/C(4,2) = 1 − 3/6.
        #expect(abs(CostModel.hitProbability(held: 1, experts: 4, k: 2) - 0.5) < 1e-12)
        #expect(CostModel.hitProbability(held: 0, experts: 4, k: 2) == 0)
        #expect(CostModel.hitProbability(held: 4, experts: 4, k: 2) == 1)
        #expect(CostModel.hitProbability(held: 3, experts: 4, k: 2) == 1)
        // 256 experts, top-8, 2 per worker: 1 − (254·…·247)/(256·…·249), which telescopes to
        // 1 − (248·247)/(256·255) = 1 − 61256/65280.
        #expect(abs(CostModel.hitProbability(held: 2, experts: 256, k: 8) - (1 - 61256.0 / 65280)) < 1e-12)
    }

    @Test func rooflineNamesItsBound() {
        let small = Roofline(flops: 1e9, bytes: 1e9, peakFlopsPerSecond: 100e12, memoryBytesPerSecond: 1e12)
        #expect(!small.computeBound)
        #expect(abs(small.seconds - 1e-3) < 1e-12)
        let big = Roofline(flops: 1e15, bytes: 1e9, peakFlopsPerSecond: 100e12, memoryBytesPerSecond: 1e12)
        #expect(big.computeBound)
        #expect(abs(big.seconds - 10) < 1e-9)
    }

    @Test func aDispatchBoundDeploymentGainsFromBandwidthNotFlops() throws {
        var config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 4096, layers: 2, heads: 32, kv_heads: 8, experts: 64, top_k: 8, expert_ffn: 1024}
        cluster: {layout: colocated, workers: 32}
        workload: {mode: prefill, sequences: 64, tokens: 512}
        """)
        config.runtime.dispatchDType = .bf16
        let slowLinks = Self.profile(flops: 1000e12, memory: 3e12, link: 5e9, intraLink: 160e9, latency: 5e-6, perNode: 8)
        let prediction = try CostModel(PredictionRequest(config: config, hardware: slowLinks)).predict()
        #expect(prediction.bottleneck.contains("over inter-node links"))
        #expect(prediction.gainFromDoubleBandwidth > 1.3)
        #expect(prediction.gainFromDoubleFlops < 1.05)
        #expect(prediction.nodes == 4)
    }

    @Test func nodeLimitedRoutingCutsNICBytes() throws {
        let config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 1024, layers: 1, heads: 8, experts: 256, top_k: 8, expert_ffn: 512}
        cluster: {layout: colocated, workers: 64}
        workload: {mode: decode, sequences: 1024, tokens: 128}
        """)
        let profile = Self.profile(flops: 1e15, memory: 3e12, link: 50e9, perNode: 8)
        var request = PredictionRequest(config: config, hardware: profile)
        let unlimited = try CostModel(request).predict().layers[0].dispatch.interNodeBytes
        request.nodeLimit = 4
        let limited = try CostModel(request).predict().layers[0].dispatch.interNodeBytes
        #expect(limited < unlimited)
        #expect(limited > 0)
    }

    @Test func pingPongFollowsMegaScaleInfersFormula() throws {
        var config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 2048, layers: 4, heads: 16, experts: 16, top_k: 2, expert_ffn: 1024}
        cluster: {coordinators: 2, workers: 4}
        workload: {mode: decode, sequences: 256, tokens: 1024}
        """)
        config.runtime.dispatchDType = .bf16
        // Fast links, so that communication hides behind compute (T_c < T_f), the paper's case.
        let profile = Self.profile(flops: 300e12, memory: 2e12, link: 400e9, latency: 1e-6, perNode: 8)
        var request = PredictionRequest(config: config, hardware: profile)
        request.overlap = .pingPong(microBatches: 3)
        let p = try CostModel(request).predict()
        let l = Double(p.layers.count)
        let ta = p.layers.reduce(0) { $0 + $1.attention.seconds + $1.router.seconds + $1.mlp.seconds } / l
        let te = p.layers.reduce(0) { $0 + $1.experts.seconds } / l
        let tc = p.layers.reduce(0) { $0 + ($1.dispatch.seconds + $1.combine.seconds) / 2 } / l
        #expect(tc < max(ta, te))
        // T_total = (T_a + T_e + 2·T_c) + T_f·(m·L − 1), T_f = max(T_a, T_e).
        let expected = (ta + te + 2 * tc) + max(ta, te) * (3 * l - 1)
        #expect(abs(p.stepSeconds - expected) / expected < 1e-9)
    }

    @Test func pingPongWithLinksSlowerThanComputeIsPacedByTheLinks() throws {
        let config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 2048, layers: 4, heads: 16, experts: 16, top_k: 2, expert_ffn: 1024}
        cluster: {coordinators: 2, workers: 4}
        workload: {mode: decode, sequences: 256, tokens: 1024}
        """)
        let slow = Self.profile(flops: 300e12, memory: 2e12, link: 1e9, latency: 1e-6, perNode: 1)
        var request = PredictionRequest(config: config, hardware: slow)
        request.overlap = .pingPong(microBatches: 2)
        let p = try CostModel(request).predict()
        let l = Double(p.layers.count)
        let tc = p.layers.reduce(0) { $0 + ($1.dispatch.seconds + $1.combine.seconds) / 2 } / l
        #expect(p.stepSeconds >= tc * (2 * l - 1))
    }

    @Test func moreRanksThanTheProfileHoldsIsAnErrorNamingTheField() throws {
        let config = try ExpertMeshConfig.parse(yaml: "model: {hidden: 64, layers: 1, heads: 4, experts: 8, top_k: 2, expert_ffn: 32}\ncluster: {workers: 7}\n")
        var profile = Self.profile(flops: 1e12, memory: 1e11, link: 1e10, perNode: 4)
        profile.devices = 4
        #expect { try CostModel(PredictionRequest(config: config, hardware: profile)).predict() } throws: {
            ($0 as? ConfigError).map { $0.path == "cluster.workers" && $0.found == "8 ranks" } == true
        }
    }

    @Test func ranksSharingCoresGetTheirShareOnlyWhileTheyAllCompute() throws {
        let config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 512, layers: 1, heads: 8, experts: 12, top_k: 2, expert_ffn: 1024, shared_experts: 1}
        cluster: {coordinators: 1, workers: 3}
        workload: {mode: prefill, sequences: 4, tokens: 256}
        """)
        var cpu = Self.profile(flops: 30e9, memory: 10e9, link: 5e9, perNode: 4)
        cpu.computeDType = "bf16"
        let alone = try CostModel(PredictionRequest(config: config, hardware: cpu)).predict().layers[0]
        cpu.coresPerNode = 2
        let shared = try CostModel(PredictionRequest(config: config, hardware: cpu)).predict().layers[0]
        // Attention runs on the coordinator alone: 1 rank ≤ 2 cores, full speed.
        #expect(abs(shared.attention.seconds - alone.attention.seconds) < 1e-12)
        // Experts run while all 4 ranks work: each gets 2/4 of the device.
        #expect(abs(shared.experts.seconds / alone.experts.seconds - 2) < 1e-9)
        #expect(abs(shared.mlp.seconds / alone.mlp.seconds - 2) < 1e-9)
    }

    @Test func smallGEMMsAndOtherKernelsRunBelowPeak() throws {
        let yaml = """
        name: cpu
        device: {flops: {fp32: 30 GFLOP/s}, memory_bandwidth: 1000 GB/s, memory: 8 GB}
        devices_per_node: 4
        intra_node: {bandwidth: 5 GB/s, latency: 2 us}
        inter_node: {bandwidth: 5 GB/s, latency: 2 us}
        compute_dtype: fp32
        """
        let plain = try HardwareProfile.parse(yaml: yaml)
        let tuned = try HardwareProfile.parse(yaml: yaml + "\ngemm_efficiency:\n  - {rows: 1, efficiency: 0.25}\n  - {rows: 64, efficiency: 1}\nkernel_efficiency: 0.8\n")
        #expect(tuned.gemmEfficiency?.at(8) ?? 0 > 0.25)
        #expect(tuned.kernelEfficiency == 0.8)
        #expect(try HardwareProfile.parse(yaml: tuned.yaml()) == tuned)
        let config = try ExpertMeshConfig.parse(yaml: """
        model: {hidden: 256, layers: 1, heads: 8, experts: 16, top_k: 2, expert_ffn: 512}
        cluster: {coordinators: 1, workers: 1}
        workload: {mode: decode, sequences: 8, tokens: 16}
        """)
        let fast = try CostModel(PredictionRequest(config: config, hardware: plain)).predict().layers[0]
        let slow = try CostModel(PredictionRequest(config: config, hardware: tuned)).predict().layers[0]
        // About 1.5 tokens per expert that gets any (8 tokens × top-2 over 16 experts, 66 % of them
        // active): the curve's efficiency there, and the kernels' 0.8 on top.
        let rows = slow.tokensPerExpert / (1 - pow(1 - 2.0 / 16, 8))
        let efficiency = try #require(tuned.gemmEfficiency).at(rows)
        #expect(efficiency > 0.25 && efficiency < 0.5)
        #expect(abs(slow.experts.seconds / fast.experts.seconds - 1 / (efficiency * 0.8)) < 1e-6)
    }
}
