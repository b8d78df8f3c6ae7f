extension Placement {
    /// The placement as a placement file, which a config's `cluster.placement: {file: PATH}` reads.
    ///
    /// A mapping with one key, `placement`, holding the config's explicit placement list: one
    /// entry per worker with its `per_layer` lists, one list of ascending expert ids per MoE layer.
    ///
    /// ```yaml
    /// # comments...
    /// placement:
    ///   - worker: 0
    ///     per_layer:
    ///       - [0, 3, 5]   # layer 1
    ///       - [1, 2]      # layer 2
    /// ```
    ///
    /// - Parameters:
    ///   - layers: The model's index of each MoE layer, written as a comment after its list;
    ///     nil for no such comments.
    ///   - comments: Lines written first, each after `# `.
    public func yaml(layers: [Int]? = nil, comments: [String] = []) -> String {
        var text = comments.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false) }
            .map { "# \($0)".trimmingTrailingSpaces + "\n" }.joined()
        text += "placement:\n"
        for w in 0..<workers {
            text += "  - worker: \(w)\n    per_layer:\n"
            let lists = experts.map { "[" + $0[w].sorted().map(String.init).joined(separator: ", ") + "]" }
            let width = lists.map(\.count).max() ?? 0
            for (m, list) in lists.enumerated() {
                if let layers {
                    text += "      - " + list + String(repeating: " ", count: width - list.count) + "   # layer \(layers[m])\n"
                } else {
                    text += "      - \(list)\n"
                }
            }
        }
        return text
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
