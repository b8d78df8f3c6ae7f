import Foundation
import Synchronization

/// The weights of a model stored as one or several safetensors files.
///
/// A checkpoint can be opened from:
/// - one `.safetensors` file;
/// - an index JSON as Hugging Face writes it (`model.safetensors.index.json`):
///   `{"metadata": {"total_size": ...}, "weight_map": {"tensor.name": "model-00001-of-00002.safetensors", ...}}`,
///   shard names relative to the index's folder;
/// - a folder, which must hold `model.safetensors.index.json`, else `model.safetensors`, else
///   one or more `*.safetensors` files, hidden ones excepted (all of which are then opened to
///   learn their tensors).
///
/// With an index, a shard is mapped only when one of its tensors is first asked for, and
/// mapping reads no tensor data; so a rank that needs a few experts touches only their pages.
/// Opened shards stay open (mapped) until the checkpoint goes away. Safe to use from several
/// threads.
///
/// Format of each file: an 8-byte little-endian header length `N`, `N` bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {str: str}}`), then the data section the offsets are relative to.
public final class SafeTensorsCheckpoint: Sendable {
    /// The path the checkpoint was opened from (file, folder or index).
    public let path: String
    /// The shard file holding each tensor.
    private let shardOfTensor: [String: String]
    /// Shards opened so far, by path.
    private let openShards: Mutex<[String: SafeTensorsFile]>

    /// The file name of a Hugging Face shard index.
    public static let indexFileName = "model.safetensors.index.json"
    /// The file name of a single-file Hugging Face checkpoint.
    public static let singleFileName = "model.safetensors"

    /// Opens the checkpoint at `path` (a `.safetensors` file, an index `.json`, or a folder).
    ///
    /// Reads the index, or the headers of the files when there is no index; checks that every
    /// shard the index names exists.
    ///
    /// - Throws: ``FormatError``: `.missingFile` (the path, or a shard the index names),
    ///   `.malformedHeader` (an index that is not the JSON described above, or a folder with no
    ///   safetensors file), `.duplicateTensor` (a tensor in two files of an unindexed folder),
    ///   or any error of ``SafeTensorsFile/init(contentsOf:)``.
    public init(contentsOf path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FormatError(.missingFile, path: path, detail: "no such file or folder")
        }
        if isDirectory.boolValue {
            let folder = path
            let index = Self.join(folder, Self.indexFileName)
            let single = Self.join(folder, Self.singleFileName)
            if FileManager.default.fileExists(atPath: index) {
                shardOfTensor = try Self.readIndex(index)
                openShards = Mutex([:])
            } else if FileManager.default.fileExists(atPath: single) {
                let file = try SafeTensorsFile(contentsOf: single)
                shardOfTensor = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, single) })
                openShards = Mutex([single: file])
            } else {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                let files = names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.sorted().map { Self.join(folder, $0) }
                guard !files.isEmpty else {
                    throw FormatError(
                        .missingFile, path: path,
                        detail: "the folder has no \(Self.indexFileName), \(Self.singleFileName) or other *.safetensors file")
                }
                var shardOfTensor: [String: String] = [:]
                var opened: [String: SafeTensorsFile] = [:]
                for file in files {
                    let shard = try SafeTensorsFile(contentsOf: file)
                    opened[file] = shard
                    for name in shard.tensorNames {
                        if let other = shardOfTensor.updateValue(file, forKey: name) {
                            throw FormatError(.duplicateTensor, path: file, detail: "tensor '\(name)' is also in \(other)")
                        }
                    }
                }
                self.shardOfTensor = shardOfTensor
                openShards = Mutex(opened)
            }
        } else if path.hasSuffix(".json") {
            shardOfTensor = try Self.readIndex(path)
            openShards = Mutex([:])
        } else {
            let file = try SafeTensorsFile(contentsOf: path)
            shardOfTensor = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, path) })
            openShards = Mutex([path: file])
        }
    }

    /// The names of all tensors, sorted.
    public var tensorNames: [String] {
        shardOfTensor.keys.sorted()
    }

    /// Whether the checkpoint has a tensor called `name` (opens no shard).
    public func contains(_ name: String) -> Bool {
        shardOfTensor[name] != nil
    }

    /// The path of the shard file holding `name`, or `nil` if no shard does (opens no shard).
    public func shardPath(of name: String) -> String? {
        shardOfTensor[name]
    }

    /// The paths of the shards mapped so far, sorted.
    public var openedShardPaths: [String] {
        openShards.withLock { $0.keys.sorted() }
    }

    /// The shard file holding `name`, opened (mapped) on first use.
    ///
    /// - Throws: ``FormatError`` with `.missingTensor` naming the tensor and the checkpoint, or
    ///   any error of ``SafeTensorsFile/init(contentsOf:)`` for the shard.
    public func file(containing name: String) throws -> SafeTensorsFile {
        guard let shardPath = shardOfTensor[name] else {
            throw FormatError(
                .missingTensor, path: path,
                detail: "no tensor '\(name)' in this checkpoint (\(shardOfTensor.count) tensors)")
        }
        let file = try openShards.withLock { shards throws -> SafeTensorsFile in
            if let file = shards[shardPath] { return file }
            let file = try SafeTensorsFile(contentsOf: shardPath)
            shards[shardPath] = file
            return file
        }
        guard file.contains(name) else {
            throw FormatError(
                .missingTensor, path: shardPath,
                detail: "tensor '\(name)' is assigned to this shard by the index of \(path) but is not in it")
        }
        return file
    }

    /// The dtype, shape and offsets of the tensor called `name` (opens its shard).
    ///
    /// - Throws: as ``file(containing:)``.
    public func info(_ name: String) throws -> SafeTensorsTensorInfo {
        // `file(containing:)` has checked that the tensor is there.
        try file(containing: name).info(name)!
    }

    /// The tensor's elements converted to `Float`; see ``SafeTensorsFile/floats(_:)``.
    ///
    /// - Throws: as ``file(containing:)`` and ``SafeTensorsFile/floats(_:)``.
    public func floats(_ name: String) throws -> [Float] {
        try file(containing: name).floats(name)
    }

    /// The tensor's elements converted to `Float`, after checking its shape.
    ///
    /// - Throws: ``FormatError`` with `.shapeMismatch` naming the shard, the tensor, the shape
    ///   expected and the shape found; `.missingTensor` naming the tensor and the checkpoint.
    public func floats(_ name: String, expectedShape: [Int]) throws -> [Float] {
        try file(containing: name).floats(name, expectedShape: expectedShape)
    }

    /// Converts the tensor's elements to `Float` into caller-owned storage; see
    /// ``SafeTensorsFile/readFloats(_:into:)``.
    public func readFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try file(containing: name).readFloats(name, into: destination)
    }

    /// Calls `body` with the tensor's raw bytes, without copying; see
    /// ``SafeTensorsFile/withUnsafeBytes(of:_:)``.
    public func withUnsafeBytes<Result>(
        of name: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        try file(containing: name).withUnsafeBytes(of: name, body)
    }

    // MARK: - Index

    /// Reads a shard index and returns the shard path of each tensor.
    private static func readIndex(_ indexPath: String) throws -> [String: String] {
        func fail(_ detail: String) -> FormatError {
            FormatError(.malformedHeader, path: indexPath, detail: detail)
        }
        let mapping = try MappedFile(path: indexPath)
        let json: JSONValue
        do {
            json = try JSONValue.parse(mapping.bytes)
        } catch {
            throw fail("the index is not valid JSON: \(error)")
        }
        guard case .object(let members) = json else {
            throw fail("the index is not a JSON object")
        }
        switch members["metadata"] {
        case nil, .object?, .null?: break
        case let other?: throw fail("'metadata' is \(other.kindName), expected an object")
        }
        guard case .object(let weightMap)? = members["weight_map"] else {
            throw fail("the index has no 'weight_map' object")
        }
        let folder = AtomicFile.split(indexPath).directory
        var shardOfTensor: [String: String] = [:]
        var shardPaths = Set<String>()
        for (name, value) in weightMap {
            guard case .string(let shard) = value else {
                throw fail("weight_map entry '\(name)' is \(value.kindName), expected a file name")
            }
            let components = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard !shard.isEmpty, !shard.hasPrefix("/"), !components.contains(".."), !components.contains("") else {
                throw fail("weight_map entry '\(name)' names '\(shard)', expected a file name relative to the index's folder")
            }
            let shardPath = join(folder, shard)
            shardOfTensor[name] = shardPath
            shardPaths.insert(shardPath)
        }
        for shardPath in shardPaths.sorted() where !FileManager.default.fileExists(atPath: shardPath) {
            throw FormatError(.missingFile, path: shardPath, detail: "shard named by the index \(indexPath) does not exist")
        }
        return shardOfTensor
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
