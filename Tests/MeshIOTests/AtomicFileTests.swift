import Foundation
import MeshIO
import Testing

@Suite("atomic file writes")
struct AtomicFileTests {
    struct Interrupted: Error {}

    @Test("writes the bytes and leaves no temporary file")
    func writes() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.write(Data("hello".utf8), to: directory.file("out.txt"))
        #expect(try directory.contents() == ["out.txt"])
        #expect(try String(contentsOfFile: directory.file("out.txt"), encoding: .utf8) == "hello")
    }

    @Test("the file gets the permissions of an ordinary new file (0666 less the umask)")
    func permissions() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.write(Data("x".utf8), to: directory.file("atomic"))
        let descriptor = open(directory.file("plain"), O_WRONLY | O_CREAT | O_EXCL, 0o666)
        #expect(descriptor >= 0)
        close(descriptor)
        func mode(_ name: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: directory.file(name))[.posixPermissions] as? Int
        }
        #expect(try mode("atomic") == mode("plain"))
    }

    @Test("replaces an existing file whole")
    func replaces() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.write(Array("a much longer old content".utf8), to: directory.file("out.txt"))
        try AtomicFile.write(Array("new".utf8), to: directory.file("out.txt"))
        #expect(try String(contentsOfFile: directory.file("out.txt"), encoding: .utf8) == "new")
        #expect(try directory.contents() == ["out.txt"])
    }

    @Test("streams pieces through the closure form")
    func streams() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.write(to: directory.file("out.bin")) { output in
            try output.write([UInt8]([1, 2]))
            try output.write(Data([3]))
            #expect(output.byteCount == 3)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("out.bin"))) == Data([1, 2, 3]))
    }

    @Test("a failure inside the write creates no destination and leaves no temporary file")
    func failureLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: directory.file("out.bin")) { output in
                try output.write([UInt8](repeating: 7, count: 1000))
                throw Interrupted()
            }
        }
        #expect(try directory.contents().isEmpty)
    }

    @Test("a failure keeps the previous file intact")
    func failureKeepsOldFile() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.write(Array("old".utf8), to: directory.file("out.txt"))
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: directory.file("out.txt")) { output in
                try output.write(Array("partial new".utf8))
                throw Interrupted()
            }
        }
        #expect(try String(contentsOfFile: directory.file("out.txt"), encoding: .utf8) == "old")
        #expect(try directory.contents() == ["out.txt"])
    }

    @Test("a missing folder or a destination that is a folder fails with writeFailed, leaving nothing")
    func unwritableDestinations() throws {
        let directory = try TemporaryDirectory()
        expectFormatError(.writeFailed, mentioning: [directory.file("missing/out.txt")]) {
            try AtomicFile.write(Data("x".utf8), to: directory.file("missing/out.txt"))
        }
        try FileManager.default.createDirectory(atPath: directory.file("folder"), withIntermediateDirectories: false)
        try directory.write([1], to: "folder/keep")
        expectFormatError(.writeFailed, mentioning: [directory.file("folder"), "move into place"]) {
            try AtomicFile.write(Data("x".utf8), to: directory.file("folder"))
        }
        #expect(try directory.contents() == ["folder"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("folder")) == ["keep"])
    }
}

/// A rank's failure record: written only when the environment names a folder, the first error
/// kept, read back lowest rank first.
@Suite(.serialized) struct FailureRecordTests {
    @Test func aRankRecordsItsFirstErrorInTheNamedFolder() throws {
        let folder = try TemporaryDirectory()
        unsetenv(FailureRecord.folderVariable)
        FailureRecord.note("nowhere")
        #expect(try folder.contents().isEmpty)
        setenv(FailureRecord.folderVariable, folder.path, 1)
        setenv("OMPI_COMM_WORLD_RANK", "2", 1)
        defer { unsetenv(FailureRecord.folderVariable); unsetenv("OMPI_COMM_WORLD_RANK") }
        FailureRecord.note("expertmesh: error: rank 2: first")
        FailureRecord.note("expertmesh: error: rank 2: a consequence")
        setenv("OMPI_COMM_WORLD_RANK", "0", 1)
        FailureRecord.note("expertmesh: error: rank 0: other")
        #expect(try folder.contents() == ["failure-rank-0.json", "failure-rank-2.json"])
        #expect(FailureRecord.read(folder: folder.path) == [FailureRecord(rank: 0, message: "expertmesh: error: rank 0: other"),
                                                             FailureRecord(rank: 2, message: "expertmesh: error: rank 2: first")])
        FailureRecord.clear(folder: folder.path)
        #expect(FailureRecord.read(folder: folder.path).isEmpty)
    }
}

/// Text input files are read in one place, and each way a file can fail is its own code.
@Suite struct TextFileTests {
    @Test func readsTextAndNamesEveryWayAFileCanFail() throws {
        let folder = try TemporaryDirectory()
        try folder.write(Array("a: 1\n".utf8), to: "ok.yaml")
        try folder.write([0xFF, 0xFE, 0x00], to: "binary.yaml")
        #expect(try TextFile.read(folder.file("ok.yaml"), what: "a config") == "a: 1\n")
        #expect(throws: InputFileError(.notFound, path: folder.file("none.yaml"), what: "a config")) {
            try TextFile.read(folder.file("none.yaml"), what: "a config")
        }
        #expect(throws: InputFileError(.isFolder, path: folder.path, what: "a config")) {
            try TextFile.read(folder.path, what: "a config")
        }
        #expect(throws: InputFileError(.notText, path: folder.file("binary.yaml"), what: "a config")) {
            try TextFile.read(folder.file("binary.yaml"), what: "a config")
        }
        #expect(InputFileError(.notFound, path: "p.yaml", what: "a config").description == "p.yaml: no such file (expected a config)")
    }
}
