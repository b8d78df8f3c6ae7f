import MeshCore
import MeshModel
import MeshTensor

extension CalibrationSession {
    /// The whole model's forward pass on rank 0 alone, against the cost model's prediction of it.
    ///
    /// The cost model counts GEMM FLOPs and bytes; a real decoder layer also normalises, rotates,
    /// takes softmaxes and SiLUs, gathers and copies. Timing the single-process reference (the same
    /// kernels the coordinator and workers run) on the config's workload, and dividing the model's
    /// prediction for one rank that does everything (colocated, one worker) by it, gives the share
    /// of the GEMM rate the layers reach: the profile's `kernel_efficiency`.
    ///
    /// - Returns: (measured seconds, predicted seconds at kernel efficiency 1) on rank 0; nil
    ///   elsewhere, or when the model is too large to hold in one process (over 2 GB of weights).
    func measureLayers(profile: HardwareProfile) throws -> (measured: Double, predicted: Double)? {
        let config = request.config
        let weightBytes = TensorNames(model: config.model).all.reduce(0) { $0 + $1.shape.reduce(4, *) }
        guard weightBytes < 2_000_000_000 else {
            try barrier()
            return nil
        }
        let result = try alone { () throws -> (Double, Double) in
            let model = ReferenceModel(weights: try ModelWeights(model: config.model, source: SeededWeights(seed: config.weights.seed),
                                                                 ownership: .everything(config.model)))
            let prompts = model.head.initialStates(Activations.generated(config.workload, model: config.model))
            var stepper = ReferenceStepper(model: model)
            var times: [Double] = []
            for _ in 0..<4 {
                let start = monotonicSeconds()
                _ = try Generation.run(&stepper, prompts: prompts, mode: .prefill, steps: 1, head: model.head)
                times.append(monotonicSeconds() - start)
            }
            var single = config
            single.cluster.layout = .colocated
            single.cluster.workers = 1
            single.cluster.nodeOfRank = []
            single.placement = Placement(strategy: .contiguous, experts: config.model.experts, workers: 1,
                                         moeLayers: config.model.moeLayers.count)
            single.workload.mode = .prefill
            var unit = profile
            unit.kernelEfficiency = nil
            unit.devicesPerNode = 1
            let predicted = CostModel(PredictionRequest(config: single, hardware: unit)).predictOnce(unit).stepSeconds
            return (RunReport.median(Array(times.dropFirst())), predicted)
        }
        return result.map { (measured: $0.0, predicted: $0.1) }
    }
}
