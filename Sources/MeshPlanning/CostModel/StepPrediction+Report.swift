import Foundation
import MeshCore

extension StepPrediction {
    /// A readable report: per layer, per step, the bottleneck, and what doubling buys.
    public func text(title: String) -> String {
        func us(_ s: Double) -> String { String(format: "%9.1f", s * 1e6) }
        var lines = [title]
        lines.append("layer  kind   attention    router  shared/MLP   experts  dispatch   combine   (µs; experts = busiest worker)")
        var previous: String?
        for l in layers {
            let row = [l.attention, l.router, l.mlp, l.experts].map { us($0.seconds) }.joined(separator: " ")
                + " " + us(l.dispatch.seconds) + " " + us(l.combine.seconds)
            // Identical layers are folded into one line, as DeepSeek-V3's 58 MoE layers would flood the screen.
            let key = (l.moe ? "moe" : "dense") + row
            if key == previous, l.layer != layers.last?.layer { continue }
            lines.append(String(format: "%5d  %@ ", l.layer, (l.moe ? "moe  " : "dense") as NSString) + row
                         + (key == previous ? "   (and the layers above)" : ""))
            previous = key
        }
        let total = components.reduce(0) { $0 + $1.seconds }
        lines.append(String(format: "step: %.3f ms for %d tokens: %.0f tokens/s (overlap: %@)", stepSeconds * 1e3, tokens,
                            tokensPerSecond, overlap.name as NSString))
        lines.append("components, summed over layers:")
        for c in components where c.seconds > 0 {
            let name = c.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            lines.append("  " + name + String(format: " %10.3f ms  %5.1f%%", c.seconds * 1e3, 100 * c.seconds / max(total, 1e-30)))
        }
        if let moe = layers.first(where: \.moe) {
            lines.append(String(format: "per MoE layer: %.1f tokens per expert, %.1f experts per worker, busiest rank moves %.3f MB in dispatch (%.3f MB over the NIC)",
                                moe.tokensPerExpert, expertsPerWorker, moe.dispatch.bytes / 1e6, moe.dispatch.interNodeBytes / 1e6))
        }
        if imbalance > 1.0001 {
            lines.append(String(format: "load: the busiest worker gets %.2fx the mean tokens (first MoE layer)", imbalance))
        }
        lines.append("bottleneck: \(bottleneck)")
        lines.append(String(format: "2x link bandwidth: %.2fx throughput; 2x FLOP/s: %.2fx throughput", gainFromDoubleBandwidth, gainFromDoubleFlops))
        return lines.joined(separator: "\n")
    }

    /// The same as a JSON object.
    public func json() throws -> Data {
        func roof(_ r: Roofline) -> [String: Any] {
            ["seconds": r.seconds, "flops": r.flops, "bytes": r.bytes, "compute_bound": r.computeBound]
        }
        func link(_ l: LinkTime) -> [String: Any] {
            ["seconds": l.seconds, "bytes": l.bytes, "inter_node_bytes": l.interNodeBytes,
             "intra_node_bytes": l.intraNodeBytes, "inter_node_bound": l.interNodeBound]
        }
        let object: [String: Any] = [
            "step_seconds": stepSeconds,
            "tokens": tokens,
            "tokens_per_second": tokensPerSecond,
            "overlap": overlap.name,
            "nodes": nodes,
            "imbalance": imbalance,
            "bottleneck": bottleneck,
            "gain_from_double_bandwidth": gainFromDoubleBandwidth,
            "gain_from_double_flops": gainFromDoubleFlops,
            "components": Dictionary(uniqueKeysWithValues: components.map { ($0.name, $0.seconds) }),
            "layers": layers.map { l in
                ["layer": l.layer, "moe": l.moe, "attention": roof(l.attention), "router": roof(l.router),
                 "mlp": roof(l.mlp), "experts": roof(l.experts), "tokens_per_expert": l.tokensPerExpert,
                 "dispatch": link(l.dispatch), "combine": link(l.combine)] as [String: Any]
            },
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    }
}
