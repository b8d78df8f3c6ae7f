import ArgumentParser
import MeshCore

/// The ranges a number on the command line must fall in, checked in `validate()`: before
/// anything is launched or written, and with the config's own limits where the flag sets a
/// config field.
enum Limits {
    /// Refuses seconds that are not finite, not above 0, or above `range`'s upper end
    /// (a day by default, `runtime.step_timeout`'s limit).
    ///
    /// - Throws: `ValidationError`, one line naming the flag.
    static func check(seconds: Double, flag: String, in range: ClosedRange<Double> = ConfigLimits.stepTimeoutSeconds) throws {
        guard seconds.isFinite, seconds > range.lowerBound, seconds <= range.upperBound else {
            throw ValidationError("\(flag): expected seconds > \(Int(range.lowerBound)) and at most \(Int(range.upperBound)), found \(seconds)")
        }
    }

    /// Refuses a count outside `range` (`workload.steps`'s by default).
    ///
    /// - Throws: `ValidationError`, one line naming the flag.
    static func check(count: Int, flag: String, in range: ClosedRange<Int> = ConfigLimits.steps) throws {
        guard range.contains(count) else {
            throw ValidationError(range.upperBound == .max ? "\(flag): expected at least \(range.lowerBound), found \(count)"
                                  : "\(flag): expected \(range.lowerBound)...\(range.upperBound), found \(count)")
        }
    }
}
