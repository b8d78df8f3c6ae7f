import MeshCore

extension PlacementPlan {
    /// The plan as text for a terminal: per layer, each worker's expected load and experts, the
    /// imbalance before and after, and why each replica was added.
    ///
    /// - Parameters:
    ///   - title: A first line, if any.
    ///   - unit: What a load counts, for the header (`tokens`, `tokens per step`).
    public func text(title: String? = nil, unit: String = "tokens") -> String {
        var lines: [String] = title.map { [$0] } ?? []
        let perNode = workers / max(nodes, 1)
        let legend = "loads in \(unit), imbalance = busiest worker over the mean (before = baseline), * = one of several copies"
        if layers.allSatisfy({ $0.source == .given }) {
            lines.append("given placement: \(workers) worker(s) on \(nodes) node(s), at most \(capacity) experts per worker; \(legend)")
        } else {
            lines.append("\(policy.rawValue) policy: \(workers) worker(s) on \(nodes) node(s), \(redundantPerWorker) redundant "
                         + "per worker, at most \(capacity) experts per worker; \(legend)")
        }
        lines += notes.map { "note: \($0)" }
        for plan in layers {
            lines.append("")
            var header = "layer \(plan.layer): imbalance \(Self.ratio(plan.baselineImbalance)) → \(Self.ratio(plan.imbalance)), "
                + "\(plan.copies.reduce(0, +)) copies"
            switch plan.source {
            case .planned:
                header += ", planned"
            case .given:
                break
            case .baseline(let added, let planned):
                header += ", baseline kept (the plan reached \(Self.ratio(planned))) with \(added) of "
                    + "\(workers * redundantPerWorker) replicas"
            }
            lines.append(header)
            if !plan.groupsOfNode.isEmpty, nodes > 1 {
                lines.append("  groups: " + plan.groupsOfNode.enumerated()
                    .map { "node \($0.offset) \($0.element.map(String.init).joined(separator: " "))" }.joined(separator: ", "))
            }
            let loads = plan.workerLoads.map(LoadText.format), before = plan.baselineWorkerLoads.map(LoadText.format)
            let loadWidth = max(4, loads.map(\.count).max() ?? 0), beforeWidth = max(6, before.map(\.count).max() ?? 0)
            lines.append("  worker" + (nodes > 1 ? "  node" : "") + "  " + Self.pad("load", loadWidth)
                         + "  " + Self.pad("before", beforeWidth) + "  experts")
            for (w, experts) in plan.experts.enumerated() {
                let names = experts.map { plan.copies[$0] > 1 ? "\($0)*" : "\($0)" }.joined(separator: " ")
                lines.append("  " + Self.pad("\(w)", 6) + (nodes > 1 ? "  " + Self.pad("\(w / perNode)", 4) : "")
                             + "  " + Self.pad(loads[w], loadWidth) + "  " + Self.pad(before[w], beforeWidth)
                             + "  " + (names.isEmpty ? "-" : names))
            }
            lines += plan.replicas.map { "  \($0.reason)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An imbalance with two decimals.
    static func ratio(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `text` right-aligned in `width` columns.
    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
