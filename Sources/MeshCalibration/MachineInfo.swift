import Foundation

/// What Linux says about this machine: the CPU model, cores, memory and caches.
///
/// Read from `/proc/cpuinfo`, `/proc/meminfo` and `/sys/devices/system/cpu/cpu0/cache`; every
/// field is optional where the file may be missing (another OS, a container hiding `/sys`).
struct MachineInfo: Sendable {
    /// The first `model name` of `/proc/cpuinfo`, such as `Intel(R) Xeon(R) Processor`.
    var cpuModel: String
    /// Cores this process may run on.
    var cores: Int
    /// `MemTotal` of `/proc/meminfo`, in bytes.
    var memoryBytes: Int?
    /// `MemAvailable` of `/proc/meminfo`, in bytes.
    var availableMemoryBytes: Int?
    /// The largest cache of CPU 0 and its level, such as (272 629 760, 3).
    var largestCache: (bytes: Int, level: Int)?

    /// Reads the machine's files.
    static func current() -> MachineInfo {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        let meminfo = read("/proc/meminfo").map(parseMeminfo) ?? [:]
        var largest: (bytes: Int, level: Int)?
        let cacheRoot = "/sys/devices/system/cpu/cpu0/cache"
        for index in (try? FileManager.default.contentsOfDirectory(atPath: cacheRoot)) ?? [] where index.hasPrefix("index") {
            guard let size = read("\(cacheRoot)/\(index)/size").flatMap(parseCacheSize),
                  let level = read("\(cacheRoot)/\(index)/level").flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            else { continue }
            if size > largest?.bytes ?? 0 { largest = (size, level) }
        }
        return MachineInfo(
            cpuModel: read("/proc/cpuinfo").flatMap(parseCPUModel) ?? "unknown CPU",
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: meminfo["MemTotal"], availableMemoryBytes: meminfo["MemAvailable"],
            largestCache: largest)
    }

    /// The first `model name` in `/proc/cpuinfo` text, with runs of spaces collapsed and the
    /// characters a double-quoted YAML string cannot hold unescaped (`"`, `\`) removed.
    static func parseCPUModel(_ text: String) -> String? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "model name" else { continue }
            let words = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" })
            let model = words.joined(separator: " ").filter { $0 != "\"" && $0 != "\\" }
            return model.isEmpty ? nil : model
        }
        return nil
    }

    /// The `kB` fields of `/proc/meminfo` text, in bytes: `["MemTotal": 25276502016, …]`.
    static func parseMeminfo(_ text: String) -> [String: Int] {
        var fields: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].split(separator: " ")
            guard let number = value.first.flatMap({ Int($0) }) else { continue }
            fields[String(parts[0])] = value.count > 1 && value[1] == "kB" ? number * 1024 : number
        }
        return fields
    }

    /// A `/sys` cache size such as `266240K` or `4M`, in bytes.
    static func parseCacheSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let multiples: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = trimmed.last, let multiple = multiples[last] {
            return Int(trimmed.dropLast()).map { $0 * multiple }
        }
        return Int(trimmed)
    }
}
