import Foundation
import Yams

/// The machines a model is served on: one device kind, how many per node, and the links.
///
/// Read from YAML under `Cluster/hardware/` (``load(path:)``); every figure carries its source in
/// a comment there. All quantities are held in base units: bytes, seconds, FLOP/s, bytes/s.
public struct HardwareProfile: Sendable, Equatable {
    public struct Device: Sendable, Equatable {
        public var name: String
        /// Peak dense FLOP/s per dtype name (`fp32`, `bf16`, `fp8`, …).
        public var flopsPerSecond: [String: Double]
        public var memoryBytesPerSecond: Double
        public var memoryBytes: Double

        public init(name: String, flopsPerSecond: [String: Double], memoryBytesPerSecond: Double, memoryBytes: Double) {
            self.name = name
            self.flopsPerSecond = flopsPerSecond
            self.memoryBytesPerSecond = memoryBytesPerSecond
            self.memoryBytes = memoryBytes
        }
    }

    /// A link's bandwidth per direction (per device) and its one-way latency.
    public struct Link: Sendable, Equatable {
        public var bytesPerSecond: Double
        public var latencySeconds: Double

        public init(bytesPerSecond: Double, latencySeconds: Double) {
            self.bytesPerSecond = bytesPerSecond
            self.latencySeconds = latencySeconds
        }

        /// Seconds to move `bytes` one way.
        public func seconds(_ bytes: Double, efficiency: Double = 1) -> Double {
            bytes > 0 ? latencySeconds + bytes / (bytesPerSecond * efficiency) : 0
        }
    }

    /// The fraction of a link's bandwidth an all-to-all achieves: one factor, or a curve by the
    /// bytes one rank sends to one peer (interpolated in log of the size, clamped at the ends).
    public enum Efficiency: Sendable, Equatable {
        case constant(Double)
        case curve([(bytes: Double, efficiency: Double)])

        public func at(bytesPerPeer: Double) -> Double { at(bytesPerPeer) }

        /// The curve's value at `x` (bytes per peer, or rows of a GEMM).
        public func at(_ bytesPerPeer: Double) -> Double {
            switch self {
            case .constant(let value): return value
            case .curve(let points):
                guard let first = points.first, let last = points.last else { return 1 }
                if bytesPerPeer <= first.bytes { return first.efficiency }
                if bytesPerPeer >= last.bytes { return last.efficiency }
                for (a, b) in zip(points, points.dropFirst()) where bytesPerPeer <= b.bytes {
                    let t = (log(bytesPerPeer) - log(a.bytes)) / (log(b.bytes) - log(a.bytes))
                    return a.efficiency + t * (b.efficiency - a.efficiency)
                }
                return last.efficiency
            }
        }

        public static func == (l: Efficiency, r: Efficiency) -> Bool {
            switch (l, r) {
            case (.constant(let a), .constant(let b)): return a == b
            case (.curve(let a), .curve(let b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.bytes == $1.bytes && $0.efficiency == $1.efficiency }
            default: return false
            }
        }
    }

    public var name: String
    public var device: Device
    public var devicesPerNode: Int
    /// Total devices available, if the profile limits it (nil: as many as asked).
    public var devices: Int?
    public var intraNode: Link
    public var interNode: Link
    public var allToAllEfficiency: Efficiency
    /// The dtype whose peak FLOP/s the model's compute runs at.
    public var computeDType: String
    /// Cores per node, for CPU profiles: when more ranks than cores share a node, each gets
    /// `cores / ranks` of the device's FLOP/s and memory bandwidth (nil: no sharing, as on GPUs).
    public var coresPerNode: Int?
    /// The fraction of peak FLOP/s a GEMM of `rows` rows reaches (small GEMMs run below peak), as a
    /// curve by rows; nil: always peak.
    public var gemmEfficiency: Efficiency?
    /// The share of the GEMM rate whole layers reach once their other kernels (norms, rotary
    /// embedding, softmax, SiLU, gathers and copies) are counted; measured by `calibrate` for the
    /// runtime's own kernels. nil: 1.
    public var kernelEfficiency: Double?
    /// A fixed cost per decoder layer on each rank that runs attention, whatever the batch: the
    /// small kernels, allocations and bookkeeping a layer pays even for one token (CPU profiles;
    /// measured by `calibrate`). nil: 0.
    public var layerOverheadSeconds: Double?

    public init(name: String, device: Device, devicesPerNode: Int, devices: Int? = nil, intraNode: Link,
                interNode: Link, allToAllEfficiency: Efficiency, computeDType: String) {
        self.name = name
        self.device = device
        self.devicesPerNode = devicesPerNode
        self.devices = devices
        self.intraNode = intraNode
        self.interNode = interNode
        self.allToAllEfficiency = allToAllEfficiency
        self.computeDType = computeDType
    }

    /// Peak FLOP/s of the compute dtype.
    public var peakFlopsPerSecond: Double { device.flopsPerSecond[computeDType] ?? 0 }
}
