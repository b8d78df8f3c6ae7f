import Foundation
import Logging

/// Prints each log message of level error and above as one line on standard error, as written:
/// the library's messages already say `expertmesh: error: …`. Lower levels are dropped unless
/// `EXPERTMESH_LOG` names a level (`debug`, `info`, …).
struct OneLineLogHandler: LogHandler {
    var logLevel: Logger.Level = {
        ProcessInfo.processInfo.environment["EXPERTMESH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
    }()
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        FileHandle.standardError.write(Data("\(event.message)\n".utf8))
    }
}
