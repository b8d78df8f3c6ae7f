import Foundation

/// Collects tensors and writes them as a safetensors file, or as shards with an index.
///
/// Files are laid out as the reference implementation (huggingface/safetensors
/// `serialize`) lays them out: `__metadata__` first when there is any, tensors ordered by
/// decreasing element size and then by name, packed without gaps, and the JSON header padded
/// with spaces to a multiple of 8 bytes, so that with the 8-byte length in front every tensor
/// starts at a multiple of its element size. Every file is written atomically (see
/// ``AtomicFile``).
///
/// ```swift
/// var writer = SafeTensorsWriter(metadata: ["format": "pt"])
/// writer.add("model.embed_tokens.weight", shape: [vocab, hidden], values: embedding, as: .bfloat16)
/// try writer.write(to: "out/model.safetensors")
/// ```
public struct SafeTensorsWriter: Sendable {
    /// The `__metadata__` string map written into every file (omitted when empty).
    public var metadata: [String: String]
    private var entries: [String: Entry] = [:]

    private struct Entry: Sendable {
        var dtype: SafeTensorsDType
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// Creates an empty writer.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The names of the tensors added so far, sorted.
    public var tensorNames: [String] {
        entries.keys.sorted()
    }

    /// Adds a tensor of `Float` values, stored as `dtype`.
    ///
    /// The values are converted now (rounding to nearest even for BF16, F16 and F8_E4M3; F8_E4M3
    /// saturates at ±448), so the writer holds only the stored bytes.
    ///
    /// - Parameters:
    ///   - name: The tensor's name; must not be `__metadata__` or already added.
    ///   - shape: Its dimensions, outermost first; their product must equal `values.count`.
    ///   - values: The elements in row-major order.
    ///   - dtype: `.float32` (default), `.float16`, `.bfloat16`, `.float64` or `.float8E4M3`.
    public mutating func add(_ name: String, shape: [Int], values: [Float], as dtype: SafeTensorsDType = .float32) {
        precondition(
            [.float32, .float16, .bfloat16, .float64, .float8E4M3].contains(dtype),
            "SafeTensorsWriter: cannot store Float values as \(dtype.rawValue)")
        precondition(
            shape.allSatisfy { $0 >= 0 } && NPYArray.elementCount(shape) == values.count,
            "SafeTensorsWriter: tensor '\(name)' shape \(shape) does not match \(values.count) values")
        insert(name, Entry(dtype: dtype, shape: shape, bytes: dtype.encodeFloats(values)))
    }

    /// Adds a tensor given as raw little-endian bytes of any dtype (for integer tensors, or
    /// to copy a tensor unchanged).
    ///
    /// - Parameters:
    ///   - name: The tensor's name; must not be `__metadata__` or already added.
    ///   - dtype: The element type of `bytes`.
    ///   - shape: Its dimensions; `bytes.count` must be their product × `dtype.bytesPerElement`.
    ///   - bytes: The elements in row-major order.
    public mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        precondition(
            shape.allSatisfy { $0 >= 0 } && NPYArray.elementCount(shape).map { $0 * dtype.bytesPerElement } == bytes.count,
            "SafeTensorsWriter: tensor '\(name)' shape \(shape) of \(dtype.rawValue) does not match \(bytes.count) bytes")
        insert(name, Entry(dtype: dtype, shape: shape, bytes: bytes))
    }

    private mutating func insert(_ name: String, _ entry: Entry) {
        precondition(name != "__metadata__", "SafeTensorsWriter: '__metadata__' is reserved")
        precondition(entries.updateValue(entry, forKey: name) == nil, "SafeTensorsWriter: tensor '\(name)' added twice")
    }

    // MARK: - One file

    /// The complete bytes of a file holding every tensor added.
    public func encoded() -> [UInt8] {
        let names = fileOrder(entries.keys)
        var bytes = header(for: names)
        for name in names {
            bytes += entries[name]!.bytes
        }
        return bytes
    }

    /// Writes every tensor added to one file at `path`, atomically.
    ///
    /// - Throws: ``FormatError`` with code `.writeFailed`.
    public func write(to path: String) throws {
        try write(fileOrder(entries.keys), to: path)
    }

    private func write(_ names: [String], to path: String) throws {
        let header = header(for: names)
        try AtomicFile.write(to: path) { output in
            try output.write(header)
            for name in names {
                try output.write(entries[name]!.bytes)
            }
        }
    }

    /// Reference order: decreasing element size (so every tensor is aligned), then name.
    private func fileOrder(_ names: some Sequence<String>) -> [String] {
        names.sorted { left, right in
            let (leftSize, rightSize) = (entries[left]!.dtype.bytesPerElement, entries[right]!.dtype.bytesPerElement)
            return leftSize != rightSize ? leftSize > rightSize : left < right
        }
    }

    /// The 8-byte length and the JSON header, padded with spaces to a multiple of 8 bytes.
    private func header(for names: [String]) -> [UInt8] {
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { JSONText.quoted($0) + ":" + JSONText.quoted(metadata[$0]!) }
            members.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            let entry = entries[name]!
            let shape = entry.shape.map(String.init).joined(separator: ",")
            members.append(
                JSONText.quoted(name) + ":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
            offset += entry.bytes.count
        }
        var json = Array(("{" + members.joined(separator: ",") + "}").utf8)
        json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        return bytes + json
    }

    // MARK: - Shards

    /// Writes the tensors as shards of at most `maxShardBytes` of tensor data each, plus a
    /// Hugging Face index, into `directory`.
    ///
    /// Tensors are assigned in name order: a new shard starts when the next tensor would push
    /// the current one past `maxShardBytes`, and a tensor larger than that gets a shard of its
    /// own (as `transformers`' `shard_checkpoint` does). Shards are named
    /// `PREFIX-00001-of-0000N.safetensors` and each carries ``metadata``; the index
    /// `PREFIX.safetensors.index.json` maps every tensor to its shard and records
    /// `metadata.total_size`, the sum of the tensors' byte sizes. The index is written last, so
    /// it never names a shard that is not complete. Files from an earlier run with other
    /// names are left alone.
    ///
    /// - Parameters:
    ///   - directory: An existing folder.
    ///   - maxShardBytes: The largest amount of tensor data in one shard; positive.
    ///   - prefix: The base name of the files, `model` by default.
    /// - Returns: The names of the files written, shards first, then the index.
    /// - Throws: ``FormatError`` with code `.writeFailed`.
    @discardableResult
    public func writeSharded(toDirectory directory: String, maxShardBytes: Int, prefix: String = "model") throws -> [String] {
        precondition(maxShardBytes > 0, "SafeTensorsWriter: maxShardBytes must be positive")
        var shards: [[String]] = []
        var currentBytes = 0
        for name in entries.keys.sorted() {
            let size = entries[name]!.bytes.count
            if shards.isEmpty || (!shards[shards.count - 1].isEmpty && currentBytes + size > maxShardBytes) {
                shards.append([])
                currentBytes = 0
            }
            shards[shards.count - 1].append(name)
            currentBytes += size
        }
        if shards.isEmpty { shards = [[]] }

        var written: [String] = []
        var weightMap: [(String, String)] = []
        for (index, names) in shards.enumerated() {
            let fileName = "\(prefix)-\(Self.fiveDigits(index + 1))-of-\(Self.fiveDigits(shards.count)).safetensors"
            try write(fileOrder(names), to: SafeTensorsCheckpoint.join(directory, fileName))
            written.append(fileName)
            weightMap += names.map { ($0, fileName) }
        }
        let totalSize = entries.values.reduce(0) { $0 + $1.bytes.count }
        let lines = weightMap.sorted { $0.0 < $1.0 }.map { "    \(JSONText.quoted($0.0)): \(JSONText.quoted($0.1))" }
        let index = """
            {
              "metadata": {
                "total_size": \(totalSize)
              },
              "weight_map": {
            \(lines.joined(separator: ",\n"))
              }
            }

            """
        let indexName = "\(prefix).safetensors.index.json"
        try AtomicFile.write(Array(index.utf8), to: SafeTensorsCheckpoint.join(directory, indexName))
        written.append(indexName)
        return written
    }

    private static func fiveDigits(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
}
