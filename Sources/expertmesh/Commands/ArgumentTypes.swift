import ArgumentParser
import MeshCore
import MeshLoadTest
import MeshModel
import MeshPlanning

// The libraries' enums, parsed from their raw values here so that no library imports
// ArgumentParser. A value that is no case exits with status 2 and one line naming the cases.

extension WireDType: ExpressibleByArgument {}
extension RunMode: ExpressibleByArgument {}
extension OutputKind: ExpressibleByArgument {}
extension Scaling: ExpressibleByArgument {}
extension LoadColumn: ExpressibleByArgument {}
extension PlacementPolicy: ExpressibleByArgument {}
extension DeploymentLayout: ExpressibleByArgument {}
