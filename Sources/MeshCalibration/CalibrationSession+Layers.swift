import MeshCore
import MeshModel
import MeshPlanning
import MeshRuntime
import MeshTensor

extension CalibrationSession {
    /// The whole model's forward pass on rank 0 alone, against the cost model's prediction of it.
    ///
    /// The cost model counts GEMM FLOPs and bytes; a real decoder layer also normalises, rotates,
    /// takes softmaxes and SiLUs, gathers, copies and keeps books, some of it whatever the batch.
    /// Timing the single-process reference (the same kernels the coordinator and workers run) at
    /// the config's batch and at 4 tokens, against the model's prediction for one rank that does
    /// everything (colocated, one worker), fits the profile's `kernel_efficiency` (the share of the
    /// GEMM rate the layers reach) and `layer_overhead` (the fixed cost of a layer).
    ///
    /// - Returns: the two timings on rank 0; nil elsewhere, or when the model is too large to hold
    ///   in one process (over 2 GB of weights).
    func measureLayers(profile: HardwareProfile) throws -> LayerTiming? {
        let config = request.config
        try job.agree("the model's prefill on rank 0")
        let weightBytes = TensorNames(model: config.model).all.reduce(0) { $0 + $1.shape.reduce(4, *) }
        guard weightBytes < 2_000_000_000 else {
            try barrier()
            return nil
        }
        let result = try alone { () throws -> LayerTiming in
            let model = ReferenceModel(weights: try ModelWeights(model: config.model, source: SeededWeights(seed: config.weights.seed),
                                                                 ownership: .everything(config.model)))
            var unit = profile
            unit.kernelEfficiency = nil
            unit.layerOverheadSeconds = nil
            unit.devicesPerNode = 1
            /// The reference's prefill of `workload` (median of 3 after one warm-up), and the
            /// cost model's prediction of it on one rank that does everything.
            func time(_ workload: WorkloadConfig) throws -> (measured: Double, predicted: Double) {
                let prompts = model.head.initialStates(Activations.generated(workload, model: config.model))
                var stepper = ReferenceStepper(model: model)
                var times: [Double] = []
                for _ in 0..<4 {
                    let start = monotonicSeconds()
                    _ = try Generation.run(&stepper, prompts: prompts, mode: .prefill, steps: 1, head: model.head)
                    times.append(monotonicSeconds() - start)
                }
                var single = config
                single.workload = workload
                single.workload.mode = .prefill
                single.cluster.layout = .colocated
                single.cluster.workers = 1
                single.cluster.nodeOfRank = []
                single.placement = Placement(strategy: .contiguous, experts: config.model.experts, workers: 1,
                                             moeLayers: config.model.moeLayers.count)
                let predicted = CostModel(PredictionRequest(config: single, hardware: unit)).predictOnce(unit).stepSeconds
                return (median(of: Array(times.dropFirst())), predicted)
            }
            var small = config.workload
            small.sequences = 1
            small.tokens = 4
            return LayerTiming(large: try time(config.workload), small: try time(small), layers: config.model.layers)
        }
        return result
    }
}

/// The reference's prefill at the config's batch and at a 4-token batch, with the cost model's
/// GEMM-roofline predictions of both: two points that fit `measured = predicted / kernel
/// efficiency + layers × layer overhead`.
public struct LayerTiming: Sendable {
    public var large: (measured: Double, predicted: Double)
    public var small: (measured: Double, predicted: Double)
    public var layers: Int

    public init(large: (measured: Double, predicted: Double), small: (measured: Double, predicted: Double), layers: Int) {
        self.large = large
        self.small = small
        self.layers = layers
    }

    /// The share of the GEMM rate the layers reach: the slope between the two points.
    public var kernelEfficiency: Double {
        let slope = (large.measured - small.measured) / (large.predicted - small.predicted)
        return slope > 0 ? min(1, 1 / slope) : min(1, large.predicted / large.measured)
    }

    /// The fixed cost of one layer: what the small batch took beyond its work at that efficiency.
    public var layerOverheadSeconds: Double {
        max(0, (small.measured - small.predicted / kernelEfficiency) / Double(layers))
    }
}
