import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that readers see either the old file or the complete new one, never a part.
///
/// The bytes go to a temporary file in the destination's own directory (so that the final
/// `rename(2)` stays within one file system and is atomic), are flushed to disk with `fsync`,
/// and the temporary file is then renamed over the destination. If anything fails, including
/// an error thrown by the caller's closure, the temporary file is removed and the destination
/// is left as it was: absent if it was absent. A crash can at worst leave a hidden
/// `.NAME.tmp-*` file next to the destination, never a truncated destination.
///
/// Every command that writes an output file should write it this way.
public enum AtomicFile {
    /// Atomically replaces (or creates) the file at `path` with `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The complete new contents, for example `Data` or `[UInt8]`.
    ///   - path: The destination. Its directory must exist.
    /// - Throws: ``FormatError`` with code `.writeFailed` naming `path` and the system's reason.
    public static func write(_ bytes: some ContiguousBytes, to path: String) throws {
        try write(to: path) { output in
            try bytes.withUnsafeBytes { try output.write($0) }
        }
    }

    /// Atomically replaces (or creates) the file at `path` with what `body` writes.
    ///
    /// Use this form to stream large contents piece by piece without first joining them.
    ///
    /// - Parameters:
    ///   - path: The destination. Its directory must exist.
    ///   - body: Writes the contents through the given ``Output``. If it throws, nothing is
    ///     written to `path` and its error is rethrown.
    /// - Throws: ``FormatError`` with code `.writeFailed`, or whatever `body` throws.
    public static func write(to path: String, _ body: (inout Output) throws -> Void) throws {
        let (directory, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FormatError(.writeFailed, path: path, detail: "not a file name")
        }
        var temporaryPath = ""
        var descriptor: Int32 = -1
        for _ in 0..<16 {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            temporaryPath = directory + "/." + name + ".tmp-" + suffix
            descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            throw FormatError(
                .writeFailed, path: path,
                detail: "cannot create a temporary file in \(directory): \(systemMessage(errno))")
        }
        var output = Output(descriptor: descriptor, path: path)
        do {
            try body(&output)
            guard fsync(descriptor) == 0 else {
                throw FormatError(.writeFailed, path: path, detail: "cannot flush to disk: \(systemMessage(errno))")
            }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else {
                throw FormatError(.writeFailed, path: path, detail: "cannot close: \(systemMessage(errno))")
            }
            guard rename(temporaryPath, path) == 0 else {
                throw FormatError(.writeFailed, path: path, detail: "cannot move into place: \(systemMessage(errno))")
            }
        } catch {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporaryPath)
            throw error
        }
        // Make the rename itself durable. A failure here loses nothing already visible, so it
        // is not reported.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Where ``AtomicFile/write(to:_:)`` lets its closure write.
    ///
    /// Valid only inside that closure.
    public struct Output: ~Copyable {
        fileprivate let descriptor: Int32
        fileprivate let path: String

        /// The number of bytes written so far.
        public private(set) var byteCount = 0

        fileprivate init(descriptor: Int32, path: String) {
            self.descriptor = descriptor
            self.path = path
        }

        /// Appends `bytes` to the file.
        ///
        /// - Throws: ``FormatError`` with code `.writeFailed` (disk full, I/O error...).
        public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard var next = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = systemWrite(descriptor, next, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FormatError(
                        .writeFailed, path: path,
                        detail: "cannot write after \(byteCount) bytes: \(systemMessage(errno))")
                }
                next += written
                remaining -= written
                byteCount += written
            }
        }

        /// Appends `bytes` (for example `Data` or `[UInt8]`) to the file.
        ///
        /// - Throws: ``FormatError`` with code `.writeFailed`.
        public mutating func write(_ bytes: some ContiguousBytes) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }
    }

    /// Splits a path into its directory ("." when there is none) and its last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}

/// `write(2)`, named apart from the methods called `write` above.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, buffer, count)
    #else
    Darwin.write(descriptor, buffer, count)
    #endif
}
