/// How the ranks of a deployment share the work.
public enum DeploymentLayout: String, Sendable, CaseIterable, Codable {
    /// Coordinator ranks run attention, workers hold experts (ExpertMesh's runtime, MegaScale-Infer).
    case disaggregated
    /// Every rank runs attention for its share of the batch and holds experts (DeepEP, DeepSeek).
    case colocated
}
