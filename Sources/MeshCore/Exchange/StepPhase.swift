/// What a step is, for metrics and the control word that starts it.
public enum StepPhase: String, Sendable {
    case prefill
    case decode
    /// A serving step: prompts of newly admitted requests and one token of every running one.
    case serving
}
