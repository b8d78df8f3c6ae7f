import Foundation
import Logging
import MeshIO
import MeshRuntime

/// Prints each log message as one line on standard error, its prefix made from the logger's
/// metadata (``MeshRuntime/LogLine/format(level:message:metadata:)``): the library writes what
/// happened, never who it is. Levels below error are dropped unless `EXPERTMESH_LOG` names one
/// (`debug`, `info`, …). An error line is also this rank's failure record
/// (``MeshIO/FailureRecord``) when whoever launched the job asked for one.
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
        let line = LogLine.format(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 })
        if event.level >= .error { FailureRecord.note(line) }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
