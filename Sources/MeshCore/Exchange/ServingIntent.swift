/// What a stepper would do in a serving step.
public enum ServingIntent: Sendable, Equatable {
    /// It has tokens to run.
    case step
    /// It has nothing to run now but requests still to come or to finish.
    case idle
    /// All its requests have completed.
    case finished
}

/// What the steppers agreed a serving step does.
public enum ServingDecision: Sendable, Equatable {
    /// Run the layers (with no token of one's own when idle or finished).
    case step
    /// Nobody has a token: run nothing, wait a little for arrivals.
    case skip
    /// Every stepper has finished.
    case stop
}
