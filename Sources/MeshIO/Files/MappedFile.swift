#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when the value goes away.
///
/// Mapping costs no reads: the kernel pages bytes in when they are first touched, so a reader
/// that looks only at a header and one tensor reads only those pages. The mapping is private
/// and read-only, and the descriptor is closed right after `mmap` (the mapping keeps the file
/// alive).
///
/// It is `~Copyable` so that exactly one owner unmaps it. It is `Sendable` because the memory
/// is never written after creation. If another process truncates the file while it is mapped,
/// touching the lost pages raises SIGBUS: files are expected not to change while read.
struct MappedFile: ~Copyable, @unchecked Sendable {
    /// The path the file was opened with, for error messages.
    let path: String
    /// Start of the mapping; `nil` for an empty file, which cannot be mapped.
    private let base: UnsafeRawPointer?
    /// Size of the file in bytes.
    let count: Int

    /// Maps the regular file at `path`.
    ///
    /// - Throws: ``FormatError`` with `.missingFile` when nothing is at `path`, and
    ///   `.unreadableFile` when it is not a regular file or cannot be opened or mapped.
    init(path: String) throws {
        self.path = path
        (base, count) = try Self.map(path)
    }

    private static func map(_ path: String) throws -> (UnsafeRawPointer?, Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw FormatError(
                code == ENOENT ? .missingFile : .unreadableFile,
                path: path, detail: code == ENOENT ? "no such file" : "cannot open: \(systemMessage(code))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw FormatError(.unreadableFile, path: path, detail: "cannot stat: \(systemMessage(errno))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            let kind = (status.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file"
            throw FormatError(.unreadableFile, path: path, detail: "is \(kind), expected a file")
        }
        let count = Int(status.st_size)
        guard count > 0 else { return (nil, 0) }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw FormatError(.unreadableFile, path: path, detail: "cannot map \(count) bytes: \(systemMessage(errno))")
        }
        return (UnsafeRawPointer(address), count)
    }

    /// The file's bytes. Valid while `self` is alive; do not let the buffer escape.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }

    deinit {
        if let base {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        }
    }
}

/// The C library's message for an `errno` value, such as "Permission denied".
func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
