import Foundation
import MeshCore
import MeshIO

/// Weights read from a safetensors checkpoint: one file, a sharded index, or a model folder.
///
/// The checkpoint is memory-mapped and shards are opened only when one of their tensors is
/// asked for, so a worker pages in its own experts and nothing else. F16 and BF16 tensors are
/// converted to F32.
public struct CheckpointSource: WeightSource {
    public let checkpoint: SafeTensorsCheckpoint

    public init(path: String) throws {
        checkpoint = try SafeTensorsCheckpoint(contentsOf: path)
    }

    public func values(for spec: TensorSpec) throws -> [Float] {
        try checkpoint.floats(spec.name, expectedShape: spec.shape)
    }
}

/// Choosing and writing weight files.
public enum WeightFiles {
    /// The checkpoint at `path`, or seeded weights when there is none.
    public static func source(path: String?, seed: UInt64) throws -> any WeightSource {
        guard let path else { return SeededWeights(seed: seed) }
        return try CheckpointSource(path: path)
    }
}

extension WeightFiles {
    /// Writes every tensor of `model`, seeded with `seed`, with Hugging Face names.
    ///
    /// - Parameters:
    ///   - path: a `.safetensors` file, or a folder (created if needed) when `shardBytes` is given.
    ///   - dtype: `F32`, `F16` or `BF16`.
    /// - Returns: the number of tensors and of bytes of tensor data written.
    public static func save(model: ModelConfig, seed: UInt64, to path: String, dtype: String,
                            shardBytes: Int?) throws -> (tensors: Int, bytes: Int) {
        guard let stored = SafeTensorsDType(rawValue: dtype), [.float32, .float16, .bfloat16].contains(stored) else {
            throw ActivationError(path: path, detail: "dtype must be F32, F16 or BF16, found '\(dtype)'")
        }
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "generator": "expertmesh save-weights",
                                                  "seed": "\(seed)"])
        let seeded = SeededWeights(seed: seed)
        var bytes = 0
        let specs = TensorNames(model: model).all
        for spec in specs {
            writer.add(spec.name, shape: spec.shape, values: seeded.values(for: spec), as: stored)
            bytes += spec.shape.reduce(1, *) * stored.bytesPerElement
        }
        if let shardBytes {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try writer.writeSharded(toDirectory: path, maxShardBytes: shardBytes)
        } else {
            try writer.write(to: path)
        }
        return (specs.count, bytes)
    }
}
