import Foundation
import MeshIO
import Testing

/// A fresh directory under the system's temporary folder, removed with everything in it when
/// the value goes away.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("MeshIOTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String {
        path + "/" + name
    }

    /// The names in the directory, sorted (hidden temporary files included).
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    /// Writes `bytes` to `name` directly (not atomically), for fixtures.
    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` and checks that it throws a ``FormatError`` with `code` whose one-line
/// description contains every string of `fragments`.
///
/// - Returns: The error, for further checks.
@discardableResult
func expectFormatError(
    _ code: FormatError.Code,
    mentioning fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> FormatError? {
    do {
        try body()
        Issue.record("expected a FormatError (\(code)), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as FormatError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "'\(fragment)' not in: \(error)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a FormatError (\(code)), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Bytes from a hexadecimal string (fixtures produced by numpy and safetensors by hand).
func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}

/// The little-endian bytes of `value`.
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// The little-endian bytes of Floats.
func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { littleEndianBytes($0.bitPattern) }
}
