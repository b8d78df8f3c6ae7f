import MeshCore
import MeshIO

/// A placement that cannot be planned as asked: the setting at fault and why.
///
/// The description is one line, `plan: FIELD: expected ..., found ...`, where FIELD names the
/// planner's setting (`workers`, `nodes`, `redundant`, `capacity`, `groups`, `policy`, `load`,
/// `baseline`).
public struct PlanningError: InputError, Equatable {
    public var field: String
    public var expected: String
    public var found: String

    public init(field: String, expected: String, found: String) {
        self.field = field
        self.expected = expected
        self.found = found
    }

    public var description: String { "plan: \(field): expected \(expected), found \(found)" }
}
